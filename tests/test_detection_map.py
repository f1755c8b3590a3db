"""keras_dlx.metrics.MeanAveragePrecision against pycocotools' COCOeval (bbox, no crowd) on random detections, a
hand-computed VOC 2007 case, accumulation, reset, config and bad input."""

import contextlib
import io

import keras
import numpy as np
import pytest

from keras_dlx.metrics import MeanAveragePrecision

KEYS = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large",
        "mar_1", "mar_10", "mar_100", "mar_small", "mar_medium", "mar_large")  # COCOeval.stats, in order


def random_batch(seed, images=10, classes=4, max_truths=9, pad_with_nan=False):
    """Padded truths and detections exercising COCOeval's corners: boxes of every area range (some exactly on
    the 32^2 and 96^2 bounds), duplicated truths (IoU ties), images without truths, images without detections,
    an image with more than 100 detections of one class, scores tied in groups, detections of a class without
    truths. Integer coordinates and 0.05-step scores make exact ties common."""
    rng = np.random.default_rng(seed)
    truths, detections = [], []
    for image in range(images):
        count = 0 if image == 1 else int(rng.integers(1, max_truths + 1))
        size = np.round(np.exp(rng.uniform(np.log(3), np.log(220), (count, 2))))
        if count >= 2:
            size[0], size[1] = (32, 32), (96, 96)  # areas exactly on COCO's range bounds
        corner = rng.integers(0, 300, (count, 2))
        boxes = np.concatenate([corner, corner + size], axis=1).astype("float32")
        labels = rng.integers(0, classes - 1, count)  # the last class never has truths
        if count >= 3:
            boxes[2], labels[2] = boxes[1], labels[1]  # a duplicated truth
        truths.append((boxes, labels))
        if image == 2:
            detections.append((np.zeros((0, 4), "float32"), np.zeros(0, int), np.zeros(0, "float32")))
            continue
        hits = np.repeat(boxes, int(rng.integers(1, 4)), axis=0)
        jitter = rng.normal(0, 0.12, hits.shape) * np.tile(hits[:, 2:] - hits[:, :2], 2)
        hit_boxes = np.round(hits + jitter)
        hit_labels = np.where(rng.random(len(hits)) < 0.85, np.tile(labels, len(hits) // max(count, 1)),
                              rng.integers(0, classes, len(hits)))
        many = 120 if image == 3 else int(rng.integers(0, 25))
        corner = rng.integers(0, 300, (many, 2))
        noise = np.concatenate([corner, corner + rng.integers(1, 150, (many, 2))], axis=1)
        noise_labels = np.zeros(many, int) if image == 3 else rng.integers(0, classes, many)
        det_boxes = np.concatenate([hit_boxes, noise]).astype("float32")
        det_boxes[:, 2:] = np.maximum(det_boxes[:, 2:], det_boxes[:, :2])
        det_labels = np.concatenate([hit_labels, noise_labels])
        scores = (np.round(rng.random(len(det_boxes)) * 20) / 20).astype("float32")
        detections.append((det_boxes, det_labels, scores))
    return pad(truths, detections, pad_with_nan)


def pad(truths, detections, pad_with_nan=False, width=None):
    fill = np.nan if pad_with_nan else 0.0
    max_truths = width or max(len(labels) for _, labels in truths)
    max_dets = width or max(len(labels) for _, labels, _ in detections)
    y_true = {"boxes": np.full((len(truths), max_truths, 4), fill, "float32"),
              "classes": -np.ones((len(truths), max_truths), "int32")}
    y_pred = {"boxes": np.full((len(truths), max_dets, 4), fill, "float32"),
              "classes": -np.ones((len(truths), max_dets), "int32"),
              "scores": np.zeros((len(truths), max_dets), "float32")}
    for i, ((boxes, labels), (det_boxes, det_labels, scores)) in enumerate(zip(truths, detections)):
        y_true["boxes"][i, :len(labels)], y_true["classes"][i, :len(labels)] = boxes, labels
        n = len(det_labels)
        y_pred["boxes"][i, :n], y_pred["classes"][i, :n], y_pred["scores"][i, :n] = det_boxes, det_labels, scores
    return y_true, y_pred


def coco_reference(y_true, y_pred, classes, iou_thresholds=None, recall_points=101):
    """COCOeval's twelve summary values for padded arrays (images and annotations in array order)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(box):
        x1, y1, x2, y2 = (float(v) for v in box)
        return [x1, y1, x2 - x1, y2 - y1]

    images = y_true["classes"].shape[0]
    annotations = []
    for i in range(images):
        for box, label in zip(y_true["boxes"][i], y_true["classes"][i]):
            if label != -1:
                bbox = xywh(box)
                annotations.append({"id": len(annotations) + 1, "image_id": i + 1, "category_id": int(label),
                                    "bbox": bbox, "area": bbox[2] * bbox[3], "iscrowd": 0})
    results = [{"image_id": i + 1, "category_id": int(label), "bbox": xywh(box), "score": float(score)}
               for i in range(images)
               for box, label, score in zip(y_pred["boxes"][i], y_pred["classes"][i], y_pred["scores"][i])
               if label != -1]
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = {"images": [{"id": i + 1} for i in range(images)], "annotations": annotations,
                         "categories": [{"id": c} for c in range(classes)]}
        truth.createIndex()
        evaluation = COCOeval(truth, truth.loadRes(results), "bbox")
        if iou_thresholds is not None:
            evaluation.params.iouThrs = np.array(iou_thresholds, "float64")
        evaluation.params.recThrs = np.linspace(0.0, 1.0, recall_points)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return dict(zip(KEYS, evaluation.stats))


def evaluated(metric, *batches):
    for y_true, y_pred in batches:
        metric.update_state(y_true, y_pred)
    return {key: float(value) for key, value in metric.result().items()}


def assert_equal_stats(ours, reference, tolerance):
    assert set(KEYS) <= set(ours)
    for key in KEYS:
        assert ours[key] == pytest.approx(reference[key], abs=tolerance), key


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_equals_cocoeval_on_random_detections(seed):
    y_true, y_pred = random_batch(seed, pad_with_nan=seed == 3)
    reference = coco_reference(y_true, y_pred, classes=4)
    ours = evaluated(MeanAveragePrecision(), (y_true, y_pred))
    # Same matching, the same float64 arithmetic: float32 results differ from COCOeval by rounding only (<= 6e-8).
    assert_equal_stats(ours, reference, 1e-6)
    assert 0 < reference["map"] < 1 and reference["map_small"] > -1 and reference["map_large"] > -1


def test_truncates_to_100_detections_per_image_and_class():
    y_true, y_pred = random_batch(0)
    image = 3  # 120 noise detections of class 0: only the 100 best-scored of its class count
    assert np.sum(y_pred["classes"][image] == 0) > 100
    ours = evaluated(MeanAveragePrecision(), (y_true, y_pred))
    assert_equal_stats(ours, coco_reference(y_true, y_pred, classes=4), 1e-6)


def test_iou_tie_goes_to_the_later_truth():
    # The first detection overlaps both truths with the same IoU (95/105 = 0.905): COCOeval's scan keeps the later
    # truth, so the second detection (IoU 0.667 with the first truth, 0.818 with the second) matches only at
    # IoU 0.5..0.65. Hits over the ten thresholds: 2, 2, 2, 2, 1, 1, 1, 1, 1, 0 of 2 truths -> recall 0.65
    # (taking the first truth would give 2 hits up to 0.8: recall 0.8).
    y_true = {"boxes": np.array([[[0, 0, 10, 10], [1, 0, 11, 10]]], "float32"), "classes": np.array([[0, 0]])}
    y_pred = {"boxes": np.array([[[0.5, 0, 10.5, 10], [2, 0, 12, 10]]], "float32"), "classes": np.array([[0, 0]]),
              "scores": np.array([[0.9, 0.8]], "float32")}
    ours = evaluated(MeanAveragePrecision(), (y_true, y_pred))
    reference = coco_reference(y_true, y_pred, classes=1)
    assert_equal_stats(ours, reference, 1e-6)
    assert reference["mar_100"] == pytest.approx(13 / 20)


@pytest.mark.parametrize("recall_points, iou_thresholds", [(11, None), (11, (0.5, 0.75)), (101, (0.3, 0.5, 0.8))])
def test_other_recall_points_and_thresholds_equal_cocoeval_with_those_params(recall_points, iou_thresholds):
    y_true, y_pred = random_batch(5)
    expected_thresholds = (0.5,) if iou_thresholds is None else iou_thresholds
    reference = coco_reference(y_true, y_pred, 4, expected_thresholds, recall_points)
    metric = MeanAveragePrecision(recall_points=recall_points, iou_thresholds=iou_thresholds)
    ours = evaluated(metric, (y_true, y_pred))
    assert_equal_stats(ours, reference, 1e-6)
    if iou_thresholds is None:
        assert ours["map_75"] == -1 and ours["map"] == ours["map_50"]


def test_voc_11_point_ap_on_a_hand_case():
    # Class 0: two truths; detections by score: hit, miss, hit -> precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    # Monotone precision 1, 2/3, 2/3: recall points 0..0.5 (6 of 11) read 1, 0.6..1 (5) read 2/3 -> AP 26/33.
    # Class 1: one truth, one detection at IoU 0.4 (a miss) -> AP 0. VOC's devkit gives the same here.
    y_true = {"boxes": np.array([[[0, 0, 10, 10], [20, 20, 40, 40], [50, 50, 60, 60]]], "float32"),
              "classes": np.array([[0, 0, 1]])}
    y_pred = {"boxes": np.array([[[0, 0, 10, 10], [100, 100, 110, 110], [21, 21, 40, 40], [50, 50, 54, 60]]],
                                "float32"),
              "classes": np.array([[0, 0, 0, 1]]), "scores": np.array([[0.9, 0.8, 0.7, 0.6]], "float32")}
    voc = evaluated(MeanAveragePrecision(recall_points=11), (y_true, y_pred))
    assert voc["map"] == pytest.approx((6 + 5 * 2 / 3) / 11 / 2, abs=1e-6)
    assert voc["map_50"] == voc["map"] and voc["map_75"] == -1
    assert voc["mar_100"] == pytest.approx((1 + 0) / 2, abs=1e-6)
    # With COCO's 101 points at IoU 0.5: 51 points read 1, 50 read 2/3.
    coco_50 = evaluated(MeanAveragePrecision(iou_thresholds=[0.5]), (y_true, y_pred))
    assert coco_50["map"] == pytest.approx((51 + 50 * 2 / 3) / 101 / 2, abs=1e-6)


def test_accumulating_batches_equals_one_call_and_reset_clears():
    y_true, y_pred = random_batch(7, images=9)
    whole = evaluated(MeanAveragePrecision(), (y_true, y_pred))
    metric = MeanAveragePrecision()
    parts = []
    for start, stop in ((0, 4), (4, 5), (5, 9)):  # different padding widths per batch
        part_true = {key: value[start:stop] for key, value in y_true.items()}
        part_pred = {key: value[start:stop] for key, value in y_pred.items()}
        width = max(int(np.sum(part_pred["classes"] != -1, axis=1).max()), 1)
        part_pred = {key: value[:, :width] for key, value in part_pred.items()}
        parts.append((part_true, part_pred))
    assert evaluated(metric, *parts) == whole  # the same numbers, exactly
    metric.reset_state()
    assert all(value == -1 for value in evaluated(metric).values())
    assert evaluated(metric, (y_true, y_pred)) == whole


def test_no_detections_and_no_truths():
    y_true, y_pred = random_batch(1, images=3)
    empty = {"boxes": np.zeros((3, 0, 4), "float32"), "classes": np.zeros((3, 0), "int32"),
             "scores": np.zeros((3, 0), "float32")}
    result = evaluated(MeanAveragePrecision(), (y_true, empty))
    assert result["map"] == 0 and result["mar_100"] == 0 and result["map_50"] == 0
    no_truth = {"boxes": np.zeros((3, 2, 4), "float32"), "classes": -np.ones((3, 2), "int32")}
    result = evaluated(MeanAveragePrecision(), (no_truth, y_pred))
    assert all(value == -1 for value in result.values())  # no class to average: -1, as COCOeval


def test_config_round_trip():
    metric = MeanAveragePrecision(recall_points=11, iou_thresholds=(0.5, 0.6), name="voc", dtype="float64")
    config = metric.get_config()
    assert config["recall_points"] == 11 and config["iou_thresholds"] == [0.5, 0.6]
    clone = MeanAveragePrecision.from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(restored, MeanAveragePrecision) and restored.get_config() == config
    y_true, y_pred = random_batch(2, images=4)
    assert evaluated(restored, (y_true, y_pred)) == evaluated(metric, (y_true, y_pred))
    assert keras.backend.standardize_dtype(MeanAveragePrecision().result()["map"].dtype) == "float32"


@pytest.mark.parametrize("kwargs, match", [
    ({"recall_points": 10}, "recall_points"),
    ({"recall_points": 101.0}, "recall_points"),
    ({"iou_thresholds": ()}, "iou_thresholds"),
    ({"iou_thresholds": (0.5, 1.5)}, "iou_thresholds"),
    ({"iou_thresholds": 0.5}, "iou_thresholds"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=f"Invalid `{match}` for MeanAveragePrecision"):
        MeanAveragePrecision(**kwargs)


def _valid():
    y_true = {"boxes": np.array([[[0, 0, 10, 10]]], "float32"), "classes": np.array([[0]])}
    y_pred = {"boxes": np.array([[[0, 0, 10, 10]]], "float32"), "classes": np.array([[0]]),
              "scores": np.array([[0.5]], "float32")}
    return y_true, y_pred


@pytest.mark.parametrize("change, match", [
    (lambda t, p: (t["boxes"], p), "must be a dict"),
    (lambda t, p: ({"boxes": t["boxes"]}, p), r"lacks the key\(s\) \['classes'\]"),
    (lambda t, p: (t, {k: v for k, v in p.items() if k != "scores"}), r"lacks the key\(s\) \['scores'\]"),
    (lambda t, p: ({**t, "boxes": t["boxes"][0]}, p), r"y_true\['boxes'\]` must have shape"),
    (lambda t, p: (t, {**p, "scores": p["scores"][0]}), r"y_pred\['scores'\]` must have shape"),
    (lambda t, p: (t, {**p, "boxes": p["boxes"][..., :3]}), r"y_pred\['boxes'\]` must have shape"),
    (lambda t, p: ({**t, "boxes": np.array([[[5, 0, 1, 10]]], "float32")}, p), "x2 >= x1"),
    (lambda t, p: (t, {**p, "boxes": np.array([[[0, 0, np.nan, 10]]], "float32")}), "NaN"),
    (lambda t, p: (t, {**p, "scores": np.array([[np.nan]], "float32")}), "scores"),
    (lambda t, p: ({**t, "classes": np.array([[-2]])}, p), "integer classes"),
    (lambda t, p: (t, {**p, "classes": np.array([[0.5]])}), "integer classes"),
    (lambda t, p: (t, {key: np.concatenate([v, v]) for key, v in p.items()}), "same batch size"),
    (lambda t, p: ({**t, "classes": np.array([[0, 1]])}, p), r"agree in \(batch, num_boxes\)"),
])
def test_bad_input(change, match):
    y_true, y_pred = change(*_valid())
    with pytest.raises(ValueError, match=match):
        MeanAveragePrecision().update_state(y_true, y_pred)


def test_sample_weight_is_refused():
    with pytest.raises(ValueError, match="sample_weight"):
        MeanAveragePrecision().update_state(*_valid(), sample_weight=np.ones(1))


def test_padding_values_are_not_validated():
    y_true, y_pred = _valid()
    y_true = {"boxes": np.concatenate([y_true["boxes"], [[[np.nan, 5, 0, 0]]]], axis=1),
              "classes": np.array([[0, -1]])}
    assert evaluated(MeanAveragePrecision(), (y_true, y_pred))["map"] == 1


def test_traced_update_says_to_run_eagerly():
    y_true, y_pred = _valid()
    metric = MeanAveragePrecision()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        traced = tf.function(lambda t, p: metric.update_state(t, p))
    elif backend == "jax":
        import jax

        traced = jax.jit(lambda t, p: metric.update_state(t, p))
    else:
        pytest.skip(f"no tracing to test on {backend}")
    with pytest.raises(ValueError, match="runs eagerly"):
        traced(y_true, y_pred)


def test_accepts_backend_tensors():
    y_true, y_pred = random_batch(4, images=3)
    tensors = [{key: keras.ops.convert_to_tensor(value) for key, value in d.items()} for d in (y_true, y_pred)]
    assert evaluated(MeanAveragePrecision(), tensors) == evaluated(MeanAveragePrecision(), (y_true, y_pred))


@pytest.mark.tensorflow_only  # benchmarks run on TensorFlow (benchmarks/harness.py imports it)
def test_benchmark_runs_and_agrees_with_pycocotools():
    from benchmarks import map as map_benchmark

    row = map_benchmark.compare(images=12, detections=30, classes=5, repeats=1)
    assert row["ratio"] > 0 and row["max_difference"] < 1e-6 and row["map"] > 0
