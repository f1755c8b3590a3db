"""Layer-contract cases of spectral normalization (tests/cases.py collects them)."""

import keras

from keras_dlx import layers
from tests.contract_case import case

# Wrappers get a function that builds fresh arguments: every contract check needs its own inner layer.
CASES = [
    case(layers.SpectralNormalization, lambda: dict(layer=keras.layers.Dense(4, activation="tanh")), (3, 5),
         "spectral-norm-dense"),
    case(layers.SpectralNormalization, lambda: dict(layer=keras.layers.Conv2D(4, 3, strides=2, padding="same"),
                                                     power_iterations=2), (2, 6, 6, 3), "spectral-norm-conv2d"),
    case(layers.SpectralNormalization, lambda: dict(layer=keras.layers.Conv2DTranspose(4, 3, strides=2)),
         (2, 4, 4, 3), "spectral-norm-conv2d-transpose"),
]
