"""Composite blocks that the applications are made of."""

from keras_dlx.layers.blocks.aspp import ASPP
from keras_dlx.layers.blocks.conv_norm_act import ConvNormAct
from keras_dlx.layers.blocks.inception_block import InceptionBlock
from keras_dlx.layers.blocks.inception_v3_block import InceptionV3Block
from keras_dlx.layers.blocks.residual_block import ResidualBlock

__all__ = ["ASPP", "ConvNormAct", "InceptionBlock", "InceptionV3Block", "ResidualBlock"]
