"""The `keras-dlx` command line: the README's first command end to end, `models`, `evaluate`, bad flags."""

import glob
import os
import re
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_dlx import cli
from keras_dlx.data import load, load_mnist
from keras_dlx.utils import hardware

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_embedded_digits_are_real_mnist():
    (x_train, y_train), (x_test, y_test) = load_mnist("embedded")
    assert x_train.shape == (4000, 28, 28, 1) and x_test.shape == (1000, 28, 28, 1)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() == 1.0
    assert sorted(set(y_train.tolist())) == list(range(10))
    assert np.bincount(np.concatenate([y_train, y_test])).tolist() == [500] * 10


def test_load_mnist_rejects_unknown_source():
    with pytest.raises(ValueError, match="source='nope'"):
        load_mnist("nope")


def test_synthetic_dataset_says_it_is_for_smoke_tests(capsys):
    (x, y), (x_test, y_test) = load("synthetic")
    assert x.shape[1:] == (28, 28, 1) and set(y.tolist()) <= set(range(10))
    assert "smoke tests only" in capsys.readouterr().out


def scalar_tags(logdir):
    import tensorflow as tf

    tags, graphs = set(), 0
    for path in glob.glob(os.path.join(logdir, "**", "events.out.tfevents.*"), recursive=True):
        for event in tf.compat.v1.train.summary_iterator(path):
            graphs += bool(event.graph_def)
            tags.update(value.tag for value in event.summary.value)
    return tags, graphs


@pytest.mark.slow
def test_train_end_to_end_logs_saves_and_evaluates(tmp_path, capsys):
    logdir = str(tmp_path / "run")
    assert cli.main(["train", "--epochs", "1", "--verbose", "0", "--logdir", logdir]) == 0
    out = capsys.readouterr().out
    printed = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert printed > 0.5, out  # LeNet-5, one epoch on 4,000 digits: about 0.85; chance is 0.1
    tags, graphs = scalar_tags(logdir)
    assert "epoch_loss" in tags and graphs >= 1, (tags, graphs)
    model_path = os.path.join(logdir, "model.keras")
    model = keras.saving.load_model(model_path, safe_mode=True)
    (_, _), (x_test, y_test) = load_mnist("embedded")
    accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(-1) == y_test))
    assert abs(accuracy - printed) < 1e-4
    assert cli.main(["evaluate", model_path, "--dataset", "digits"]) == 0
    assert f"test accuracy {printed:.4f}" in capsys.readouterr().out


@pytest.mark.slow
def test_train_a_resnet_with_bfloat16_on_the_digits(tmp_path, capsys):
    args = ["train", "--model", "resnet18", "--epochs", "1", "--train-samples", "64", "--batch-size", "32",
            "--precision", "mixed_bfloat16", "--verbose", "0", "--output", str(tmp_path / "r.keras")]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "resizing the images to that" in out and "test accuracy" in out  # 28x28 -> ResNet's 32x32
    keras.config.set_dtype_policy("float32")


