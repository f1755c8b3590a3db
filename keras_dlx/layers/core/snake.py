"""The Snake activation with a learned frequency."""

import keras

from keras_dlx.activations.snake import snake
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class Snake(keras.layers.Layer):
    """Snake activation (Ziyin et al. 2020) with one learned frequency `f` for the whole layer.

        y = x + (1 - cos(2 f x)) / (2 f)

    The layer form of `keras_dlx.activations.snake`, as TensorFlow Addons' `tfa.layers.Snake`: one scalar
    weight `frequency`, initialised to 1.

    Args:
        frequency_initializer: for the scalar `frequency`. Defaults to "ones".

    Input shape:
        Any tensor of rank >= 2 (batch first).

    Output shape:
        Same as the input.

    Example:

    >>> layer = keras_dlx.layers.Snake()
    >>> np.round(keras.ops.convert_to_numpy(layer(np.array([[-1.0, 0.0, 1.0]]))), 4)
    array([[-0.2919,  0.    ,  1.7081]], dtype=float32)

    Reference:
        - [Ziyin et al. 2020, Neural Networks Fail to Learn Periodic Functions and How to Fix It](
          https://arxiv.org/abs/2006.08195)
    """

    def __init__(self, frequency_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        args.keras_objects(self, frequency_initializer=frequency_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2 (batch "
                             f"first). Received: input_shape={tuple(input_shape)}")
        self.frequency = self.add_weight(name="frequency", shape=(),
                                         initializer=args.fresh_initializer(self.frequency_initializer))

    def call(self, inputs):
        return snake(inputs, self.frequency)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("frequency_initializer",)))
        return config
