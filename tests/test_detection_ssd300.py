"""SSD300 (applications/ssd.py) and its conv4_3 normalization (keras_dlx.layers.ScaledL2Normalization).

SSD300 is ~26M parameters at 300x300: one model is built for the whole module (with VGG16 weights from a file)
and every test reads it; the training step runs last in the file and only checks that it runs and is finite.
"""

import keras
import numpy as np
import pytest

from keras_dlx import applications, layers, losses
from keras_dlx.applications.ssd import SSD300
from tests.reference import value_and_grad

# --- ScaledL2Normalization --------------------------------------------------------------------------------------


def scaled_l2_reference(x, scale, axis=-1, epsilon=1e-10):
    """gamma_c * x_c / sqrt(sum_k x_k^2 + epsilon) over the channel axis, float64."""
    x = np.asarray(x, "float64")
    norm = np.sqrt(np.sum(x * x, axis=axis, keepdims=True) + epsilon)
    shape = [1] * x.ndim
    shape[axis] = -1
    return x / norm * np.reshape(np.asarray(scale, "float64"), shape)


def test_scaled_l2_normalization_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 4, 6)).astype("float32") * 30
    layer = layers.ScaledL2Normalization()
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.scale), np.full(6, 20.0))  # SSD's initial scale
    np.testing.assert_allclose(y, scaled_l2_reference(x, np.full(6, 20.0)), rtol=1e-5, atol=1e-5)
    # Each output vector has norm 20 (the scale) at the start; a zero vector stays zero (no NaN).
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), 20.0, rtol=1e-5)
    zero = keras.ops.convert_to_numpy(layer(np.zeros((1, 2, 2, 6), "float32")))
    np.testing.assert_array_equal(zero, np.zeros((1, 2, 2, 6)))

    # Learned per-channel scales, channels first (axis 1), and one shared scale.
    first = layers.ScaledL2Normalization(data_format="channels_first")
    x_first = np.moveaxis(x, -1, 1)
    first(x_first)
    scale = rng.uniform(1, 5, 6)
    first.scale.assign(scale)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(first(x_first)), scaled_l2_reference(x_first, scale, 1),
                               rtol=1e-5, atol=1e-5)
    shared = layers.ScaledL2Normalization(channel_shared=True, epsilon=1e-3)
    shared(x)
    assert tuple(shared.scale.shape) == (1,)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(shared(x)),
                               scaled_l2_reference(x, [20.0], epsilon=1e-3), rtol=1e-5, atol=1e-5)


def test_scaled_l2_normalization_gradient_matches_finite_differences():
    # float64 central differences of a random projection of the NumPy reference against autodiff w.r.t. x.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 3, 4))
    projection = rng.standard_normal(x.shape)
    scale = rng.uniform(1, 3, 4)
    layer = layers.ScaledL2Normalization(dtype="float64")
    layer(x)
    layer.scale.assign(scale)
    _, grad = value_and_grad(lambda a: layer(a) * projection, x)

    def loss(a):
        return np.sum(scaled_l2_reference(a, scale) * projection)

    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numeric[index] = (loss(x + step) - loss(x - step)) / 2e-6
    # Keras computes float64 in float32 on JAX and PyTorch (see keras_dlx.testing.layer_contract): looser there.
    tolerance = 1e-6 if keras.backend.backend() == "tensorflow" else 1e-3
    np.testing.assert_allclose(grad, numeric, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("kwargs, match", [
    (dict(epsilon=0), "epsilon"),
    (dict(channel_shared="yes"), "channel_shared"),
    (dict(data_format="nhwc"), "data_format"),
    (dict(scale_initializer="no_such_initializer"), "scale_initializer"),
])
def test_scaled_l2_normalization_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.ScaledL2Normalization(**kwargs)


# --- SSD300 -----------------------------------------------------------------------------------------------------

# The reference model's (Liu et al.'s Caffe SSD300, also ssd.pytorch) per-map configuration.
MAPS = (38, 19, 10, 5, 3, 1)
CHANNELS = (512, 1024, 512, 256, 256, 256)
RATIOS = ((2,), (2, 3), (2, 3), (2, 3), (2,), (2,))
MIN_SIZES = (30, 60, 111, 162, 213, 264)
MAX_SIZES = (60, 111, 162, 213, 264, 315)
STEPS = (8, 16, 32, 64, 100, 300)


def reference_ssd300_boxes():
    """The reference code's prior boxes written out (NumPy, float64): map, then row, column, box; xyxy pixels."""
    out = []
    for f, ratios, small, large, step in zip(MAPS, RATIOS, MIN_SIZES, MAX_SIZES, STEPS):
        shapes = [(small, small), (np.sqrt(small * large),) * 2]
        for a in ratios:
            shapes += [(small * np.sqrt(a), small / np.sqrt(a)), (small / np.sqrt(a), small * np.sqrt(a))]
        for i in range(f):
            for j in range(f):
                cx, cy = (j + 0.5) * step, (i + 0.5) * step
                out += [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] for w, h in shapes]
    return np.array(out)


