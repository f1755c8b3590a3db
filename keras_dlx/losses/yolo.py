"""YOLO v1's sum-squared detection loss and the S x S grid targets it is trained against."""

import numbers

import keras
from keras import ops

from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.ops.boxes import iou_terms
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["YOLOv1Loss", "encode_yolo_v1_targets"]


def _image_size(value):
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0:
        return float(value), float(value)
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in value)):
        return float(value[0]), float(value[1])
    args.invalid("image_size", value, "a positive number or (height, width)")


def encode_yolo_v1_targets(gt_boxes, gt_classes, image_size, grid_size=7, num_classes=20):
    """Padded ground truth to YOLO v1's grid targets: the truth whose centre falls in a cell belongs to it.

    The image is divided into `grid_size x grid_size` cells; a truth goes to the cell holding its centre (row
    `floor(cy / height * S)`, column `floor(cx / width * S)`, clipped to the grid). A cell holds at most one truth
    (YOLO v1 predicts one class per cell): when several centres share a cell, the first in `gt_boxes` order is
    kept. Each cell's target is

        [x, y, w, h, object, one-hot class (num_classes)]

    with `(x, y)` the centre's offset within the cell in [0, 1] (1 only for a centre on the image's right or bottom
    edge), `(w, h)` the size relative to the image, `object` 1 for a cell holding a truth; a cell without one is
    all zeros. Padding truths (class -1) are skipped.

    Args:
        gt_boxes: `(batch, max_boxes, 4)` xyxy pixels, padded.
        gt_classes: `(batch, max_boxes)` integer classes in `[0, num_classes)`, -1 marking padding.
        image_size: the image's side in pixels, or `(height, width)`.
        grid_size: S, cells per side. Defaults to 7.
        num_classes: C. Defaults to 20.

    Returns:
        float32 tensor `(batch, grid_size, grid_size, 5 + num_classes)` (float64 for float64 boxes), `YOLOv1Loss`'s
        `y_true`.

    Example:

    >>> target = keras_dlx.losses.encode_yolo_v1_targets(
    ...     np.array([[[10.0, 20.0, 30.0, 60.0]]], "float32"), np.array([[1]]), image_size=70, grid_size=7,
    ...     num_classes=3)
    >>> np.round(keras.ops.convert_to_numpy(target[0, 4, 2]), 4)
    array([0.    , 0.    , 0.2857, 0.5714, 1.    , 0.    , 1.    , 0.    ],
          dtype=float32)

    Reference:
        - [Redmon et al. 2016, You Only Look Once](https://arxiv.org/abs/1506.02640)
    """
    height, width = _image_size(image_size)
    grid_size = args.positive_int("grid_size", grid_size)
    num_classes = args.positive_int("num_classes", num_classes)
    gt_boxes = ops.convert_to_tensor(gt_boxes)
    dtype = "float64" if keras.backend.standardize_dtype(gt_boxes.dtype) == "float64" else "float32"
    gt_boxes = ops.cast(gt_boxes, dtype)
    gt_classes = ops.cast(ops.convert_to_tensor(gt_classes), "int32")
    if len(gt_boxes.shape) != 3 or gt_boxes.shape[-1] != 4 or len(gt_classes.shape) != 2:
        raise ValueError("Invalid ground truth: expected gt_boxes (batch, max_boxes, 4) and gt_classes (batch, "
                         f"max_boxes). Received: gt_boxes.shape={tuple(gt_boxes.shape)}, "
                         f"gt_classes.shape={tuple(gt_classes.shape)}")
    cells = grid_size * grid_size
    if gt_boxes.shape[1] == 0:
        return ops.zeros((ops.shape(gt_boxes)[0], grid_size, grid_size, 5 + num_classes), dtype)
    s = float(grid_size)
    cx = (gt_boxes[..., 0] + gt_boxes[..., 2]) / (2 * width) * s
    cy = (gt_boxes[..., 1] + gt_boxes[..., 3]) / (2 * height) * s
    column = ops.clip(ops.floor(cx), 0, s - 1)
    row = ops.clip(ops.floor(cy), 0, s - 1)
    features = ops.concatenate([
        ops.stack([cx - column, cy - row, (gt_boxes[..., 2] - gt_boxes[..., 0]) / width,
                   (gt_boxes[..., 3] - gt_boxes[..., 1]) / height, ops.ones_like(cx)], axis=-1),
        ops.one_hot(ops.maximum(gt_classes, 0), num_classes, dtype=dtype)], axis=-1)  # (batch, M, 5 + C)
    cell = ops.cast(row * s + column, "int32")
    in_cell = ops.logical_and(ops.expand_dims(cell, -1) == ops.arange(cells, dtype="int32"),
                              ops.expand_dims(gt_classes >= 0, -1))  # (batch, M, cells)
    owner = ops.argmax(ops.cast(in_cell, "int32"), axis=1)  # the first truth of each cell
    target = ops.take_along_axis(features, ops.expand_dims(owner, -1), axis=1)  # (batch, cells, 5 + C)
    target = ops.where(ops.expand_dims(ops.any(in_cell, axis=1), -1), target, ops.zeros_like(target))
    return ops.reshape(target, (-1, grid_size, grid_size, 5 + num_classes))


def _corners(cx, cy, w, h):
    return ops.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


