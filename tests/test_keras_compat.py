"""What keras_dlx.utils.keras_compat relies on still holds in the installed Keras: fails loudly when it changes."""

import inspect

import keras
import numpy as np

from keras_dlx import layers
from keras_dlx.utils import keras_compat


def test_dropout_rnn_cell_has_the_methods_keras_dlx_cells_use():
    for name in ("get_dropout_mask", "get_recurrent_dropout_mask", "reset_dropout_mask",
                 "reset_recurrent_dropout_mask"):
        assert callable(getattr(keras_compat.DropoutRNNCell, name, None)), f"DropoutRNNCell.{name} is gone"
    assert issubclass(keras.layers.LSTMCell, keras_compat.DropoutRNNCell), "Keras's own LSTMCell stopped using it"
    assert "DropoutRNNCell" in inspect.getsource(keras.layers.RNN), "keras.layers.RNN no longer resets its masks"


def test_rnn_resets_the_cells_dropout_masks_between_batches():
    cell = layers.PeepholeLSTMCell(4, dropout=0.5, seed=1)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    x = np.ones((1, 6, 8), "float32")
    a = keras.ops.convert_to_numpy(rnn(x, training=True))
    b = keras.ops.convert_to_numpy(rnn(x, training=True))
    # Were the cached mask not reset by RNN, the second batch would reuse it and give the same output.
    assert not np.allclose(a, b), "the same dropout mask was reused across batches (masks not reset by RNN)"


def test_variable_index_is_the_position_in_the_built_variable_list():
    variables = [keras.Variable(np.zeros(shape, "float32")) for shape in [(2,), (3, 2), (1,)]]
    optimizer = keras.optimizers.SGD()
    optimizer.build(variables)
    assert [keras_compat.variable_index(optimizer, v) for v in variables] == [0, 1, 2]
