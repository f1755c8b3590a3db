"""The recurrent family accepts what keras.layers.LSTM / LSTMCell and TensorFlow Addons' cells accept.

Every argument of Keras's LSTM and LSTMCell signatures (read from the installed Keras, so a new Keras argument
shows up here), plus the arguments TensorFlow Addons 0.23's PeepholeLSTMCell and LayerNormLSTMCell take through
tf.keras 2's LSTMCell (`implementation`, `enable_caching_device`; TensorFlow Addons does not import under Keras 3,
so its signature is written out below from its source), is accepted with Keras's meaning or as a documented
no-op, and round-trips through `get_config`. Also: every weight starts from its own copy of its initializer.
"""

import inspect

import keras
import numpy as np
import pytest

from keras_dlx import layers

RNG = np.random.default_rng(0)
LAYERS = [layers.PeepholeLSTM, layers.CoupledLSTM, layers.LayerNormLSTM]
CELLS = [layers.PeepholeLSTMCell, layers.CoupledLSTMCell, layers.LayerNormLSTMCell]

# tensorflow_addons/rnn/{peephole_lstm_cell,layer_norm_lstm_cell}.py (0.23): tf.keras 2's LSTMCell arguments, its
# `implementation` and `enable_caching_device` keywords, and LayerNormLSTMCell's own three.
TFA_LSTM_CELL = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                 "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
                 "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                 "bias_constraint", "dropout", "recurrent_dropout", "implementation", "enable_caching_device")
TFA_LAYER_NORM = TFA_LSTM_CELL + ("norm_gamma_initializer", "norm_beta_initializer", "norm_epsilon")

# A non-default value for every argument, to check that each one reaches the config.
NON_DEFAULT = {
    "activation": "relu", "recurrent_activation": "hard_sigmoid", "use_bias": False,
    "kernel_initializer": "he_normal", "recurrent_initializer": "glorot_normal", "bias_initializer": "ones",
    "unit_forget_bias": False, "kernel_regularizer": "l2", "recurrent_regularizer": "l1",
    "bias_regularizer": "l1", "activity_regularizer": "l2", "kernel_constraint": "max_norm",
    "recurrent_constraint": "non_neg", "bias_constraint": "unit_norm", "dropout": 0.25, "recurrent_dropout": 0.5,
    "seed": 7, "return_sequences": True, "return_state": True, "go_backwards": True, "stateful": True,
    "unroll": True, "use_cudnn": False, "implementation": 1, "enable_caching_device": False,
    "zero_output_for_mask": True, "norm_gamma_initializer": "zeros", "norm_beta_initializer": "ones",
    "norm_epsilon": 1e-5,
}


def keras_arguments(cls):
    names = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs", "units"}
    # Keras's LSTM pops `implementation` from **kwargs; keras.layers.RNN (its base) takes `zero_output_for_mask`.
    return names | {"implementation"} | ({"zero_output_for_mask"} if issubclass(cls, keras.layers.RNN) else set())


def test_the_non_default_table_covers_every_argument():
    every = keras_arguments(keras.layers.LSTM) | keras_arguments(keras.layers.LSTMCell) | set(TFA_LAYER_NORM)
    assert every - {"units"} <= set(NON_DEFAULT), sorted(every - {"units"} - set(NON_DEFAULT))


@pytest.mark.parametrize("cls", LAYERS)
def test_layers_accept_and_round_trip_every_keras_lstm_argument(cls):
    names = keras_arguments(keras.layers.LSTM)
    if cls is layers.LayerNormLSTM:
        names |= {"norm_gamma_initializer", "norm_beta_initializer", "norm_epsilon"}
    layer = cls(3, **{name: NON_DEFAULT[name] for name in names})
    config = layer.get_config()
    for name in names:
        expected = cls(3, **{name: NON_DEFAULT[name]}).get_config()[name]
        assert config[name] == expected != cls(3).get_config()[name], name
    assert cls.from_config(config).get_config() == config
    x = RNG.standard_normal((2, 4, 5)).astype("float32")
    outputs = layer(x, training=True)  # every option at once still runs
    assert len(outputs) == 3 and outputs[0].shape == (2, 4, 3)


@pytest.mark.parametrize("cls", CELLS)
def test_cells_accept_and_round_trip_every_keras_and_addons_cell_argument(cls):
    names = keras_arguments(keras.layers.LSTMCell) | set(TFA_LSTM_CELL) - {"units"}
    if cls is layers.LayerNormLSTMCell:
        names |= set(TFA_LAYER_NORM) - {"units"}
    cell = cls(3, **{name: NON_DEFAULT[name] for name in names})
    config = cell.get_config()
    for name in names:
        assert config[name] == cls(3, **{name: NON_DEFAULT[name]}).get_config()[name] != cls(3).get_config()[name]
    assert cls.from_config(config).get_config() == config
    rnn = keras.layers.RNN(cell)
    assert rnn(RNG.standard_normal((2, 4, 5)).astype("float32"), training=True).shape == (2, 3)


@pytest.mark.parametrize("cls", LAYERS)
def test_implementation_and_caching_device_change_nothing(cls):
    x = RNG.standard_normal((2, 6, 3)).astype("float32")
    reference = cls(4, return_sequences=True)
    reference(x)
    for kwargs in (dict(implementation=1), dict(enable_caching_device=False)):
        other = cls(4, return_sequences=True, **kwargs)
        other(x)
        other.set_weights(reference.get_weights())
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(other(x)),
                                      keras.ops.convert_to_numpy(reference(x)))


