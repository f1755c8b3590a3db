"""NovoGrad, AdaBelief, COCOB, ConditionalGradient, ProximalAdagrad and the cyclical learning rates against
TensorFlow Addons 0.23 (tests/fixtures/addons/optimizers_b.npz, recorded by record_optimizers_b.py): 20-step
trajectories on a fixed problem, schedule values; then fit under XLA, configs, `.keras` saving, bad arguments,
MirroredStrategy on 2 logical CPUs and the benchmark's cases."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlx import optimizers
from tests.addons_fixtures import load

DATA = load("optimizers_b")
CASES = json.loads(str(DATA["cases"]))
SCHEDULES = json.loads(str(DATA["schedules"]))
VARIABLES = ("vector", "matrix")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Tolerance (relative and absolute) of each 20-step float32 trajectory. The updates are the same operations as
# Addons' up to float32 rounding (NovoGrad, AdaBelief and ConditionalGradient fold divisions into scalars, which is
# faster): after 20 steps, whose differences compound (each gradient depends on the trajectory), they differ from
# the recording by at most 2.4e-7 absolute on TensorFlow and on JAX; COCOB, ProximalAdagrad and the nuclear norm
# are bitwise equal on TensorFlow.
TOLERANCES = {
    "novograd": 2e-6, "novograd_weight_decay_averaging": 2e-6, "novograd_amsgrad": 2e-6,
    "adabelief": 2e-6, "adabelief_plain_weight_decay": 2e-6, "adabelief_warmup_amsgrad": 2e-6,
    "cocob": 2e-6, "cocob_alpha": 2e-6,
    "conditional_gradient": 2e-6,
    "conditional_gradient_nuclear": 1e-5,  # an SVD: another LAPACK may round the singular vectors differently
    "proximal_adagrad": 2e-6, "proximal_adagrad_l1_l2": 2e-6,
}


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
    return {name: np.stack(values) for name, values in path.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_equals_addons(case):
    cls, kwargs = CASES[case]
    result = trajectory(getattr(optimizers, cls)(**kwargs))
    tolerance = TOLERANCES[case]
    for name in VARIABLES:
        expected = DATA[f"{case}/{name}"]
        np.testing.assert_allclose(result[name], expected, rtol=tolerance, atol=tolerance, err_msg=f"{case} {name}")
    moved = max(float(np.max(np.abs(DATA[f"{case}/{name}"][-1] - DATA[f"initial/{name}"]))) for name in VARIABLES)
    assert moved > 100 * tolerance  # the comparison can fail


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
def half_per_cycle(x):
    return 0.5 ** x


def schedule(case):
    cls, kwargs = SCHEDULES[case]
    extra = {"scale_fn": half_per_cycle} if cls == "CyclicalLearningRate" else {}
    return getattr(optimizers, cls)(**kwargs, **extra)


@pytest.mark.parametrize("case", sorted(SCHEDULES))
def test_schedule_equals_addons(case):
    expected = DATA[f"schedule/{case}"]
    values = schedule(case)(ops.arange(len(expected)))  # as the optimizer calls it: a tensor of steps
    # float32, a few operations on small integers: bitwise on TensorFlow; 5e-6 relative covers XLA on JAX, which
    # divides by multiplying with the reciprocal (measured 1.6e-6).
    np.testing.assert_allclose(ops.convert_to_numpy(values), expected, rtol=5e-6, atol=1e-9)
    assert float(np.max(expected) - np.min(expected)) > 1e-3


@pytest.mark.parametrize("case", sorted(SCHEDULES))
def test_schedule_config_round_trip(case):
    original = schedule(case)
    config = keras.optimizers.schedules.serialize(original)
    restored = keras.optimizers.schedules.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(original) and restored.get_config() == original.get_config()
    steps = ops.arange(12)
    np.testing.assert_array_equal(ops.convert_to_numpy(restored(steps)), ops.convert_to_numpy(original(steps)))
    if type(original) is not optimizers.CyclicalLearningRate:
        assert "scale_fn" not in original.get_config()


def fit_cases():
    """One optimizer of each class, with arguments that make a small regression learn in a few steps."""
    triangular = optimizers.TriangularCyclicalLearningRate(0.01, 0.1, step_size=4)
    return {
        "NovoGrad": lambda: optimizers.NovoGrad(0.05, weight_decay=1e-4, grad_averaging=True),
        "AdaBelief": lambda: optimizers.AdaBelief(0.05, total_steps=40, amsgrad=True),
        "COCOB": lambda: optimizers.COCOB(),
        "ConditionalGradient": lambda: optimizers.ConditionalGradient(0.99, lambda_=2.0, ord="nuclear"),
        "ProximalAdagrad": lambda: optimizers.ProximalAdagrad(0.3, l1_regularization_strength=1e-4),
        "SGD(TriangularCyclicalLearningRate)": lambda: keras.optimizers.SGD(triangular),
    }


def regression(optimizer, jit_compile=True):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", jit_compile=jit_compile)
    return model


REGRESSION_X = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
REGRESSION_Y = np.sin(REGRESSION_X.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("name", sorted(fit_cases()))
def test_fit_under_xla_reduces_the_loss(name):
    model = regression(fit_cases()[name]())
    losses = model.fit(REGRESSION_X, REGRESSION_Y, batch_size=16, epochs=8, verbose=0).history["loss"]
    assert losses[-1] < 0.9 * losses[0], losses


@pytest.mark.parametrize("name", sorted(fit_cases()))
def test_config_round_trip_and_keras_save(name, tmp_path):
    model = regression(fit_cases()[name](), jit_compile=False)
    optimizer = model.optimizer
    for scale in (1.0, -0.5):  # two eager steps: every slot holds something to save
        optimizer.apply_gradients([(ops.full(v.shape, scale), v) for v in model.trainable_variables])
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
    optimizer = optimizers.AdaBelief(0.01, 0.8, 0.9, 1e-12, 0.1, True, False, 4.5, 100, 0.2, 1e-4, name="belief",
                                     clipnorm=1.0)
    assert optimizers.AdaBelief.from_config(optimizer.get_config()).get_config() == optimizer.get_config()
    config = optimizer.get_config()
    assert (config["weight_decay"], config["total_steps"], config["min_lr"], config["clipnorm"]) == (0.1, 100, 1e-4,
                                                                                                     1.0)
    decay = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    with_schedule = optimizers.AdaBelief(weight_decay=decay)
    restored = optimizers.AdaBelief.from_config(json.loads(json.dumps(with_schedule.get_config())))
    assert restored.get_config() == with_schedule.get_config()
    assert isinstance(restored.adabelief_weight_decay, keras.optimizers.schedules.ExponentialDecay)
    assert "learning_rate" not in optimizers.COCOB(alpha=5).get_config()
    assert optimizers.NovoGrad(weight_decay=0.5).get_config()["weight_decay"] == 0.5


@pytest.mark.parametrize("make, match", [
    (lambda: optimizers.NovoGrad(beta_1=1.0), "`beta_1`.*Received: beta_1=1.0"),
    (lambda: optimizers.NovoGrad(beta_2=-0.1), "`beta_2`.*Received: beta_2=-0.1"),
    (lambda: optimizers.NovoGrad(weight_decay=-1e-3), "`weight_decay`.*>= 0.*Received: weight_decay=-0.001"),
    (lambda: optimizers.NovoGrad(epsilon=0), "`epsilon`.*positive"),
    (lambda: optimizers.NovoGrad(amsgrad="yes"), "`amsgrad`.*True or False"),
    (lambda: optimizers.NovoGrad(grad_averaging=1), "`grad_averaging`"),
    (lambda: optimizers.AdaBelief(total_steps=-5), "`total_steps`.*Received: total_steps=-5"),
    (lambda: optimizers.AdaBelief(total_steps=2.5), "`total_steps`"),
    (lambda: optimizers.AdaBelief(warmup_proportion=1.5), r"`warmup_proportion`.*\[0, 1\]"),
    (lambda: optimizers.AdaBelief(min_lr=-1.0), "`min_lr`"),
    (lambda: optimizers.AdaBelief(weight_decay="lots"), "`weight_decay`"),
    (lambda: optimizers.AdaBelief(sma_threshold=0), "`sma_threshold`"),
    (lambda: optimizers.AdaBelief(rectify=None), "`rectify`"),
    (lambda: optimizers.COCOB(alpha=0.5), "`alpha`.*>= 1.*Received: alpha=0.5"),
    (lambda: optimizers.ConditionalGradient(0.1, lambda_=-1.0), "`lambda_`.*>= 0"),
    (lambda: optimizers.ConditionalGradient(0.1, ord="spectral"), "`ord`.*'fro', 'nuclear'.*ord='spectral'"),
    (lambda: optimizers.ConditionalGradient(0.1, epsilon=-1e-7), "`epsilon`"),
    (lambda: optimizers.ProximalAdagrad(initial_accumulator_value=-0.1), "`initial_accumulator_value`.*>= 0"),
    (lambda: optimizers.ProximalAdagrad(l1_regularization_strength=-1), "`l1_regularization_strength`"),
    (lambda: optimizers.ProximalAdagrad(l2_regularization_strength="x"), "`l2_regularization_strength`"),
    (lambda: optimizers.CyclicalLearningRate(0.1, 1.0, 0, half_per_cycle), "`step_size`.*Received: step_size=0"),
    (lambda: optimizers.CyclicalLearningRate(0.1, 1.0, 2, scale_fn=2.0), "`scale_fn`.*callable"),
    (lambda: optimizers.CyclicalLearningRate(-0.1, 1.0, 2, half_per_cycle), "`initial_learning_rate`"),
    (lambda: optimizers.TriangularCyclicalLearningRate(0.1, None, 2), "`maximal_learning_rate`"),
    (lambda: optimizers.Triangular2CyclicalLearningRate(0.1, 1.0, 2, scale_mode="epoch"),
     "`scale_mode`.*'cycle', 'iterations'"),
    (lambda: optimizers.ExponentialCyclicalLearningRate(0.1, 1.0, 2, gamma=0.0), "`gamma`.*positive"),
])
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_conditional_gradient_nuclear_on_a_convolution_kernel():
    # Rank 4 (Addons failed here): the kernel is read as a (3*3*2, 4) matrix; the step has nuclear norm lambda_.
    kernel = keras.Variable(np.zeros((3, 3, 2, 4), "float32"))
    gradient = np.random.default_rng(1).normal(size=(3, 3, 2, 4)).astype("float32")
    optimizers.ConditionalGradient(0.0, lambda_=2.0, ord="nuclear").apply_gradients([(gradient, kernel)])
    singular = np.linalg.svd(ops.convert_to_numpy(kernel).reshape(18, 4), compute_uv=False)
    np.testing.assert_allclose(singular, [2.0, 0, 0, 0], atol=1e-5)
    u, _, vt = np.linalg.svd(gradient.reshape(18, 4))
    np.testing.assert_allclose(ops.convert_to_numpy(kernel).reshape(18, 4), -2.0 * np.outer(u[:, 0], vt[0]),
                               atol=1e-5)


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
    MAKERS = {"NovoGrad": lambda: optimizers.NovoGrad(0.05, weight_decay=1e-3, amsgrad=True),
              "AdaBelief": lambda: optimizers.AdaBelief(0.05, total_steps=8)}

    def train(strategy, name, loop):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                                      keras.layers.Dense(1)])
            model.compile(MAKERS[name](), "mse")  # jit_compile="auto": Keras turns XLA off under tf.distribute
        if loop == "keras_fit":
            model.fit(data, epochs=2, verbose=0)
        else:
            distribute.fit(model, data, epochs=2, verbose=0)
        return model.get_weights()

    mirrored = distribute.get_strategy("mirrored", devices)
    result = {"replicas": mirrored.num_replicas_in_sync}
    for name in MAKERS:
        single = train(tf.distribute.get_strategy(), name, "keras_fit")
        for loop in ("keras_fit", "dlx_fit"):
            weights = train(mirrored, name, loop)
            result[f"{name} {loop}"] = max(float(np.max(np.abs(a - b))) for a, b in zip(single, weights))
        keras.utils.set_random_seed(0)
        initial = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)]).get_weights()
        result[f"{name} moved"] = float(np.max(np.abs(single[0] - initial[0])))
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
    for name in ("NovoGrad", "AdaBelief"):  # NovoGrad: slots of another shape than their variable
        assert result[f"{name} moved"] > 1e-2, result  # training changed the weights: the comparison can fail
        for loop in ("keras_fit", "dlx_fit"):
            # Each replica's half-batch gradient is summed across replicas: float32 reassociation only.
            assert result[f"{name} {loop}"] < 1e-5, (name, loop, result)


@pytest.mark.tensorflow_only
def test_benchmark_cases_build():
    from benchmarks import optimizers as benchmark

    variables = [keras.Variable(np.ones((3, 3, 2, 4), "float32")), keras.Variable(np.ones((4,), "float32"))]
    grads = [np.full((3, 3, 2, 4), 0.1, "float32"), np.full((4,), 0.1, "float32")]
    names = []
    for name, make in benchmark.cases():
        if make is None:
            continue
        names.append(name)
        optimizer = make()
        assert isinstance(optimizer, keras.optimizers.Optimizer), name
        step = benchmark.update_step(optimizer, variables, grads, jit_compile=False)
        step()
    assert {"NovoGrad", "AdaBelief", "COCOB", "ConditionalGradient", "ProximalAdagrad"} <= set(names)
    assert len(benchmark.cases()) == 10
