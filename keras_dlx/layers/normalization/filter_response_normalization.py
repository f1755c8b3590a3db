"""Filter response normalization (FRN), with the paper's thresholded linear unit as an option."""

import keras
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


@register
class FilterResponseNormalization(keras.layers.Layer):
    """Filter response normalization (Singh & Krishnan 2020), optionally followed by its TLU.

    Each sample and channel is divided by the root mean square of its responses over the spatial positions (no
    mean subtraction, no batch dependence), then scaled and shifted per channel:

        nu2 = mean_{spatial}(x^2);   y = gamma * x / sqrt(nu2 + epsilon) + beta

    With `use_tlu=True` the paper's thresholded linear unit follows, `z = max(y, tau)` with a learned per-channel
    `tau`, replacing the activation that usually comes next (or use the separate `TLU` layer). With
    `learned_epsilon=True` the epsilon used is `epsilon + |eps_l|`, `eps_l` a learned weight of shape (1,)
    starting at `learned_epsilon_constant`, which the paper recommends for inputs with few spatial positions.

    The defaults compute what TensorFlow Addons' `FilterResponseNormalization` computes (no TLU inside; weights
    `gamma`, `beta` and, when learned, `learned_epsilon` of shape (1,), created with the layer as Addons does, so
    `eps_learned` exists before build). Deliberate differences: `axis` is the channel axis, as everywhere in
    Keras (Addons' `axis` listed the spatial axes, and only `[1, 2]`); `gamma` and `beta` have shape
    `(channels,)` where Addons' have `(1, 1, 1, channels)` (reshape to load Addons weights); any rank >= 3 and
    channels_first work. Computed in float32 under mixed precision.

    Args:
        epsilon: positive float. Defaults to 1e-6.
        axis: int, the channel axis; statistics run over every other non-batch axis. Defaults to -1.
        use_tlu: bool, apply `max(y, tau)`. Defaults to False (Addons' behaviour).
        learned_epsilon: bool, learn an extra epsilon. Defaults to False.
        learned_epsilon_constant: positive float, its initial value. Defaults to 1e-4 (Addons' fixed value).
        learned_epsilon_constraint: constraint for the learned epsilon (as in Addons).
        beta_initializer: for the per-channel weights. Likewise gamma_initializer, tau_initializer,
            beta_regularizer, gamma_regularizer, tau_regularizer, beta_constraint, gamma_constraint, tau_constraint.

    Input shape:
        Any tensor of rank >= 3 (batch, spatial..., channels or channels first).

    Output shape:
        Same as the input.

    Example:

    >>> frn = keras_dlx.layers.FilterResponseNormalization(use_tlu=True)
    >>> tuple(frn(keras.random.normal((2, 8, 8, 16))).shape)
    (2, 8, 8, 16)

    Reference:
        - [Singh & Krishnan 2020, Filter Response Normalization Layer](https://arxiv.org/abs/1911.09737)
    """

    def __init__(self, epsilon=1e-6, axis=-1, use_tlu=False, learned_epsilon=False, learned_epsilon_constant=1e-4,
                 learned_epsilon_constraint=None, beta_initializer="zeros", gamma_initializer="ones",
                 tau_initializer="zeros", beta_regularizer=None, gamma_regularizer=None, tau_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, tau_constraint=None, **kwargs):
        super().__init__(**kwargs)
        take_inputs_as_they_come(self)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.axis = integer_axis(axis)
        self.use_tlu = args.boolean("use_tlu", use_tlu)
        self.learned_epsilon = args.boolean("learned_epsilon", learned_epsilon)
        self.learned_epsilon_constant = args.positive_float("learned_epsilon_constant", learned_epsilon_constant)
        args.keras_objects(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                           tau_initializer=tau_initializer, beta_regularizer=beta_regularizer,
                           gamma_regularizer=gamma_regularizer, tau_regularizer=tau_regularizer,
                           beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
                           tau_constraint=tau_constraint, learned_epsilon_constraint=learned_epsilon_constraint)
        self.eps_learned = None
        if self.learned_epsilon:
            # Created with the layer, as in Addons: it does not depend on the input shape.
            self.eps_learned = self.add_weight(
                name="learned_epsilon", shape=(1,), constraint=self.learned_epsilon_constraint,
                initializer=keras.initializers.Constant(self.learned_epsilon_constant))

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 3 "
                             f"(batch, spatial..., channels). Received: input_shape={tuple(input_shape)}")
        self._channel_axis = channel_axis(self, input_shape, self.axis)
        channels = args.known_channels(self, input_shape, self._channel_axis)

        def per_channel(name):
            return self.add_weight(name=name, shape=(channels,),
                                   initializer=args.fresh_initializer(getattr(self, f"{name}_initializer")),
                                   regularizer=getattr(self, f"{name}_regularizer"),
                                   constraint=getattr(self, f"{name}_constraint"))

        self.gamma, self.beta = per_channel("gamma"), per_channel("beta")
        self.tau = per_channel("tau") if self.use_tlu else None
        self.input_spec = keras.layers.InputSpec(ndim=len(input_shape), axes={self._channel_axis: channels})

    def call(self, inputs):
        rank, axis = len(inputs.shape), self._channel_axis
        x = to_float32_channels_last(inputs, axis)
        nu2 = ops.mean(ops.square(x), axis=tuple(range(1, rank - 1)), keepdims=True)
        epsilon = self.epsilon
        if self.eps_learned is not None:
            epsilon = epsilon + ops.abs(ops.cast(self.eps_learned, x.dtype))
        y = x * (ops.rsqrt(nu2 + epsilon) * ops.cast(self.gamma, x.dtype)) + ops.cast(self.beta, x.dtype)
        if self.tau is not None:
            y = ops.maximum(y, ops.cast(self.tau, x.dtype))
        return from_float32_channels_last(y, axis, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "epsilon", "axis", "use_tlu", "learned_epsilon", "learned_epsilon_constant",
            "learned_epsilon_constraint", "beta_initializer",
            "gamma_initializer", "tau_initializer", "beta_regularizer", "gamma_regularizer", "tau_regularizer",
            "beta_constraint", "gamma_constraint", "tau_constraint")))
        return config
