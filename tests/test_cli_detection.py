"""`keras-dlx train --task detection`, `evaluate` and `predict` of a saved detector, `models --task detection`.

In-process (`cli.main`), on a tiny SSDLite registered for the test and small 64x64 digit-detection canvases in
place of the full set (the CLI's data loader is patched): the command line's plumbing, not the detector's quality
(tests/test_detection_applications.py and examples/train_ssdlite_digits.py cover that).
"""

import contextlib
import io
import re

import keras
import numpy as np
import pytest

from keras_dlx import applications, cli
from keras_dlx.applications import registry
from keras_dlx.data.digit_detection import load_digit_detection

pytestmark = pytest.mark.tensorflow_only  # the CLI trains through keras_dlx.distribute (tf.distribute, tf.data)

TINY = "tiny_ssdlite_for_cli_tests"


def tiny_ssdlite(num_classes=10, input_shape=(64, 64, 1)):
    return applications.SSDLite(num_classes=num_classes, input_shape=input_shape, backbone_kwargs={"alpha": 0.25},
                                extra_filters=(32, 32), max_detections=20)


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


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The tiny detector registered, small canvases as the CLI's digit_detection, one trained model saved."""
    root = tmp_path_factory.mktemp("cli_detection")
    data = load_digit_detection(image_size=64, train_images=32, test_images=12, scale_range=(16, 28))
    with pytest.MonkeyPatch.context() as patch:
        for table, value in ((registry._MODELS, tiny_ssdlite), (registry._MIN_SIZES, 32),
                             (registry._TASKS, "detection")):
            patch.setitem(table, TINY, value)
        patch.setattr(cli, "_load_data", lambda name: data if name == "digit_detection" else pytest.fail(name))
        patch.chdir(root)
        patch.delenv("TF_CONFIG", raising=False)
        keras.models.Sequential([keras.Input((64, 64, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(10, activation="softmax")]).save(root / "classifier.keras")
        code, out, err = run_main(["train", "--task", "detection", "--model", TINY, "--epochs", "1",
                                   "--batch-size", "16", "--precision", "float32", "--verbose", "0",
                                   "--output", "ssd.keras"])
        assert code == 0, err
        yield root, data, out


def test_train_prints_the_test_map_and_saves_the_detector(session):
    root, data, out = session
    assert re.search(r"test \(12 canvases\) map_50 \d\.\d{4}, map \d\.\d{4}, mar_100 \d\.\d{4}", out), out
    assert "32 training and 12 test canvases, 10 classes" in out and "recomputed the statistics" in out
    model = keras.saving.load_model(root / "ssd.keras")
    assert isinstance(model, applications.SSDLite) and model.num_classes == 10


def test_evaluate_a_saved_detector_reports_the_map_train_printed(session):
    root, data, out = session
    code, evaluated, err = run_main(["evaluate", "ssd.keras", "--batch-size", "5"])
    assert code == 0, err
    trained = re.search(r"map_50 (\S+), map (\S+), mar_100 (\S+)", out).groups()
    assert re.search(r"map_50 (\S+), map (\S+), mar_100 (\S+)", evaluated).groups() == trained, (out, evaluated)
    assert "ssd.keras on digit_detection (12 test canvases)" in evaluated


def test_predict_draws_the_detections_above_the_threshold_into_a_png(session):
    import matplotlib.image

    root, data, out = session
    code, printed, err = run_main(["predict", "ssd.keras", "--output", "pictures/d.png", "--images", "5",
                                   "--columns", "3", "--score-threshold", "0"])
    assert code == 0, err
    picture = matplotlib.image.imread(root / "pictures" / "d.png")
    assert picture.shape == (2 * 128 + 2, 3 * 128 + 4, 3)  # 5 canvases enlarged twice, 3 per row, 2-pixel gaps
    drawn = int(re.search(r"wrote pictures/d.png: (\d+) detection", printed).group(1))
    assert drawn > 0  # with threshold 0, every kept detection of an untrained-ish model is drawn
    images = data[1][0][:5]
    canvas = np.round(np.repeat(images[0], 3, -1) * 255) / 255  # the first canvas, unchanged where no box is
    first = np.asarray(picture[:128:2, :128:2], "float64")
    assert np.mean(np.isclose(first, canvas, atol=1 / 255)) < 1.0  # something was drawn over it


def test_models_lists_the_detectors(session, monkeypatch):
    assert TINY in applications.list_models("detection") and "ssdlite" in applications.list_models("detection")
    # Listing builds each model at its default size: the test's tiny one stands for all of them.
    monkeypatch.setattr(applications, "list_models", lambda task="classification": [TINY])
    code, out, err = run_main(["models", "--task", "detection"])
    assert code == 0, err
    assert re.search(rf"^{TINY}\s+[\d,]+\s+64x64x1$", out.splitlines()[1]), out


@pytest.mark.parametrize("argv, expected", [
    (["train", "--task", "detection", "--model", "lenet5"],
     "argument --model: expected a detection model: one of "),
    (["train", "--model", "ssdlite"], "argument --model: expected a classification model: one of "),
    (["train", "--task", "detection", "--dataset", "mnist"],
     "argument --dataset: expected a detection dataset: one of digit_detection. Received: 'mnist'"),
    (["train", "--dataset", "digit_detection"], "argument --dataset: expected a classification dataset: one of "),
    (["train", "--task", "detection", "--small-input"], "argument --small-input: applies to resnet* and resnext*"),
    (["train", "--task", "segmentation"], "argument --task: invalid choice: 'segmentation'"),
    (["models", "--task", "nope"], "argument --task: invalid choice: 'nope'"),
    (["evaluate", "ssd.keras", "--dataset", "digits"],
     "argument --dataset: expected a detection dataset for a detector: one of digit_detection. Received: 'digits'"),
    (["evaluate", "classifier.keras", "--dataset", "digit_detection"],
     "argument --dataset: expected a classification dataset for a classifier"),
    (["predict", "ssd.keras"], "the following arguments are required: --output"),
    (["predict", "ssd.keras", "--output", "d.jpg"], "argument --output: expected a path ending in .png"),
    (["predict", "ssd.keras", "--output", "/proc/forbidden/d.png"], "argument --output: expected a path ending in "
                                                                     ".png, in a directory that can be created"),
    (["predict", "classifier.keras", "--output", "d.png"],
     "argument MODEL.keras: expected a saved detector (a keras_dlx.applications.Detector). Received: "
     "'classifier.keras' (a Sequential)"),
    (["predict", "missing.keras", "--output", "d.png"], "argument MODEL.keras: expected a .keras or .h5 model"),
    (["predict", "ssd.keras", "--output", "d.png", "--score-threshold", "1.5"],
     "argument --score-threshold: expected a number from 0 to 1. Received: '1.5'"),
    (["predict", "ssd.keras", "--output", "d.png", "--images", "0"],
     "argument --images: expected an integer >= 1. Received: '0'"),
    # Known only once the data is loaded: there are 12 test canvases.
    (["predict", "ssd.keras", "--output", "d.png", "--images", "13"],
     "argument --images: expected at most the 12 test canvases of 'digit_detection'. Received: 13"),
    (["train", "--task", "detection", "--model", TINY, "--test-samples", "13"],
     "argument --test-samples: expected at most the 12 test images of 'digit_detection'. Received: 13"),
])
def test_bad_detection_command_lines_exit_2_with_one_line(session, argv, expected):
    code, out, err = run_main(argv)
    line = one_error_line(code, err)
    assert line.startswith("keras-dlx: error: " + expected), line
    assert "replica(s)" not in out, out  # nothing was built or trained
