"""keras_dlx.losses against TensorFlow Addons 0.23 (fixtures from tests/fixtures/addons/record_losses.py).

Tolerances: values and gradients rtol 1e-5, atol 1e-6 (float32; the same formulas as Addons, summed in another
order), except the lifted structured loss, rtol 1e-4 and atol 1e-5 (a log-sum-exp of exponentials over the batch,
then squared). The one intended difference: where no positive pair exists (every label seen once), Addons' semi-hard
triplet and lifted structured losses are 0/0 = NaN, and so is the lifted structured loss where no negative pair
exists (one label only); keras_dlx's are 0 with a zero gradient.
"""

import json
import os
import tempfile

import keras
import numpy as np
import pytest

import keras_dlx.losses as losses
from keras_dlx.losses.sparsemax import _sparsemax
from tests import addons_fixtures
from tests.reference import value_and_grad

FIXTURE = addons_fixtures.load("losses")
CASES = sorted({key.split("/")[0] for key in FIXTURE})

# Addons function (or class without one) -> (keras_dlx function, keras_dlx class, whether the loss is per sample).
LOSSES = {
    "triplet_semihard_loss": (losses.triplet_semihard_loss, losses.TripletSemiHardLoss, False),
    "triplet_hard_loss": (losses.triplet_hard_loss, losses.TripletHardLoss, False),
    "lifted_struct_loss": (losses.lifted_struct_loss, losses.LiftedStructLoss, False),
    "contrastive_loss": (losses.contrastive_loss, losses.ContrastiveLoss, True),
    "npairs_loss": (losses.npairs_loss, losses.NpairsLoss, False),
    "npairs_multilabel_loss": (losses.npairs_multilabel_loss, losses.NpairsMultilabelLoss, False),
    "pinball_loss": (losses.pinball_loss, losses.PinballLoss, True),
    "WeightedKappaLoss": (None, losses.WeightedKappaLoss, False),
    "SparsemaxLoss": (None, losses.SparsemaxLoss, True),
}


def dot_similarity(x):
    """The callable `distance_metric` of the fixtures (Addons' docstring example)."""
    return keras.ops.matmul(x, keras.ops.transpose(x))


def _case(case):
    kwargs = json.loads(str(FIXTURE[f"{case}/kwargs"]))
    if kwargs.get("distance_metric") == "dot":
        kwargs["distance_metric"] = dot_similarity
    return str(FIXTURE[f"{case}/function"]), kwargs


def _tolerance(case):
    return dict(rtol=1e-4, atol=1e-5) if case.startswith("lifted") else dict(rtol=1e-5, atol=1e-6)




def _expected(value):
    """Addons' value, with its 0/0 (no positive pair) replaced by keras_dlx's 0."""
    return np.where(np.isnan(value), 0.0, value)


def test_every_loss_has_fixture_cases():
    recorded = {_case(case)[0] for case in CASES}
    assert recorded == set(LOSSES)
    covered = {obj.__name__ for entry in LOSSES.values() for obj in entry[:2] if obj is not None}
    # sparsemax_loss (logits, probabilities, labels) is checked by test_sparsemax_matches_addons; the distances
    # through the metric losses.
    # The detection losses are checked in tests/test_detection_losses.py, test_detection_boxes.py and
    # test_detection_faster_rcnn.py.
    detection = {"MultiBoxLoss", "YOLOv1Loss", "encode_yolo_v1_targets", "GIoULoss", "giou_loss", "RPNLoss",
                 "FastRCNNLoss"}
    assert set(losses.__all__) - detection == covered | {"sparsemax_loss", "pairwise_distance", "angular_distance"}


