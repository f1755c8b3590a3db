"""LSTM with layer normalization (TensorFlow Addons' LayerNormLSTMCell)."""

import keras
from keras import ops

from keras_dlx.layers.recurrent.lstm_variant import LSTMVariant, LSTMVariantCell, document
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

_ARGS = """        units: int > 0, dimensionality of the state and output.
        norm_gamma_initializer, norm_beta_initializer: of the three layer normalizations. Default to ones, zeros.
        norm_epsilon: positive float, their epsilon. Defaults to 1e-3 (TensorFlow Addons)."""


@register
class LayerNormLSTMCell(LSTMVariantCell):
    __doc__ = document("""LSTM cell with layer normalization, TensorFlow Addons' `LayerNormLSTMCell` semantics.

    Separate layer normalizations of the input and recurrent projections over the fused gate vector, and of the
    cell state, which is carried normalized:

        z = LN_k(x W) + LN_r(h U) + b                 (fused (i, f, c, o) vector of 4 * units)
        c_t = LN_c(s(z_f) * c_{t-1} + s(z_i) * tanh(z_c))
        h_t = s(z_o) * tanh(c_t)

    (Ba, Kiros & Hinton 2016.) The normalizations are sublayers `kernel_norm`, `recurrent_norm`, `state_norm`.

    Args:
{args}

{cell_shapes}

    Example:

    >>> rnn = keras.layers.RNN(keras_dlx.layers.LayerNormLSTMCell(16))
    >>> tuple(rnn(keras.random.normal((4, 10, 8))).shape)
    (4, 16)

    Reference:
        - [Ba, Kiros & Hinton 2016, Layer Normalization](https://arxiv.org/abs/1607.06450)
    """, _ARGS)

    def __init__(self, units, norm_gamma_initializer="ones", norm_beta_initializer="zeros", norm_epsilon=1e-3,
                 **kwargs):
        super().__init__(units, **kwargs)
        self.norm_gamma_initializer = args.initializer("norm_gamma_initializer", norm_gamma_initializer)
        self.norm_beta_initializer = args.initializer("norm_beta_initializer", norm_beta_initializer)
        self.norm_epsilon = args.positive_float("norm_epsilon", norm_epsilon)
        self.kernel_norm = self._norm("kernel_norm")
        self.recurrent_norm = self._norm("recurrent_norm")
        self.state_norm = self._norm("state_norm")

    def _norm(self, name):
        return keras.layers.LayerNormalization(
            epsilon=self.norm_epsilon, gamma_initializer=args.fresh_initializer(self.norm_gamma_initializer),
            beta_initializer=args.fresh_initializer(self.norm_beta_initializer), dtype=self.dtype_policy, name=name)

    def build_extra(self):
        self.kernel_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))
        self.state_norm.build((None, self.units))

    def step(self, inputs, h, c, weights):
        z = ops.add(self.kernel_norm(ops.matmul(inputs, weights["kernel"])),
                    self.recurrent_norm(ops.matmul(h, weights["recurrent_kernel"])))
        if self.use_bias:
            z = ops.add(z, weights["bias"])
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        c_new = self.state_norm(self.recurrent_activation(z_f) * c
                                + self.recurrent_activation(z_i) * self.activation(z_c))
        return self.recurrent_activation(z_o) * self.activation(c_new), c_new

    def get_config(self):
        config = super().get_config()
        config.update({
            "norm_gamma_initializer": keras.initializers.serialize(self.norm_gamma_initializer),
            "norm_beta_initializer": keras.initializers.serialize(self.norm_beta_initializer),
            "norm_epsilon": self.norm_epsilon,
        })
        return config


@register
class LayerNormLSTM(LSTMVariant):
    __doc__ = document("""Layer-normalized LSTM layer (TensorFlow Addons semantics).

    Runs `LayerNormLSTMCell` (see its formulas) over a sequence, its kernels read once per sequence. Everything
    `keras.layers.RNN` offers works (masking, `return_sequences`, `return_state`, `go_backwards`, `stateful`,
    `unroll`, `Bidirectional`).

    Args:
{args}
{layer_shapes}

    Example:

    >>> layer = keras_dlx.layers.LayerNormLSTM(32, return_state=True)
    >>> output, h, c = layer(keras.random.normal((4, 10, 8)))

    Reference:
        - [Ba, Kiros & Hinton 2016, Layer Normalization](https://arxiv.org/abs/1607.06450)
    """, _ARGS)

    cell_class = LayerNormLSTMCell
