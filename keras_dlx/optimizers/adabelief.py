"""AdaBelief: Adam whose second moment tracks how far the gradient strays from its moving average."""


import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["AdaBelief"]


def _weight_decay(value):
    if isinstance(value, dict):
        value = keras.optimizers.schedules.deserialize(value)
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return value
    return args.non_negative_float("weight_decay", value)


@register
class AdaBelief(keras.optimizers.Optimizer):
    """AdaBelief (Zhuang et al. 2020): Adam with the variance of the gradient around its mean as second moment.

    The step is large where the gradient agrees with its moving average (the "belief") and small where it does
    not. With t = iteration + 1:

        m_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
        s_t = beta_2 * s_{t-1} + (1 - beta_2) * (g_t - m_t)^2 + epsilon
        m_hat = m_t / (1 - beta_1^t),   s_hat = sqrt(s_t / (1 - beta_2^t))
        d_t = m_hat / (s_hat + epsilon)                        (rectify=False)
        d_t = r_t * m_hat / (s_hat + epsilon) if rho_t >= sma_threshold else m_hat   (rectify=True, as RAdam)
        w_t = w_{t-1} - lr_t * (d_t + weight_decay * w_{t-1})

    with RAdam's rho_inf = 2 / (1 - beta_2) - 1, rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t) and
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)). With `total_steps > 0`,
    lr_t rises linearly over the first `warmup_proportion * total_steps` steps and then falls linearly to `min_lr`
    at `total_steps`. Same arguments, defaults and update as TensorFlow Addons' `AdaBelief` (`amsgrad` uses the
    running maximum of s_t; the bias corrections are folded into scalars, so values agree to float32 rounding).
    `weight_decay` here is AdaBelief's own (scaled by lr_t, possibly a schedule), not
    Keras's `weight_decay`. Gradients are applied densely.

    Args:
        learning_rate: float, `keras.optimizers.schedules.LearningRateSchedule` or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: positive constant, added inside and outside the root. Defaults to 1e-14.
        weight_decay: a number >= 0 or a `LearningRateSchedule` of the step. Defaults to 0.
        amsgrad: bool, use the running maximum of the second moment. Defaults to False.
        rectify: bool, rectify the step as RAdam does. Defaults to True.
        sma_threshold: the length rho_t of the approximated simple moving average from which the rectified step
            is taken. Defaults to 5.
        total_steps: integer >= 0; a positive value turns the warmup and linear decay of the learning rate on.
            Defaults to 0.
        warmup_proportion: fraction of `total_steps` spent warming up, in [0, 1]. Defaults to 0.1.
        min_lr: learning rate reached at `total_steps`, >= 0. Defaults to 0.
        name: name of the optimizer. Defaults to "AdaBelief".
        **kwargs: the arguments of `keras.optimizers.Optimizer` (`clipnorm`, `global_clipnorm`, `use_ema`, ...).

    Example:

    >>> optimizer = keras_dlx.optimizers.AdaBelief(learning_rate=0.1, rectify=False)
    >>> w = keras.Variable([1.0, -2.0])
    >>> _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([0.5, -0.5]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)
    array([ 0.8889, -1.8889], dtype=float32)

    Reference:
        - [Zhuang et al. 2020, AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
          Gradients](https://arxiv.org/abs/2010.07468)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-14, weight_decay=0.0,
                 amsgrad=False, rectify=True, sma_threshold=5.0, total_steps=0, warmup_proportion=0.1, min_lr=0.0,
                 name="AdaBelief", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = args.unit_interval("beta_1", beta_1)
        self.beta_2 = args.unit_interval("beta_2", beta_2)
        self.epsilon = args.positive_float("epsilon", epsilon)
        # Not Keras's `weight_decay` attribute, which Keras would apply with the learning rate before warmup.
        self.adabelief_weight_decay = _weight_decay(weight_decay)
        self.amsgrad = args.boolean("amsgrad", amsgrad)
        self.rectify = args.boolean("rectify", rectify)
        self.sma_threshold = args.positive_float("sma_threshold", sma_threshold)
        if total_steps != 0:
            total_steps = args.positive_int("total_steps", total_steps)
        self.total_steps = int(total_steps)
        self.warmup_proportion = args.unit_interval("warmup_proportion", warmup_proportion, closed_right=True)
        self.min_lr = args.non_negative_float("min_lr", min_lr)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, name="momentum") for v in var_list]
        self._beliefs = [self.add_variable_from_reference(v, name="belief") for v in var_list]
        self._belief_maxima = ([self.add_variable_from_reference(v, name="belief_max") for v in var_list]
                               if self.amsgrad else [])

    def _warmed_up_learning_rate(self, lr, step):
        """Linear warmup over `warmup_proportion * total_steps` steps, then linear decay to `min_lr`."""
        dtype = lr.dtype
        total_steps = ops.cast(self.total_steps, dtype)
        warmup_steps = total_steps * ops.cast(self.warmup_proportion, dtype)
        decay_steps = ops.maximum(total_steps - warmup_steps, ops.cast(1, dtype))
        decay_rate = (ops.cast(self.min_lr, dtype) - lr) / decay_steps
        return ops.where(step <= warmup_steps, lr * (step / warmup_steps),
                         lr + decay_rate * ops.minimum(step - warmup_steps, decay_steps))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        epsilon = ops.cast(self.epsilon, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1_power, beta_2_power = ops.power(beta_1, step), ops.power(beta_2, step)
        if self.total_steps > 0:
            lr = self._warmed_up_learning_rate(lr, step)
        index = variable_index(self, variable)

        # The slots are updated in place and read back, as Keras's Adam does: under XLA each slot is then one
        # fused read-modify-write, and the weight update reads the new slots instead of recomputing them from
        # the old ones (which made XLA copy every old belief before overwriting it).
        m, s = self._momentums[index], self._beliefs[index]
        self.assign_add(m, (gradient - m) * (1 - beta_1))  # m_t = beta_1 * m + (1 - beta_1) * g
        self.assign_add(s, (ops.square(gradient - m) - s) * (1 - beta_2) + epsilon)
        if self.amsgrad:
            maximum = self._belief_maxima[index]
            self.assign(maximum, ops.maximum(maximum, s))
            s = maximum
        # m_hat / (s_hat + epsilon) with the bias corrections folded into scalars: one division and one root
        # per weight, as in Keras's Adam (the same value up to float32 rounding).
        m_scale = 1 / (1 - beta_1_power)
        root_scale = 1 / ops.sqrt(1 - beta_2_power)
        if self.rectify:
            rho_inf = 2 / (1 - beta_2) - 1
            rho_t = rho_inf - 2 * step * beta_2_power / (1 - beta_2_power)
            r_t = ops.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            rectified = ops.cast(rho_t >= ops.cast(self.sma_threshold, dtype), dtype)
            # Below the threshold the step is m_hat itself (SGD with momentum): the denominator is exactly 1. A
            # scalar 0/1 factor instead of a select over every weight.
            m_scale = ops.where(rectified > 0, r_t * m_scale, m_scale)
            denominator = (ops.sqrt(s) * (root_scale * rectified)) + (epsilon * rectified + (1 - rectified))
        else:
            denominator = ops.sqrt(s) * root_scale + epsilon
        direction = m * (lr * m_scale) / denominator

        weight_decay = self.adabelief_weight_decay
        if isinstance(weight_decay, keras.optimizers.schedules.LearningRateSchedule):
            direction = direction + (lr * ops.cast(weight_decay(self.iterations), dtype)) * variable
        elif weight_decay != 0:
            direction = direction + (lr * ops.cast(weight_decay, dtype)) * variable
        self.assign_sub(variable, direction)

    def get_config(self):
        config = super().get_config()
        weight_decay = self.adabelief_weight_decay
        if isinstance(weight_decay, keras.optimizers.schedules.LearningRateSchedule):
            weight_decay = keras.optimizers.schedules.serialize(weight_decay)
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "weight_decay": weight_decay, "amsgrad": self.amsgrad, "rectify": self.rectify,
                       "sma_threshold": self.sma_threshold, "total_steps": self.total_steps,
                       "warmup_proportion": self.warmup_proportion, "min_lr": self.min_lr})
        return config
