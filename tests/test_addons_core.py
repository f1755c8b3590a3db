"""keras_dlx's core activations and layers equal TensorFlow Addons 0.23's (fixtures: tests/fixtures/addons/core.npz,
recorded by tests/fixtures/addons/record_core.py).

Each comparison feeds the recorded inputs and weights and checks the output and the gradients of
sum(output * R) w.r.t. inputs and weights. Tolerances are float32: relative 1e-5 with an absolute floor of 1e-6
unless a case says otherwise. Intended differences: rrelu's and StochasticDepth's random draws and NoisyDense's
noise come from Keras's random stream, not TensorFlow's, so for those the tests check the distribution's
support and structure instead of values; given noise (assigned to `eps_kernel`/`eps_bias`) gives Addons' values.
"""

import os
import tempfile

import keras
import numpy as np
import pytest

from keras_dlx import activations, layers
from tests.addons_fixtures import load

FX = load("core")
RTOL, ATOL = 1e-5, 1e-6


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _gradients(loss, arrays):
    """Gradients of the scalar `loss(*arrays)` w.r.t. every array, on the current backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.convert_to_tensor(a) for a in arrays]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            value = loss(*tensors)
        return [_np(g) for g in tape.gradient(value, tensors)]
    if backend == "jax":
        import jax

        return [np.asarray(g) for g in jax.grad(loss, argnums=tuple(range(len(arrays))))(*arrays)]
    if backend == "torch":
        import torch

        tensors = [torch.tensor(np.asarray(a), requires_grad=True) for a in arrays]
        return [g.detach().cpu().numpy() for g in torch.autograd.grad(loss(*tensors), tensors)]
    raise NotImplementedError(backend)


def check_case(case, fn, inputs, layer=None, weights=(), rtol=RTOL, atol=ATOL):
    """`fn(*inputs)` (with `layer`'s trainable `weights` as given in the fixture) equals Addons' output, and so do
    the gradients of sum(output * R) w.r.t. the inputs and those weights."""
    arrays = [FX[f"{case}/{name}"] for name in inputs]
    names = list(inputs)
    if layer is not None:
        by_name = {v.path.split("/")[-1]: v for v in layer.trainable_variables}
        assert sorted(by_name) == sorted(weights), f"{case}: weights {sorted(by_name)} != {sorted(weights)}"
        for name in weights:
            by_name[name].assign(FX[f"{case}/{name}"])
        order = [v.path.split("/")[-1] for v in layer.trainable_variables]
        non_trainable = [_np(v) for v in layer.non_trainable_variables]
        count = len(names)

        def call(*tensors):
            out, _ = layer.stateless_call(list(tensors[count:]), non_trainable, *fn(*tensors[:count]))
            return out

        arrays += [FX[f"{case}/{name}"] for name in order]
        names += order
    else:
        call = fn
    tensors = [keras.ops.convert_to_tensor(a) for a in arrays]  # stateless_call takes tensors on every backend
    np.testing.assert_allclose(_np(call(*tensors)), FX[f"{case}/y"], rtol=rtol, atol=atol, err_msg=case)
    projection = keras.ops.convert_to_tensor(FX[f"{case}/R"])
    grads = _gradients(lambda *a: keras.ops.sum(keras.ops.multiply(call(*a), projection)), arrays)
    for name, grad in zip(names, grads):
        key = f"{case}/d_{name}"
        if key in FX:
            np.testing.assert_allclose(grad, FX[key], rtol=rtol, atol=atol, err_msg=f"{case}: d {name}")
        elif name in inputs:  # Addons has no gradient w.r.t. this input (integer indices)
            assert False, f"{case}: no recorded gradient for {name}"


def _built(layer, *shapes):
    layer.build(shapes[0] if len(shapes) == 1 else list(shapes))
    return layer


# Activations -------------------------------------------------------------------------------------------------

def test_lisht_equals_addons():
    check_case("lisht", activations.lisht, ["x"])


def test_snake_equals_addons():
    check_case("snake", lambda x: activations.snake(x, frequency=0.7), ["x"])


@pytest.mark.parametrize("case, kwargs", [("rrelu", {}), ("rrelu_bounds", dict(lower=0.05, upper=0.5))])
def test_rrelu_inference_equals_addons(case, kwargs):
    check_case(case, lambda x: activations.rrelu(x, training=False, **kwargs), ["x"])
    # Inference is one multiplication by the same float32 slope as Addons': bit-equal.
    np.testing.assert_array_equal(_np(activations.rrelu(FX[f"{case}/x"], training=False, **kwargs)), FX[f"{case}/y"])
    # training=None is inference, as in Addons outside fit.
    np.testing.assert_array_equal(_np(activations.rrelu(FX[f"{case}/x"], **kwargs)),
                                  _np(activations.rrelu(FX[f"{case}/x"], training=False, **kwargs)))


def test_rrelu_training_draws_one_slope_per_element_in_bounds():
    x = FX["rrelu_training/x"]  # negative
    addons_slopes = FX["rrelu_training/y"] / x
    ours = _np(activations.rrelu(x, training=True, seed=7)) / x
    for slopes in (addons_slopes, ours):
        assert np.all((slopes >= 0.125 - 1e-6) & (slopes <= 1 / 3 + 1e-6))
    # Different streams (intended): same support, same mean (200 draws of U(1/8, 1/3): std of the mean 0.004).
    assert len(np.unique(ours)) > 150
    assert abs(ours.mean() - (0.125 + 1 / 3) / 2) < 0.02
    np.testing.assert_array_equal(_np(activations.rrelu(x, training=True, seed=7)) / x, ours)
    positive = np.abs(x)
    np.testing.assert_array_equal(_np(activations.rrelu(positive, training=True, seed=1)), positive)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lower=-0.1), "lower"), (dict(lower=0.5, upper=0.2), "upper"), (dict(seed="x"), "seed"),
    (dict(upper="big"), "upper")])
def test_rrelu_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        activations.rrelu(np.ones(3, "float32"), **kwargs)


def test_snake_rejects_zero_frequency():
    with pytest.raises(ValueError, match="frequency"):
        activations.snake(np.ones(3, "float32"), frequency=0)


def test_activation_functions_save_in_keras_files():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation=activations.lisht),
                              keras.layers.Dense(4, activation=activations.snake),
                              keras.layers.Dense(2, activation=activations.rrelu)])
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    assert [layer.activation for layer in loaded.layers] == [activations.lisht, activations.snake,
                                                              activations.rrelu]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


# Layers ------------------------------------------------------------------------------------------------------

def test_snake_layer_equals_addons():
    layer = _built(layers.Snake(), (3, 4))
    check_case("snake_layer", lambda x: (x,), ["x"], layer, ["frequency"])


@pytest.mark.parametrize("case, kwargs", [("maxout_last", dict(num_units=3)), ("maxout_axis1", dict(num_units=2,
                                                                                                     axis=1))])
def test_maxout_equals_addons(case, kwargs):
    layer = layers.Maxout(**kwargs)
    check_case(case, layer, ["x"])


def test_maxout_rejects_num_units_that_do_not_divide_the_axis():
    with pytest.raises(ValueError, match="num_units=4"):
        layers.Maxout(num_units=4)(np.zeros((2, 6), "float32"))
    with pytest.raises(ValueError, match="num_units"):
        layers.Maxout(num_units=0)
    with pytest.raises(ValueError, match="axis"):
        layers.Maxout(num_units=2, axis=3)(np.zeros((2, 6), "float32"))


def test_stochastic_depth_inference_equals_addons():
    layer = layers.StochasticDepth(survival_probability=0.7)
    check_case("stochastic_depth", lambda s, r: layer([s, r], training=False), ["shortcut", "residual"])


def test_stochastic_depth_training_keeps_or_drops_the_whole_branch():
    shortcut, residual = FX["stochastic_depth/shortcut"], FX["stochastic_depth/residual"]
    layer = layers.StochasticDepth(survival_probability=0.5, seed=3)
    kept = []
    for _ in range(40):
        y = _np(layer([shortcut, residual], training=True))
        if np.allclose(y, shortcut + residual, rtol=1e-6):
            kept.append(True)
        else:
            np.testing.assert_allclose(y, shortcut, rtol=1e-6)
            kept.append(False)
    assert 5 < sum(kept) < 35  # P(outside) < 1e-5 for a fair coin
    always = layers.StochasticDepth(survival_probability=1.0)
    never = layers.StochasticDepth(survival_probability=0.0)
    np.testing.assert_allclose(_np(always([shortcut, residual], training=True)), shortcut + residual, rtol=1e-6)
    np.testing.assert_allclose(_np(never([shortcut, residual], training=True)), shortcut, rtol=1e-6)


def test_stochastic_depth_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="survival_probability"):
        layers.StochasticDepth(survival_probability=1.5)
    with pytest.raises(ValueError, match="input"):
        layers.StochasticDepth()(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="same shape"):
        layers.StochasticDepth()([np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")])


@pytest.mark.parametrize("case, combiner, weighted", [("embedding_bag_sum", "sum", False),
                                                      ("embedding_bag_sum_weighted", "sum", True),
                                                      ("embedding_bag_mean", "mean", False)])
def test_embedding_bag_equals_addons(case, combiner, weighted):
    indices = FX[f"{case}/indices"]
    layer = _built(layers.EmbeddingBag(input_dim=10, output_dim=4, combiner=combiner), indices.shape)
    if weighted:
        check_case(case, lambda w: (indices, w), ["weights"], layer, ["embeddings"])
    else:
        check_case(case, lambda: (indices,), [], layer, ["embeddings"])


def test_embedding_bag_rejects_weights_with_mean_and_bad_arguments():
    layer = layers.EmbeddingBag(input_dim=10, output_dim=4, combiner="mean")
    with pytest.raises(ValueError, match="combiner='sum'"):
        layer(np.zeros((2, 3), "int32"), np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="combiner"):
        layers.EmbeddingBag(input_dim=10, output_dim=4, combiner="max")
    with pytest.raises(ValueError, match="input_dim"):
        layers.EmbeddingBag(input_dim=0, output_dim=4)


@pytest.mark.parametrize("case, kwargs", [("noisy_dense", dict(units=4)),
                                          ("noisy_dense_independent", dict(units=4, use_factorised=False,
                                                                           activation="tanh"))])
def test_noisy_dense_with_given_noise_equals_addons(case, kwargs):
    layer = _built(layers.NoisyDense(**kwargs), (3, 5))
    # Addons' noise is drawn from TensorFlow's stream: the recorded noise is assigned, as a user would.
    layer.eps_kernel.assign(FX[f"{case}/eps_kernel"])
    layer.eps_bias.assign(FX[f"{case}/eps_bias"])
    check_case(case, lambda x: (x,), ["x"], layer, ["mu_kernel", "sigma_kernel", "mu_bias", "sigma_bias"])
    layer.remove_noise()
    np.testing.assert_allclose(_np(layer(FX[f"{case}/x"])), FX[f"{case}/y_without_noise"], rtol=RTOL, atol=ATOL)


def _assert_factorised(eps_kernel, eps_bias):
    """eps_kernel[i, j] = f(e_in[i]) * eps_bias[j]: every column divided by eps_bias is the same vector."""
    rows = eps_kernel / eps_bias[None, :]
    np.testing.assert_allclose(rows, np.repeat(rows[:, :1], rows.shape[1], axis=1), rtol=1e-5)


def test_noisy_dense_reset_noise_is_factorised_like_addons():
    _assert_factorised(FX["noisy_dense_reset/eps_kernel"], FX["noisy_dense_reset/eps_bias"])
    layer = _built(layers.NoisyDense(units=6, seed=2), (3, 5))
    first = _np(layer.eps_kernel)
    _assert_factorised(first, _np(layer.eps_bias))
    x = np.ones((2, 5), "float32")
    y = _np(layer(x))
    np.testing.assert_array_equal(_np(layer(x)), y)  # noise changes only at reset_noise
    layer.reset_noise()
    assert not np.allclose(_np(layer.eps_kernel), first)
    _assert_factorised(_np(layer.eps_kernel), _np(layer.eps_bias))
    layer.remove_noise()
    assert not np.any(_np(layer.eps_kernel)) and not np.any(_np(layer.eps_bias))
    np.testing.assert_allclose(_np(layer(x)), x @ _np(layer.mu_kernel) + _np(layer.mu_bias), rtol=1e-5)


def test_noisy_dense_initialisation_follows_addons():
    layer = _built(layers.NoisyDense(units=50, sigma=0.4), (2, 16))
    np.testing.assert_allclose(_np(layer.sigma_kernel), 0.4 / 4, rtol=1e-6)
    assert np.abs(_np(layer.mu_kernel)).max() <= 1 / 4
    independent = _built(layers.NoisyDense(units=50, use_factorised=False), (2, 12))
    np.testing.assert_allclose(_np(independent.sigma_bias), 0.017, rtol=1e-6)
    assert 0.4 < np.abs(_np(independent.mu_kernel)).max() <= 0.5  # sqrt(3 / 12)


def test_noisy_dense_rejects_bad_arguments():
    with pytest.raises(ValueError, match="sigma"):
        layers.NoisyDense(4, sigma=-1.0)
    with pytest.raises(ValueError, match="use_factorised"):
        layers.NoisyDense(4, use_factorised="yes")


@pytest.mark.parametrize("case, kwargs", [("poincare", dict(axis=1, epsilon=1e-3)), ("poincare_axes",
                                                                                     dict(axis=[1, 2]))])
def test_poincare_normalize_equals_addons(case, kwargs):
    check_case(case, layers.PoincareNormalize(**kwargs), ["x"])


def test_poincare_normalize_rejects_bad_arguments():
    for axis in (0, None, [1, 0], "1"):
        with pytest.raises(ValueError, match="axis"):
            layers.PoincareNormalize(axis=axis)
    for epsilon in (0.0, 1.0):
        with pytest.raises(ValueError, match="epsilon"):
            layers.PoincareNormalize(epsilon=epsilon)
    with pytest.raises(ValueError, match="axis"):
        layers.PoincareNormalize(axis=2)(np.ones((2, 3), "float32"))


@pytest.mark.parametrize("case, kwargs, weights", [
    ("crossing_full", dict(diag_scale=0.5), ["kernel", "bias"]),
    ("crossing_low_rank", dict(projection_dim=2, use_bias=False), ["kernel_u", "kernel_v"])])
def test_polynomial_crossing_equals_addons(case, kwargs, weights):
    layer = _built(layers.PolynomialCrossing(**kwargs), (4, 6), (4, 6))
    check_case(case, lambda x0, xi: ([x0, xi],), ["x0", "xi"], layer, weights)


def test_polynomial_crossing_rejects_bad_arguments():
    with pytest.raises(ValueError, match="projection_dim"):
        layers.PolynomialCrossing(projection_dim=4)([np.ones((2, 6), "float32")] * 2)
    with pytest.raises(ValueError, match="diag_scale"):
        layers.PolynomialCrossing(diag_scale=-1.0)
    with pytest.raises(ValueError, match="list"):
        layers.PolynomialCrossing()(np.ones((2, 6), "float32"))


def test_residual_model_with_stochastic_depth_fits_under_jit():
    """StochasticDepth's draw, NoisyDense, Maxout and a rrelu activation inside one compiled training step."""
    inputs = keras.Input((6,))
    branch = keras.layers.Dense(6, activation=activations.lisht)(inputs)
    x = layers.StochasticDepth(0.5, seed=1)([inputs, branch])
    x = layers.PolynomialCrossing()([inputs, x])
    x = layers.Maxout(3)(layers.NoisyDense(6, seed=1)(x))
    model = keras.Model(inputs, keras.layers.Dense(1, activation=activations.rrelu)(x))
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    rng = np.random.default_rng(0)
    history = model.fit(rng.standard_normal((16, 6)), rng.standard_normal((16, 1)), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_embedding_bag_with_per_index_weights_in_a_saved_model():
    indices = keras.Input((5,), dtype="int32")
    weights = keras.Input((5,))
    model = keras.Model([indices, weights], layers.EmbeddingBag(10, 4)(indices, weights))
    data = [FX["embedding_bag_sum_weighted/indices"], FX["embedding_bag_sum_weighted/weights"]]
    model.layers[-1].embeddings.assign(FX["embedding_bag_sum_weighted/embeddings"])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bag.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), FX["embedding_bag_sum_weighted/y"], rtol=RTOL,
                               atol=ATOL)


