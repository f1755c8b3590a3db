"""RReLU: a leaky ReLU whose negative slope is drawn at random while training."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args


def _bound(name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value:
        args.invalid(name, value, "a non-negative number")
    return float(value)


@keras.saving.register_keras_serializable(package="keras_dlx")
def rrelu(x, lower=0.125, upper=1.0 / 3.0, training=None, seed=None):
    """Randomized leaky rectified linear unit (Xu et al. 2015).

        rrelu(x) = x        if x >= 0
                   a * x    otherwise

    In training, each element draws its own slope `a ~ U(lower, upper)`; in inference,
    `a = (lower + upper) / 2`. Same semantics and defaults as TensorFlow Addons' `tfa.activations.rrelu`:
    `training=None` means inference, as Addons' learning phase did outside `fit`. The random stream is Keras's,
    so the slopes drawn in training differ from Addons' for the same seed (their distribution is the same).

    Args:
        x: input tensor.
        lower: the smallest slope, a non-negative number. Defaults to 0.125.
        upper: the largest slope, a number >= `lower`. Defaults to 1/3.
        training: whether to draw random slopes (True) or use their mean (False or None). Defaults to None.
        seed: None, an integer or a `keras.random.SeedGenerator`, for the slopes drawn in training (pass a
            `SeedGenerator` inside a function compiled with JAX). Defaults to None.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:

    >>> x = np.array([-1.0, 0.0, 1.0])
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.activations.rrelu(x)), 4)
    array([-0.2292,  0.    ,  1.    ])
    >>> y = keras.ops.convert_to_numpy(keras_dlx.activations.rrelu(-np.ones(1000), training=True, seed=1))
    >>> bool(np.all((-y >= 0.125) & (-y <= 1 / 3)))
    True

    Reference:
        - [Xu et al. 2015, Empirical Evaluation of Rectified Activations in Convolutional Network](
          https://arxiv.org/abs/1505.00853)
    """
    lower, upper = _bound("lower", lower), _bound("upper", upper)
    if upper < lower:
        args.invalid("upper", upper, f"a number >= lower ({lower})")
    if training is not None and not isinstance(training, bool):
        training = bool(training)
    if not (seed is None or isinstance(seed, keras.random.SeedGenerator)):
        args.seed(seed)
    x = ops.convert_to_tensor(x)
    if training:
        # The slopes are drawn in float32 at least: float16 cannot tell 1/3 from 0.3333 finely enough to matter,
        # but its random uniform is not implemented on every backend.
        dtype = "float32" if keras.backend.standardize_dtype(x.dtype) in ("float16", "bfloat16") else x.dtype
        slope = ops.cast(keras.random.uniform(ops.shape(x), lower, upper, dtype=dtype, seed=seed), x.dtype)
    else:
        slope = ops.cast((lower + upper) / 2.0, x.dtype)
    return ops.where(x >= 0, x, slope * x)
