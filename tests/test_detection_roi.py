"""RoI align / RoI pooling (keras_dlx.ops.roi_align, roi_pool) and their layers, SpatialPyramidPooling2D.

The ops are compared with NumPy references written below from torchvision's definitions (loops over boxes,
bins and samples, on tiny maps) and with torchvision 0.28 itself (tests/fixtures/torchvision/roi.npz, recorded
by record_roi.py there); SpatialPyramidPooling2D with TensorFlow Addons 0.23 (tests/fixtures/addons/spp.npz,
recorded by record_spp.py).
"""

import math
import os

import keras
import numpy as np
import pytest

from keras_dlx import layers
from keras_dlx import ops as dlx_ops
from tests.addons_fixtures import load as load_fixture
from tests.reference import value_and_grad


def _grad_of_sum(fn, x):
    return value_and_grad(fn, x)[1]

# ----------------------------------------------------------------------------------------------------------------
# NumPy references, one loop per box, bin and sample, as torchvision's CPU kernels (roi_align_kernel.cpp,
# roi_pool_kernel.cpp) compute them.

def _bilinear(image, y, x):
    height, width = image.shape[:2]
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return np.zeros(image.shape[2])
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_high = y_low = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_high = x_low = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * image[y_low, x_low] + hy * lx * image[y_low, x_high]
            + ly * hx * image[y_high, x_low] + ly * lx * image[y_high, x_high])


def reference_roi_align(features, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    out_h, out_w = output_size
    batch, num_boxes = boxes.shape[:2]
    result = np.zeros((batch, num_boxes, out_h, out_w, features.shape[-1]))
    offset = 0.5 if aligned else 0.0
    for b in range(batch):
        for n in range(num_boxes):
            x1, y1, x2, y2 = (float(v) * spatial_scale - offset for v in boxes[b, n])
            roi_w, roi_h = x2 - x1, y2 - y1
            if not aligned:
                roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
            bin_h, bin_w = roi_h / out_h, roi_w / out_w
            grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / out_h)
            grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / out_w)
            count = max(grid_h * grid_w, 1)
            for i in range(out_h):
                for j in range(out_w):
                    total = np.zeros(features.shape[-1])
                    for iy in range(grid_h):
                        y = y1 + i * bin_h + (iy + 0.5) * bin_h / grid_h
                        for ix in range(grid_w):
                            x = x1 + j * bin_w + (ix + 0.5) * bin_w / grid_w
                            total += _bilinear(features[b], y, x)
                    result[b, n, i, j] = total / count
    return result


def _round(v):
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)


