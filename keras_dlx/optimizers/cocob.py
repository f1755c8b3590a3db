"""COCOB-Backprop: training without a learning rate, by coin betting."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["COCOB"]


@register
class COCOB(keras.optimizers.Optimizer):
    """COCOB-Backprop (Orabona & Tommasi 2017): each weight bets a fraction of its "wealth" on the sign of the
    negative gradient sum, so no learning rate is needed.

    Per weight, with the gradient g_t, the largest |g| seen L_t (starting at 1e-8), the sums G_t = sum g and
    A_t = sum |g|, the offset x_t of the weight from its initial value w_0 and the reward
    R_t = max(R_{t-1} - g_t * x_{t-1}, 0):

        x_t = -G_t / (L_t * max(A_t + L_t, alpha * L_t)) * (L_t + R_t)
        w_t = w_0 + x_t

    Same slots and update as TensorFlow Addons' `COCOB`. There is no learning rate: Keras's `learning_rate` is
    kept at 1 and left out of the config, and a learning-rate schedule or callback has no effect. Gradients are
    applied densely (Addons refused sparse ones).

    Args:
        alpha: number >= 1 that bounds the first steps, `x_t` being at most about `1 / alpha` of the weight's
            wealth while `A_t` is small. Defaults to 100, as in the paper.
        name: name of the optimizer. Defaults to "COCOB".
        **kwargs: the arguments of `keras.optimizers.Optimizer` other than `learning_rate` (`clipnorm`,
            `use_ema`, ...).

    Example:

    >>> optimizer = keras_dlx.optimizers.COCOB(alpha=100)
    >>> w = keras.Variable([1.0, -2.0])
    >>> for _ in range(3):
    ...     _ = optimizer.apply_gradients([(keras.ops.convert_to_tensor([0.5, -0.5]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w), 4)
    array([ 0.9691, -1.9691], dtype=float32)

    Reference:
        - [Orabona & Tommasi 2017, Training Deep Networks without Learning Rates Through Coin
          Betting](https://arxiv.org/abs/1705.07795)
    """

    def __init__(self, alpha=100, name="COCOB", **kwargs):
        super().__init__(learning_rate=1.0, name=name, **kwargs)
        if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool) or not alpha >= 1:
            args.invalid("alpha", alpha, "a number >= 1")
        self.alpha = float(alpha)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        largest = keras.initializers.Constant(1e-8)
        self._largest_gradients = [self.add_variable_from_reference(v, "largest_gradient", largest)
                                   for v in var_list]
        self._gradient_norm_sums = [self.add_variable_from_reference(v, "gradient_norm_sum") for v in var_list]
        self._gradient_sums = [self.add_variable_from_reference(v, "gradient_sum") for v in var_list]
        self._offsets = [self.add_variable_from_reference(v, "offset") for v in var_list]
        self._rewards = [self.add_variable_from_reference(v, "reward") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        index = variable_index(self, variable)
        largest, norm_sum = self._largest_gradients[index], self._gradient_norm_sums[index]
        gradient_sum, offset, reward = self._gradient_sums[index], self._offsets[index], self._rewards[index]

        # Fewer full-size passes than the formula as written: the sums are added to in place, the reward and the
        # bound read the slots back, and the weight moves by the old offset and the new one in two in-place steps.
        magnitude = ops.abs(gradient)
        self.assign(reward, ops.relu(reward - gradient * offset))  # R_t = max(R - g * x_{t-1}, 0)
        self.assign(largest, ops.maximum(largest, magnitude))
        self.assign_add(gradient_sum, gradient)
        self.assign_add(norm_sum, magnitude)
        bound = largest * ops.maximum(norm_sum + largest, self.alpha * largest)
        self.assign_sub(variable, offset)
        self.assign(offset, gradient_sum * (reward + largest) / -bound)
        self.assign_add(variable, offset)

    def get_config(self):
        config = super().get_config()
        del config["learning_rate"]
        config["alpha"] = self.alpha
        return config
