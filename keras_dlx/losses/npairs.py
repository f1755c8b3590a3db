"""N-pair losses (Sohn 2016): softmax cross-entropy over a batch's similarity matrix."""

from keras import ops

from keras_dlx.losses import metric_learning as ml
from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.utils.registration import register

__all__ = ["npairs_loss", "npairs_multilabel_loss", "NpairsLoss", "NpairsMultilabelLoss"]


def _soft_cross_entropy(targets, logits):
    """Mean over rows of the cross-entropy between the rows of `targets` (distributions) and softmax(logits)."""
    return ops.mean(-ops.sum(targets * ops.log_softmax(logits, axis=-1), axis=-1))


def npairs_loss(y_true, y_pred):
    """N-pair loss: each row of a similarity matrix, as logits, should pick the samples of the same label.

    With `S` the `(batch_size, batch_size)` similarity matrix between anchors and positives and `T[i, j]` equal to
    1 when samples i and j share a label, rows normalized to sum to one,

        loss = mean_i( -sum_j T[i, j] * log softmax(S[i, :])[j] )

    Same values and gradients as TensorFlow Addons' `npairs_loss`.

    Args:
        y_true: integer labels of shape `(batch_size,)` (or `(batch_size, 1)`).
        y_pred: similarity matrix of shape `(batch_size, batch_size)`, e.g. `anchors @ positives.T`.

    Returns:
        Scalar loss.

    Example:

    >>> loss = keras_dlx.losses.npairs_loss(np.array([0, 1]), np.array([[2.0, 0.0], [0.0, 2.0]]))
    >>> round(float(loss), 4)
    0.1269

    Reference:
        - [Sohn 2016, Improved Deep Metric Learning with Multi-class N-pair Loss
          Objective](https://papers.nips.cc/paper/6200-improved-deep-metric-learning-with-multi-class-n-pair-loss-objective)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    targets = ops.cast(ml.label_adjacency(y_true), y_pred.dtype)
    return _soft_cross_entropy(targets / ops.sum(targets, axis=1, keepdims=True), y_pred)


def npairs_multilabel_loss(y_true, y_pred):
    """N-pair loss for multi-label data: targets weighted by how many labels two samples share.

    With `Y` the `(batch_size, num_classes)` binary label indicators, the targets are `T = Y @ Y.T` (the size of
    the intersection of the two samples' label sets), rows normalized to sum to one, and

        loss = mean_i( -sum_j T[i, j] * log softmax(S[i, :])[j] )

    Same values and gradients as TensorFlow Addons' `npairs_multilabel_loss` (dense labels only: Keras 3 has no
    sparse tensors on every backend). A sample without any label gives NaN, as in Addons.

    Args:
        y_true: binary label indicators of shape `(batch_size, num_classes)`.
        y_pred: similarity matrix of shape `(batch_size, batch_size)`.

    Returns:
        Scalar loss.

    Example:

    >>> y_true = np.array([[1, 0], [1, 1]])
    >>> loss = keras_dlx.losses.npairs_multilabel_loss(y_true, np.array([[2.0, 0.0], [0.0, 2.0]]))
    >>> round(float(loss), 4)
    0.9603

    Reference:
        - [Sohn 2016, Improved Deep Metric Learning with Multi-class N-pair Loss
          Objective](https://papers.nips.cc/paper/6200-improved-deep-metric-learning-with-multi-class-n-pair-loss-objective)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    targets = ops.matmul(y_true, ops.transpose(y_true))
    return _soft_cross_entropy(targets / ops.sum(targets, axis=1, keepdims=True), y_pred)


@register
class NpairsLoss(ArgumentsLoss):
    """N-pair loss, as a `keras.losses.Loss` (see `npairs_loss`).

    `y_true` holds integer labels `(batch_size,)`, `y_pred` the `(batch_size, batch_size)` similarity matrix
    between anchors and positives. The loss is one number for the batch: `reduction` leaves it as is and a
    per-sample `sample_weight` scales it by the weights' mean.

    Args:
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"npairs_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.NpairsLoss()
    >>> round(float(loss(np.array([0, 1]), np.array([[2.0, 0.0], [0.0, 2.0]]))), 4)
    0.1269

    Reference:
        - [Sohn 2016, Improved Deep Metric Learning with Multi-class N-pair Loss
          Objective](https://papers.nips.cc/paper/6200-improved-deep-metric-learning-with-multi-class-n-pair-loss-objective)
    """

    def __init__(self, reduction="sum_over_batch_size", name="npairs_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        return npairs_loss(y_true, y_pred)


@register
class NpairsMultilabelLoss(ArgumentsLoss):
    """Multi-label N-pair loss, as a `keras.losses.Loss` (see `npairs_multilabel_loss`).

    `y_true` holds binary label indicators `(batch_size, num_classes)`, `y_pred` the `(batch_size, batch_size)`
    similarity matrix. The loss is one number for the batch: `reduction` leaves it as is and a per-sample
    `sample_weight` scales it by the weights' mean.

    Args:
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"npairs_multilabel_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.NpairsMultilabelLoss()
    >>> round(float(loss(np.array([[1, 0], [1, 1]]), np.array([[2.0, 0.0], [0.0, 2.0]]))), 4)
    0.9603

    Reference:
        - [Sohn 2016, Improved Deep Metric Learning with Multi-class N-pair Loss
          Objective](https://papers.nips.cc/paper/6200-improved-deep-metric-learning-with-multi-class-n-pair-loss-objective)
    """

    def __init__(self, reduction="sum_over_batch_size", name="npairs_multilabel_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        return npairs_multilabel_loss(y_true, y_pred)
