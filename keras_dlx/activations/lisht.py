"""LiSHT: the input scaled by its own hyperbolic tangent."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_dlx")
def lisht(x):
    """Linearly scaled hyperbolic tangent (Roy et al. 2019).

        lisht(x) = x * tanh(x)

    Non-negative and symmetric, unbounded above like ReLU; its gradient is non-zero for negative inputs, unlike
    ReLU's. Same values as TensorFlow Addons' `tfa.activations.lisht`. Registered as `"keras_dlx>lisht"`, so
    `keras.layers.Dense(8, activation=keras_dlx.activations.lisht)` saves to and loads from `.keras` files.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:

    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.activations.lisht(np.array([-1.0, 0.0, 2.0]))), 4)
    array([0.7616, 0.    , 1.9281])

    Reference:
        - [Roy et al. 2019, LiSHT: Non-Parametric Linearly Scaled Hyperbolic Tangent Activation Function for
          Neural Networks](https://arxiv.org/abs/1901.05894)
    """
    x = ops.convert_to_tensor(x)
    return x * ops.tanh(x)
