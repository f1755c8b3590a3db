"""Sparsemax as a layer."""

import keras

from keras_dlx.activations.sparsemax import sparsemax
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class Sparsemax(keras.layers.Layer):
    """Sparsemax over one axis, as a layer: `keras_dlx.activations.sparsemax(inputs, axis)`.

    Like `keras.layers.Softmax`, but outputs can be exactly zero (the projection of the inputs onto the
    probability simplex). Same arguments and values as TensorFlow Addons' `tfa.layers.Sparsemax`. Keras 3.15's
    `keras.activations.sparsemax` is wrong when two or more outputs are non-zero (see
    `keras_dlx.activations.sparsemax`).

    Args:
        axis: int, the axis to normalize over, not the batch axis 0. Defaults to -1.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:

    >>> layer = keras_dlx.layers.Sparsemax()
    >>> np.round(keras.ops.convert_to_numpy(layer(np.array([[2.0, 1.0, -1.0]], "float32"))), 4)
    array([[1., 0., 0.]], dtype=float32)

    Reference:
        - [Martins & Astudillo 2016, From Softmax to Sparsemax](https://arxiv.org/abs/1602.02068)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool) or axis == 0:
            args.invalid("axis", axis, "an integer axis other than the batch axis 0")
        self.axis = axis
        self.supports_masking = True

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"Invalid `axis` for layer '{self.name}': expected an axis of the rank-{len(input_shape)} "
                             f"input. Received: axis={self.axis}, input_shape={tuple(input_shape)}")

    def call(self, inputs):
        return sparsemax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
