"""keras_dlx.distribute with real strategies on CPU: the strategy choice, MirroredStrategy on 2 logical CPUs
against one device, MultiWorkerMirroredStrategy with 2 worker processes, and fault tolerance (SIGKILL)."""

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest

from keras_dlx import distribute
from keras_dlx.distribute import cluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}


def test_auto_strategy_without_cluster_or_gpus_is_the_default_one_and_says_why(monkeypatch, caplog):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with caplog.at_level(logging.INFO, logger="keras_dlx.distribute"):
        strategy = distribute.get_strategy("auto")
    assert strategy.num_replicas_in_sync == 1
    assert "default (one device) because no TF_CONFIG cluster and 0 GPU(s) visible" in caplog.text


def test_one_device_strategy_on_the_cpu(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    strategy = distribute.get_strategy("one_device")
    assert type(strategy).__name__ == "OneDeviceStrategy" and distribute.is_chief(strategy)


@pytest.mark.parametrize("text, match", [
    ("{not json", "expected JSON"),
    ('{"cluster": {}}', "'cluster' mapping"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}}', "'task'"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}', "valid 'index'"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "ps", "index": 0}}', "'type' among"),
])
def test_bad_tf_config_is_named(monkeypatch, text, match):
    monkeypatch.setenv("TF_CONFIG", text)
    with pytest.raises(ValueError, match=f"Invalid `TF_CONFIG`.*{match}"):
        distribute.get_strategy("auto")


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind='ring'"):
        distribute.get_strategy("ring")
    with pytest.raises(ValueError, match="devices"):
        distribute.get_strategy("mirrored", devices="/cpu:0")
    with pytest.raises(ValueError, match="batch_size.*multiple of the 1 replicas"):
        distribute.check_batch_size(0, distribute.get_strategy("one_device"))
    # A device this machine lacks is named, not silently replaced (no GPU here, and no 100th CPU).
    for kind, devices in [("one_device", ["/gpu:7"]), ("mirrored", ["/cpu:0", "/cpu:99"])]:
        with pytest.raises(ValueError, match=r"Invalid `devices`: expected devices of this machine \(/cpu:0.*"
                                             r"is not one\. Received: devices=\["):
            distribute.get_strategy(kind, devices)
    with pytest.raises(ValueError, match="device names such as"):
        distribute.get_strategy("mirrored", ["/gpu:0:junk"])


def test_tf_config_of_a_local_cluster_parses():
    config = distribute.parse_tf_config(cluster.tf_config(["127.0.0.1:1", "127.0.0.1:2"], 1))
    assert config["task"] == {"type": "worker", "index": 1} and len(set(cluster.free_ports(3))) == 3


MIRRORED = textwrap.dedent("""
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from keras_dlx import applications, distribute
    devices = distribute.logical_cpus(2)
    import keras, numpy as np, tensorflow as tf
    from keras_dlx.data import load_mnist

    (x, y), _ = load_mnist("embedded")
    data = tf.data.Dataset.from_tensor_slices((x[:256], y[:256])).batch(32)   # global batch 32, no shuffle

    def train(strategy, loop, jit=False):
        keras.utils.set_random_seed(0)  # same initial weights in every run
        with strategy.scope():
            model = applications.LeNet5(input_shape=(28, 28, 1))
            model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", jit_compile=jit)
        if loop == "keras":
            model.fit(data, epochs=1, verbose=0)
        elif loop == "dlx":
            distribute.fit(model, data, epochs=1, verbose=0)
        return [w for w in model.get_weights()]

    single = train(tf.distribute.get_strategy(), "keras")
    mirrored = distribute.get_strategy("mirrored", devices)
    result = {"replicas": mirrored.num_replicas_in_sync}
    for name, loop, jit in (("keras_fit", "keras", False), ("dlx_fit", "dlx", False), ("dlx_fit_xla", "dlx", True)):
        weights = train(mirrored, loop, jit)
        result[name] = max(float(np.max(np.abs(a - b))) for a, b in zip(single, weights))
    initial = train(tf.distribute.get_strategy(), "untrained")
    result["moved"] = float(np.max(np.abs(single[0] - initial[0])))
    print(json.dumps(result))
""")


