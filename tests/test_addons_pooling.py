"""keras_dlx's pooling, vision and recurrent-cell layers equal TensorFlow Addons 0.23 (tests/fixtures/addons/
pooling.npz, recorded by tests/fixtures/addons/record_pooling.py), reject bad arguments, and train under jit_compile."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlx import layers
from keras_dlx import ops as dlx_ops
from tests.addons_fixtures import load

FIXTURE = load("pooling")


def _np(x):
    return ops.convert_to_numpy(x)


def _case(prefix):
    return {name[len(prefix) + 1:]: value for name, value in FIXTURE.items() if name.startswith(prefix + "/")}


def _value_and_input_gradients(fn, projection, *inputs):
    """fn(*inputs) and the gradients of sum(fn(*inputs) * projection) w.r.t. each input, as NumPy."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.convert_to_tensor(x) for x in inputs]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            value = fn(*tensors)
            loss = ops.sum(value * projection)
        grads = tape.gradient(loss, tensors)
    elif backend == "jax":
        import jax

        value = fn(*inputs)
        grads = jax.grad(lambda *xs: ops.sum(fn(*xs) * projection), argnums=tuple(range(len(inputs))))(*inputs)
    else:
        pytest.skip(f"no input gradients on the {backend} backend here")
    return _np(value), [_np(g) for g in grads]


POOLS = range(4)


# max_pool_with_argmax: values exact (a selection), indices exact, gradient exact (ones routed to the maxima
# times the projection).
@pytest.mark.parametrize("index", POOLS)
def test_max_pool_with_argmax_equals_tensorflow(index):
    data = _case(f"argmax_{index}")
    pool, strides, padding = tuple(data["pool_size"]), tuple(data["strides"]), str(data["padding"])
    values, argmax = dlx_ops.max_pool_with_argmax(data["x"], pool, strides, padding)
    np.testing.assert_array_equal(_np(values), data["values"])
    np.testing.assert_array_equal(_np(argmax), data["argmax"])
    assert keras.backend.standardize_dtype(argmax.dtype) == "int32"
    _, (grad,) = _value_and_input_gradients(
        lambda x: dlx_ops.max_pool_with_argmax(x, pool, strides, padding)[0], data["projection"], data["x"])
    np.testing.assert_allclose(grad, data["grad_x"], rtol=1e-6, atol=1e-7)


def test_max_pool_with_argmax_includes_the_batch_when_asked():
    data = _case("argmax_1")
    x = data["x"]
    _, argmax = dlx_ops.max_pool_with_argmax(x, 3, 2, "valid", include_batch_in_index=True)
    offset = np.arange(x.shape[0]).reshape(-1, 1, 1, 1) * np.prod(x.shape[1:])
    np.testing.assert_array_equal(_np(argmax), data["argmax"] + offset)
    np.testing.assert_array_equal(x.reshape(-1)[_np(argmax)], data["values"])


