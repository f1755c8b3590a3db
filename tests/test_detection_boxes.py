"""keras_dlx.ops box operations (IoU family, encode/decode) and the GIoU loss, against NumPy references written
here (torchvision's formulas), torchvision 0.28 itself (tests/fixtures/torchvision/record_boxes.py) and TensorFlow
Addons 0.23 (tests/fixtures/addons/record_giou.py).

Tolerances: float32 values rtol 1e-5, atol 1e-6 against the float64 NumPy references (a few float32 roundings);
the torchvision fixture in float64 rtol 1e-10, atol 1e-12 (values and gradients; float32 rtol 1e-5, atol 1e-5
where the backend has no float64); the Addons fixture rtol 1e-5, atol 1e-6 (values and gradients, the same
formulas); float64 autodiff gradients against central finite differences (step 1e-6) rtol 1e-5, atol 1e-7.
"""

import math
import os

import keras
import numpy as np
import pytest

from keras_dlx import losses, ops
from keras_dlx.utils.dtypes import keeps_float64
from tests import addons_fixtures
from tests.reference import value_and_grad

TORCHVISION = dict(np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "torchvision",
                                        "boxes.npz")))

FLOAT32 = dict(rtol=1e-5, atol=1e-6)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def random_boxes(rng, shape, low=0.0, high=60.0):
    corner = rng.uniform(low, high, shape + (2,))
    size = rng.uniform(1.0, 30.0, shape + (2,))
    return np.concatenate([corner, corner + size], axis=-1)


# NumPy references (float64), written from the formulas (REFERENCE "Detection", Zheng et al. 2020, torchvision).
def np_area(b):
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def np_pairs(a, b):
    return a[..., :, None, :].astype("float64"), b[..., None, :, :].astype("float64")


def np_iou(a, b):
    a, b = np_pairs(a, b)
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = w * h
    union = np_area(a) + np_area(b) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def np_enclosure(a, b):
    a, b = np_pairs(a, b)
    w = np.maximum(a[..., 2], b[..., 2]) - np.minimum(a[..., 0], b[..., 0])
    h = np.maximum(a[..., 3], b[..., 3]) - np.minimum(a[..., 1], b[..., 1])
    return w, h


def np_giou(a, b):
    iou = np_iou(a, b)
    pa, pb = np_pairs(a, b)
    inter_w = np.clip(np.minimum(pa[..., 2], pb[..., 2]) - np.maximum(pa[..., 0], pb[..., 0]), 0, None)
    inter_h = np.clip(np.minimum(pa[..., 3], pb[..., 3]) - np.maximum(pa[..., 1], pb[..., 1]), 0, None)
    union = np_area(pa) + np_area(pb) - inter_w * inter_h
    w, h = np_enclosure(a, b)
    return iou - (w * h - union) / (w * h)


def np_diou(a, b, eps=1e-7):
    iou = np_iou(a, b)
    pa, pb = np_pairs(a, b)
    w, h = np_enclosure(a, b)
    centre = ((pa[..., 0] + pa[..., 2]) - (pb[..., 0] + pb[..., 2])) ** 2 / 4 + \
        ((pa[..., 1] + pa[..., 3]) - (pb[..., 1] + pb[..., 3])) ** 2 / 4
    return iou - centre / (w ** 2 + h ** 2 + eps)


def np_ciou(a, b, eps=1e-7):
    iou = np_iou(a, b)
    pa, pb = np_pairs(a, b)
    v = 4 / math.pi ** 2 * (np.arctan((pa[..., 2] - pa[..., 0]) / (pa[..., 3] - pa[..., 1]))
                            - np.arctan((pb[..., 2] - pb[..., 0]) / (pb[..., 3] - pb[..., 1]))) ** 2
    return np_diou(a, b, eps) - v / (1 - iou + v + eps) * v


PAIRWISE = [(ops.box_iou, np_iou), (ops.generalized_box_iou, np_giou), (ops.distance_box_iou, np_diou),
            (ops.complete_box_iou, np_ciou)]
PAIRWISE_IDS = ["iou", "giou", "diou", "ciou"]


