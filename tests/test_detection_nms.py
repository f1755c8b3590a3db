"""keras_dlx.ops.nms / batched_nms / nms_padded and the NonMaxSuppression layer, against greedy NMS written in
NumPy here (REFERENCE "Detection": sort by score, ties by lower index; drop IoU > threshold, strictly).

Indices are compared exactly. The TensorFlow fast path (TensorFlow's NMS kernel, used eagerly on that backend)
is checked against the backend-neutral `keras.ops` loop and the NumPy reference on the same inputs, including
score ties and IoU exactly at the threshold. Layer outputs: boxes and scores are gathered inputs, compared
exactly (float32).
"""

import importlib

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keras_dlx import layers, ops

# The module, not the function `keras_dlx.ops.nms` that shadows it as an attribute of the package.
nms_module = importlib.import_module("keras_dlx.ops.nms")


def _np(x):
    return keras.ops.convert_to_numpy(x)


def np_iou_row(box, boxes):
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) \
        - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def np_nms(boxes, scores, threshold, classes=None):
    boxes = np.asarray(boxes, "float64")
    classes = np.zeros(len(scores), int) if classes is None else np.asarray(classes)
    order = np.argsort(-np.asarray(scores, "float64"), kind="stable")
    suppressed = np.zeros(len(scores), bool)
    kept = []
    for i in order:
        if suppressed[i]:
            continue
        kept.append(i)
        suppressed |= (np_iou_row(boxes[i], boxes) > threshold) & (classes == classes[i])
    return np.array(kept, "int64")


def random_problem(seed, count=30, classes=3, extent=60.0):
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, extent, (count, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(5, 40, (count, 2))], -1).astype("float32")
    scores = rng.uniform(size=count).astype("float32")
    scores[::5] = scores[0]  # ties
    return boxes, scores, rng.integers(0, classes, count)


# Hand cases where the edge matters: IoU exactly 0.5 (kept at threshold 0.5), equal scores (lower index kept),
# touching boxes (IoU 0), a zero-area box, duplicates.
EDGE_BOXES = np.array([[0, 0, 1, 2], [0, 0, 1, 1], [5, 5, 6, 6], [5, 5, 6, 6], [5, 5, 6, 6.5], [1, 0, 2, 2],
                       [8, 8, 8, 8], [8, 8, 8, 8]], "float32")
EDGE_SCORES = np.array([0.9, 0.8, 0.5, 0.5, 0.5, 0.9, 0.3, 0.3], "float32")


def _all_paths(boxes, scores, threshold, classes=None):
    """{path: kept indices}: the eager op (fast path on TensorFlow), the neutral loop, and nms_padded."""
    results = {"op": _np(ops.batched_nms(boxes, scores, classes, threshold))}
    original = nms_module._tensorflow_fast_path
    nms_module._tensorflow_fast_path = lambda values, iou_threshold: None
    try:
        results["neutral"] = _np(ops.batched_nms(boxes, scores, classes, threshold))
    finally:
        nms_module._tensorflow_fast_path = original
    indices, count = ops.nms_padded(boxes, scores, threshold, len(scores), classes=classes)
    results["padded"] = _np(indices)[: int(count)]
    return results


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("class_aware", [False, True])
def test_every_path_matches_numpy_reference(threshold, class_aware):
    for boxes, scores, classes in [random_problem(int(threshold * 10) + 100 * class_aware),
                                   (EDGE_BOXES, EDGE_SCORES, np.array([0, 0, 1, 1, 1, 0, 2, 2]))]:
        classes = classes if class_aware else None
        expected = np_nms(boxes, scores, threshold, classes)
        for path, kept in _all_paths(boxes, scores, threshold, classes).items():
            assert kept.dtype == np.int32, path
            np.testing.assert_array_equal(kept, expected, err_msg=f"{path}, threshold {threshold}")


# Small integer boxes make exact ties in score and IoU exactly at the threshold common; the thresholds are
# binary fractions, so float32 IoU compares with them as the exact rationals do.
@settings(max_examples=30, deadline=None, derandomize=True)
@given(corners=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 4), st.integers(0, 4)),
                        min_size=1, max_size=8),
       data=st.data(), threshold=st.sampled_from([0.0, 0.25, 0.5, 1.0]), class_aware=st.booleans())
