"""Lookahead, SWA, RectifiedAdam, LazyAdam and Yogi against TensorFlow Addons 0.23
(tests/fixtures/addons/optimizers_a.npz, recorded by record_optimizers_a.py): 20-step trajectories on a fixed
problem (SWA's averages too, LazyAdam's sparse rows); then fit under XLA, configs, `.keras` saving, bad arguments,
the wrappers' delegation, SWA's averaged model with new BatchNormalization statistics, MirroredStrategy on 2
logical CPUs; and the callbacks TimeStopping and AverageModelCheckpoint."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlx import applications, callbacks, optimizers
from tests.addons_fixtures import load

DATA = load("optimizers_a")
CASES = json.loads(str(DATA["cases"]))
SPARSE_CASES = json.loads(str(DATA["sparse_cases"]))
VARIABLES = ("vector", "matrix")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Tolerance (relative and absolute) of each 20-step float32 trajectory. The updates are the same operations as
# Addons'; what differs is rounding (fused kernels, the order of a few products), which the 20 steps compound,
# as each gradient depends on the trajectory. Measured maxima: 0 to 6e-6 absolute (Adam inside the wrappers,
# where m / sqrt(v) amplifies the rounding of small moments), 1e-7 to 3e-6 elsewhere.
TOLERANCES = {
    "yogi": 1e-5, "yogi_tanh_l1_l2": 1e-5, "yogi_no_momentum_l2": 1e-5,
    "rectified_adam": 1e-5, "rectified_adam_warmup_weight_decay": 1e-5, "rectified_adam_amsgrad": 1e-5,
    "lazy_adam": 1e-5, "lazy_adam_betas": 1e-5,
    "lookahead_sgd": 1e-5, "lookahead_adam": 3e-5,
    "swa_sgd": 1e-5, "swa_adam_late": 3e-5, "swa_sgd_every_step": 1e-5,
}
SPARSE_TOLERANCE = 1e-6  # one row update per step: the same operations in the same order (measured <= 3e-7)


def build(cls, kwargs):
    """keras_dlx's optimizer of the recorded case; a wrapper's inner optimizer is Keras 3's of the same name."""
    kwargs = dict(kwargs)
    if "optimizer" in kwargs:
        inner, inner_kwargs = kwargs["optimizer"]
        kwargs["optimizer"] = getattr(keras.optimizers, inner)(**inner_kwargs)
    return getattr(optimizers, cls)(**kwargs)


