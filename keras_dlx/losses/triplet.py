"""Triplet losses with online mining inside the batch: semi-hard negatives (FaceNet) and hardest pairs."""

from keras import ops

from keras_dlx.losses import metric_learning as ml
from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["triplet_semihard_loss", "triplet_hard_loss", "TripletSemiHardLoss", "TripletHardLoss"]


def _semihard_negatives(distances, negatives):
    """For each anchor a and each other sample p: the smallest d(a, n) over negatives n with d(a, n) > d(a, p);
    where no negative is that far, the largest d(a, n) over all negatives."""
    # (anchor, positive, negative) cube: is n a negative of a farther from a than p is?
    farther = ops.logical_and(ops.expand_dims(negatives, 1),
                              ops.greater(ops.expand_dims(distances, 1), ops.expand_dims(distances, 2)))
    cube = ops.broadcast_to(ops.expand_dims(distances, 1), ops.shape(farther))
    outside = ops.squeeze(ml.masked_minimum(cube, ops.cast(farther, distances.dtype)), -1)
    inside = ml.masked_maximum(distances, ops.cast(negatives, distances.dtype))
    return ops.where(ops.any(farther, axis=-1), outside, inside)


def triplet_semihard_loss(y_true, y_pred, margin=1.0, distance_metric="L2"):
    """Triplet loss with semi-hard negative mining (Schroff et al. 2015).

    Every pair (a, p) of distinct samples with the same label is a positive pair. Its negative n is the closest
    sample of another label that is still farther from a than p (semi-hard); if there is none, the farthest
    sample of another label. The loss is the mean over the positive pairs of

        max(d(a, p) - d(a, n) + margin, 0)

    Same values and gradients as TensorFlow Addons' `triplet_semihard_loss`, except for a batch with no positive
    pair at all (every label seen once): 0 with a zero gradient, where Addons gives NaN. float16/bfloat16
    embeddings are computed in float32 and the loss is returned in their dtype.

    Args:
        y_true: integer labels of shape `(batch_size,)` (or `(batch_size, 1)`).
        y_pred: embeddings of shape `(batch_size, dim)`, meant to be l2-normalized.
        margin: non-negative float, the margin in the loss. Defaults to 1.0.
        distance_metric: `"L2"`, `"squared-L2"`, `"angular"` (1 - cosine similarity), or a callable that maps the
            embeddings to a `(batch_size, batch_size)` distance matrix. Defaults to `"L2"`.

    Returns:
        Scalar loss.

    Example:

    >>> loss = keras_dlx.losses.triplet_semihard_loss(np.array([0, 0]), np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> round(float(loss), 4)
    2.4142

    Reference:
        - [Schroff et al. 2015, FaceNet: A Unified Embedding for Face Recognition and
          Clustering](https://arxiv.org/abs/1503.03832)
    """
    margin = ml.check_margin(margin)
    distance_metric = ml.check_distance_metric(distance_metric)
    embeddings, dtype = ml.precise(y_pred)
    distances = ml.distance_matrix(embeddings, distance_metric)
    same = ml.label_adjacency(y_true)
    negatives = ops.logical_not(same)
    hinge = ops.maximum(margin + distances - _semihard_negatives(distances, negatives), 0.0)
    positives = ops.cast(same, distances.dtype) - ops.eye(ops.shape(distances)[0], dtype=distances.dtype)
    loss = ops.divide_no_nan(ops.sum(hinge * positives), ops.sum(positives))
    return ops.cast(loss, dtype)


def triplet_hard_loss(y_true, y_pred, margin=1.0, soft=False, distance_metric="L2"):
    """Triplet loss with batch-hard mining (Hermans et al. 2017).

    For each anchor a: its farthest sample of the same label (hardest positive) and its closest sample of
    another label (hardest negative). The loss is the mean over anchors of

        max(d(a, p) - d(a, n) + margin, 0)       or, with `soft`,     log(1 + exp(d(a, p) - d(a, n)))

    An anchor alone in its label has d(a, p) = 0; a batch of one label has d(a, n) = max_j d(a, j).
    Same values and gradients as TensorFlow Addons' `triplet_hard_loss`. float16/bfloat16 embeddings are
    computed in float32 and the loss is returned in their dtype.

    Args:
        y_true: integer labels of shape `(batch_size,)` (or `(batch_size, 1)`).
        y_pred: embeddings of shape `(batch_size, dim)`, meant to be l2-normalized.
        margin: non-negative float, the margin in the hinge (unused when `soft`). Defaults to 1.0.
        soft: bool, use the soft-margin (softplus) form. Defaults to False.
        distance_metric: `"L2"`, `"squared-L2"`, `"angular"` (1 - cosine similarity), or a callable that maps the
            embeddings to a `(batch_size, batch_size)` distance matrix. Defaults to `"L2"`.

    Returns:
        Scalar loss.

    Example:

    >>> loss = keras_dlx.losses.triplet_hard_loss(np.array([0, 0]), np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> round(float(loss), 4)
    1.0

    Reference:
        - [Hermans et al. 2017, In Defense of the Triplet Loss for Person
          Re-Identification](https://arxiv.org/abs/1703.07737)
    """
    margin = ml.check_margin(margin)
    soft = args.boolean("soft", soft)
    distance_metric = ml.check_distance_metric(distance_metric)
    embeddings, dtype = ml.precise(y_pred)
    distances = ml.distance_matrix(embeddings, distance_metric)
    same = ml.label_adjacency(y_true)
    negatives = ops.cast(ops.logical_not(same), distances.dtype)
    positives = ops.cast(same, distances.dtype) - ops.eye(ops.shape(distances)[0], dtype=distances.dtype)
    gap = ml.masked_maximum(distances, positives) - ml.masked_minimum(distances, negatives)
    loss = ops.log1p(ops.exp(gap)) if soft else ops.maximum(gap + margin, 0.0)
    return ops.cast(ops.mean(loss), dtype)


