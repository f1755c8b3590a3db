"""Priors for detectors: SSD's default boxes, and the matching of anchors to ground truth with its targets."""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.ops.boxes import encode_boxes, iou_terms
from keras_dlx.utils import arguments as args

__all__ = ["ssd_default_boxes", "match_anchors", "encode_anchor_targets"]

# SSD300's reference configuration (Liu et al.'s Caffe code, also ssd.pytorch): conv4_3 at scale 0.1 (30 px), then
# scales 0.2 .. 0.88 in steps of 0.17 of 300 px; the extra ratio-1 box of a map uses the next map's size.
SSD300_FEATURE_MAP_SIZES = (38, 19, 10, 5, 3, 1)
SSD300_ASPECT_RATIOS = ((2,), (2, 3), (2, 3), (2, 3), (2,), (2,))
SSD300_MIN_SIZES = (30, 60, 111, 162, 213, 264)
SSD300_MAX_SIZES = (60, 111, 162, 213, 264, 315)
SSD300_STEPS = (8, 16, 32, 64, 100, 300)

# SSD's variances (0.1, 0.2) as multipliers: Faster R-CNN's second-stage weights (10, 10, 5, 5).
DEFAULT_WEIGHTS = (10.0, 10.0, 5.0, 5.0)


def _per_map(name, value, count, check):
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != count:
        args.invalid(name, value, f"one value per feature map ({count})")
    for v in value:
        check(v)
    return tuple(value)


def ssd_default_boxes(image_size=300, feature_map_sizes=SSD300_FEATURE_MAP_SIZES,
                      aspect_ratios=SSD300_ASPECT_RATIOS, min_sizes=SSD300_MIN_SIZES, max_sizes=SSD300_MAX_SIZES,
                      steps=SSD300_STEPS, clip=False, dtype="float32"):
    """SSD's default boxes (priors), xyxy in input-image pixels; the defaults give SSD300's 8,732 boxes.

    On map `k` (side `f_k`, step `step_k` pixels, `step_k = image_size / f_k` when `steps` is None) the box centres
    are `((j + 0.5) * step_k, (i + 0.5) * step_k)` for row `i` and column `j`. At each position, in this order:
    a square of side `min_sizes[k]`; a square of side `sqrt(min_sizes[k] * max_sizes[k])`; then for each ratio
    `a` of `aspect_ratios[k]` a box of width `min_sizes[k] * sqrt(a)` and height `min_sizes[k] / sqrt(a)`, then
    its transpose (ratio `1/a`). So a map has `2 + 2 * len(aspect_ratios[k])` boxes per position. The boxes are
    ordered map by map, then position-major (rows, then columns), then box, as SSD's heads concatenate them.

    The defaults are the reference code's SSD300 (Liu et al.'s Caffe model, also ssd.pytorch): sizes
    (30, 60, 111, 162, 213, 264) and (60, ..., 315) pixels, i.e. the paper's scales
    `s_k = 0.2 + (0.9 - 0.2)(k - 1)/(m - 1)` (rounded down to 0.17 steps) for maps 2-6 with conv4_3 at 0.1, and
    steps (8, 16, 32, 64, 100, 300). For the paper's formula exactly, pass
    `min_sizes = [s_k * image_size]` and `max_sizes = [s_{k+1} * image_size]`.

    Intended difference: the reference code clamps the centre-form boxes to [0, 1] (which only shortens boxes
    wider than the image); `clip=True` here clips the corners to the image instead, and the default keeps
    boxes as computed (`clip=False`).

    Args:
        image_size: side in pixels of the (square) input image. Defaults to 300.
        feature_map_sizes: side of each (square) feature map. Defaults to SSD300's (38, 19, 10, 5, 3, 1).
        aspect_ratios: per map, the ratios `a > 0` (width / height) besides 1; each adds two boxes (`a`, `1/a`).
            Defaults to ((2,), (2, 3), (2, 3), (2, 3), (2,), (2,)).
        min_sizes: per map, the side in pixels of the ratio-1 box and the base size of the others.
            Defaults to (30, 60, 111, 162, 213, 264).
        max_sizes: per map, the size that, with `min_sizes`, gives the extra square `sqrt(min * max)`.
            Defaults to (60, 111, 162, 213, 264, 315).
        steps: per map, the distance in pixels between box centres, or None for `image_size / f_k`.
            Defaults to (8, 16, 32, 64, 100, 300).
        clip: clip the corners to `[0, image_size]`. Defaults to False.
        dtype: dtype of the result. Defaults to "float32".

    Returns:
        Tensor `(num_boxes, 4)`, xyxy pixels; 8,732 rows with the defaults.

    Example:

    >>> boxes = keras_dlx.ops.ssd_default_boxes()
    >>> tuple(boxes.shape)
    (8732, 4)
    >>> np.round(keras.ops.convert_to_numpy(boxes[:2]), 4)
    array([[-11.    , -11.    ,  19.    ,  19.    ],
           [-17.2132, -17.2132,  25.2132,  25.2132]], dtype=float32)

    Reference:
        - [Liu et al. 2016, SSD: Single Shot MultiBox Detector](https://arxiv.org/abs/1512.02325)
    """
    image_size = args.positive_float("image_size", image_size)

    def positive_int(v):
        args.positive_int("feature_map_sizes", v)

    if not isinstance(feature_map_sizes, (tuple, list)) or not feature_map_sizes:
        args.invalid("feature_map_sizes", feature_map_sizes, "a non-empty list of positive integers")
    for v in feature_map_sizes:
        positive_int(v)
    count = len(feature_map_sizes)

    def ratios(value):
        if not isinstance(value, (tuple, list)) or not all(
                isinstance(a, numbers.Real) and not isinstance(a, bool) and a > 0 for a in value):
            args.invalid("aspect_ratios", aspect_ratios, "per feature map, a list of positive ratios")

    aspect_ratios = _per_map("aspect_ratios", aspect_ratios, count, ratios)
    min_sizes = _per_map("min_sizes", min_sizes, count, lambda v: args.positive_float("min_sizes", v))
    max_sizes = _per_map("max_sizes", max_sizes, count, lambda v: args.positive_float("max_sizes", v))
    if steps is None:
        steps = tuple(image_size / f for f in feature_map_sizes)
    steps = _per_map("steps", steps, count, lambda v: args.positive_float("steps", v))
    clip = args.boolean("clip", clip)

    levels = []
    for size, ratio_list, small, large, step in zip(feature_map_sizes, aspect_ratios, min_sizes, max_sizes, steps):
        shapes = [(small, small), (math.sqrt(small * large),) * 2]
        for a in ratio_list:
            shapes += [(small * math.sqrt(a), small / math.sqrt(a)), (small / math.sqrt(a), small * math.sqrt(a))]
        shapes = np.array(shapes)  # (boxes per position, 2): width, height
        centres = (np.arange(size) + 0.5) * step
        cy, cx = np.meshgrid(centres, centres, indexing="ij")
        centre = np.stack([cx, cy], -1).reshape(-1, 1, 2)
        half = shapes[None] / 2
        levels.append(np.concatenate([centre - half, centre + half], -1).reshape(-1, 4))
    boxes = np.concatenate(levels, 0)
    if clip:
        boxes = np.clip(boxes, 0, image_size)
    return ops.convert_to_tensor(boxes.astype(dtype))


