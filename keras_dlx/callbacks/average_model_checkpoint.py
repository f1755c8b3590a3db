"""AverageModelCheckpoint: a ModelCheckpoint that saves the averaged weights of an SWA or EMA optimizer."""

import keras

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["AverageModelCheckpoint"]


def _averaging_optimizer(optimizer):
    """The SWA optimizer inside `optimizer` (through loss-scale and other wrappers), else a Keras optimizer with
    `use_ema=True`, else None."""
    seen = set()
    found_ema = None
    while optimizer is not None and id(optimizer) not in seen:
        seen.add(id(optimizer))
        if hasattr(optimizer, "assign_average_vars") and hasattr(optimizer, "average_of"):
            return optimizer
        if found_ema is None and getattr(optimizer, "use_ema", False):
            found_ema = optimizer
        optimizer = getattr(optimizer, "inner_optimizer", None) or getattr(optimizer, "optimizer", None)
    return found_ema


@register
class AverageModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """Save the model with the averaged weights of its optimizer, as `keras.callbacks.ModelCheckpoint` would.

    For a model trained with `keras_dlx.optimizers.SWA` (also inside a `keras.optimizers.LossScaleOptimizer` or a
    `Lookahead`), each save puts the running averages into the trainable variables first; for a Keras optimizer
    with `use_ema=True`, the exponential moving averages (through the optimizer's `finalize_variable_values`).
    With `update_weights=True` the model keeps the averaged weights and trains on from them, as TensorFlow Addons'
    `AverageModelCheckpoint` did; with False its own weights come back after the save, so training is unaffected.
    BatchNormalization statistics are saved as they are (see `keras_dlx.optimizers.SWA` for recomputing them).

    Args:
        update_weights: bool, keep the averaged weights in the model after each save.
        filepath: where to save, as `keras.callbacks.ModelCheckpoint` (`.keras`, or `.weights.h5` with
            `save_weights_only`; `{epoch}` and logged metrics may be formatted in).
        monitor: the metric for `save_best_only`. Defaults to "val_loss".
        verbose: verbosity of `keras.callbacks.ModelCheckpoint`. Defaults to 0.
        save_best_only: save only when `monitor` improves. Defaults to False.
        save_weights_only: save only the weights. Defaults to False.
        mode: "auto", "min" or "max", how `monitor` improves. Defaults to "auto".
        save_freq: "epoch" or a number of batches between saves. Defaults to "epoch".
        **kwargs: the other arguments of `keras.callbacks.ModelCheckpoint` (`initial_value_threshold`).

    Example:

    >>> import os, tempfile
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(keras_dlx.optimizers.SWA(keras.optimizers.SGD(0.1), average_period=1), "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "average.weights.h5")
    >>> saver = keras_dlx.callbacks.AverageModelCheckpoint(False, path, save_weights_only=True)
    >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=4, epochs=2, verbose=0, callbacks=[saver])
    >>> os.path.exists(path)
    True
    """

    def __init__(self, update_weights, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", **kwargs):
        self.update_weights = args.boolean("update_weights", update_weights)
        if save_freq != "epoch" and not (isinstance(save_freq, int) and not isinstance(save_freq, bool)
                                         and save_freq > 0):
            args.invalid("save_freq", save_freq, "'epoch' or a positive integer number of batches")
        super().__init__(filepath, monitor=monitor, verbose=verbose, save_best_only=save_best_only,
                         save_weights_only=save_weights_only, mode=mode, save_freq=save_freq, **kwargs)
        self._batches_to_save = None if save_freq == "epoch" else save_freq
        self._last_batch = None
        self._config = {"update_weights": update_weights, "filepath": self.filepath, "monitor": monitor,
                        "verbose": verbose, "save_best_only": save_best_only,
                        "save_weights_only": save_weights_only, "mode": mode, "save_freq": save_freq, **kwargs}

    def get_config(self):
        return dict(self._config)

    def set_model(self, model):
        super().set_model(model)
        if _averaging_optimizer(getattr(model, "optimizer", None)) is None:
            raise ValueError(
                "AverageModelCheckpoint needs a model compiled with an averaging optimizer: "
                "keras_dlx.optimizers.SWA (possibly wrapped) or a Keras optimizer with use_ema=True. "
                f"Received: optimizer={getattr(model, 'optimizer', None)!r}")

    def _saves_at_batch(self, batch):
        """Whether ModelCheckpoint saves at the end of `batch`: its count of batches since the last save."""
        seen = batch + 1 if self._last_batch is None or batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        self._batches_to_save -= seen
        if self._batches_to_save <= 0:
            self._batches_to_save = self.save_freq
            return True
        return False

    def on_train_batch_end(self, batch, logs=None):
        if self._batches_to_save is not None and self._saves_at_batch(batch):
            with self._averaged_weights():
                super().on_train_batch_end(batch, logs)
        else:
            super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            with self._averaged_weights():
                super().on_epoch_end(epoch, logs)
        else:
            super().on_epoch_end(epoch, logs)

    def _averaged_weights(self):
        return _AveragedWeights(self.model, _averaging_optimizer(self.model.optimizer), self.update_weights)


class _AveragedWeights:
    """Within the block the model's trainable variables hold their averages; after it, unless `keep`, their own
    values again."""

    def __init__(self, model, optimizer, keep):
        self.model, self.optimizer, self.keep = model, optimizer, keep

    def __enter__(self):
        variables = self.model.trainable_variables
        self.saved = None if self.keep else [keras.ops.convert_to_numpy(v) for v in variables]
        if hasattr(self.optimizer, "assign_average_vars"):
            self.optimizer.assign_average_vars(variables)
        else:
            self.optimizer.finalize_variable_values(variables)

    def __exit__(self, *exc):
        if self.saved is not None:
            for variable, value in zip(self.model.trainable_variables, self.saved):
                variable.assign(value)
        return False
