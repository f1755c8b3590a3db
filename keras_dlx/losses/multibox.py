"""SSD's MultiBox loss: smooth L1 on matched priors and softmax cross-entropy with hard-negative mining."""

from keras import ops

from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["MultiBoxLoss"]


@register
class MultiBoxLoss(ArgumentsLoss):
    """SSD's MultiBox loss (Liu et al. 2016): localization on the matched priors, confidence with hard negatives.

        L = (L_conf + localization_weight * L_loc) / N

    `N` is the number of positive priors in the batch (1 if there are none). `L_loc` sums the smooth L1
    (Huber, beta 1) of the four box deltas over the positives. `L_conf` sums the softmax cross-entropy over the
    positives (their class) and over the hard negatives: per image, the `neg_pos_ratio * n_pos` (rounded down)
    negatives of highest background cross-entropy, or all of the image's negatives if fewer; ignored priors never
    count. An image without positives so contributes no negatives (as the reference code). The mining choice is
    not differentiated (a selection, as in the paper).

    Targets come from `keras_dlx.ops.encode_anchor_targets` (the model's priors; decode predictions with
    `keras_dlx.ops.decode_boxes` and the same `weights`). Class 0 is the
    background: the truth's class `c` is logit `c + 1`.

    With the default reduction (`"sum_over_batch_size"`, the mean over images) the result is the paper's `L`:
    each image's term is divided by `N / batch_size`, the batch's mean number of positives per image. With
    `reduction="sum"` it is `batch_size * L`.

    Args:
        neg_pos_ratio: hard negatives kept per positive. Defaults to 3.0.
        localization_weight: weight alpha of the localization term. Defaults to 1.0.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"multibox_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Call arguments:
        y_true: `(batch, num_priors, 5)`: the encoded deltas `[..., :4]` and the class target `[..., 4]`
            (-1 ignored, 0 background, `c + 1` for class `c`), as `encode_anchor_targets` returns.
        y_pred: `(batch, num_priors, 4 + num_classes + 1)`: predicted deltas `[..., :4]`, then the class logits
            with the background first.

    Example:

    >>> y_true = np.array([[[1.0, 0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]]])
    >>> y_pred = np.array([[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]])
    >>> round(float(keras_dlx.losses.MultiBoxLoss()(y_true, y_pred)), 4)
    2.6972

    Reference:
        - [Liu et al. 2016, SSD: Single Shot MultiBox Detector](https://arxiv.org/abs/1512.02325)
    """

    _arguments = ("neg_pos_ratio", "localization_weight")

    def __init__(self, neg_pos_ratio=3.0, localization_weight=1.0, reduction="sum_over_batch_size",
                 name="multibox_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.neg_pos_ratio = args.non_negative_float("neg_pos_ratio", neg_pos_ratio)
        self.localization_weight = args.non_negative_float("localization_weight", localization_weight)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        if len(y_true.shape) != 3 or y_true.shape[-1] != 5:
            raise ValueError("Invalid `y_true` for MultiBoxLoss: expected shape (batch, num_priors, 5) (deltas and "
                             f"class target, as encode_anchor_targets). Received: shape={tuple(y_true.shape)}")
        if len(y_pred.shape) != 3 or (y_pred.shape[-1] is not None and y_pred.shape[-1] < 6):
            raise ValueError("Invalid `y_pred` for MultiBoxLoss: expected shape (batch, num_priors, 4 + "
                             f"num_classes + 1), at least 6 channels. Received: shape={tuple(y_pred.shape)}")
        classes = ops.cast(y_true[..., 4], "int32")
        positive = ops.cast(classes > 0, y_pred.dtype)
        negative = classes == 0

        error = ops.abs(y_pred[..., :4] - y_true[..., :4])
        smooth_l1 = ops.where(error < 1.0, 0.5 * ops.square(error), error - 0.5)
        localization = ops.sum(ops.sum(smooth_l1, axis=-1) * positive, axis=-1)

        log_probs = ops.log_softmax(y_pred[..., 4:], axis=-1)
        target = ops.expand_dims(ops.maximum(classes, 0), -1)
        cross_entropy = -ops.take_along_axis(log_probs, target, axis=-1)[..., 0]  # (batch, priors)

        hard = self._hard_negatives(cross_entropy, negative, positive)
        confidence = ops.sum(cross_entropy * (positive + hard), axis=-1)

        positives_per_image = ops.sum(positive) / ops.cast(ops.shape(y_pred)[0], y_pred.dtype)
        return (confidence + self.localization_weight * localization) / ops.maximum(
            positives_per_image, 1.0 / ops.cast(ops.shape(y_pred)[0], y_pred.dtype))

    def _hard_negatives(self, cross_entropy, negative, positive):
        """1.0 for each image's `neg_pos_ratio * n_pos` negatives of highest loss, else 0.0."""
        dtype = cross_entropy.dtype
        candidates = ops.where(negative, ops.stop_gradient(cross_entropy), -1.0)  # cross-entropy is >= 0
        rank = ops.argsort(ops.argsort(-candidates, axis=-1), axis=-1)
        available = ops.sum(ops.cast(negative, dtype), axis=-1)
        wanted = ops.minimum(ops.floor(self.neg_pos_ratio * ops.sum(positive, axis=-1)), available)
        hard = ops.logical_and(negative, ops.cast(rank, dtype) < ops.expand_dims(wanted, -1))
        return ops.cast(hard, dtype)
