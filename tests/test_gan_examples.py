"""The GAN and style-transfer examples run end to end at their smallest settings, and the GAN benchmark's
hand-written peer trains.

The examples are imported and their `main(argv)` called in this process (a subprocess per example would pay
TensorFlow's start-up each time); how well they learn is measured by running them at their defaults, not here.
"""

import importlib.util
import os
import sys

import keras
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_GAN = ["--epochs", "1", "--train-images", "64", "--batch-size", "32", "--latent-dim", "8", "--verbose", "0"]


def example(name):
    if os.path.join(ROOT, "examples") not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, "examples"))  # the examples import examples/gan_training.py
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "examples", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def picture_written(path):
    return os.path.getsize(path) > 1000


def test_dcgan_example_reports_fid_and_draws_samples(tmp_path, capsys):
    output = str(tmp_path / "dcgan.png")
    result = example("train_dcgan_digits").main(TINY_GAN + ["--fid-samples", "64", "--output", output])
    out = capsys.readouterr().out
    assert "FID" in out and "untrained generator" in out
    assert np.isfinite(result["fid"]) and result["fid"] > 0 and picture_written(output)


def test_conditional_gan_example_reports_accuracy_and_draws_one_row_per_digit(tmp_path, capsys):
    output = str(tmp_path / "conditional.png")
    result = example("train_conditional_gan_digits").main(TINY_GAN + ["--per-class", "3", "--output", output])
    assert "as the requested class" in capsys.readouterr().out
    assert 0.0 <= result["accuracy"] <= 1.0 and len(result["per_class"]) == 10 and picture_written(output)


def test_wgan_gp_example_reports_fid(tmp_path, capsys):
    output = str(tmp_path / "wgan.png")
    result = example("train_wgan_gp_digits").main(TINY_GAN + ["--critic-steps", "1", "--fid-samples", "64",
                                                              "--output", output])
    assert "FID" in capsys.readouterr().out
    assert np.isfinite(result["fid"]) and picture_written(output)


def test_style_transfer_example_lowers_the_loss_without_weights(tmp_path):
    output = str(tmp_path / "style.png")
    result = example("style_transfer").main(["--size", "32", "--steps", "2", "--output", output])
    assert result["loss"][-1] < result["loss"][0] and result["image"].shape == (32, 32, 3)
    assert picture_written(output)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the benchmark's peer uses tf.GradientTape")
def test_benchmark_peer_is_a_keras_io_style_gan_that_trains():
    from benchmarks import gan as benchmark
    from keras_dlx import applications

    generator = applications.dcgan_generator(latent_dim=4, image_shape=(8, 8, 1), filters=(8, 4), seed=0)
    discriminator = applications.dcgan_discriminator((8, 8, 1), filters=(4, 8), batch_norm=False, seed=1)
    model = benchmark.HandWrittenGAN(generator, discriminator, latent_dim=4)
    model.compile(**benchmark.optimizers(), run_eagerly=True)
    logs = model.train_on_batch(np.zeros((4, 8, 8, 1), "float32"), return_dict=True)
    assert set(logs) == {"d_loss", "g_loss"} and all(np.isfinite(v) for v in logs.values())
