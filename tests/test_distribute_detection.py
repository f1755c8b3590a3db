"""Detectors under tf.distribute: a tiny SSDLite built in `MirroredStrategy.scope()` on 2 logical CPUs trains with
`keras_dlx.distribute.fit` on a tf.data pipeline of `(images, {"boxes", "classes"})` (the loss falls) and `predict`
returns the decoded detections; `image_dataset` scales boxes when it resizes. (Keras's own `model.fit` trains a
detector under MirroredStrategy too; it is left out here because each loop's first step, traced for both replicas,
is most of this file's time.)

The strategy runs in a subprocess, as in tests/test_distribute.py: logical CPUs must be set up before TensorFlow
starts its runtime, which other tests in this process have done.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.test_distribute import ENV

pytestmark = pytest.mark.tensorflow_only

MIRRORED_DETECTION = textwrap.dedent("""
    import json
    from keras_dlx import applications, distribute
    devices = distribute.logical_cpus(2)
    import keras
    from keras_dlx.data.digit_detection import load_digit_detection

    (x, y), (x_test, y_test) = load_digit_detection(image_size=64, train_images=64, test_images=4,
                                                    scale_range=(16, 28))
    strategy = distribute.get_strategy("mirrored", devices)
    result = {"replicas": strategy.num_replicas_in_sync}
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = applications.SSDLite(num_classes=10, input_shape=(64, 64, 1), backbone_kwargs={"alpha": 0.25},
                                     extra_filters=(32, 32), max_detections=10)
        model.compile(keras.optimizers.Adam(3e-3))
    data = distribute.image_dataset(x, y, 16, shuffle_seed=0, drop_remainder=True)  # global batch 16: 8 a replica
    result["dlx_fit"] = distribute.fit(model, data, epochs=3, verbose=0).history["loss"]
    detections = model.predict(x_test, verbose=0)
    result["predict"] = {key: list(value.shape) for key, value in detections.items()}
    print(json.dumps(result))
""")


@pytest.fixture(scope="module")
def mirrored():
    done = subprocess.run([sys.executable, "-c", MIRRORED_DETECTION], capture_output=True, text=True, env=ENV,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_detector_trains_with_distribute_fit_under_mirrored_strategy(mirrored):
    assert mirrored["replicas"] == 2
    losses = mirrored["dlx_fit"]
    # One seed only (the strategy's graph takes most of this file's time): MultiBoxLoss starts near 18 on these
    # canvases and 12 steps of Adam bring it to about 13; the bar is well above that.
    assert len(losses) == 3 and all(np.isfinite(losses)) and losses[-1] < 0.85 * losses[0], losses


def test_predict_under_mirrored_strategy_decodes_detections(mirrored):
    assert mirrored["predict"] == {"boxes": [4, 10, 4], "scores": [4, 10], "classes": [4, 10],
                                   "num_detections": [4]}


def test_image_dataset_batches_detection_targets_and_scales_boxes_on_resize():
    from keras_dlx import distribute

    rng = np.random.default_rng(0)
    images = rng.random((5, 8, 8, 1), dtype="float32")
    targets = {"boxes": rng.uniform(0, 8, (5, 3, 4)).astype("float32"),
               "classes": np.array([[1, 2, -1]] * 5, "int32")}
    batches = list(distribute.image_dataset(images, targets, 2, size=16).as_numpy_iterator())
    assert [len(x) for x, _ in batches] == [2, 2, 1]
    x, y = batches[0]
    assert x.shape == (2, 16, 16, 1) and sorted(y) == ["boxes", "classes"]
    np.testing.assert_allclose(y["boxes"], targets["boxes"][:2] * 2, rtol=1e-6)
    np.testing.assert_array_equal(y["classes"], targets["classes"][:2])
    x, y = next(distribute.image_dataset(images, targets, 5).as_numpy_iterator())  # no resize: as given
    np.testing.assert_array_equal(y["boxes"], targets["boxes"])
