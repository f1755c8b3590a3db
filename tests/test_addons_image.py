"""keras_dlx.ops.image against TensorFlow Addons 0.23 (tests/fixtures/addons/image.npz, record_image.py)."""

import keras
import numpy as np
import pytest

from keras_dlx.ops import image as image_ops
from tests.addons_fixtures import load

F = load("image")


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _run(fn, *arrays):
    """fn(*arrays) as NumPy; on JAX under jax.jit (one compilation instead of one per eager op: 5x faster here)."""
    if keras.backend.backend() == "jax":
        import jax

        fn = jax.jit(fn)
    out = fn(*arrays)
    return tuple(_np(x) for x in out) if isinstance(out, (tuple, list)) else _np(out)


def _cases(family):
    return [str(name) for name in F[f"{family}/cases"]]


def _gradients(fn, inputs, cotangent):
    """fn(*inputs) and the gradients of sum(fn(*inputs) * cotangent) with respect to every input, as NumPy."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.convert_to_tensor(x) for x in inputs]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            value = fn(*tensors)
            loss = tf.reduce_sum(value * cotangent)
        grads = tape.gradient(loss, tensors)
    elif backend == "jax":
        import jax

        value = jax.jit(fn)(*inputs)
        grad = jax.grad(lambda *xs: keras.ops.sum(fn(*xs) * cotangent), argnums=tuple(range(len(inputs))))
        grads = jax.jit(grad)(*inputs)
    elif backend == "torch":
        import torch

        tensors = [torch.tensor(x, requires_grad=True) for x in inputs]
        value = fn(*tensors)
        grads = torch.autograd.grad(keras.ops.sum(value * torch.tensor(cotangent)), tensors)
    else:
        pytest.skip(f"no autodiff helper for backend {backend!r}")
    return _np(value), [_np(g) for g in grads]


# ---------------------------------------------------------------- mean_filter2d / median_filter2d

def _filter_args(name):
    prefix = f"filter/{name}/"
    image = F[prefix + "image"]
    constant = F[prefix + "constant_values"].item()
    return image, tuple(int(v) for v in F[prefix + "filter_shape"]), str(F[prefix + "padding"]), constant


@pytest.mark.parametrize("name", _cases("filter"))
def test_mean_filter2d_matches_addons(name):
    image, filter_shape, padding, constant = _filter_args(name)
    out = _run(lambda x: image_ops.mean_filter2d(x, filter_shape, padding, constant), image)
    expected = F[f"filter/{name}/mean"]
    assert out.dtype == expected.dtype and out.shape == expected.shape
    if image.dtype == np.uint8:
        # Integer windows sum exactly in float32 and are divided once, as Addons does: identical after truncation.
        np.testing.assert_array_equal(out, expected)
    else:
        # float32: a different summation order than TF's depthwise conv, 1e-6; float64: 1e-12.
        tol = 1e-12 if image.dtype == np.float64 else 1e-6
        np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


def _wraps(name):
    """Cases where Addons' median of a uint8 image adds two middle values: even windows."""
    image, filter_shape, _, _ = _filter_args(name)
    return image.dtype == np.uint8 and filter_shape[0] * filter_shape[1] % 2 == 0


