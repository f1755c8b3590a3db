"""What the keras_dlx losses share: a `keras.losses.Loss` base that saves its arguments, and rank alignment."""

import keras
from keras import ops


class ArgumentsLoss(keras.losses.Loss):
    """A `keras.losses.Loss` whose `get_config` lists the constructor arguments named in `_arguments`."""

    _arguments = ()

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        config["dtype"] = self.dtype
        config.update({name: getattr(self, name) for name in self._arguments})
        return config


def same_rank(y_true, y_pred):
    """Give the lower-rank one of two tensors a trailing axis when their ranks differ by one, as Keras's losses do
    (so that `(batch,)` labels meet `(batch, 1)` predictions element by element, not as a `(batch, batch)`
    broadcast)."""
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if true_rank == pred_rank - 1:
        y_true = ops.expand_dims(y_true, -1)
    elif pred_rank == true_rank - 1:
        y_pred = ops.expand_dims(y_pred, -1)
    return y_true, y_pred