@register
class YOLOv1Loss(ArgumentsLoss):
    """YOLO v1's loss (Redmon et al. 2016): sum-squared error over the S x S grid, as the paper.

        loss = lambda_coord sum_ij 1_ij^obj [(x - x^)^2 + (y - y^)^2 + (sqrt w - sqrt w^)^2 + (sqrt h - sqrt h^)^2]
             + sum_ij 1_ij^obj (C_ij - C^_ij)^2 + lambda_noobj sum_ij 1_ij^noobj C^_ij^2
             + sum_i 1_i^obj sum_c (p_i(c) - p^_i(c))^2

    summed over the cells `i` and boxes `j` of an image (the reduction then averages images). `1_ij^obj` marks
    the responsible box: in a cell holding a truth, the one of the `B` boxes whose prediction has the highest IoU
    with it (the first on ties); every other box, in any cell, is `1_ij^noobj`. The confidence target `C_ij` is that
    IoU (not differentiated) with `rescore=True`, as the paper's "Pr(object) * IoU", or 1 with `rescore=False`.

    Layout of `y_pred`, per cell `(batch, S, S, B * 5 + C)`: for box `b`, channels `5b .. 5b + 4` are
    `(x, y, sqrt(w), sqrt(h), confidence)` with `(x, y)` the centre's offset in the cell (0..1) and
    `sqrt(w), sqrt(h)` the square roots of the size relative to the image, as the paper's network predicts them
    (decode: `cx = (column + x) / S * width`, `w = sqrt_w^2 * width`); channels `5B ..` are the C class
    probabilities. Values are used as given: apply any sigmoid / softmax in the model. `y_true` is
    `encode_yolo_v1_targets`'s `(batch, S, S, 5 + C)` grid.

    Args:
        grid_size: S. Defaults to 7.
        boxes_per_cell: B. Defaults to 2.
        num_classes: C. Defaults to 20.
        lambda_coord: weight of the coordinate terms. Defaults to 5.0.
        lambda_noobj: weight of the confidence of boxes without object. Defaults to 0.5.
        rescore: confidence target = IoU of the responsible prediction (True) or 1 (False). Defaults to True.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"yolo_v1_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> y_true = keras_dlx.losses.encode_yolo_v1_targets(
    ...     np.array([[[10.0, 20.0, 30.0, 60.0]]], "float32"), np.array([[1]]), image_size=70, grid_size=7,
    ...     num_classes=3)
    >>> loss = keras_dlx.losses.YOLOv1Loss(grid_size=7, boxes_per_cell=2, num_classes=3)
    >>> round(float(loss(y_true, np.full((1, 7, 7, 13), 0.5))), 4)
    15.7578

    Reference:
        - [Redmon et al. 2016, You Only Look Once](https://arxiv.org/abs/1506.02640)
    """

    _arguments = ("grid_size", "boxes_per_cell", "num_classes", "lambda_coord", "lambda_noobj", "rescore")

    def __init__(self, grid_size=7, boxes_per_cell=2, num_classes=20, lambda_coord=5.0, lambda_noobj=0.5,
                 rescore=True, reduction="sum_over_batch_size", name="yolo_v1_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.grid_size = args.positive_int("grid_size", grid_size)
        self.boxes_per_cell = args.positive_int("boxes_per_cell", boxes_per_cell)
        self.num_classes = args.positive_int("num_classes", num_classes)
        self.lambda_coord = args.non_negative_float("lambda_coord", lambda_coord)
        self.lambda_noobj = args.non_negative_float("lambda_noobj", lambda_noobj)
        self.rescore = args.boolean("rescore", rescore)

    def _check(self, y_true, y_pred):
        s, b, c = self.grid_size, self.boxes_per_cell, self.num_classes
        for name, tensor, channels in (("y_true", y_true, 5 + c), ("y_pred", y_pred, 5 * b + c)):
            if len(tensor.shape) != 4 or tuple(tensor.shape[1:]) != (s, s, channels):
                raise ValueError(f"Invalid `{name}` for YOLOv1Loss: expected shape (batch, {s}, {s}, {channels}) "
                                 f"for grid_size={s}, boxes_per_cell={b}, num_classes={c}. "
                                 f"Received: shape={tuple(tensor.shape)}")

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        self._check(y_true, y_pred)
        b, s = self.boxes_per_cell, float(self.grid_size)
        obj = y_true[..., 4]  # (batch, S, S)
        boxes = ops.reshape(y_pred[..., :5 * b], tuple(ops.shape(y_pred)[:3]) + (b, 5))
        truth = ops.expand_dims(y_true[..., :4], -2)  # (batch, S, S, 1, 4)
        # IoU in image-relative units: offsets in the cell / S, sizes squared.
        predicted = _corners(boxes[..., 0] / s, boxes[..., 1] / s, ops.square(boxes[..., 2]), ops.square(boxes[..., 3]))
        iou = iou_terms(predicted, _corners(truth[..., 0] / s, truth[..., 1] / s, truth[..., 2], truth[..., 3]))[0]
        iou = ops.stop_gradient(iou)
        responsible = ops.one_hot(ops.argmax(iou, axis=-1), b, dtype=y_pred.dtype) * ops.expand_dims(obj, -1)

        sqrt_size = ops.sqrt(ops.maximum(truth[..., 2:4], 0.0))
        coord = (ops.sum(ops.square(boxes[..., 0:2] - truth[..., 0:2]), axis=-1)
                 + ops.sum(ops.square(boxes[..., 2:4] - sqrt_size), axis=-1))
        confidence = boxes[..., 4]
        target = iou if self.rescore else ops.ones_like(iou)
        object_term = ops.square(confidence - target)
        noobj_term = ops.square(confidence)
        class_term = ops.sum(ops.square(y_pred[..., 5 * b:] - y_true[..., 5:]), axis=-1) * obj

        per_box = (self.lambda_coord * coord + object_term) * responsible + self.lambda_noobj * noobj_term * (
            1.0 - responsible)
        return ops.sum(per_box, axis=(1, 2, 3)) + ops.sum(class_term, axis=(1, 2))
