"""Layer-contract cases of the SSD300 layers (tests/cases.py collects them)."""

import keras

from keras_dlx import layers
from tests.contract_case import case

CASES = [
    # SSD's conv4_3_norm: per-channel scale initialised to 20.
    case(layers.ScaledL2Normalization, dict(), (2, 5, 5, 6), "scaled-l2-norm-ssd", normalization=True),
    case(layers.ScaledL2Normalization, dict(channel_shared=True, epsilon=1e-6,
                                            scale_initializer=keras.initializers.Constant(10.0)), (2, 4, 3, 3, 4),
         "scaled-l2-norm-shared-5d", normalization=True),
    case(layers.ScaledL2Normalization, dict(scale_regularizer="l2"), (3, 7), "scaled-l2-norm-2d-regularized",
         normalization=True),
]
