"""Group normalization (and, with one channel per group, instance normalization)."""

import keras
from keras import ops

from keras_dlx.layers.normalization.common import add_gamma_beta, channel_axis, integer_axis, take_inputs_as_they_come
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class GroupNormalization(keras.layers.Layer):
    """Group normalization (Wu & He 2018), statistics in float32.

    The channels are split into `groups` groups; each sample is normalized with the mean and (biased) variance
    of its group's channels over all spatial positions, then scaled and shifted per channel:

        y = (x - mean_g) / sqrt(var_g + epsilon) * gamma_c + beta_c

    It has no running statistics, so training and inference compute the same thing and the batch size does not
    matter. `groups=-1` (one channel per group) is instance normalization. The statistics are always computed
    in float32: under `mixed_float16` the square of an activation of magnitude 300 already overflows float16.
    Mean and inverse deviation are folded into one per-(sample, channel) scale and shift, so after the moments
    the input is read once.

    Same arguments and weights as `keras.layers.GroupNormalization` (whose weights load unchanged).

    Args:
        groups: int, number of groups; must divide the channels. -1 means one group per channel. Defaults to 32
            (the paper's choice).
        axis: int, the channel axis (-1 for channels_last, 1 for channels_first). Defaults to -1.
        epsilon: positive float added to the variance. Defaults to 1e-3 (Keras's default; the paper uses 1e-5).
        center: bool, learn the offset `beta`. Defaults to True.
        scale: bool, learn the scale `gamma`. Defaults to True.
        beta_initializer: for the per-channel weights. Likewise gamma_initializer, beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint.

    Input shape:
        Any tensor of rank >= 2 whose channel count (along `axis`) is divisible by `groups`.

    Output shape:
        Same as the input.

    Example:

    >>> norm = keras_dlx.layers.GroupNormalization(groups=8)
    >>> tuple(norm(keras.random.normal((2, 16, 16, 32))).shape)
    (2, 16, 16, 32)

    Reference:
        - [Wu & He 2018, Group Normalization](https://arxiv.org/abs/1803.08494)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        take_inputs_as_they_come(self)
        if groups != -1:
            groups = args.positive_int("groups", groups)
        self.groups = groups
        self.axis = integer_axis(axis)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.center = args.boolean("center", center)
        self.scale = args.boolean("scale", scale)
        args.keras_objects(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                           beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                           beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2. "
                             f"Received: input_shape={tuple(input_shape)}")
        axis = channel_axis(self, input_shape, self.axis)
        channels = args.known_channels(self, input_shape, axis)
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(
                f"Invalid `groups` for layer '{self.name}': it must divide the {channels} channels of the input. "
                f"Received: groups={self.groups} (input_shape={tuple(input_shape)})")
        self._channel_axis, self._group_count, self._rank = axis, groups, len(input_shape)
        add_gamma_beta(self, channels)
        self.input_spec = keras.layers.InputSpec(ndim=len(input_shape), axes={axis: channels})

    def call(self, inputs):
        axis, groups, rank = self._channel_axis, self._group_count, self._rank
        shape = ops.shape(inputs)
        channels = inputs.shape[axis]
        # (N, ..., C, ...) -> (N, ..., G, C/G, ...): a free reshape; statistics over all but N and G.
        grouped_shape = tuple(shape[:axis]) + (groups, channels // groups) + tuple(shape[axis + 1:])
        x = ops.reshape(inputs, grouped_shape)
        if keras.backend.standardize_dtype(x.dtype) in ("float16", "bfloat16"):
            x = ops.cast(x, "float32")  # statistics in float32: x^2 of a float16 activation of 300 overflows
        reduce_axes = tuple(i for i in range(1, rank + 1) if i != axis)
        mean, variance = ops.moments(x, axes=reduce_axes, keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        weight_shape = [1] * (rank + 1)
        weight_shape[axis], weight_shape[axis + 1] = groups, channels // groups
        scale = inv if self.gamma is None else inv * ops.reshape(ops.cast(self.gamma, x.dtype), weight_shape)
        shift = -mean * scale
        if self.beta is not None:
            shift = shift + ops.reshape(ops.cast(self.beta, x.dtype), weight_shape)
        y = x * scale + shift
        return ops.cast(ops.reshape(y, shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "groups", "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
            "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")))
        return config
