"""The recurrent family against NumPy step-by-step references of its equations, and against keras.layers.LSTM."""

import keras
import numpy as np
import pytest

from keras_dlx import layers
from keras_dlx.testing.gradients import input_and_weight_gradients
from tests import reference

RNG = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def layer_norm(z, gamma, beta, eps):
    mean, var = z.mean(-1, keepdims=True), z.var(-1, keepdims=True)
    return (z - mean) / np.sqrt(var + eps) * gamma + beta


def run_reference(kind, x, w, units, use_peepholes=True):
    """Step-by-step NumPy LSTM variants; returns all h_t and the final (h, c)."""
    batch = x.shape[0]
    h, c = np.zeros((batch, units)), np.zeros((batch, units))
    outputs = []
    for t in range(x.shape[1]):
        if kind == "layer_norm":
            z = layer_norm(x[:, t] @ w["kernel"], *w["kernel_norm"], 1e-3) \
                + layer_norm(h @ w["recurrent_kernel"], *w["recurrent_norm"], 1e-3) + w["bias"]
        else:
            z = x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
        if kind == "peephole":
            z_i, z_f, z_c, z_o = np.split(z, 4, -1)
            i = sigmoid(z_i + w["input_gate_peephole_weights"] * c)
            f = sigmoid(z_f + w["forget_gate_peephole_weights"] * c)
            c = f * c + i * np.tanh(z_c)
            o = sigmoid(z_o + w["output_gate_peephole_weights"] * c)
        elif kind == "coupled":
            z_f, z_c, z_o = np.split(z, 3, -1)
            f = sigmoid(z_f + (w["forget_gate_peephole_weights"] * c if use_peepholes else 0))
            c = f * c + (1 - f) * np.tanh(z_c)
            o = sigmoid(z_o + (w["output_gate_peephole_weights"] * c if use_peepholes else 0))
        else:
            z_i, z_f, z_c, z_o = np.split(z, 4, -1)
            c = layer_norm(sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c), *w["state_norm"], 1e-3)
            o = sigmoid(z_o)
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1), h, c


def weights_of(layer):
    named = {}
    for v in layer.weights:
        parts = v.path.split("/")
        value = v.numpy()
        if parts[-2].endswith("_norm"):
            named.setdefault(parts[-2], []).append(value)
        else:
            named[parts[-1]] = value
    return named


def randomize(layer, scale=0.5):
    for v in layer.weights:
        v.assign(RNG.standard_normal(v.shape) * scale + (1.0 if v.path.endswith("gamma") else 0.0))


@pytest.mark.parametrize("cls, kind, kwargs", [
    (layers.PeepholeLSTM, "peephole", {}),
    (layers.CoupledLSTM, "coupled", {"use_peepholes": True}),
    (layers.CoupledLSTM, "coupled", {}),
    (layers.LayerNormLSTM, "layer_norm", {}),
])
def test_matches_step_by_step_reference(cls, kind, kwargs):
    x = RNG.standard_normal((3, 6, 4))
    layer = cls(5, return_sequences=True, return_state=True, dtype="float64", **kwargs)
    layer(x)
    randomize(layer)
    sequence, h, c = (keras.ops.convert_to_numpy(t) for t in layer(x))
    expected = run_reference(kind, x, weights_of(layer), 5, kwargs.get("use_peepholes", kind == "peephole"))
    for got, want in zip((sequence, h, c), expected):
        np.testing.assert_allclose(got, want, **reference.FLOAT64)  # keras.ops.tanh
    # The cell alone in keras.layers.RNN (its weights not prepared per sequence) computes the same.
    rnn = keras.layers.RNN(layer.cell, return_sequences=True, dtype="float64")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rnn(x)), expected[0], **reference.FLOAT64)  # keras.ops.tanh


