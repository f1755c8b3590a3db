"""applications.update_batch_norm_statistics: exact averages of the batch statistics, nothing else changes."""

import keras
import numpy as np
import pytest

from keras_dlx import applications, layers


def test_moving_statistics_become_the_average_of_the_batch_statistics():
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal((96, 4)) + 1).astype("float32")
    inputs = keras.Input((4,))
    dense = keras.layers.Dense(3)
    norm = keras.layers.BatchNormalization(momentum=0.99)
    model = keras.Model(inputs, norm(dense(inputs)))
    weights = [w.copy() for w in model.get_weights()]
    assert applications.update_batch_norm_statistics(model, x, batch_size=32) == 1
    h = keras.ops.convert_to_numpy(dense(x)).reshape(3, 32, 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm.moving_mean), h.mean(1).mean(0), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm.moving_variance), h.var(1).mean(0), rtol=1e-4)
    assert norm.momentum == 0.99
    for before, after, variable in zip(weights, model.get_weights(), model.weights):
        if "moving" not in variable.path:
            np.testing.assert_array_equal(before, after)


def test_nested_batch_norms_inside_keras_dlx_blocks_are_found():
    model = keras.Sequential([keras.Input((8, 8, 4)), layers.ResidualBlock(4, kind="basic", strides=2)])
    from keras_dlx.applications.batch_norm_statistics import batch_norm_layers

    found = batch_norm_layers(model)
    assert len(found) == 3  # two convolutions and the projection shortcut
    x = np.random.default_rng(1).standard_normal((16, 8, 8, 4)).astype("float32")
    before = [keras.ops.convert_to_numpy(n.moving_mean).copy() for n in found]
    applications.update_batch_norm_statistics(model, x, batch_size=8, steps=1)
    assert all(not np.array_equal(b, keras.ops.convert_to_numpy(n.moving_mean)) for b, n in zip(before, found))


@pytest.mark.parametrize("kwargs, name", [
    (dict(batch_size=0), "batch_size"), (dict(batch_size=2.5), "batch_size"), (dict(steps=0), "steps"),
    (dict(model="resnet"), "model"), (dict(x=np.zeros((0, 4), "float32")), "x"),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
    call = {"model": model, "x": np.ones((8, 4), "float32"), **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        applications.update_batch_norm_statistics(**call)
