"""The normalization family against independent NumPy references (float64), and against Keras/TensorFlow."""

import keras
import numpy as np
import pytest

from keras_dlx import layers
from tests import reference
from tests.reference import EXACT64

RNG = np.random.default_rng(0)


def randn(*shape, scale=1.0, shift=0.0):
    return RNG.standard_normal(shape) * scale + shift


def run(layer, x, **kwargs):
    return keras.ops.convert_to_numpy(layer(x, **kwargs))


def group_norm_reference(x, groups, axis, epsilon, gamma, beta):
    x = np.moveaxis(x, axis, -1)
    n, c = x.shape[0], x.shape[-1]
    g = x.reshape(n, -1, groups, c // groups)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = ((g - mean) ** 2).mean(axis=(1, 3), keepdims=True)
    y = ((g - mean) / np.sqrt(var + epsilon)).reshape(x.shape) * gamma + beta
    return np.moveaxis(y, -1, axis)


@pytest.mark.parametrize("shape, groups, axis", [
    ((3, 7, 6, 8), 4, -1), ((3, 8, 6, 5), 2, 1), ((2, 12), 3, -1), ((2, 4, 3, 3, 6), 6, -1), ((2, 6, 5), 1, 1),
])
def test_group_normalization_matches_reference(shape, groups, axis):
    x = randn(*shape, scale=3.0, shift=1.5)
    layer = layers.GroupNormalization(groups, axis=axis, epsilon=1e-5, dtype="float64")
    layer(x)
    gamma, beta = randn(shape[axis]), randn(shape[axis])
    layer.set_weights([gamma, beta])
    expected = group_norm_reference(x, groups, axis, 1e-5, gamma, beta)
    np.testing.assert_allclose(run(layer, x, training=True), expected, **EXACT64)
    np.testing.assert_allclose(run(layer, x, training=False), expected, **EXACT64)


@pytest.mark.parametrize("groups", [1, 4, -1])
def test_group_normalization_equals_keras(groups):
    x = randn(2, 6, 6, 8).astype("float32")
    ours, peer = layers.GroupNormalization(groups), keras.layers.GroupNormalization(groups)
    ours(x), peer(x)
    weights = [randn(8).astype("float32"), randn(8).astype("float32")]
    ours.set_weights(weights), peer.set_weights(weights)
    np.testing.assert_allclose(run(ours, x), run(peer, x), atol=1e-5)


@pytest.mark.parametrize("shape, axis", [((2, 9, 3), -1), ((2, 5, 6, 4), -1), ((2, 3, 4, 4, 2), -1),
                                         ((2, 4, 5, 6), 1)])
def test_instance_normalization_matches_reference(shape, axis):
    x = randn(*shape, scale=2.0, shift=-3.0)
    layer = layers.InstanceNormalization(axis=axis, dtype="float64")
    assert layer.epsilon == 1e-3  # TensorFlow Addons' default
    out = run(layer, x)
    moved = np.moveaxis(x, axis, -1)
    spatial = tuple(range(1, moved.ndim - 1))
    mean, var = moved.mean(spatial, keepdims=True), moved.var(spatial, keepdims=True)
    expected = np.moveaxis((moved - mean) / np.sqrt(var + 1e-3), -1, axis)
    np.testing.assert_allclose(out, expected, **EXACT64)


def test_instance_normalization_equals_keras_group_norm_per_channel():
    x = randn(2, 8, 8, 5).astype("float32")
    np.testing.assert_allclose(run(layers.InstanceNormalization(), x),
                               run(keras.layers.GroupNormalization(groups=-1), x), atol=1e-5)


@pytest.mark.parametrize("layer", [lambda: layers.GroupNormalization(4), lambda: layers.InstanceNormalization()])
def test_float16_statistics_do_not_overflow_at_large_magnitude(layer):
    # x^2 of 300 already overflows float16 (max 65504); the statistics must be float32.
    x = randn(2, 6, 6, 8, scale=1e3, shift=2e3).astype("float32")
    reference = run(layer(), x)
    mixed = layer()
    mixed.dtype_policy = keras.DTypePolicy("mixed_float16")
    y = keras.ops.convert_to_numpy(keras.ops.cast(mixed(x), "float32"))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, reference, atol=2e-2)


