"""Mean average precision of object detections, the COCO evaluation (and PASCAL VOC 2007's 11-point AP)."""

import numbers

import keras
import numpy as np

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["MeanAveragePrecision"]

# COCOeval's bbox parameters: ground-truth area ranges (both ends inclusive) and detections kept per image and class.
AREA_RANGES = ((0.0, 1e5**2), (0.0, 32.0**2), (32.0**2, 96.0**2), (96.0**2, 1e5**2))
AREA_NAMES = ("all", "small", "medium", "large")
MAX_DETECTIONS = (1, 10, 100)
RECALL_POINTS = (11, 101)
_LOW = np.array([low for low, _ in AREA_RANGES])
_HIGH = np.array([high for _, high in AREA_RANGES])
_PADDING = -1


@register
class MeanAveragePrecision(keras.metrics.Metric):
    """Mean average precision (mAP) and recall of object detections, equal to the COCO evaluation.

    The metric gathers every detection and ground-truth box of the dataset and evaluates them as pycocotools'
    `COCOeval` does for boxes (no crowd annotations). Per image and class, detections are ranked by score (ties
    keep their input order) and at most 100 are kept; each in turn is matched, for every IoU threshold `t`, to the
    unmatched truth of highest IoU >= `t` (ties go to the later truth). Per class, detections of all images are
    ranked by score, the running precision `tp / (tp + fp)` is made monotone from the right and read at the recall
    points `r` (the precision at the first rank whose recall reaches `r`, 0 if none does):

        AP(class, t) = mean_r max{precision(k) : recall(k) >= r}

    `map` is the mean of AP over IoU thresholds and classes that have ground truth; `mar_N` is the mean recall
    with at most N detections per image and class. An area range (`small`: area <= 32^2, `medium`: 32^2 to 96^2,
    `large`: >= 96^2, area of the ground-truth box, bounds inclusive as in COCOeval) re-evaluates with the truths
    outside it ignored: a detection matched to an ignored truth, or unmatched and itself outside the range, counts
    neither as true nor as false positive. A class without ground truth (in an area range) is left out of the
    mean; a value with no class to average is -1, as COCOeval reports it. Images without truths or without
    detections, and batches without any detection, are valid input.

    `recall_points=11` samples recall at 0, 0.1, ..., 1 (PASCAL VOC 2007's 11-point interpolated AP) and by default
    evaluates at IoU 0.5 only, so `map` is VOC 2007's mAP@0.5 (and `map_75` is -1). Matching stays COCO's: VOC's
    devkit instead counts a detection whose best-overlapping truth is already taken as a false positive, requires
    IoU > 0.5 strictly, adds one pixel to box sizes and ignores "difficult" truths; those rules are not reproduced.
    In general the result equals `COCOeval` with `params.iouThrs = iou_thresholds` and
    `params.recThrs = np.linspace(0, 1, recall_points)`; `map_50` and `map_75` are -1 when 0.5 or 0.75 is not
    among the thresholds.

    The state is the list of detections seen, so `update_state` converts its inputs to NumPy and runs eagerly: it
    cannot run inside a traced function (`tf.function`, `jax.jit`, a compiled `model.fit`/`evaluate` step).
    Call it on `model.predict` outputs, or compile the model with `run_eagerly=True`. `y_true` is
    `{"boxes": (batch, max_truths, 4), "classes": (batch, max_truths)}` and `y_pred` adds `"scores"`, boxes xyxy in
    pixels, class -1 marking padding; `result()` returns COCOeval's twelve summary values as a dict.

    Args:
        recall_points: 101 (COCO) or 11 (PASCAL VOC 2007), the number of evenly spaced recall points from 0 to 1.
            Defaults to 101.
        iou_thresholds: None, or a sequence of IoU thresholds in [0, 1] averaged by `map`. Defaults to None:
            COCO's 0.50, 0.55, ..., 0.95 with 101 recall points, 0.5 alone with 11.
        name: str, the metric's name. Defaults to "mean_average_precision".
        dtype: the dtype of the results. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.MeanAveragePrecision()
    >>> y_true = {"boxes": np.array([[[10, 10, 50, 50], [60, 60, 90, 100]]], "float32"),
    ...           "classes": np.array([[0, 1]])}
    >>> y_pred = {"boxes": np.array([[[12, 10, 50, 52], [60, 60, 90, 90], [0, 0, 20, 20]]], "float32"),
    ...           "classes": np.array([[0, 1, 1]]), "scores": np.array([[0.9, 0.8, 0.7]], "float32")}
    >>> metric.update_state(y_true, y_pred)
    >>> result = metric.result()
    >>> print({key: round(float(result[key]), 4) for key in ("map", "map_50", "mar_100", "map_small")})
    {'map': 0.75, 'map_50': 1.0, 'mar_100': 0.75, 'map_small': -1.0}

    Reference:
        - [Lin et al. 2014, Microsoft COCO: Common Objects in Context](https://arxiv.org/abs/1405.0312)
          and its evaluation code, pycocotools' `COCOeval`
        - [Everingham et al. 2010, The PASCAL Visual Object Classes (VOC) Challenge](
          https://doi.org/10.1007/s11263-009-0275-4)
    """

    def __init__(self, recall_points=101, iou_thresholds=None, name="mean_average_precision", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if not isinstance(recall_points, numbers.Integral) or recall_points not in RECALL_POINTS:
            args.invalid("recall_points", recall_points, "11 (PASCAL VOC 2007) or 101 (COCO)")
        self.recall_points = int(recall_points)
        self.iou_thresholds = _iou_thresholds(iou_thresholds)
        self._state = _Detections()

    @property
    def thresholds(self):
        """The IoU thresholds evaluated, as a float64 array."""
        if self.iou_thresholds is not None:
            return np.array(self.iou_thresholds, "float64")
        if self.recall_points == 11:
            return np.array([0.5])
        return np.linspace(0.5, 0.95, 10)  # as COCOeval builds them, so that 0.75 compares equal

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Matches the batch's detections to its ground truth and stores the outcome (eagerly, in NumPy).

        Args:
            y_true: dict with "boxes", `(batch, max_truths, 4)` xyxy boxes in pixels, and "classes",
                `(batch, max_truths)` integer classes, -1 marking padding.
            y_pred: dict with "boxes" `(batch, max_detections, 4)`, "classes" `(batch, max_detections)` (-1 marks
                padding) and "scores" `(batch, max_detections)`.
            sample_weight: not supported, must be None.
        """
        if sample_weight is not None:
            raise ValueError(f"Invalid input for metric '{self.name}': `sample_weight` is not supported. "
                             f"Received: sample_weight={sample_weight!r}")
        truth = self._read(y_true, "y_true", ("boxes", "classes"))
        detections = self._read(y_pred, "y_pred", ("boxes", "classes", "scores"))
        self._check(truth, detections)
        self._state.add(truth, detections, self.thresholds)

    def reset_state(self):
        self._state = _Detections()

    def result(self):
        """COCOeval's summary values of everything seen since the last reset.

        Returns:
            A dict of scalars in the metric's dtype, in COCOeval's order: `map`, `map_50`, `map_75`,
            `map_small`, `map_medium`, `map_large`, `mar_1`, `mar_10`, `mar_100`, `mar_small`, `mar_medium`,
            `mar_large`; -1 where no class has ground truth (in that area range, or for a threshold not
            evaluated).
        """
        stats = _summarize(self._state, self.thresholds, self.recall_points)
        return {key: keras.ops.convert_to_tensor(value, dtype=self.dtype) for key, value in stats.items()}

    def get_config(self):
        config = super().get_config()
        thresholds = None if self.iou_thresholds is None else list(self.iou_thresholds)
        config.update({"recall_points": self.recall_points, "iou_thresholds": thresholds})
        return config

    def _error(self, message):
        raise ValueError(f"Invalid input for metric '{self.name}': {message}")

    def _read(self, value, name, keys):
        if not isinstance(value, dict):
            self._error(f"`{name}` must be a dict with keys {list(keys)}. Received: {type(value).__name__}")
        missing = [key for key in keys if key not in value]
        if missing:
            self._error(f"`{name}` lacks the key(s) {missing}; expected {list(keys)}. Received keys: {list(value)}")
        arrays = {}
        for key in keys:
            try:
                array = np.asarray(keras.ops.convert_to_numpy(value[key]))
            except Exception as error:  # a symbolic tensor: tf.function, jax.jit, a compiled train/test step
                raise ValueError(
                    f"Invalid input for metric '{self.name}': could not read `{name}['{key}']` as a NumPy array "
                    f"({type(error).__name__}: {error}). MeanAveragePrecision keeps every detection and runs "
                    "eagerly: call `update_state` outside traced functions (for example on `model.predict` "
                    "outputs), or compile the model with `run_eagerly=True`."
                ) from error
            rank = 3 if key == "boxes" else 2
            if array.ndim != rank or (key == "boxes" and array.shape[-1] != 4):
                expected = "(batch, num_boxes, 4)" if key == "boxes" else "(batch, num_boxes)"
                self._error(f"`{name}['{key}']` must have shape {expected}. Received: shape={array.shape}")
            if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
                self._error(f"`{name}['{key}']` must be numeric. Received: dtype={array.dtype}")
            arrays[key] = array
        return arrays

    def _check(self, truth, detections):
        for name, arrays in (("y_true", truth), ("y_pred", detections)):
            shapes = {key: array.shape[:2] for key, array in arrays.items()}
            if len(set(shapes.values())) != 1:
                self._error(f"the arrays of `{name}` must agree in (batch, num_boxes). Received: shapes={shapes}")
            classes = arrays["classes"]
            if np.any(classes != np.round(classes)) or np.any(classes < _PADDING):
                self._error(f"`{name}['classes']` must hold integer classes >= 0, or -1 for padding. "
                            f"Received: {np.unique(classes[(classes != np.round(classes)) | (classes < -1)])}")
            valid = classes != _PADDING
            boxes = arrays["boxes"][valid].astype("float64")
            if not np.all(np.isfinite(boxes)):
                self._error(f"`{name}['boxes']` holds NaN or infinite coordinates in non-padding boxes.")
            bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
            if np.any(bad):
                self._error(f"`{name}['boxes']` must be xyxy with x2 >= x1 and y2 >= y1. Received: "
                            f"{boxes[bad][:3].tolist()}{' ...' if bad.sum() > 3 else ''}")
            if "scores" in arrays and not np.all(np.isfinite(arrays["scores"][valid])):
                self._error(f"`{name}['scores']` holds NaN or infinite scores in non-padding detections.")
        if truth["classes"].shape[0] != detections["classes"].shape[0]:
            self._error(f"`y_true` and `y_pred` must have the same batch size. Received: "
                        f"{truth['classes'].shape[0]} and {detections['classes'].shape[0]}")


def _iou_thresholds(value):
    allowed = "None or a non-empty sequence of numbers in [0, 1]"
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
        args.invalid("iou_thresholds", value, allowed)
    for item in value:
        if not isinstance(item, numbers.Real) or isinstance(item, bool) or not 0 <= item <= 1:
            args.invalid("iou_thresholds", value, allowed)
    return tuple(float(item) for item in value)


def _areas(boxes):
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _outside(areas):
    """(..., area ranges): whether each area lies outside each range (COCOeval's inclusive bounds)."""
    return (areas[..., None] < _LOW) | (areas[..., None] > _HIGH)


def _iou(boxes, truths):
    """IoU of boxes (k, 4) with truths (k, g, 4), as pycocotools computes it (0 without positive overlap)."""
    width = np.minimum(boxes[:, None, 2], truths[..., 2]) - np.maximum(boxes[:, None, 0], truths[..., 0])
    height = np.minimum(boxes[:, None, 3], truths[..., 3]) - np.maximum(boxes[:, None, 1], truths[..., 1])
    overlap = (width > 0) & (height > 0)
    intersection = np.where(overlap, width * height, 0.0)
    union = _areas(boxes)[:, None] + _areas(truths) - intersection
    return np.where(overlap, intersection / np.where(overlap, union, 1.0), 0.0)


def _last_argmax(values):
    """Index of the maximum along the last axis, the last one among ties (COCOeval's `>=` scan)."""
    return values.shape[-1] - 1 - np.argmax(values[..., ::-1], axis=-1)


def _group_starts(sorted_keys):
    """For each element of a sorted key array, the index where its run of equal keys starts."""
    if sorted_keys.size == 0:
        return np.zeros(0, "int64")
    new = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    return np.maximum.accumulate(np.where(new, np.arange(sorted_keys.size), 0))


def _match(det_pair, det_boxes, gt_pair, gt_boxes, gt_outside, thresholds):
    """Greedy COCO matching of detections to truths within each (image, class) pair, for every area range and
    IoU threshold at once.

    Detections come sorted by pair then rank; truths sorted by pair (input order within a pair). Returns
    (true positive, matched to an ignored truth), each (detections, area ranges, thresholds).
    """
    num_areas, num_thresholds = len(AREA_RANGES), thresholds.size
    true_positive = np.zeros((det_pair.size, num_areas, num_thresholds), bool)
    ignored = np.zeros_like(true_positive)
    pairs, gt_first, gt_count = np.unique(gt_pair, return_index=True, return_counts=True)
    with_truth = np.isin(det_pair, pairs)
    if not with_truth.any():
        return true_positive, ignored
    det_index = np.flatnonzero(with_truth)
    slot = np.searchsorted(pairs, det_pair[det_index])
    rank = det_index - _group_starts(det_pair)[det_index]
    # Pairs with the most detections first: at rank r the active pairs are a prefix of the rows.
    det_count = np.bincount(slot, minlength=pairs.size)
    order = np.argsort(-det_count, kind="stable")
    row = np.empty_like(order)
    row[order] = np.arange(order.size)
    det_count, gt_first, gt_count = det_count[order], gt_first[order], gt_count[order]
    used = det_count > 0
    det_count, gt_first, gt_count = det_count[used], gt_first[used], gt_count[used]
    rows, width = det_count.size, int(gt_count.max())
    det_grid = np.zeros((rows, int(det_count[0])), "int64")
    det_grid[row[slot], rank] = det_index
    column = np.arange(width)
    present = column < gt_count[:, None]
    gt_index = np.where(present, gt_first[:, None] + column, 0)
    truths = gt_boxes[gt_index]
    truth_ignored = gt_outside[gt_index].transpose(0, 2, 1)[:, :, None, :]  # (rows, areas, 1, width)
    free = np.broadcast_to(present[:, None, None, :], (rows, num_areas, num_thresholds, width)).copy()
    limit = np.minimum(thresholds, 1 - 1e-10)[:, None]  # as COCOeval
    for r in range(det_grid.shape[1]):
        active = int(np.count_nonzero(det_count > r))
        index = det_grid[:active, r]
        iou = _iou(det_boxes[index], truths[:active])[:, None, None, :]
        candidate = free[:active] & (iou >= limit)
        value = np.where(candidate, iou, -1.0)
        regular = np.where(truth_ignored[:active], -1.0, value)
        other = np.where(truth_ignored[:active], value, -1.0)
        has_regular = regular.max(axis=-1) >= 0
        has_other = other.max(axis=-1) >= 0
        best = np.where(has_regular, _last_argmax(regular), _last_argmax(other))
        matched = has_regular | has_other
        p, a, t = np.nonzero(matched)
        free[p, a, t, best[p, a, t]] = False
        true_positive[index] = has_regular
        ignored[index] = ~has_regular & has_other
    return true_positive, ignored


class _Detections:
    """The metric's state: per detection kept (at most 100 per image and class) its class, score, image, rank in
    its image and class, and its outcome per area range and IoU threshold; per truth its class and area ranges."""

    def __init__(self):
        self.images = 0
        self.parts = []
        self.truths = []

    def add(self, truth, detections, thresholds):
        batch = truth["classes"].shape[0]
        gt_image, gt_slot = np.nonzero(truth["classes"] != _PADDING)
        gt_class = truth["classes"][gt_image, gt_slot].astype("int64")
        gt_boxes = truth["boxes"][gt_image, gt_slot].astype("float64")
        det_image, det_slot = np.nonzero(detections["classes"] != _PADDING)
        det_class = detections["classes"][det_image, det_slot].astype("int64")
        det_boxes = detections["boxes"][det_image, det_slot].astype("float64")
        scores = detections["scores"][det_image, det_slot].astype("float64")
        classes = 1 + max(int(gt_class.max(initial=0)), int(det_class.max(initial=0)))
        det_pair = det_image * classes + det_class
        gt_pair = gt_image * classes + gt_class
        # Per pair, by score, ties in input order (a stable sort); keep the first MAX_DETECTIONS[-1].
        order = np.lexsort((-scores, det_pair))
        det_pair, det_image, det_class, det_boxes, scores = (
            det_pair[order], det_image[order], det_class[order], det_boxes[order], scores[order])
        rank = np.arange(det_pair.size) - _group_starts(det_pair)
        keep = rank < MAX_DETECTIONS[-1]
        det_pair, det_image, det_class, det_boxes, scores, rank = (
            det_pair[keep], det_image[keep], det_class[keep], det_boxes[keep], scores[keep], rank[keep])
        gt_order = np.argsort(gt_pair, kind="stable")
        gt_outside = _outside(_areas(gt_boxes[gt_order]))
        true_positive, ignored = _match(det_pair, det_boxes, gt_pair[gt_order], gt_boxes[gt_order], gt_outside,
                                        thresholds)
        # Unmatched detections outside an area range are ignored in that range.
        ignored |= ~true_positive & ~ignored & _outside(_areas(det_boxes))[:, :, None]
        self.parts.append((det_class, scores, det_image + self.images, rank.astype("int32"),
                           true_positive, ignored))
        self.truths.append((gt_class, ~_outside(_areas(gt_boxes))))
        self.images += batch

    def gathered(self):
        num_areas = len(AREA_RANGES)
        if not self.truths:
            return None
        gt_class = np.concatenate([part[0] for part in self.truths])
        gt_inside = np.concatenate([part[1] for part in self.truths]).reshape(-1, num_areas)
        columns = list(zip(*self.parts))
        return gt_class, gt_inside, [np.concatenate(column) for column in columns]


def _summarize(state, thresholds, recall_points):
    """COCOeval's accumulate + summarize over the stored outcomes: the twelve summary values."""
    num_areas, num_limits, num_thresholds = len(AREA_RANGES), len(MAX_DETECTIONS), thresholds.size
    recall_thresholds = np.linspace(0.0, 1.0, recall_points)
    gathered = state.gathered()
    classes = np.zeros(0, "int64") if gathered is None else np.unique(gathered[0])
    precision = -np.ones((num_thresholds, recall_points, classes.size, num_areas))
    recall = -np.ones((num_thresholds, classes.size, num_areas, num_limits))
    if classes.size:
        gt_class, gt_inside, (det_class, scores, image, rank, true_positive, ignored) = gathered
        counts = np.zeros((classes.size, num_areas))
        np.add.at(counts, np.searchsorted(classes, gt_class), gt_inside)
        kept = np.isin(det_class, classes)
        det_class, scores, image, rank = det_class[kept], scores[kept], image[kept], rank[kept]
        true_positive, ignored = true_positive[kept], ignored[kept]
        slot = np.searchsorted(classes, det_class)
        # Per class by score; ties by image, then by rank in the image (COCOeval's stable sort of the
        # per-image lists concatenated in image order).
        order = np.lexsort((rank, image, -scores, slot))
        slot, rank, true_positive, ignored = slot[order], rank[order], true_positive[order], ignored[order]
        false_positive = ~true_positive & ~ignored
        bounds = np.searchsorted(slot, np.arange(classes.size + 1))
        for k in range(classes.size):
            defined = counts[k] > 0
            start, stop = bounds[k], bounds[k + 1]
            positives = counts[k, defined]
            tp = true_positive[start:stop][:, defined]
            for m, limit in enumerate(MAX_DETECTIONS):
                hits = tp[rank[start:stop] < limit].sum(axis=0, dtype="float64")  # (areas, thresholds)
                recall[:, k, defined, m] = (hits / positives[:, None]).T
            precision[:, :, k, defined] = _sampled_precision(
                tp, false_positive[start:stop][:, defined], positives, recall_thresholds).transpose(1, 2, 0)
    return _summary(precision, recall, thresholds)


def _sampled_precision(true_positive, false_positive, positives, recall_thresholds):
    """(areas, thresholds, recall points): the monotone precision at the first rank reaching each recall point."""
    count = true_positive.shape[0]
    areas, num_thresholds = true_positive.shape[1:]
    if count == 0:
        return np.zeros((areas, num_thresholds, recall_thresholds.size))
    tp = np.cumsum(true_positive, axis=0, dtype="float64")
    fp = np.cumsum(false_positive, axis=0, dtype="float64")
    recall = tp / positives[None, :, None]
    precision = tp / (fp + tp + np.spacing(1))
    envelope = np.maximum.accumulate(precision[::-1], axis=0)[::-1].reshape(count, -1)
    # searchsorted(recall[:, j], recall_thresholds, side="left") for every column j at once, with exact
    # comparisons: the number of ranks whose recall is below each recall point.
    columns = envelope.shape[1]
    bins = np.searchsorted(recall_thresholds, recall.reshape(count, -1), side="right")
    bins = bins + np.arange(columns) * (recall_thresholds.size + 1)
    histogram = np.bincount(bins.ravel(), minlength=columns * (recall_thresholds.size + 1))
    first = np.cumsum(histogram.reshape(columns, -1), axis=1)[:, :-1]
    sampled = envelope[np.minimum(first, count - 1), np.arange(columns)[:, None]]
    return np.where(first < count, sampled, 0.0).reshape(areas, num_thresholds, -1)


def _mean_defined(values):
    defined = values[values > -1]
    return float(np.mean(defined)) if defined.size else -1.0


def _summary(precision, recall, thresholds):
    last = len(MAX_DETECTIONS) - 1

    def at(value):
        return np.flatnonzero(thresholds == value)  # exact, as COCOeval's summarize

    stats = {"map": _mean_defined(precision[..., 0]),
             "map_50": _mean_defined(precision[at(0.5)][..., 0]),
             "map_75": _mean_defined(precision[at(0.75)][..., 0])}
    for a, area in enumerate(AREA_NAMES[1:], 1):
        stats[f"map_{area}"] = _mean_defined(precision[..., a])
    for m, limit in enumerate(MAX_DETECTIONS):
        stats[f"mar_{limit}"] = _mean_defined(recall[:, :, 0, m])
    for a, area in enumerate(AREA_NAMES[1:], 1):
        stats[f"mar_{area}"] = _mean_defined(recall[:, :, a, last])
    return stats
