"""The correlation layer of FlowNet (TensorFlow Addons' CorrelationCost)."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def _non_negative_int(name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        args.invalid(name, value, "a non-negative integer")
    return int(value)


def _positive_odd_int(name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0 or value % 2 == 0:
        args.invalid(name, value, "a positive odd integer")
    return int(value)


@register
class CorrelationCost(keras.layers.Layer):
    """Correlation of two feature maps over a range of displacements (FlowNet), TensorFlow Addons' semantics.

    For each output position (i, j), centred at p = ((i - pad) * stride_1, (j - pad) * stride_1) + border of the
    first map (border = max_displacement + (kernel_size - 1) // 2; positions outside either map read zeros), and
    each displacement d = stride_2 * (dy, dx), |dy|, |dx| <= r = max_displacement // stride_2:

        out[i, j, (dy + r) * (2r + 1) + (dx + r)] = sum_{o in kernel window, c} a[p + o, c] * b[p + d + o, c]
                                                  / (kernel_size^2 * channels)

    One output channel per displacement, (2r + 1)^2 in all, row-major in (dy, dx); the output has
    ceil((size + 2 pad - 2 border) / stride_1) rows and columns. This is what Addons' kernel computes, including
    its offset of `pad * stride_1` (not `pad`) before the first window when stride_1 > 1. Addons ships a compiled
    kernel; this one is `keras.ops` only: per displacement, the channel sum of the product of the first map with
    the shifted second one, then one average pooling (kernel_size, stride_1) of all displacements.
    `compute_output_shape` returns the size above, which is the size of the output (Addons' declared shape has
    an operator-precedence slip).

    Args:
        kernel_size: positive odd int, the side of the patch compared at each position.
        max_displacement: int >= 0, the largest displacement searched, in pixels.
        stride_1: int > 0, the stride of the output positions in the first map.
        stride_2: int > 0, the stride of the displacements in the second map.
        pad: int >= 0, the zero padding of both maps on each side.
        data_format: "channels_last" or "channels_first". Defaults to `keras.config.image_data_format()` (Addons
            requires it).

    Call arguments:
        inputs: a list `[a, b]` of two feature maps of the same shape.

    Input shape:
        Two 4D tensors (batch, height, width, channels) (channels_last) or (batch, channels, height, width).

    Output shape:
        4D tensor (batch, out_height, out_width, (2r + 1)^2) (channels_last) or (batch, (2r + 1)^2, out_height,
        out_width).

    Example:

    >>> corr = keras_dlx.layers.CorrelationCost(1, 4, 1, 2, 4, "channels_last")
    >>> a, b = keras.random.normal((2, 16, 16, 8)), keras.random.normal((2, 16, 16, 8))
    >>> tuple(corr([a, b]).shape)
    (2, 16, 16, 25)

    Reference:
        - [Dosovitskiy et al. 2015, FlowNet: Learning Optical Flow with Convolutional
          Networks](https://arxiv.org/abs/1504.06852)
    """

    def __init__(self, kernel_size, max_displacement, stride_1, stride_2, pad, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = _positive_odd_int("kernel_size", kernel_size)
        self.max_displacement = _non_negative_int("max_displacement", max_displacement)
        self.stride_1 = args.positive_int("stride_1", stride_1)
        self.stride_2 = args.positive_int("stride_2", stride_2)
        self.pad = _non_negative_int("pad", pad)
        self.data_format = args.data_format(data_format)

    @property
    def _radius(self):
        return self.max_displacement // self.stride_2

    def _output_size(self, size):
        if size is None:
            return None
        border = self.max_displacement + (self.kernel_size - 1) // 2
        return -(-(size + 2 * self.pad - 2 * border) // self.stride_1)

    def _span(self, out_size):
        """Rows (or columns) of the first map read by `out_size` kernel windows at stride_1."""
        return (out_size - 1) * self.stride_1 + self.kernel_size

    def _padding(self, size, out_size):
        """Zeros before and after one spatial axis so that every read is in range: Addons' window centres are
        (i - pad) * stride_1 + border, so `pad` counts in units of stride_1 before the map."""
        before = self.pad * self.stride_1
        after = (out_size - 1 - self.pad) * self.stride_1 + 2 * self.max_displacement + self.kernel_size - size
        return [before, max(after, 0)]

    def _spatial(self, shape):
        return tuple(shape[1:3]) if self.data_format == "channels_last" else tuple(shape[2:4])

    def build(self, input_shape):
        if not (isinstance(input_shape, (list, tuple)) and len(input_shape) == 2
                and all(isinstance(s, (list, tuple)) for s in input_shape)):
            raise ValueError(f"Invalid input for layer '{self.name}': expected a list of two 4D feature maps. "
                             f"Received: input_shape={input_shape}")
        first, second = (tuple(s) for s in input_shape)
        args.input_rank(self, first, 4, "(batch, height, width, channels)")
        args.known_channels(self, first, args.channel_axis(self.data_format))
        if first[1:] != second[1:]:
            raise ValueError(f"Invalid input for layer '{self.name}': both feature maps must have the same shape. "
                             f"Received: input_shape={input_shape}")
        for size in self._spatial(first):
            if size is not None and self._output_size(size) < 1:
                raise ValueError(
                    f"Invalid input for layer '{self.name}': height and width plus 2 * pad must exceed "
                    f"2 * (max_displacement + (kernel_size - 1) // 2) = "
                    f"{2 * (self.max_displacement + (self.kernel_size - 1) // 2)}. Received: "
                    f"input_shape={input_shape}, pad={self.pad}")

    def call(self, inputs):
        a, b = inputs
        if self.data_format == "channels_first":
            a, b = ops.transpose(a, (0, 2, 3, 1)), ops.transpose(b, (0, 2, 3, 1))
        _, height, width, channels = a.shape
        out_h, out_w = self._output_size(height), self._output_size(width)
        margin, rows, cols = self.max_displacement, self._span(out_h), self._span(out_w)
        padding = [[0, 0], self._padding(height, out_h), self._padding(width, out_w), [0, 0]]
        a, b = ops.pad(a, padding), ops.pad(b, padding)
        # The part of the first map that the kernel windows read; the second map shifted by each displacement.
        a = a[:, margin:margin + rows, margin:margin + cols, :]
        products = []
        for dy in range(-self._radius, self._radius + 1):
            for dx in range(-self._radius, self._radius + 1):
                y, x = margin + dy * self.stride_2, margin + dx * self.stride_2
                products.append(ops.sum(a * b[:, y:y + rows, x:x + cols, :], axis=-1))
        cost = ops.average_pool(ops.stack(products, axis=-1), self.kernel_size, self.stride_1, padding="valid",
                                data_format="channels_last") / channels
        if self.data_format == "channels_first":
            cost = ops.transpose(cost, (0, 3, 1, 2))
        return cost

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        out_h, out_w = (self._output_size(size) for size in self._spatial(first))
        channels = (2 * self._radius + 1) ** 2
        if self.data_format == "channels_last":
            return (first[0], out_h, out_w, channels)
        return (first[0], channels, out_h, out_w)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("kernel_size", "max_displacement", "stride_1", "stride_2", "pad",
                                              "data_format")))
        return config