def lrn_reference(x, n, k, alpha, beta):
    """AlexNet / TensorFlow LRN: window clipped at the channel edges, alpha not divided by n."""
    c = x.shape[-1]
    out = np.empty_like(x)
    for i in range(c):
        lo, hi = max(0, i - n // 2), min(c - 1, i + n // 2)
        out[..., i] = x[..., i] / (k + alpha * (x[..., lo:hi + 1] ** 2).sum(-1)) ** beta
    return out


def torch_lrn_reference(x, size, alpha, beta, k):
    """torch.nn.LocalResponseNorm: zero-padded window, divisor `size` everywhere (PyTorch's definition)."""
    sq = np.pad(x ** 2, [(0, 0)] * (x.ndim - 1) + [(size // 2, (size - 1) // 2)])
    window = np.stack([sq[..., i:i + size].sum(-1) for i in range(x.shape[-1])], -1)
    return x / (k + alpha / size * window) ** beta


PARAMS = [(5, 2.0, 1e-4, 0.75), (3, 1.0, 0.5, 0.5), (7, 0.5, 0.1, 1.3), (1, 1.0, 1.0, 0.25)]


@pytest.mark.parametrize("n, k, alpha, beta", PARAMS)
def test_lrn_matches_reference(n, k, alpha, beta):
    x = randn(2, 4, 3, 9, scale=3.0)
    layer = layers.LRN(depth=n, bias=k, alpha=alpha, beta=beta, dtype="float64")
    np.testing.assert_allclose(run(layer, x), lrn_reference(x, n, k, alpha, beta), **EXACT64)
    moved = layers.LRN(depth=n, bias=k, alpha=alpha, beta=beta, axis=1, dtype="float64")
    np.testing.assert_allclose(run(moved, np.moveaxis(x, -1, 1)),
                               np.moveaxis(lrn_reference(x, n, k, alpha, beta), -1, 1), **EXACT64)


@pytest.mark.tensorflow_only  # compares with tf.nn
@pytest.mark.parametrize("n, k, alpha, beta", PARAMS)
def test_lrn_equals_tf_nn_local_response_normalization(n, k, alpha, beta):
    import tensorflow as tf

    x = randn(2, 7, 7, 20, scale=4.0).astype("float32")
    expected = tf.nn.local_response_normalization(x, n // 2, k, alpha, beta).numpy()
    np.testing.assert_allclose(run(layers.LRN.from_tensorflow(n // 2, k, alpha, beta), x), expected, rtol=2e-6)


def test_lrn_wide_channels_use_the_cumulative_sum_path():
    x = randn(1, 2, 1100, scale=2.0)
    layer = layers.LRN(depth=5, alpha=0.01, dtype="float64")
    np.testing.assert_allclose(run(layer, x), lrn_reference(x, 5, 2.0, 0.01, 0.75),
                               **(EXACT64 if keras.backend.backend() == "torch" else dict(rtol=1e-9)))
    assert layer._band is None


def test_lrn_alexnet_defaults_and_conversions():
    alexnet = layers.LRN()
    assert (alexnet.depth, alexnet.bias, alexnet.alpha, alexnet.beta) == (5, 2.0, 1e-4, 0.75)
    torch = layers.LRN.from_pytorch(size=5, alpha=5e-4, beta=0.75, k=2.0)
    tf_layer = layers.LRN.from_tensorflow(2, 2.0, 1e-4, 0.75)
    for other in (torch, tf_layer):
        assert (other.depth, other.bias, other.beta) == (5, 2.0, 0.75) and np.isclose(other.alpha, 1e-4)
    assert layers.LRN is layers.LocalResponseNormalization
    assert layers.LRN(size=3).depth == 3


@pytest.mark.parametrize("size", [3, 5])
def test_lrn_from_pytorch_matches_torch_definition(size):
    x = randn(2, 3, 3, 8, scale=3.0)
    layer = layers.LRN.from_pytorch(size, alpha=0.3, beta=0.8, k=1.5, dtype="float64")
    np.testing.assert_allclose(run(layer, x), torch_lrn_reference(x, size, 0.3, 0.8, 1.5), **EXACT64)
    caffe = layers.LRN.from_caffe(size, alpha=0.3, beta=0.8, k=1.5, dtype="float64")
    np.testing.assert_allclose(run(caffe, x), torch_lrn_reference(x, size, 0.3, 0.8, 1.5), **EXACT64)


def test_lrn_within_channel_matches_caffe_definition():
    x = randn(2, 6, 5, 3, scale=2.0)
    n, alpha, beta = 3, 0.9, 0.75
    layer = layers.LRN.from_caffe(n, alpha=alpha, beta=beta, norm_region="WITHIN_CHANNEL", dtype="float64")
    sq = np.pad(x ** 2, [(0, 0), (1, 1), (1, 1), (0, 0)])
    window = sum(sq[:, dy:dy + 6, dx:dx + 5] for dy in range(n) for dx in range(n))
    np.testing.assert_allclose(run(layer, x), x * (1 + alpha / n ** 2 * window) ** -beta, **EXACT64)


@pytest.mark.parametrize("call", [
    lambda: layers.LRN(depth=4), lambda: layers.LRN(depth=0), lambda: layers.LRN.from_pytorch(size=4),
    lambda: layers.LRN.from_tensorflow(depth_radius=-1), lambda: layers.LRN(beta=-0.5),
    lambda: layers.LRN.from_caffe(norm_region="SOMEWHERE"), lambda: layers.LRN(depth=3, size=5),
])
def test_lrn_bad_arguments(call):
    with pytest.raises(ValueError, match="Received"):
        call()


def wn_reference_kernel(v, g, output_axis):
    axes = tuple(i for i in range(v.ndim) if i != output_axis % v.ndim)
    shape = [1] * v.ndim
    shape[output_axis] = -1
    return g.reshape(shape) * v / np.sqrt((v ** 2).sum(axes, keepdims=True))


@pytest.mark.parametrize("make, shape, output_axis", [
    (lambda: keras.layers.Dense(4, activation="tanh"), (5, 3), -1),
    (lambda: keras.layers.Conv2D(4, 3, padding="same"), (2, 6, 6, 3), -1),
    (lambda: layers.GroupConv2DTranspose(4, 3, strides=2, groups=2), (2, 3, 3, 4), -2),
    (lambda: layers.GroupConv2D(4, 3, groups=2, data_format="channels_first"), (2, 4, 6, 6), -1),
])
def test_weight_normalization_computes_g_times_direction(make, shape, output_axis):
    x = randn(*shape)
    plain = make()
    plain.dtype_policy = keras.DTypePolicy("float64")
    wrapped = layers.WeightNormalization(make(), dtype="float64")
    before = None
    wrapped(x)
    plain(x)
    plain.set_weights(wrapped.layer.get_weights())
    before = run(plain, x)
    np.testing.assert_allclose(run(wrapped, x), before, **EXACT64)  # g starts at ||v||: nothing changes
    wrapped.g.assign(randn(*wrapped.g.shape))
    kernel = wn_reference_kernel(wrapped.layer.kernel.numpy(), wrapped.g.numpy(), output_axis)
    plain.kernel.assign(kernel)
    np.testing.assert_allclose(run(wrapped, x), run(plain, x), **EXACT64)
    baked = wrapped.bake()
    assert type(baked) is type(wrapped.layer)
    np.testing.assert_allclose(run(baked, x), run(wrapped, x), **EXACT64)


def test_weight_normalization_data_init_standardizes_the_first_batch():
    x = randn(64, 3, scale=4.0, shift=2.0).astype("float32")
    wrapped = layers.WeightNormalization(keras.layers.Dense(5, activation="relu"), data_init=True)
    wrapped(x, training=True)
    pre_activation = x @ keras.ops.convert_to_numpy(wrapped.normalized_kernel()) + wrapped.layer.bias.numpy()
    np.testing.assert_allclose(pre_activation.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(pre_activation.std(0), 1, atol=1e-4)
    g = wrapped.g.numpy().copy()
    wrapped(x * 10, training=True)
    np.testing.assert_array_equal(wrapped.g.numpy(), g)  # once only
    inference_only = layers.WeightNormalization(keras.layers.Dense(5), data_init=True)
    inference_only(x)
    assert not inference_only.initialized.numpy()  # waits for a training batch


@pytest.mark.skipif(keras.backend.backend() == "jax",
                    reason="Keras's JAX trainer keeps a step's non-trainable assignments only, not g or the bias")
def test_weight_normalization_data_init_inside_fit():
    x = randn(32, 4).astype("float32")
    inputs = keras.Input((4,))
    wrapped = layers.WeightNormalization(keras.layers.Dense(3), data_init=True)
    model = keras.Model(inputs, wrapped(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    model.fit(x, np.zeros((32, 3)), batch_size=32, epochs=1, verbose=0)
    assert wrapped.initialized.numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0).std(0), 1, atol=1e-3)


@pytest.mark.parametrize("layer", [keras.layers.ReLU(), keras.layers.BatchNormalization()])
def test_weight_normalization_needs_a_kernel(layer):
    with pytest.raises(ValueError, match="`layer`.*kernel"):
        layers.WeightNormalization(layer)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="layer='dense'"):
        layers.WeightNormalization("dense")


@pytest.mark.parametrize("learned, tlu", [(False, True), (True, False)])
def test_filter_response_normalization_matches_reference(learned, tlu):
    x = randn(3, 5, 4, 6, scale=2.0, shift=0.5)
    layer = layers.FilterResponseNormalization(learned_epsilon=learned, use_tlu=tlu, dtype="float64")
    layer(x)
    for w in layer.weights:
        w.assign(randn(*w.shape))
    weights = {w.name: w.numpy() for w in layer.weights}
    epsilon = 1e-6 + (abs(weights["learned_epsilon"]) if learned else 0.0)
    y = weights["gamma"] * x / np.sqrt((x ** 2).mean((1, 2), keepdims=True) + epsilon) + weights["beta"]
    if tlu:
        y = np.maximum(y, weights["tau"])
    np.testing.assert_allclose(run(layer, x), y, **reference.FLOAT64)  # keras.ops.mean
