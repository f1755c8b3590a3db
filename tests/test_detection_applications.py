"""Detectors (applications/detector.py, applications/ssd.py): anchors, predict's detections, saving, training."""

import keras
import numpy as np
import pytest

from keras_dlx import losses, ops
from keras_dlx.applications import SSDLite, update_batch_norm_statistics
from keras_dlx.data.digit_detection import load_digit_detection
from keras_dlx.metrics import MeanAveragePrecision

# A small SSDLite: 64x64 inputs, MobileNet at alpha 0.25, maps 8, 4, 2 (backbone) and 1, 1 (extras).
SMALL = dict(num_classes=3, input_shape=(64, 64, 1), backbone_kwargs={"alpha": 0.25}, extra_filters=(32, 32))


def small(**kwargs):
    return SSDLite(**{**SMALL, **kwargs})


def reference_default_boxes(image_size, sizes, ratios, min_scale, max_scale):
    """SSD's default boxes written out (NumPy): per map, position, then box, xyxy pixels."""
    m = len(sizes)
    scales = [min_scale + (max_scale - min_scale) * k / (m - 1) for k in range(m)] + [1.0]
    out = []
    for k, f in enumerate(sizes):
        s, s_next = scales[k] * image_size, scales[k + 1] * image_size
        shapes = [(s, s), (np.sqrt(s * s_next),) * 2]
        for a in ratios:
            shapes += [(s * np.sqrt(a), s / np.sqrt(a)), (s / np.sqrt(a), s * np.sqrt(a))]
        step = image_size / f
        for i in range(f):
            for j in range(f):
                cx, cy = (j + 0.5) * step, (i + 0.5) * step
                out += [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] for w, h in shapes]
    return np.array(out)


def test_ssdlite_anchors_are_ssd_default_boxes():
    model = small()
    assert model.feature_map_sizes == (8, 4, 2, 1, 1)
    assert model.anchors.shape == (6 * (64 + 16 + 4 + 1 + 1), 4) and model.anchors.dtype == np.float32
    # float32 default boxes against the float64 formula: 1e-5 relative.
    expected = reference_default_boxes(64, (8, 4, 2, 1, 1), (2, 3), 0.2, 0.95)
    np.testing.assert_allclose(model.anchors, expected, rtol=1e-5, atol=1e-4)
    raw = keras.ops.convert_to_numpy(model(np.zeros((2, 64, 64, 1), "float32")))
    assert raw.shape == (2, len(model.anchors), 4 + 3 + 1)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_ssdlite_predict_decodes_and_pads():
    # iou_threshold=1 suppresses nothing, so the detections are the top (box, class) pairs: checked against
    # a NumPy decoding of the raw predictions (boxes 1e-3 px, scores 1e-5).
    model = small(iou_threshold=1.0, confidence_threshold=0.0, max_detections=30)
    images = np.random.default_rng(0).uniform(size=(2, 64, 64, 1)).astype("float32")
    raw = keras.ops.convert_to_numpy(model(images))
    detections = model.predict(images, verbose=0)
    assert set(detections) == {"boxes", "scores", "classes", "num_detections"}
    assert detections["boxes"].shape == (2, 30, 4) and detections["classes"].dtype == np.int32
    anchors = model.anchors.astype("float64")
    centre, size = (anchors[:, :2] + anchors[:, 2:]) / 2, anchors[:, 2:] - anchors[:, :2]
    for b in range(2):
        xy = centre + raw[b, :, :2] / 10 * size
        wh = size * np.exp(np.minimum(raw[b, :, 2:4] / 5, np.log(1000 / 16)))
        boxes = np.clip(np.concatenate([xy - wh / 2, xy + wh / 2], -1), 0, 64)
        probs = _softmax(raw[b, :, 4:].astype("float64"))[:, 1:]
        # An untrained model scores many pairs almost equally: compare the sorted scores, then find each
        # detection among the pairs of its class with its score.
        np.testing.assert_allclose(detections["scores"][b], np.sort(probs.reshape(-1))[::-1][:30], rtol=1e-5)
        for box, score, c in zip(detections["boxes"][b], detections["scores"][b], detections["classes"][b]):
            same = np.abs(probs[:, c] - score) <= 1e-5 * score
            assert np.abs(boxes[same] - box).max(axis=1).min() < 1e-3
    np.testing.assert_array_equal(detections["num_detections"], [30, 30])

    # A confidence threshold nobody passes: every slot is padding.
    empty = small(confidence_threshold=1.0, max_detections=5)
    out = empty.predict(images, verbose=0)
    np.testing.assert_array_equal(out["num_detections"], [0, 0])
    np.testing.assert_array_equal(out["classes"], -np.ones((2, 5)))
    np.testing.assert_array_equal(out["scores"], np.zeros((2, 5)))