def test_max_pool_with_argmax_takes_the_first_of_equal_values():
    x = np.zeros((1, 2, 2, 1), "float32")
    _, argmax = dlx_ops.max_pool_with_argmax(x, 2, 2)
    assert _np(argmax).item() == 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(pool_size=0), "pool_size"), (dict(strides=(1, 2, 3)), "strides"), (dict(padding="full"), "padding"),
    (dict(include_batch_in_index=1), "include_batch_in_index"), (dict(pool_size=9), "must fit"),
])
def test_max_pool_with_argmax_rejects_bad_arguments(kwargs, match):
    arguments = {"pool_size": 2, "strides": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        dlx_ops.max_pool_with_argmax(np.zeros((1, 4, 4, 2), "float32"), **arguments)
    with pytest.raises(ValueError, match="4D"):
        dlx_ops.max_pool_with_argmax(np.zeros((4, 4, 2), "float32"), 2, 2)


# MaxUnpooling2D: a scatter of exact values (sums where overlapping windows share an index: float32 addition of
# two terms, exact in either order), gradient a gather.
@pytest.mark.parametrize("index", POOLS)
def test_max_unpooling_2d_equals_addons(index):
    data, expected = _case(f"argmax_{index}"), _case(f"unpool_{index}")
    layer = layers.MaxUnpooling2D(tuple(data["pool_size"]), tuple(data["strides"]), str(data["padding"]))
    output, (grad,) = _value_and_input_gradients(lambda u: layer(u, data["argmax"]), expected["projection"],
                                                 data["values"])
    np.testing.assert_allclose(output, expected["output"], rtol=1e-6, atol=0)
    np.testing.assert_allclose(grad, expected["grad_updates"], rtol=1e-6, atol=0)


# MaxUnpooling2DV2 back to the pooled input's own size: as MaxUnpooling2D, exact.
@pytest.mark.parametrize("index", POOLS)
def test_max_unpooling_2d_v2_equals_addons(index):
    data, expected = _case(f"argmax_{index}"), _case(f"unpool_v2_{index}")
    layer = layers.MaxUnpooling2DV2(data["x"].shape)
    output, (grad,) = _value_and_input_gradients(lambda u: layer(u, data["argmax"]), expected["projection"],
                                                 data["values"])
    np.testing.assert_allclose(output, expected["output"], rtol=1e-6, atol=0)
    np.testing.assert_allclose(grad, expected["grad_updates"], rtol=1e-6, atol=0)


def test_max_unpooling_2d_v2_serves_any_batch_and_checks_its_arguments():
    x = np.random.default_rng(0).standard_normal((3, 7, 5, 2)).astype("float32")
    values, argmax = dlx_ops.max_pool_with_argmax(x, 2, 2, "valid")  # 7x5 -> 3x2, the last row and column unread
    y = _np(layers.MaxUnpooling2DV2((1, 7, 5, 2))(values, argmax))
    np.testing.assert_array_equal(y[y != 0], x[y != 0])
    assert np.count_nonzero(y) == np.size(_np(values))
    for bad in ((7, 5, 2), (1, 0, 5, 2), "7x5"):
        with pytest.raises(ValueError, match="output_size"):
            layers.MaxUnpooling2DV2(bad)
    with pytest.raises(ValueError, match="channels"):
        layers.MaxUnpooling2DV2((1, 7, 5, 3))(values, argmax)
    config = layers.MaxUnpooling2DV2((1, 7, 5, 2)).get_config()
    assert layers.MaxUnpooling2DV2.from_config(config).get_config() == config


def test_max_unpooling_2d_inverts_a_tiling_max_pool():
    x = np.random.default_rng(0).standard_normal((2, 6, 8, 3)).astype("float32")
    values, argmax = dlx_ops.max_pool_with_argmax(x, 2, 2, "same")
    y = _np(layers.MaxUnpooling2D(padding="same")(values, argmax))
    np.testing.assert_array_equal(y[y != 0], x[y != 0])
    assert np.count_nonzero(y) == values.shape[1] * values.shape[2] * 3 * 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(pool_size=(2, 0)), "pool_size"), (dict(strides="2"), "strides"), (dict(padding="full"), "padding"),
])
def test_max_unpooling_2d_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.MaxUnpooling2D(**kwargs)


def test_max_unpooling_2d_rejects_bad_inputs():
    with pytest.raises(ValueError, match="input_shape"):
        layers.MaxUnpooling2D()(np.zeros((2, 3, 3), "float32"), np.zeros((2, 3, 3), "int32"))
    with pytest.raises(ValueError, match="`mask` must have the shape"):
        layers.MaxUnpooling2D()(np.zeros((2, 3, 3, 2), "float32"), np.zeros((2, 3, 4, 2), "int32"))


def test_max_unpooling_2d_config_stores_addons_padding():
    layer = layers.MaxUnpooling2D(pool_size=3, strides=(1, 2), padding="valid")
    config = layer.get_config()
    assert (config["pool_size"], config["strides"], config["padding"]) == ((3, 3), (1, 2), "VALID")
    assert layers.MaxUnpooling2D.from_config(config).get_config() == config


def test_segnet_style_encoder_decoder_fits_with_jit():
    inputs = keras.Input((8, 8, 2))
    features = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    values, argmax = dlx_ops.max_pool_with_argmax(features, 2, 2, "same")
    outputs = keras.layers.Conv2D(2, 3, padding="same")(layers.MaxUnpooling2D()(values, argmax))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    x = np.random.default_rng(0).standard_normal((4, 8, 8, 2)).astype("float32")
    before = model.get_weights()
    loss = model.fit(x, x, epochs=1, batch_size=4, verbose=0).history["loss"][0]
    assert np.isfinite(loss)
    assert not np.array_equal(before[0], model.get_weights()[0])


# Recurrent cells: the recorded weights assigned by name, then output and input gradient over the sequence.
def _assign_recorded(layer, data):
    recorded = {name[len("weight/"):]: value for name, value in data.items() if name.startswith("weight/")}
    assert sorted(recorded) == sorted(v.path.split("/")[-1] for v in layer.weights)
    for v in layer.weights:
        v.assign(recorded[v.path.split("/")[-1]])