def test_property_every_path_matches_numpy_on_integer_boxes(corners, data, threshold, class_aware):
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in corners], "float32")
    scores = np.array(data.draw(st.lists(st.sampled_from([0.1, 0.5, 0.9]), min_size=len(boxes),
                                         max_size=len(boxes))), "float32")
    classes = np.arange(len(boxes)) % 2 if class_aware else None
    expected = np_nms(boxes, scores, threshold, classes)
    for path, kept in _all_paths(boxes, scores, threshold, classes).items():
        np.testing.assert_array_equal(kept, expected, err_msg=path)


def test_edge_cases_by_hand():
    # Threshold 0.5: box 1 has IoU exactly 0.5 with box 0 (kept); 3 duplicates 2 (equal score: 2 kept);
    # 4 overlaps 2 by 1 / 1.5 (dropped); 5 touches 0 (IoU 0, kept); the zero-area duplicates overlap nothing.
    np.testing.assert_array_equal(_np(ops.nms(EDGE_BOXES, EDGE_SCORES, 0.5)), [0, 5, 1, 2, 6, 7])
    # Threshold 0: any overlap suppresses, touching does not.
    np.testing.assert_array_equal(_np(ops.nms(EDGE_BOXES, EDGE_SCORES, 0.0)), [0, 5, 2, 6, 7])
    # float64 boxes (the neutral path on every backend) and integer boxes give the same.
    np.testing.assert_array_equal(_np(ops.nms(EDGE_BOXES.astype("float64"), EDGE_SCORES, 0.5)), [0, 5, 1, 2, 6, 7])
    np.testing.assert_array_equal(_np(ops.nms(EDGE_BOXES[:6].astype("int32"), EDGE_SCORES[:6], 0.5)), [0, 5, 1, 2])


def test_negative_infinite_scores_are_kept_like_torchvision():
    boxes = np.array([[0, 0, 1, 1], [5, 5, 6, 6], [5, 5, 6, 6]], "float32")
    scores = np.array([-np.inf, 0.2, -np.inf], "float32")
    np.testing.assert_array_equal(_np(ops.nms(boxes, scores, 0.5)), [1, 0])


def test_empty_and_single_inputs():
    assert tuple(ops.nms(np.zeros((0, 4), "float32"), np.zeros((0,), "float32"), 0.5).shape) == (0,)
    assert tuple(ops.batched_nms(np.zeros((0, 4), "float32"), np.zeros((0,), "float32"), np.zeros(0, int),
                                 0.5).shape) == (0,)
    np.testing.assert_array_equal(_np(ops.nms(np.array([[0, 0, 1, 1]], "float32"), np.array([0.5]), 0.5)), [0])
    indices, count = ops.nms_padded(np.zeros((2, 0, 4), "float32"), np.zeros((2, 0), "float32"), 0.5, 3)
    np.testing.assert_array_equal(_np(indices), -np.ones((2, 3)))
    np.testing.assert_array_equal(_np(count), [0, 0])
    out = layers.NonMaxSuppression(max_detections=3)(np.zeros((2, 0, 4), "float32"), np.zeros((2, 0, 5), "float32"))
    np.testing.assert_array_equal(_np(out["classes"]), -np.ones((2, 3)))
    np.testing.assert_array_equal(_np(out["num_detections"]), [0, 0])


def test_nms_padded_limits_thresholds_and_batches():
    boxes, scores, classes = random_problem(11, count=40)
    expected = np_nms(boxes, scores, 0.4)
    indices, count = ops.nms_padded(boxes, scores, 0.4, 5)
    np.testing.assert_array_equal(_np(indices), expected[:5])
    assert int(count) == 5
    # Only scores strictly above score_threshold are candidates.
    above = np.flatnonzero(scores > scores[7])
    indices, count = ops.nms_padded(boxes, scores, 0.4, 40, score_threshold=float(scores[7]))
    reference = above[np_nms(boxes[above], scores[above], 0.4)]
    np.testing.assert_array_equal(_np(indices)[: int(count)], reference)
    assert np.all(_np(indices)[int(count):] == -1)
    # Batched: each image as alone.
    other = random_problem(12, count=40)
    indices, counts = ops.nms_padded(np.stack([boxes, other[0]]), np.stack([scores, other[1]]), 0.4, 40,
                                     classes=np.stack([classes, other[2]]))
    for image, (b, s, c) in enumerate([(boxes, scores, classes), other]):
        np.testing.assert_array_equal(_np(indices[image])[: int(counts[image])], np_nms(b, s, 0.4, c))