def trajectory(optimizer):
    """The recorded problem: g_t = (w_t - target) * 0.5 + noise_t, the same elementwise float32 operations."""
    variables = [keras.Variable(DATA[f"initial/{name}"]) for name in VARIABLES]
    path = {name: [] for name in VARIABLES}
    for step in range(20):
        grads = [ops.add(ops.multiply(ops.subtract(v, DATA[f"target/{name}"]), 0.5), DATA[f"noise/{name}"][step])
                 for name, v in zip(VARIABLES, variables)]
        optimizer.apply_gradients(zip(grads, variables))
        for name, v in zip(VARIABLES, variables):
            path[name].append(ops.convert_to_numpy(v))
            if isinstance(optimizer, optimizers.SWA):
                path.setdefault(f"average/{name}", []).append(ops.convert_to_numpy(optimizer.average_of(v)))
    return {name: np.stack(values) for name, values in path.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_equals_addons(case):
    result = trajectory(build(*CASES[case]))
    tolerance = TOLERANCES[case]
    names = [name for name in result if f"{case}/{name}" in DATA]
    assert len(names) == (4 if case.startswith("swa") else 2)
    for name in names:
        expected = DATA[f"{case}/{name}"]
        np.testing.assert_allclose(result[name], expected, rtol=tolerance, atol=tolerance, err_msg=f"{case} {name}")
    moved = max(float(np.max(np.abs(DATA[f"{case}/{name}"][-1] - DATA[f"initial/{name}"]))) for name in VARIABLES)
    assert moved > 100 * tolerance  # the comparison can fail


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("case", sorted(SPARSE_CASES))
def test_lazy_adam_sparse_rows_equal_addons(case, jit_compile):
    import tensorflow as tf

    optimizer = build(*SPARSE_CASES[case])
    table = keras.Variable(DATA["initial/table"])
    optimizer.build([table])
    shape = tf.constant(DATA["initial/table"].shape)

    @tf.function(jit_compile=jit_compile)
    def step(rows, noise):  # an IndexedSlices gradient, with a repeated row, as an Embedding's
        values = (tf.gather(table.value, rows) - tf.gather(DATA["target/table"], rows)) * 0.5 + noise
        optimizer.apply_gradients([(tf.IndexedSlices(values, rows, shape), table)])

    for t in range(20):
        before = ops.convert_to_numpy(table)
        step(tf.constant(DATA["rows/table"][t]), tf.constant(DATA["noise/table"][t]))
        after = ops.convert_to_numpy(table)
        np.testing.assert_allclose(after, DATA[f"{case}/table"][t], rtol=SPARSE_TOLERANCE, atol=SPARSE_TOLERANCE)
        untouched = np.setdiff1d(np.arange(len(before)), DATA["rows/table"][t])
        np.testing.assert_array_equal(after[untouched], before[untouched])  # lazy: the other rows stay


def test_lazy_adam_with_dense_gradients_is_adam():
    grads = np.random.default_rng(3).normal(size=(5, 4, 3)).astype("float32")
    weights = []
    for optimizer in (optimizers.LazyAdam(0.1, amsgrad=True), keras.optimizers.Adam(0.1, amsgrad=True)):
        w = keras.Variable(np.ones((4, 3), "float32"))
        for g in grads:
            optimizer.apply_gradients([(ops.convert_to_tensor(g), w)])  # tensors: PyTorch's Adam takes no arrays
        weights.append(ops.convert_to_numpy(w))
    # Adam's formulas with the moments' products in another order (Addons' order): 5 steps, 1e-5.
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-5, atol=1e-5)
    assert np.max(np.abs(weights[0] - 1)) > 0.1


def test_lookahead_with_a_full_slow_step_is_its_inner_optimizer():
    # slow_step_size=1: the slow weights jump to the fast ones, which stay; the inner optimizer's own options
    # (Keras's decoupled weight decay, clipnorm) apply to its step.
    def inner():
        return keras.optimizers.AdamW(0.05, weight_decay=0.1, clipnorm=0.5)

    wrapped = trajectory(optimizers.Lookahead(inner(), sync_period=2, slow_step_size=1.0))
    alone = trajectory(inner())
    for name in VARIABLES:
        np.testing.assert_allclose(wrapped[name], alone[name], rtol=1e-6, atol=1e-6)


def test_wrappers_share_the_inner_learning_rate_and_count_steps():
    inner = keras.optimizers.SGD(0.1)
    optimizer = optimizers.Lookahead(inner)
    optimizer.learning_rate = 0.25
    assert float(ops.convert_to_numpy(inner.learning_rate)) == 0.25
    assert float(ops.convert_to_numpy(optimizer.learning_rate)) == 0.25
    w = keras.Variable([1.0])
    optimizer.apply_gradients([(ops.convert_to_tensor([1.0]), w)])
    assert int(ops.convert_to_numpy(optimizer.iterations)) == int(ops.convert_to_numpy(inner.iterations)) == 1
    assert {id(v) for v in inner.variables} <= {id(v) for v in optimizer.variables}
    swa = optimizers.SWA("adam")
    assert isinstance(swa.optimizer, keras.optimizers.Adam)


