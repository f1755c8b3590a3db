"""Expectations from the peers' own test suites (Keras 3.15, TensorFlow Addons 0.23) for the normalization family.

The expected numbers are facts taken from those suites or from running the peers; the test code is ours.
"""

import keras
import numpy as np
import pytest

from keras_dlx import layers


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_filter_response_normalization_defaults_compute_what_addons_computes():
    # Addons 0.23 FilterResponseNormalization()(x) for this input: no TLU inside, negatives kept.
    x = np.array([-1.0, 2.0, -3.0, 0.5], "float32").reshape(1, 2, 2, 1)
    layer = layers.FilterResponseNormalization()
    np.testing.assert_allclose(numpy(layer(x)).ravel(), [-0.5298, 1.0596, -1.5894, 0.2649], atol=1e-4)
    assert [w.name for w in layer.weights] == ["gamma", "beta"]


def test_filter_response_normalization_learned_epsilon_exists_before_build_with_addons_shape():
    layer = layers.FilterResponseNormalization(learned_epsilon=True)
    assert not layer.built and tuple(layer.eps_learned.shape) == (1,)
    np.testing.assert_allclose(numpy(layer.eps_learned), [1e-4])
    layer(np.ones((1, 2, 2, 3), "float32"))
    assert [w.name for w in layer.weights] == ["learned_epsilon", "gamma", "beta"]


def test_filter_response_normalization_with_tlu_clamps_at_tau():
    x = np.array([-1.0, 2.0, -3.0, 0.5], "float32").reshape(1, 2, 2, 1)
    np.testing.assert_allclose(numpy(layers.FilterResponseNormalization(use_tlu=True)(x)).ravel(),
                               [0.0, 1.0596, 0.0, 0.2649], atol=1e-4)


@pytest.mark.parametrize("affine", [False, True])
def test_tlu_matches_its_formula(affine):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5)).astype("float32")
    layer = layers.TLU(affine=affine)
    layer(x)
    tau = rng.standard_normal((4, 5)).astype("float32")
    alpha = rng.standard_normal((4, 5)).astype("float32")
    layer.set_weights([tau, alpha] if affine else [tau])
    expected = np.maximum(x, alpha * x + tau) if affine else np.maximum(x, tau)
    np.testing.assert_allclose(numpy(layer(x)), expected, atol=1e-6)


def test_tlu_shared_axes_give_one_threshold_per_channel():
    layer = layers.TLU(shared_axes=[1, 2])
    layer(np.zeros((2, 6, 6, 5), "float32"))
    assert tuple(layer.tau.shape) == (1, 1, 5)


@pytest.mark.parametrize("make", [
    lambda: layers.GroupNormalization(axis=0), lambda: layers.InstanceNormalization(axis=0),
    lambda: layers.FilterResponseNormalization(axis=0), lambda: layers.LocalResponseNormalization(axis=0),
    lambda: layers.SwitchableNormalization(axis=0),
])
def test_batch_axis_is_rejected_at_construction(make):
    # Addons rejects GroupNormalization(axis=0) when the layer is made, not when it is first called.
    with pytest.raises(ValueError, match="axis=0"):
        make()


@pytest.mark.parametrize("make", [
    lambda dtype: layers.GroupNormalization(groups=2, dtype=dtype),
    lambda dtype: layers.InstanceNormalization(dtype=dtype),
    lambda dtype: layers.FilterResponseNormalization(dtype=dtype),
    lambda dtype: layers.LocalResponseNormalization(depth=3, dtype=dtype),
    lambda dtype: layers.SwitchableNormalization(dtype=dtype),
])
def test_mixed_float16_with_inputs_beyond_the_float16_range_equals_float32(make):
    # Keras's GroupNormalization gives finite outputs here; float16 holds at most 65504.
    rng = np.random.default_rng(0)
    x = (7e4 * rng.standard_normal((2, 4, 4, 4))).astype("float32")
    mixed, full = make("mixed_float16"), make("float32")
    mixed(x)
    full(x)
    full.set_weights(mixed.get_weights())
    y = numpy(mixed(x))
    assert y.dtype == np.float16 and np.all(np.isfinite(y))
    np.testing.assert_allclose(y.astype("float32"), numpy(full(x)), atol=2e-2, rtol=2e-3)


def test_keras_group_normalization_is_finite_on_the_same_input():
    # The peer the issue names, checked on this Keras: the expectation above is Keras's behaviour.
    x = np.full((2, 4, 4, 4), 7e4, "float32") * np.random.default_rng(0).standard_normal((2, 4, 4, 4))
    y = numpy(keras.layers.GroupNormalization(groups=2, dtype="mixed_float16")(x.astype("float32")))
    assert np.all(np.isfinite(y))