@pytest.mark.parametrize("fn, reference", PAIRWISE, ids=PAIRWISE_IDS)
def test_pairwise_matches_numpy_reference(fn, reference):
    rng = np.random.default_rng(0)
    a = random_boxes(rng, (7,)).astype("float32")
    b = np.concatenate([random_boxes(rng, (5,)), a[:2], a[:1] + 100]).astype("float32")  # identical, far
    out = fn(a, b)
    assert tuple(out.shape) == (7, 8) and keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(_np(out), reference(a, b), **FLOAT32)
    # Batched (batch, N, 4) x (batch, M, 4) is the per-image result.
    batched = _np(fn(np.stack([a, a[::-1]]), np.stack([b, b[::-1]])))
    np.testing.assert_allclose(batched[0], _np(out), **FLOAT32)
    np.testing.assert_allclose(batched[1], reference(a[::-1], b[::-1]), **FLOAT32)


def _torchvision_tolerance():
    return dict(rtol=1e-10, atol=1e-12) if _float64_backend() else dict(rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"])
def test_pairwise_matches_torchvision(name):
    fn, tv = getattr(ops, name), TORCHVISION
    tolerance = _torchvision_tolerance()
    if name == "complete_box_iou" and not keeps_float64():
        # Keras computes arctan2 of float64 inputs in float32 on JAX and PyTorch (keras_dlx.utils.dtypes).
        tolerance = dict(rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_np(fn(tv["boxes1"], tv["boxes2"])), tv[name], **tolerance)
    np.testing.assert_allclose(_np(fn(tv["batched1"], tv["batched2"])), tv[f"{name}/batched"], **tolerance)
    _, grad = value_and_grad(lambda x: keras.ops.multiply(fn(x, tv["grad2"]), tv["weights"]), tv["grad1"])
    np.testing.assert_allclose(grad, tv[f"{name}/grad"], **tolerance)


@pytest.mark.parametrize("key, weights", [("1", None), ("10_10_5_5", (10, 10, 5, 5))])
def test_encode_decode_match_torchvision_box_coder(key, weights):
    tv, tolerance = TORCHVISION, _torchvision_tolerance()
    np.testing.assert_allclose(_np(ops.encode_boxes(tv["targets"], tv["anchors"], weights)), tv[f"encode/{key}"],
                               **tolerance)
    np.testing.assert_allclose(_np(ops.decode_boxes(tv["deltas"], tv["anchors"], weights)), tv[f"decode/{key}"],
                               **tolerance)


def test_iou_hand_cases():
    boxes = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [2, 0, 4, 2], [5, 5, 5, 5]], "float32")
    expected = np.array([[1, 1 / 7, 0, 0], [1 / 7, 1, 1 / 7, 0], [0, 1 / 7, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(_np(ops.box_iou(boxes, boxes)), expected, **FLOAT32)
    # GIoU of the touching pair [0,0,2,2] / [2,0,4,2]: IoU 0, enclosure 8 = union: 0; far apart -> towards -1.
    giou = _np(ops.generalized_box_iou(boxes[:1], np.array([[2, 0, 4, 2], [100, 100, 101, 101]], "float32")))
    np.testing.assert_allclose(giou[0, 0], 0.0, atol=1e-7)
    assert -1 < giou[0, 1] < -0.99
    # A zero-area pair: 0, not NaN (intended difference from torchvision).
    assert np.all(np.isfinite(_np(ops.generalized_box_iou(boxes[3:], boxes[3:]))))


def test_float64_boxes_stay_float64():
    a = random_boxes(np.random.default_rng(1), (3,))
    out = ops.box_iou(a, a)
    assert keras.backend.standardize_dtype(out.dtype) == ("float64" if keras.backend.backend() != "jax"
                                                          or _x64() else "float32")


def _x64():
    import jax

    return jax.config.read("jax_enable_x64")




def _float64_backend():
    return keras.backend.backend() != "jax" or _x64()


@pytest.mark.parametrize("fn", [ops.box_iou, ops.generalized_box_iou, ops.complete_box_iou],
                         ids=["iou", "giou", "ciou"])
def test_gradients_match_finite_differences_float64(fn):
    if not _float64_backend():
        pytest.skip("float64 needs JAX_ENABLE_X64=1 on JAX")
    rng = np.random.default_rng(2)
    a = random_boxes(rng, (4,), 0, 20)
    b = random_boxes(rng, (3,), 0, 20)
    weights = rng.standard_normal((4, 3))

    def loss(x):
        return keras.ops.multiply(fn(x, b), weights)

    _, grad = value_and_grad(loss, a)
    step = 1e-6
    numeric = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (np.sum(_np(loss(up))) - np.sum(_np(loss(down)))) / (2 * step)
    if fn is ops.complete_box_iou:  # alpha gets no gradient: compare with alpha held at its value instead
        return _check_ciou_gradient(a, b, weights, grad)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def _check_ciou_gradient(a, b, weights, grad):
    iou = np_iou(a, b)
    pa, pb = np_pairs(a, b)
    v = 4 / math.pi ** 2 * (np.arctan((pa[..., 2] - pa[..., 0]) / (pa[..., 3] - pa[..., 1]))
                            - np.arctan((pb[..., 2] - pb[..., 0]) / (pb[..., 3] - pb[..., 1]))) ** 2
    alpha = v / (1 - iou + v + 1e-7)

    def fixed_alpha(x):
        px, pbb = np_pairs(x, b)
        vx = 4 / math.pi ** 2 * (np.arctan((px[..., 2] - px[..., 0]) / (px[..., 3] - px[..., 1]))
                                 - np.arctan((pbb[..., 2] - pbb[..., 0]) / (pbb[..., 3] - pbb[..., 1]))) ** 2
        return np.sum((np_diou(x, b) - alpha * vx) * weights)

    numeric = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[index] += 1e-6
        down[index] -= 1e-6
        numeric[index] = (fixed_alpha(up) - fixed_alpha(down)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def np_encode(boxes, anchors, weights):
    wa, ha = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    xa, ya = anchors[:, 0] + wa / 2, anchors[:, 1] + ha / 2
    x, y = boxes[:, 0] + w / 2, boxes[:, 1] + h / 2
    return np.stack([weights[0] * (x - xa) / wa, weights[1] * (y - ya) / ha, weights[2] * np.log(w / wa),
                     weights[3] * np.log(h / ha)], -1)


@pytest.mark.parametrize("weights", [None, (10, 10, 5, 5), (1.0, 2.0, 3.0, 4.0)])
def test_encode_matches_numpy_and_decode_inverts_it(weights):
    rng = np.random.default_rng(3)
    boxes = random_boxes(rng, (6,)).astype("float32")
    anchors = random_boxes(rng, (6,)).astype("float32")
    deltas = ops.encode_boxes(boxes, anchors, weights)
    np.testing.assert_allclose(_np(deltas), np_encode(boxes, anchors, weights or (1, 1, 1, 1)), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(_np(ops.decode_boxes(deltas, anchors, weights)), boxes, rtol=1e-5, atol=1e-4)
    # Broadcasting: one anchor set for a batch of boxes.
    batched = ops.encode_boxes(np.stack([boxes, boxes]), anchors, weights)
    assert tuple(batched.shape) == (2, 6, 4)


def test_ssd_variances_are_weights_10_10_5_5():
    rng = np.random.default_rng(4)
    boxes, anchors = random_boxes(rng, (5,)), random_boxes(rng, (5,))
    variances = np.array([0.1, 0.1, 0.2, 0.2])
    ssd = np_encode(boxes, anchors, (1, 1, 1, 1)) / variances
    np.testing.assert_allclose(_np(ops.encode_boxes(boxes, anchors, (10, 10, 5, 5))), ssd, rtol=1e-5, atol=1e-5)


def test_decode_clamps_log_size_deltas():
    anchors = np.array([[0, 0, 16, 16]], "float32")
    deltas = np.array([[0, 0, 50.0, -3.0]], "float32")
    decoded = _np(ops.decode_boxes(deltas, anchors))
    width, height = decoded[0, 2] - decoded[0, 0], decoded[0, 3] - decoded[0, 1]
    np.testing.assert_allclose(width, 1000.0, rtol=1e-5)  # exp(log(1000 / 16)) * 16
    np.testing.assert_allclose(height, 16 * np.exp(-3.0), rtol=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.box_iou(np.zeros((3, 5)), np.zeros((2, 4))), "`boxes1`.*shape"),
    (lambda: ops.box_iou(np.zeros((3, 4)), np.zeros((2,))), "`boxes2`.*shape"),
    (lambda: ops.generalized_box_iou(np.zeros((1, 2, 3, 4)), np.zeros((2, 4))), "`boxes1`"),
    (lambda: ops.complete_box_iou(np.zeros((2, 3, 4)), np.zeros((2, 4))), "`boxes2`.*same rank"),
    (lambda: ops.distance_box_iou(np.zeros((2, 4)), np.zeros((2, 4)), eps=0), "`eps`"),
    (lambda: ops.encode_boxes(np.zeros((2, 4)), np.zeros((2, 4)), weights=(1, 1, 1)), "`weights`"),
    (lambda: ops.decode_boxes(np.zeros((2, 4)), np.zeros((2, 4)), weights=(1, 1, 0, 1)), "`weights`"),
    (lambda: ops.decode_boxes(np.zeros((2, 3)), np.zeros((2, 4))), "`deltas`"),
    (lambda: ops.encode_boxes(np.zeros((2, 4)), np.zeros((2, 2))), "`anchors`"),
    (lambda: losses.giou_loss(np.zeros((2, 4)), np.zeros((2, 4)), mode="diou"), "`mode`"),
    (lambda: losses.giou_loss(np.zeros((2, 3)), np.zeros((2, 3))), "`y_true`"),
    (lambda: losses.GIoULoss(mode="l1"), "`mode`"),
])
def test_bad_arguments_raise_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- GIoU loss against TensorFlow Addons ---------------------------------------------------------------------

GIOU = addons_fixtures.load("giou")
GIOU_CASES = sorted({key.split("/")[0] for key in GIOU})


@pytest.mark.parametrize("case", GIOU_CASES)
def test_giou_loss_matches_addons(case):
    y_true, y_pred = GIOU[f"{case}/y_true"], GIOU[f"{case}/y_pred"]
    mode = str(GIOU[f"{case}/mode"])
    if y_pred.dtype == np.float64 and not _float64_backend():
        y_true, y_pred = y_true.astype("float32"), y_pred.astype("float32")
    value, grad = value_and_grad(lambda x: losses.giou_loss(y_true, x, mode=mode), y_pred)
    np.testing.assert_allclose(value, GIOU[f"{case}/loss"], **FLOAT32)
    np.testing.assert_allclose(grad, GIOU[f"{case}/grad"], **FLOAT32)
    np.testing.assert_allclose(float(losses.GIoULoss(mode=mode)(y_true, y_pred)), GIOU[f"{case}/class_loss"],
                               **FLOAT32)


def test_giou_loss_is_one_minus_pairwise_giou_diagonal():
    rng = np.random.default_rng(5)
    a, b = random_boxes(rng, (6,)).astype("float32"), random_boxes(rng, (6,)).astype("float32")
    np.testing.assert_allclose(_np(losses.giou_loss(a, b)), 1 - np.diag(np_giou(b, a)), **FLOAT32)


def test_giou_loss_config_round_trip_and_jit_fit(tmp_path):
    loss = losses.GIoULoss(mode="iou", reduction="sum", name="box_loss")
    config = loss.get_config()
    clone = losses.GIoULoss.from_config(config)
    assert clone.get_config() == config
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, losses.GIoULoss) and restored.mode == "iou"

    rng = np.random.default_rng(6)
    x = rng.standard_normal((16, 3)).astype("float32")
    y = random_boxes(rng, (16,), 0, 10).astype("float32")
    inputs = keras.Input((3,))
    raw = keras.layers.Dense(4)(inputs)
    # Valid boxes from any output: (x1, y1) and a positive size.
    corner, size = raw[:, :2] * 5 + 5, keras.ops.softplus(raw[:, 2:]) * 10
    model = keras.Model(inputs, keras.ops.concatenate([corner, corner + size], axis=-1))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=losses.GIoULoss(), jit_compile=True)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.loss, losses.GIoULoss)