RECURRENT = [
    ("nas_0", lambda: keras.layers.RNN(layers.NASCell(4), return_sequences=True)),
    ("nas_1", lambda: keras.layers.RNN(layers.NASCell(4, projection=3, use_bias=True), return_sequences=True)),
    ("lnrnn_0", lambda: keras.layers.RNN(layers.LayerNormSimpleRNNCell(4), return_sequences=True)),
    ("lnrnn_1", lambda: keras.layers.RNN(layers.LayerNormSimpleRNNCell(3, use_bias=False, layernorm_epsilon=1e-3),
                                         return_sequences=True)),
    ("esn_0", lambda: layers.ESN(6, connectivity=0.5, leaky=0.7, spectral_radius=0.9, return_sequences=True)),
    ("esn_1", lambda: layers.ESN(5, connectivity=0.8, leaky=1.0, spectral_radius=0.5, use_norm2=True,
                                 use_bias=False, activation="sigmoid")),
]


# float32 through 5-6 recurrent steps (matmuls, a layer normalization): outputs and input gradients within
# 1e-5 relative, 1e-6 absolute (measured: at most 7e-7 absolute).
@pytest.mark.parametrize("prefix, make", RECURRENT, ids=[p for p, _ in RECURRENT])
def test_recurrent_cells_equal_addons(prefix, make):
    data = _case(prefix)
    layer = make()
    layer(data["x"])
    _assign_recorded(layer, data)
    output, (grad,) = _value_and_input_gradients(layer, data["projection"], data["x"])
    np.testing.assert_allclose(output, data["output"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, data["grad_x"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_norm2", [False, True])
def test_esn_reservoir_is_sparse_scaled_and_fixed(use_norm2):
    layer = layers.ESN(40, connectivity=0.25, spectral_radius=0.6, use_norm2=use_norm2)
    layer(np.zeros((1, 2, 3), "float32"))
    reservoir = _np(layer.cell.recurrent_kernel).astype("float64")
    measured = np.sqrt(np.sum(reservoir ** 2)) if use_norm2 else np.max(np.abs(np.linalg.eigvals(reservoir)))
    np.testing.assert_allclose(measured, 0.6, rtol=1e-5)
    assert 0.15 < np.count_nonzero(reservoir) / reservoir.size < 0.35  # 1600 entries kept with probability 1/4
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    # Addons' recorded reservoir has the same scaling.
    np.testing.assert_allclose(FIXTURE["esn_0/spectral_radius"], 0.9, rtol=1e-5)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.NASCell(0), "units"), (lambda: layers.NASCell(3, projection=0), "projection"),
    (lambda: layers.NASCell(3, use_bias=1), "use_bias"),
    (lambda: layers.NASCell(3, projection_initializer="no_such"), "projection_initializer"),
    (lambda: layers.LayerNormSimpleRNNCell(-1), "units"),
    (lambda: layers.LayerNormSimpleRNNCell(3, layernorm_epsilon=0), "layernorm_epsilon"),
    (lambda: layers.LayerNormSimpleRNNCell(3, dropout=1.5), "dropout"),
    (lambda: layers.LayerNormSimpleRNNCell(3, gamma_initializer="no_such"), "gamma_initializer"),
    (lambda: layers.LayerNormSimpleRNNCell(3, gamma_constraint="no_such"), "gamma_constraint"),
    (lambda: layers.ESNCell(3, connectivity=1.5), "connectivity"), (lambda: layers.ESNCell(3, leaky=-0.1), "leaky"),
    (lambda: layers.ESNCell(3, spectral_radius=0), "spectral_radius"),
    (lambda: layers.ESNCell(3, use_norm2="yes"), "use_norm2"), (lambda: layers.ESN(3, unroll=None), "unroll"),
])
def test_recurrent_cells_reject_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("cell", [
    lambda: layers.NASCell(3, projection=2, use_bias=True, projection_initializer="ones"),
    lambda: layers.LayerNormSimpleRNNCell(3, layernorm_epsilon=1e-3, gamma_initializer="zeros", dropout=0.2),
    lambda: layers.ESNCell(3, connectivity=0.5, leaky=0.3, spectral_radius=0.5, use_norm2=True, use_bias=False),
])
def test_recurrent_cell_configs_round_trip(cell):
    cell = cell()
    config = cell.get_config()
    assert type(cell).from_config(config).get_config() == config