def fit_cases():
    """One optimizer of each class, with arguments that make a small regression learn in a few steps."""
    return {
        "Yogi": lambda: optimizers.Yogi(0.05, l1_regularization_strength=1e-4, activation="tanh"),
        "RectifiedAdam": lambda: optimizers.RectifiedAdam(0.05, total_steps=40, min_lr=1e-3, weight_decay=1e-4),
        "LazyAdam": lambda: optimizers.LazyAdam(0.02),
        "Lookahead": lambda: optimizers.Lookahead(keras.optimizers.Adam(0.05), sync_period=3),
        "SWA": lambda: optimizers.SWA(keras.optimizers.SGD(0.05, momentum=0.9), start_averaging=4,
                                      average_period=2),
    }


def regression(optimizer, jit_compile=True):
    """An embedding (sparse gradients on TensorFlow) of 8 token ids, then a small dense regression."""
    tokens = keras.Input((3,), dtype="int32")
    numbers = keras.Input((4,))
    embedded = keras.layers.Flatten()(keras.layers.Embedding(8, 2)(tokens))
    hidden = keras.layers.Dense(8, activation="tanh")(keras.layers.Concatenate()([embedded, numbers]))
    model = keras.Model([tokens, numbers], keras.layers.Dense(1)(hidden))
    model.compile(optimizer=optimizer, loss="mse", jit_compile=jit_compile)
    return model


RNG = np.random.default_rng(0)
X = [RNG.integers(0, 8, size=(64, 3)).astype("int32"), RNG.normal(size=(64, 4)).astype("float32")]
Y = np.sin(X[1].sum(axis=1, keepdims=True)) + 0.3 * (X[0][:, :1] % 3)


@pytest.mark.parametrize("name", sorted(fit_cases()))
def test_fit_under_xla_reduces_the_loss(name):
    model = regression(fit_cases()[name]())
    before = model.evaluate(X, Y, verbose=0)
    model.fit(X, Y, batch_size=16, epochs=4, verbose=0)
    after = model.evaluate(X, Y, verbose=0)
    assert after < 0.8 * before, (before, after)


@pytest.mark.parametrize("name", sorted(fit_cases()))
def test_config_round_trip_and_keras_save(name, tmp_path):
    model = regression(fit_cases()[name](), jit_compile=False)
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(1)
    for _ in range(3):  # a state to save: moved slots, slow weights, averages
        optimizer.apply_gradients([(ops.convert_to_tensor(rng.normal(size=v.shape).astype("float32")), v)
                                   for v in model.trainable_variables])
    config = keras.optimizers.serialize(optimizer)
    restored = keras.optimizers.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(optimizer) and restored.get_config() == optimizer.get_config()

    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.optimizer) is type(optimizer)
    assert loaded.optimizer.get_config() == optimizer.get_config()
    assert len(loaded.optimizer.variables) == len(optimizer.variables)
    for saved, original in zip(loaded.optimizer.variables, optimizer.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(saved), ops.convert_to_numpy(original))


def test_every_argument_is_in_the_config():
    yogi = optimizers.Yogi(0.02, 0.8, 0.99, 1e-4, 0.1, 0.2, 0.5, "TANH", name="yogi", clipnorm=1.0)
    assert (yogi.beta1, yogi.activation, yogi.get_config()["clipnorm"]) == (0.8, "tanh", 1.0)
    radam = optimizers.RectifiedAdam(0.01, 0.8, 0.9, 1e-6, 0.01, True, 4.5, 100, 0.2, 1e-4)
    lazy = optimizers.LazyAdam(0.01, 0.8, 0.9, 1e-6, True)
    look = optimizers.Lookahead(optimizers.Yogi(0.5), 4, 0.25, name="look")
    swa = optimizers.SWA(keras.optimizers.SGD(0.3, momentum=0.5), 7, 3, name="swa")
    for optimizer in (yogi, radam, lazy, look, swa):
        config = json.loads(json.dumps(keras.optimizers.serialize(optimizer)))
        assert keras.optimizers.deserialize(config).get_config() == optimizer.get_config()
    assert radam.get_config()["weight_decay"] == 0.01 and radam.get_config()["total_steps"] == 100
    assert look.get_config()["sync_period"] == 4 and swa.get_config()["average_period"] == 3
    assert optimizers.SWA.from_config(swa.get_config()).optimizer.get_config()["momentum"] == 0.5
    decay = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    with_schedule = optimizers.RectifiedAdam(weight_decay=decay)
    restored = optimizers.RectifiedAdam.from_config(json.loads(json.dumps(with_schedule.get_config())))
    assert isinstance(restored.rectified_weight_decay, keras.optimizers.schedules.ExponentialDecay)


