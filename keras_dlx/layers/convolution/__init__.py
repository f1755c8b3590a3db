"""The convolution family."""

from keras_dlx.layers.convolution.channel_shuffle import ChannelShuffle
from keras_dlx.layers.convolution.depthwise_separable_conv import DepthwiseSeparableConv2D
from keras_dlx.layers.convolution.dilated_conv import DilatedConv1D, DilatedConv2D, DilatedConv3D
from keras_dlx.layers.convolution.flattened_conv import FlattenedConv2D
from keras_dlx.layers.convolution.gridding import Gridding, GriddingWarning, check_gridding, receptive_field_holes
from keras_dlx.layers.convolution.group_conv import GroupConv1D, GroupConv2D, GroupConv3D
from keras_dlx.layers.convolution.group_conv_transpose import (
                                                               GroupConv1DTranspose,
                                                               GroupConv2DTranspose,
                                                               GroupConv3DTranspose,
)
from keras_dlx.layers.convolution.resize_conv import ResizeConv2D

__all__ = [
    "ChannelShuffle", "DepthwiseSeparableConv2D", "DilatedConv1D", "DilatedConv2D", "DilatedConv3D",
    "FlattenedConv2D", "Gridding", "GriddingWarning", "GroupConv1D", "GroupConv1DTranspose", "GroupConv2D",
    "GroupConv2DTranspose", "GroupConv3D", "GroupConv3DTranspose", "ResizeConv2D", "check_gridding",
    "receptive_field_holes",
]
