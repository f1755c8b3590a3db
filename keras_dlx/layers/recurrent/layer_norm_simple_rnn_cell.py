"""Simple RNN cell with layer normalization (TensorFlow Addons' LayerNormSimpleRNNCell)."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class LayerNormSimpleRNNCell(keras.layers.SimpleRNNCell):
    """`keras.layers.SimpleRNNCell` with a layer normalization (scale only) of its pre-activation.

        h_t = activation(LN(x_t W + h_{t-1} U) + b),    LN(z) = gamma * (z - mean(z)) / sqrt(var(z) + epsilon)

    The normalization has no centring offset of its own: the cell's bias, added after it, plays that part (Ba,
    Kiros & Hinton 2016, eq. 4). Dropout and recurrent dropout act on `x_t` and `h_{t-1}` as in
    `keras.layers.SimpleRNNCell`. The normalization is the sublayer `layernorm` (weight `gamma`). TensorFlow
    Addons' arguments, weights and defaults; run it in `keras.layers.RNN`.

    Args:
        units: int > 0, dimensionality of the output and state.
        activation: as in `keras.layers.SimpleRNNCell`, and so are use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout (in [0, 1)), recurrent_dropout (in
            [0, 1)) and seed.
        layernorm_epsilon: positive float, the normalization's epsilon. Defaults to 1e-5 (Addons).
        gamma_initializer: for the normalization's `gamma`, and so are gamma_regularizer, gamma_constraint.
            Defaults to ones, None, None.

    Call arguments:
        inputs: the input of one time step, (batch, features).
        states: [h], the previous output.
        training: bool, apply `dropout` / `recurrent_dropout` (training mode only).

    Input shape:
        `inputs` (batch, features) and `states` [h (batch, units)].

    Output shape:
        `h_t` (batch, units) and the new state [h_t].

    Example:

    >>> rnn = keras.layers.RNN(keras_dlx.layers.LayerNormSimpleRNNCell(16))
    >>> tuple(rnn(keras.random.normal((4, 10, 8))).shape)
    (4, 16)

    Reference:
        - [Ba, Kiros & Hinton 2016, Layer Normalization](https://arxiv.org/abs/1607.06450)
    """

    def __init__(self, units, activation="tanh", use_bias=True, layernorm_epsilon=1e-5,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 gamma_initializer="ones", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, gamma_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, gamma_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        # Validated here, with keras_dlx's messages, before Keras's cell (which clips dropout silently) sees them.
        units = args.positive_int("units", units)
        args.activation("activation", activation)
        args.boolean("use_bias", use_bias)
        for name, value in (("kernel_initializer", kernel_initializer),
                            ("recurrent_initializer", recurrent_initializer), ("bias_initializer", bias_initializer)):
            args.initializer(name, value)
        for name, value in (("kernel_regularizer", kernel_regularizer),
                            ("recurrent_regularizer", recurrent_regularizer), ("bias_regularizer", bias_regularizer)):
            args.regularizer(name, value)
        for name, value in (("kernel_constraint", kernel_constraint), ("recurrent_constraint", recurrent_constraint),
                            ("bias_constraint", bias_constraint)):
            args.constraint(name, value)
        dropout = args.unit_interval("dropout", dropout)
        recurrent_dropout = args.unit_interval("recurrent_dropout", recurrent_dropout)
        args.seed(seed)
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.layernorm_epsilon = args.positive_float("layernorm_epsilon", layernorm_epsilon)
        args.keras_objects(self, gamma_initializer=gamma_initializer, gamma_regularizer=gamma_regularizer,
                           gamma_constraint=gamma_constraint)
        self.layernorm = keras.layers.LayerNormalization(
            epsilon=self.layernorm_epsilon, center=False, gamma_initializer=args.fresh_initializer(
                self.gamma_initializer), gamma_regularizer=self.gamma_regularizer,
            gamma_constraint=self.gamma_constraint, dtype=self.dtype_policy, name="layernorm")

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"Invalid input for layer '{self.name}': the feature dimension must be known. "
                             f"Received: input_shape={tuple(input_shape)}")
        super().build(input_shape)
        self.layernorm.build((None, self.units))

    def call(self, sequence, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        if training and self.dropout > 0:
            sequence = sequence * self.get_dropout_mask(sequence)
        if training and self.recurrent_dropout > 0:
            h = h * self.get_recurrent_dropout_mask(h)
        # The bias comes after the normalization, which would otherwise remove it.
        output = self.layernorm(ops.add(ops.matmul(sequence, self.kernel), ops.matmul(h, self.recurrent_kernel)))
        if self.bias is not None:
            output = ops.add(output, self.bias)
        if self.activation is not None:
            output = self.activation(output)
        return output, [output] if isinstance(states, (list, tuple)) else output

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("layernorm_epsilon", "gamma_initializer", "gamma_regularizer",
                                              "gamma_constraint")))
        return config
