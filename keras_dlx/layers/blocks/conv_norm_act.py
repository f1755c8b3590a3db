"""Convolution -> normalization -> activation, the unit most blocks are made of."""

import keras

from keras_dlx.layers.blocks.norms import check_norm, make_norm
from keras_dlx.layers.convolution import GroupConv2D
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class ConvNormAct(keras.layers.Layer):
    """2D convolution, then a normalization, then an activation: `act(norm(conv(x)))`.

    The convolution is a `GroupConv2D` (so `groups`, `strides` and `dilation_rate` combine freely, fast on CPU).
    With `padding="symmetric"` the input is zero-padded by `dilation_rate * (kernel_size - 1) // 2` on every
    side before a "valid" convolution, as PyTorch and Keras's ResNetV2 do; for stride 1 and odd kernels that is
    "same", for stride 2 it differs from TensorFlow's "same" (which pads one more at the end).

    Args:
        filters, kernel_size, strides, dilation_rate, groups: of the convolution.
        padding: `"same"`, `"valid"` or `"symmetric"`. Defaults to `"same"`.
        norm: `"batch"`, `"group"`, `"switchable"` or None. Defaults to `"batch"`.
        activation: applied last, or None. Defaults to `"relu"`.
        use_bias: bool, bias in the convolution. Defaults to False when there is a norm, True otherwise.
        momentum, epsilon: of the normalization. Default to 0.99 and 1e-3.
        norm_groups: groups of a GroupNormalization. Defaults to 32.
        norm_scale: bool, a learned scale in the norm (Keras's InceptionV3 has none). Defaults to True.
        data_format, kernel_initializer, kernel_regularizer: as in `keras.layers.Conv2D`.

    Call arguments:
        inputs: the input tensor.
        training: bool, passed to the normalization layer (batch or running statistics).

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        4D tensor with `filters` channels.

    Example:

    >>> unit = keras_dlx.layers.ConvNormAct(64, 7, strides=2, padding="symmetric")
    >>> tuple(unit(keras.ops.ones((2, 224, 224, 3))).shape)
    (2, 112, 112, 64)

    Reference:
        - [Ioffe & Szegedy 2015, Batch Normalization](https://arxiv.org/abs/1502.03167)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="same", dilation_rate=1, groups=1, norm="batch",
                 activation="relu", use_bias=None, momentum=0.99, epsilon=1e-3, norm_groups=32, norm_scale=True,
                 data_format=None,
                 kernel_initializer="glorot_uniform", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = args.one_of("padding", padding, ("same", "valid", "symmetric"))
        self.norm = check_norm(norm)
        self.use_bias = self.norm is None if use_bias is None else args.boolean("use_bias", use_bias)
        self.momentum = args.unit_interval("momentum", momentum, closed_right=True)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.norm_groups = args.positive_int("norm_groups", norm_groups)
        self.norm_scale = args.boolean("norm_scale", norm_scale)
        self.activation = args.activation("activation", activation)
        strides = args.int_tuple("strides", strides, 2)
        kernel = args.int_tuple("kernel_size", kernel_size, 2)
        dilation = args.int_tuple("dilation_rate", dilation_rate, 2)
        pad = [d * (k - 1) // 2 for k, d in zip(kernel, dilation)]
        # At stride 1 with an even total padding, "symmetric" is "same": let the convolution pad (one op fewer).
        as_same = self.padding == "symmetric" and strides == (1, 1) and all(
            d * (k - 1) % 2 == 0 for k, d in zip(kernel, dilation))
        conv_padding = "same" if as_same else ("valid" if self.padding == "symmetric" else self.padding)
        self.conv = GroupConv2D(filters, kernel_size, strides=strides, padding=conv_padding,
                                dilation_rate=dilation_rate, groups=groups, use_bias=self.use_bias,
                                data_format=data_format, kernel_initializer=kernel_initializer,
                                kernel_regularizer=kernel_regularizer, dtype=self.dtype_policy, name="conv")
        self.data_format = self.conv.data_format
        self.pad = None
        if self.padding == "symmetric" and not as_same and any(pad):
            self.pad = keras.layers.ZeroPadding2D(tuple((p, p) for p in pad), data_format=self.data_format,
                                                  dtype=self.dtype_policy, name="pad")
        axis = args.channel_axis(self.data_format)
        self.norm_layer = None if self.norm is None else make_norm(
            self.norm, axis, self.momentum, self.epsilon, self.norm_groups, self.dtype_policy, "norm",
            scale=self.norm_scale)

    def build(self, input_shape):
        shape = tuple(input_shape)
        if self.pad is not None:
            self.pad.build(shape)
            shape = self.pad.compute_output_shape(shape)
        self.conv.build(shape)
        if self.norm_layer is not None:
            self.norm_layer.build(self.conv.compute_output_shape(shape))

    def call(self, inputs, training=None):
        x = inputs if self.pad is None else self.pad(inputs)
        x = self.conv(x)
        if self.norm_layer is not None:
            x = self.norm_layer(x, training=training)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.pad is not None:
            shape = self.pad.compute_output_shape(shape)
        return self.conv.compute_output_shape(shape)

    def get_config(self):
        config = super().get_config()
        conv = self.conv
        config.update({
            "filters": conv.filters, "kernel_size": conv.kernel_size, "strides": conv.strides,
            "dilation_rate": conv.dilation_rate, "groups": conv.groups, "data_format": conv.data_format,
            "kernel_initializer": keras.initializers.serialize(conv.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(conv.kernel_regularizer),
        })
        config.update(config_arguments(self, (
            "padding", "norm", "activation", "use_bias", "momentum", "epsilon", "norm_groups", "norm_scale")))
        return config
