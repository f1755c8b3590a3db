"""The argument handling, weights and bookkeeping shared by keras_dlx's N-D convolution layers."""

import keras
from keras import ops

from keras_dlx.layers.convolution import conv_ops
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments

_SPATIAL_NAMES = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
                  3: "(batch, depth, height, width, channels)"}


def expected_shape(rank, data_format):
    """Human-readable expected input layout, for error messages."""
    description = _SPATIAL_NAMES[rank]
    if data_format == "channels_first":
        parts = description.strip("()").split(", ")
        description = "(" + ", ".join([parts[0], parts[-1]] + parts[1:-1]) + ")"
    return description


class BaseConv(keras.layers.Layer):
    """N-D convolution with Keras's arguments, grouped kernels and strides + dilation together.

    Subclasses choose the defaults and the extras (channel shuffle, gridding warnings); the arithmetic lives in
    `conv_ops.conv`. The kernel has Keras's layout ``kernel_size + (input_channels // groups, filters)``, so
    weights move to and from `keras.layers.Conv{1,2,3}D` unchanged.
    """

    rank = None  # set by each concrete subclass

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=args.regularizer("activity_regularizer", activity_regularizer),
                         **kwargs)
        rank = self.rank
        self.filters = args.positive_int("filters", filters)
        self.kernel_size = args.int_tuple("kernel_size", kernel_size, rank)
        self.strides = args.int_tuple("strides", strides, rank)
        self.padding = args.one_of("padding", padding, ("valid", "same"))
        self.data_format = args.data_format(data_format)
        self.dilation_rate = args.int_tuple("dilation_rate", dilation_rate, rank)
        self.groups = args.positive_int("groups", groups)
        if self.filters % self.groups:
            args.invalid("groups", groups, f"a divisor of filters={self.filters}")
        self.activation = args.activation("activation", activation)
        self.use_bias = args.boolean("use_bias", use_bias)
        args.keras_objects(self, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                           kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.channel_axis = args.channel_axis(self.data_format)

    def _input_channels(self, input_shape):
        args.input_rank(self, input_shape, self.rank + 2, expected_shape(self.rank, self.data_format))
        channels = args.known_channels(self, input_shape, self.channel_axis)
        if channels % self.groups:
            raise ValueError(
                f"Invalid input for layer '{self.name}': `groups`={self.groups} must divide the number of input "
                f"channels. Received: input_shape={tuple(input_shape)} with {channels} channels")
        return channels

    def kernel_shape(self, channels):
        return self.kernel_size + (channels // self.groups, self.filters)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_shape(channels),
            initializer=args.fresh_initializer(self.kernel_initializer), regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=args.fresh_initializer(self.bias_initializer),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = keras.layers.InputSpec(ndim=self.rank + 2, axes={self.channel_axis: channels})

    def convolve(self, x):
        """The linear part on a channels_last tensor; subclasses may post-process."""
        y = conv_ops.conv(x, self.kernel, self.strides, self.padding, self.dilation_rate, self.groups)
        if self.use_bias:
            y = ops.add(y, self.bias)
        return y

    def call(self, inputs):
        x = conv_ops.to_channels_last(inputs, self.data_format)
        y = self.convolve(x)
        y = self.activation(y)
        return conv_ops.from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
        out = tuple(conv_ops.conv_output_length(n, k, s, d, self.padding)
                    for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation",
            "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
            "activity_regularizer", "kernel_constraint", "bias_constraint")))
        return config
