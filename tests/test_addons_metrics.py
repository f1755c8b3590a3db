"""keras_dlx.metrics against TensorFlow Addons 0.23 (fixtures from tests/fixtures/addons/record_metrics.py).

Tolerances (relative, absolute) are stored per case in the fixture: 1e-5 and 1e-6 for every float32 result
(the histogram correlations sum up to ~10^4 float32 products in a different order than Addons; counts are exact,
atol 0). One intended difference is checked everywhere: where Addons' result is NaN or infinite (an undefined
statistic: no samples yet, a constant prediction, a single class), keras_dlx gives 0.
"""

import json
import os
import tempfile

import keras
import numpy as np
import pytest

import keras_dlx.metrics as metrics
from tests import addons_fixtures

FIXTURE = addons_fixtures.load("metrics")
CASES = sorted(key[: -len("__config")] for key in FIXTURE if key.endswith("__config"))
FUNCTIONS = ("hamming_distance", "hamming_loss_fn")


def _config(case):
    return json.loads(str(FIXTURE[f"{case}__config"]))


def _batch(case, b):
    return {key: FIXTURE.get(f"{case}__{key}_{b}") for key in ("y_true", "y_pred", "sample_weight")}


def _expected(value):
    """Addons' value, with its undefined results (NaN, +-inf) replaced by keras_dlx's 0."""
    value = np.asarray(value, np.float64)
    return np.where(np.isfinite(value), value, 0.0)


def _update(metric, batch, takes_y_true):
    if takes_y_true:
        metric.update_state(batch["y_true"], batch["y_pred"], sample_weight=batch["sample_weight"])
    else:
        metric.update_state(batch["y_pred"], sample_weight=batch["sample_weight"])


def _result(metric):
    return keras.ops.convert_to_numpy(metric.result())


METRIC_CASES = [case for case in CASES if _config(case)["class"] not in FUNCTIONS]
FUNCTION_CASES = [case for case in CASES if _config(case)["class"] in FUNCTIONS]


def test_every_metric_has_fixture_cases():
    classes = {_config(case)["class"] for case in CASES}
    # Not from Addons: MeanAveragePrecision is checked against pycocotools (tests/test_detection_map.py), the
    # generative metrics against scipy and NumPy (tests/test_generative_metrics.py).
    from keras_dlx.metrics import generative

    assert classes == set(metrics.__all__) - {"MeanAveragePrecision"} - set(generative.__all__)


@pytest.mark.parametrize("case", METRIC_CASES)
def test_matches_addons_after_each_batch(case):
    config = _config(case)
    metric = getattr(metrics, config["class"])(**config["kwargs"])
    tolerance = {"rtol": config["rtol"], "atol": config["atol"]}
    np.testing.assert_allclose(_result(metric), _expected(FIXTURE[f"{case}__result_init"]), **tolerance)
    for b in range(config["batches"]):
        _update(metric, _batch(case, b), config["takes_y_true"])
        np.testing.assert_allclose(_result(metric), _expected(FIXTURE[f"{case}__result_{b}"]), **tolerance,
                                   err_msg=f"{case}, after batch {b}")


@pytest.mark.parametrize("case", FUNCTION_CASES)
def test_functions_match_addons(case):
    config = _config(case)
    batch = _batch(case, 0)
    if config["class"] == "hamming_distance":
        value = metrics.hamming_distance(batch["y_true"], batch["y_pred"])
    else:
        value = metrics.hamming_loss_fn(batch["y_true"].astype("float32"), batch["y_pred"], **config["kwargs"])
    # Counts over at most 20 labels: 1e-6.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(value), FIXTURE[f"{case}__result_0"], rtol=1e-6)


def _concatenated(case, config):
    batches = [_batch(case, b) for b in range(config["batches"])]
    merged = {}
    for key in ("y_true", "y_pred"):
        if batches[0][key] is not None:
            # An empty batch may have fewer axes (shape (0,) against (n, 1)): give it the others' trailing axes.
            trailing = max((b[key].shape for b in batches), key=len)[1:]
            merged[key] = np.concatenate([np.reshape(b[key], (len(b[key]),) + trailing) for b in batches])
    if batches[0]["sample_weight"] is None:
        merged["sample_weight"] = None
    else:
        merged["sample_weight"] = np.concatenate([
            np.broadcast_to(b["sample_weight"], b["y_pred"].shape[:1]) for b in batches])
    return merged