@pytest.mark.parametrize("make, match", [
    (lambda: optimizers.Yogi(beta1=1.0), "`beta1`.*Received: beta1=1.0"),
    (lambda: optimizers.Yogi(beta2=-0.5), "`beta2`"),
    (lambda: optimizers.Yogi(epsilon=0.0), "`epsilon`.*positive"),
    (lambda: optimizers.Yogi(l1_regularization_strength=-1.0), "`l1_regularization_strength`.*>= 0"),
    (lambda: optimizers.Yogi(l2_regularization_strength="x"), "`l2_regularization_strength`"),
    (lambda: optimizers.Yogi(initial_accumulator_value=0), "`initial_accumulator_value`.*positive"),
    (lambda: optimizers.Yogi(activation="relu"), "`activation`.*'sign', 'tanh'.*activation='relu'"),
    (lambda: optimizers.RectifiedAdam(beta_1=-0.1), "`beta_1`"),
    (lambda: optimizers.RectifiedAdam(total_steps=-1), "`total_steps`.*Received: total_steps=-1"),
    (lambda: optimizers.RectifiedAdam(total_steps=2.5), "`total_steps`"),
    (lambda: optimizers.RectifiedAdam(warmup_proportion=1.5), r"`warmup_proportion`.*\[0, 1\]"),
    (lambda: optimizers.RectifiedAdam(min_lr=-1e-3), "`min_lr`.*>= 0"),
    (lambda: optimizers.RectifiedAdam(weight_decay=-0.1), "`weight_decay`"),
    (lambda: optimizers.RectifiedAdam(sma_threshold="5"), "`sma_threshold`"),
    (lambda: optimizers.RectifiedAdam(amsgrad=1), "`amsgrad`.*True or False"),
    (lambda: optimizers.LazyAdam(beta_2=1.0), "`beta_2`"),
    (lambda: optimizers.LazyAdam(epsilon=-1e-7), "`epsilon`"),
    (lambda: optimizers.LazyAdam(amsgrad="no"), "`amsgrad`"),
    (lambda: optimizers.Lookahead("no such optimizer"), "`optimizer`.*keras.optimizers.Optimizer"),
    (lambda: optimizers.Lookahead(keras.layers.Dense(1)), "`optimizer`"),
    (lambda: optimizers.Lookahead("sgd", sync_period=0), "`sync_period`.*positive.*Received: sync_period=0"),
    (lambda: optimizers.Lookahead("sgd", slow_step_size=1.5), r"`slow_step_size`.*\[0, 1\]"),
    (lambda: optimizers.Lookahead("sgd", clipnorm=1.0), "`clipnorm`.*inner `optimizer`"),
    (lambda: optimizers.SWA("sgd", start_averaging=-1), "`start_averaging`.*>= 0"),
    (lambda: optimizers.SWA("sgd", average_period=0), "`average_period`.*positive"),
    (lambda: optimizers.SWA("sgd", average_period=2.0), "`average_period`"),
    (lambda: callbacks.TimeStopping(seconds=0), "`seconds`.*positive"),
    (lambda: callbacks.TimeStopping(verbose=-1), "`verbose`"),
    (lambda: callbacks.AverageModelCheckpoint("yes", "m.keras"), "`update_weights`.*True or False"),
    (lambda: callbacks.AverageModelCheckpoint(True, "m.keras", save_freq=0), "`save_freq`.*'epoch'"),
])
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def batch_norm_model(optimizer):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6), keras.layers.BatchNormalization(),
                              keras.layers.Activation("relu"), keras.layers.Dense(1)])
    model.compile(optimizer, "mse")
    return model