@register
class TripletSemiHardLoss(ArgumentsLoss):
    """Triplet loss with semi-hard negative mining, as a `keras.losses.Loss` (see `triplet_semihard_loss`).

    Each positive pair (a, p) of the batch is pushed to be closer than the closest other-label sample n that is
    farther than p: `mean(max(d(a, p) - d(a, n) + margin, 0))`. `y_true` holds integer labels `(batch_size,)`,
    `y_pred` embeddings `(batch_size, dim)`. The loss is one number for the batch: `reduction` leaves it as is
    and a per-sample `sample_weight` scales it by the weights' mean.

    Args:
        margin: non-negative float, the margin in the loss. Defaults to 1.0.
        distance_metric: `"L2"`, `"squared-L2"`, `"angular"` or a callable (registered with
            `keras.saving.register_keras_serializable` to be saved). Defaults to `"L2"`.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"triplet_semihard_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.TripletSemiHardLoss(margin=0.5)
    >>> round(float(loss(np.array([0, 0, 1]), np.array([[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]]))), 4)
    0.119

    Reference:
        - [Schroff et al. 2015, FaceNet: A Unified Embedding for Face Recognition and
          Clustering](https://arxiv.org/abs/1503.03832)
    """

    _arguments = ("margin",)

    def __init__(self, margin=1.0, distance_metric="L2", reduction="sum_over_batch_size",
                 name="triplet_semihard_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.margin = ml.check_margin(margin)
        self.distance_metric = ml.check_distance_metric(ml.deserialize_metric(distance_metric))

    def call(self, y_true, y_pred):
        return triplet_semihard_loss(y_true, y_pred, margin=self.margin, distance_metric=self.distance_metric)

    def get_config(self):
        config = super().get_config()
        config["distance_metric"] = ml.serialize_metric(self.distance_metric)
        return config


@register
class TripletHardLoss(ArgumentsLoss):
    """Triplet loss with batch-hard mining, as a `keras.losses.Loss` (see `triplet_hard_loss`).

    Each anchor's farthest same-label sample p is pushed to be closer than its closest other-label sample n:
    `mean(max(d(a, p) - d(a, n) + margin, 0))`, or `mean(log(1 + exp(d(a, p) - d(a, n))))` when `soft`.
    `y_true` holds integer labels `(batch_size,)`, `y_pred` embeddings `(batch_size, dim)`. The loss is one number
    for the batch: `reduction` leaves it as is and a per-sample `sample_weight` scales it by the weights' mean.

    Args:
        margin: non-negative float, the margin in the hinge (unused when `soft`). Defaults to 1.0.
        soft: bool, use the soft-margin (softplus) form. Defaults to False.
        distance_metric: `"L2"`, `"squared-L2"`, `"angular"` or a callable (registered with
            `keras.saving.register_keras_serializable` to be saved). Defaults to `"L2"`.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"triplet_hard_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.TripletHardLoss(soft=True)
    >>> round(float(loss(np.array([0, 0, 1]), np.array([[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]]))), 4)
    0.4301

    Reference:
        - [Hermans et al. 2017, In Defense of the Triplet Loss for Person
          Re-Identification](https://arxiv.org/abs/1703.07737)
    """

    _arguments = ("margin", "soft")

    def __init__(self, margin=1.0, soft=False, distance_metric="L2", reduction="sum_over_batch_size",
                 name="triplet_hard_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.margin = ml.check_margin(margin)
        self.soft = args.boolean("soft", soft)
        self.distance_metric = ml.check_distance_metric(ml.deserialize_metric(distance_metric))

    def call(self, y_true, y_pred):
        return triplet_hard_loss(y_true, y_pred, margin=self.margin, soft=self.soft,
                                 distance_metric=self.distance_metric)

    def get_config(self):
        config = super().get_config()
        config["distance_metric"] = ml.serialize_metric(self.distance_metric)
        return config