@pytest.mark.parametrize("case", [case for case in METRIC_CASES if _config(case)["batches"] > 1])
def test_batches_accumulate_like_one_batch(case):
    config = _config(case)
    streamed = getattr(metrics, config["class"])(**config["kwargs"])
    for b in range(config["batches"]):
        _update(streamed, _batch(case, b), config["takes_y_true"])
    whole = getattr(metrics, config["class"])(**config["kwargs"])
    _update(whole, _concatenated(case, config), config["takes_y_true"])
    # Same counts; float32 sums in another order: 1e-5.
    np.testing.assert_allclose(_result(streamed), _result(whole), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["kappa_sparse_weighted_quadratic", "mcc_multiclass_weighted", "mlcm_multilabel",
                                  "hamming_multilabel_threshold", "geometric_mean_zero", "harmonic_mean_weighted",
                                  "kendall_b_ranged", "spearman_ties", "pearson_default", "point_biserial_weighted"])
def test_reset_state_starts_over(case):
    config = _config(case)
    metric = getattr(metrics, config["class"])(**config["kwargs"])
    _update(metric, _batch(case, 0), config["takes_y_true"])
    _update(metric, _batch(case, 1), config["takes_y_true"])
    metric.reset_state()
    np.testing.assert_allclose(_result(metric), _expected(FIXTURE[f"{case}__result_init"]))
    _update(metric, _batch(case, 0), config["takes_y_true"])
    np.testing.assert_allclose(_result(metric), _expected(FIXTURE[f"{case}__result_0"]),
                               rtol=config["rtol"], atol=config["atol"])


def test_histogram_cut_points_are_addons():
    kwargs = json.loads(str(FIXTURE["cuts__kwargs"]))
    metric = metrics.PearsonsCorrelation(**kwargs)
    np.testing.assert_array_equal(metric.actual_cuts, FIXTURE["cuts__actual"])
    np.testing.assert_array_equal(metric.preds_cuts, FIXTURE["cuts__preds"])
    np.testing.assert_array_equal(metrics.KendallsTauB().actual_cuts, FIXTURE["cuts_default__actual"])


def test_values_at_the_upper_bound_fall_in_the_last_bin():
    # Addons fails here (2.0 + epsilon is 2.0 in float32); keras_dlx counts them in the last bin.
    metric = metrics.SpearmansRank(actual_min=-2.0, actual_max=2.0, preds_min=-2.0, preds_max=2.0)
    metric.update_state(np.array([-1.0, 0.0, 2.0, 3.0]), np.array([-1.5, 0.5, 1.0, 2.0]))
    assert float(metric.result()) == pytest.approx(0.9486833, rel=1e-5)  # 3 distinct true ranks, 4 predicted


def test_multilabel_confusion_matrix_warns_on_sample_weight():
    metric = metrics.MultiLabelConfusionMatrix(num_classes=2)
    with pytest.warns(UserWarning, match="sample_weight"):
        metric.update_state(np.array([[1, 0]]), np.array([[1, 1]]), sample_weight=np.array([2.0]))
    np.testing.assert_array_equal(_result(metric), [[[0, 0], [0, 1]], [[0, 1], [0, 0]]])


CONSTRUCTORS = [
    lambda: metrics.CohenKappa(num_classes=4, weightage="quadratic", sparse_labels=True, regression=True),
    lambda: metrics.MatthewsCorrelationCoefficient(num_classes=3, name="mcc"),
    lambda: metrics.HammingLoss(mode="multilabel", threshold=0.3),
    lambda: metrics.MultiLabelConfusionMatrix(num_classes=5),
    lambda: metrics.GeometricMean(),
    lambda: metrics.HarmonicMean(name="hm"),
    lambda: metrics.KendallsTauB(actual_min=-1.0, actual_max=2.0, preds_cutpoints=20),
    lambda: metrics.KendallsTauC(preds_min=-3.0),
    lambda: metrics.SpearmansRank(actual_cutpoints=11),
    lambda: metrics.PearsonsCorrelation(preds_max=5.0),
    lambda: metrics.PointBiserialCorrelation(),
]


@pytest.mark.parametrize("make", CONSTRUCTORS, ids=lambda make: type(make()).__name__)
def test_config_round_trip(make):
    metric = make()
    config = metric.get_config()
    assert type(metric).from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert type(restored) is type(metric) and restored.get_config() == config


