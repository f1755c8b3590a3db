"""Contrastive loss on the distances of pairs of embeddings (Hadsell, Chopra & LeCun 2006)."""

from keras import ops

from keras_dlx.losses import metric_learning as ml
from keras_dlx.losses.base import ArgumentsLoss, same_rank
from keras_dlx.utils.registration import register

__all__ = ["contrastive_loss", "ContrastiveLoss"]


def contrastive_loss(y_true, y_pred, margin=1.0):
    """Contrastive loss: pull similar pairs together, push dissimilar pairs at least `margin` apart.

        loss = y * d^2 + (1 - y) * max(margin - d, 0)^2

    where `d` is the distance between the two embeddings of a pair and `y` is 1 for a similar pair, 0 otherwise.
    Same values and gradients as TensorFlow Addons' `contrastive_loss`; labels of one rank less than the
    distances (`(batch,)` against `(batch, 1)`) get a trailing axis, as Keras's losses do, where Addons would
    broadcast them to a `(batch, batch)` matrix.

    Args:
        y_true: binary labels, 1 for a similar pair, e.g. of shape `(batch_size,)`.
        y_pred: distances between the two embeddings of each pair, same shape as `y_true`.
        margin: non-negative float, the distance beyond which dissimilar pairs cost nothing. Defaults to 1.0.

    Returns:
        The loss of each pair, shape of `y_pred`.

    Example:

    >>> loss = keras_dlx.losses.contrastive_loss(np.array([1.0, 0.0]), np.array([0.5, 0.25]))
    >>> np.round(keras.ops.convert_to_numpy(loss), 4).tolist()
    [0.25, 0.5625]

    Reference:
        - [Hadsell, Chopra & LeCun 2006, Dimensionality Reduction by Learning an Invariant
          Mapping](http://yann.lecun.com/exdb/publis/pdf/hadsell-chopra-lecun-06.pdf)
    """
    margin = ml.check_margin(margin)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = same_rank(y_true, y_pred)
    return y_true * ops.square(y_pred) + (1.0 - y_true) * ops.square(ops.maximum(margin - y_pred, 0.0))


@register
class ContrastiveLoss(ArgumentsLoss):
    """Contrastive loss, as a `keras.losses.Loss` (see `contrastive_loss`).

        loss = y * d^2 + (1 - y) * max(margin - d, 0)^2

    `y_true` is 1 for a similar pair and 0 otherwise; `y_pred` is the distance between the pair's embeddings.

    Args:
        margin: non-negative float, the distance beyond which dissimilar pairs cost nothing. Defaults to 1.0.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"contrastive_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.ContrastiveLoss(margin=2.0)
    >>> round(float(loss(np.array([1.0, 0.0]), np.array([0.5, 1.5]))), 4)
    0.25

    Reference:
        - [Hadsell, Chopra & LeCun 2006, Dimensionality Reduction by Learning an Invariant
          Mapping](http://yann.lecun.com/exdb/publis/pdf/hadsell-chopra-lecun-06.pdf)
    """

    _arguments = ("margin",)

    def __init__(self, margin=1.0, reduction="sum_over_batch_size", name="contrastive_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.margin = ml.check_margin(margin)

    def call(self, y_true, y_pred):
        return contrastive_loss(y_true, y_pred, margin=self.margin)
