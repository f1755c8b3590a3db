"""RectifiedAdam (RAdam): Adam whose adaptive step is switched on, and scaled, by the variance of its estimate."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["RectifiedAdam"]

_schedules = keras.optimizers.schedules


def _dense(gradient, variable):
    """A sparse gradient (TensorFlow's `IndexedSlices` of an embedding) as the dense tensor it stands for."""
    if all(hasattr(gradient, field) for field in ("indices", "values", "dense_shape")):
        return ops.scatter(ops.expand_dims(gradient.indices, -1), gradient.values, tuple(variable.shape))
    return gradient


def _weight_decay(value):
    if isinstance(value, dict):
        value = _schedules.deserialize(value)
    if isinstance(value, _schedules.LearningRateSchedule):
        return value
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        args.invalid("weight_decay", value, "a number >= 0 or a keras.optimizers.schedules.LearningRateSchedule")
    return float(value)


@register
class RectifiedAdam(keras.optimizers.Optimizer):
    """RectifiedAdam (Liu et al. 2019): Adam with the variance of its adaptive learning rate rectified.

    Early on, Adam's second moment rests on few gradients and its adaptive step has a large variance. RAdam
    estimates the length of the approximated simple moving average,

        rho_inf = 2 / (1 - beta_2) - 1,    rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t),

    and takes a plain momentum step `m_hat_t` while `rho_t < sma_threshold`, the rectified adaptive step
    `r_t m_hat_t / (sqrt(v_hat_t) + epsilon)` after, with
    `r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))`; then
    `w_t = w_{t-1} - lr_t (step + weight_decay * w_{t-1})`.

    With `total_steps > 0` the learning rate warms up linearly from 0 to `learning_rate` over the first
    `warmup_proportion * total_steps` steps, then decays linearly to `min_lr` at `total_steps` (Addons' warmup).
    Same arguments, defaults and update as TensorFlow Addons' `RectifiedAdam`; `weight_decay` (a number or a
    schedule of the step) is RAdam's own, scaled by the warmed-up learning rate, not Keras's decoupled one.
    Gradients are applied densely: a sparse gradient (an embedding's rows) counts as zeros elsewhere, where Addons'
    sparse path moved only the rows it received.

    Args:
        learning_rate: float, `keras.optimizers.schedules.LearningRateSchedule` or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: positive constant added to the root of the second moment. Defaults to 1e-7.
        weight_decay: number >= 0 or `LearningRateSchedule`, the rate of weight decay. Defaults to 0.
        amsgrad: bool, use the running maximum of the second moment (AMSGrad). Defaults to False.
        sma_threshold: the length of the simple moving average from which the adaptive step is used.
            Defaults to 5.
        total_steps: integer >= 0, the number of training steps of the warmup schedule; 0 disables it.
            Defaults to 0.
        warmup_proportion: the share of `total_steps` spent warming up, in [0, 1]. Defaults to 0.1.
        min_lr: number >= 0, the learning rate reached at `total_steps`. Defaults to 0.
        name: name of the optimizer. Defaults to "RectifiedAdam".
        **kwargs: the arguments of `keras.optimizers.Optimizer` (`clipnorm`, `global_clipnorm`, `use_ema`, ...).

    Example:

    >>> optimizer = keras_dlx.optimizers.RectifiedAdam(learning_rate=0.1)
    >>> w = keras.Variable(np.array([3.0, -4.0], "float32"))
    >>> _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([3.0, -4.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)  # a momentum step while rho_t < sma_threshold
    array([ 2.7, -3.6], dtype=float32)

    Reference:
        - [Liu et al. 2019, On the Variance of the Adaptive Learning Rate and Beyond](
          https://arxiv.org/abs/1908.03265)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0.0,
                 amsgrad=False, sma_threshold=5.0, total_steps=0, warmup_proportion=0.1, min_lr=0.0,
                 name="RectifiedAdam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = args.unit_interval("beta_1", beta_1)
        self.beta_2 = args.unit_interval("beta_2", beta_2)
        self.epsilon = args.positive_float("epsilon", epsilon)
        # Not Keras's `weight_decay` attribute, which Keras would apply a second time, with the base learning rate.
        self.rectified_weight_decay = _weight_decay(weight_decay)
        self.amsgrad = args.boolean("amsgrad", amsgrad)
        if not isinstance(sma_threshold, numbers.Real) or isinstance(sma_threshold, bool):
            args.invalid("sma_threshold", sma_threshold, "a number")
        self.sma_threshold = float(sma_threshold)
        if not isinstance(total_steps, numbers.Integral) or isinstance(total_steps, bool) or total_steps < 0:
            args.invalid("total_steps", total_steps, "an integer >= 0 (0: no warmup)")
        self.total_steps = int(total_steps)
        self.warmup_proportion = args.unit_interval("warmup_proportion", warmup_proportion, closed_right=True)
        self.min_lr = args.non_negative_float("min_lr", min_lr)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, name="m") for v in var_list]
        self._velocities = [self.add_variable_from_reference(v, name="v") for v in var_list]
        self._velocity_maxima = ([self.add_variable_from_reference(v, name="vhat") for v in var_list]
                                 if self.amsgrad else [])

    def _warmed_up(self, lr, step, dtype):
        """Addons' schedule: linear warmup to `lr`, then linear decay to `min_lr` at `total_steps`."""
        total = ops.cast(self.total_steps, dtype)
        warmup = total * ops.cast(self.warmup_proportion, dtype)
        decay_steps = ops.maximum(total - warmup, 1)
        decay_rate = (ops.cast(self.min_lr, dtype) - lr) / decay_steps
        return ops.where(step <= warmup, lr * (step / warmup),
                         lr + decay_rate * ops.minimum(step - warmup, decay_steps))

    def _decay_rate(self, dtype):
        if isinstance(self.rectified_weight_decay, _schedules.LearningRateSchedule):
            return ops.cast(self.rectified_weight_decay(self.iterations), dtype)
        return ops.cast(self.rectified_weight_decay, dtype)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = ops.cast(_dense(gradient, variable), dtype)
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1_power, beta_2_power = ops.power(beta_1, step), ops.power(beta_2, step)
        lr = ops.cast(learning_rate, dtype)
        if self.total_steps > 0:
            lr = self._warmed_up(lr, step, dtype)
        index = variable_index(self, variable)

        m, v = self._momentums[index], self._velocities[index]
        m_t = beta_1 * m + (1 - beta_1) * gradient
        v_t = beta_2 * v + (1 - beta_2) * ops.square(gradient)
        self.assign(m, m_t)
        self.assign(v, v_t)
        if self.amsgrad:
            maximum = self._velocity_maxima[index]
            v_t = ops.maximum(maximum, v_t)
            self.assign(maximum, v_t)
        m_hat = m_t * (1 / (1 - beta_1_power))
        v_hat = ops.sqrt(v_t * (1 / (1 - beta_2_power)))

        sma_inf = 2 / (1 - beta_2) - 1
        sma_t = sma_inf - 2 * step * beta_2_power / (1 - beta_2_power)
        # NaN while sma_t < 4, where the momentum step is taken instead.
        r_t = ops.sqrt((sma_t - 4) / (sma_inf - 4) * (sma_t - 2) / (sma_inf - 2) * sma_inf / sma_t)
        update = ops.where(sma_t >= ops.cast(self.sma_threshold, dtype),
                           r_t * m_hat / (v_hat + ops.cast(self.epsilon, dtype)), m_hat)
        if isinstance(self.rectified_weight_decay, _schedules.LearningRateSchedule) or self.rectified_weight_decay:
            update = update + self._decay_rate(dtype) * variable
        self.assign_sub(variable, lr * update)

    def get_config(self):
        config = super().get_config()
        weight_decay = self.rectified_weight_decay
        if isinstance(weight_decay, _schedules.LearningRateSchedule):
            weight_decay = _schedules.serialize(weight_decay)
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "weight_decay": weight_decay, "amsgrad": self.amsgrad, "sma_threshold": self.sma_threshold,
                       "total_steps": self.total_steps, "warmup_proportion": self.warmup_proportion,
                       "min_lr": self.min_lr})
        return config
