"""Lifted structured embedding loss (Oh Song et al. 2016)."""

from keras import ops

from keras_dlx.losses import metric_learning as ml
from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.utils.registration import register

__all__ = ["lifted_struct_loss", "LiftedStructLoss"]


def lifted_struct_loss(labels, embeddings, margin=1.0):
    """Lifted structured loss: every positive pair against every negative of either of its two samples.

    For each positive pair (i, j), with `D` the Euclidean distances and `N(i)` the samples of other labels than i,

        J(i, j) = D(i, j) + log( sum_{k in N(i)} exp(margin - D(i, k)) + sum_{l in N(j)} exp(margin - D(j, l)) )
        loss = 1 / (2 |P|) * sum_{(i, j) in P} max(J(i, j), 0)^2

    over the ordered positive pairs P (the log-sum-exp is computed shifted by its largest term). Same values and
    gradients as TensorFlow Addons' `lifted_struct_loss`, except for a batch with no positive pair (every label
    seen once) or no negative pair (one label only): 0 with a zero gradient, where Addons gives NaN.
    float16/bfloat16 embeddings are computed in float32 and the loss is returned in their dtype.

    Args:
        labels: integer labels of shape `(batch_size,)` (or `(batch_size, 1)`).
        embeddings: embeddings of shape `(batch_size, dim)`, not l2-normalized.
        margin: non-negative float, the margin in the loss. Defaults to 1.0.

    Returns:
        Scalar loss.

    Example:

    >>> loss = keras_dlx.losses.lifted_struct_loss(np.array([0, 0, 1]), np.array([[0.0], [0.5], [2.0]]))
    >>> round(float(loss), 4)
    0.1124

    Reference:
        - [Oh Song et al. 2016, Deep Metric Learning via Lifted Structured Feature
          Embedding](https://arxiv.org/abs/1511.06452)
    """
    margin = ml.check_margin(margin)
    embeddings, dtype = ml.precise(embeddings)
    distances = ml.pairwise_distance(embeddings)
    same = ml.label_adjacency(labels)
    negatives = ops.cast(ops.logical_not(same), distances.dtype)
    slack = margin - distances
    row_largest = ml.masked_maximum(slack, negatives)
    # Shift of the log-sum-exp of pair (i, j): the larger of the two rows' largest negative terms.
    shift = ops.maximum(row_largest, ops.transpose(row_largest))
    # row_sums[i, j] = sum_k exp(slack[i, k] - shift[i, j]) over the negatives k of i.
    row_sums = ops.sum(ops.exp(ops.expand_dims(slack, 1) - ops.expand_dims(shift, 2))
                       * ops.expand_dims(negatives, 1), axis=-1)
    pair_sums = row_sums + ops.transpose(row_sums)
    # A pair without any negative has J = -inf, no loss: kept out of the log so that its gradient is 0, not NaN.
    counted = ops.greater(pair_sums, 0.0)
    pair_loss = shift + ops.log(ops.where(counted, pair_sums, 1.0)) + distances
    positives = ops.cast(same, distances.dtype) - ops.eye(ops.shape(distances)[0], dtype=distances.dtype)
    hinge = ops.where(counted, ops.maximum(pair_loss * positives, 0.0), 0.0)
    total = 0.25 * ops.sum(ops.square(hinge))
    return ops.cast(ops.divide_no_nan(total, ops.sum(positives) / 2.0), dtype)


@register
class LiftedStructLoss(ArgumentsLoss):
    """Lifted structured loss, as a `keras.losses.Loss` (see `lifted_struct_loss`).

    Each positive pair of the batch is pushed closer than every negative of either of its samples, through a
    smooth (log-sum-exp) maximum over the negatives. `y_true` holds integer labels `(batch_size,)`, `y_pred`
    embeddings `(batch_size, dim)`. The loss is one number for the batch: `reduction` leaves it as is and a
    per-sample `sample_weight` scales it by the weights' mean.

    Args:
        margin: non-negative float, the margin in the loss. Defaults to 1.0.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"lifted_struct_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.LiftedStructLoss(margin=2.0)
    >>> round(float(loss(np.array([0, 0, 1]), np.array([[0.0], [0.5], [2.0]]))), 4)
    1.0865

    Reference:
        - [Oh Song et al. 2016, Deep Metric Learning via Lifted Structured Feature
          Embedding](https://arxiv.org/abs/1511.06452)
    """

    _arguments = ("margin",)

    def __init__(self, margin=1.0, reduction="sum_over_batch_size", name="lifted_struct_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.margin = ml.check_margin(margin)

    def call(self, y_true, y_pred):
        return lifted_struct_loss(y_true, y_pred, margin=self.margin)