def _thresholds(positive_threshold, negative_threshold):
    positive = args.unit_interval("positive_threshold", positive_threshold, closed_right=True)
    if negative_threshold is None:
        return positive, positive
    negative = args.unit_interval("negative_threshold", negative_threshold, closed_right=True)
    if negative > positive:
        args.invalid("negative_threshold", negative_threshold,
                     f"None or a number in [0, positive_threshold] ({positive})")
    return positive, negative


def _ground_truth(gt_boxes, gt_classes):
    gt_boxes = ops.convert_to_tensor(gt_boxes)
    gt_classes = ops.convert_to_tensor(gt_classes)
    if len(gt_boxes.shape) not in (2, 3) or gt_boxes.shape[-1] != 4:
        raise ValueError("Invalid `gt_boxes`: expected a tensor of shape (batch, max_boxes, 4) or (max_boxes, 4). "
                         f"Received: gt_boxes.shape={tuple(gt_boxes.shape)}")
    if len(gt_classes.shape) != len(gt_boxes.shape) - 1:
        raise ValueError("Invalid `gt_classes`: expected one class per box, shape (batch, max_boxes) or "
                         f"(max_boxes,). Received: gt_classes.shape={tuple(gt_classes.shape)} with "
                         f"gt_boxes.shape={tuple(gt_boxes.shape)}")
    unbatched = len(gt_boxes.shape) == 2
    if unbatched:
        gt_boxes, gt_classes = gt_boxes[None], gt_classes[None]
    return gt_boxes, gt_classes, unbatched


def _anchor_tensor(anchors, dtype):
    anchors = ops.cast(ops.convert_to_tensor(anchors), dtype)
    if len(anchors.shape) != 2 or anchors.shape[-1] != 4:
        raise ValueError("Invalid `anchors`: expected a tensor of shape (num_anchors, 4), xyxy. "
                         f"Received: anchors.shape={tuple(anchors.shape)}")
    return anchors


