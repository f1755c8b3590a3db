"""MultiBoxLoss, YOLOv1Loss and encode_yolo_v1_targets against NumPy loop references, hand cases, float64 finite
differences, a jit-compiled fit and .keras round trips."""

import math
import os
import tempfile

import keras
import numpy as np
import pytest

import keras_dlx
from keras_dlx import losses
from tests.reference import value_and_grad


def _np(x):
    return keras.ops.convert_to_numpy(x)




def _check_finite_differences(fn, x, coords, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Central differences of the float64 loss at `coords` (flat indices) against autodiff."""
    _, grad = value_and_grad(fn, x)
    for flat in coords:
        index = np.unravel_index(flat, x.shape)
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric = (float(_np(fn(plus))) - float(_np(fn(minus)))) / (2 * eps)
        assert abs(numeric - grad[index]) <= atol + rtol * abs(numeric), (index, numeric, grad[index])
    return grad


# ---------------------------------------------------------------------------------------------------- MultiBoxLoss

def reference_multibox(y_true, y_pred, ratio=3.0, alpha=1.0):
    """The paper's loss with per-image loops (as ssd.pytorch): hard negatives by sorting each image's negatives."""
    total, positives = 0.0, 0
    for truth, pred in zip(y_true, y_pred):
        classes = truth[:, 4].astype(int)
        pos, neg = classes > 0, classes == 0
        logits = pred[:, 4:]
        top = logits.max(1, keepdims=True)
        log_norm = (top + np.log(np.exp(logits - top).sum(1, keepdims=True)))[:, 0]
        ce = log_norm - logits[np.arange(len(logits)), np.maximum(classes, 0)]
        error = np.abs(pred[pos, :4] - truth[pos, :4])
        loc = np.where(error < 1, 0.5 * error ** 2, error - 0.5).sum()
        k = min(int(math.floor(ratio * pos.sum())), int(neg.sum()))
        negatives = np.flatnonzero(neg)
        hard = negatives[np.argsort(-ce[negatives], kind="stable")[:k]]
        total += ce[pos].sum() + ce[hard].sum() + alpha * loc
        positives += pos.sum()
    return total / max(positives, 1)


def random_multibox(rng, batch=3, priors=40, classes=4, dtype="float64"):
    y_true = np.zeros((batch, priors, 5))
    labels = rng.choice([-1, 0, 0, 0, 0, 0, 1, 2, 3, 4][:classes + 6], (batch, priors))
    y_true[..., 4] = labels
    y_true[..., :4] = np.where(labels[..., None] > 0, rng.normal(0, 1.5, (batch, priors, 4)), 0.0)
    y_pred = rng.normal(0, 1.5, (batch, priors, 4 + classes + 1))
    return y_true.astype(dtype), y_pred.astype(dtype)


@pytest.mark.parametrize("ratio, alpha", [(3.0, 1.0), (1.5, 2.0), (100.0, 1.0)])
def test_multibox_matches_reference(ratio, alpha):
    rng = np.random.default_rng(0)
    y_true, y_pred = random_multibox(rng, dtype="float32")
    y_true[2, :, 4] = np.where(y_true[2, :, 4] > 0, 0, y_true[2, :, 4])  # an image with no positives
    loss = losses.MultiBoxLoss(neg_pos_ratio=ratio, localization_weight=alpha)
    expected = reference_multibox(y_true.astype("float64"), y_pred.astype("float64"), ratio, alpha)
    np.testing.assert_allclose(float(loss(y_true, y_pred)), expected, rtol=1e-5)  # float32 sums of ~100 terms
    summed = losses.MultiBoxLoss(neg_pos_ratio=ratio, localization_weight=alpha, reduction="sum")
    np.testing.assert_allclose(float(summed(y_true, y_pred)), 3 * expected, rtol=1e-5)


def test_multibox_hand_case_and_no_positives():
    # One positive (class 1 -> logit 2) with deltas off by (2, 0, 0, 0.5); three negatives of background
    # cross-entropy log(1 + 2e) (the largest, logit 1 on a class), log 3, log 3; one ignored prior. With ratio 1
    # only the first negative counts: L = 1.5 + 0.125 + ce_pos + log(1 + 2e), N = 1.
    y_true = np.array([[[0, 0, 0, 0, 2], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, -1]]],
                      "float32")
    y_pred = np.zeros((1, 5, 7), "float32")
    y_pred[0, 0, :4] = [2, 0, 0, 0.5]
    y_pred[0, 2, 5] = 1.0
    y_pred[0, 4, 4] = -50.0  # an ignored prior would dominate if it counted
    ce_positive = math.log(3)
    expected = 1.5 + 0.125 + ce_positive + math.log(2 + math.e) - 0.0
    got = float(losses.MultiBoxLoss(neg_pos_ratio=1.0)(y_true, y_pred))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # No positive anywhere: no negative is mined either, the loss is 0 (N counts as 1).
    assert float(losses.MultiBoxLoss()(np.zeros((2, 5, 5), "float32"), y_pred.repeat(2, 0))) == 0.0


def test_multibox_gradient_finite_differences_float64():
    rng = np.random.default_rng(1)
    y_true, y_pred = random_multibox(rng, batch=2, priors=12)
    loss = losses.MultiBoxLoss(dtype="float64")
    grad = _check_finite_differences(lambda p: loss(y_true, p), y_pred,
                                     rng.choice(y_pred.size, 40, replace=False))
    # The ignored priors and the negatives that were not mined get no gradient at all.
    assert np.all(grad[y_true[..., 4] == -1] == 0)


# ---------------------------------------------------------------------------------------------------- YOLO v1

def reference_targets(boxes, classes, height, width, s, c):
    out = np.zeros((len(boxes), s, s, 5 + c))
    for b in range(len(boxes)):
        for (x1, y1, x2, y2), k in zip(boxes[b], classes[b]):
            if k < 0:
                continue
            cx, cy = (x1 + x2) / 2 / width * s, (y1 + y2) / 2 / height * s
            col, row = min(int(cx), s - 1), min(int(cy), s - 1)
            if out[b, row, col, 4]:
                continue  # the first truth of a cell keeps it
            out[b, row, col, :5] = [cx - col, cy - row, (x2 - x1) / width, (y2 - y1) / height, 1]
            out[b, row, col, 5 + k] = 1
    return out


def _corners(cx, cy, w, h):
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def reference_yolo(y_true, y_pred, s, b, lambda_coord=5.0, lambda_noobj=0.5, rescore=True):
    total = 0.0
    for t_image, p_image in zip(y_true, y_pred):
        for i in range(s):
            for j in range(s):
                t, p = t_image[i, j], p_image[i, j]
                boxes = p[:5 * b].reshape(b, 5)
                if not t[4]:
                    total += lambda_noobj * (boxes[:, 4] ** 2).sum()
                    continue
                tx1, ty1, tx2, ty2 = _corners((j + t[0]) / s, (i + t[1]) / s, t[2], t[3])
                ious = []
                for x, y, sw, sh, _ in boxes:
                    px1, py1, px2, py2 = _corners((j + x) / s, (i + y) / s, sw ** 2, sh ** 2)
                    inter = max(min(px2, tx2) - max(px1, tx1), 0) * max(min(py2, ty2) - max(py1, ty1), 0)
                    ious.append(inter / (sw ** 2 * sh ** 2 + t[2] * t[3] - inter))
                r = int(np.argmax(ious))
                for k, (x, y, sw, sh, conf) in enumerate(boxes):
                    if k == r:
                        total += lambda_coord * ((x - t[0]) ** 2 + (y - t[1]) ** 2 + (sw - math.sqrt(t[2])) ** 2
                                                 + (sh - math.sqrt(t[3])) ** 2)
                        total += (conf - (ious[r] if rescore else 1.0)) ** 2
                    else:
                        total += lambda_noobj * conf ** 2
                total += ((p[5 * b:] - t[5:]) ** 2).sum()
    return total / len(y_true)


def random_yolo(rng, s=4, b=2, c=3, batch=2, dtype="float64"):
    boxes = np.concatenate([rng.uniform(0, 40, (batch, 5, 2)), np.zeros((batch, 5, 2))], -1)
    boxes[..., 2:] = boxes[..., :2] + rng.uniform(4, 24, (batch, 5, 2))
    classes = rng.integers(0, c, (batch, 5))
    classes[1, 3:] = -1
    y_true = _np(losses.encode_yolo_v1_targets(boxes.astype(dtype), classes, image_size=64, grid_size=s,
                                               num_classes=c))
    y_pred = rng.uniform(0.1, 0.9, (batch, s, s, 5 * b + c)).astype(dtype)
    return boxes, classes, y_true, y_pred


def test_yolo_targets_match_reference_and_hand_cases():
    rng = np.random.default_rng(0)
    boxes, classes, y_true, _ = random_yolo(rng, s=4, c=3, batch=2)
    np.testing.assert_allclose(y_true, reference_targets(boxes, classes, 64, 64, 4, 3), atol=1e-12)
    # Two centres in cell (0, 0): the first truth keeps it; a centre on the bottom-right edge goes to the last
    # cell (offset 1); a padding row is skipped; (height, width) image size.
    boxes = np.array([[[0, 0, 10, 10], [2, 2, 6, 6], [70, 20, 90, 60], [0, 0, 80, 60]]], "float32")
    target = _np(losses.encode_yolo_v1_targets(boxes, np.array([[2, 1, 0, -1]]), image_size=(40, 80),
                                               grid_size=2, num_classes=3))
    np.testing.assert_allclose(target[0, 0, 0], [0.125, 0.25, 0.125, 0.25, 1, 0, 0, 1], atol=1e-7)
    np.testing.assert_allclose(target[0, 1, 1], [1.0, 1.0, 0.25, 1.0, 1, 1, 0, 0], atol=1e-7)
    assert not target[0, 0, 1].any() and not target[0, 1, 0].any()
    empty = _np(losses.encode_yolo_v1_targets(np.zeros((2, 0, 4)), np.zeros((2, 0)), 64, 4, 3))
    assert empty.shape == (2, 4, 4, 8) and not empty.any()


@pytest.mark.parametrize("rescore, lambdas", [(True, (5.0, 0.5)), (False, (2.0, 1.0))])
def test_yolo_loss_matches_reference(rescore, lambdas):
    rng = np.random.default_rng(1)
    _, _, y_true, y_pred = random_yolo(rng, s=4, b=2, c=3, dtype="float32")
    loss = losses.YOLOv1Loss(grid_size=4, boxes_per_cell=2, num_classes=3, lambda_coord=lambdas[0],
                             lambda_noobj=lambdas[1], rescore=rescore)
    expected = reference_yolo(y_true.astype("float64"), y_pred.astype("float64"), 4, 2, *lambdas, rescore)
    np.testing.assert_allclose(float(loss(y_true, y_pred)), expected, rtol=1e-5)  # float32 sums of ~200 terms


def test_yolo_loss_without_objects_is_the_noobj_term():
    y_pred = np.full((1, 7, 7, 30), 0.3, "float32")
    got = float(losses.YOLOv1Loss()(np.zeros((1, 7, 7, 25), "float32"), y_pred))
    np.testing.assert_allclose(got, 0.5 * 49 * 2 * 0.09, rtol=1e-6)


@pytest.mark.parametrize("rescore", [False, True])
def test_yolo_gradient_finite_differences_float64(rescore):
    rng = np.random.default_rng(2)
    _, _, y_true, y_pred = random_yolo(rng, s=3, b=2, c=2, batch=2)
    loss = losses.YOLOv1Loss(grid_size=3, boxes_per_cell=2, num_classes=2, rescore=rescore, dtype="float64")
    if rescore:
        # The IoU target is not differentiated (as the paper's target): only the confidences and classes, which it
        # does not depend on, can be checked by finite differences.
        channels = np.array([4, 9, 10, 11])
    else:
        channels = np.arange(12)
    coords = np.ravel_multi_index(np.meshgrid(*[np.arange(n) for n in y_pred.shape[:3]], channels, indexing="ij"),
                                  y_pred.shape).ravel()
    _check_finite_differences(lambda p: loss(y_true, p), y_pred, rng.choice(coords, 40, replace=False))


# ---------------------------------------------------------------------------------------------------- Keras API

def _multibox_model():
    inputs = keras.Input((20, 3))
    return keras.Model(inputs, keras.layers.Dense(4 + 3 + 1)(inputs))


def _yolo_model():
    inputs = keras.Input((3, 3, 2))
    return keras.Model(inputs, keras.layers.Conv2D(2 * 5 + 2, 1)(inputs))


def _yolo_data(rng):
    boxes = np.concatenate([rng.uniform(0, 30, (8, 2, 2)), np.zeros((8, 2, 2))], -1)
    boxes[..., 2:] = boxes[..., :2] + rng.uniform(4, 18, (8, 2, 2))
    y = _np(losses.encode_yolo_v1_targets(boxes.astype("float32"), rng.integers(0, 2, (8, 2)), 48, 3, 2))
    return rng.normal(size=(8, 3, 3, 2)).astype("float32"), y


@pytest.mark.parametrize("kind", ["multibox", "yolo"])
def test_losses_train_under_jit_and_round_trip_through_keras_files(kind):
    rng = np.random.default_rng(0)
    if kind == "multibox":
        model, loss = _multibox_model(), losses.MultiBoxLoss(neg_pos_ratio=2.0, localization_weight=0.5)
        y_true, _ = random_multibox(rng, batch=8, priors=20, classes=3, dtype="float32")
        x = rng.normal(size=(8, 20, 3)).astype("float32")
    else:
        model = _yolo_model()
        loss = losses.YOLOv1Loss(grid_size=3, boxes_per_cell=2, num_classes=2, lambda_coord=4.0, rescore=False)
        x, y_true = _yolo_data(rng)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss, jit_compile=True)
    history = model.fit(x, y_true, batch_size=8, epochs=8, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < history[0]
    config = loss.get_config()
    assert type(loss).from_config(config).get_config() == config
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is type(loss) and loaded.loss.get_config() == config
    np.testing.assert_allclose(float(loaded.loss(y_true, model.predict(x, verbose=0))),
                               float(loss(y_true, model.predict(x, verbose=0))), rtol=1e-6)


@pytest.mark.parametrize("cls, kwargs, name", [
    (losses.MultiBoxLoss, dict(neg_pos_ratio=-1), "neg_pos_ratio"),
    (losses.MultiBoxLoss, dict(localization_weight="1"), "localization_weight"),
    (losses.YOLOv1Loss, dict(grid_size=0), "grid_size"), (losses.YOLOv1Loss, dict(boxes_per_cell=1.5),
                                                          "boxes_per_cell"),
    (losses.YOLOv1Loss, dict(num_classes=None), "num_classes"), (losses.YOLOv1Loss, dict(lambda_coord=-5),
                                                                 "lambda_coord"),
    (losses.YOLOv1Loss, dict(lambda_noobj="0.5"), "lambda_noobj"), (losses.YOLOv1Loss, dict(rescore=1), "rescore")])
def test_loss_bad_arguments(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid `{name}` for {cls.__name__}"):
        cls(**kwargs)


def test_loss_bad_inputs():
    with pytest.raises(ValueError, match="Invalid `y_true` for MultiBoxLoss"):
        losses.MultiBoxLoss()(np.zeros((1, 4, 4)), np.zeros((1, 4, 7)))
    with pytest.raises(ValueError, match="Invalid `y_pred` for MultiBoxLoss"):
        losses.MultiBoxLoss()(np.zeros((1, 4, 5)), np.zeros((1, 4, 5)))
    with pytest.raises(ValueError, match=r"Invalid `y_pred` for YOLOv1Loss: expected shape \(batch, 7, 7, 30\)"):
        losses.YOLOv1Loss()(np.zeros((1, 7, 7, 25)), np.zeros((1, 7, 7, 25)))
    with pytest.raises(ValueError, match="Invalid `image_size`"):
        losses.encode_yolo_v1_targets(np.zeros((1, 1, 4)), np.zeros((1, 1)), image_size=0)
    with pytest.raises(ValueError, match="Invalid ground truth"):
        losses.encode_yolo_v1_targets(np.zeros((1, 4)), np.zeros((1,)), image_size=32)


def test_public_names():
    assert {"MultiBoxLoss", "YOLOv1Loss", "encode_yolo_v1_targets"} <= set(keras_dlx.losses.__all__)
