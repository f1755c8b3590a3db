"""Local response normalization (AlexNet), with TensorFlow, PyTorch and Caffe conventions."""

import keras
import numpy as np
from keras import ops

from keras_dlx.layers.normalization.common import (
    channel_axis,
    from_float32_channels_last,
    integer_axis,
    take_inputs_as_they_come,
    to_float32_channels_last,
)
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

# Above this many channels the banded matmul (C^2 per pixel) gives way to a cumulative sum (C per pixel).
_BAND_MATMUL_MAX_CHANNELS = 1024


def _odd_depth(name, value):
    value = args.positive_int(name, value)
    if value % 2 == 0:
        args.invalid(name, value, "a positive odd integer (the window is centred on each channel)")
    return value


def _non_negative(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        args.invalid(name, value, "a non-negative number")
    return float(value)


@register
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalization (Krizhevsky et al. 2012), AlexNet semantics by default.

    Across channels (default), each activation is divided by a power of the sum of squares of its `depth`
    neighbouring channels, the window clipped at the first and last channel:

        b_i = a_i / (bias + alpha * sum_{j=max(0, i-r)}^{min(C-1, i+r)} a_j^2) ^ beta,    r = (depth - 1) / 2

    `alpha` is NOT divided by `depth` (AlexNet's and TensorFlow's convention). The defaults (depth=5, bias=2,
    alpha=1e-4, beta=0.75) are AlexNet's and equal `tf.nn.local_response_normalization(depth_radius=2, bias=2,
    alpha=1e-4, beta=0.75)`. Use `from_tensorflow`, `from_pytorch` and `from_caffe` to build it from another
    framework's parameters (PyTorch and Caffe divide alpha by the window size).

    `mode="within_channel"` is Caffe's WITHIN_CHANNEL on 4D inputs: the sum runs over a `depth x depth` spatial
    window of the same channel, zero-padded at the borders: `b = a / (bias + alpha * sum_window a^2) ^ beta`.

    The window sums are a banded matrix product over channels (one matmul; faster than TensorFlow's own LRN
    kernel on CPU) or a `depth x depth` depthwise convolution; everything is computed in float32, also under
    mixed precision.

    Args:
        depth: odd int, the window size n (`size` is accepted as an alias). Defaults to 5.
        bias: positive float, k. Defaults to 2.0.
        alpha: non-negative float, the scale of the sum (not divided by `depth`). Defaults to 1e-4.
        beta: non-negative float, the exponent. Defaults to 0.75.
        axis: int, the channel axis. Defaults to -1.
        mode: `"across_channels"` or `"within_channel"`. Defaults to `"across_channels"`.

    Input shape:
        Any tensor of rank >= 2 (across_channels) or 4D (within_channel).

    Output shape:
        Same as the input.

    Example:

    >>> lrn = keras_dlx.layers.LRN()  # AlexNet
    >>> tuple(lrn(keras.random.normal((2, 27, 27, 96))).shape)
    (2, 27, 27, 96)
    >>> keras_dlx.layers.LRN.from_pytorch(size=5, alpha=1e-4, beta=0.75, k=2.0).alpha
    2e-05

    Reference:
        - [Krizhevsky, Sutskever & Hinton 2012, ImageNet classification with deep CNNs](https://papers.nips.cc/paper/4824)
    """

    def __init__(self, depth=5, bias=2.0, alpha=1e-4, beta=0.75, axis=-1, mode="across_channels", size=None,
                 **kwargs):
        super().__init__(**kwargs)
        take_inputs_as_they_come(self)
        if size is not None:
            if depth != 5 and depth != size:
                args.invalid("size", size, f"None when depth is given (received depth={depth})")
            depth = size
        self.depth = _odd_depth("size" if size is not None else "depth", depth)
        self.bias = args.positive_float("bias", bias)
        self.alpha = _non_negative("alpha", alpha)
        self.beta = _non_negative("beta", beta)
        self.axis = integer_axis(axis)
        self.mode = args.one_of("mode", mode, ("across_channels", "within_channel"))

    @classmethod
    def from_tensorflow(cls, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, **kwargs):
        """`tf.nn.local_response_normalization(depth_radius, bias, alpha, beta)` (its defaults): depth = 2r + 1."""
        if not isinstance(depth_radius, int) or isinstance(depth_radius, bool) or depth_radius < 0:
            args.invalid("depth_radius", depth_radius, "a non-negative integer")
        return cls(depth=2 * depth_radius + 1, bias=bias, alpha=alpha, beta=beta, **kwargs)

    @classmethod
    def from_pytorch(cls, size, alpha=1e-4, beta=0.75, k=1.0, **kwargs):
        """`torch.nn.LocalResponseNorm(size, alpha, beta, k)`: PyTorch divides alpha by `size` (odd sizes only)."""
        size = _odd_depth("size", size)
        return cls(depth=size, bias=k, alpha=alpha / size, beta=beta, **kwargs)

    @classmethod
    def from_caffe(cls, local_size=5, alpha=1.0, beta=0.75, k=1.0, norm_region="ACROSS_CHANNELS", **kwargs):
        """Caffe's LRN layer. ACROSS_CHANNELS divides alpha by `local_size`; WITHIN_CHANNEL computes
        `x * (1 + alpha / n^2 * sum_{n x n} x^2) ^ -beta` (Caffe ignores `k` there)."""
        local_size = _odd_depth("local_size", local_size)
        region = args.one_of("norm_region", norm_region, ("across_channels", "within_channel"))
        if region == "within_channel":
            return cls(depth=local_size, bias=1.0, alpha=alpha / local_size ** 2, beta=beta, mode=region, **kwargs)
        return cls(depth=local_size, bias=k, alpha=alpha / local_size, beta=beta, mode=region, **kwargs)

    def build(self, input_shape):
        rank = 4 if self.mode == "within_channel" else None
        if (rank and len(input_shape) != rank) or len(input_shape) < 2:
            raise ValueError(
                f"Invalid input for layer '{self.name}': expected a "
                f"{'4D' if rank else 'rank >= 2'} input for mode='{self.mode}'. "
                f"Received: input_shape={tuple(input_shape)}")
        self._channel_axis = channel_axis(self, input_shape, self.axis)
        channels = args.known_channels(self, input_shape, self._channel_axis)
        if self.mode == "across_channels" and channels <= _BAND_MATMUL_MAX_CHANNELS:
            r = self.depth // 2
            self._band = np.abs(np.subtract.outer(np.arange(channels), np.arange(channels))) <= r
        else:
            self._band = None

    def _window_sum(self, squares):
        """Sum of squares over each activation's window, channels last."""
        r = self.depth // 2
        if self.mode == "within_channel":
            kernel = ops.ones((self.depth, self.depth, squares.shape[-1], 1), dtype=squares.dtype)
            return ops.depthwise_conv(squares, kernel, strides=1, padding="same")
        if self._band is not None:
            return ops.matmul(squares, ops.cast(self._band, squares.dtype))
        padded = ops.pad(squares, [(0, 0)] * (len(squares.shape) - 1) + [(r + 1, r)])
        cumulative = ops.cumsum(padded, axis=-1)
        return cumulative[..., self.depth:] - cumulative[..., :-self.depth]

    def call(self, inputs):
        x = to_float32_channels_last(inputs, self._channel_axis)
        base = self.bias + self.alpha * self._window_sum(ops.square(x))
        if self.beta == 0.75:  # AlexNet: base^-3/4 = rsqrt(base) * sqrt(rsqrt(base)), cheaper than pow
            inv = ops.rsqrt(base)
            scale = inv * ops.sqrt(inv)
        elif self.beta == 0.5:
            scale = ops.rsqrt(base)
        else:
            scale = ops.power(base, -self.beta)
        return from_float32_channels_last(x * scale, self._channel_axis, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("depth", "bias", "alpha", "beta", "axis", "mode")))
        return config


LRN = LocalResponseNormalization
