"""Sparsemax: the Euclidean projection of the logits onto the probability simplex."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args


@keras.saving.register_keras_serializable(package="keras_dlx")
def sparsemax(logits, axis=-1):
    """Sparsemax (Martins & Astudillo 2016): a softmax whose output can be exactly zero.

        sparsemax(z)_i = max(z_i - tau(z), 0),   tau(z) = (sum_{j <= k(z)} z_(j) - 1) / k(z)

    with `z_(1) >= z_(2) >= ...` the sorted logits and `k(z) = max{k : 1 + k z_(k) > sum_{j <= k} z_(j)}` the
    size of the support. The output sums to one. Same values and gradients as TensorFlow Addons'
    `tfa.activations.sparsemax`; NaN where the logits are NaN or infinite, as there.

    Keras 3.15 has `keras.activations.sparsemax` / `keras.ops.sparsemax`, but they compute the threshold from the
    sum of all cumulative sums over the support instead of the last one: wrong (and not summing to one) whenever
    two or more outputs are non-zero, e.g. [0.3, 0.2, 0] for logits [0.5, 0.4, -1] instead of [0.55, 0.45, 0].

    Args:
        logits: float tensor.
        axis: the axis to normalize over. Defaults to -1.

    Returns:
        A tensor of the same shape and dtype as `logits`.

    Example:

    >>> p = keras_dlx.activations.sparsemax(np.array([[0.5, 0.4, -1.0]], "float32"))
    >>> np.round(keras.ops.convert_to_numpy(p), 4)
    array([[0.55, 0.45, 0.  ]], dtype=float32)

    Reference:
        - [Martins & Astudillo 2016, From Softmax to Sparsemax](https://arxiv.org/abs/1602.02068)
    """
    logits = ops.convert_to_tensor(logits)
    rank = len(logits.shape)
    if not isinstance(axis, int) or isinstance(axis, bool) or not -rank <= axis < rank:
        args.invalid("axis", axis, f"an axis of the rank-{rank} logits")
    moved = ops.moveaxis(logits, axis, -1)
    return ops.moveaxis(_last_axis_sparsemax(moved), -1, axis)


def _last_axis_sparsemax(logits):
    size = ops.shape(logits)[-1]
    ranked = -ops.sort(-logits, axis=-1)
    cumulative = ops.cumsum(ranked, axis=-1)
    k = ops.arange(1, size + 1, dtype=logits.dtype)
    support = ops.sum(ops.cast(1.0 + k * ranked > cumulative, "int32"), axis=-1, keepdims=True)
    total = ops.take_along_axis(cumulative, ops.maximum(support, 1) - 1, axis=-1)
    threshold = (total - 1.0) / ops.cast(support, logits.dtype)
    probabilities = ops.maximum(logits - threshold, 0.0)
    # No support (NaN or infinite logits): NaN, as in TensorFlow Addons.
    undefined = ops.logical_or(ops.equal(support, 0), ops.isnan(cumulative[..., -1:]))
    return ops.where(undefined, ops.full_like(probabilities, float("nan")), probabilities)