@pytest.mark.parametrize("cls", LAYERS)
def test_use_cudnn_true_is_refused_and_bad_values_named(cls):
    assert cls(4, use_cudnn=False).get_config()["use_cudnn"] is False
    assert cls(4).use_cudnn == "auto"
    with pytest.raises(ValueError, match="no cuDNN kernel.*use_cudnn=True"):
        cls(4, use_cudnn=True)
    for value in ("yes", 0, None):
        with pytest.raises(ValueError, match=f"use_cudnn={value!r}"):
            cls(4, use_cudnn=value)


@pytest.mark.parametrize("value", [0, 3, True, 2.0, "2", None])
def test_bad_implementation_is_named(value):
    with pytest.raises(ValueError, match=r"`implementation`.*Received: implementation="):
        layers.PeepholeLSTMCell(4, implementation=value)


@pytest.mark.parametrize("value", [None, 1, "yes"])
def test_bad_caching_device_flag_is_named(value):
    with pytest.raises(ValueError, match="enable_caching_device"):
        layers.PeepholeLSTM(4, enable_caching_device=value)


def test_a_keras_lstm_config_builds_a_peephole_lstm_with_the_same_outputs():
    x = RNG.standard_normal((2, 5, 3)).astype("float32")
    lstm = keras.layers.LSTM(4, return_sequences=True, go_backwards=True, implementation=1, use_cudnn=False)
    lstm(x)
    peephole = layers.PeepholeLSTM.from_config(lstm.get_config())
    peephole(x)
    peephole.set_weights(lstm.get_weights() + [np.zeros(4, "float32")] * 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(peephole(x)), keras.ops.convert_to_numpy(lstm(x)),
                               atol=1e-5)


def test_a_tensorflow_addons_cell_config_loads():
    # What tfa.rnn.LayerNormLSTMCell(4).get_config() returns under tf.keras 2 (initializers in its format).
    addons = {
        "name": "layer_norm_lstm_cell", "trainable": True, "dtype": "float32", "units": 4, "activation": "tanh",
        "recurrent_activation": "sigmoid", "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None, "dropout": 0.0,
        "recurrent_dropout": 0.0, "implementation": 2,
        "norm_gamma_initializer": {"class_name": "Ones", "config": {}},
        "norm_beta_initializer": {"class_name": "Zeros", "config": {}}, "norm_epsilon": 0.001,
    }
    cell = layers.LayerNormLSTMCell.from_config(addons)
    assert (cell.units, cell.implementation, cell.norm_epsilon) == (4, 2, 0.001)
    peephole = {key: value for key, value in addons.items() if not key.startswith("norm_")}
    assert layers.PeepholeLSTMCell.from_config({**peephole, "enable_caching_device": False}).units == 4


@pytest.mark.parametrize("cls", LAYERS)
def test_layers_expose_their_cell_arguments_like_keras_lstm(cls):
    layer = cls(5, dropout=0.25, implementation=1)
    assert (layer.units, layer.dropout, layer.implementation, layer.use_bias) == (5, 0.25, 1, True)


# Initial weights: one initializer copy per weight.

def random_valued(weights):
    """Weights with mostly distinct values, as a random initializer makes (the unit forget bias has two)."""
    values = {w.path: keras.ops.convert_to_numpy(w) for w in weights}
    return {path: value for path, value in values.items() if len(np.unique(value)) > value.size // 2}


def assert_no_two_equal(weights):
    values = random_valued(weights)
    names = sorted(values)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if values[a].shape == values[b].shape:
                assert not np.array_equal(values[a], values[b]), f"{a} and {b} start equal"
    return values


@pytest.mark.parametrize("cls, kwargs", [
    (layers.PeepholeLSTM, {}),
    (layers.CoupledLSTM, dict(use_peepholes=True)),
    (layers.LayerNormLSTM, dict(norm_gamma_initializer="random_normal", norm_beta_initializer="random_uniform")),
])
def test_no_two_weights_start_equal_and_two_builds_differ(cls, kwargs):
    # One unseeded initializer instance for the kernel and the recurrent kernel, of the same shape here (inputs =
    # units): without a copy per weight, Keras 3 would give them the same values.
    shared = keras.initializers.RandomNormal()
    make = lambda: cls(4, kernel_initializer=shared, recurrent_initializer=shared, **kwargs)  # noqa: E731
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    first, second = make(), make()
    first(x), second(x)
    values = assert_no_two_equal(first.weights)
    assert len(values) >= 4
    for a, b in zip(first.weights, second.weights):
        if a.path in values:
            assert not np.array_equal(keras.ops.convert_to_numpy(b), values[a.path]), a.path


@pytest.mark.parametrize("unit_forget_bias", [True, False])
def test_gate_blocks_of_a_random_bias_differ(unit_forget_bias):
    cell = layers.PeepholeLSTMCell(4, bias_initializer="random_normal", unit_forget_bias=unit_forget_bias)
    cell.build((None, 3))
    blocks = np.split(keras.ops.convert_to_numpy(cell.bias), 4)
    if unit_forget_bias:
        np.testing.assert_array_equal(blocks.pop(1), np.ones(4))
    for i, a in enumerate(blocks):
        for b in blocks[i + 1:]:
            assert not np.array_equal(a, b)


def test_a_seeded_initializer_gives_the_same_weights_in_two_layers():
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    first, second = (layers.PeepholeLSTM(4, kernel_initializer=keras.initializers.GlorotUniform(seed=3))
                     for _ in range(2))
    first(x), second(x)
    np.testing.assert_array_equal(first.cell.kernel.numpy(), second.cell.kernel.numpy())
    np.testing.assert_array_equal(first.cell.input_gate_peephole_weights.numpy(),
                                  second.cell.input_gate_peephole_weights.numpy())
