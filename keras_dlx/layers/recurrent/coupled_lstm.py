"""LSTM with coupled input and forget gates (CIFG)."""

from keras import ops

from keras_dlx.layers.recurrent.lstm_variant import LSTMVariant, LSTMVariantCell, document
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

_ARGS = """        units: int > 0, dimensionality of the state and output.
        use_peepholes: bool, add diagonal peepholes to the forget gate (c_{t-1}) and output gate (c_t). Defaults
            to False."""


@register
class CoupledLSTMCell(LSTMVariantCell):
    __doc__ = document("""LSTM cell with a coupled input and forget gate (CIFG): the input gate is `1 - f`.

    Greff et al. ("LSTM: A Search Space Odyssey") found this variant as good as the full LSTM with a quarter fewer
    gate parameters: three fused gate blocks, in the order (f, c, o):

        f = s(x W_f + h U_f + b_f [+ p_f * c_{t-1}])
        c_t = f * c_{t-1} + (1 - f) * tanh(x W_c + h U_c + b_c)
        o = s(x W_o + h U_o + b_o [+ p_o * c_t])          h_t = o * tanh(c_t)

    Args:
{args}

{cell_shapes}

    Example:

    >>> rnn = keras.layers.RNN(keras_dlx.layers.CoupledLSTMCell(16, use_peepholes=True))
    >>> tuple(rnn(keras.random.normal((4, 10, 8))).shape)
    (4, 16)

    Reference:
        - [Greff, Srivastava, Koutnik, Steunebrink & Schmidhuber 2017, LSTM: A Search Space Odyssey](https://arxiv.org/abs/1503.04069)
    """, _ARGS)

    gates = 3
    forget_gate = 0

    def __init__(self, units, use_peepholes=False, **kwargs):
        super().__init__(units, **kwargs)
        self.use_peepholes = args.boolean("use_peepholes", use_peepholes)

    @property
    def state_vector_names(self):
        return ("forget_gate_peephole_weights", "output_gate_peephole_weights") if self.use_peepholes else ()

    def build_extra(self):
        for name in self.state_vector_names:
            setattr(self, name, self.add_state_vector(name))

    def step(self, inputs, h, c, weights):
        z = ops.add(self.project(inputs, weights), ops.matmul(h, weights["recurrent_kernel"]))
        z_f, z_c, z_o = ops.split(z, 3, axis=-1)
        if self.use_peepholes:
            z_f = z_f + weights["forget_gate_peephole_weights"] * c
        f = self.recurrent_activation(z_f)
        c_new = f * c + (1.0 - f) * self.activation(z_c)
        if self.use_peepholes:
            z_o = z_o + weights["output_gate_peephole_weights"] * c_new
        return self.recurrent_activation(z_o) * self.activation(c_new), c_new

    def get_config(self):
        config = super().get_config()
        config["use_peepholes"] = self.use_peepholes
        return config


@register
class CoupledLSTM(LSTMVariant):
    __doc__ = document("""Coupled input-forget gate LSTM layer (CIFG).

    Runs `CoupledLSTMCell` (see its formulas) over a sequence, its weights prepared once per sequence, with
    everything `keras.layers.RNN` offers
    (masking, `return_sequences`, `return_state`, `go_backwards`, `stateful`, `unroll`, `Bidirectional`).

    Args:
{args}
{layer_shapes}

    Example:

    >>> layer = keras_dlx.layers.CoupledLSTM(32)
    >>> tuple(layer(keras.random.normal((4, 10, 8))).shape)
    (4, 32)

    Reference:
        - [Greff et al. 2017, LSTM: A Search Space Odyssey](https://arxiv.org/abs/1503.04069)
    """, _ARGS)

    cell_class = CoupledLSTMCell
