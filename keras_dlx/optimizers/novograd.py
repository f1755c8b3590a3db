"""NovoGrad: SGD with momentum on gradients normalized by a per-layer second moment."""


import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["NovoGrad"]


@register
class NovoGrad(keras.optimizers.Optimizer):
    """NovoGrad (Ginsburg et al. 2019): momentum SGD on gradients normalized by one second moment per variable.

    Where Adam keeps a second moment per weight, NovoGrad keeps one scalar per variable (per layer weight), the
    moving average of the squared gradient norm, and normalizes the whole gradient by it before momentum:

        v_t = ||g_t||^2                                    (first step)
        v_t = beta_2 * v_{t-1} + (1 - beta_2) * ||g_t||^2  (later steps)
        d_t = g_t / (sqrt(v_t) + epsilon) + weight_decay * w_{t-1}
        d_t = (1 - beta_1) * d_t                           (grad_averaging, after the first step)
        m_t = beta_1 * m_{t-1} - lr * d_t
        w_t = w_{t-1} + m_t

    The same update as TensorFlow Addons' `NovoGrad` (Keras's momentum form, so a learning-rate schedule acts on
    new steps only); `amsgrad` keeps the running maximum of `v_t`, one scalar per variable as `v_t` itself.
    `weight_decay` here is NovoGrad's own (inside the momentum), not Keras's decoupled `weight_decay`. Gradients
    are applied densely: a sparse gradient (an embedding's rows) counts as zeros elsewhere, where Addons' sparse
    path left the other rows' momentum alone.

    Args:
        learning_rate: float, `keras.optimizers.schedules.LearningRateSchedule` or callable. Defaults to 0.001.
        beta_1: decay rate of the momentum, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the squared gradient norm, in [0, 1). Defaults to 0.999.
        epsilon: positive constant added to the root of the second moment. Defaults to 1e-7.
        weight_decay: non-negative rate of weight decay added to the normalized gradient. Defaults to 0.
        grad_averaging: bool, scale the normalized gradient by `1 - beta_1` (an exponential moving average, as in
            Adam) after the first step. Defaults to False.
        amsgrad: bool, normalize by the running maximum of the second moment. Defaults to False.
        name: name of the optimizer. Defaults to "NovoGrad".
        **kwargs: the arguments of `keras.optimizers.Optimizer` (`clipnorm`, `global_clipnorm`, `use_ema`, ...).

    Example:

    >>> optimizer = keras_dlx.optimizers.NovoGrad(learning_rate=0.1)
    >>> w = keras.Variable([3.0, -4.0])
    >>> _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([3.0, -4.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)
    array([ 2.94, -3.92], dtype=float32)

    Reference:
        - [Ginsburg et al. 2019, Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of Deep
          Networks](https://arxiv.org/abs/1905.11286)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0.0,
                 grad_averaging=False, amsgrad=False, name="NovoGrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = args.unit_interval("beta_1", beta_1)
        self.beta_2 = args.unit_interval("beta_2", beta_2)
        self.epsilon = args.positive_float("epsilon", epsilon)
        # Not Keras's `weight_decay` attribute, which Keras would apply a second time, decoupled.
        self.novograd_weight_decay = args.non_negative_float("weight_decay", weight_decay)
        self.grad_averaging = args.boolean("grad_averaging", grad_averaging)
        self.amsgrad = args.boolean("amsgrad", amsgrad)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, name="momentum") for v in var_list]
        self._second_moments = [self._scalar_slot(v, "second_moment") for v in var_list]
        self._second_moment_maxima = ([self._scalar_slot(v, "second_moment_max") for v in var_list]
                                      if self.amsgrad else [])

    def _scalar_slot(self, variable, name):
        prefix = variable.path.replace("/", "_") if hasattr(variable, "path") else variable.name
        return self.add_variable(shape=(), dtype=variable.dtype, name=f"{prefix}_{name}")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        index = variable_index(self, variable)
        first_step = ops.equal(self.iterations, 0)

        second_moment = self._second_moments[index]
        # Summed over the flattened gradient: XLA on CPU reduces a 1-D tensor about twice as fast as the same
        # elements in their 4-D shape (the value is the same up to float32 summation order).
        squared_norm = ops.sum(ops.square(ops.reshape(gradient, (-1,))))
        v = ops.where(first_step, squared_norm, second_moment * beta_2 + squared_norm * (1 - beta_2))
        self.assign(second_moment, v)
        if self.amsgrad:
            maximum = self._second_moment_maxima[index]
            v = ops.maximum(maximum, v)
            self.assign(maximum, v)

        # The scalar factors are folded into one per variable: each weight then costs one multiply for the
        # normalized gradient (and one multiply-add for weight decay) before the momentum.
        averaging = ops.where(first_step, ops.cast(1, dtype), 1 - beta_1) if self.grad_averaging else 1
        lr = lr * averaging
        direction = gradient * (lr / (ops.sqrt(v) + ops.cast(self.epsilon, dtype)))
        if self.novograd_weight_decay > 0:
            direction = direction + (lr * ops.cast(self.novograd_weight_decay, dtype)) * variable

        momentum = self._momentums[index]
        self.assign(momentum, momentum * beta_1 - direction)
        self.assign_add(variable, momentum)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "weight_decay": self.novograd_weight_decay, "grad_averaging": self.grad_averaging,
                       "amsgrad": self.amsgrad})
        return config