def test_ssdlite_loss_is_multibox_on_matched_targets():
    model = small()
    model.compile(optimizer="sgd")
    images = np.random.default_rng(1).uniform(size=(2, 64, 64, 1)).astype("float32")
    y = {"boxes": np.array([[[4, 6, 20, 30], [30, 30, 60, 50]], [[10, 10, 40, 45], [0, 0, 0, 0]]], "float32"),
         "classes": np.array([[0, 2], [1, -1]], "int32")}
    y_pred = model(images)
    loss = model.compute_loss(images, y, y_pred)
    targets = ops.encode_anchor_targets(model.anchors, y["boxes"], y["classes"])
    np.testing.assert_allclose(float(loss), float(losses.MultiBoxLoss()(targets, y_pred)), rtol=1e-6)
    with pytest.raises(ValueError, match="expected a dict with 'boxes'"):
        model.compute_loss(images, y["boxes"], y_pred)
    with pytest.raises(ValueError, match="Invalid `metrics`"):
        model.compile(optimizer="sgd", metrics=["accuracy"])


def test_ssdlite_keras_round_trip(tmp_path):
    model = small(max_detections=10)
    model.compile(optimizer="adam")
    images = np.random.default_rng(2).uniform(size=(3, 64, 64, 1)).astype("float32")
    path = str(tmp_path / "ssdlite.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, SSDLite) and isinstance(restored.loss, losses.MultiBoxLoss)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored.anchors, model.anchors)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(images)),
                               keras.ops.convert_to_numpy(model(images)), rtol=1e-6, atol=1e-6)
    first, again = model.predict(images, verbose=0), restored.predict(images, verbose=0)
    for key in first:
        np.testing.assert_allclose(again[key], first[key], rtol=1e-5, atol=1e-4)
    assert SSDLite.from_config(model.get_config()).count_params() == model.count_params()


def test_ssdlite_jit_fit_step_on_padded_ground_truth():
    # The stride-4 backbone only and one extra map: a small graph, so XLA compiles it quickly. (fit without
    # jit: test_ssdlite_learns_digit_detection.)
    model = small(feature_strides=(4,), extra_filters=(16,), max_detections=8)
    model.compile(optimizer="adam", jit_compile=True)
    images = np.random.default_rng(3).uniform(size=(4, 64, 64, 1)).astype("float32")
    y = {"boxes": np.array([[[4, 6, 20, 30]], [[30, 30, 60, 50]], [[10, 10, 40, 45]], [[0, 0, 0, 0]]], "float32"),
         "classes": np.array([[0], [2], [1], [-1]], "int32")}
    before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    history = model.fit(images, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(b, keras.ops.convert_to_numpy(w)) for b, w in zip(before, model.trainable_weights))


def test_ssdlite_weights_load_the_backbone(tmp_path):
    from keras_dlx.applications import MobileNet

    backbone = MobileNet(input_shape=(64, 64, 1), alpha=0.25, features_only=True)
    path = str(tmp_path / "backbone.weights.h5")
    backbone.save_weights(path)
    model = small(weights=path)
    for name in ("conv1", "conv_dw_pw_5"):
        for mine, theirs in zip(model.backbone.get_layer(name).weights, backbone.get_layer(name).weights):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(theirs))
    assert model.get_config()["weights"] is None  # a saved detector carries its own weights


def test_ssdlite_mixed_precision_outputs_float32():
    keras.config.set_dtype_policy("mixed_bfloat16")  # reset to float32 by conftest
    model = small(feature_strides=(8,), extra_filters=(16,), max_detections=4)
    images = np.zeros((2, 64, 64, 1), "float32")
    assert keras.backend.standardize_dtype(model(images).dtype) == "float32"
    detections = model.predict(images, verbose=0)
    assert detections["boxes"].dtype == np.float32 and detections["scores"].dtype == np.float32


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_classes=0), "num_classes"),
    (dict(input_shape=(64, 48, 1)), "square"),
    (dict(backbone="nope"), "name"),
    (dict(backbone_kwargs=[1]), "backbone_kwargs"),
    (dict(feature_strides=(16, 8)), "feature_strides"),
    (dict(feature_strides=(2,)), "feature_strides"),
    (dict(extra_filters=(0,)), "extra_filters"),
    (dict(aspect_ratios=(-1,)), "aspect_ratios"),
    (dict(min_scale=0), "min_scale"),
    (dict(min_scale=0.5, max_scale=0.4), "max_scale"),
    (dict(iou_threshold=1.5), "iou_threshold"),
])
def test_ssdlite_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small(**kwargs)


def test_ssdlite_learns_digit_detection():
    # 128 steps of 32 canvases (64x64, digits 14-26 px) from scratch. Measured with seeds 1234, 1, 2: loss
    # 10.7-11.1 -> 5.2-5.4 (ratio 0.49-0.50), held-out map_50 0.10-0.15 (an untrained model: ~0).
    (x, y), (x_test, y_test) = load_digit_detection(image_size=64, train_images=1024, test_images=128,
                                                    scale_range=(14, 26), seed=0)
    model = SSDLite(num_classes=10, input_shape=(64, 64, 1), backbone_kwargs={"alpha": 0.25},
                    extra_filters=(64, 64), max_detections=20)
    model.compile(optimizer=keras.optimizers.Adam(5e-3))
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    update_batch_norm_statistics(model, x[:256])
    losses_ = history.history["loss"]
    metric = MeanAveragePrecision()
    metric.update_state(y_test, model.predict(x_test, verbose=0))
    map_50 = float(metric.result()["map_50"])
    assert losses_[-1] < 0.6 * losses_[0], losses_
    assert map_50 > 0.04, map_50