def _numpy_sparsemax(z):
    """Martins & Astudillo's algorithm 1 over the last axis, row by row."""
    out = np.zeros_like(z)
    for index in np.ndindex(z.shape[:-1]):
        row = z[index]
        ranked = np.sort(row)[::-1]
        cumulative = np.cumsum(ranked)
        k = np.arange(1, row.size + 1)
        support = k[1 + k * ranked > cumulative].max()
        out[index] = np.maximum(row - (cumulative[support - 1] - 1) / support, 0)
    return out


@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_sparsemax_equals_the_papers_algorithm_where_keras_does_not(axis):
    z = np.random.RandomState(3).normal(size=(4, 6, 5)).astype("float64")
    expected = np.moveaxis(_numpy_sparsemax(np.moveaxis(z, axis, -1)), -1, axis)
    ours = keras.ops.convert_to_numpy(activations.sparsemax(z, axis=axis))
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)
    if axis != 0:  # the layer keeps the batch axis out of it; the function takes any axis
        layer = layers.Sparsemax(axis=axis)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(z.astype("float32"))), expected, rtol=1e-5,
                                   atol=1e-6)
    # Keras 3.15's own is wrong whenever two or more outputs are non-zero (the reason keras_dlx has one).
    logits = np.array([[0.5, 0.4, -1.0]], "float32")
    assert np.allclose(keras.ops.convert_to_numpy(activations.sparsemax(logits)), [[0.55, 0.45, 0.0]])


def test_sparsemax_bad_axis():
    with pytest.raises(ValueError, match=r"Invalid `axis` for Sparsemax 'sparsemax.*axis='last'"):
        layers.Sparsemax(axis="last")
    with pytest.raises(ValueError, match=r"axis=3"):
        layers.Sparsemax(axis=3)(np.zeros((2, 3), "float32"))
