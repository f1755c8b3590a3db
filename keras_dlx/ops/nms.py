"""Greedy non-maximum suppression of xyxy boxes, as torchvision.ops: `nms`, class-aware `batched_nms`, and the
fixed-size `nms_padded` for `jit` and batches.

Semantics (all three): candidates are visited in decreasing score, ties by lower index (a stable sort); a
candidate is kept unless its IoU with an already kept box (of the same class, for the class-aware forms) is
strictly greater than `iou_threshold`. IoU as `keras_dlx.ops.box_iou` (0 for an empty union).
"""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.ops.boxes import float_dtype, iou_terms
from keras_dlx.utils import arguments as args

__all__ = ["nms", "batched_nms", "nms_padded"]


def _iou_threshold(value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
        args.invalid("iou_threshold", value, "a number in [0, 1]")
    return float(value)


def _concrete(tensor):
    """The tensor's NumPy value when it has one (eager execution), else None (traced under jit or tf.function)."""
    try:
        return ops.convert_to_numpy(tensor)
    except Exception:  # a symbolic tf.Tensor, a JAX tracer or a KerasTensor has no value yet
        return None


def _check_values(boxes, scores):
    """ValueError for NaN boxes or scores and for boxes with x2 < x1 or y2 < y1, when the values are known.

    Returns the NumPy values `(boxes, scores)`, or None when either is traced (under `jit` nothing is checked).
    """
    box_values, score_values = _concrete(boxes), _concrete(scores)
    if box_values is None or score_values is None:
        return None
    if np.isnan(box_values).any():
        args.invalid("boxes", "boxes with NaN coordinates", "finite xyxy boxes")
    flipped = (box_values[..., 2] < box_values[..., 0]) | (box_values[..., 3] < box_values[..., 1])
    if flipped.any():
        where = np.argwhere(flipped)[0].tolist()
        args.invalid("boxes", f"box {where} = {box_values[tuple(where)].tolist()}",
                     "xyxy boxes with x1 <= x2 and y1 <= y2")
    if np.isnan(score_values).any():
        args.invalid("scores", "scores with NaN", "numbers (no NaN)")
    return box_values, score_values


def _inputs(boxes, scores, classes, batched):
    """Validated tensors; with `batched`, boxes `(batch, N, 4)` or `(N, 4)` (then a batch of one is added)."""
    boxes = ops.convert_to_tensor(boxes)
    scores = ops.convert_to_tensor(scores)
    ranks = (2, 3) if batched else (2,)
    if len(boxes.shape) not in ranks or boxes.shape[-1] != 4:
        shape = "(N, 4) or (batch, N, 4)" if batched else "(N, 4)"
        args.invalid("boxes", f"a tensor of shape {tuple(boxes.shape)}", f"a tensor of shape {shape}, xyxy")
    if len(scores.shape) != len(boxes.shape) - 1 or (
            None not in (scores.shape[-1], boxes.shape[-2]) and scores.shape[-1] != boxes.shape[-2]):
        args.invalid("scores", f"a tensor of shape {tuple(scores.shape)}",
                     f"one score per box (boxes of shape {tuple(boxes.shape)})")
    if classes is not None:
        classes = ops.convert_to_tensor(classes)
        if len(classes.shape) != len(scores.shape) or (
                None not in (classes.shape[-1], scores.shape[-1]) and classes.shape[-1] != scores.shape[-1]):
            args.invalid("classes", f"a tensor of shape {tuple(classes.shape)}",
                         f"one class per box (boxes of shape {tuple(boxes.shape)})")
        classes = ops.cast(classes, "int32")
    dtype = float_dtype(boxes, scores)
    return ops.cast(boxes, dtype), ops.cast(scores, dtype), classes


def greedy_suppression(boxes, scores, candidates, iou_threshold, max_output_size, classes=None,
                       max_per_class=None):
    """Greedy NMS of a batch: `(batch, max_output_size)` kept indices in order, -1 after the last. Not exported
    (`nms_padded` and `NonMaxSuppression` call it).

    Each step keeps, in every image, the best remaining candidate (highest score, lowest index on ties) and
    drops the candidates it overlaps by more than `iou_threshold` (of its class when `classes` is given); with
    `max_per_class`, a class that has kept that many drops its other candidates. The loop runs once per kept
    box (at most `max_output_size` times) and each step costs O(N): no N x N matrix.

    Args:
        boxes: `(batch, N, 4)` float xyxy boxes.
        scores: `(batch, N)` float scores.
        candidates: `(batch, N)` bool, the boxes that may be kept.
        iou_threshold: float in [0, 1].
        max_output_size: int (or scalar tensor), the number of output slots.
        classes: None or `(batch, N)` int32 classes (class-aware suppression).
        max_per_class: None or a positive int (with `classes`).
    """
    selected = ops.full((ops.shape(boxes)[0], max_output_size), -1, dtype="int32")
    if boxes.shape[1] == 0:  # nothing to keep (and JAX cannot trace a max over an empty axis)
        return selected
    count = ops.shape(boxes)[1]
    positions = ops.arange(count, dtype="int32")[None]
    slots = ops.arange(max_output_size, dtype="int32")[None]
    lowest = ops.cast(float("-inf"), scores.dtype)

    def cond(step, remaining, selected, selected_classes):
        return ops.logical_and(step < max_output_size, ops.any(remaining))

    def body(step, remaining, selected, selected_classes):
        best = ops.max(ops.where(remaining, scores, lowest), axis=1, keepdims=True)
        # The first remaining box at the best score: lower index wins ties, even among -inf scores.
        pick = ops.cast(ops.argmax(ops.cast(ops.logical_and(remaining, scores == best), "int32"), axis=1), "int32")
        found = ops.any(remaining, axis=1)
        picked = ops.take_along_axis(boxes, ops.repeat(pick[:, None, None], 4, axis=2), axis=1)  # (batch, 1, 4)
        drop = iou_terms(picked, boxes)[0] > iou_threshold
        if classes is not None:
            picked_class = ops.take_along_axis(classes, pick[:, None], axis=1)  # (batch, 1)
            same_class = classes == picked_class
            drop = ops.logical_and(drop, same_class)
            selected_classes = ops.where(slots == step, ops.where(found[:, None], picked_class, -1),
                                         selected_classes)
            if max_per_class is not None:
                full = ops.sum(ops.cast(selected_classes == picked_class, "int32"), axis=1,
                               keepdims=True) >= max_per_class
                drop = ops.logical_or(drop, ops.logical_and(same_class, full))
        drop = ops.logical_or(drop, positions == pick[:, None])
        remaining = ops.logical_and(remaining, ops.logical_not(drop))
        selected = ops.where(slots == step, ops.where(found, pick, -1)[:, None], selected)
        return step + 1, remaining, selected, selected_classes

    loop = (ops.convert_to_tensor(0, "int32"), candidates, selected, selected)
    return ops.while_loop(cond, body, loop)[2]


def _tensorflow_fast_path(values, iou_threshold):
    """TensorFlow's own NMS kernel on concrete values, when it gives the same result as `greedy_suppression`: it keeps
    IoU > threshold strictly and breaks score ties by lower index, and its float32 IoU is computed in the same
    order (see `keras_dlx.ops.boxes.iou_terms`); it drops -inf scores, so those (and float64 boxes) take the
    neutral path."""
    if keras.backend.backend() != "tensorflow" or values is None:
        return None
    box_values, score_values = values
    if box_values.dtype != np.float32 or np.isneginf(score_values).any():  # float64 IoU: the neutral path
        return None
    import tensorflow as tf

    def run(index):
        if len(index) == 0:
            return index
        kept = tf.image.non_max_suppression(box_values[index], score_values[index], len(index), iou_threshold)
        return index[kept.numpy()]

    return run


def nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression, as `torchvision.ops.nms`.

    Visit the boxes in decreasing score (ties: lower index first); keep a box unless its IoU with an already
    kept box is strictly greater than `iou_threshold`.

    The result has one entry per kept box, so its length depends on the values: use it eagerly (or in a
    TensorFlow graph). Under `jit` (XLA, JAX) use `nms_padded`, whose output has a fixed size. Eagerly, NaN
    boxes or scores and boxes with `x2 < x1` or `y2 < y1` raise a ValueError; traced values are not checked
    (a NaN box then overlaps nothing). On the TensorFlow backend, eager calls use TensorFlow's NMS kernel, which
    gives the same indices (tested); other backends and traced calls use a `keras.ops` loop.

    Args:
        boxes: `(N, 4)` xyxy boxes.
        scores: `(N,)` scores.
        iou_threshold: number in [0, 1]; boxes overlapping a kept box by more are discarded.

    Returns:
        int32 tensor `(K,)`: indices of the kept boxes, in decreasing score.

    Example:

    >>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], "float32")
    >>> keras.ops.convert_to_numpy(keras_dlx.ops.nms(boxes, np.array([0.8, 0.9, 0.7]), 0.5))
    array([1, 2], dtype=int32)

    Reference:
        - [torchvision.ops.nms](https://pytorch.org/vision/stable/generated/torchvision.ops.nms.html)
    """
    return batched_nms(boxes, scores, None, iou_threshold)


def batched_nms(boxes, scores, classes, iou_threshold):
    """Class-aware greedy non-maximum suppression, as `torchvision.ops.batched_nms`.

    As `nms`, but a box only suppresses boxes of its own class (`classes`, e.g. the predicted class, or the
    image index to run NMS on several images at once). Boxes of different classes never interact, so this is
    `nms` per class with the kept indices merged in decreasing score (ties: lower index first). Exact: no
    coordinate offsets. Eagerly on TensorFlow, TensorFlow's NMS kernel runs once per class present.

    Args:
        boxes: `(N, 4)` xyxy boxes.
        scores: `(N,)` scores.
        classes: `(N,)` integer class of each box, or None for class-agnostic NMS (`nms`).
        iou_threshold: number in [0, 1]; boxes overlapping a kept box of their class by more are discarded.

    Returns:
        int32 tensor `(K,)`: indices of the kept boxes, in decreasing score.

    Example:

    >>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], "float32")
    >>> kept = keras_dlx.ops.batched_nms(boxes, np.array([0.8, 0.9, 0.7]), np.array([0, 1, 0]), 0.5)
    >>> keras.ops.convert_to_numpy(kept)
    array([1, 0, 2], dtype=int32)

    Reference:
        - [torchvision.ops.batched_nms](https://pytorch.org/vision/stable/generated/torchvision.ops.batched_nms.html)
    """
    iou_threshold = _iou_threshold(iou_threshold)
    boxes, scores, classes = _inputs(boxes, scores, classes, batched=False)
    values = _check_values(boxes, scores)
    run = _tensorflow_fast_path(values, iou_threshold)
    if run is not None:
        score_values = values[1]
        if classes is None:
            return ops.convert_to_tensor(run(np.arange(len(score_values))).astype("int32"))
        class_values = ops.convert_to_numpy(classes)
        order = np.argsort(class_values, kind="stable")
        starts = np.flatnonzero(np.diff(class_values[order], prepend=np.nan)) if len(order) else []
        kept = np.concatenate([run(index) for index in np.split(order, starts[1:])] or [np.zeros(0, "int64")])
        kept = kept[np.lexsort((kept, -score_values[kept]))]
        return ops.convert_to_tensor(kept.astype("int32"))
    count = ops.shape(boxes)[0]
    candidates = ops.ones((1, count), dtype="bool")
    selected = greedy_suppression(boxes[None], scores[None], candidates, iou_threshold, count,
                                  None if classes is None else classes[None])[0]
    return selected[: ops.sum(ops.cast(selected >= 0, "int32"))]


def nms_padded(boxes, scores, iou_threshold, max_output_size, score_threshold=None, classes=None):
    """Greedy non-maximum suppression with a fixed-size output, for `jit` and batches of images.

    The semantics of `nms` (or of `batched_nms` when `classes` is given), restricted to boxes whose score is
    strictly greater than `score_threshold` (as `tf.image.non_max_suppression`), and stopped after
    `max_output_size` kept boxes. The output is padded with -1, so its shape does not depend on the values:
    it works under `jit` on every backend, batched over images. Backend-neutral (a `keras.ops.while_loop`
    with one O(N) step per kept box). Eagerly, NaN values and boxes with `x2 < x1` or `y2 < y1` raise a
    ValueError; under `jit` nothing is checked (a NaN box overlaps nothing, a NaN score is never kept).

    Args:
        boxes: `(batch, N, 4)` xyxy boxes, or `(N, 4)`.
        scores: `(batch, N)` scores, or `(N,)`.
        iou_threshold: number in [0, 1]; boxes overlapping a kept box by more are discarded.
        max_output_size: positive int, the number of output slots per image.
        score_threshold: None (every box is a candidate) or a number; only boxes scoring more are kept.
            Defaults to None.
        classes: None (class-agnostic) or `(batch, N)` (or `(N,)`) integer classes for class-aware NMS.
            Defaults to None.

    Returns:
        Tuple `(indices, num_valid)`: int32 `(batch, max_output_size)` (or `(max_output_size,)`) indices of the
        kept boxes in decreasing score, -1 after the last; int32 `(batch,)` (or scalar) number of kept boxes.

    Example:

    >>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], "float32")
    >>> indices, num_valid = keras_dlx.ops.nms_padded(boxes, np.array([0.8, 0.9, 0.7]), 0.5, 4)
    >>> keras.ops.convert_to_numpy(indices), int(num_valid)
    (array([ 1,  2, -1, -1], dtype=int32), 2)

    Reference:
        - [tf.image.non_max_suppression_padded](https://www.tensorflow.org/api_docs/python/tf/image/non_max_suppression_padded)
    """
    iou_threshold = _iou_threshold(iou_threshold)
    max_output_size = args.positive_int("max_output_size", max_output_size)
    if score_threshold is not None and (not isinstance(score_threshold, numbers.Real)
                                        or isinstance(score_threshold, bool) or math.isnan(score_threshold)):
        args.invalid("score_threshold", score_threshold, "None or a number")
    boxes, scores, classes = _inputs(boxes, scores, classes, batched=True)
    _check_values(boxes, scores)
    unbatched = len(boxes.shape) == 2
    if unbatched:
        boxes, scores = boxes[None], scores[None]
        classes = None if classes is None else classes[None]
    if score_threshold is None:
        candidates = ops.logical_not(ops.isnan(scores))
    else:
        candidates = scores > ops.cast(score_threshold, scores.dtype)
    selected = greedy_suppression(boxes, scores, candidates, iou_threshold, max_output_size, classes)
    num_valid = ops.sum(ops.cast(selected >= 0, "int32"), axis=1)
    return (selected[0], num_valid[0]) if unbatched else (selected, num_valid)
