"""The backend-neutral tests, run again on JAX (CPU, float64 enabled) from inside the default TensorFlow run.

Keras fixes its backend when it is first imported, so the JAX run is a second pytest process. It is given its
files explicitly (never this one, so it cannot recurse) and deselects `tensorflow_only` tests; tests whose
float64 comparison is float32-tight off TensorFlow say so where they are defined (`tests/reference.py`,
`keras_dlx.testing.layer_contract.float64_end_to_end`). The JAX run starts right after collection and runs
beside the TensorFlow tests (tests/conftest.py): on two cores that shortens the whole suite by several minutes.
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time

import pytest

from tests.cases import ALL

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The NumPy-reference numerics, in full.
JAX_FILES = [
    "tests/test_convolution_numerics.py",
    "tests/test_normalization_numerics.py",
    "tests/test_attention_numerics.py",
    "tests/test_blocks_numerics.py",
    "tests/test_recurrent_numerics.py",
    # The TensorFlow Addons families' own files (tests/test_addons_*.py) pass on JAX too, but take about 15 minutes
    # there (small ops dispatched one at a time, XLA fits), more than the CI budget holds: their layers' contract
    # cases run here, the files by hand: `KERAS_BACKEND=jax JAX_ENABLE_X64=1 pytest tests/test_addons_*.py
    # -m "not tensorflow_only"`.
]
# Build, forward and one training step of small applications covering plain, residual and depthwise-separable
# convolutions and grouped convolutions with channel shuffle.
JAX_APPLICATIONS = ["lenet5", "resnet18", "mobilenet", "shufflenet_g3"]
# The GAN trainer's JAX branch (stateless updates of two players, the penalty's input gradient under jax.grad).
JAX_GAN_TESTS = [f"tests/test_gan.py::test_fit_and_evaluate_every_loss[{case}]"
                 for case in ("non_saturating", "wasserstein_gp", "conditional")]
JAX_GAN_TESTS += ["tests/test_gan.py::test_keras_file_round_trip_keeps_weights_optimizers_and_continues",
                  "tests/test_gan.py::test_each_update_moves_only_its_player[generator]",
                  # Keras's own SpectralNormalization loses its kernel write under JAX's fit; ours must not.
                  "tests/test_dcgan.py::test_spectral_discriminator_trains_under_jit"]
# The data-dependent initialization of WeightNormalization, fixed for JAX, besides each class's first case.
JAX_EXTRA_CONTRACT_CASES = ["weight-norm-conv2d-data-init"]


def contract_cases_off_jax():
    """The layer contract on JAX checks the first configuration of each layer class in tests/cases.py (all 66
    take about 8 minutes there, more than twice the rest of the JAX run); these are the ids it leaves out."""
    seen, left_out = set(), []
    for param in ALL:
        layer_cls = param.values[0]
        if layer_cls in seen and param.id not in JAX_EXTRA_CONTRACT_CASES:
            left_out.append(param.id)
        seen.add(layer_cls)
    return left_out


def jax_arguments():
    deselected = []
    for case_id in contract_cases_off_jax():
        deselected += ["--deselect", f"tests/test_layer_contract.py::test_layer_contract[{case_id}]"]
    applications = [f"tests/test_applications.py::test_every_registered_model_builds_and_predicts[{name}]"
                    for name in JAX_APPLICATIONS]
    return ["tests/test_layer_contract.py", *JAX_FILES, *applications, *JAX_GAN_TESTS, *deselected]


# Runs started early (tests/conftest.py starts the JAX run as soon as collection selects its test, so that it
# overlaps the TensorFlow run on the second core instead of following it); `_run_on` waits for them.
_STARTED = {}

JAX_ENV = {"JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}


def start_run(backend, env):
    """Start pytest on `backend` in a subprocess (output to a temporary file) unless it is already running."""
    if backend not in _STARTED:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
                   "addopts=-rfs --durations=5", "-m", "not tensorflow_only", *jax_arguments()]
        log = tempfile.TemporaryFile("w+")
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "KERAS_BACKEND": backend, **env},
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        _STARTED[backend] = (process, log, time.monotonic())
    return _STARTED[backend]


def stop_runs():
    """Kill runs nobody waited for (the session ended early, e.g. `pytest -x` after a failure)."""
    for process, log, _ in _STARTED.values():
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    _STARTED.clear()


def _run_on(backend, env):
    process, log, started = start_run(backend, env)
    try:
        process.wait(timeout=max(1, 1800 - (time.monotonic() - started)))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.seek(0)
    output = log.read()
    assert process.returncode == 0, f"pytest on {backend} exited with {process.returncode}:\n{output[-6000:]}"


@pytest.mark.slow
def test_backend_neutral_tests_pass_on_jax():
    pytest.importorskip("jax", reason="jax[cpu] comes with the test extra: pip install -e '.[test]'")
    _run_on("jax", JAX_ENV)


@pytest.mark.slow
def test_backend_neutral_tests_pass_on_torch():
    """The same tests on PyTorch, when it is installed: not in the test extra (the CPU build is 880 MB), so CI
    skips this; `pip install torch==2.13.0 && pytest tests/test_backends.py -k torch` runs it (about 4 minutes
    on 2 cores). Keras's PyTorch backend computes some float64 ops in float32: those comparisons are
    float32-tight there (`tests/reference.py`)."""
    pytest.importorskip("torch", reason="PyTorch is not in the test extra: pip install torch==2.13.0")
    _run_on("torch", {})