@pytest.mark.parametrize("case", CASES)
def test_matches_addons(case):
    name, kwargs = _case(case)
    function, cls, per_sample = LOSSES[name]
    y_true, y_pred = FIXTURE[f"{case}/y_true"], FIXTURE[f"{case}/y_pred"]
    expected, expected_grad = _expected(FIXTURE[f"{case}/loss"]), _expected(FIXTURE[f"{case}/grad"])
    if function is not None:
        value, grad = value_and_grad(lambda x: function(y_true, x, **kwargs), y_pred)
        np.testing.assert_allclose(value, expected, **_tolerance(case))
        np.testing.assert_allclose(grad, expected_grad, **_tolerance(case))
    # The class: the batch mean of a per-sample loss, the loss itself otherwise; its gradient is the function's
    # (per sample) divided by the batch size.
    loss = cls(**kwargs)
    value, grad = value_and_grad(lambda x: loss(y_true, x), y_pred)
    scale = np.size(expected) if per_sample else 1
    np.testing.assert_allclose(value, np.sum(expected) / scale, **_tolerance(case))
    np.testing.assert_allclose(grad, expected_grad / scale, **_tolerance(case))


def test_no_positive_or_negative_pair_is_zero_where_addons_is_nan():
    for case in ("semihard_distinct", "lifted_distinct", "lifted_same_1.0"):
        assert np.isnan(FIXTURE[f"{case}/loss"])
        function = LOSSES[_case(case)[0]][0]
        value, grad = value_and_grad(lambda x: function(FIXTURE[f"{case}/y_true"], x), FIXTURE[f"{case}/y_pred"])
        assert value == 0.0 and np.all(grad == 0.0)


