"""The benchmark harness runs, and every benchmark case builds its layers (timing itself is not tested)."""

import keras
import pytest

from benchmarks import attention, crf, harness, layers, normalization, recurrent, roi


def test_compare_reports_a_ratio_and_a_verdict():
    row = harness.compare("dense", lambda: keras.layers.Dense(3), lambda: keras.layers.Dense(3), (4, 5),
                          target=("<=", 1e9), repeats=2)
    assert row["ratio"] > 0 and harness.verdict(row) == "ok"
    assert "dense" in harness.table([row])


@pytest.mark.parametrize("module", [attention, crf, layers, normalization, recurrent, roi])
def test_every_case_builds(module):
    for name, ours, peer, target in module.cases():
        assert isinstance(ours(), keras.layers.Layer) and isinstance(peer(), keras.layers.Layer), name


def test_nms_cases_run():
    from benchmarks import nms

    for name, ours, peer, target in nms.cases(count=50, classes=4):
        ours()(), peer()()


def test_block_cases_build():
    for name, ours, peer, target in attention.block_cases():
        assert ours().count_params() == peer().count_params(), name


def test_inference_comparison_and_application_peers_exist():
    from benchmarks import applications as app_benchmarks
    from keras_dlx import applications

    row = harness.compare("dense", lambda: keras.layers.Dense(3), lambda: keras.layers.Dense(3), (4, 5),
                          repeats=2, step=harness.inference_step)
    assert row["ratio"] > 0
    for keras_name, registry_name, size in app_benchmarks.PEERS:
        assert hasattr(keras.applications, keras_name) and registry_name in applications.list_models()


def test_train_on_batch_path_wraps_a_layer_in_a_model():
    row = harness.compare("dense", lambda: keras.layers.Dense(3), lambda: keras.layers.Dense(3), (4, 5),
                          repeats=2, step=harness.train_on_batch_step)
    assert row["ratio"] > 0


def test_main_reports_both_paths(capsys):
    cases = [("dense", lambda: keras.layers.Dense(3), lambda: keras.layers.Dense(3), ("<=", 1e9))]
    harness.main(cases, (4, 5), "test", ["--repeats", "2"])
    out = capsys.readouterr().out
    assert "dense [tape]" in out and "dense [train_on_batch]" in out


def test_detector_benchmark_measures_a_detector():
    from benchmarks import detectors

    r = detectors.measure_one("ssdlite", batch=2, repeats=1, jit=False, num_classes=3, input_shape=(64, 64, 1),
                              backbone_kwargs={"alpha": 0.25}, extra_filters=(32, 32))
    assert r["anchors"] == 516 and r["infer_ips"] > 0 and r["train_ips"] > 0 and r["peak_mb"] > 0