@pytest.mark.parametrize("name", [n for n in _cases("filter") if not _wraps(n)])
def test_median_filter2d_matches_addons(name):
    image, filter_shape, padding, constant = _filter_args(name)
    out = _run(lambda x: image_ops.median_filter2d(x, filter_shape, padding, constant), image)
    expected = F[f"filter/{name}/median"]
    assert out.dtype == expected.dtype and out.shape == expected.shape
    # A median picks one input value (or the mean of two for float images): exact.
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name", [n for n in _cases("filter") if _wraps(n)])
def test_median_filter2d_even_window_of_uint8_does_not_wrap_around(name):
    # Intended difference: Addons adds the two middle uint8 values in uint8 (mod 256) before halving them.
    image, (fh, fw), padding, constant = _filter_args(name)
    x = image.astype(np.int64).reshape((-1,) + image.shape[-3:]) if image.ndim == 4 else image[None]
    if x.ndim == 3:
        x = x[..., None]
    widths = [(0, 0), ((fh - 1) // 2, fh // 2), ((fw - 1) // 2, fw // 2), (0, 0)]
    mode = padding.lower()
    padded = np.pad(x, widths, mode=mode, constant_values=int(constant)) if mode == "constant" else \
        np.pad(x, widths, mode=mode)
    h, w = x.shape[1:3]
    windows = np.stack([padded[:, i:i + h, j:j + w] for i in range(fh) for j in range(fw)], -1)
    ordered = np.sort(windows, axis=-1)
    total = (ordered[..., fh * fw // 2 - 1] + ordered[..., fh * fw // 2]).reshape(image.shape)
    np.testing.assert_array_equal(F[f"filter/{name}/median"], (total % 256) // 2)
    assert (total >= 256).any()
    out = _run(lambda x: image_ops.median_filter2d(x, (fh, fw), padding, constant), image)
    np.testing.assert_array_equal(out, total // 2)


# ---------------------------------------------------------------- connected_components

@pytest.mark.parametrize("name", _cases("cc"))
def test_connected_components_matches_addons(name):
    out = _run(image_ops.connected_components, F[f"cc/{name}/images"])
    expected = F[f"cc/{name}/labels"]
    # Labels are integers: exact, dtype included.
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


# ---------------------------------------------------------------- euclidean_dist_transform

@pytest.mark.parametrize("name", _cases("edt"))
def test_euclidean_dist_transform_matches_addons(name):
    prefix = f"edt/{name}/"
    dtype = str(F[prefix + "dtype"])
    out = _run(lambda x: image_ops.euclidean_dist_transform(x, dtype), F[prefix + "images"])
    expected = F[prefix + "distances"]
    assert out.dtype == expected.dtype
    # Square roots of integer squared distances, and sqrt(max) where a channel has no zero pixel: exact.
    np.testing.assert_array_equal(out, expected)


# ---------------------------------------------------------------- interpolate_bilinear, dense_image_warp, resampler

@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_interpolate_bilinear_matches_addons(indexing):
    prefix = f"bilinear/{indexing}/"
    value, (d_grid, d_query) = _gradients(
        lambda g, q: image_ops.interpolate_bilinear(g, q, indexing=indexing),
        [F[prefix + "grid"], F[prefix + "query_points"]], F[prefix + "cotangent"])
    # float32, same arithmetic as Addons: 1e-6.
    np.testing.assert_allclose(value, F[prefix + "values"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d_grid, F[prefix + "d_grid"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d_query, F[prefix + "d_query_points"], rtol=1e-5, atol=1e-5)


def test_dense_image_warp_matches_addons():
    value, (d_image, d_flow) = _gradients(image_ops.dense_image_warp, [F["dense_warp/image"], F["dense_warp/flow"]],
                                          F["dense_warp/cotangent"])
    # float32, same arithmetic as Addons: 1e-6 (values), 1e-5 (gradients, sums over overlapping windows).
    np.testing.assert_allclose(value, F["dense_warp/warped"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d_image, F["dense_warp/d_image"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d_flow, F["dense_warp/d_flow"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", _cases("resampler"))
def test_resampler_matches_addons(name):
    prefix = f"resampler/{name}/"
    value, (d_data, d_warp) = _gradients(image_ops.resampler, [F[prefix + "data"], F[prefix + "warp"]],
                                         F[prefix + "cotangent"])
    # float32, Addons' compiled kernel vs keras.ops gathers: 1e-6 (values), 1e-5 (gradients).
    np.testing.assert_allclose(value, F[prefix + "values"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d_data, F[prefix + "d_data"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d_warp, F[prefix + "d_warp"], rtol=1e-5, atol=1e-5)


def _map_coordinates_batched(data, rows, cols, fill_mode):
    """Keras 3's nearest equivalent: keras.ops.image.map_coordinates over (batch, row, column, channel), the
    batch and channel coordinates integers (weight 1 on themselves), rows/cols of shape (batch, n)."""
    batch, n, channels = data.shape[0], rows.shape[1], data.shape[-1]
    shape = (batch, n, channels)
    coordinates = np.stack([np.broadcast_to(np.arange(batch)[:, None, None], shape),
                            np.broadcast_to(rows[..., None], shape), np.broadcast_to(cols[..., None], shape),
                            np.broadcast_to(np.arange(channels), shape)]).astype(data.dtype)
    return _np(keras.ops.image.map_coordinates(data, coordinates, order=1, fill_mode=fill_mode))


def test_keras_map_coordinates_gives_the_values_of_resampler_and_interpolate_bilinear():
    # Documents the Keras 3 alternative (migration guide): same values (1e-6), not Addons' signatures.
    warp = F["resampler/warp_rank3/warp"]
    out = _map_coordinates_batched(F["resampler/warp_rank3/data"], warp[..., 1], warp[..., 0], "constant")
    np.testing.assert_allclose(out, F["resampler/warp_rank3/values"], rtol=1e-6, atol=1e-6)
    query = F["bilinear/ij/query_points"]
    out = _map_coordinates_batched(F["bilinear/ij/grid"], query[..., 0], query[..., 1], "nearest")
    np.testing.assert_allclose(out, F["bilinear/ij/values"], rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- interpolate_spline, sparse_image_warp

@pytest.mark.parametrize("name", _cases("spline"))
def test_interpolate_spline_matches_addons(name):
    prefix = f"spline/{name}/"
    order, weight = int(F[prefix + "order"]), float(F[prefix + "regularization_weight"])
    out = _run(lambda p, v, q: image_ops.interpolate_spline(p, v, q, order, weight),
               F[prefix + "train_points"], F[prefix + "train_values"], F[prefix + "query_points"])
    expected = F[prefix + "values"]
    assert out.dtype == expected.dtype
    # A dense solve of an ill-conditioned system (kernel values up to r^6): float64 1e-8, float32 1e-3.
    tol = 1e-8 if expected.dtype == np.float64 else 1e-3
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", _cases("sparse_warp"))
def test_sparse_image_warp_matches_addons(name):
    prefix = f"sparse_warp/{name}/"
    settings = [int(F[prefix + "interpolation_order"]), float(F[prefix + "regularization_weight"]),
                int(F[prefix + "num_boundary_points"])]
    warped, flows = _run(lambda i, s, d: image_ops.sparse_image_warp(i, s, d, *settings),
                         F[prefix + "image"], F[prefix + "source"], F[prefix + "dest"])
    # A float32 spline solve: Addons' own flows are up to 1.2e-4 pixel from the float64 solution (ours 8e-5),
    # so 5e-4 absolute on flows of up to 12 pixels, and on the image sampled there.
    np.testing.assert_allclose(flows, F[prefix + "flows"], rtol=5e-4, atol=5e-4)
    np.testing.assert_allclose(warped, F[prefix + "warped"], rtol=5e-4, atol=5e-4)


# ---------------------------------------------------------------- bad arguments

IMAGE = np.zeros((2, 5, 6, 3), "float32")


@pytest.mark.parametrize("fn", [image_ops.mean_filter2d, image_ops.median_filter2d])
@pytest.mark.parametrize("kwargs, match", [
    ({"filter_shape": 0}, "filter_shape"),
    ({"filter_shape": (3, -1)}, "filter_shape"),
    ({"filter_shape": (3, 3, 3)}, "filter_shape"),
    ({"filter_shape": 11, "padding": "REFLECT"}, "filter_shape"),
    ({"filter_shape": (3, 15), "padding": "SYMMETRIC"}, "filter_shape"),
    ({"padding": "WRAP"}, "padding"),
])
def test_filters_reject_bad_arguments(fn, kwargs, match):
    with pytest.raises(ValueError, match=f"Invalid `{match}`"):
        fn(IMAGE, **kwargs)


@pytest.mark.parametrize("call, match", [
    (lambda: image_ops.mean_filter2d(np.zeros((1, 2, 5, 6, 3))), "image"),
    (lambda: image_ops.median_filter2d(np.zeros((5,))), "image"),
    (lambda: image_ops.connected_components(np.zeros((1, 4, 4, 1))), "images"),
    (lambda: image_ops.euclidean_dist_transform(np.zeros((5,), "uint8")), "images"),
    (lambda: image_ops.euclidean_dist_transform(IMAGE, dtype="int32"), "dtype"),
    (lambda: image_ops.interpolate_bilinear(IMAGE[0], np.zeros((2, 4, 2))), "grid"),
    (lambda: image_ops.interpolate_bilinear(IMAGE[:, :1], np.zeros((2, 4, 2))), "grid"),
    (lambda: image_ops.interpolate_bilinear(IMAGE, np.zeros((2, 4))), "query_points"),
    (lambda: image_ops.interpolate_bilinear(IMAGE, np.zeros((2, 4, 3))), "query_points"),
    (lambda: image_ops.interpolate_bilinear(IMAGE, np.zeros((2, 4, 2)), indexing="yx"), "indexing"),
    (lambda: image_ops.dense_image_warp(IMAGE, np.zeros((2, 5, 6, 3), "float32")), "flow"),
    (lambda: image_ops.dense_image_warp(IMAGE[0], np.zeros((5, 6, 2), "float32")), "image"),
    (lambda: image_ops.resampler(IMAGE[0], np.zeros((5, 2), "float32")), "data"),
    (lambda: image_ops.resampler(IMAGE, np.zeros((2, 4, 3), "float32")), "warp"),
    (lambda: image_ops.resampler(IMAGE, np.zeros((2,), "float32")), "warp"),
    (lambda: image_ops.interpolate_spline(np.zeros((1, 4, 2)), np.zeros((1, 4, 1)), np.zeros((1, 3, 2)), 0),
     "order"),
    (lambda: image_ops.interpolate_spline(np.zeros((1, 4, 2)), np.zeros((1, 4, 1)), np.zeros((1, 3, 2)), 2, -1.0),
     "regularization_weight"),
    (lambda: image_ops.interpolate_spline(np.zeros((4, 2)), np.zeros((1, 4, 1)), np.zeros((1, 3, 2)), 2),
     "train_points"),
    (lambda: image_ops.interpolate_spline(np.zeros((1, 4, 2)), np.zeros((1, 4, 1)), np.zeros((1, 3, 3)), 2),
     "query_points"),
    (lambda: image_ops.sparse_image_warp(IMAGE, np.zeros((2, 3, 2)), np.zeros((2, 3, 2)), num_boundary_points=-1),
     "num_boundary_points"),
    (lambda: image_ops.sparse_image_warp(IMAGE, np.zeros((2, 3, 2)), np.zeros((2, 3, 2)), interpolation_order=1.5),
     "interpolation_order"),
    (lambda: image_ops.sparse_image_warp(IMAGE, np.zeros((2, 3, 3)), np.zeros((2, 3, 3))),
     "source_control_point_locations"),
    (lambda: image_ops.sparse_image_warp(np.zeros((1, 2, 5, 6, 3)), np.zeros((2, 3, 2)), np.zeros((2, 3, 2))),
     "image"),
])
def test_bad_arguments_raise_value_error_naming_them(call, match):
    with pytest.raises(ValueError, match=f"Invalid `{match}`"):
        call()


# ---------------------------------------------------------------- jit

class _Apply(keras.layers.Layer):
    """Calls one image op on the layer's inputs (test scaffolding: a model to compile with jit_compile=True)."""

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, inputs):
        return self.fn(*inputs)


def _first(fn):
    return lambda *xs: fn(*xs)[0]


JIT_CASES = {
    "mean_filter2d": (lambda x: image_ops.mean_filter2d(x, (3, 2), "SYMMETRIC"), ["filter/uint8_batch_constant/image"]),
    "median_filter2d": (lambda x: image_ops.median_filter2d(x, (2, 4), "CONSTANT", 0.5),
                        ["filter/float_batch_reflect/image"]),
    "connected_components": (image_ops.connected_components, ["cc/binary_batch/images"]),
    "euclidean_dist_transform": (image_ops.euclidean_dist_transform, ["edt/batch_float32/images"]),
    "interpolate_bilinear": (image_ops.interpolate_bilinear, ["bilinear/ij/grid", "bilinear/ij/query_points"]),
    "dense_image_warp": (image_ops.dense_image_warp, ["dense_warp/image", "dense_warp/flow"]),
    "resampler": (image_ops.resampler, ["resampler/warp_rank4/data", "resampler/warp_rank4/warp"]),
    "interpolate_spline": (lambda p, v, q: image_ops.interpolate_spline(p, v, q, 2, 0.01),
                           ["spline/order2_float32/train_points", "spline/order2_float32/train_values",
                            "spline/order2_float32/query_points"]),
    "sparse_image_warp": (_first(lambda i, s, d: image_ops.sparse_image_warp(i, s, d, 2, 0.0, 2)),
                          ["sparse_warp/batch_order2/image", "sparse_warp/batch_order2/source",
                           "sparse_warp/batch_order2/dest"]),
}


@pytest.mark.parametrize("name", list(JIT_CASES))
def test_op_runs_in_a_jit_compiled_model(name):
    fn, keys = JIT_CASES[name]
    if keras.backend.backend() == "torch" and name in ("interpolate_spline", "sparse_image_warp"):
        pytest.skip("Keras on PyTorch infers a model's output by calling it on zeros: a singular spline system")
    arrays = [F[key] for key in keys]
    inputs = [keras.Input(batch_shape=a.shape, dtype=str(a.dtype)) for a in arrays]
    model = keras.Model(inputs, _Apply(fn)(inputs))
    model.compile(jit_compile=True)
    eager = _run(fn, *arrays)
    jitted = _np(model.predict_on_batch(arrays))
    # XLA may fuse and reorder float32 arithmetic: 1e-5; the float32 spline solve is ill-conditioned (XLA's LU
    # vs the eager one moves the flow of sparse_image_warp by ~1e-4 pixel): 1e-3 there.
    tol = 1e-3 if "spline" in name or "sparse" in name else 1e-5
    np.testing.assert_allclose(jitted, eager, rtol=tol, atol=tol)


class _LearnedFlow(keras.layers.Layer):
    """Warps its input by a trainable flow (dense_image_warp) then smooths it (mean_filter2d)."""

    def build(self, input_shape):
        self.flow = self.add_weight(shape=(1,) + tuple(input_shape[1:3]) + (2,), initializer="zeros")

    def call(self, x):
        flow = keras.ops.broadcast_to(self.flow, (keras.ops.shape(x)[0],) + tuple(self.flow.shape[1:]))
        warped = image_ops.dense_image_warp(x, flow)
        return image_ops.mean_filter2d(warped, 3)


def test_dense_image_warp_trains_in_jit_compiled_fit():
    rng = np.random.default_rng(0)
    x = rng.random((4, 8, 8, 1)).astype("float32")
    y = _np(image_ops.mean_filter2d(np.roll(x, 1, axis=2), 3))
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, _LearnedFlow()(inputs))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", jit_compile=True)
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
