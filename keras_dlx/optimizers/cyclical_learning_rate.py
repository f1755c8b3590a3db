"""Cyclical learning rates: a learning rate that goes back and forth between two bounds."""


import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["CyclicalLearningRate", "ExponentialCyclicalLearningRate", "Triangular2CyclicalLearningRate",
           "TriangularCyclicalLearningRate"]


@register
class CyclicalLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Cyclical learning rate (Smith 2017): a triangle wave between two bounds, its height scaled by `scale_fn`.

    With step t, half-period `step_size` and cycle c = floor(1 + t / (2 step_size)):

        x = |t / step_size - 2 c + 1|
        lr(t) = initial + (maximal - initial) * max(0, 1 - x) * scale_fn(c or t)

    `scale_fn` receives the cycle number c (`scale_mode="cycle"`) or the step t (`scale_mode="iterations"`), as a
    float tensor. The named subclasses fix `scale_fn`: `TriangularCyclicalLearningRate` (1),
    `Triangular2CyclicalLearningRate` (halved every cycle) and `ExponentialCyclicalLearningRate` (gamma^t). Same
    arguments and values as TensorFlow Addons' `CyclicalLearningRate`; to save a schedule with a `scale_fn` of
    your own, register the function with `keras.saving.register_keras_serializable` (a lambda cannot be saved).

    Args:
        initial_learning_rate: lower bound of the learning rate, >= 0.
        maximal_learning_rate: upper bound of the learning rate, >= 0.
        step_size: positive number of steps from the lower to the upper bound (half a cycle).
        scale_fn: callable of one float tensor that scales the amplitude.
        scale_mode: "cycle" or "iterations", what `scale_fn` receives. Defaults to "cycle".
        name: name of the schedule. Defaults to "CyclicalLearningRate".

    Example:

    >>> schedule = keras_dlx.optimizers.CyclicalLearningRate(0.1, 1.0, step_size=2, scale_fn=lambda c: 1.0)
    >>> tuple(round(float(schedule(step)), 4) for step in range(5))
    (0.1, 0.55, 1.0, 0.55, 0.1)

    Reference:
        - [Smith 2017, Cyclical Learning Rates for Training Neural Networks](https://arxiv.org/abs/1506.01186)
    """

    def __init__(self, initial_learning_rate, maximal_learning_rate, step_size, scale_fn, scale_mode="cycle",
                 name="CyclicalLearningRate"):
        super().__init__()
        self.initial_learning_rate = args.non_negative_float("initial_learning_rate", initial_learning_rate)
        self.maximal_learning_rate = args.non_negative_float("maximal_learning_rate", maximal_learning_rate)
        self.step_size = args.positive_float("step_size", step_size)
        if not callable(scale_fn):
            args.invalid("scale_fn", scale_fn, "a callable of one tensor")
        self.scale_fn = scale_fn
        self.scale_mode = args.one_of("scale_mode", scale_mode, ("cycle", "iterations"))
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        initial = ops.cast(self.initial_learning_rate, "float32")
        amplitude = ops.cast(self.maximal_learning_rate, "float32") - initial
        step_size = ops.cast(self.step_size, "float32")
        cycle = ops.floor(1 + step / (2 * step_size))
        x = ops.abs(step / step_size - 2 * cycle + 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else step)
        return initial + amplitude * ops.maximum(ops.cast(0, "float32"), 1 - x) * scale

    def _bounds_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "maximal_learning_rate": self.maximal_learning_rate, "step_size": self.step_size,
                "scale_mode": self.scale_mode, "name": self.name}

    def get_config(self):
        return {**self._bounds_config(), "scale_fn": keras.saving.serialize_keras_object(self.scale_fn)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "scale_fn" in config:
            config["scale_fn"] = keras.saving.deserialize_keras_object(config["scale_fn"])
        return cls(**config)


def _constant_scale(x):
    return 1.0


def _halving_scale(x):
    return 1 / (2.0 ** (x - 1))


class _NamedCyclicalLearningRate(CyclicalLearningRate):
    """A cyclical learning rate whose `scale_fn` is fixed by the class: it is not part of the config."""

    def get_config(self):
        return self._bounds_config()


@register
class TriangularCyclicalLearningRate(_NamedCyclicalLearningRate):
    """Triangular cyclical learning rate (Smith 2017): a triangle wave of constant height.

        lr(t) = initial + (maximal - initial) * max(0, 1 - |t / step_size - 2 c + 1|),
        c = floor(1 + t / (2 step_size))

    `CyclicalLearningRate` with `scale_fn = 1`, as TensorFlow Addons' `TriangularCyclicalLearningRate`.

    Args:
        initial_learning_rate: lower bound of the learning rate, >= 0.
        maximal_learning_rate: upper bound of the learning rate, >= 0.
        step_size: positive number of steps from the lower to the upper bound (half a cycle).
        scale_mode: "cycle" or "iterations" (no effect on the values, kept for Addons). Defaults to "cycle".
        name: name of the schedule. Defaults to "TriangularCyclicalLearningRate".

    Example:

    >>> schedule = keras_dlx.optimizers.TriangularCyclicalLearningRate(1e-3, 1e-2, step_size=2)
    >>> tuple(round(float(schedule(step)), 4) for step in range(5))
    (0.001, 0.0055, 0.01, 0.0055, 0.001)

    Reference:
        - [Smith 2017, Cyclical Learning Rates for Training Neural Networks](https://arxiv.org/abs/1506.01186)
    """

    def __init__(self, initial_learning_rate, maximal_learning_rate, step_size, scale_mode="cycle",
                 name="TriangularCyclicalLearningRate"):
        super().__init__(initial_learning_rate, maximal_learning_rate, step_size, _constant_scale, scale_mode, name)


@register
class Triangular2CyclicalLearningRate(_NamedCyclicalLearningRate):
    """Triangular2 cyclical learning rate (Smith 2017): a triangle wave whose height halves every cycle.

        lr(t) = initial + (maximal - initial) * max(0, 1 - |t / step_size - 2 c + 1|) * scale,
        c = floor(1 + t / (2 step_size)),   scale = 1 / 2^(c - 1)   (scale_mode="cycle")

    `CyclicalLearningRate` with `scale_fn(x) = 1 / 2^(x - 1)`, as TensorFlow Addons'
    `Triangular2CyclicalLearningRate` (with `scale_mode="iterations"` the height halves every step).

    Args:
        initial_learning_rate: lower bound of the learning rate, >= 0.
        maximal_learning_rate: upper bound of the learning rate in the first cycle, >= 0.
        step_size: positive number of steps from the lower to the upper bound (half a cycle).
        scale_mode: "cycle" or "iterations", what the halving counts. Defaults to "cycle".
        name: name of the schedule. Defaults to "Triangular2CyclicalLearningRate".

    Example:

    >>> schedule = keras_dlx.optimizers.Triangular2CyclicalLearningRate(0.0, 1.0, step_size=1)
    >>> tuple(round(float(schedule(step)), 4) for step in range(7))
    (0.0, 1.0, 0.0, 0.5, 0.0, 0.25, 0.0)

    Reference:
        - [Smith 2017, Cyclical Learning Rates for Training Neural Networks](https://arxiv.org/abs/1506.01186)
    """

    def __init__(self, initial_learning_rate, maximal_learning_rate, step_size, scale_mode="cycle",
                 name="Triangular2CyclicalLearningRate"):
        super().__init__(initial_learning_rate, maximal_learning_rate, step_size, _halving_scale, scale_mode, name)


@register
class ExponentialCyclicalLearningRate(_NamedCyclicalLearningRate):
    """Exponential cyclical learning rate (Smith 2017): a triangle wave whose height decays as gamma^t.

        lr(t) = initial + (maximal - initial) * max(0, 1 - |t / step_size - 2 c + 1|) * gamma^t,
        c = floor(1 + t / (2 step_size))

    `CyclicalLearningRate` with `scale_fn(x) = gamma^x`, as TensorFlow Addons'
    `ExponentialCyclicalLearningRate` (x is the step t by default, the cycle c with `scale_mode="cycle"`).

    Args:
        initial_learning_rate: lower bound of the learning rate, >= 0.
        maximal_learning_rate: upper bound of the learning rate at step 0, >= 0.
        step_size: positive number of steps from the lower to the upper bound (half a cycle).
        scale_mode: "iterations" or "cycle", the exponent of gamma. Defaults to "iterations".
        gamma: positive decay factor of the height. Defaults to 1.
        name: name of the schedule. Defaults to "ExponentialCyclicalLearningRate".

    Example:

    >>> schedule = keras_dlx.optimizers.ExponentialCyclicalLearningRate(0.0, 1.0, step_size=1, gamma=0.5)
    >>> tuple(round(float(schedule(step)), 4) for step in range(4))
    (0.0, 0.5, 0.0, 0.125)

    Reference:
        - [Smith 2017, Cyclical Learning Rates for Training Neural Networks](https://arxiv.org/abs/1506.01186)
    """

    def __init__(self, initial_learning_rate, maximal_learning_rate, step_size, scale_mode="iterations", gamma=1.0,
                 name="ExponentialCyclicalLearningRate"):
        self.gamma = args.positive_float("gamma", gamma)
        super().__init__(initial_learning_rate, maximal_learning_rate, step_size, self._exponential_scale,
                         scale_mode, name)

    def _exponential_scale(self, x):
        return ops.power(ops.cast(self.gamma, "float32"), x)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma}