@pytest.mark.parametrize("cls, kwargs", [
    (layers.PeepholeLSTM, {}), (layers.CoupledLSTM, {"use_peepholes": True}), (layers.LayerNormLSTM, {}),
])
def test_weights_prepared_once_per_sequence_change_nothing(cls, kwargs):
    # The layer reads its weights once and broadcasts the peepholes to (batch, units) before the loop; the same
    # cell run by keras.layers.RNN uses the variables at every step. The arithmetic of each step is the same, so
    # the outputs are bitwise equal; gradients only differ in the order their per-step terms are summed.
    x = RNG.standard_normal((3, 7, 4)).astype("float32")
    layer = cls(5, return_sequences=True, **kwargs)
    layer(x)
    randomize(layer)
    rnn = keras.layers.RNN(layer.cell, return_sequences=True)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), keras.ops.convert_to_numpy(rnn(x)))
    projection = RNG.standard_normal((3, 7, 5)).astype("float32")
    ours, plain = (input_and_weight_gradients(model, x, projection) for model in (layer, rnn))
    np.testing.assert_allclose(ours[0], plain[0], rtol=1e-5, atol=1e-6)
    for got, want in zip(ours[1], plain[1]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_peephole_lstm_with_zero_peepholes_equals_keras_lstm():
    x = RNG.standard_normal((4, 9, 3)).astype("float32")
    ours = layers.PeepholeLSTM(6, return_sequences=True)
    peer = keras.layers.LSTM(6, return_sequences=True)
    ours(x), peer(x)
    ours.set_weights(peer.get_weights() + [np.zeros(6)] * 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x)), keras.ops.convert_to_numpy(peer(x)), atol=1e-5)


@pytest.mark.parametrize("cls", [layers.PeepholeLSTM, layers.CoupledLSTM, layers.LayerNormLSTM])
def test_padded_sequences_give_the_unpadded_result(cls):
    x = RNG.standard_normal((2, 5, 3)).astype("float32")
    padded = np.concatenate([x, np.zeros((2, 3, 3), "float32")], 1)
    layer = cls(4)
    inputs = keras.Input((None, 3))
    masked = keras.Model(inputs, layer(keras.layers.Masking()(inputs)))
    plain = keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(masked.predict(padded, verbose=0), plain.predict(x, verbose=0), atol=1e-5)


@pytest.mark.parametrize("cls", [layers.PeepholeLSTM, layers.CoupledLSTM, layers.LayerNormLSTM])
def test_keras_lstm_options(cls):
    x = RNG.standard_normal((2, 6, 3)).astype("float32")
    forward = cls(4, return_sequences=True)
    forward(x)
    backward = cls(4, return_sequences=True, go_backwards=True)
    backward(x)
    backward.set_weights(forward.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(backward(x)),
                               keras.ops.convert_to_numpy(forward(x[:, ::-1])), atol=1e-5)
    unrolled = cls(4, return_sequences=True, unroll=True)
    unrolled(x)
    unrolled.set_weights(forward.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(unrolled(x)), keras.ops.convert_to_numpy(forward(x)),
                               atol=1e-5)
    stateful = cls(4, stateful=True)
    whole = cls(4)
    stateful(x[:, :3]), whole(x)
    stateful.set_weights(whole.get_weights())
    stateful.reset_state()
    stateful(x[:, :3])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(stateful(x[:, 3:])), keras.ops.convert_to_numpy(whole(x)),
                               atol=1e-5)
    _, h, c = cls(4, return_state=True)(x, initial_state=[np.ones((2, 4), "float32")] * 2)
    assert h.shape == c.shape == (2, 4)
    bidirectional = keras.layers.Bidirectional(cls(4, dropout=0.2, recurrent_dropout=0.2))
    assert bidirectional(x, training=True).shape == (2, 8)


def test_dropout_masks_are_per_sequence_and_off_at_inference():
    x = RNG.standard_normal((2, 6, 3)).astype("float32")
    layer = layers.PeepholeLSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=1)
    a, b = (keras.ops.convert_to_numpy(layer(x)) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(keras.ops.convert_to_numpy(layer(x, training=True)), a)


@pytest.mark.parametrize("make", [
    lambda: layers.PeepholeLSTM(0), lambda: layers.CoupledLSTM(4, dropout=1.0),
    lambda: layers.LayerNormLSTM(4, recurrent_dropout=-0.1), lambda: layers.PeepholeLSTMCell(-2),
])
def test_bad_arguments(make):
    with pytest.raises(ValueError, match="Received"):
        make()


def test_bad_inputs():
    with pytest.raises(ValueError, match="input_shape"):
        layers.PeepholeLSTM(4)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="initial_state"):
        layers.CoupledLSTM(4)(np.zeros((2, 5, 3), "float32"), initial_state=[np.zeros((2, 3), "float32")] * 2)