@pytest.mark.parametrize("case", [case for case in CASES if case.startswith("sparsemax")])
def test_sparsemax_matches_addons(case):
    logits = FIXTURE[f"{case}/y_pred"]
    probabilities = keras.ops.convert_to_numpy(_sparsemax(keras.ops.convert_to_tensor(logits)))
    np.testing.assert_allclose(probabilities, FIXTURE[f"{case}/sparsemax"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
    function_value = losses.sparsemax_loss(logits, probabilities, FIXTURE[f"{case}/y_true"])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(function_value), FIXTURE[f"{case}/loss"], rtol=1e-5,
                               atol=1e-6)


def test_half_precision_embeddings_are_computed_in_float32():
    case = "semihard_mixed_L2_1.0"
    y_true, y_pred = FIXTURE[f"{case}/y_true"], FIXTURE[f"{case}/y_pred"]
    value = losses.triplet_semihard_loss(y_true, keras.ops.cast(y_pred, "float16"))
    assert keras.backend.standardize_dtype(value.dtype) == "float16"
    np.testing.assert_allclose(float(value), float(FIXTURE[f"{case}/loss"]), rtol=2e-3)


@pytest.mark.parametrize("make, match", [
    (lambda: losses.TripletSemiHardLoss(margin=-0.5), "margin"),
    (lambda: losses.TripletHardLoss(margin=-1), "margin"),
    (lambda: losses.TripletHardLoss(margin="1"), "margin"),
    (lambda: losses.TripletHardLoss(soft=1), "soft"),
    (lambda: losses.TripletSemiHardLoss(distance_metric="cosine"), "distance_metric"),
    (lambda: losses.TripletHardLoss(distance_metric=3), "distance_metric"),
    (lambda: losses.LiftedStructLoss(margin=-0.1), "margin"),
    (lambda: losses.ContrastiveLoss(margin=-2.0), "margin"),
    (lambda: losses.PinballLoss(tau=1.5), "tau"),
    (lambda: losses.PinballLoss(tau=[0.5, -0.1]), "tau"),
    (lambda: losses.PinballLoss(tau="median"), "tau"),
    (lambda: losses.WeightedKappaLoss(num_classes=1), "num_classes"),
    (lambda: losses.WeightedKappaLoss(num_classes=3.0), "num_classes"),
    (lambda: losses.WeightedKappaLoss(num_classes=3, weightage="cubic"), "weightage"),
    (lambda: losses.WeightedKappaLoss(num_classes=3, epsilon=0), "epsilon"),
    (lambda: losses.SparsemaxLoss(from_logits=False), "from_logits"),
    (lambda: losses.NpairsLoss(reduction="average"), "reduction"),
    (lambda: losses.triplet_semihard_loss([0, 0], np.ones((2, 2)), margin=-1.0), "margin"),
    (lambda: losses.triplet_hard_loss([0, 0], np.ones((2, 2)), distance_metric="L1"), "distance_metric"),
    (lambda: losses.contrastive_loss([0.0], [1.0], margin=-1.0), "margin"),
    (lambda: losses.pinball_loss([0.0], [1.0], tau=-0.2), "tau"),
])
def test_bad_arguments_raise_value_error_naming_them(make, match):
    with pytest.raises(ValueError, match=f"`{match}`"):
        make()


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
def registered_dot_similarity(x):
    return keras.ops.matmul(x, keras.ops.transpose(x))


@pytest.mark.parametrize("loss", [
    losses.TripletSemiHardLoss(margin=0.2, distance_metric="angular", reduction="sum", name="semi"),
    losses.TripletHardLoss(margin=0.5, soft=True, distance_metric=registered_dot_similarity, dtype="float64"),
    losses.LiftedStructLoss(margin=2.0),
    losses.ContrastiveLoss(margin=0.7, reduction="none"),
    losses.NpairsLoss(name="n"),
    losses.NpairsMultilabelLoss(),
    losses.PinballLoss(tau=[0.1, 0.9]),
    losses.WeightedKappaLoss(num_classes=5, weightage="linear", epsilon=1e-4),
    losses.SparsemaxLoss(),
], ids=lambda loss: type(loss).__name__)
def test_config_round_trip(loss):
    config = loss.get_config()
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == config
    assert json.loads(json.dumps(config)) == config


def test_distance_metric_spelling_is_addons():
    assert losses.TripletHardLoss(distance_metric="SQUARED-l2").get_config()["distance_metric"] == "squared-L2"


def _unit(x):
    return keras.ops.normalize(x, axis=-1)


rng = np.random.default_rng(0)
EMBEDDINGS = rng.standard_normal((16, 6)).astype("float32")
LABELS = np.repeat(np.arange(4), 4).astype("int32")


def _model(head):
    inputs = keras.Input(EMBEDDINGS.shape[1:])
    return keras.Model(inputs, head(inputs))


ONE_HOT = np.eye(4, dtype="float32")[LABELS]


# One loss of each kind: mined triplets, pairs, N-pairs, quantiles, kappa, sparsemax.
@pytest.mark.parametrize("loss, y, head", [
    (losses.TripletSemiHardLoss(), LABELS, lambda i: _unit(keras.layers.Dense(4)(i))),
    (losses.ContrastiveLoss(), rng.integers(0, 2, 16).astype("float32"),
     lambda i: keras.layers.Dense(1, activation="softplus")(i)),
    (losses.NpairsLoss(), LABELS, lambda i: keras.layers.Dense(16)(i)),
    (losses.PinballLoss(tau=[0.1, 0.9]), rng.standard_normal((16, 2)).astype("float32"),
     lambda i: keras.layers.Dense(2)(i)),
    (losses.WeightedKappaLoss(num_classes=4), ONE_HOT, lambda i: keras.layers.Dense(4, activation="softmax")(i)),
    (losses.SparsemaxLoss(), ONE_HOT, lambda i: keras.layers.Dense(4)(i)),
], ids=lambda p: type(p).__name__ if isinstance(p, keras.losses.Loss) else "")
def test_fit_with_jit_compile(loss, y, head):
    model = _model(head)
    # One batch: the loss fit reports is the compiled loss at the initial weights.
    eager = float(keras.ops.convert_to_numpy(loss(y, model(EMBEDDINGS))))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss, jit_compile=True)
    # No shuffling: the N-pairs similarity matrix is not a per-sample output (its columns follow the batch order).
    history = model.fit(EMBEDDINGS, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], eager, rtol=1e-5, atol=1e-6)


def test_keras_file_round_trip_of_a_compiled_model():
    model = _model(lambda i: keras.layers.Dense(4)(i))
    model.compile(optimizer="sgd", loss=losses.TripletHardLoss(margin=0.3, distance_metric="angular"))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    assert isinstance(loaded.loss, losses.TripletHardLoss)
    assert loaded.loss.get_config() == model.loss.get_config()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.loss(LABELS, loaded(EMBEDDINGS))),
                               keras.ops.convert_to_numpy(model.loss(LABELS, model(EMBEDDINGS))), rtol=1e-6)