def conv_parameters(kernel, channels_in, filters):
    return kernel * kernel * channels_in * filters + filters


def reference_ssd300_parameter_count(num_classes):
    """SSD300's parameters from its layer shapes (the reference model's: 26,285,486 for VOC's 20 classes)."""
    vgg, channels = 0, 3
    for convolutions, filters in zip((2, 2, 3, 3, 3), (64, 128, 256, 512, 512)):
        for _ in range(convolutions):
            vgg += conv_parameters(3, channels, filters)
            channels = filters
    assert vgg == 14_714_688  # VGG16 without its fully-connected layers
    fc6_fc7 = conv_parameters(3, 512, 1024) + conv_parameters(1, 1024, 1024)
    l2_scale = 512
    extras, channels = 0, 1024
    for reduced, filters in ((256, 512), (128, 256), (128, 256), (128, 256)):
        extras += conv_parameters(1, channels, reduced) + conv_parameters(3, reduced, filters)
        channels = filters
    heads = 0
    for c, ratios in zip(CHANNELS, RATIOS):
        boxes = 2 + 2 * len(ratios)
        heads += conv_parameters(3, c, boxes * 4) + conv_parameters(3, c, boxes * (num_classes + 1))
    return vgg + fc6_fc7 + l2_scale + extras + heads


@pytest.fixture(scope="module")
def vgg16_weights(tmp_path_factory):
    # A small input: the convolutions' weights do not depend on it.
    backbone = applications.VGG16(include_top=False, input_shape=(32, 32, 3))
    path = str(tmp_path_factory.mktemp("vgg16") / "vgg16.weights.h5")
    backbone.save_weights(path)
    return path, {name: [keras.ops.convert_to_numpy(w) for w in backbone.get_layer(name).weights]
                  for name in ("block1_conv1", "block4_conv3", "block5_conv3")}


@pytest.fixture(scope="module")
def model(vgg16_weights):
    return SSD300(weights=vgg16_weights[0])


def images(count, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, 300, 300, 3)).astype("float32")


def test_ssd300_maps_and_default_boxes_are_the_reference(model):
    assert model.feature_map_sizes == MAPS
    assert model.anchors.shape == (8732, 4) and model.anchors.dtype == np.float32
    np.testing.assert_allclose(model.anchors, reference_ssd300_boxes(), rtol=1e-6, atol=1e-4)
    # The maps the heads read, by name, at their channel counts.
    network = model.network
    for name, size, channels in zip(("conv4_3_norm", "fc7", "conv8_2", "conv9_2", "conv10_2", "conv11_2"), MAPS,
                                    CHANNELS):
        assert tuple(network.get_layer(name).output.shape) == (None, size, size, channels), name
    assert "ssd300" in applications.list_models("detection") and applications.model_task("ssd300") == "detection"


def test_ssd300_parameter_count_is_the_reference(model):
    assert model.count_params() == reference_ssd300_parameter_count(20) == 26_285_486


def test_ssd300_weights_load_vgg16(model, vgg16_weights):
    for name, expected in vgg16_weights[1].items():
        for mine, theirs in zip(model.network.get_layer(name).weights, expected):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(mine), theirs)
    assert model.get_config()["weights"] is None  # a saved detector carries its own weights


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_ssd300_raw_predictions_and_predict_decodes(model):
    x = images(1)
    raw = keras.ops.convert_to_numpy(model(x))
    assert raw.shape == (1, 8732, 4 + 20 + 1) and np.all(np.isfinite(raw))
    detections = model.predict(x, verbose=0)
    assert detections["boxes"].shape == (1, 200, 4) and detections["classes"].dtype == np.int32
    count = int(detections["num_detections"][0])
    assert 0 < count <= 200
    assert np.all(detections["classes"][0, count:] == -1)
    # The best (anchor, class) pair is never suppressed: it is the first detection, its box decoded (variances
    # 0.1, 0.2) against its default box and clipped to the image, in NumPy.
    probs = _softmax(raw[0, :, 4:].astype("float64"))[:, 1:]
    anchor, cls = np.unravel_index(np.argmax(probs), probs.shape)
    np.testing.assert_allclose(detections["scores"][0, 0], probs[anchor, cls], rtol=1e-5)
    assert detections["classes"][0, 0] == cls
    prior = model.anchors[anchor].astype("float64")
    centre, size = (prior[:2] + prior[2:]) / 2, prior[2:] - prior[:2]
    xy = centre + raw[0, anchor, :2] * 0.1 * size
    wh = size * np.exp(raw[0, anchor, 2:4] * 0.2)
    expected = np.clip(np.concatenate([xy - wh / 2, xy + wh / 2]), 0, 300)
    np.testing.assert_allclose(detections["boxes"][0, 0], expected, rtol=1e-5, atol=1e-3)


