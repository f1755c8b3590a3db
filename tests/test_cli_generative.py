"""`keras-dlx train --task vae|gan`, `evaluate` and `predict` of a saved VAE or GAN, `models --task gan|vae`.

In-process (`cli.main`), one epoch of two batches on the first embedded digits (the CLI's data loader is patched
to 64 training and 100 held-out digits): the command line's plumbing (sample grids as PNG and in TensorBoard,
the printed ELBO and FID, the saved model), not the models' quality (tests/test_vae.py, the GAN tests and the
examples cover that).
"""

import contextlib
import glob
import io
import math
import re

import keras
import numpy as np
import pytest

from keras_dlx import applications, cli
from keras_dlx.data import load_mnist

pytestmark = pytest.mark.tensorflow_only  # the CLI trains through keras_dlx.distribute (tf.distribute, tf.data)

TRAIN, TEST = 64, 100
STEP = 2 * 28 + 2  # one sample in a grid: 28 pixels enlarged twice, 2 pixels apart


def run_main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_info:  # parse errors exit from argparse or `parse`
            code = exit_info.code
    return code, out.getvalue(), err.getvalue()


def one_error_line(code, err):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("keras-dlx: error: "), (code, err)
    return lines[0]


def read_png(path):
    import matplotlib.image

    return np.asarray(matplotlib.image.imread(path))


def tensorboard_tags(logdir):
    import tensorflow as tf

    tags = {}
    for path in glob.glob(f"{logdir}/**/events.out.tfevents.*", recursive=True):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                tags.setdefault(value.tag, value.metadata.plugin_data.plugin_name)
    return tags


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The first digits as the CLI's data; one VAE and one conditional GAN trained and saved."""
    root = tmp_path_factory.mktemp("cli_generative")
    (x_train, y_train), (x_test, y_test) = load_mnist("embedded")
    data = (x_train[:TRAIN], y_train[:TRAIN]), (x_test[:TEST], y_test[:TEST])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "_load_data", lambda name: data if name == "digits" else pytest.fail(name))
        patch.chdir(root)
        patch.delenv("TF_CONFIG", raising=False)
        common = ["--epochs", "1", "--batch-size", "32", "--precision", "float32", "--verbose", "0"]
        vae = run_main(["train", "--task", "vae", "--latent-dim", "2", "--logdir", "vae_run",
                        "--log-likelihood-samples", "3", *common])
        assert vae[0] == 0, vae[2]
        gan = run_main(["train", "--task", "gan", "--conditional", "--latent-dim", "8", "--loss", "hinge",
                        "--samples", "gan_samples", "--output", "gan.keras", *common])
        assert gan[0] == 0, gan[2]
        yield root, vae[1], gan[1]


def test_vae_prints_the_held_out_elbo_and_log_likelihood(workdir):
    root, out, _ = workdir
    assert f"{TRAIN} training and {TEST} held-out binarised digits; conv_vae on 1 replica(s), float32" in out
    elbo = re.search(rf"held-out \({TEST} digits\) ELBO (-\d+\.\d\d) nats \(reconstruction (\d+\.\d\d), KL "
                     r"(\d+\.\d\d)\)", out)
    assert elbo, out
    value, reconstruction, kl = (float(v) for v in elbo.groups())
    assert abs(value + reconstruction + kl) < 0.02 and -28 * 28 * math.log(2) * 2 < value < 0  # nats per digit
    assert re.search(r"held-out log-likelihood -\d+\.\d\d nats \(importance-weighted, K=3\)", out), out


def test_vae_writes_a_sample_grid_png_and_tensorboard_image_each_epoch(workdir):
    root, _, _ = workdir
    picture = read_png(root / "vae_run" / "samples_epoch_001.png")
    assert picture.shape == (8 * STEP - 2, 8 * STEP - 2)  # 8 x 8 grey samples
    assert 0.0 <= picture.min() and picture.max() <= 1.0 and picture.std() > 0  # decoded pixels, not blank
    tags = tensorboard_tags(root / "vae_run")
    assert tags.get("samples") == "images" and tags.get("epoch_elbo") == "scalars", tags


def test_a_saved_vae_reloads_and_evaluate_prints_its_elbo(workdir):
    root, out, _ = workdir
    model = keras.saving.load_model(root / "vae_run" / "model.keras")
    assert isinstance(model, applications.VAE) and model.latent_dim == 2 and model.compiled
    code, evaluated, err = run_main(["evaluate", "vae_run/model.keras", "--batch-size", "50"])
    assert code == 0, err
    trained = float(re.search(r"ELBO (\S+) nats", out).group(1))
    again = float(re.search(rf"vae_run/model.keras on digits \({TEST} held-out digits\): ELBO (\S+) nats",
                            evaluated).group(1))
    assert abs(again - trained) < 0.05 * abs(trained), (trained, again)  # one z sample per digit: not equal


