"""MobileNet's depthwise-separable block as one layer."""

import keras
from keras import ops

from keras_dlx.layers.convolution import conv_ops
from keras_dlx.layers.convolution.base_conv import expected_shape
from keras_dlx.layers.normalization.float64_batch_normalization import Float64BatchNormalization
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class DepthwiseSeparableConv2D(keras.layers.Layer):
    """Depthwise-separable convolution, MobileNet style: depthwise -> BN -> act -> pointwise -> BN -> act.

    A KxK convolution is factored into a per-channel (depthwise) KxK convolution with `depth_multiplier`
    filters per channel and a 1x1 (pointwise) convolution that mixes channels, cutting the cost by roughly
    `1 / filters + 1 / K^2` (Howard et al. 2017). Unlike `keras.layers.SeparableConv2D`, which chains the two
    convolutions directly, MobileNet normalises and activates in between; both are available here:

        h = intermediate_activation(BN(depthwise(x)))    # BN only if intermediate_normalization
        y = activation(BN(pointwise(h) + bias))          # BN only if normalization, bias only if use_bias

    With `intermediate_normalization=False, intermediate_activation=None, normalization=False, activation=None,
    use_bias=True` it computes exactly `keras.layers.SeparableConv2D`, and its weights (`depthwise_kernel`,
    `pointwise_kernel`, `bias`) have the same names and shapes. `strides` and `dilation_rate` may both exceed 1.

    Args:
        filters: int, number of output channels.
        kernel_size: int or tuple of 2 ints, the depthwise kernel.
        strides: int or tuple of 2 ints, applied by the depthwise convolution. Defaults to 1.
        padding: `"valid"` or `"same"`. Defaults to `"same"`.
        depth_multiplier: int, depthwise filters per input channel. Defaults to 1.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 2 ints. Defaults to 1.
        activation: activation after the pointwise stage. Defaults to `"relu"`.
        intermediate_activation: activation after the depthwise stage, or None. Defaults to `"relu"`.
        normalization: bool, BatchNormalization after the pointwise convolution. Defaults to True.
        intermediate_normalization: bool, BatchNormalization after the depthwise convolution. Defaults to True.
        use_bias: bool, a bias after the pointwise convolution. Defaults to False (BatchNormalization has one).
        momentum, epsilon: of both BatchNormalization layers. Default to 0.99 and 1e-3 (Keras's defaults).
        depthwise_initializer: as in `keras.layers.SeparableConv2D`. Likewise pointwise_initializer,
            bias_initializer, depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, pointwise_constraint, bias_constraint.

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        4D tensor with `filters` channels; spatial sizes as in `keras.layers.SeparableConv2D`.

    Example:

    >>> block = keras_dlx.layers.DepthwiseSeparableConv2D(64, 3, strides=2)
    >>> tuple(block(keras.ops.ones((2, 32, 32, 16))).shape)
    (2, 16, 16, 64)

    Reference:
        - [Howard et al. 2017, MobileNets](https://arxiv.org/abs/1704.04861)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="same", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation="relu", intermediate_activation="relu", normalization=True,
                 intermediate_normalization=True, use_bias=False, momentum=0.99, epsilon=1e-3,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=args.regularizer("activity_regularizer", activity_regularizer),
                         **kwargs)
        self.filters = args.positive_int("filters", filters)
        self.kernel_size = args.int_tuple("kernel_size", kernel_size, 2)
        self.strides = args.int_tuple("strides", strides, 2)
        self.padding = args.one_of("padding", padding, ("valid", "same"))
        self.depth_multiplier = args.positive_int("depth_multiplier", depth_multiplier)
        self.data_format = args.data_format(data_format)
        self.dilation_rate = args.int_tuple("dilation_rate", dilation_rate, 2)
        self.activation = args.activation("activation", activation)
        self.intermediate_activation = args.activation("intermediate_activation", intermediate_activation)
        self.normalization = args.boolean("normalization", normalization)
        self.intermediate_normalization = args.boolean("intermediate_normalization", intermediate_normalization)
        self.use_bias = args.boolean("use_bias", use_bias)
        self.momentum = args.unit_interval("momentum", momentum, closed_right=True)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.depthwise_initializer = args.initializer("depthwise_initializer", depthwise_initializer)
        self.pointwise_initializer = args.initializer("pointwise_initializer", pointwise_initializer)
        self.bias_initializer = args.initializer("bias_initializer", bias_initializer)
        self.depthwise_regularizer = args.regularizer("depthwise_regularizer", depthwise_regularizer)
        self.pointwise_regularizer = args.regularizer("pointwise_regularizer", pointwise_regularizer)
        self.bias_regularizer = args.regularizer("bias_regularizer", bias_regularizer)
        self.depthwise_constraint = args.constraint("depthwise_constraint", depthwise_constraint)
        self.pointwise_constraint = args.constraint("pointwise_constraint", pointwise_constraint)
        self.bias_constraint = args.constraint("bias_constraint", bias_constraint)
        self.channel_axis = args.channel_axis(self.data_format)
        # The layer computes channels_last internally, so both normalizations use the last axis.
        self.depthwise_norm = self._batch_norm("depthwise_norm") if self.intermediate_normalization else None
        self.pointwise_norm = self._batch_norm("pointwise_norm") if self.normalization else None

    def _batch_norm(self, name):
        return Float64BatchNormalization(axis=-1, momentum=self.momentum, epsilon=self.epsilon,
                                   dtype=self.dtype_policy, name=name)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, expected_shape(2, self.data_format))
        channels = args.known_channels(self, input_shape, self.channel_axis)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=args.fresh_initializer(self.depthwise_initializer), regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1, 1, channels * self.depth_multiplier, self.filters),
            initializer=args.fresh_initializer(self.pointwise_initializer), regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=args.fresh_initializer(self.bias_initializer),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        last = self._channels_last_shape(input_shape)
        if self.depthwise_norm is not None:
            self.depthwise_norm.build(last[:-1] + (channels * self.depth_multiplier,))
        if self.pointwise_norm is not None:
            self.pointwise_norm.build(last[:-1] + (self.filters,))
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={self.channel_axis: channels})

    def _channels_last_shape(self, shape):
        shape = tuple(shape)
        return shape if self.data_format == "channels_last" else (shape[0],) + shape[2:] + (shape[1],)

    def call(self, inputs, training=None):
        x = conv_ops.to_channels_last(inputs, self.data_format)
        x = conv_ops.depthwise_conv(x, self.depthwise_kernel, self.strides, self.padding, self.dilation_rate)
        if self.depthwise_norm is not None:
            x = self.depthwise_norm(x, training=training)
        x = self.intermediate_activation(x)
        x = ops.conv(x, self.pointwise_kernel, data_format="channels_last")
        if self.use_bias:
            x = ops.add(x, self.bias)
        if self.pointwise_norm is not None:
            x = self.pointwise_norm(x, training=training)
        x = self.activation(x)
        return conv_ops.from_channels_last(x, self.data_format)

    def compute_output_shape(self, input_shape):
        last = self._channels_last_shape(input_shape)
        spatial = tuple(conv_ops.conv_output_length(n, k, s, d, self.padding)
                        for n, k, s, d in zip(last[1:3], self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (self.filters,)
        return (input_shape[0], self.filters) + spatial

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "filters", "kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate",
            "activation", "intermediate_activation", "normalization", "intermediate_normalization", "use_bias",
            "momentum", "epsilon", "depthwise_initializer", "pointwise_initializer", "bias_initializer",
            "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer",
            "depthwise_constraint", "pointwise_constraint", "bias_constraint")))
        return config