def test_train_with_xla_in_the_precision_auto_picks(capsys):
    expected, why = hardware.resolve_precision("auto")
    assert cli.main(["train", "--jit", "--epochs", "1", "--train-samples", "256", "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert f"keras_dlx: precision: {expected} because {why}\n" in out and f"replica(s), {expected}\n" in out, out
    assert "test accuracy" in out
    assert keras.config.dtype_policy().name == "float32"  # the run's policy stays with its model


# /proc/cpuinfo as Linux writes it, one processor of each.
COOPER_LAKE = "processor\t: 0\nmodel name\t: Intel Xeon\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16\n\n"
SAPPHIRE_RAPIDS = "processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"
SKYLAKE = "processor\t: 0\nmodel name\t: avx512_bf16 is not a flag here\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n"
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\nCPU implementer\t: 0x41\n"


@pytest.mark.parametrize("gpus, cpuinfo, policy, why", [
    (["/physical_device:GPU:0"], COOPER_LAKE, "mixed_float16", "1 GPU(s) compute float16 natively"),
    ([], COOPER_LAKE, "mixed_bfloat16", "no GPU and the CPU computes bfloat16 natively (avx512_bf16)"),
    ([], SAPPHIRE_RAPIDS, "mixed_bfloat16", "natively (avx512_bf16, amx_bf16)"),
    ([], SKYLAKE, "float32", "no GPU and the CPU has no bfloat16 arithmetic"),
    ([], GRAVITON3, "float32", "no bfloat16 arithmetic (none of avx512_bf16, amx_bf16)"),
    ([], "", "float32", "no bfloat16 arithmetic"),
], ids=["gpu", "avx512_bf16", "amx_bf16", "avx512-without-bf16", "arm", "empty"])
def test_resolve_precision_auto_picks_what_the_hardware_computes(gpus, cpuinfo, policy, why):
    chosen, reason = hardware.resolve_precision("auto", gpus=gpus, cpuinfo=cpuinfo)
    assert (chosen, why in reason) == (policy, True), reason


def test_resolve_precision_without_proc_cpuinfo_is_float32(monkeypatch, tmp_path):
    monkeypatch.setattr(hardware, "CPUINFO", str(tmp_path / "missing"))
    policy, why = hardware.resolve_precision("auto", gpus=[])
    assert policy == "float32" and why.startswith(f"no GPU and {tmp_path / 'missing'} is unreadable"), why
    (tmp_path / "cpuinfo").write_text(SAPPHIRE_RAPIDS)
    monkeypatch.setattr(hardware, "CPUINFO", str(tmp_path / "cpuinfo"))
    assert hardware.resolve_precision("auto", gpus=[])[0] == "mixed_bfloat16"


def test_resolve_precision_keeps_a_requested_policy_and_rejects_others():
    for policy in hardware.POLICIES:
        assert hardware.resolve_precision(policy, gpus=["/gpu:0"], cpuinfo=COOPER_LAKE) == (policy, "requested")
    with pytest.raises(ValueError, match=r"`precision`: expected 'auto' or one of .* Received: 'bfloat16'"):
        hardware.resolve_precision("bfloat16")


def test_resolve_precision_on_this_machine_follows_its_cpuinfo():
    import tensorflow as tf

    policy, why = hardware.resolve_precision("auto")
    if tf.config.list_physical_devices("GPU"):
        assert policy == "mixed_float16", why
    else:
        cpuinfo, _ = hardware._read_cpuinfo()
        native = cpuinfo is not None and bool(hardware.bfloat16_cpu_flags(cpuinfo))
        assert policy == ("mixed_bfloat16" if native else "float32"), why


def test_precision_auto_looks_only_at_the_devices_named(monkeypatch, tmp_path, capsys):
    (tmp_path / "cpuinfo").write_text(SKYLAKE)
    monkeypatch.setattr(hardware, "CPUINFO", str(tmp_path / "cpuinfo"))
    for devices, policy in [("/gpu:0,/GPU:1", "mixed_float16"), ("/cpu:0", "float32")]:
        args = cli.parse(["train", "--strategy", "mirrored", "--devices", devices])
        assert args.precision == "auto" and cli._precision(args) == policy
        assert capsys.readouterr().out.startswith(f"keras_dlx: precision: {policy} because ")
    args = cli.parse(["train", "--precision", "mixed_float16"])  # as requested, and not announced
    assert cli._precision(args) == "mixed_float16" and capsys.readouterr().out == ""


def test_hardware_module_imports_neither_keras_nor_tensorflow():
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('hardware', sys.argv[1]); "
            "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
            "print(sorted({'keras', 'tensorflow'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code, hardware.__file__], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr[-2000:]


def test_models_lists_registered_applications_with_parameters(monkeypatch, capsys):
    from keras_dlx import applications

    monkeypatch.setattr(applications, "list_models", lambda: ["lenet5", "shufflenet_g3"])
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"lenet5\s+61,706\s+32x32x1", out) and "shufflenet_g3" in out


@pytest.mark.parametrize("argv, flag", [
    (["train", "--strategy", "ring"], "--strategy"),
    (["train", "--dataset", "imagenet"], "--dataset"),
    (["train", "--model", "resnet9"], "--model"),
    (["train", "--precision", "float8"], "--precision"),
])
def test_bad_flags_exit_2_with_one_line(capsys, argv, flag):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and "choose from" in err, err


def test_unusable_dataset_and_tf_config_exit_2(monkeypatch, capsys):
    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    assert cli.main(["train", "--dataset", "cifar10"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("keras-dlx: error: argument --dataset")
    assert "offline" in err.lower()
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]}}')
    with pytest.raises(SystemExit) as exit_info:  # checked with the flags, before the data is loaded
        cli.main(["train"])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and len(err.splitlines()) == 1
    assert err.startswith("keras-dlx: error: Invalid `TF_CONFIG`: expected a 'task'"), err


def test_console_script_reports_an_indivisible_batch_without_a_traceback():
    # pip puts console scripts beside the environment's python.
    beside = os.path.join(os.path.dirname(sys.executable), "keras-dlx")
    executable = beside if os.path.exists(beside) else shutil.which("keras-dlx")
    assert executable, "keras-dlx is not installed: the console script of setup.cfg is missing"
    done = subprocess.run([executable, "train", "--strategy", "mirrored", "--logical-cpus", "2", "--batch-size",
                           "33"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("keras-dlx:")]
    assert errors and errors[0].startswith("keras-dlx: error: argument --batch-size: expected a multiple of the 2 "
                                           "replicas in sync. Received: 33"), errors
    assert "Traceback" not in done.stderr
