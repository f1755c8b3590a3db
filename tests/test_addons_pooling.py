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
