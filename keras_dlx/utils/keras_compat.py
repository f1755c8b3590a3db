"""The one place where keras_dlx relies on Keras internals, because Keras offers no public way.

- `DropoutRNNCell` (`keras.src.layers.rnn.dropout_rnn_cell`): `keras.layers.RNN` draws one dropout mask per
  sequence and resets it between batches only for cells that are instances of this class, as `LSTMCell` is.
  keras_dlx's LSTM cells inherit from it so that `dropout` / `recurrent_dropout` behave exactly as Keras's.

`tests/test_keras_compat.py` fails loudly when a Keras release moves or changes what is used here.
"""

from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell  # noqa: F401
