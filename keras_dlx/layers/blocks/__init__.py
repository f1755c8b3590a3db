"""Composite blocks that the applications are made of."""

from keras_dlx.layers.blocks.conv_norm_act import ConvNormAct
from keras_dlx.layers.blocks.residual_block import ResidualBlock

__all__ = ["ConvNormAct", "ResidualBlock"]
