"""Faster R-CNN's two losses: the region proposal network's and the box head's (Fast R-CNN's), on sampled slots."""

from keras import ops

from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["RPNLoss", "FastRCNNLoss"]


def _smooth_l1(error, beta):
    error = ops.abs(error)
    if beta == 0:
        return error
    return ops.where(error < beta, 0.5 * ops.square(error) / beta, error - 0.5 * beta)


def _per_image(total, count):
    """Per-image terms whose batch mean is `sum(total) / sum(count)` (1 when nothing was sampled)."""
    batch = ops.cast(ops.shape(total)[0], total.dtype)
    return total * batch / ops.maximum(ops.sum(count), 1.0)


def _check(name, loss, tensor, width, description):
    if len(tensor.shape) != 3 or (width is not None and tensor.shape[-1] is not None and tensor.shape[-1] != width):
        raise ValueError(f"Invalid `{name}` for {loss}: expected shape {description}. Received: "
                         f"shape={tuple(tensor.shape)}")


@register
class RPNLoss(ArgumentsLoss):
    """The region proposal network's loss (Ren et al. 2015) on a batch of sampled anchors.

        L = (sum_i BCE(p_i, p*_i) + box_weight * sum_i p*_i smoothL1_beta(t_i - t*_i)) / N

    over the sampled anchors `i` (label 1 or 0; label -1 marks an empty slot and counts nowhere); `p_i` is the
    predicted objectness (a logit), `p*_i` its label, `t_i`/`t*_i` the predicted and target deltas (summed over
    the 4 coordinates, positives only) and `N` the number of sampled anchors in the batch (the paper's
    `N_cls`, 256 per image; with `box_weight=1` this is also torchvision's normalisation of the box term). The
    default `beta=1/9` is the reference implementation's smooth L1 (sigma 3).

    With the default reduction the result is `L`: each image's term is scaled by `batch_size / N`, so the mean
    over images is the batch's sum over `N`.

    Args:
        box_weight: non-negative float, the weight (lambda) of the box term. Defaults to 1.0.
        beta: non-negative float, the smooth L1 transition point (0: L1). Defaults to 1/9.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: the loss's name. Defaults to `"rpn_loss"`.
        dtype: dtype of the computation. Defaults to None (`keras.config.floatx()`).

    Call arguments:
        y_true: `(batch, num_sampled, 5)`: target deltas `[..., :4]` (encoded with weights 1) and the label
            `[..., 4]` (1 object, 0 background, -1 empty slot), e.g. from `keras_dlx.ops.sample_balanced`.
        y_pred: `(batch, num_sampled, 5)`: predicted deltas `[..., :4]` and the objectness logit `[..., 4]`.

    Example:

    >>> y_true = np.array([[[0.5, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]]])
    >>> y_pred = np.zeros((1, 2, 5))
    >>> round(float(keras_dlx.losses.RPNLoss()(y_true, y_pred)), 4)
    0.9154

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
    """

    _arguments = ("box_weight", "beta")

    def __init__(self, box_weight=1.0, beta=1.0 / 9.0, reduction="sum_over_batch_size", name="rpn_loss",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.box_weight = args.non_negative_float("box_weight", box_weight)
        self.beta = args.non_negative_float("beta", beta)

    def terms(self, y_true, y_pred):
        """Per-image `(objectness, box)` terms, each already divided as in `L` (their batch means add to `L`)."""
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        _check("y_true", "RPNLoss", y_true, 5, "(batch, num_sampled, 5)")
        _check("y_pred", "RPNLoss", y_pred, 5, "(batch, num_sampled, 5)")
        label = y_true[..., 4]
        sampled = ops.cast(label >= 0, y_pred.dtype)
        positive = ops.cast(label > 0, y_pred.dtype)
        logits = y_pred[..., 4]
        # Binary cross-entropy from logits, stable for large |logits|.
        bce = ops.maximum(logits, 0.0) - logits * positive + ops.log1p(ops.exp(-ops.abs(logits)))
        count = ops.sum(sampled, axis=-1)
        objectness = _per_image(ops.sum(bce * sampled, axis=-1), count)
        box = ops.sum(_smooth_l1(y_pred[..., :4] - y_true[..., :4], self.beta), axis=-1)
        box = _per_image(self.box_weight * ops.sum(box * positive, axis=-1), count)
        return objectness, box

    def call(self, y_true, y_pred):
        objectness, box = self.terms(y_true, y_pred)
        return objectness + box


@register
class FastRCNNLoss(ArgumentsLoss):
    """The box head's loss of Fast/Faster R-CNN (Girshick 2015) on a batch of sampled RoIs.

        L = (sum_i CE(logits_i, u_i) + box_weight * sum_{i: u_i >= 1} smoothL1_beta(t^{u_i}_i - v_i)) / N

    over the sampled RoIs `i` (class target `u_i`: 0 background, `c + 1` for class `c`, -1 an empty slot that
    counts nowhere); `t^u` is the deltas the head predicts for class `u` (per-class regression: only the
    truth's class's deltas are trained), `v_i` the target deltas (encoded with weights (10, 10, 5, 5)), and `N`
    the number of sampled RoIs in the batch (512 per image in the paper). Reduction as `RPNLoss`.

    Args:
        box_weight: non-negative float, the weight (lambda) of the box term. Defaults to 1.0.
        beta: non-negative float, the smooth L1 transition point. Defaults to 1.0 (Fast R-CNN's).
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: the loss's name. Defaults to `"fast_rcnn_loss"`.
        dtype: dtype of the computation. Defaults to None (`keras.config.floatx()`).

    Call arguments:
        y_true: `(batch, num_sampled, 5)`: target deltas `[..., :4]` and the class target `[..., 4]`.
        y_pred: `(batch, num_sampled, (num_classes + 1) + 4 * num_classes)`: the class logits (background
            first), then 4 deltas per object class (class `c`'s at `num_classes + 1 + 4c ...`).

    Example:

    >>> y_true = np.array([[[1.0, 0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]]])
    >>> y_pred = np.zeros((1, 2, 3 + 8))
    >>> round(float(keras_dlx.losses.FastRCNNLoss()(y_true, y_pred)), 4)
    1.3486

    Reference:
        - [Girshick 2015, Fast R-CNN](https://arxiv.org/abs/1504.08083)
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
    """

    _arguments = ("box_weight", "beta")

    def __init__(self, box_weight=1.0, beta=1.0, reduction="sum_over_batch_size", name="fast_rcnn_loss",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.box_weight = args.non_negative_float("box_weight", box_weight)
        self.beta = args.non_negative_float("beta", beta)

    def terms(self, y_true, y_pred):
        """Per-image `(classification, box)` terms, each already divided as in `L`."""
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        _check("y_true", "FastRCNNLoss", y_true, 5, "(batch, num_sampled, 5)")
        width = y_pred.shape[-1]
        _check("y_pred", "FastRCNNLoss", y_pred, None, "(batch, num_sampled, 5 * num_classes + 1)")
        if width is None or width < 6 or (width - 1) % 5:
            raise ValueError("Invalid `y_pred` for FastRCNNLoss: expected (batch, num_sampled, (num_classes + 1) + "
                             f"4 * num_classes), i.e. 5 * num_classes + 1 channels. Received: shape="
                             f"{tuple(y_pred.shape)}")
        num_classes = (width - 1) // 5
        target = ops.cast(y_true[..., 4], "int32")
        sampled = ops.cast(target >= 0, y_pred.dtype)
        logits = y_pred[..., :num_classes + 1]
        log_probs = ops.log_softmax(logits, axis=-1)
        one_hot = ops.one_hot(ops.maximum(target, 0), num_classes + 1, dtype=y_pred.dtype)
        cross_entropy = -ops.sum(one_hot * log_probs, axis=-1)
        count = ops.sum(sampled, axis=-1)
        classification = _per_image(ops.sum(cross_entropy * sampled, axis=-1), count)
        deltas = ops.reshape(y_pred[..., num_classes + 1:], tuple(ops.shape(y_pred)[:2]) + (num_classes, 4))
        chosen = ops.sum(deltas * one_hot[..., 1:, None], axis=2)  # the truth's class's deltas (0 for background)
        positive = ops.cast(target > 0, y_pred.dtype)
        box = ops.sum(_smooth_l1(chosen - y_true[..., :4], self.beta), axis=-1)
        box = _per_image(self.box_weight * ops.sum(box * positive, axis=-1), count)
        return classification, box

    def call(self, y_true, y_pred):
        classification, box = self.terms(y_true, y_pred)
        return classification + box
