"""What Keras's dtype promotion does with float64 on the current backend."""

import keras


def keeps_float64():
    """Whether Keras keeps float64 results in float64 on this backend.

    Keras maps 64-bit results of its type promotion to 32-bit on every backend but TensorFlow, as JAX does
    (`keras.backend.result_type("float64", "float32")` is "float32" there), so `keras.ops.tanh`, `mean` or
    `keras.layers.BatchNormalization` compute a float64 input in float32 on JAX and PyTorch.
    """
    return keras.backend.result_type("float64", "float32") == "float64"
