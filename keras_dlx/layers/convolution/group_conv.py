"""Grouped convolution that is fast on CPU, with optional channel shuffle."""


from keras_dlx.layers.convolution import conv_ops
from keras_dlx.layers.convolution.base_conv import BaseConv
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


class GroupConvND(BaseConv):
    """Shared implementation of `GroupConv1D/2D/3D`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=2, shuffle=False, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, **kwargs)
        self.shuffle = args.boolean("shuffle", shuffle)

    def convolve(self, x):
        y = super().convolve(x)
        return conv_ops.channel_shuffle(y, self.groups) if self.shuffle else y

    def get_config(self):
        config = super().get_config()
        config["shuffle"] = self.shuffle
        return config


_DOC = """{rank}D grouped convolution, fast on CPU, with optional ShuffleNet channel shuffle.

    The input channels are split into `groups` groups and each is convolved with its own
    `filters // groups` filters, cutting weights and FLOPs by `groups` (Krizhevsky et al. 2012; ResNeXt, Xie et
    al. 2017): `y_g = conv(x_g, W_g)`, `y = concat_g(y_g)`. `keras.layers.Conv{rank}D(groups=...)` computes the same
    thing, but TensorFlow has no CPU kernel for it and Keras falls back to XLA, roughly 50x slower than a dense
    convolution; this layer runs one convolution per group on TensorFlow and the backend's native grouped kernel on
    JAX and PyTorch. `strides` and `dilation_rate` may both exceed 1. With `shuffle=True` the output channels are
    shuffled (see `ChannelShuffle`) so that a following grouped layer mixes information across groups.

    The kernel has Keras's grouped layout `kernel_size + (in_channels // groups, filters)`, so weights move to
    and from `keras.layers.Conv{rank}D(groups=...)` unchanged.

    Args:
        filters: int, number of output channels; must be divisible by `groups`.
        kernel_size: int or tuple of {rank} ints.
        strides: int or tuple of {rank} ints. Defaults to 1.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
        dilation_rate: int or tuple of {rank} ints. Defaults to 1.
        groups: int, number of groups; must divide the input channels and `filters`. Defaults to 2.
        shuffle: bool, apply a channel shuffle after the convolution (before the activation). Defaults to False.
        activation: as in `keras.layers.Conv{rank}D`. Likewise use_bias, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint.

    Input shape:
        {rank_plus_2}D tensor, channels last or first according to `data_format`.

    Output shape:
        {rank_plus_2}D tensor with `filters` channels; spatial sizes as in `keras.layers.Conv{rank}D`.

    Example:

    >>> layer = keras_dlx.layers.GroupConv{rank}D(16, 3, groups=4, shuffle=True, padding="same")
    >>> tuple(layer(keras.ops.ones({example_shape})).shape)
    {example_out}

    Reference:
        - [Xie et al. 2017, ResNeXt](https://arxiv.org/abs/1611.05431)
        - [Zhang et al. 2018, ShuffleNet](https://arxiv.org/abs/1707.01083)
    """


def _doc(rank, example_shape, example_out):
    return _DOC.format(rank=rank, rank_plus_2=rank + 2, example_shape=example_shape, example_out=example_out)


@register
class GroupConv1D(GroupConvND):
    __doc__ = _doc(1, "(2, 10, 8)", "(2, 10, 16)")
    rank = 1


@register
class GroupConv2D(GroupConvND):
    __doc__ = _doc(2, "(2, 10, 10, 8)", "(2, 10, 10, 16)")
    rank = 2


@register
class GroupConv3D(GroupConvND):
    __doc__ = _doc(3, "(2, 6, 6, 6, 8)", "(2, 6, 6, 6, 16)")
    rank = 3
