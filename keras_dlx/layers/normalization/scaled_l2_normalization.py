"""SSD's (ParseNet's) L2 normalization across channels with a learned per-channel scale."""

import keras
from keras import ops

from keras_dlx.layers.normalization.common import (
    from_float32_channels_last,
    take_inputs_as_they_come,
    to_float32_channels_last,
)
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

__all__ = ["ScaledL2Normalization"]


@register
class ScaledL2Normalization(keras.layers.Layer):
    """L2 normalization across channels, then a learned per-channel scale (ParseNet; SSD's conv4_3_norm).

    At every position the channel vector is divided by its L2 norm and multiplied channel-wise by a learned
    scale `gamma` (SSD initialises it to 20):

        y_c = gamma_c * x_c / sqrt(sum_k x_k^2 + epsilon)

    The point is to combine maps of different activation scales: SSD's earliest map (VGG16's conv4_3) has much
    larger activations than the later ones, so its prediction head would see another scale; normalised, with a
    scale the network learns, it trains like the others (Liu et al. 2016, after Liu, Rabinovich & Berg 2015).

    What it adds over `keras.layers.UnitNormalization`: the learned scale (per channel, or one shared by all
    channels with `channel_shared=True`, Caffe's `Normalize` option), the channel axis from `data_format`, the
    epsilon inside the square root as Caffe's layer has it (UnitNormalization clamps the squared norm at
    1e-12 instead), and float32 statistics under mixed precision (`x^2` of a float16 activation of 300 overflows).

    Args:
        scale_initializer: initializer of the scale. Defaults to `keras.initializers.Constant(20.0)` (SSD's).
        channel_shared: bool, one scale for all channels instead of one per channel. Defaults to False (SSD's).
        epsilon: positive float added to the squared norm. Defaults to 1e-10 (Caffe's).
        data_format: `"channels_last"` or `"channels_first"`: where the channel axis is (the last axis, or axis
            1). Defaults to `keras.config.image_data_format()`.
        scale_regularizer: regularizer of the scale. Defaults to None.
        scale_constraint: constraint of the scale. Defaults to None.

    Input shape:
        Any tensor of rank >= 2 whose channel axis is known.

    Output shape:
        Same as the input.

    Example:

    >>> norm = keras_dlx.layers.ScaledL2Normalization()
    >>> y = norm(np.array([[[[3.0, 4.0]]]], "float32"))
    >>> np.round(keras.ops.convert_to_numpy(y), 4)
    array([[[[12., 16.]]]], dtype=float32)

    Reference:
        - [Liu, Rabinovich & Berg 2015, ParseNet: Looking Wider to See Better](https://arxiv.org/abs/1506.04579)
        - [Liu et al. 2016, SSD: Single Shot MultiBox Detector](https://arxiv.org/abs/1512.02325)
    """

    def __init__(self, scale_initializer=None, channel_shared=False, epsilon=1e-10, data_format=None,
                 scale_regularizer=None, scale_constraint=None, **kwargs):
        super().__init__(**kwargs)
        take_inputs_as_they_come(self)
        if scale_initializer is None:
            scale_initializer = keras.initializers.Constant(20.0)
        args.keras_objects(self, scale_initializer=scale_initializer, scale_regularizer=scale_regularizer,
                           scale_constraint=scale_constraint)
        self.channel_shared = args.boolean("channel_shared", channel_shared)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.data_format = args.data_format(data_format)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2 (batch, ..., "
                             f"channels). Received: input_shape={tuple(input_shape)}")
        self._channel_axis = args.channel_axis(self.data_format) % len(input_shape)
        channels = args.known_channels(self, input_shape, self._channel_axis)
        self.scale = self.add_weight(name="scale", shape=(1 if self.channel_shared else channels,),
                                     initializer=args.fresh_initializer(self.scale_initializer),
                                     regularizer=self.scale_regularizer, constraint=self.scale_constraint)

    def call(self, inputs):
        x = to_float32_channels_last(inputs, self._channel_axis)
        inverse_norm = ops.rsqrt(ops.sum(ops.square(x), axis=-1, keepdims=True) + self.epsilon)
        y = x * inverse_norm * ops.cast(self.scale, x.dtype)
        return from_float32_channels_last(y, self._channel_axis, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("scale_initializer", "channel_shared", "epsilon", "data_format",
                                              "scale_regularizer", "scale_constraint")))
        return config
