"""Stochastic Weight Averaging (SWA): keep the average of the weights an optimizer visits, every few steps."""

from keras import ops

from keras_dlx.optimizers.lookahead import OptimizerWrapper
from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["SWA"]


def _non_negative_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        args.invalid(name, value, "an integer >= 0")
    return value


@register
class SWA(OptimizerWrapper):
    """Stochastic Weight Averaging (Izmailov et al. 2018): the running average of the weights along training.

    The inner optimizer trains the variables as usual; after the step that brings the iteration count `i` (0 for
    the first step) to `start_averaging + n * average_period`, the weights are folded into an equally weighted
    average of the `n + 1` snapshots taken so far:

        average <- (average * n + w) / (n + 1)

    The model keeps training its own weights; the averaged ones are read with `average_of(variable)` and put into
    the model at the end with `assign_average_vars`. A model with BatchNormalization then needs new moving
    statistics for the averaged weights (the paper's extra pass over the data in training mode):

        optimizer = keras_dlx.optimizers.SWA(keras.optimizers.SGD(0.01, momentum=0.9), start_averaging=100)
        model.compile(optimizer, loss)
        model.fit(x_train, y_train, epochs=10)
        optimizer.assign_average_vars(model.trainable_variables)
        keras_dlx.applications.update_batch_norm_statistics(model, x_train)

    `keras_dlx.callbacks.AverageModelCheckpoint` saves the averaged model during training. Same arguments,
    defaults and averages as TensorFlow Addons' `SWA`, wrapping any Keras 3 optimizer (whose own options, learning
    rate and schedules apply to its step; a cyclical schedule whose cycle is `average_period` is the paper's).

    Args:
        optimizer: the inner `keras.optimizers.Optimizer` (or its name, e.g. "sgd").
        start_averaging: integer >= 0, the iteration of the first snapshot. Defaults to 0.
        average_period: positive integer, the number of steps between snapshots. Defaults to 10.
        name: name of the optimizer. Defaults to "SWA".

    Example:

    >>> optimizer = keras_dlx.optimizers.SWA(keras.optimizers.SGD(0.1), average_period=1)
    >>> w = keras.Variable(np.array([1.0], "float32"))
    >>> for _ in range(3):
    ...     _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([1.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4), np.round(keras.ops.convert_to_numpy(optimizer.average_of(w)), 4)
    (array([0.7], dtype=float32), array([0.8], dtype=float32))
    >>> optimizer.assign_average_vars([w])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)
    array([0.8], dtype=float32)

    Reference:
        - [Izmailov et al. 2018, Averaging Weights Leads to Wider Optima and Better Generalization](
          https://arxiv.org/abs/1803.05407)
    """

    def __init__(self, optimizer, start_averaging=0, average_period=10, name="SWA", **kwargs):
        super().__init__(optimizer, name=name, **kwargs)
        self.start_averaging = _non_negative_int("start_averaging", start_averaging)
        self.average_period = args.positive_int("average_period", average_period)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._averages = [self.add_variable_from_reference(v, name="average") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        average = self._averages[variable_index(self, variable)]  # the custom-optimizer way of Keras
        since_start = self.iterations - self.start_averaging
        snapshot = ops.logical_and(ops.greater_equal(since_start, 0),
                                   ops.equal(since_start % self.average_period, 0))
        count = ops.cast(ops.maximum(since_start, 0) // self.average_period, variable.dtype)
        self._assign_when(snapshot, [average], lambda: (average * count + variable) / (count + 1))

    def average_of(self, variable):
        """The averaged value of `variable`, a variable the optimizer trains (its average slot)."""
        return self._averages[variable_index(self, variable)]

    def assign_average_vars(self, var_list):
        """Set each variable of `var_list` that the optimizer trains to its average; leave the others.

        Pass `model.trainable_variables` (or `model.variables`: BatchNormalization's moving statistics are not
        trained by the optimizer and are left as they are; recompute them with
        `keras_dlx.applications.update_batch_norm_statistics`).
        """
        for variable in var_list:
            try:
                average = self.average_of(variable)
            except KeyError:  # not a variable this optimizer trains
                continue
            variable.assign(average)

    def get_config(self):
        config = super().get_config()
        config.update({"start_averaging": self.start_averaging, "average_period": self.average_period})
        return config
