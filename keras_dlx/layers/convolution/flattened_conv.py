"""Flattened convolution (Jin et al. 2014): a KxK convolution as a chain of three 1D convolutions."""

import keras
import numpy as np
from keras import ops

from keras_dlx.layers.convolution import conv_ops
from keras_dlx.layers.convolution.base_conv import expected_shape
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class FlattenedConv2D(keras.layers.Layer):
    """Flattened 2D convolution: `stages` cascaded sets of lateral -> vertical -> horizontal 1D convolutions.

    Jin, Dundar & Culurciello (2014) replace each KhxKw convolution by a cascade of 1D filters: a lateral
    convolution (1x1, mixing channels), a vertical one (Khx1, per channel) and a horizontal one (1xKw, per
    channel), each followed by a bias and with no nonlinearity in between. One stage is the rank-1 kernel
    `W[y, x, c, o] = z[c, o] * v[y, o] * h[x, o]`; the paper uses `stages=2` (the second stage maps
    `filters -> filters`). Parameters drop from `Kh*Kw*C*F` to `C*F + (Kh + Kw)*F` per stage.

    With "valid" padding one stage computes the full convolution with that rank-1 kernel exactly and the
    effective bias `b_H + sum(h) * (b_V + sum(v) * b_L)`; with "same" zero padding the inner biases reach the
    border differently, unless they are zero (as `from_rank1` sets them). Strides and dilation apply to the
    first stage's vertical (rows) and horizontal (columns) convolutions.

    Args:
        filters: int, number of output channels.
        kernel_size: int or tuple of 2 ints `(Kh, Kw)`.
        stages: int, the paper's `l`, the number of cascaded L-V-H sets. Defaults to 1.
        strides: int or tuple of 2 ints. Defaults to 1.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 2 ints. Defaults to 1.
        activation: applied after the last stage only. Defaults to None.
        use_bias: bool, a bias after each 1D convolution. Defaults to True.
        kernel_initializer: for the lateral (channel-mixing) kernels. Defaults to `"glorot_uniform"`.
        spatial_initializer: for the vertical and horizontal kernels, shaped `(K, filters)`. Defaults to
            `"lecun_uniform"` (variance 1/K per tap, which keeps the signal's scale through each 1D filter).
        bias_initializer: as in `keras.layers.Conv2D`. Likewise kernel_regularizer (all kernels), bias_regularizer,
            activity_regularizer, kernel_constraint (all kernels), bias_constraint.

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        4D tensor with `filters` channels; spatial sizes as in `keras.layers.Conv2D`.

    Example:

    >>> layer = keras_dlx.layers.FlattenedConv2D(32, 3, stages=2, padding="same")
    >>> tuple(layer(keras.ops.ones((2, 16, 16, 8))).shape)
    (2, 16, 16, 32)

    Reference:
        - [Jin, Dundar & Culurciello 2014](https://arxiv.org/abs/1412.5474)
    """

    def __init__(self, filters, kernel_size, stages=1, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 spatial_initializer="lecun_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=args.regularizer("activity_regularizer", activity_regularizer),
                         **kwargs)
        self.filters = args.positive_int("filters", filters)
        self.kernel_size = args.int_tuple("kernel_size", kernel_size, 2)
        self.stages = args.positive_int("stages", stages)
        self.strides = args.int_tuple("strides", strides, 2)
        self.padding = args.one_of("padding", padding, ("valid", "same"))
        self.data_format = args.data_format(data_format)
        self.dilation_rate = args.int_tuple("dilation_rate", dilation_rate, 2)
        self.activation = args.activation("activation", activation)
        self.use_bias = args.boolean("use_bias", use_bias)
        self.kernel_initializer = args.initializer("kernel_initializer", kernel_initializer)
        self.spatial_initializer = args.initializer("spatial_initializer", spatial_initializer)
        self.bias_initializer = args.initializer("bias_initializer", bias_initializer)
        self.kernel_regularizer = args.regularizer("kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = args.regularizer("bias_regularizer", bias_regularizer)
        self.kernel_constraint = args.constraint("kernel_constraint", kernel_constraint)
        self.bias_constraint = args.constraint("bias_constraint", bias_constraint)
        self.channel_axis = args.channel_axis(self.data_format)

    def _kernel(self, name, shape, initializer):
        return self.add_weight(name=name, shape=shape, initializer=args.fresh_initializer(initializer),
                               regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)

    def _bias(self, name):
        if not self.use_bias:
            return None
        return self.add_weight(name=name, shape=(self.filters,),
                               initializer=args.fresh_initializer(self.bias_initializer),
                               regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, expected_shape(2, self.data_format))
        channels = args.known_channels(self, input_shape, self.channel_axis)
        kh, kw = self.kernel_size
        self.stage_weights = []
        for i in range(self.stages):
            suffix = "" if self.stages == 1 else f"_{i}"
            self.stage_weights.append({
                "lateral": self._kernel(f"lateral_kernel{suffix}", (channels if i == 0 else self.filters,
                                                                     self.filters), self.kernel_initializer),
                "lateral_bias": self._bias(f"lateral_bias{suffix}"),
                "vertical": self._kernel(f"vertical_kernel{suffix}", (kh, self.filters), self.spatial_initializer),
                "vertical_bias": self._bias(f"vertical_bias{suffix}"),
                "horizontal": self._kernel(f"horizontal_kernel{suffix}", (kw, self.filters),
                                           self.spatial_initializer),
                "horizontal_bias": self._bias(f"horizontal_bias{suffix}"),
            })
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={self.channel_axis: channels})

    def call(self, inputs):
        x = conv_ops.to_channels_last(inputs, self.data_format)
        (sh, sw), (dh, dw) = self.strides, self.dilation_rate
        for i, w in enumerate(self.stage_weights):
            first = i == 0
            x = ops.matmul(x, w["lateral"])
            if self.use_bias:
                x = ops.add(x, w["lateral_bias"])
            vertical = ops.reshape(w["vertical"], (self.kernel_size[0], 1, self.filters, 1))
            x = conv_ops.depthwise_conv(x, vertical, (sh if first else 1, 1), self.padding,
                                        (dh if first else 1, 1))
            if self.use_bias:
                x = ops.add(x, w["vertical_bias"])
            horizontal = ops.reshape(w["horizontal"], (1, self.kernel_size[1], self.filters, 1))
            x = conv_ops.depthwise_conv(x, horizontal, (1, sw if first else 1), self.padding,
                                        (1, dw if first else 1))
            if self.use_bias:
                x = ops.add(x, w["horizontal_bias"])
        x = self.activation(x)
        return conv_ops.from_channels_last(x, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = shape[1:3] if self.data_format == "channels_last" else shape[2:4]
        out = list(spatial)
        for i in range(self.stages):
            strides, dilation = (self.strides, self.dilation_rate) if i == 0 else ((1, 1), (1, 1))
            out = [conv_ops.conv_output_length(n, k, s, d, self.padding)
                   for n, k, s, d in zip(out, self.kernel_size, strides, dilation)]
        if self.data_format == "channels_last":
            return (shape[0],) + tuple(out) + (self.filters,)
        return (shape[0], self.filters) + tuple(out)

    @classmethod
    def from_rank1(cls, kernel, bias=None, **kwargs):
        """A one-stage layer that computes the convolution with a rank-1 kernel exactly.

        Args:
            kernel: array `(Kh, Kw, C_in, C_out)` with `kernel[y, x, c, o] = z[c, o] * v[y, o] * h[x, o]`
                (each output channel's filter is an outer product), e.g. a Conv2D kernel factored offline.
            bias: optional array `(C_out,)`, the full convolution's bias.
            **kwargs: other constructor arguments (`padding`, `strides`, `data_format`, ...); `filters`,
                `kernel_size` and `stages` come from the kernel.

        Returns:
            A built `FlattenedConv2D` whose output equals `Conv2D` with that kernel and bias, for "valid" and
            "same" padding alike (the inner biases are zero, so zero padding treats both the same way).

        Raises:
            ValueError: if `kernel` is not 4D or not rank-1 per output channel (relative error above 1e-5).
        """
        kernel = np.asarray(kernel, dtype="float64")
        if kernel.ndim != 4:
            args.invalid("kernel", kernel.shape, "an array of shape (Kh, Kw, C_in, C_out)")
        kh, kw, cin, cout = kernel.shape
        z, v, h = np.zeros((cin, cout)), np.zeros((kh, cout)), np.zeros((kw, cout))
        for o in range(cout):
            t = kernel[..., o]
            y0, x0, c0 = np.unravel_index(np.argmax(np.abs(t)), t.shape)
            if t[y0, x0, c0] == 0:
                continue
            z[:, o] = t[y0, x0, :]
            v[:, o] = t[:, x0, c0] / t[y0, x0, c0]
            h[:, o] = t[y0, :, c0] / t[y0, x0, c0]
        rebuilt = np.einsum("co,yo,xo->yxco", z, v, h)
        error = np.abs(rebuilt - kernel).max() / max(np.abs(kernel).max(), 1e-30)
        if error > 1e-5:
            raise ValueError(f"Invalid `kernel`: expected a rank-1 kernel (each output channel's filter an outer "
                             f"product z[c] * v[y] * h[x]). Received: kernel of shape {kernel.shape} whose best "
                             f"rank-1 fit has relative error {error:.3g}")
        layer = cls(filters=cout, kernel_size=(kh, kw), stages=1, use_bias=True, **kwargs)
        in_shape = (None, 1, 1, cin) if layer.data_format == "channels_last" else (None, cin, 1, 1)
        layer.build(in_shape)
        w = layer.stage_weights[0]
        w["lateral"].assign(z)
        w["vertical"].assign(v)
        w["horizontal"].assign(h)
        w["lateral_bias"].assign(np.zeros(cout))
        w["vertical_bias"].assign(np.zeros(cout))
        w["horizontal_bias"].assign(np.zeros(cout) if bias is None else np.asarray(bias, dtype="float64"))
        return layer

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "filters", "kernel_size", "stages", "strides", "padding", "data_format", "dilation_rate", "activation",
            "use_bias", "kernel_initializer", "spatial_initializer", "bias_initializer", "kernel_regularizer",
            "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint")))
        return config
