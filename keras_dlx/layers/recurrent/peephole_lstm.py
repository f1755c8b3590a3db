"""LSTM with peephole connections (Gers & Schmidhuber 2000)."""

from keras import ops

from keras_dlx.layers.recurrent.lstm_variant import LSTMVariant, LSTMVariantCell, document
from keras_dlx.utils.registration import register

_ARGS = """        units: int > 0, dimensionality of the state and output. The peephole vectors (units,) use
            `kernel_initializer`, `kernel_regularizer` and `kernel_constraint`, as in TensorFlow Addons."""


@register
class PeepholeLSTMCell(LSTMVariantCell):
    __doc__ = document("""LSTM cell with diagonal peephole connections (TensorFlow Addons semantics).

    The gates look at the cell state: input and forget gates at `c_{t-1}`, the output gate at the new `c_t`:

        i = s(x W_i + h U_i + b_i + p_i * c_{t-1})      f = s(x W_f + h U_f + b_f + p_f * c_{t-1})
        c_t = f * c_{t-1} + i * tanh(x W_c + h U_c + b_c)
        o = s(x W_o + h U_o + b_o + p_o * c_t)          h_t = o * tanh(c_t)

    Gate order in the fused `kernel`, `recurrent_kernel` and `bias` is (i, f, c, o), as in `keras.layers.LSTMCell`,
    and the peepholes are the vectors `input_gate_peephole_weights`, `forget_gate_peephole_weights` and
    `output_gate_peephole_weights` of shape (units,): a TensorFlow Addons `PeepholeLSTMCell` transfers weight by
    weight, in the same order (kernel, recurrent_kernel, bias, then the three peepholes). With zero peepholes it is
    `keras.layers.LSTMCell`.

    Args:
{args}

{cell_shapes}

    Example:

    >>> rnn = keras.layers.RNN(keras_dlx.layers.PeepholeLSTMCell(16))
    >>> tuple(rnn(keras.random.normal((4, 10, 8))).shape)
    (4, 16)

    Reference:
        - [Gers & Schmidhuber 2000, Recurrent nets that time and count](https://doi.org/10.1109/IJCNN.2000.861302)
    """, _ARGS)

    state_vector_names = ("input_gate_peephole_weights", "forget_gate_peephole_weights",
                          "output_gate_peephole_weights")

    def build_extra(self):
        for name in self.state_vector_names:
            setattr(self, name, self.add_state_vector(name))

    def step(self, inputs, h, c, weights):
        z = ops.add(self.project(inputs, weights), ops.matmul(h, weights["recurrent_kernel"]))
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        i = self.recurrent_activation(z_i + weights["input_gate_peephole_weights"] * c)
        f = self.recurrent_activation(z_f + weights["forget_gate_peephole_weights"] * c)
        c_new = f * c + i * self.activation(z_c)
        o = self.recurrent_activation(z_o + weights["output_gate_peephole_weights"] * c_new)
        return o * self.activation(c_new), c_new


@register
class PeepholeLSTM(LSTMVariant):
    __doc__ = document("""LSTM layer with peephole connections (Gers & Schmidhuber 2000).

    Runs `PeepholeLSTMCell` (see its formulas) over a sequence, its weights prepared once per sequence (read once,
    peepholes broadcast to the state's shape), so the loop does little more per step than `keras.layers.LSTM`'s
    (speed: docs/benchmarks.md). Everything
    `keras.layers.RNN` offers works: masking (padded steps keep the previous state), `return_sequences`,
    `return_state`, `go_backwards`, `stateful`, `unroll`, `initial_state`, `keras.layers.Bidirectional`.

    Args:
{args}
{layer_shapes}

    Example:

    >>> layer = keras_dlx.layers.PeepholeLSTM(32, return_sequences=True)
    >>> tuple(layer(keras.random.normal((4, 10, 8))).shape)
    (4, 10, 32)

    Reference:
        - [Gers, Schraudolph & Schmidhuber 2002, Learning precise timing with LSTM recurrent networks](https://www.jmlr.org/papers/v3/gers02a.html)
    """, _ARGS)

    cell_class = PeepholeLSTMCell