def test_swa_averaged_model_with_new_batch_norm_statistics():
    optimizer = optimizers.SWA(keras.optimizers.SGD(0.05, momentum=0.5), start_averaging=2, average_period=2)
    model = batch_norm_model(optimizer)
    snapshots = []

    class Snapshot(keras.callbacks.Callback):  # the weights after the steps at iterations 2, 4, 6, ...
        def on_train_batch_end(self, batch, logs=None):
            # self.model (not `model`): on JAX, reading it brings the training state into the variables.
            if (int(ops.convert_to_numpy(self.model.optimizer.iterations)) - 1) in (2, 4, 6):
                snapshots.append([ops.convert_to_numpy(v) for v in self.model.trainable_variables])

    model.fit(X[1], Y, batch_size=8, epochs=1, verbose=0, callbacks=[Snapshot()])  # 8 steps
    assert len(snapshots) == 3
    statistics = [ops.convert_to_numpy(v) for v in model.non_trainable_variables]
    optimizer.assign_average_vars(model.variables)
    for i, variable in enumerate(model.trainable_variables):
        expected = np.mean([snapshot[i] for snapshot in snapshots], axis=0)
        np.testing.assert_allclose(ops.convert_to_numpy(variable), expected, rtol=1e-5, atol=1e-6)
    for before, variable in zip(statistics, model.non_trainable_variables):  # not trained: left alone
        np.testing.assert_array_equal(ops.convert_to_numpy(variable), before)

    assert applications.update_batch_norm_statistics(model, X[1], batch_size=64) == 1
    features = ops.convert_to_numpy(model.layers[0](X[1]))
    norm = model.layers[1]
    np.testing.assert_allclose(ops.convert_to_numpy(norm.moving_mean), features.mean(axis=0), rtol=1e-4, atol=1e-5)


def test_time_stopping_stops_at_the_first_epoch_end_past_the_budget(capsys):
    model = batch_norm_model("sgd")
    stopper = callbacks.TimeStopping(seconds=1e-6, verbose=1)
    history = model.fit(X[1], Y, batch_size=32, epochs=4, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 1 and stopper.stopped_epoch == 0
    assert "Timed stopping at epoch 1 after training for" in capsys.readouterr().out
    patient = callbacks.TimeStopping(seconds=3600)
    history = model.fit(X[1], Y, batch_size=32, epochs=3, verbose=0, callbacks=[patient])
    assert len(history.history["loss"]) == 3 and patient.stopped_epoch is None
    assert patient.get_config() == {"seconds": 3600, "verbose": 0}


def saved_weights(path, optimizer):
    model = batch_norm_model(optimizer)
    model.load_weights(path)
    return [ops.convert_to_numpy(v) for v in model.trainable_variables]


@pytest.mark.parametrize("update_weights", [False, True])
def test_average_model_checkpoint_saves_the_swa_average(update_weights, tmp_path):
    optimizer = optimizers.SWA(keras.optimizers.SGD(0.05), start_averaging=0, average_period=1)
    model = batch_norm_model(keras.optimizers.LossScaleOptimizer(optimizer))  # found through the wrapper
    path = str(tmp_path / "average.weights.h5")
    saver = callbacks.AverageModelCheckpoint(update_weights, path, save_weights_only=True)
    model.fit(X[1], Y, batch_size=16, epochs=1, verbose=0, callbacks=[saver])
    averages = [ops.convert_to_numpy(optimizer.average_of(v)) for v in model.trainable_variables]
    current = [ops.convert_to_numpy(v) for v in model.trainable_variables]
    for saved, average, now in zip(saved_weights(path, "sgd"), averages, current):
        np.testing.assert_allclose(saved, average, rtol=1e-6, atol=1e-7)
        if update_weights:  # the model went on with the averages
            np.testing.assert_allclose(now, average, rtol=1e-6, atol=1e-7)
    if not update_weights:  # its own weights came back: they differ from the averages
        assert max(float(np.max(np.abs(a - b))) for a, b in zip(current, averages)) > 1e-4


def test_average_model_checkpoint_saves_the_ema_weights_every_few_batches(tmp_path):
    model = batch_norm_model(keras.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.5))
    path = str(tmp_path / "ema-{epoch}-{batch}.weights.h5")
    seen = {}

    class Record(keras.callbacks.Callback):  # runs after the checkpoint, so the model is back to its own weights
        def on_train_batch_end(self, batch, logs=None):
            seen[batch] = [ops.convert_to_numpy(v) for v in self.model.trainable_variables]

    saver = callbacks.AverageModelCheckpoint(False, path, save_weights_only=True, save_freq=3)
    model.fit(X[1], Y, batch_size=8, epochs=1, verbose=0, callbacks=[saver, Record()])
    saved = sorted(os.listdir(tmp_path))
    assert saved == ["ema-1-3.weights.h5", "ema-1-6.weights.h5"]  # after batches 2 and 5 (Keras counts from 1)
    weights = saved_weights(str(tmp_path / saved[-1]), "sgd")
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(weights, seen[5])) > 1e-4  # the EMA, not the weights


