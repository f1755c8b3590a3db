"""Dilated (atrous) convolution that also accepts strides."""


from keras_dlx.layers.convolution.base_conv import BaseConv
from keras_dlx.utils.registration import register


class DilatedConvND(BaseConv):
    """Shared implementation of `DilatedConv1D/2D/3D`: Keras's convolution arguments, dilation 2 by default."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=2,
                 **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)


_DOC = """{rank}D dilated (atrous) convolution that also works with `strides > 1`.

    A dilated convolution spaces its kernel taps `dilation_rate` apart, widening the receptive field without
    extra weights: `y[i] = sum_t x[i * s + t * d] w[t]` (Yu & Koltun 2016, "Multi-Scale Context Aggregation by
    Dilated Convolutions"; Chen et al., DeepLab). Keras refuses `strides > 1` with `dilation_rate > 1`; this layer
    computes it exactly (TensorFlow "same"/"valid" padding semantics) by decimating the input by
    `gcd(strides, dilation_rate)` first, so `strides=2, dilation_rate=2` costs no more than an undilated conv.

    Stacks of dilated convolutions whose rates share a factor grid (their receptive field has holes):
    `keras_dlx.layers.check_gridding(model)` finds them in a model, `receptive_field_holes(rates, kernel_size)`
    computes the holes of a stack.

    Args:
        filters: int, number of output channels.
        kernel_size: int or tuple of {rank} ints.
        strides: int or tuple of {rank} ints. Defaults to 1.
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
        dilation_rate: int or tuple of {rank} ints. Defaults to 2.
        groups: int dividing both channel counts, as in `keras.layers.Conv{rank}D`. Defaults to 1.
        activation: as in `keras.layers.Conv{rank}D`. Likewise use_bias, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint.

    Input shape:
        {rank_plus_2}D tensor `{layout}` (channels_last) or with channels after batch (channels_first).

    Output shape:
        {rank_plus_2}D tensor with `filters` channels; spatial sizes `ceil(n / s)` for "same",
        `ceil((n - (k - 1) * d) / s)` for "valid".

    Example:

    >>> layer = keras_dlx.layers.DilatedConv{rank}D(8, 3, strides=2, dilation_rate=2, padding="same")
    >>> tuple(layer(keras.ops.ones({example_shape})).shape)
    {example_out}

    Reference:
        - [Yu & Koltun 2016](https://arxiv.org/abs/1511.07122)
        - [Wang et al. 2018](https://arxiv.org/abs/1702.08502) (hybrid dilated convolution)
    """


def _doc(rank, example_shape, example_out):
    layout = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
              3: "(batch, depth, height, width, channels)"}[rank]
    return _DOC.format(rank=rank, rank_plus_2=rank + 2, layout=layout, example_shape=example_shape,
                       example_out=example_out)


@register
class DilatedConv1D(DilatedConvND):
    __doc__ = _doc(1, "(2, 16, 3)", "(2, 8, 8)")
    rank = 1


@register
class DilatedConv2D(DilatedConvND):
    __doc__ = _doc(2, "(2, 16, 16, 3)", "(2, 8, 8, 8)")
    rank = 2


@register
class DilatedConv3D(DilatedConvND):
    __doc__ = _doc(3, "(2, 8, 8, 8, 3)", "(2, 4, 4, 4, 8)")
    rank = 3
