"""Non-maximum suppression of a detector's box and class predictions into padded detections."""

import math
import numbers

import keras
from keras import ops

from keras_dlx.ops.nms import greedy_suppression
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

__all__ = ["NonMaxSuppression"]


@register
class NonMaxSuppression(keras.layers.Layer):
    """Turns per-box class scores into at most `max_detections` detections per image by greedy NMS.

    Each (box, class) pair scoring more than `confidence_threshold` is a candidate. With `class_aware=True`
    (torchvision's and SSD's post-processing, `tf.image.combined_non_max_suppression`'s semantics) NMS runs per
    class: a candidate is dropped when its IoU with a kept candidate of the same class is > `iou_threshold`;
    each class keeps at most `max_detections_per_class`, and the image keeps its `max_detections` best. With
    `class_aware=False` (keras-hub's layer) each box is one candidate with its best class's score, and boxes of
    any class suppress each other. Candidates are visited in decreasing score, ties by lower box index (then
    lower class). The same greedy loop as `keras_dlx.ops.nms_padded`: fixed output shapes, so it works in a
    Functional model, under `jit` and in `model.predict` on every backend.

    The scores are probabilities of object classes only: a model with a background class (SSD's softmax,
    class 0) passes `scores[..., 1:]`, and the reported classes then count from its first object class. The
    layer has no weights; the box and score outputs carry gradients to the kept inputs.

    Args:
        iou_threshold: number in [0, 1]: a candidate overlapping a kept one by more is dropped. Defaults to 0.5.
        confidence_threshold: number: only scores strictly above it are candidates. Defaults to 0.05.
        max_detections: positive int, detections per image (the output size). Defaults to 100.
        max_detections_per_class: None (no per-class limit but `max_detections`) or a positive int; only
            with `class_aware`. Defaults to None.
        class_aware: NMS per class (True) or across classes on each box's best class (False). Defaults to True.

    Input shape:
        Two tensors: `boxes` `(batch, num_boxes, 4)`, xyxy; `scores` `(batch, num_boxes, num_classes)`.

    Output shape:
        A dict: `"boxes"` `(batch, max_detections, 4)` and `"scores"` `(batch, max_detections)` (0 in padding
        slots), `"classes"` int32 `(batch, max_detections)` (-1 in padding slots), `"num_detections"` int32
        `(batch,)`. Detections come in decreasing score.

    Example:

    >>> boxes = np.array([[[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]], "float32")
    >>> scores = np.array([[[0.9, 0.1], [0.8, 0.7], [0.2, 0.6]]], "float32")
    >>> out = layers.NonMaxSuppression(max_detections=4)(boxes, scores)
    >>> keras.ops.convert_to_numpy(out["classes"]), keras.ops.convert_to_numpy(out["num_detections"])
    (array([[0, 1, 1, 0]], dtype=int32), array([4], dtype=int32))

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
        - [Liu et al. 2016, SSD: Single Shot MultiBox Detector](https://arxiv.org/abs/1512.02325)
    """

    def __init__(self, iou_threshold=0.5, confidence_threshold=0.05, max_detections=100,
                 max_detections_per_class=None, class_aware=True, **kwargs):
        # Boxes stay float32 under mixed precision: float16 pixel coordinates lose whole pixels above 2,048.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.iou_threshold = args.unit_interval("iou_threshold", iou_threshold, closed_right=True)
        if not isinstance(confidence_threshold, numbers.Real) or isinstance(confidence_threshold, bool) \
                or math.isnan(confidence_threshold):
            args.invalid("confidence_threshold", confidence_threshold, "a number")
        self.confidence_threshold = float(confidence_threshold)
        self.max_detections = args.positive_int("max_detections", max_detections)
        if max_detections_per_class is not None:
            max_detections_per_class = args.positive_int("max_detections_per_class", max_detections_per_class)
        self.max_detections_per_class = max_detections_per_class
        self.class_aware = args.boolean("class_aware", class_aware)

    def _check_shapes(self, boxes_shape, scores_shape):
        if len(boxes_shape) != 3 or boxes_shape[-1] != 4:
            raise ValueError(f"Invalid input for layer '{self.name}': expected `boxes` of shape "
                             f"(batch, num_boxes, 4). Received: boxes.shape={tuple(boxes_shape)}")
        if len(scores_shape) != 3 or (None not in (boxes_shape[1], scores_shape[1])
                                      and boxes_shape[1] != scores_shape[1]):
            raise ValueError(f"Invalid input for layer '{self.name}': expected `scores` of shape "
                             f"(batch, num_boxes, num_classes) with the boxes' num_boxes. Received: "
                             f"boxes.shape={tuple(boxes_shape)}, scores.shape={tuple(scores_shape)}")

    def build(self, boxes_shape, scores_shape):
        self._check_shapes(boxes_shape, scores_shape)

    def call(self, boxes, scores):
        self._check_shapes(boxes.shape, scores.shape)
        # float32 at least (float16 coordinates are too coarse for IoU), float64 for a float64 layer or input.
        work = "float64" if "float64" in (self.compute_dtype, keras.backend.standardize_dtype(boxes.dtype)) \
            else "float32"
        boxes = ops.cast(boxes, work)
        scores = ops.cast(scores, work)
        batch, count, num_classes = ops.shape(scores)[0], ops.shape(scores)[1], ops.shape(scores)[2]
        if self.class_aware:
            # One candidate per (box, class), box-major: candidate k is box k // C, class k % C.
            candidate_boxes = ops.reshape(ops.repeat(boxes[:, :, None, :], num_classes, axis=2), (batch, -1, 4))
            candidate_scores = ops.reshape(scores, (batch, -1))
            candidate_classes = ops.reshape(ops.broadcast_to(
                ops.arange(num_classes, dtype="int32")[None, None], (batch, count, num_classes)), (batch, -1))
            per_class = self.max_detections_per_class
        else:
            candidate_boxes = boxes
            candidate_scores = ops.max(scores, axis=-1)
            candidate_classes = ops.cast(ops.argmax(scores, axis=-1), "int32")
            per_class = None
        valid = candidate_scores > self.confidence_threshold
        # One extra row that is never a candidate, so the gathers below have a row to read in an image without
        # boxes (TensorFlow rejects a gather from an empty axis).
        candidate_boxes = ops.concatenate([candidate_boxes, ops.zeros((batch, 1, 4), work)], axis=1)
        candidate_scores = ops.concatenate([candidate_scores, ops.zeros((batch, 1), work)], axis=1)
        candidate_classes = ops.concatenate([candidate_classes, ops.zeros((batch, 1), "int32")], axis=1)
        valid = ops.concatenate([valid, ops.zeros((batch, 1), "bool")], axis=1)
        selected = greedy_suppression(candidate_boxes, candidate_scores, valid, self.iou_threshold,
                                      self.max_detections, candidate_classes if self.class_aware else None,
                                      per_class)
        found = selected >= 0
        index = ops.maximum(selected, 0)
        out_boxes = ops.take_along_axis(candidate_boxes, ops.repeat(index[:, :, None], 4, axis=2), axis=1)
        out_scores = ops.take_along_axis(candidate_scores, index, axis=1)
        out_classes = ops.take_along_axis(candidate_classes, index, axis=1)
        dtype = self.compute_dtype
        return {
            "boxes": ops.cast(ops.where(found[:, :, None], out_boxes, 0.0), dtype),
            "scores": ops.cast(ops.where(found, out_scores, 0.0), dtype),
            "classes": ops.where(found, out_classes, -1),
            "num_detections": ops.sum(ops.cast(found, "int32"), axis=1),
        }

    def compute_output_shape(self, boxes_shape, scores_shape):
        batch, k = boxes_shape[0], self.max_detections
        return {"boxes": (batch, k, 4), "scores": (batch, k), "classes": (batch, k), "num_detections": (batch,)}

    def compute_output_spec(self, boxes, scores):
        shapes = self.compute_output_shape(boxes.shape, scores.shape)
        dtypes = {"boxes": self.compute_dtype, "scores": self.compute_dtype, "classes": "int32",
                  "num_detections": "int32"}
        return {key: keras.KerasTensor(shape, dtype=dtypes[key]) for key, shape in shapes.items()}

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("iou_threshold", "confidence_threshold", "max_detections",
                                              "max_detections_per_class", "class_aware")))
        return config
