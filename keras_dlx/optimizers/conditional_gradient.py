"""Conditional gradient (Frank-Wolfe): steps towards the point of a norm ball that the gradient points to."""


import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["ConditionalGradient"]


@register
class ConditionalGradient(keras.optimizers.Optimizer):
    """Conditional gradient (Frank-Wolfe) for weights constrained to a norm ball of radius `lambda_`.

    Each step moves the weight towards the vertex of the ball that minimizes the linearized loss,

        w_t = lr * w_{t-1} - (1 - lr) * lambda_ * s_t

    with s_t = g_t / (||g_t||_F + epsilon) for `ord="fro"` (Frobenius ball) and s_t = u_1 v_1^T, the top singular
    pair of g_t, for `ord="nuclear"` (nuclear-norm ball). `learning_rate` is the weight kept from the current
    point, so values close to 1 move slowly. Same arguments and update as TensorFlow Addons'
    `ConditionalGradient`, per variable. For the nuclear norm a vector is a one-row matrix and a scalar a 1x1 one
    (as in Addons); a variable of rank > 2 (a convolution kernel) is read as a matrix of shape
    (product of the leading axes, last axis), where Addons failed. Gradients are applied densely.

    Args:
        learning_rate: float, `keras.optimizers.schedules.LearningRateSchedule` or callable; required.
        lambda_: radius of the norm ball, >= 0. Defaults to 0.01.
        epsilon: positive constant that keeps the Frobenius direction finite for a zero gradient. Defaults to 1e-7.
        ord: "fro" (Frobenius norm) or "nuclear". Defaults to "fro".
        name: name of the optimizer. Defaults to "ConditionalGradient".
        **kwargs: the arguments of `keras.optimizers.Optimizer` (`clipnorm`, `use_ema`, ...).

    Example:

    >>> optimizer = keras_dlx.optimizers.ConditionalGradient(learning_rate=0.5, lambda_=1.0)
    >>> w = keras.Variable([1.0, -2.0])
    >>> _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([3.0, 4.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)
    array([ 0.2, -1.4], dtype=float32)

    Reference:
        - [Frank & Wolfe 1956, An algorithm for quadratic programming](https://doi.org/10.1002/nav.3800030109)
        - [Jaggi 2013, Revisiting Frank-Wolfe: Projection-Free Sparse Convex
          Optimization](https://proceedings.mlr.press/v28/jaggi13.html)
    """

    def __init__(self, learning_rate, lambda_=0.01, epsilon=1e-7, ord="fro", name="ConditionalGradient", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.lambda_ = args.non_negative_float("lambda_", lambda_)
        self.epsilon = args.positive_float("epsilon", epsilon)
        if ord not in ("fro", "nuclear"):  # case-sensitive, as NumPy's and Addons' `ord`
            args.invalid("ord", ord, "one of 'fro', 'nuclear'")
        self.ord = ord

    def _direction(self, gradient):
        if self.ord == "fro":
            norm = ops.sqrt(ops.sum(ops.square(gradient)))
            return gradient * (1 / (norm + ops.cast(self.epsilon, gradient.dtype)))  # one division per variable
        shape = tuple(gradient.shape)
        matrix = ops.reshape(gradient, (1, -1) if len(shape) < 2 else (-1, shape[-1]))
        u, _, v = ops.svd(matrix, full_matrices=False)  # v holds the right singular vectors as rows
        return ops.reshape(ops.outer(u[:, 0], v[0, :]), shape)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        direction = self._direction(ops.cast(gradient, dtype))
        self.assign(variable, variable * lr - (1 - lr) * ops.cast(self.lambda_, dtype) * direction)

    def get_config(self):
        config = super().get_config()
        config.update({"lambda_": self.lambda_, "epsilon": self.epsilon, "ord": self.ord})
        return config