def test_ssd300_keras_round_trip(model, tmp_path):
    # The full configuration (saving and reloading 26M parameters takes a few seconds).
    model.compile(optimizer="sgd")
    path = str(tmp_path / "ssd300.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, SSD300) and isinstance(restored.loss, losses.MultiBoxLoss)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored.anchors, model.anchors)
    x = images(1, seed=1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(x)), keras.ops.convert_to_numpy(model(x)),
                               rtol=1e-5, atol=1e-5)


def test_ssd300_smallest_input_keeps_six_maps():
    # 257 pixels: conv11_2 is still 1x1 (256 would leave it empty). The box sizes scale with the side.
    small = SSD300(num_classes=1, input_shape=(257, 257, 3))
    assert small.feature_map_sizes == (33, 17, 9, 5, 3, 1)
    assert small.anchors.shape == (4 * 33 * 33 + 6 * (17 * 17 + 9 * 9 + 5 * 5) + 4 * (3 * 3 + 1), 4)
    first = small.anchors[0]  # 30 px scaled by 257/300 around (4, 4)
    np.testing.assert_allclose(first, [4 - 15 * 257 / 300, 4 - 15 * 257 / 300, 4 + 15 * 257 / 300,
                                       4 + 15 * 257 / 300], rtol=1e-5)
    # The 1x1 map's last box (ratio 1/2) is centred on the image (step 257 / 1).
    w, h = 264 * 257 / 300 / np.sqrt(2), 264 * 257 / 300 * np.sqrt(2)
    np.testing.assert_allclose(small.anchors[-1], [128.5 - w / 2, 128.5 - h / 2, 128.5 + w / 2, 128.5 + h / 2],
                               rtol=1e-5)
    assert small.count_params() == reference_ssd300_parameter_count(1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_classes=0), "num_classes"),
    (dict(input_shape=(300, 280, 3)), "square"),
    (dict(input_shape=(256, 256, 3)), "at least 257x257"),
    (dict(weights=3), "weights"),
    (dict(weights="imagenet", input_shape=(300, 300, 1)), "3 input channels"),
    (dict(positive_threshold=1.5), "positive_threshold"),
    (dict(iou_threshold=-0.1), "iou_threshold"),
    (dict(max_detections=0), "max_detections"),
])
def test_ssd300_bad_arguments(kwargs, match):
    # Each is refused before the network is built.
    with pytest.raises(ValueError, match=match):
        SSD300(**kwargs)


def test_ssd300_channels_first_is_the_transposed_channels_last(model):
    x = images(1, seed=2)
    expected = keras.ops.convert_to_numpy(model(x))
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        first = SSD300(input_shape=(3, 300, 300))
        assert first.feature_map_sizes == MAPS
        np.testing.assert_array_equal(first.anchors, model.anchors)
        first.set_weights(model.get_weights())
        raw = keras.ops.convert_to_numpy(first(np.moveaxis(x, -1, 1)))
    finally:
        keras.config.set_image_data_format(previous)
    np.testing.assert_allclose(raw, expected, rtol=1e-4, atol=1e-4)


def test_ssd300_fit_step_on_padded_ground_truth(model):
    # Last: it changes the module's model. Two images, one of them without objects (all padding).
    model.compile(optimizer=keras.optimizers.SGD(1e-4))
    y = {"boxes": np.array([[[20, 30, 120, 200], [150, 160, 280, 290]], [[0, 0, 0, 0], [0, 0, 0, 0]]], "float32"),
         "classes": np.array([[3, 17], [-1, -1]], "int32")}
    before = keras.ops.convert_to_numpy(model.network.get_layer("class_head_0").weights[0])
    history = model.fit(images(2, seed=3), y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] > 0
    assert not np.array_equal(before, keras.ops.convert_to_numpy(model.network.get_layer("class_head_0").weights[0]))
