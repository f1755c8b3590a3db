"""`keras-dlx` on bad command lines: random values for every flag of every subcommand, the files `evaluate` is
given, and the console script on the examples of the bug report.

Only two outcomes are allowed: validated arguments (exit 0 once the command has run), or exit status 2 with one
line on stderr naming the flag. `cli.parse` is what is fuzzed, so a valid combination never starts training.
"""

import contextlib
import io
import math
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile

import keras
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from keras_dlx import applications, cli
from keras_dlx.data import DATASETS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = applications.list_models()
BAD_FILES = ["README.md", "missing.keras", "folder.keras", "corrupt.keras", "not_a_model.keras", "empty.h5",
             "text.h5", "uncompiled.keras", "vector.keras", "", "/proc/forbidden.keras"]


def _classifier(input_shape, classes, compiled=True):
    model = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(classes, activation="softmax")])
    if compiled:
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.optimizer.build(model.trainable_variables)  # as after training: Keras warns of unbuilt ones at load
    return model


def _make_files(root):
    _classifier((28, 28, 1), 10).save(root / "good.keras")
    _classifier((32, 32, 3), 10).save(root / "rgb.keras")
    _classifier((28, 28, 1), 3).save(root / "three_classes.keras")
    _classifier((28, 28, 1), 10, compiled=False).save(root / "uncompiled.keras")
    _classifier((4,), 10).save(root / "vector.keras")
    (root / "corrupt.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with zipfile.ZipFile(root / "not_a_model.keras", "w") as archive:
        archive.writestr("notes.txt", "hello")
    (root / "empty.h5").write_bytes(b"")
    (root / "text.h5").write_text("hello")
    (root / "folder.keras").mkdir()
    (root / "a_file").write_text("a file where a directory is expected")
    shutil.copy(os.path.join(ROOT, "README.md"), root / "README.md")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working directory holding the files `evaluate` is given; the directories the tests name go here too."""
    root = tmp_path_factory.mktemp("cli")
    _make_files(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("TF_CONFIG", raising=False)
        yield root


def parse(argv):
    """`cli.parse(argv)` as `(args, exit status, stderr)`; any other exception fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            return cli.parse(argv), 0, err.getvalue()
        except SystemExit as exit_info:
            return None, exit_info.code, err.getvalue()


def one_error_line(code, err):
    assert code == 2, (code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("keras-dlx: error: ") and len(lines[0]) > 18, err
    return lines[0]


# Values as they are typed: strings. A name made only of these characters stays inside the working directory.
NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.", min_size=1, max_size=8)
not_a_number = st.text(max_size=6).filter(lambda s: not re.fullmatch(r"\s*[-+]?[\d_.eE]+\s*", s))


def _int_outside(minimum, maximum=None):
    below = st.integers(max_value=minimum - 1)
    above = [st.integers(min_value=maximum + 1)] if maximum is not None else []
    return st.one_of(below, *above, st.sampled_from(["1.5", "1e3", "nan", "inf", "", " "]), not_a_number,
                     st.integers(min_value=5000, max_value=5100).map(lambda n: "9" * n)).map(str)


def _choice_other_than(allowed):
    return st.text(max_size=12).filter(lambda s: s not in allowed)


def _directory(prefix):
    return NAME.map(lambda name: prefix + name)


def _devices(most):
    kinds = st.sampled_from(["/gpu:", "GPU:", "/device:GPU:", "/cpu:", "/job:worker/replica:0/task:0/device:CPU:"])
    indices = st.lists(st.integers(0, 7), min_size=1, max_size=most, unique=True)
    return st.tuples(indices, st.lists(kinds, min_size=most, max_size=most)).map(
        lambda pair: ",".join(kind + str(i) for i, kind in zip(*pair)))


VALID = {
    "train": {
        "--model": st.sampled_from(MODELS),
        "--dataset": st.sampled_from(DATASETS),
        "--epochs": st.integers(1, 10**6).map(str),
        "--batch-size": st.integers(1, 10**6).map(str),
        "--learning-rate": st.floats(min_value=0, exclude_min=True, allow_infinity=False).map(repr),
        "--optimizer": st.sampled_from(["adam", "sgd"]),
        "--logical-cpus": st.integers(1, cli.MAX_LOGICAL_CPUS).map(str),
        "--precision": st.sampled_from(cli.PRECISIONS),
        "--logdir": _directory("log_"),
        "--backup-dir": _directory("backup_"),
        "--output": _directory("out_").map(lambda path: path + ".keras"),
        "--train-samples": st.integers(1, 10**6).map(str),
        "--seed": st.integers(0, cli.MAX_SEED).map(str),
        "--verbose": st.sampled_from(["0", "1", "2"]),
    },
    "evaluate": {
        "--dataset": st.sampled_from(DATASETS),
        "--batch-size": st.integers(1, 10**6).map(str),
    },
}
UNWRITABLE = st.sampled_from(["/proc/forbidden", "/proc/forbidden/deeper", "", "a_file", "a_file/sub", "x" * 300,
                              "nul\x00byte"])
INVALID = {
    "train": {
        "--model": _choice_other_than(MODELS),
        "--dataset": _choice_other_than(DATASETS),
        "--epochs": _int_outside(1),
        "--batch-size": _int_outside(1),
        "--learning-rate": st.one_of(st.floats(max_value=0).map(repr), not_a_number,
                                     st.sampled_from(["nan", "-nan", "inf", "-inf", "1e999", "-1", "0", ""])),
        "--optimizer": _choice_other_than(["adam", "sgd"]),
        "--strategy": _choice_other_than(cli.STRATEGIES),
        "--devices": st.one_of(st.sampled_from(["", "garbage", "/gpu:0,/gpu:0", "gpu:0,/GPU:0", "/gpu:x", "/gpu:0,",
                                                "/tpu0"]), not_a_number.filter(lambda s: not cli.DEVICE.fullmatch(s))),
        "--logical-cpus": _int_outside(1, cli.MAX_LOGICAL_CPUS),
        "--precision": _choice_other_than(cli.PRECISIONS),
        "--logdir": UNWRITABLE,
        "--backup-dir": UNWRITABLE,
        "--output": st.sampled_from(["", "model", "model.h5", "folder.keras", "a_file/m.keras",
                                     "/proc/forbidden/m.keras", "x" * 300 + "/m.keras", "nul\x00byte.keras"]),
        "--train-samples": _int_outside(1),
        "--seed": _int_outside(0, cli.MAX_SEED),
        "--verbose": _int_outside(0, 2),
    },
    "evaluate": {
        "MODEL.keras": st.one_of(st.sampled_from(BAD_FILES), NAME.map(lambda name: "missing_" + name)),
        "--dataset": _choice_other_than(DATASETS),
        "--batch-size": _int_outside(1),
    },
}


@st.composite
def valid_train(draw):
    """A `train` command line that every check accepts, as a list of tokens."""
    strategy = draw(st.sampled_from(cli.STRATEGIES))
    chosen = draw(st.lists(st.sampled_from(sorted(VALID["train"])), unique=True, max_size=6))
    values = {flag: draw(VALID["train"][flag]) for flag in chosen}
    if draw(st.booleans()):  # --small-input applies to ResNets and ResNeXts only
        values["--model"] = draw(st.sampled_from([m for m in MODELS if m.startswith(("resnet", "resnext"))]))
        values["--small-input"] = None
    if strategy in ("one_device", "mirrored") and draw(st.booleans()):
        values["--devices"] = draw(_devices(1 if strategy == "one_device" else 4))
    if draw(st.booleans()):
        values["--jit"] = None
    values["--strategy"] = strategy
    return [token for flag, value in values.items() for token in ([flag] if value is None else [f"{flag}={value}"])]


@st.composite
def valid_evaluate(draw):
    chosen = draw(st.lists(st.sampled_from(sorted(VALID["evaluate"])), unique=True))
    return [f"{flag}={draw(VALID['evaluate'][flag])}" for flag in chosen] + ["--", "good.keras"]


def _with_bad_value(tokens, flag, value):
    """`tokens` with `flag` given `value` (the last occurrence wins in argparse; `=` keeps a leading `-` a value)."""
    if flag == "MODEL.keras":
        return tokens[:-1] + [value]
    return tokens[:-2] + [f"{flag}={value}"] + tokens[-2:] if "--" in tokens else tokens + [f"{flag}={value}"]


# The same pseudo-random command lines on every run. To explore further:
# `KERAS_DLX_EXPLORE=1 pytest tests/test_cli_properties.py --hypothesis-seed=N`.
FUZZ = settings(deadline=None, derandomize=not os.environ.get("KERAS_DLX_EXPLORE"),
                suppress_health_check=[HealthCheck.too_slow])


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_valid_command_lines_parse(workdir, data):
    command = data.draw(st.sampled_from(["train", "evaluate"]), label="command")
    tokens = data.draw(valid_train() if command == "train" else valid_evaluate(), label="tokens")
    args, code, err = parse([command] + tokens)
    assert code == 0 and err == "", err
    check_validated(args)
    if command == "train" and not any(token.startswith("--precision=") for token in tokens):
        assert args.precision == "auto"  # resolved when training starts, from the devices it runs on


@settings(FUZZ, max_examples=400)
@given(data=st.data())
def test_one_bad_value_exits_2_with_one_line_naming_flag_and_value(workdir, data):
    command = data.draw(st.sampled_from(["train", "evaluate"]), label="command")
    tokens = data.draw(valid_train() if command == "train" else valid_evaluate(), label="valid tokens")
    flag = data.draw(st.sampled_from(sorted(INVALID[command])), label="flag")
    value = data.draw(INVALID[command][flag], label="value")
    _, code, err = parse([command] + _with_bad_value(tokens, flag, value))
    line = one_error_line(code, err)
    assert f"argument {flag}" in line and repr(value) in line, line


def test_flags_that_depend_on_another_exit_2_naming_both(workdir):
    for argv, flag, other in [(["train", "--small-input"], "--small-input", "--model='lenet5'"),
                              (["train", "--devices", "/gpu:0"], "--devices", "--strategy='auto'"),
                              (["train", "--strategy", "one_device", "--devices", "/gpu:0,/gpu:1"], "--devices",
                               "'/gpu:0,/gpu:1'")]:
        line = one_error_line(*parse(argv)[1:])
        assert f"argument {flag}" in line and other in line, line


def _any_value(command, flag):
    # Mostly valid values, so that some command lines get through to the checks of several flags together.
    valid, invalid = VALID[command].get(flag), INVALID[command].get(flag)
    return st.one_of(*[s for s in (valid, valid, valid, invalid) if s is not None])


@st.composite
def any_command_line(draw):
    """Anything: a subcommand or not, flags with good, bad or missing values, stray tokens, `--flag=value`."""
    command = draw(st.sampled_from(["train", "train", "evaluate", "evaluate", "models", "stray"]))
    command = draw(st.text(max_size=8)) if command == "stray" else command
    flags = sorted((set(VALID.get(command, {})) | set(INVALID.get(command, {}))) - {"MODEL.keras"})
    flags += ["--jit", "--small-input"] if command == "train" else []
    tokens = [command]
    for flag in draw(st.lists(st.sampled_from(flags), max_size=6)) if flags else []:
        form = draw(st.sampled_from(["separate", "equals", "bare"]))
        value = draw(_any_value(command, flag)) if form != "bare" and flag not in ("--jit", "--small-input") else None
        tokens += [flag] if value is None else [f"{flag}={value}"] if form == "equals" else [flag, value]
    if command == "evaluate" and draw(st.booleans()):
        tokens.append(draw(st.one_of(st.just("good.keras"), INVALID["evaluate"]["MODEL.keras"])))
    stray = st.one_of(st.text(max_size=6), st.from_regex(r"\A--?[a-z-]{0,9}(=[a-z0-9]{0,3})?\Z"))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        tokens.insert(draw(st.integers(1, len(tokens))), draw(stray))
    return tokens


def check_validated(args):
    """What a successful parse promises to the command that runs next."""
    if args.command == "evaluate":
        assert args.keras_model.compiled and args.batch_size >= 1 and args.dataset in DATASETS
        return
    if args.command != "train":
        return
    assert args.model in MODELS and args.dataset in DATASETS and args.epochs >= 1 and args.batch_size >= 1
    assert math.isfinite(args.learning_rate) and args.learning_rate > 0 and 0 <= args.seed <= cli.MAX_SEED
    assert args.train_samples is None or args.train_samples >= 1
    assert args.logical_cpus is None or 1 <= args.logical_cpus <= cli.MAX_LOGICAL_CPUS
    assert args.verbose in (0, 1, 2) and args.precision in cli.PRECISIONS and args.strategy in cli.STRATEGIES
    assert args.devices is None or args.strategy in ("one_device", "mirrored")
    assert not args.small_input or args.model.startswith(("resnet", "resnext"))
    for directory in (args.logdir, args.backup_dir):
        assert directory is None or os.path.isdir(directory)
    assert args.output is None or (args.output.endswith(".keras") and not os.path.isdir(args.output))


# What argparse and the CLI say; `argument NAME` names a flag, the positional or the subcommand.
ERROR_KINDS = re.compile(r"keras-dlx: error: (argument (?P<name>\S+): |unrecognized arguments: |ambiguous option: "
                         r"|the following arguments are required: )")
NAMES = {flag for table in (VALID, INVALID) for flags in table.values() for flag in flags}
NAMES |= {"--strategy", "--jit", "--small-input", "-h/--help", "command"}
NAMES |= {"--latent-dim", "--loss", "--conditional", "--log-likelihood-samples", "--samples"}  # generative tasks


@settings(FUZZ, max_examples=600)
@given(argv=any_command_line())
def test_any_command_line_parses_or_exits_2_with_one_line(workdir, argv):
    args, code, err = parse(argv)
    event(f"{argv[0] if argv[0] in ('train', 'evaluate', 'models') else 'no command'}: exit {code}")
    if args is not None:
        check_validated(args)
    elif code == 0:  # -h, or an abbreviation of --help
        assert any(token.startswith(("-h", "--h")) for token in argv), argv
    else:
        line = one_error_line(code, err)
        kind = ERROR_KINDS.match(line)
        assert kind and (kind["name"] is None or kind["name"] in NAMES), (argv, line)


@pytest.mark.parametrize("path", BAD_FILES + ["a_file"])
def test_evaluate_rejects_a_file_keras_cannot_use(workdir, path):
    line = one_error_line(*parse(["evaluate", path])[1:])
    assert line.startswith("keras-dlx: error: argument MODEL.keras: expected a") and repr(path) in line, line


def run_main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_what_only_the_data_can_tell_exits_2_before_any_model_runs(workdir):
    # The synthetic set (409 training images, 28x28x1, 10 classes) is generated in no time; the digits are read once.
    for argv, expected in [(["train", "--train-samples", "4001"], "argument --train-samples: expected at most the "
                                                                  "4000 training images of 'digits'. Received: 4001"),
                           (["train", "--dataset", "synthetic", "--train-samples", "16"],
                            "argument --batch-size: expected at most the 16 training images"),
                           (["train", "--dataset", "synthetic", "--batch-size", "410"],
                            "argument --batch-size: expected at most the 409 training images"),
                           (["evaluate", "rgb.keras", "--dataset", "synthetic"],
                            "argument --dataset: expected images with the model's 3 channel(s)"),
                           (["evaluate", "three_classes.keras", "--dataset", "synthetic"],
                            "argument --dataset: expected at most the model's 3 classes")]:
        code, out, err = run_main(argv)
        assert code == 2 and one_error_line(code, err).startswith("keras-dlx: error: " + expected), err
        assert "replica(s)" not in out and "test accuracy" not in out, out  # nothing was built or run


def test_evaluate_prints_loss_and_accuracy(workdir):
    code, out, err = run_main(["evaluate", "good.keras", "--batch-size", str(10**30)])  # capped at the test set
    assert code == 0 and re.search(r"good.keras on digits: test loss \d+\.\d{4}, test accuracy 0\.\d{4}", out), out


# TensorFlow's C++ start-up lines, written while `import keras_dlx` loads TensorFlow, before the CLI runs.
TENSORFLOW_LOG = re.compile(r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
                            r"STDERR|[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] .*|To enable the following instructions:.*")


def _console_script():
    beside = os.path.join(os.path.dirname(sys.executable), "keras-dlx")
    return beside if os.path.exists(beside) else shutil.which("keras-dlx")


@pytest.mark.parametrize("argv, expected", [
    (["evaluate", "README.md"], "argument MODEL.keras: expected a .keras or .h5 model file that Keras can load. "
                                "Received: 'README.md'"),
    # "-1e-3" is no option name: it reaches the flag's own check (argparse alone reports a missing value).
    (["train", "--learning-rate", "-1e-3"], "argument --learning-rate: expected a finite number > 0. "
                                            "Received: '-1e-3'"),
    (["train", "--train-samples", "0"], "argument --train-samples: expected an integer >= 1. Received: '0'"),
    (["train", "--logdir", "/proc/forbidden"], "argument --logdir: expected a directory that can be created and "
                                               "written to. Received: '/proc/forbidden'"),
], ids=["evaluate-readme", "negative-learning-rate", "zero-train-samples", "unwritable-logdir"])
def test_console_script_rejects_the_reported_command_lines_before_any_work(argv, expected):
    # As a new user runs it: no TF_CPP_MIN_LOG_LEVEL, from the repository root (README.md is there).
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_CONFIG")}
    start = time.perf_counter()
    done = subprocess.run([_console_script()] + argv, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    seconds = time.perf_counter() - start
    ours = [line for line in done.stderr.splitlines() if not TENSORFLOW_LOG.fullmatch(line)]
    assert done.returncode == 2 and done.stdout == "", (done.returncode, done.stdout, done.stderr[-2000:])
    assert len(ours) == 1 and ours[0].startswith("keras-dlx: error: " + expected), done.stderr[-2000:]
    assert seconds < 30, f"{seconds:.1f} s: more than importing TensorFlow takes"