@pytest.mark.slow
def test_mirrored_on_two_cpus_equals_one_device_with_the_same_global_batch():
    done = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["moved"] > 1e-3  # training changed the weights: the comparison can fail
    for name in ("keras_fit", "dlx_fit", "dlx_fit_xla"):
        assert result[name] < 1e-5, (name, result)


def read_results(directory):
    results = []
    for index in range(2):
        with open(os.path.join(directory, f"worker-{index}.json")) as f:
            results.append(json.load(f))
    return results


@pytest.mark.slow
def test_multi_worker_mirrored_with_two_worker_processes(tmp_path):
    # Through the example launcher: free ports, TF_CONFIG per worker, bounded time, every process reaped.
    worker = [sys.executable, os.path.join(ROOT, "examples", "multi_worker.py"), "--epochs", "2", "--samples",
              "256", "--output-dir", str(tmp_path / "out")]
    done = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "launch_local_cluster.py"), "--workers",
                           "2", "--log-dir", str(tmp_path / "logs"), "--timeout", "300", "--"] + worker,
                          capture_output=True, text=True, env=ENV, timeout=400)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    first, second = read_results(tmp_path / "out")
    assert first["weights_sha256"] == second["weights_sha256"]  # identical weights on both workers
    assert first["epochs_run"] == [1, 2] and first["finite"]
    assert first["loss"][1] < first["loss"][0]
    log = open(tmp_path / "logs" / "worker-0.log").read()
    assert "MultiWorkerMirroredStrategy with 2 replica(s) because TF_CONFIG names a cluster of 2 tasks" in log


@pytest.mark.slow
def test_killed_worker_resumes_from_the_last_backup_without_redoing_an_epoch(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "fault_tolerance.py"), "--work-dir",
                           str(tmp_path), "--samples", "256", "--step-delay", "0.1", "--timeout", "240"],
                          capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = [text for text in done.stdout.splitlines() if "fault tolerance summary" in text][-1]
    summary = json.loads(line.split("summary ", 1)[1])
    assert summary["backed_up_epochs"] == 1  # epoch 1 was complete and backed up when worker 1 died
    assert summary["epochs_run_after_restart"] == [[2, 3], [2, 3]]  # epoch 1 not redone, nothing lost
    assert summary["same_weights"] and summary["finite"]
    first_run = open(tmp_path / "logs-first" / "worker-1.log").read()
    assert "epoch 2 begins" in first_run and "epoch 2 ends" not in first_run  # killed inside epoch 2
    restarted = open(tmp_path / "logs-restart" / "worker-0.log").read()
    assert "epoch 1 begins" not in restarted and "epoch 3 ends" in restarted


def test_backup_is_written_atomically_by_the_chief_only(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    distribute.Backup(str(tmp_path / "other"), chief=False).save(model, 0)
    assert not (tmp_path / "other").exists()
    backup = distribute.Backup(str(tmp_path / "chief"), chief=True)
    backup.save(model, 0)
    backup.save(model, 1)
    assert sorted(os.listdir(tmp_path / "chief")) == ["epoch-1.weights.h5", "state.json"]
    assert backup.last_epoch() == 1 and backup.restore(model) == 2


def test_fit_restores_the_models_train_function_when_a_callback_fails():
    import keras
    import numpy as np
    import tensorflow as tf

    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom")

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    before = model.train_function
    data = tf.data.Dataset.from_tensor_slices((np.ones((8, 3), "float32"), np.ones((8, 1), "float32"))).batch(4)
    with pytest.raises(RuntimeError, match="boom"):
        distribute.fit(model, data, epochs=2, callbacks=[Boom()], verbose=0)
    assert model.train_function is before