def test_predict_writes_a_vae_sample_grid(workdir):
    root, _, _ = workdir
    code, out, err = run_main(["predict", "vae_run/model.keras", "--output", "grids/vae.png", "--images", "5",
                               "--columns", "3"])
    assert code == 0, err
    assert "wrote grids/vae.png: 5 samples of the VAE vae_run/model.keras" in out
    assert read_png(root / "grids" / "vae.png").shape == (2 * STEP - 2, 3 * STEP - 2)


def test_gan_prints_fid_and_writes_a_grid_with_a_column_per_class(workdir):
    root, _, out = workdir
    fid = re.search(rf"held-out \({TEST} digits\) FID \(digit features\) (\d+\.\d\d) between {TEST} generated", out)
    assert fid and 0 < float(fid.group(1)) < 1e4, out
    assert "digits in [-1, 1]; dcgan on 1 replica(s), float32" in out and "saved gan.keras" in out
    picture = read_png(root / "gan_samples" / "samples_epoch_001.png")
    assert picture.shape == (8 * STEP - 2, 10 * STEP - 2)


def test_a_saved_gan_reloads_evaluates_and_predicts(workdir):
    root, _, _ = workdir
    model = keras.saving.load_model(root / "gan.keras")
    assert isinstance(model, applications.GAN) and model.num_classes == 10 and model.latent_dim == 8
    code, out, err = run_main(["evaluate", "gan.keras", "--batch-size", "64"])
    assert code == 0, err
    assert re.search(rf"gan.keras on digits \({TEST} held-out digits\): FID \(digit features\) \d+\.\d\d", out), out
    code, out, err = run_main(["predict", "gan.keras", "--output", "gan.png", "--images", "20", "--columns", "10"])
    assert code == 0, err
    assert "20 samples of the GAN gan.keras (classes 0 to 9 in turn)" in out, out
    assert read_png(root / "gan.png").shape == (2 * STEP - 2, 10 * STEP - 2)


def test_models_lists_the_gans_and_vaes(workdir):
    for task, name in (("gan", "dcgan"), ("vae", "conv_vae")):
        code, out, err = run_main(["models", "--task", task])
        assert code == 0, err
        assert re.search(rf"^{name}\s+[\d,]+\s+28x28x1$", out, re.MULTILINE), out


def test_learning_rate_defaults_to_the_tasks():
    assert cli.parse(["train", "--task", "gan"]).learning_rate == 2e-4
    assert cli.parse(["train", "--task", "vae"]).learning_rate == 1e-3
    assert cli.parse(["train"]).learning_rate == 1e-3
    assert cli.parse(["train", "--task", "gan", "--learning-rate", "0.01"]).learning_rate == 0.01


@pytest.mark.parametrize("argv, expected", [
    (["train", "--task", "vae", "--loss", "hinge"], "argument --loss: applies to --task gan only. Received: "
                                                    "--task='vae'"),
    (["train", "--conditional"], "argument --conditional: applies to --task gan only. Received: "
                                 "--task='classification'"),
    (["train", "--task", "gan", "--log-likelihood-samples", "3"],
     "argument --log-likelihood-samples: applies to --task vae only. Received: --task='gan'"),
    (["train", "--task", "detection", "--latent-dim", "4"],
     "argument --latent-dim: applies to --task gan and vae only. Received: --task='detection'"),
    (["train", "--samples", "s"], "argument --samples: applies to --task gan and vae only"),
    (["train", "--task", "vae", "--samples", "/proc/forbidden"],
     "argument --samples: expected a directory that can be created and written to. Received: '/proc/forbidden'"),
    (["train", "--task", "gan", "--dataset", "cifar10"],
     "argument --dataset: expected a gan dataset: one of digits, mnist. Received: 'cifar10'"),
    (["train", "--task", "vae", "--model", "dcgan"],
     "argument --model: expected a vae model: one of conv_vae. Received: 'dcgan' (a gan model: add --task gan)"),
    (["train", "--task", "gan", "--loss", "wasserstein"], "argument --loss: invalid choice: 'wasserstein'"),
    (["train", "--task", "vae", "--log-likelihood-samples", "0"],
     "argument --log-likelihood-samples: expected an integer >= 1. Received: '0'"),
    (["train", "--task", "vae", "--latent-dim", "-2"], "argument --latent-dim: expected an integer >= 1"),
    (["evaluate", "vae_run/model.keras", "--dataset", "digit_detection"],
     "argument --dataset: expected a digits dataset for a generative model: one of digits, mnist. Received: "
     "'digit_detection' (vae_run/model.keras holds a VAE)"),
    (["predict", "gan.keras", "--output", "g.png", "--score-threshold", "0.5"],
     "argument --score-threshold: applies to detectors only. Received: 'gan.keras' (a GAN)"),
    (["predict", "gan.keras", "--output", "g.jpg"], "argument --output: expected a path ending in .png"),
])
def test_bad_generative_command_lines_exit_2_with_one_line(workdir, argv, expected):
    code, out, err = run_main(argv)
    line = one_error_line(code, err)
    assert line.startswith("keras-dlx: error: " + expected), line
    assert "replica(s)" not in out, out  # nothing was built or trained
