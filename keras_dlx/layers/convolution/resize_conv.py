"""Resize-convolution: upsampling without checkerboard artifacts."""

import numpy as np
from keras import ops

from keras_dlx.layers.convolution.base_conv import BaseConv
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


def bilinear_matrix(length, factor):
    """(length * factor, length) matrix of bilinear weights, half-pixel centres, edges clamped.

    The same sampling as `tf.image.resize(..., "bilinear")` and `keras.layers.UpSampling2D(interpolation=
    "bilinear")`: output pixel i reads source coordinate (i + 0.5) / factor - 0.5.
    """
    source = (np.arange(length * factor) + 0.5) / factor - 0.5
    low = np.floor(source)
    frac = source - low
    matrix = np.zeros((length * factor, length))
    rows = np.arange(length * factor)
    np.add.at(matrix, (rows, np.clip(low, 0, length - 1).astype(int)), 1 - frac)
    np.add.at(matrix, (rows, np.clip(low + 1, 0, length - 1).astype(int)), frac)
    return matrix


@register
class ResizeConv2D(BaseConv):
    """Nearest or bilinear resize followed by a 2D convolution: checkerboard-free upsampling.

    A transposed convolution whose kernel size is not divisible by its stride adds uneven numbers of kernel
    taps to neighbouring output pixels, which draws a checkerboard on the output (Odena, Dumoulin & Olah 2016).
    Upsampling by `size` first and then convolving gives every output pixel the same number of taps:
    `y = conv(resize(x, size))`. With `interpolation="nearest"` the resize is an exact pixel repeat.

    Args:
        filters: int, number of output channels.
        kernel_size: int or tuple of 2 ints. Defaults to 3.
        size: int or tuple of 2 ints, the upsampling factor. Defaults to 2.
        interpolation: `"nearest"` or `"bilinear"` (the sampling of `keras.layers.UpSampling2D`; bilinear needs
            static height and width). Defaults to `"nearest"`.
        strides, dilation_rate, groups: of the convolution, as in `GroupConv2D`. Default to 1.
        padding: `"valid"` or `"same"`. Defaults to `"same"`.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
        activation: as in `keras.layers.Conv2D`. Likewise use_bias, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint.

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        4D tensor with `filters` channels; spatial sizes those of `Conv2D` applied to `(H * size_h, W * size_w)`.

    Example:

    >>> layer = keras_dlx.layers.ResizeConv2D(8, 3, size=2)
    >>> tuple(layer(keras.ops.ones((2, 7, 7, 4))).shape)
    (2, 14, 14, 8)

    Reference:
        - [Odena, Dumoulin & Olah 2016, Deconvolution and Checkerboard Artifacts](https://distill.pub/2016/deconv-checkerboard/)
    """

    rank = 2

    def __init__(self, filters, kernel_size=3, size=2, interpolation="nearest", strides=1, padding="same",
                 data_format=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format, **kwargs)
        self.size = args.int_tuple("size", size, 2)
        self.interpolation = args.one_of("interpolation", interpolation, ("nearest", "bilinear"))

    def build(self, input_shape):
        super().build(input_shape)
        spatial = input_shape[1:3] if self.data_format == "channels_last" else input_shape[2:4]
        if self.interpolation == "bilinear" and None in spatial:
            raise ValueError(f"Invalid input for layer '{self.name}': interpolation='bilinear' needs a static "
                             f"height and width. Received: input_shape={tuple(input_shape)}")

    def _resize(self, x):
        if self.interpolation == "nearest":
            for axis, factor in zip((1, 2), self.size):
                if factor > 1:
                    x = ops.repeat(x, factor, axis=axis)
            return x
        # Bilinear upsampling by an integer factor is linear and separable: y = A_h x A_w^T. Matrices keep the
        # input dtype (TensorFlow's resize computes in float32) and make the operation two small matmuls.
        rows = bilinear_matrix(x.shape[1], self.size[0])
        cols = bilinear_matrix(x.shape[2], self.size[1])
        return ops.einsum("ih,jw,nhwc->nijc", ops.cast(rows, x.dtype), ops.cast(cols, x.dtype), x)

    def convolve(self, x):
        return super().convolve(self._resize(x))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis, factor in zip(axes, self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return super().compute_output_shape(tuple(shape))

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "interpolation": self.interpolation})
        return config