def test_recurrent_cells_fit_with_jit():
    inputs, esn = keras.Input((3, 3)), layers.ESN(4)
    features = keras.layers.Concatenate()([
        keras.layers.RNN(layers.NASCell(3, projection=2))(inputs),
        keras.layers.RNN(layers.LayerNormSimpleRNNCell(3, dropout=0.1))(inputs), esn(inputs)])
    model = keras.Model(inputs, keras.layers.Dense(1)(features))
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    x = np.random.default_rng(0).standard_normal((4, 3, 3)).astype("float32")
    before = [_np(v).copy() for v in model.trainable_variables]
    fixed = [_np(v).copy() for v in esn.weights]
    assert np.isfinite(model.fit(x, x[:, 0, :1], epochs=1, batch_size=4, verbose=0).history["loss"][0])
    assert all(not np.array_equal(b, _np(v)) for b, v in zip(before, model.trainable_variables))
    assert all(np.array_equal(f, _np(v)) for f, v in zip(fixed, esn.weights))


# NetVLAD: softmax, one contraction and two normalizations in float32: 1e-5 relative, 1e-6 absolute.
def test_netvlad_equals_addons():
    data = _case("netvlad")
    layer = layers.NetVLAD(3)
    layer(data["x"])
    layer.fc.kernel.assign(data["fc_kernel"])
    layer.fc.bias.assign(data["fc_bias"])
    layer.cluster_centers.assign(data["cluster_centers"])
    output, (grad,) = _value_and_input_gradients(layer, data["projection"], data["x"])
    np.testing.assert_allclose(output, data["output"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, data["grad_x"], rtol=1e-5, atol=1e-6)
    assert len(layer.losses) == 1  # Addons' L2(1e-5) on the assignment kernel


def test_netvlad_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="num_clusters"):
        layers.NetVLAD(0)
    with pytest.raises(ValueError, match="input_shape"):
        layers.NetVLAD(2)(np.zeros((2, 3), "float32"))


# CorrelationCost: sums of kernel_size^2 * channels float32 products in another order than Addons' kernel:
# 1e-5 relative, 1e-6 absolute (measured: at most 1e-7).
@pytest.mark.parametrize("index", range(5))
def test_correlation_cost_equals_addons(index):
    data = _case(f"corr_{index}")
    layer = layers.CorrelationCost(*(int(v) for v in data["params"]), str(data["data_format"]))
    output, (grad_a, grad_b) = _value_and_input_gradients(lambda a, b: layer([a, b]), data["projection"],
                                                          data["a"], data["b"])
    np.testing.assert_allclose(output, data["output"], rtol=1e-5, atol=1e-6)
    assert tuple(layer.compute_output_shape([data["a"].shape] * 2)) == data["output"].shape
    np.testing.assert_allclose(grad_a, data["grad_a"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_b, data["grad_b"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel_size=2), "kernel_size"), (dict(kernel_size=0), "kernel_size"),
    (dict(max_displacement=-1), "max_displacement"), (dict(stride_1=0), "stride_1"),
    (dict(stride_2=1.5), "stride_2"), (dict(pad=-2), "pad"), (dict(data_format="nhwc"), "data_format"),
])
def test_correlation_cost_rejects_bad_arguments(kwargs, match):
    arguments = dict(kernel_size=1, max_displacement=2, stride_1=1, stride_2=1, pad=2,
                     data_format="channels_last")
    with pytest.raises(ValueError, match=match):
        layers.CorrelationCost(**{**arguments, **kwargs})


def test_correlation_cost_rejects_bad_inputs():
    layer = layers.CorrelationCost(1, 2, 1, 1, 0, "channels_last")
    x = np.zeros((1, 3, 3, 2), "float32")
    with pytest.raises(ValueError, match="list of two"):
        layer(x)
    with pytest.raises(ValueError, match="same shape"):
        layer([np.zeros((1, 6, 6, 2), "float32"), np.zeros((1, 6, 6, 3), "float32")])
    with pytest.raises(ValueError, match="must exceed"):
        layer([x, x])


def test_correlation_cost_flow_model_fits_with_jit():
    first, second = keras.Input((6, 6, 3)), keras.Input((6, 6, 3))
    conv = keras.layers.Conv2D(4, 3, padding="same")
    cost = layers.CorrelationCost(1, 1, 1, 1, 1, "channels_last")([conv(first), conv(second)])
    model = keras.Model([first, second], keras.layers.Conv2D(2, 1)(cost))
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((2, 6, 6, 3)).astype("float32") for _ in range(2))
    before = _np(conv.kernel).copy()
    loss = model.fit([a, b], np.zeros((2, 6, 6, 2), "float32"), epochs=1, verbose=0).history["loss"][0]
    assert np.isfinite(loss) and not np.array_equal(before, _np(conv.kernel))
