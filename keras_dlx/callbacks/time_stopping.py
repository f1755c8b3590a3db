"""TimeStopping: end training at the first epoch end past a time budget."""

import datetime
import numbers
import time

import keras

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["TimeStopping"]


@register
class TimeStopping(keras.callbacks.Callback):
    """Stop training when a time budget is spent, at the end of the epoch that spends it.

    The clock starts when training begins; at the end of each epoch, when `seconds` have passed, the model's
    `stop_training` is set, so `fit` returns after that (complete) epoch. Same arguments and behaviour as
    TensorFlow Addons' `TimeStopping`, whose message it prints with `verbose > 0`. `stopped_epoch` is the
    (0-based) epoch it stopped at, or None.

    Args:
        seconds: positive number, the time budget in seconds. Defaults to 86400 (one day).
        verbose: integer >= 0; above 0, print when training was stopped. Defaults to 0.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> stopper = keras_dlx.callbacks.TimeStopping(seconds=1e-9)
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=5, verbose=0, callbacks=[stopper])
    >>> len(history.history["loss"]), stopper.stopped_epoch
    (1, 0)
    """

    def __init__(self, seconds=86400, verbose=0):
        super().__init__()
        if not isinstance(seconds, numbers.Real) or isinstance(seconds, bool) or not seconds > 0:
            args.invalid("seconds", seconds, "a positive number of seconds")
        if not isinstance(verbose, numbers.Integral) or isinstance(verbose, bool) or verbose < 0:
            args.invalid("verbose", verbose, "an integer >= 0")
        self.seconds = seconds
        self.verbose = int(verbose)
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.stopped_epoch = None
        self.stopping_time = time.time() + self.seconds

    def on_epoch_end(self, epoch, logs=None):
        if time.time() >= self.stopping_time:
            self.model.stop_training = True
            self.stopped_epoch = epoch

    def on_train_end(self, logs=None):
        if self.stopped_epoch is not None and self.verbose > 0:
            spent = datetime.timedelta(seconds=self.seconds)
            print(f"Timed stopping at epoch {self.stopped_epoch + 1} after training for {spent}")

    def get_config(self):
        return {"seconds": self.seconds, "verbose": self.verbose}
