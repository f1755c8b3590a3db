"""Snake: the identity plus a squared sine, for periodic signals."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args


@keras.saving.register_keras_serializable(package="keras_dlx")
def snake(x, frequency=1):
    """Snake activation (Ziyin et al. 2020): a monotone activation with a periodic part.

        snake(x) = x + (1 - cos(2 f x)) / (2 f) = x + sin(f x)^2 / f

    Extrapolates periodic functions where ReLU and tanh networks cannot. Same values as TensorFlow Addons'
    `tfa.activations.snake`; `keras_dlx.layers.Snake` learns `f`.

    Args:
        x: input tensor.
        frequency: the frequency `f`, a non-zero number or a scalar tensor. Defaults to 1.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:

    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.activations.snake(np.array([-1.0, 0.0, 1.0]))), 4)
    array([-0.2919,  0.    ,  1.7081])

    Reference:
        - [Ziyin et al. 2020, Neural Networks Fail to Learn Periodic Functions and How to Fix It](
          https://arxiv.org/abs/2006.08195)
    """
    if isinstance(frequency, bool) or (isinstance(frequency, numbers.Real) and frequency == 0):
        args.invalid("frequency", frequency, "a non-zero number or a scalar tensor")
    x = ops.convert_to_tensor(x)
    frequency = ops.cast(frequency, x.dtype)
    return x + (1.0 - ops.cos(2.0 * frequency * x)) / (2.0 * frequency)