def match_anchors(anchors, gt_boxes, gt_classes, positive_threshold=0.5, negative_threshold=None,
                  allow_low_quality_matches=True):
    """Assign each anchor (prior) the ground-truth box it regresses to, by IoU, as Faster R-CNN and SSD do.

    For anchor `a` with highest IoU `m` over the image's truths (ties: the lowest truth index):
    `m >= positive_threshold` matches that truth; `m < negative_threshold` makes it a negative (-1, background);
    in between it is ignored (-2). With `allow_low_quality_matches`, every truth then also gets its best anchors:
    each anchor whose IoU with a truth equals that truth's highest IoU over all anchors (all such anchors on ties,
    as Faster R-CNN; only if that IoU is > 0) is matched to it, whatever its thresholds said. When one anchor is
    several truths' best, it goes to the one it overlaps most (lowest index on ties).

    Padding truths (class -1) never match. An image with no truth gives all negatives.

    Args:
        anchors: `(num_anchors, 4)` xyxy boxes.
        gt_boxes: `(batch, max_boxes, 4)` xyxy ground truth, padded (or `(max_boxes, 4)` for one image).
        gt_classes: `(batch, max_boxes)` integer classes, -1 marking padding (or `(max_boxes,)`).
        positive_threshold: IoU at or above which an anchor is matched. Defaults to 0.5 (SSD; Faster R-CNN's RPN
            uses 0.7).
        negative_threshold: IoU below which an anchor is negative, or None for `positive_threshold` (no ignored
            anchors). Defaults to None (SSD; the RPN uses 0.3).
        allow_low_quality_matches: give each truth its best anchors. Defaults to True.

    Returns:
        int32 tensor `(batch, num_anchors)` (or `(num_anchors,)`): the matched truth's index in `max_boxes`,
        -1 for a negative anchor, -2 for an ignored one.

    Example:

    >>> anchors = np.array([[0, 0, 10, 10], [10, 0, 20, 10], [0, 10, 10, 20]], "float32")
    >>> truths = np.array([[[1, 1, 11, 11], [0, 0, 0, 0]]], "float32")
    >>> keras.ops.convert_to_numpy(keras_dlx.ops.match_anchors(anchors, truths, np.array([[3, -1]])))
    array([[ 0, -1, -1]], dtype=int32)

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
        - [Liu et al. 2016, SSD: Single Shot MultiBox Detector](https://arxiv.org/abs/1512.02325)
    """
    positive, negative = _thresholds(positive_threshold, negative_threshold)
    allow_low_quality_matches = args.boolean("allow_low_quality_matches", allow_low_quality_matches)
    gt_boxes, gt_classes, unbatched = _ground_truth(gt_boxes, gt_classes)
    dtype = "float64" if keras.backend.standardize_dtype(gt_boxes.dtype) == "float64" else "float32"
    gt_boxes = ops.cast(gt_boxes, dtype)
    anchors = _anchor_tensor(anchors, dtype)
    if gt_boxes.shape[1] == 0:  # no truth columns at all: every anchor is a negative
        matches = ops.zeros((ops.shape(gt_boxes)[0], ops.shape(anchors)[0]), "int32") - 1
        return matches[0] if unbatched else matches
    valid = ops.expand_dims(ops.greater_equal(gt_classes, 0), 1)  # (batch, 1, M)
    pairs = iou_terms(ops.expand_dims(anchors, -2)[None], ops.expand_dims(gt_boxes, 1))[0]  # (batch, A, M)
    iou = ops.where(valid, pairs, -1.0)
    best_truth = ops.cast(ops.argmax(iou, axis=2), "int32")
    best_iou = ops.max(iou, axis=2)
    unmatched = ops.where(best_iou < negative, -1, -2)
    matches = ops.where(best_iou >= positive, best_truth, ops.cast(unmatched, "int32"))
    if allow_low_quality_matches:
        truth_best = ops.max(iou, axis=1, keepdims=True)  # (batch, 1, M)
        forced = ops.logical_and(ops.equal(iou, truth_best), ops.logical_and(iou > 0, valid))
        forced_truth = ops.cast(ops.argmax(ops.where(forced, iou, -1.0), axis=2), "int32")
        matches = ops.where(ops.any(forced, axis=2), forced_truth, matches)
    matches = ops.cast(matches, "int32")
    return matches[0] if unbatched else matches


def _check_weights(weights):
    if (not isinstance(weights, (tuple, list)) or len(weights) != 4 or not all(
            isinstance(w, numbers.Real) and not isinstance(w, bool) and 0 < w < math.inf for w in weights)):
        args.invalid("weights", weights, "four positive numbers (wx, wy, ww, wh)")
    return tuple(float(w) for w in weights)