def test_nms_padded_under_jit():
    boxes, scores, classes = random_problem(13, count=30)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(lambda b, s: ops.nms_padded(b, s, 0.5, 10), jit_compile=True)
    elif backend == "jax":
        import jax

        compiled = jax.jit(lambda b, s: ops.nms_padded(b, s, 0.5, 10))
    else:
        pytest.skip("no jit for this backend")
    indices, count = compiled(boxes, scores)
    expected = np_nms(boxes, scores, 0.5)[:10]
    np.testing.assert_array_equal(_np(indices)[: int(count)], expected)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.nms(np.zeros((2, 4)), np.zeros(2), 1.5), "`iou_threshold`.*\\[0, 1\\]"),
    (lambda: ops.nms(np.zeros((2, 4)), np.zeros(2), -0.1), "`iou_threshold`"),
    (lambda: ops.batched_nms(np.zeros((2, 4)), np.zeros(2), np.zeros(2), float("nan")), "`iou_threshold`"),
    (lambda: ops.nms(np.array([[0, 0, 1, np.nan]]), np.zeros(1), 0.5), "`boxes`.*NaN"),
    (lambda: ops.nms(np.array([[2, 0, 1, 1]]), np.zeros(1), 0.5), "`boxes`.*x1 <= x2"),
    (lambda: ops.nms_padded(np.array([[0, 3, 1, 1]]), np.zeros(1), 0.5, 3), "`boxes`.*y1 <= y2"),
    (lambda: ops.nms(np.zeros((2, 4)), np.array([0.1, np.nan]), 0.5), "`scores`"),
    (lambda: ops.nms(np.zeros((2, 5)), np.zeros(2), 0.5), "`boxes`.*shape"),
    (lambda: ops.nms(np.zeros((1, 2, 4)), np.zeros((1, 2)), 0.5), "`boxes`.*shape"),
    (lambda: ops.nms(np.zeros((2, 4)), np.zeros(3), 0.5), "`scores`"),
    (lambda: ops.batched_nms(np.zeros((2, 4)), np.zeros(2), np.zeros((2, 1)), 0.5), "`classes`"),
    (lambda: ops.nms_padded(np.zeros((2, 4)), np.zeros(2), 0.5, 0), "`max_output_size`"),
    (lambda: ops.nms_padded(np.zeros((2, 4)), np.zeros(2), 0.5, 2, score_threshold="0.1"), "`score_threshold`"),
])
def test_bad_inputs_raise_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- NonMaxSuppression layer -----------------------------------------------------------------------------------

def np_layer(boxes, scores, iou_threshold, confidence, max_detections, per_class=None, class_aware=True):
    """Per image: class-aware = NMS per class on (box, class) pairs above the confidence, at most `per_class`
    each, then the best `max_detections` by (score desc, box, class); class-agnostic = NMS on best classes."""
    out = []
    for b, s in zip(boxes, scores):
        num_classes = s.shape[1]
        if class_aware:
            flat_scores, flat_classes = s.reshape(-1), np.tile(np.arange(num_classes), len(b))
            flat_boxes = np.repeat(b, num_classes, axis=0)
        else:
            flat_scores, flat_classes, flat_boxes = s.max(1), s.argmax(1), b
        candidates = np.flatnonzero(flat_scores > confidence)
        kept = []
        for c in np.unique(flat_classes[candidates]) if class_aware else [None]:
            members = candidates if c is None else candidates[flat_classes[candidates] == c]
            chosen = members[np_nms(flat_boxes[members], flat_scores[members], iou_threshold)]
            kept.extend(chosen[:per_class] if per_class else chosen)
        kept = np.array(sorted(kept, key=lambda k: (-flat_scores[k], k)), int)[:max_detections]
        out.append((flat_boxes[kept], flat_scores[kept], flat_classes[kept]))
    return out


