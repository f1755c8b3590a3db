"""The one place where keras_dlx relies on Keras internals, because Keras offers no public way.

- `DropoutRNNCell` (`keras.src.layers.rnn.dropout_rnn_cell`): `keras.layers.RNN` draws one dropout mask per
  sequence and resets it between batches only for cells that are instances of this class, as `LSTMCell` is.
  keras_dlx's LSTM cells inherit from it so that `dropout` / `recurrent_dropout` behave exactly as Keras's.

- `Optimizer._get_variable_index(variable)`: the position of a trainable variable in the list the optimizer was
  built with, which is how an optimizer finds a variable's slots in `update_step`. Keras's own optimizers and the
  custom-optimizer example in `keras.optimizers.Optimizer`'s docstring use it; there is no public equivalent, and
  a plain `id(variable)` lookup would be wrong under `tf.distribute` (Keras maps per-replica variables to their
  distributed container first).

`tests/test_keras_compat.py` fails loudly when a Keras release moves or changes what is used here.
"""

from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell  # noqa: F401


def variable_index(optimizer, variable):
    """The index of `variable` in the variable list `optimizer` was built with (for its slot variables)."""
    return optimizer._get_variable_index(variable)