BAD_ARGUMENTS = [
    (lambda: metrics.CohenKappa(num_classes=1), "num_classes"),
    (lambda: metrics.CohenKappa(num_classes=2.5), "num_classes"),
    (lambda: metrics.CohenKappa(num_classes=3, weightage="cubic"), "weightage"),
    (lambda: metrics.CohenKappa(num_classes=3, sparse_labels="yes"), "sparse_labels"),
    (lambda: metrics.CohenKappa(num_classes=3, regression=1), "regression"),
    (lambda: metrics.MatthewsCorrelationCoefficient(num_classes=0), "num_classes"),
    (lambda: metrics.MultiLabelConfusionMatrix(num_classes=-2), "num_classes"),
    (lambda: metrics.HammingLoss(mode="binary"), "mode"),
    (lambda: metrics.HammingLoss(mode="multilabel", threshold="high"), "threshold"),
    (lambda: metrics.hamming_loss_fn(np.ones((2, 2)), np.ones((2, 2)), 0.5, "ranked"), "mode"),
    (lambda: metrics.KendallsTauB(actual_min=1.0, actual_max=1.0), "actual_max"),
    (lambda: metrics.SpearmansRank(preds_min=2.0, preds_max=-1.0), "preds_max"),
    (lambda: metrics.PearsonsCorrelation(actual_min=float("nan")), "actual_min"),
    (lambda: metrics.KendallsTauC(actual_cutpoints=1), "actual_cutpoints"),
    (lambda: metrics.KendallsTauB(preds_cutpoints=10.0), "preds_cutpoints"),
]


@pytest.mark.parametrize("make, name", BAD_ARGUMENTS, ids=[f"{i}-{n}" for i, (_, n) in enumerate(BAD_ARGUMENTS)])
def test_bad_arguments_raise(make, name):
    # A metric's constructor names the metric; a function (hamming_loss_fn) has no object to name.
    owner = "" if "hamming_loss_fn" in str(make.__code__.co_names) else r" for \w+ '\w+'"
    with pytest.raises(ValueError, match=rf"Invalid `{name}`{owner}: expected .* Received: {name}="):
        make()


def _check_in_model(model, x, y, metric_list, batch_size, fit):
    model.compile(optimizer="adam", loss="mse", metrics=metric_list, jit_compile=True)
    if fit:
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    evaluated = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    predictions = keras.ops.convert_to_numpy(model(x))
    for metric in metric_list:
        reference = type(metric).from_config(metric.get_config())
        reference.update_state(y, predictions)
        # evaluate accumulates batch by batch inside the compiled step: 1e-5.
        np.testing.assert_allclose(evaluated[metric.name], _result(reference), rtol=1e-5, atol=1e-6,
                                   err_msg=metric.name)
    return evaluated


def test_classification_metrics_in_compiled_fit_and_evaluate():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = np.eye(4, dtype="float32")[np.argmax(x[:, :4] + 0.5 * rng.normal(size=(64, 4)), axis=1)]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="softmax")])
    # Start near the solution so that the metrics see a good classifier, not values near 0.
    model.layers[0].set_weights([3.0 * np.eye(6, 4, dtype="float32"), np.zeros(4, "float32")])
    metric_list = [metrics.CohenKappa(num_classes=4, weightage="linear"),
                   metrics.MatthewsCorrelationCoefficient(num_classes=4),
                   metrics.HammingLoss(mode="multiclass")]
    evaluated = _check_in_model(model, x, y, metric_list, batch_size=16, fit=True)
    assert evaluated["cohen_kappa"] > 0.1  # the model learned something: the values are not all trivially 0
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    again = loaded.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    for metric in metric_list:
        np.testing.assert_allclose(again[metric.name], evaluated[metric.name], rtol=1e-6)


def test_correlation_metrics_in_compiled_evaluate():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(96, 3)).astype("float32")
    y = (1.0 / (1.0 + np.exp(-x[:, :1] - 0.3 * rng.normal(size=(96, 1))))).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    evaluated = _check_in_model(model, x, y, [metrics.KendallsTauB(), metrics.PointBiserialCorrelation()],
                                batch_size=32, fit=False)
    assert abs(evaluated["kendalls_tau_b"]) > 0.05