def random_predictions(seed, batch=2, count=12, num_classes=3):
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 30, (batch, count, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(5, 20, (batch, count, 2))], -1).astype("float32")
    return boxes, rng.uniform(size=(batch, count, num_classes)).astype("float32")


def _check_layer_outputs(out, expected, max_detections):
    for image, (boxes, scores, classes) in enumerate(expected):
        n = len(scores)
        assert int(out["num_detections"][image]) == n
        np.testing.assert_array_equal(_np(out["classes"])[image], np.r_[classes, -np.ones(max_detections - n)])
        np.testing.assert_array_equal(_np(out["scores"])[image], np.r_[scores, np.zeros(max_detections - n)])
        np.testing.assert_array_equal(_np(out["boxes"])[image], np.r_[boxes, np.zeros((max_detections - n, 4))])


@pytest.mark.parametrize("kwargs", [
    dict(iou_threshold=0.3, confidence_threshold=0.2, max_detections=10),
    dict(iou_threshold=0.5, confidence_threshold=0.1, max_detections=6, max_detections_per_class=2),
    dict(iou_threshold=0.4, confidence_threshold=0.3, max_detections=8, class_aware=False),
    dict(iou_threshold=0.5, confidence_threshold=0.99, max_detections=5),  # nothing detected
], ids=["class-aware", "per-class-limit", "class-agnostic", "empty"])
def test_layer_matches_numpy_reference(kwargs):
    boxes, scores = random_predictions(20)
    layer = layers.NonMaxSuppression(**kwargs)
    out = layer(boxes, scores)
    expected = np_layer(boxes, scores, kwargs["iou_threshold"], kwargs["confidence_threshold"],
                        kwargs["max_detections"], kwargs.get("max_detections_per_class"),
                        kwargs.get("class_aware", True))
    _check_layer_outputs(out, expected, kwargs["max_detections"])
    assert keras.backend.standardize_dtype(out["classes"].dtype) == "int32"


@pytest.mark.parametrize("jit_compile", [False, True])
def test_layer_in_functional_model_predict_and_saved(jit_compile, tmp_path):
    boxes, scores = random_predictions(21, batch=3, count=10, num_classes=2)
    box_input, score_input = keras.Input((10, 4)), keras.Input((10, 2))
    detections = layers.NonMaxSuppression(iou_threshold=0.4, confidence_threshold=0.1, max_detections=7)(
        box_input, score_input)
    model = keras.Model([box_input, score_input], detections)
    model.compile(jit_compile=jit_compile)
    out = model.predict([boxes, scores], batch_size=3, verbose=0)
    _check_layer_outputs(out, np_layer(boxes, scores, 0.4, 0.1, 7), 7)
    path = str(tmp_path / "nms.keras")
    model.save(path)
    again = keras.saving.load_model(path).predict([boxes, scores], verbose=0)
    for key in out:
        np.testing.assert_array_equal(again[key], out[key])


def test_layer_mixed_precision_keeps_float32_boxes_inside():
    boxes, scores = random_predictions(22)
    boxes = boxes * 100  # beyond float16's integer precision
    out = layers.NonMaxSuppression(dtype="mixed_float16")(boxes, scores)
    assert keras.backend.standardize_dtype(out["boxes"].dtype) == "float16"
    expected = np_layer(boxes, scores, 0.5, 0.05, 100)
    assert int(out["num_detections"][0]) == len(expected[0][1])


@pytest.mark.parametrize("kwargs, match", [
    (dict(iou_threshold=1.2), "`iou_threshold`"),
    (dict(confidence_threshold="high"), "`confidence_threshold`"),
    (dict(max_detections=0), "`max_detections`"),
    (dict(max_detections_per_class=-1), "`max_detections_per_class`"),
    (dict(class_aware="yes"), "`class_aware`"),
])
def test_layer_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.NonMaxSuppression(**kwargs)


def test_layer_bad_input_shapes():
    layer = layers.NonMaxSuppression()
    with pytest.raises(ValueError, match="Invalid input for layer.*`boxes`"):
        layer(np.zeros((2, 5, 3), "float32"), np.zeros((2, 5, 2), "float32"))
    with pytest.raises(ValueError, match="Invalid input for layer.*`scores`"):
        layer(np.zeros((2, 5, 4), "float32"), np.zeros((2, 6, 2), "float32"))