def test_average_model_checkpoint_needs_an_averaging_optimizer(tmp_path):
    model = batch_norm_model(optimizers.Lookahead("adam"))
    saver = callbacks.AverageModelCheckpoint(False, str(tmp_path / "m.keras"))
    with pytest.raises(ValueError, match="averaging optimizer.*SWA.*use_ema=True"):
        model.fit(X[1], Y, epochs=1, verbose=0, callbacks=[saver])


MIRRORED = textwrap.dedent("""
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from keras_dlx import distribute, optimizers
    devices = distribute.logical_cpus(2)
    import keras, numpy as np, tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = np.sin(x.sum(axis=1, keepdims=True)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)   # global batch 16, no shuffle
    MAKERS = {"Lookahead": lambda: optimizers.Lookahead(keras.optimizers.Adam(0.05), sync_period=3),
              "SWA": lambda: optimizers.SWA(keras.optimizers.SGD(0.1), average_period=2)}

    def model(name, jit):
        keras.utils.set_random_seed(0)  # the same initial weights in every run
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
        model.compile(MAKERS[name](), "mse", jit_compile=jit)
        return model

    def train(strategy, name, loop, jit):
        with strategy.scope():
            trained = model(name, jit)
        if loop == "keras":
            trained.fit(data, epochs=2, verbose=0)
        else:  # keras_dlx.distribute.fit: Keras's step under XLA on logical CPUs, where Model.fit's XLA step fails
            distribute.fit(trained, data, epochs=2, verbose=0)
        weights = trained.get_weights()
        if name == "SWA":
            trained.optimizer.assign_average_vars(trained.trainable_variables)
            weights += trained.get_weights()
        return weights

    mirrored = distribute.get_strategy("mirrored", devices)
    result = {"replicas": mirrored.num_replicas_in_sync}
    for name in MAKERS:
        single = train(tf.distribute.get_strategy(), name, "keras", False)
        for loop, jit in (("keras", False), ("dlx", True)):
            weights = train(mirrored, name, loop, jit)
            result[f"{name} jit={jit}"] = max(float(np.max(np.abs(a - b))) for a, b in zip(single, weights))
        untrained = model(name, False).get_weights()
        result[f"{name} moved"] = min(float(np.max(np.abs(a - b))) for a, b in zip(single, untrained))
    print(json.dumps(result))
""")


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_mirrored_on_two_cpus_equals_one_device():
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    for name in ("Lookahead", "SWA"):  # the wrappers: their own pass updates each variable on its device
        assert result[f"{name} moved"] > 1e-2, result  # training changed the weights: the comparison can fail
        for jit in (False, True):
            # Each replica's half-batch gradient is summed across replicas: float32 reassociation only.
            assert result[f"{name} jit={jit}"] < 1e-5, (name, jit, result)
