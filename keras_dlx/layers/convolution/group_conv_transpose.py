"""Transposed convolution with groups, dilation, strides and output_padding together."""

from keras import ops

from keras_dlx.layers.convolution import conv_ops
from keras_dlx.layers.convolution.base_conv import BaseConv
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


class GroupConvNDTranspose(BaseConv):
    """Shared implementation of `GroupConv1D/2D/3DTranspose`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, **kwargs)
        if output_padding is not None:
            output_padding = args.int_tuple("output_padding", output_padding, self.rank, min_value=0)
            if any(p >= s for p, s in zip(output_padding, self.strides)):
                args.invalid("output_padding", output_padding,
                             f"values smaller than the strides {self.strides}, or None")
        self.output_padding = output_padding

    def kernel_shape(self, channels):
        return self.kernel_size + (self.filters // self.groups, channels)

    def build(self, input_shape):
        super().build(input_shape)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        if None in spatial and conv_ops.needs_static_spatial_shape(self.dilation_rate):
            raise ValueError(
                f"Invalid input for layer '{self.name}': with dilation_rate={self.dilation_rate} on TensorFlow "
                f"the spatial sizes must be static (TensorFlow has no dilated transposed-convolution kernel and "
                f"the exact rewrite needs them). Received: input_shape={tuple(input_shape)}")

    def convolve(self, x):
        y = conv_ops.conv_transpose(x, self.kernel, self.strides, self.padding, self.output_padding,
                                    self.dilation_rate, self.groups)
        return ops.add(y, self.bias) if self.use_bias else y

    def compute_output_shape(self, input_shape):
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        output_padding = self.output_padding or (None,) * self.rank
        out = tuple(conv_ops.conv_transpose_output_length(n, k, s, d, self.padding, p)
                    for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate,
                                             output_padding))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


_DOC = """{rank}D transposed convolution with `groups`, `dilation_rate`, `strides` and `output_padding`.

    The transpose (gradient with respect to its input) of a {rank}D convolution: input position `o` adds
    `x[o] * w[t]` to output position `o * s + t * d - p`, where `p` is the leading padding of the matching forward
    convolution. With `groups`, input channel group `g` only feeds output channel group `g`, as in PyTorch's
    `ConvTranspose{rank}d(groups=...)`; `keras.layers.Conv{rank}DTranspose` has no `groups` (keras-team/keras#19871).
    Output sizes follow `keras.layers.Conv{rank}DTranspose` exactly, `output_padding` included. TensorFlow has no
    CPU kernel for dilated transposed convolution; there the layer computes the equivalent stride-1 convolution
    of the zero-upsampled input with the flipped kernel.

    The kernel has shape `kernel_size + (filters // groups, in_channels)` (Keras's transposed layout), so with
    `groups=1` weights move to and from `keras.layers.Conv{rank}DTranspose` unchanged.

    Args:
        filters: int, number of output channels; must be divisible by `groups`.
        kernel_size: int or tuple of {rank} ints.
        strides: int or tuple of {rank} ints (the upsampling factor). Defaults to 1.
        padding: `"valid"` or `"same"`.
        output_padding: None, or an int / tuple of {rank} ints, each smaller than the matching stride: extra
            rows/columns added to one side of the output, to pick among the input sizes that map to the same
            forward-convolution output size. Defaults to None (Keras's size rule).
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
        dilation_rate: int or tuple of {rank} ints. Defaults to 1.
        groups: int dividing the input channels and `filters`. Defaults to 1.
        activation: as in `keras.layers.Conv{rank}DTranspose`. Likewise use_bias, kernel_initializer,
            bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint.

    Input shape:
        {rank_plus_2}D tensor, channels last or first according to `data_format`.

    Output shape:
        {rank_plus_2}D tensor with `filters` channels; with `output_padding=None` each spatial size is `n * s` for
        "same" and `n * s + max(k_eff - s, 0)` for "valid", else `(n - 1) * s + k_eff - 2 * pad + output_padding`
        with `k_eff = (k - 1) * d + 1` and `pad = k_eff // 2` for "same", 0 for "valid".

    Example:

    >>> layer = keras_dlx.layers.GroupConv{rank}DTranspose(8, 3, strides=2, groups=4, padding="same")
    >>> tuple(layer(keras.ops.ones({example_shape})).shape)
    {example_out}

    Reference:
        - [Dumoulin & Visin 2016, A guide to convolution arithmetic](https://arxiv.org/abs/1603.07285)
    """


def _doc(rank, example_shape, example_out):
    return _DOC.format(rank=rank, rank_plus_2=rank + 2, example_shape=example_shape, example_out=example_out)


@register
class GroupConv1DTranspose(GroupConvNDTranspose):
    __doc__ = _doc(1, "(2, 5, 4)", "(2, 10, 8)")
    rank = 1


@register
class GroupConv2DTranspose(GroupConvNDTranspose):
    __doc__ = _doc(2, "(2, 5, 5, 4)", "(2, 10, 10, 8)")
    rank = 2


@register
class GroupConv3DTranspose(GroupConvNDTranspose):
    __doc__ = _doc(3, "(2, 3, 3, 3, 4)", "(2, 6, 6, 6, 8)")
    rank = 3
