"""Sparsemax loss (Martins & Astudillo 2016), the loss whose gradient is sparsemax(z) - y."""

from keras import ops

from keras_dlx.activations.sparsemax import sparsemax
from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["sparsemax_loss", "SparsemaxLoss"]


def _sparsemax(logits):
    """Sparsemax over the last axis (`keras_dlx.activations.sparsemax`: Keras 3.15's `keras.ops.sparsemax` is
    wrong when two or more outputs are non-zero)."""
    return sparsemax(logits, axis=-1)


def sparsemax_loss(logits, sparsemax, labels):
    """Sparsemax loss, from the logits and their sparsemax probabilities.

        loss = sum_{j : p_j > 0} p_j * (z_j - p_j / 2) + sum_j y_j * (y_j / 2 - z_j)

    with `z` the logits, `p = sparsemax(z)` and `y` the target distribution; equal to Martins & Astudillo's
    `-y.z + 1/2 sum_{j in S(z)} (z_j^2 - tau(z)^2) + 1/2 |y|^2`, written without the threshold `tau`. Same
    arguments (order included), values and gradients as TensorFlow Addons' `sparsemax_loss`.

    Args:
        logits: float tensor of shape `(batch_size, num_classes)`.
        sparsemax: the sparsemax of `logits`, same shape.
        labels: target distributions (e.g. one-hot), same shape.

    Returns:
        The loss of each sample, shape `(batch_size,)`.

    Example:

    >>> z = np.array([[2.0, 1.5, -1.0]])
    >>> p = np.array([[0.75, 0.25, 0.0]])
    >>> loss = keras_dlx.losses.sparsemax_loss(z, p, np.array([[0.0, 1.0, 0.0]]))
    >>> np.round(keras.ops.convert_to_numpy(loss), 4).tolist()
    [0.5625]

    Reference:
        - [Martins & Astudillo 2016, From Softmax to Sparsemax: A Sparse Model of Attention and Multi-Label
          Classification](https://arxiv.org/abs/1602.02068)
    """
    z = ops.convert_to_tensor(logits)
    p = ops.cast(sparsemax, z.dtype)
    labels = ops.cast(labels, z.dtype)
    in_support = ops.logical_or(ops.greater(p, 0.0), ops.isnan(p))
    support_part = ops.where(in_support, p * (z - 0.5 * p), ops.zeros_like(p))
    # 0 * inf would be NaN: a label of 0 on an infinite logit contributes nothing.
    label_part = ops.where(ops.logical_and(ops.equal(labels, 0.0), ops.isinf(z)), ops.zeros_like(z),
                           labels * (0.5 * labels - z))
    return ops.sum(support_part + label_part, axis=1)


@register
class SparsemaxLoss(ArgumentsLoss):
    """Sparsemax loss on logits, as a `keras.losses.Loss` (see `sparsemax_loss`).

    The multi-label loss of Martins & Astudillo: `y_pred` holds logits `(batch_size, num_classes)`, `y_true`
    target distributions of the same shape. Its gradient with respect to the logits is `sparsemax(z) - y`.

    Args:
        from_logits: must be True (the loss needs the logits). Defaults to True.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"sparsemax_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.SparsemaxLoss()
    >>> round(float(loss(np.array([[0.0, 1.0, 0.0]]), np.array([[2.0, 1.5, -1.0]]))), 4)
    0.5625

    Reference:
        - [Martins & Astudillo 2016, From Softmax to Sparsemax: A Sparse Model of Attention and Multi-Label
          Classification](https://arxiv.org/abs/1602.02068)
    """

    _arguments = ("from_logits",)

    def __init__(self, from_logits=True, reduction="sum_over_batch_size", name="sparsemax_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        if args.boolean("from_logits", from_logits) is not True:
            args.invalid("from_logits", from_logits, "True (the sparsemax loss is computed from logits)")
        self.from_logits = True

    def call(self, y_true, y_pred):
        logits = ops.convert_to_tensor(y_pred)
        return sparsemax_loss(logits, _sparsemax(logits), y_true)