def encode_anchor_targets(anchors, gt_boxes, gt_classes, positive_threshold=0.5, negative_threshold=None,
                          allow_low_quality_matches=True, weights=DEFAULT_WEIGHTS, matches=None):
    """Per-anchor training targets from padded ground truth: regression deltas and a class, in one tensor.

    Anchors are matched with `match_anchors` (or `matches` when given). A matched anchor `(xa, ya, wa, ha)`
    (centre, size) and its truth `(x, y, w, h)` give `keras_dlx.ops.encode_boxes`'s deltas

        t = (wx * (x - xa) / wa, wy * (y - ya) / ha, ww * log(w / wa), wh * log(h / ha))

    with `weights = (wx, wy, ww, wh)`: (10, 10, 5, 5) by default, which are SSD's variances (0.1, 0.2) inverted
    and Faster R-CNN's second-stage weights; (1, 1, 1, 1) for the RPN. The class target is the truth's class + 1
    for a matched anchor (so class 0 is the background), 0 for a negative and -1 for an ignored anchor; the deltas
    of unmatched anchors are 0. `keras_dlx.ops.decode_boxes(deltas, anchors, weights)` inverts it.

    Args:
        anchors: `(num_anchors, 4)` xyxy boxes.
        gt_boxes: `(batch, max_boxes, 4)` xyxy ground truth, padded (or `(max_boxes, 4)`).
        gt_classes: `(batch, max_boxes)` integer classes >= 0, -1 marking padding (or `(max_boxes,)`).
        positive_threshold: as in `match_anchors`. Defaults to 0.5.
        negative_threshold: as in `match_anchors`. Defaults to None.
        allow_low_quality_matches: as in `match_anchors`. Defaults to True.
        weights: the four multipliers of the deltas (x, y, w, h). Defaults to (10, 10, 5, 5).
        matches: optional `(batch, num_anchors)` result of `match_anchors` to encode instead of matching here.

    Returns:
        Tensor `(batch, num_anchors, 5)` (or `(num_anchors, 5)`) in the boxes' float dtype: `[..., :4]` the
        deltas, `[..., 4]` the class target (-1 ignored, 0 background, class + 1). This is `MultiBoxLoss`'s
        `y_true`.

    Example:

    >>> anchors = np.array([[0, 0, 10, 10], [10, 0, 20, 10]], "float32")
    >>> truths = np.array([[[1, 1, 11, 11]]], "float32")
    >>> targets = keras_dlx.ops.encode_anchor_targets(anchors, truths, np.array([[3]]))
    >>> np.round(keras.ops.convert_to_numpy(targets), 4)
    array([[[1., 1., 0., 0., 4.],
            [0., 0., 0., 0., 0.]]], dtype=float32)
    """
    weights = _check_weights(weights)
    gt_boxes, gt_classes, unbatched = _ground_truth(gt_boxes, gt_classes)
    dtype = "float64" if keras.backend.standardize_dtype(gt_boxes.dtype) == "float64" else "float32"
    gt_boxes = ops.cast(gt_boxes, dtype)
    anchors = _anchor_tensor(anchors, dtype)
    if matches is None:
        matches = match_anchors(anchors, gt_boxes, gt_classes, positive_threshold, negative_threshold,
                                allow_low_quality_matches)
    else:
        matches = ops.convert_to_tensor(matches)
        if unbatched and len(matches.shape) == 1:
            matches = matches[None]
    matches = ops.cast(matches, "int32")
    positive = matches >= 0
    if gt_boxes.shape[1] == 0:
        deltas = ops.zeros(tuple(ops.shape(matches)) + (4,), dtype)
        classes = ops.where(matches == -2, -1.0, 0.0)
    else:
        index = ops.maximum(matches, 0)
        matched = ops.take_along_axis(gt_boxes, ops.expand_dims(index, -1), axis=1)  # (batch, A, 4)
        matched_class = ops.take_along_axis(gt_classes, index, axis=1)
        # Unmatched anchors would see padding boxes (zero size, log 0): encode the anchor itself there (deltas 0).
        anchors = ops.broadcast_to(anchors[None], ops.shape(matched))
        deltas = encode_boxes(ops.where(ops.expand_dims(positive, -1), matched, anchors), anchors, weights)
        classes = ops.where(positive, ops.cast(matched_class, dtype) + 1.0,
                            ops.where(matches == -2, -1.0, 0.0))
    targets = ops.concatenate([deltas, ops.cast(ops.expand_dims(classes, -1), dtype)], axis=-1)
    return targets[0] if unbatched else targets

