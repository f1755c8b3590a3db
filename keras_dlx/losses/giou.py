"""Generalized IoU loss for bounding-box regression."""

import keras
from keras import ops

from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.ops.boxes import giou_terms
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["giou_loss", "GIoULoss"]


@keras.saving.register_keras_serializable(package="keras_dlx")
def giou_loss(y_true, y_pred, mode="giou"):
    """Generalized IoU loss (Rezatofighi et al. 2019): `1 - GIoU` of each predicted box with its target box.

        GIoU(A, B) = IoU(A, B) - (|C| - |A u B|) / |C|,   C the smallest box enclosing A and B

    Unlike `1 - IoU`, it still has a gradient when the boxes do not overlap; in [0, 2]. `mode="iou"` gives
    `1 - IoU`. Same values and gradients as TensorFlow Addons' `giou_loss`: negative widths and heights count
    as 0, and a ratio with a zero denominator is 0.

    Box format: Addons documents `[y_min, x_min, y_max, x_max]`, keras_dlx uses xyxy `[x_min, y_min, x_max,
    y_max]`. GIoU and IoU do not change when the two axes swap roles in both boxes, so the loss is the same for
    either format (as long as `y_true` and `y_pred` use the same one).

    Intended difference: Addons squeezes every axis of size 1 from the result (one box gives a scalar); here
    the result always has the boxes' shape without the last axis.

    Args:
        y_true: `(..., 4)` target boxes.
        y_pred: `(..., 4)` predicted boxes, same shape.
        mode: `"giou"` or `"iou"`. Defaults to `"giou"`.

    Returns:
        Loss of shape `y_pred.shape[:-1]`.

    Example:

    >>> y_true = np.array([[4.0, 3.0, 7.0, 5.0], [5.0, 6.0, 10.0, 7.0]])
    >>> y_pred = np.array([[3.0, 4.0, 6.0, 8.0], [14.0, 14.0, 15.0, 15.0]])
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.losses.giou_loss(y_true, y_pred)), 4)
    array([1.075 , 1.9333])

    Reference:
        - [Rezatofighi et al. 2019, Generalized Intersection over Union](https://arxiv.org/abs/1902.09630)
    """
    mode = args.one_of("mode", mode, ("giou", "iou"))
    y_pred = ops.convert_to_tensor(y_pred)
    if not keras.backend.is_float_dtype(y_pred.dtype):
        y_pred = ops.cast(y_pred, "float32")
    y_true = ops.cast(y_true, y_pred.dtype)
    for name, value in (("y_true", y_true), ("y_pred", y_pred)):
        if len(value.shape) < 1 or value.shape[-1] != 4:
            args.invalid(name, f"a tensor of shape {tuple(value.shape)}", "boxes of shape (..., 4)")
    iou, giou = giou_terms(y_pred, y_true)
    return 1.0 - (iou if mode == "iou" else giou)


@register
class GIoULoss(ArgumentsLoss):
    """Generalized IoU loss, as a `keras.losses.Loss` (see `giou_loss`): `1 - GIoU` per box, then reduced.

    Same arguments and values as TensorFlow Addons' `GIoULoss`; boxes may be xyxy or Addons' yxyx (the value
    is the same for both).

    Args:
        mode: `"giou"` or `"iou"` (`1 - IoU`). Defaults to `"giou"`.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"giou_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.GIoULoss()
    >>> y_true = np.array([[4.0, 3.0, 7.0, 5.0], [5.0, 6.0, 10.0, 7.0]])
    >>> y_pred = np.array([[3.0, 4.0, 6.0, 8.0], [14.0, 14.0, 15.0, 15.0]])
    >>> round(float(loss(y_true, y_pred)), 4)
    1.5042

    Reference:
        - [Rezatofighi et al. 2019, Generalized Intersection over Union](https://arxiv.org/abs/1902.09630)
    """

    _arguments = ("mode",)

    def __init__(self, mode="giou", reduction="sum_over_batch_size", name="giou_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.mode = args.one_of("mode", mode, ("giou", "iou"))

    def call(self, y_true, y_pred):
        return giou_loss(y_true, y_pred, mode=self.mode)
