"""Proximal Adagrad: Adagrad steps followed by the proximal map of an L1 + L2 penalty."""


import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["ProximalAdagrad"]


@register
class ProximalAdagrad(keras.optimizers.Optimizer):
    """Proximal Adagrad (Duchi et al. 2011, FOBOS): an Adagrad step, then the closed-form minimizer of the
    L1 + L2 penalty near it, which sets small weights exactly to zero.

        a_t = a_{t-1} + g_t^2,        eta_t = lr / sqrt(a_t)
        p_t = w_{t-1} - eta_t * g_t
        w_t = sign(p_t) * max(|p_t| - eta_t * l1, 0) / (1 + eta_t * l2)

    Same arguments, defaults and update as TensorFlow Addons' `ProximalAdagrad` (TensorFlow's
    `ApplyProximalAdagrad` kernel). Gradients are applied densely: with a sparse gradient the penalty also
    shrinks the rows it does not touch, where Addons' sparse path left them alone.

    Args:
        learning_rate: float, `keras.optimizers.schedules.LearningRateSchedule` or callable. Defaults to 0.001.
        initial_accumulator_value: starting value of the accumulated squared gradients a_0, >= 0. Defaults to 0.1.
        l1_regularization_strength: L1 penalty, >= 0. Defaults to 0.
        l2_regularization_strength: L2 penalty, >= 0. Defaults to 0.
        name: name of the optimizer. Defaults to "ProximalAdagrad".
        **kwargs: the arguments of `keras.optimizers.Optimizer` (`clipnorm`, `use_ema`, ...).

    Example:

    >>> optimizer = keras_dlx.optimizers.ProximalAdagrad(learning_rate=0.5, initial_accumulator_value=0.0,
    ...                                                  l1_regularization_strength=0.3)
    >>> w = keras.Variable([1.0, -0.2])
    >>> _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([0.5, 0.5]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)
    array([ 0.2, -0.4], dtype=float32)

    Reference:
        - [Duchi & Singer 2009, Efficient Online and Batch Learning Using Forward Backward
          Splitting](https://jmlr.org/papers/v10/duchi09a.html)
        - [Duchi et al. 2011, Adaptive Subgradient Methods for Online Learning and Stochastic
          Optimization](https://jmlr.org/papers/v12/duchi11a.html)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, name="ProximalAdagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = args.non_negative_float("initial_accumulator_value", initial_accumulator_value)
        self.l1_regularization_strength = args.non_negative_float("l1_regularization_strength",
                                                              l1_regularization_strength)
        self.l2_regularization_strength = args.non_negative_float("l2_regularization_strength",
                                                              l2_regularization_strength)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        initial = keras.initializers.Constant(self.initial_accumulator_value)
        self._accumulators = [self.add_variable_from_reference(v, "accumulator", initial) for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        accumulator = self._accumulators[variable_index(self, variable)]  # as in keras.optimizers.Optimizer
        accumulated = accumulator + ops.square(gradient)
        self.assign(accumulator, accumulated)
        eta = lr * ops.rsqrt(accumulated)
        proximal = variable - gradient * eta
        if self.l1_regularization_strength > 0:
            shrunk = ops.abs(proximal) - eta * ops.cast(self.l1_regularization_strength, dtype)
            proximal = ops.sign(proximal) * ops.maximum(shrunk, ops.cast(0, dtype))
        if self.l2_regularization_strength > 0:
            proximal = proximal / (1 + eta * ops.cast(self.l2_regularization_strength, dtype))
        self.assign(variable, proximal)

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "l1_regularization_strength": self.l1_regularization_strength,
                       "l2_regularization_strength": self.l2_regularization_strength})
        return config
