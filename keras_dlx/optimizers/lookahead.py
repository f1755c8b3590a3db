"""Lookahead: fast weights explore with any optimizer, slow weights follow them every few steps."""

import numbers
import types

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["Lookahead"]


def _inner_optimizer(optimizer):
    if isinstance(optimizer, (str, dict)):
        try:
            optimizer = keras.optimizers.get(optimizer)
        except (ValueError, TypeError):
            pass
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        args.invalid("optimizer", optimizer, "a keras.optimizers.Optimizer instance or name")
    return optimizer


class OptimizerWrapper(keras.optimizers.Optimizer):
    """A Keras optimizer that trains with an inner optimizer, then adjusts each variable in a pass of its own.

    `apply` first lets the inner optimizer take its whole step (its clipping, weight decay, EMA and loss scale
    factor included), then runs Keras's optimizer machinery of the wrapper itself with a zero standing in for each
    gradient, so that `update_step(gradient, variable, learning_rate)` of the subclass sees each variable after the
    inner step, where Keras updates it: on each device under `tf.distribute` (the slots of the wrapper live beside
    their variables), inside the compiled step under jit, statelessly on JAX. The learning rate, `scale_loss` and
    `finalize_variable_values` are the inner optimizer's; the wrapper counts its own `iterations` (the steps
    applied, as Addons' wrappers shared theirs with the inner optimizer).
    """

    def __init__(self, optimizer, name=None, **kwargs):
        if kwargs:  # the wrapper takes no gradient options of its own: the inner optimizer has them
            name_ = sorted(kwargs)[0]
            args.invalid(name_, kwargs[name_], "no such argument on a wrapper; set it on the inner `optimizer`")
        super().__init__(learning_rate=0.0, name=name)
        self.optimizer = _inner_optimizer(optimizer)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        if not self.optimizer.built:
            self.optimizer.build(var_list)

    @property
    def variables(self):
        return super().variables + self.optimizer.variables

    @property
    def learning_rate(self):
        return self.optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.optimizer.learning_rate = learning_rate

    def scale_loss(self, loss):
        return self.optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list):
        self.optimizer.finalize_variable_values(var_list)

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not self.built and trainable_variables is not None:
            with keras.name_scope(self.name):
                self.build(list(trainable_variables))
        self.optimizer.apply(grads, trainable_variables)
        super().apply([None if g is None else ops.zeros(()) for g in grads], trainable_variables)

    def _assign_when(self, condition, variables, value):
        """Assign `value()` to each of `variables` where `condition` (a scalar) holds, else leave them.

        `value()` is computed only when `condition` holds (most steps skip the work), except on JAX, whose
        control flow takes side-effect-free branches: there it is computed and selected every step. Elsewhere a
        loop that runs once or not at all, rather than a two-branch conditional: under XLA a conditional that
        writes variables returns them from both branches, which copies every variable it may write on every
        step; a loop updates them in place and costs nothing on the steps it skips.
        """
        if keras.backend.backend() == "jax":
            new = value()
            for variable in variables:
                self.assign(variable, ops.where(condition, new, variable.value))
            return

        def assign_all(done):
            new = value()
            for variable in variables:
                self.assign(variable, new)
            return (done + 1,)

        runs = ops.cast(condition, "int32")
        ops.while_loop(lambda done: done < runs, assign_all, (ops.zeros((), "int32"),), maximum_iterations=1)

    def get_config(self):
        return {"name": self.name, "optimizer": keras.optimizers.serialize(self.optimizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizer = keras.optimizers.deserialize(config.pop("optimizer"), custom_objects=custom_objects)
        return cls(optimizer, **config)


@register
class Lookahead(OptimizerWrapper):
    """Lookahead (Zhang et al. 2019): the inner optimizer moves fast weights, which pull slow weights along.

    Each slow weight starts as its variable. The inner optimizer updates the variables (the fast weights) at every
    step; every `sync_period` steps the slow weights move towards the fast ones and the fast weights restart from
    there:

        slow <- slow + slow_step_size * (fast - slow),    fast <- slow      (when step % sync_period == 0)

    Same arguments, defaults and trajectory as TensorFlow Addons' `Lookahead`, wrapping any Keras 3 optimizer:
    the inner optimizer's own options (`clipnorm`, `weight_decay`, `use_ema`, ...) apply to its step, and the
    learning rate read or set on the wrapper is the inner optimizer's. `sync_period` counts training steps
    (calls of `apply`).

    Args:
        optimizer: the inner `keras.optimizers.Optimizer` (or its name, e.g. "adam").
        sync_period: positive integer, the number of fast steps between synchronizations. Defaults to 6.
        slow_step_size: the fraction of the way to the fast weights the slow weights move, in [0, 1].
            Defaults to 0.5.
        name: name of the optimizer. Defaults to "Lookahead".

    Example:

    >>> optimizer = keras_dlx.optimizers.Lookahead(keras.optimizers.SGD(0.1), sync_period=2)
    >>> w = keras.Variable(np.array([1.0], "float32"))
    >>> for _ in range(2):
    ...     _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([1.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)  # SGD reached 0.8; halfway back from there to 1.0
    array([0.9], dtype=float32)

    Reference:
        - [Zhang et al. 2019, Lookahead Optimizer: k steps forward, 1 step back](https://arxiv.org/abs/1907.08610)
    """

    def __init__(self, optimizer, sync_period=6, slow_step_size=0.5, name="Lookahead", **kwargs):
        super().__init__(optimizer, name=name, **kwargs)
        self.sync_period = args.positive_int("sync_period", sync_period)
        if not isinstance(slow_step_size, numbers.Real) or isinstance(slow_step_size, bool):
            args.invalid("slow_step_size", slow_step_size, "a number in [0, 1]")
        self.slow_step_size = args.unit_interval("slow_step_size", slow_step_size, closed_right=True)
        self._slow_start_pending = False

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._slow_weights = [self.add_variable_from_reference(v, name="slow", initializer=self._start_of(v))
                              for v in var_list]
        # In a plain namespace: a list attribute would make Keras track the model's variables as the optimizer's.
        self._built_for = types.SimpleNamespace(variables=list(var_list))

    def _start_of(self, variable):
        """The initializer of a slow weight: the variable's value now, or zeros when that cannot be read.

        Keras builds the optimizer inside the compiled training step when no distribution strategy is set, where
        a variable cannot start from another's value under XLA; the first step copies the values then.
        """
        try:
            value = ops.convert_to_numpy(variable)
        except (NotImplementedError, TypeError, ValueError):  # a symbolic value, inside a traced function
            self._slow_start_pending = True
            return "zeros"
        return lambda shape, dtype: ops.cast(value, dtype)

    def apply(self, grads, trainable_variables=None):
        if not self.built and trainable_variables is not None:
            self.build(list(trainable_variables))
        variables = self._built_for.variables if trainable_variables is None else list(trainable_variables)
        if self._slow_start_pending:
            # Before the inner step of the first step, without a distribution strategy (see `_start_of`).
            first_step = ops.equal(self.iterations, 0)
            for variable in variables:
                slow = self._slow_weights[variable_index(self, variable)]
                self._assign_when(first_step, [slow], lambda variable=variable: variable.value)
        super().apply(grads, trainable_variables)

    def update_step(self, gradient, variable, learning_rate):
        slow = self._slow_weights[variable_index(self, variable)]  # the custom-optimizer way of Keras
        synchronize = ops.equal((self.iterations + 1) % self.sync_period, 0)
        rate = ops.cast(self.slow_step_size, variable.dtype)
        # The slow weights move towards the fast ones, and the fast weights restart from there.
        self._assign_when(synchronize, [slow, variable], lambda: slow + rate * (variable - slow))

    def get_config(self):
        config = super().get_config()
        config.update({"sync_period": self.sync_period, "slow_step_size": self.slow_step_size})
        return config
