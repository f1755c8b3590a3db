"""Every example runs (tiny sizes); the multi-worker and fault-tolerance ones are in test_distribute.py, the
detectors' and GANs' beside their models' tests."""

import os
import subprocess
import sys

import pytest

from tests.example_runner import run_example

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}


def run(tmp_path, *argv):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "examples", argv[0]), *argv[1:]], cwd=tmp_path,
                          capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_mirrored_multi_gpu_example_runs_on_two_logical_cpus(tmp_path):
    out = run(tmp_path, "mirrored_multi_gpu.py", "--samples", "256", "--logdir", str(tmp_path / "logs"))
    assert "trained on 2 replicas with mixed_bfloat16" in out
    assert any(name.startswith("events") for _, _, files in os.walk(tmp_path / "logs") for name in files)


@pytest.mark.slow
def test_train_digits_example_runs(tmp_path, monkeypatch, capsys):
    out = run_example(tmp_path, monkeypatch, capsys, "train_digits.py", "--epochs", "1", "--samples", "256")
    assert "reloads with identical predictions" in out


@pytest.mark.slow
def test_train_ssdlite_digits_example_runs(tmp_path, monkeypatch, capsys):
    out = run_example(tmp_path, monkeypatch, capsys, "train_ssdlite_digits.py", "--epochs", "1",
                      "--train-images", "64", "--test-images", "16", "--output", "ssd.keras")
    assert "map_50" in out and "reloads with the same detections" in out


@pytest.mark.slow
def test_train_vae_digits_example_runs(tmp_path, monkeypatch, capsys):
    out = run_example(tmp_path, monkeypatch, capsys, "train_vae_digits.py", "--epochs", "1",
                      "--train-images", "128", "--iw-samples", "4", "--iw-images", "8", "--picture", "vae.png")
    assert "held-out ELBO" in out and "importance-weighted log p(x), k=4" in out
    assert (tmp_path / "vae.png").stat().st_size > 1000


@pytest.mark.slow
def test_digit_classifier_weights_example_writes_a_loadable_file(tmp_path):
    out = run(tmp_path, "train_digit_classifier_weights.py", "--epochs", "1", "--output", "digits.weights.h5")
    assert "accuracy" in out
    from keras_dlx.metrics import digit_classifier

    trained = digit_classifier(weights=str(tmp_path / "digits.weights.h5"))
    assert trained.count_params() == digit_classifier().count_params()