def reference_roi_pool(features, boxes, output_size, spatial_scale=1.0):
    out_h, out_w = output_size
    batch, num_boxes = boxes.shape[:2]
    height, width = features.shape[1:3]
    result = np.zeros((batch, num_boxes, out_h, out_w, features.shape[-1]))
    for b in range(batch):
        for n in range(num_boxes):
            x1, y1, x2, y2 = (_round(float(v) * spatial_scale) for v in boxes[b, n])
            roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
            for i in range(out_h):
                for j in range(out_w):  # floor(i * roi_h / out_h) .. ceil((i + 1) * roi_h / out_h), in integers
                    h0 = min(max(i * roi_h // out_h + y1, 0), height)
                    h1 = min(max(-(-(i + 1) * roi_h // out_h) + y1, 0), height)
                    w0 = min(max(j * roi_w // out_w + x1, 0), width)
                    w1 = min(max(-(-(j + 1) * roi_w // out_w) + x1, 0), width)
                    if h1 > h0 and w1 > w0:
                        result[b, n, i, j] = features[b, h0:h1, w0:w1].max(axis=(0, 1))
    return result


def _boxes(rng, batch, num_boxes, size, scale=1.0):
    """Random xyxy boxes in image pixels over a map of `size` feature pixels: inside, partly outside, tiny, and a
    zero padding box."""
    extent = size / scale
    corner = rng.uniform(-0.3 * extent, 1.1 * extent, (batch, num_boxes, 2))
    wh = rng.uniform(0.0, 0.8 * extent, (batch, num_boxes, 2))
    wh[:, ::4] = rng.uniform(0, 0.5 / scale, (batch, len(range(0, num_boxes, 4)), 2))  # tiny boxes
    boxes = np.concatenate([corner, corner + wh], axis=-1)
    boxes[:, -1] = 0.0  # a padding box
    return boxes.astype("float32")


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


# ----------------------------------------------------------------------------------------------------------------
# roi_align

ALIGN_CASES = [  # (sampling_ratio, aligned, spatial_scale, output_size)
    (-1, False, 1.0, (3, 2)),
    (-1, True, 1.0, (2, 3)),
    (1, False, 1.0, (2, 2)),
    (2, True, 1.0, (3, 3)),
    (2, False, 1 / 16, (2, 2)),
    (-1, True, 1 / 16, (3, 2)),
    (0, False, 0.5, (1, 1)),
]


@pytest.mark.parametrize("sampling_ratio, aligned, spatial_scale, output_size", ALIGN_CASES)
def test_roi_align_matches_reference(sampling_ratio, aligned, spatial_scale, output_size):
    rng = np.random.default_rng(sampling_ratio + 7 * aligned + int(1 / spatial_scale))
    features = rng.standard_normal((2, 7, 9, 3)).astype("float32")
    boxes = _boxes(rng, 2, 12, 8, spatial_scale)
    expected = reference_roi_align(features.astype("float64"), boxes, output_size, spatial_scale, sampling_ratio,
                                   aligned)
    actual = dlx_ops.roi_align(features, boxes, output_size, spatial_scale, sampling_ratio, aligned,
                               data_format="channels_last")
    assert tuple(actual.shape) == (2, 12, *output_size, 3)
    # float32 weights and sums of up to a few hundred terms: 1e-5 absolute on unit-variance features.
    np.testing.assert_allclose(_numpy(actual), expected, atol=1e-5, rtol=1e-5)


def test_roi_align_large_boxes_and_many_samples():
    """Boxes much larger than the map (many samples per bin, most outside), boxes whose size is a whole number of
    bins (the adaptive ratio is then exact: ceil(6 / 3) = 2, not 3), and sampling_ratio 5."""
    rng = np.random.default_rng(3)
    features = rng.standard_normal((1, 5, 6, 2)).astype("float32")
    boxes = np.array([[[-20.0, -15.0, 30.0, 25.0], [-3.0, 1.5, 4.0, 2.0], [2.0, 2.0, 2.0, 2.0],
                       [5.5, 4.5, 6.5, 5.5], [-1.2, -1.1, -0.9, -0.95],
                       [1.0, 0.5, 7.0, 4.5], [0.5, 0.0, 9.5, 6.0]]], "float32")  # whole bins: 2 (3) samples
    for sampling_ratio in (-1, 5):
        for aligned in (False, True):
            expected = reference_roi_align(features.astype("float64"), boxes, (2, 3), 1.0, sampling_ratio,
                                           aligned)
            actual = dlx_ops.roi_align(features, boxes, (2, 3), 1.0, sampling_ratio, aligned, "channels_last")
            np.testing.assert_allclose(_numpy(actual), expected, atol=1e-5, rtol=1e-5)  # float32, as above


def test_roi_align_channels_first():
    rng = np.random.default_rng(4)
    features = rng.standard_normal((2, 6, 5, 3)).astype("float32")
    boxes = _boxes(rng, 2, 5, 5)
    for sampling_ratio in (-1, 2):  # on TensorFlow: the matrix products, then crop_and_resize
        last = _numpy(dlx_ops.roi_align(features, boxes, 2, 1.0, sampling_ratio, data_format="channels_last"))
        first = dlx_ops.roi_align(np.moveaxis(features, -1, 1), boxes, 2, 1.0, sampling_ratio,
                                  data_format="channels_first")
        assert tuple(first.shape) == (2, 5, 3, 2, 2)
        np.testing.assert_allclose(np.moveaxis(_numpy(first), 2, -1), last, atol=1e-6)  # same arithmetic


def _finite_difference_check(op, features, rtol=1e-6, atol=1e-8, samples=12, seed=0):
    """float64 autodiff gradient of sum(op(x) * R) w.r.t. the features vs central differences."""
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.read("jax_enable_x64"):  # float64 inputs would run in float32
            pytest.skip("float64 needs JAX_ENABLE_X64=1 on JAX (the torchvision fixtures check float32 gradients)")
    rng = np.random.default_rng(seed)
    projection = rng.standard_normal(tuple(op(features).shape))
    loss = lambda x: float(np.sum(_numpy(op(x)) * projection))  # noqa: E731
    grad = _grad_of_sum(lambda x: keras.ops.sum(op(x) * projection), features)
    assert np.any(grad != 0)
    for flat in rng.choice(features.size, size=samples, replace=False):
        coord = np.unravel_index(flat, features.shape)
        moved = [features.copy(), features.copy()]
        moved[0][coord] += 1e-6
        moved[1][coord] -= 1e-6
        numeric = (loss(moved[0]) - loss(moved[1])) / 2e-6
        assert abs(numeric - grad[coord]) <= atol + rtol * abs(numeric), (coord, numeric, grad[coord])




@pytest.mark.parametrize("sampling_ratio, aligned", [(-1, False), (2, True)])
def test_roi_align_gradient_matches_finite_differences(sampling_ratio, aligned):
    rng = np.random.default_rng(5)
    features = rng.standard_normal((2, 5, 6, 2))
    boxes = _boxes(rng, 2, 4, 5)
    op = lambda x: dlx_ops.roi_align(x, boxes, (2, 2), 1.0, sampling_ratio, aligned, "channels_last")  # noqa: E731
    # roi_align is linear in the features: differences are exact up to float64 rounding.
    _finite_difference_check(op, features)


# ----------------------------------------------------------------------------------------------------------------
# roi_pool

@pytest.mark.parametrize("spatial_scale, output_size", [(1.0, (2, 2)), (1.0, (3, 2)), (1 / 16, (2, 3)),
                                                         (0.5, (1, 1))])
def test_roi_pool_matches_reference(spatial_scale, output_size):
    rng = np.random.default_rng(int(1 / spatial_scale) + output_size[0])
    features = rng.standard_normal((2, 7, 9, 3)).astype("float32")
    boxes = _boxes(rng, 2, 12, 8, spatial_scale)
    boxes[0, 1] = np.array([2.5, 1.5, 5.5, 3.5]) / spatial_scale  # halves round away from zero
    expected = reference_roi_pool(features.astype("float64"), boxes, output_size, spatial_scale)
    actual = dlx_ops.roi_pool(features, boxes, output_size, spatial_scale, data_format="channels_last")
    assert tuple(actual.shape) == (2, 12, *output_size, 3)
    np.testing.assert_array_equal(_numpy(actual), expected.astype("float32"))  # a maximum: exact


def test_roi_pool_channels_first_empty_bins_and_grad_of_sum():
    rng = np.random.default_rng(6)
    features = rng.standard_normal((2, 6, 7, 2))
    boxes = _boxes(rng, 2, 5, 6)
    boxes[0, 0] = [20.0, 20.0, 30.0, 30.0]  # outside the map: every bin empty
    last = _numpy(dlx_ops.roi_pool(features, boxes, 3, data_format="channels_last"))
    assert np.all(last[0, 0] == 0)
    first = dlx_ops.roi_pool(np.moveaxis(features, -1, 1), boxes, 3, data_format="channels_first")
    np.testing.assert_array_equal(np.moveaxis(_numpy(first), 2, -1), last)
    # The gradient of a maximum is 1 at the argmax: finite differences are exact away from ties.
    op = lambda x: dlx_ops.roi_pool(x, boxes, 3, data_format="channels_last")  # noqa: E731
    _finite_difference_check(op, features, samples=20)
    grad = _grad_of_sum(lambda x: keras.ops.sum(op(x)), features)
    counts = np.zeros_like(features)
    expected = reference_roi_pool(features, boxes, (3, 3))
    for b, n, i, j, c in zip(*np.nonzero(expected != 0)):
        counts[b][..., c][features[b][..., c] == expected[b, n, i, j, c]] += 1
    np.testing.assert_array_equal(grad, counts)


# ----------------------------------------------------------------------------------------------------------------
# torchvision 0.28 (tests/fixtures/torchvision/roi.npz, recorded by record_roi.py)

TORCHVISION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "torchvision", "roi.npz")
with np.load(TORCHVISION, allow_pickle=False) as _data:
    TV = {name: _data[name] for name in _data.files}
TV_CASES = sorted({name.split("/")[0] for name in TV if "/" in name})


@pytest.mark.parametrize("name", TV_CASES)
def test_roi_ops_match_torchvision(name):
    features, boxes = TV[f"{name}/features"], TV[f"{name}/boxes"]
    output_size, scale = tuple(TV[f"{name}/output_size"].tolist()), float(TV[f"{name}/spatial_scale"])
    if name.startswith("align"):
        op = lambda x: dlx_ops.roi_align(  # noqa: E731
            x, boxes, output_size, scale, int(TV[f"{name}/sampling_ratio"]), bool(TV[f"{name}/aligned"]),
            data_format="channels_last")
    else:
        op = lambda x: dlx_ops.roi_pool(x, boxes, output_size, scale, data_format="channels_last")  # noqa: E731
    # float32 on both sides: bilinear sums to 1e-5; a maximum exactly, and its gradient (sums of R over the bins
    # that share a maximum, in another order) to 1e-6.
    forward, backward = (1e-5, 1e-5) if name.startswith("align") else (0, 1e-6)
    np.testing.assert_allclose(_numpy(op(features)), TV[f"{name}/y"], atol=forward, rtol=forward)
    grad = _grad_of_sum(lambda x: keras.ops.sum(op(x) * TV[f"{name}/R"]), features)
    np.testing.assert_allclose(grad, TV[f"{name}/d_features"], atol=backward, rtol=backward)


# ----------------------------------------------------------------------------------------------------------------
# Bad arguments

@pytest.mark.parametrize("op", [dlx_ops.roi_align, dlx_ops.roi_pool])
def test_bad_arguments(op):
    features, boxes = np.zeros((1, 4, 4, 2), "float32"), np.zeros((1, 2, 4), "float32")
    with pytest.raises(ValueError, match="`output_size`"):
        op(features, boxes, 0)
    with pytest.raises(ValueError, match="`output_size`"):
        op(features, boxes, (2, -1))
    with pytest.raises(ValueError, match="`spatial_scale`"):
        op(features, boxes, 2, spatial_scale=0.0)
    with pytest.raises(ValueError, match="`spatial_scale`"):
        op(features, boxes, 2, spatial_scale=-1 / 16)
    with pytest.raises(ValueError, match="`features`.*4D"):
        op(features[0], boxes, 2)
    with pytest.raises(ValueError, match="`boxes`.*3D"):
        op(features, boxes[0], 2)
    with pytest.raises(ValueError, match="`boxes`.*3D"):
        op(features, boxes[..., :3], 2)
    with pytest.raises(ValueError, match="`boxes`.*per image"):
        op(features, np.zeros((3, 2, 4), "float32"), 2)
    with pytest.raises(ValueError, match="`data_format`"):
        op(features, boxes, 2, data_format="channels_middle")


def test_roi_align_bad_sampling_ratio_and_aligned():
    features, boxes = np.zeros((1, 4, 4, 2), "float32"), np.zeros((1, 2, 4), "float32")
    with pytest.raises(ValueError, match="`sampling_ratio`"):
        dlx_ops.roi_align(features, boxes, 2, sampling_ratio=1.5)
    with pytest.raises(ValueError, match="`aligned`"):
        dlx_ops.roi_align(features, boxes, 2, aligned="yes")


# ----------------------------------------------------------------------------------------------------------------
# Layers

def test_roi_layers_equal_the_ops_in_a_two_input_model_both_data_formats():
    rng = np.random.default_rng(7)
    features = rng.standard_normal((2, 6, 7, 3)).astype("float32")
    boxes = _boxes(rng, 2, 5, 6, 1 / 4)
    for data_format in ("channels_last", "channels_first"):
        x = features if data_format == "channels_last" else np.moveaxis(features, -1, 1)
        for layer, op in [
            (layers.ROIAlign2D((2, 3), 1 / 4, 2, True, data_format),
             lambda f: dlx_ops.roi_align(f, boxes, (2, 3), 1 / 4, 2, True, data_format)),
            (layers.ROIPooling2D((2, 3), 1 / 4, data_format),
             lambda f: dlx_ops.roi_pool(f, boxes, (2, 3), 1 / 4, data_format)),
        ]:
            inputs = [keras.Input(x.shape[1:]), keras.Input((None, 4))]
            model = keras.Model(inputs, layer(inputs))
            expected = (2, 5, 2, 3, 3) if data_format == "channels_last" else (2, 5, 3, 2, 3)
            assert tuple(model.output.shape[2:]) == expected[2:]
            # On TensorFlow, crop_and_resize's sample positions from graph-optimised box arithmetic: 1e-5.
            np.testing.assert_allclose(model.predict([x, boxes], verbose=0), _numpy(op(x)), atol=1e-5)


def test_roi_layers_keep_float32_boxes_under_mixed_precision():
    features = np.random.default_rng(8).standard_normal((1, 8, 8, 2)).astype("float32")
    boxes = np.array([[[1000.3, 1000.3, 1100.7, 1100.7]]], "float32") / 1  # float16 would round to 1000, 1101
    for cls in (layers.ROIAlign2D, layers.ROIPooling2D):
        mixed = cls(2, spatial_scale=1 / 128, dtype="mixed_float16", data_format="channels_last")
        exact = cls(2, spatial_scale=1 / 128, data_format="channels_last")
        y = mixed([features, boxes])
        assert keras.backend.standardize_dtype(y.dtype) == "float16"
        # float16 features: 1e-3 relative.
        np.testing.assert_allclose(_numpy(y).astype("float32"), _numpy(exact([features, boxes])), rtol=2e-3,
                                   atol=2e-3)


@pytest.mark.parametrize("cls", [layers.ROIAlign2D, layers.ROIPooling2D])
def test_roi_layers_bad_arguments_and_inputs(cls):
    with pytest.raises(ValueError, match="`output_size`"):
        cls(0)
    with pytest.raises(ValueError, match="`spatial_scale`"):
        cls(2, spatial_scale=0)
    with pytest.raises(ValueError, match="`data_format`"):
        cls(2, data_format="nhwc")
    layer = cls(2)
    with pytest.raises(ValueError, match="expected a list"):
        layer.build((2, 4, 4, 3))
    with pytest.raises(ValueError, match="4D input"):
        layer.build([(2, 4, 4), (2, 3, 4)])
    with pytest.raises(ValueError, match="boxes of shape"):
        layer.build([(2, 4, 4, 3), (2, 3, 5)])
    if cls is layers.ROIAlign2D:
        with pytest.raises(ValueError, match="`sampling_ratio`"):
            cls(2, sampling_ratio=None)
        with pytest.raises(ValueError, match="`aligned`"):
            cls(2, aligned=1)
    else:
        with pytest.raises(ValueError, match="height and width must be known"):
            layer.build([(2, None, 4, 3), (2, 3, 4)])


# ----------------------------------------------------------------------------------------------------------------
# SpatialPyramidPooling2D against TensorFlow Addons 0.23

SPP = load_fixture("spp")
SPP_CASES = sorted({name.split("/")[0] for name in SPP})


@pytest.mark.parametrize("name", SPP_CASES)
def test_spatial_pyramid_pooling_matches_addons(name):
    data_format = "channels_first" if name == "channels_first" else "channels_last"
    bins = [tuple(level) for level in SPP[f"{name}/bins"].tolist()]
    layer = layers.SpatialPyramidPooling2D(bins, data_format=data_format)
    x, projection = SPP[f"{name}/x"], SPP[f"{name}/R"]
    # Means of float32 values: 1e-6.
    np.testing.assert_allclose(_numpy(layer(x)), SPP[f"{name}/y"], rtol=1e-6, atol=1e-6)
    grad = _grad_of_sum(lambda v: keras.ops.sum(layer(v) * projection), x)
    np.testing.assert_allclose(grad, SPP[f"{name}/d_x"], rtol=1e-6, atol=1e-6)


def test_spatial_pyramid_pooling_max_any_input_size():
    layer = layers.SpatialPyramidPooling2D([1, (2, 3)], pooling="max", data_format="channels_last")
    for height, width in [(4, 6), (5, 7), (9, 3)]:
        x = np.random.default_rng(height).standard_normal((2, height, width, 2)).astype("float32")
        y = _numpy(layer(x))
        assert y.shape == (2, 7, 2)
        np.testing.assert_array_equal(y[:, 0], x.max(axis=(1, 2)))
        cell_h, cell_w = height // 2, width // 3
        for i in range(2):
            for j in range(3):
                cell = x[:, i * cell_h:(i + 1) * cell_h, j * cell_w:(j + 1) * cell_w]
                np.testing.assert_array_equal(y[:, 1 + 3 * i + j], cell.max(axis=(1, 2)))
    inputs = keras.Input((None, None, 2))
    model = keras.Model(inputs, keras.layers.Flatten()(layer(inputs)))
    assert tuple(model.output.shape) == (None, 14)
    assert model.predict(np.zeros((1, 11, 5, 2), "float32"), verbose=0).shape == (1, 14)


def test_spatial_pyramid_pooling_bad_arguments():
    for bins in ([], 3, [0], [(1, 2, 3)], ["a"], [True], [(2, -1)]):
        with pytest.raises(ValueError, match="`bins`"):
            layers.SpatialPyramidPooling2D(bins)
    with pytest.raises(ValueError, match="`pooling`"):
        layers.SpatialPyramidPooling2D([1], pooling="sum")
    with pytest.raises(ValueError, match="`data_format`"):
        layers.SpatialPyramidPooling2D([1], data_format="nchw")
    with pytest.raises(ValueError, match="cannot be split into 4 bins"):
        layers.SpatialPyramidPooling2D([1, 4], data_format="channels_last").build((2, 3, 8, 2))
    with pytest.raises(ValueError, match="4D input"):
        layers.SpatialPyramidPooling2D([1]).build((2, 8, 2))


def _neutral_roi_align(monkeypatch, *arguments, **keywords):
    """roi_align with TensorFlow's crop_and_resize fast path turned off (the backend-neutral matrix products)."""
    from keras_dlx.ops import roi as roi_module

    with monkeypatch.context() as patch:
        patch.setattr(roi_module, "_crop_and_resize_available", lambda: False)
        return dlx_ops.roi_align(*arguments, **keywords)


def _op_types(function, *inputs):
    return {op.type for op in function.get_concrete_function(*inputs).graph.get_operations()}


@pytest.mark.tensorflow_only
def test_roi_align_tensorflow_fast_path_equals_the_neutral_path(monkeypatch):
    """A fixed sampling_ratio on TensorFlow takes crop_and_resize (eagerly and in a tf.function): same values and
    gradients as the neutral path, boxes inside, partly outside, tiny and beyond the map, both alignments, a
    single sample per box (crop_and_resize's one-pixel crops take the box centre)."""
    import tensorflow as tf

    rng = np.random.default_rng(9)
    features = tf.constant(rng.standard_normal((2, 9, 11, 3)).astype("float32"))
    for sampling_ratio, aligned, scale, size in [(1, True, 1.0, (1, 1)), (3, False, 0.5, (2, 3))]:
        boxes = tf.constant(_boxes(rng, 2, 16, 9, scale))
        projection = rng.standard_normal((2, 16, *size, 3)).astype("float32")

        def value_and_gradient(run, x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = run(x, boxes, size, scale, sampling_ratio, aligned, data_format="channels_last")
                loss = tf.reduce_sum(y * projection)
            return y, tape.gradient(loss, x)

        results = [value_and_gradient(dlx_ops.roi_align, features)]
        if sampling_ratio == 3:  # once in a tf.function traced for any map size (the fast path reads it when run)
            fast = tf.function(lambda x: value_and_gradient(dlx_ops.roi_align, x),
                               input_signature=[tf.TensorSpec((None, None, None, 3))])
            assert "CropAndResize" in _op_types(fast)
            results.append(fast(features))
        neutral = value_and_gradient(lambda *a, **k: _neutral_roi_align(monkeypatch, *a, **k), features)
        # Two float32 computations of the same bilinear sums (and of their adjoint): 1e-5.
        for eager_or_traced in results:
            for got, expected in zip(eager_or_traced, neutral):
                np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5, rtol=1e-5)


@pytest.mark.tensorflow_only
def test_roi_align_tensorflow_fast_path_gradient_matches_differences():
    """The fast path is linear in the features: differences with a unit step are exact up to float32 rounding."""
    rng = np.random.default_rng(11)
    features = rng.standard_normal((1, 6, 7, 2)).astype("float32")
    boxes = _boxes(rng, 1, 6, 6)
    op = lambda x: dlx_ops.roi_align(x, boxes, (2, 2), 1.0, 2, False, "channels_last")  # noqa: E731
    projection = rng.standard_normal((1, 6, 2, 2, 2)).astype("float32")
    grad = _grad_of_sum(lambda x: keras.ops.sum(op(x) * projection), features)
    loss = lambda x: float(np.sum(_numpy(op(x)).astype("float64") * projection))  # noqa: E731
    for flat in rng.choice(features.size, size=12, replace=False):
        step = np.zeros_like(features)
        step[np.unravel_index(flat, features.shape)] = 1.0
        numeric = (loss(features + step) - loss(features - step)) / 2
        np.testing.assert_allclose(grad.reshape(-1)[flat], numeric, atol=1e-4, rtol=1e-4)


@pytest.mark.tensorflow_only
def test_roi_align_under_xla_takes_the_neutral_path():
    """XLA cannot compile CropAndResize: under jit_compile=True (a tf.function, or Keras fit) the op stays on the
    matrix products, with the same values. (The adaptive ratio under jit: the layer contract, tests/cases_roi.py.)"""
    import tensorflow as tf

    rng = np.random.default_rng(12)
    features = rng.standard_normal((2, 6, 5, 3)).astype("float32")
    boxes = _boxes(rng, 2, 5, 5)
    op = lambda x: dlx_ops.roi_align(x, boxes, 2, 1.0, 2, True, "channels_last")  # noqa: E731
    compiled = tf.function(op, jit_compile=True)
    assert "CropAndResize" not in _op_types(compiled, tf.constant(features))
    np.testing.assert_allclose(compiled(features).numpy(), _numpy(op(features)), atol=1e-5)
    inputs = [keras.Input((6, 5, 3)), keras.Input((5, 4))]
    model = keras.Model(inputs, keras.layers.Dense(1)(layers.ROIAlign2D(2, 1.0, 2, True, "channels_last")(inputs)))
    model.compile("sgd", "mse", jit_compile=True)
    model.fit([features, boxes], np.zeros((2, 5, 2, 2, 1), "float32"), batch_size=2, verbose=0)


@pytest.mark.tensorflow_only
def test_roi_align_with_a_map_size_known_only_when_run():
    """In a tf.function traced for any map size (as Keras may retrace a model fed images of several sizes)."""
    import tensorflow as tf

    rng = np.random.default_rng(10)
    features = rng.standard_normal((2, 6, 7, 3)).astype("float32")
    boxes = _boxes(rng, 2, 4, 6)
    traced = tf.function(lambda x, b: dlx_ops.roi_align(x, b, 2, data_format="channels_last"),
                         input_signature=[tf.TensorSpec((None, None, None, 3)), tf.TensorSpec((None, None, 4))])
    expected = reference_roi_align(features.astype("float64"), boxes, (2, 2))
    np.testing.assert_allclose(traced(features, boxes).numpy(), expected, atol=1e-5)  # float32, as above
