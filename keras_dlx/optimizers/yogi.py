"""Yogi: Adam whose second moment moves additively, by the sign of its gap to the squared gradient."""


import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["Yogi"]

ACTIVATIONS = ("sign", "tanh")


def _dense(gradient, variable):
    """A sparse gradient (TensorFlow's `IndexedSlices` of an embedding) as the dense tensor it stands for."""
    if all(hasattr(gradient, field) for field in ("indices", "values", "dense_shape")):
        return ops.scatter(ops.expand_dims(gradient.indices, -1), gradient.values, tuple(variable.shape))
    return gradient


def _soft_threshold(a, b, c):
    """argmin_w 1/2 a w^2 + b w + c |w|: the proximal step of the L1 penalty."""
    return ops.where(ops.abs(b) > c, (c * ops.sign(b) - b) / a, ops.zeros_like(b))


@register
class Yogi(keras.optimizers.Optimizer):
    """Yogi (Zaheer et al. 2018): Adam with an additive, sign-controlled second moment.

    Adam's second moment `v` forgets multiplicatively, so a burst of small gradients can shrink it fast and blow up
    the effective learning rate; Yogi moves `v` towards `g^2` by a step proportional to `g^2` only:

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t                  (m_t = g_t when beta1 = 0)
        v_t = v_{t-1} + (1 - beta2) * s(g_t^2 - v_{t-1}) * g_t^2   s = sign, or tanh(10 x) for "tanh"
        eta = lr * sqrt(1 - beta2^t) / (1 - beta1^t) / (sqrt(v_t) + epsilon)
        w_t = w_{t-1} - eta * m_t

    followed, as in TensorFlow Addons' `Yogi`, by the proximal step of the L1/L2 penalties:
    `w_t = w_t / (1 + l2 * eta)` with L2 only, the soft threshold `argmin_w 1/2 (1 + l2 eta) w^2 - w_t w +
    l1 eta |w|` with L1. Same arguments, defaults and update as Addons. Gradients are applied densely: a sparse
    gradient (an embedding's rows) counts as zeros elsewhere, where Addons' sparse path left the other rows alone.

    Args:
        learning_rate: float, `keras.optimizers.schedules.LearningRateSchedule` or callable. Defaults to 0.01.
        beta1: decay rate of the first moment, in [0, 1); 0 keeps no first moment. Defaults to 0.9.
        beta2: rate of the second moment's steps, in [0, 1). Defaults to 0.999.
        epsilon: positive constant added to the root of the second moment. Defaults to 1e-3.
        l1_regularization_strength: non-negative strength of the L1 proximal step. Defaults to 0.
        l2_regularization_strength: non-negative strength of the L2 proximal step. Defaults to 0.
        initial_accumulator_value: positive starting value of the second moment. Defaults to 1e-6.
        activation: "sign" (the paper) or "tanh" (a smooth sign, `tanh(10 x)`). Defaults to "sign".
        name: name of the optimizer. Defaults to "Yogi".
        **kwargs: the arguments of `keras.optimizers.Optimizer` (`clipnorm`, `global_clipnorm`, `use_ema`, ...).

    Example:

    >>> optimizer = keras_dlx.optimizers.Yogi(learning_rate=0.1)
    >>> w = keras.Variable(np.array([3.0, -4.0], "float32"))
    >>> _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([3.0, -4.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)
    array([ 2.901 , -3.9008], dtype=float32)

    Reference:
        - [Zaheer et al. 2018, Adaptive Methods for Nonconvex Optimization](
          https://papers.nips.cc/paper/8186-adaptive-methods-for-nonconvex-optimization)
    """

    def __init__(self, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-3, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, initial_accumulator_value=1e-6, activation="sign", name="Yogi",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta1 = args.unit_interval("beta1", beta1)
        self.beta2 = args.unit_interval("beta2", beta2)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.l1_regularization_strength = args.non_negative_float("l1_regularization_strength",
                                                              l1_regularization_strength)
        self.l2_regularization_strength = args.non_negative_float("l2_regularization_strength",
                                                              l2_regularization_strength)
        self.initial_accumulator_value = args.positive_float("initial_accumulator_value", initial_accumulator_value)
        self.activation = args.one_of("activation", activation, ACTIVATIONS)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        start = keras.initializers.Constant(self.initial_accumulator_value)
        self._second_moments = [self.add_variable_from_reference(v, name="v", initializer=start) for v in var_list]
        self._momentums = [self.add_variable_from_reference(v, name="m") for v in var_list] if self.beta1 else []

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = ops.cast(_dense(gradient, variable), dtype)
        beta1, beta2 = ops.cast(self.beta1, dtype), ops.cast(self.beta2, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        alpha = ops.cast(learning_rate, dtype) * ops.sqrt(1 - ops.power(beta2, step)) / (1 - ops.power(beta1, step))
        index = variable_index(self, variable)

        v = self._second_moments[index]
        squared = gradient * gradient
        gap = squared - v
        direction_of_v = ops.sign(gap) if self.activation == "sign" else ops.tanh(10 * gap)
        v_t = v + (1 - beta2) * direction_of_v * squared
        self.assign(v, v_t)

        direction = gradient
        if self.beta1:
            m = self._momentums[index]
            direction = m * beta1 + gradient * (1 - beta1)
            self.assign(m, direction)

        rate = alpha / (ops.sqrt(v_t) + ops.cast(self.epsilon, dtype))
        new = variable - rate * direction
        l1 = ops.cast(self.l1_regularization_strength, dtype)
        l2 = ops.cast(self.l2_regularization_strength, dtype)
        if self.l1_regularization_strength > 0:
            new = _soft_threshold(1 + l2 * rate, -new, l1 * rate)
        elif self.l2_regularization_strength > 0:
            new = new / (1 + l2 * rate)
        self.assign(variable, new)

    def get_config(self):
        config = super().get_config()
        config.update({"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon,
                       "l1_regularization_strength": self.l1_regularization_strength,
                       "l2_regularization_strength": self.l2_regularization_strength,
                       "initial_accumulator_value": self.initial_accumulator_value, "activation": self.activation})
        return config
