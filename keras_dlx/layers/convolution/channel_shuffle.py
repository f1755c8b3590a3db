"""ShuffleNet's channel shuffle as a layer."""

import keras

from keras_dlx.layers.convolution import conv_ops
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class ChannelShuffle(keras.layers.Layer):
    """Channel shuffle (ShuffleNet, Zhang et al. 2018).

    Lets information cross the groups of consecutive grouped convolutions: the channels, seen as a
    `(groups, channels // groups)` grid, are transposed and flattened, so output channel `j * groups + g` is
    input channel `g * (channels // groups) + j`. It has no weights.

    Args:
        groups: int > 0 dividing the number of channels.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
            Any input rank >= 2 works; the channel axis is the last (channels_last) or axis 1 (channels_first).

    Input shape:
        Any tensor of rank >= 2 whose channel count is divisible by `groups`.

    Output shape:
        Same as the input.

    Example:

    >>> x = keras.ops.reshape(keras.ops.arange(6.0), (1, 6))
    >>> keras.ops.convert_to_numpy(keras_dlx.layers.ChannelShuffle(groups=2, data_format="channels_last")(x))
    array([[0., 3., 1., 4., 2., 5.]], dtype=float32)

    Reference:
        - [Zhang et al. 2018, ShuffleNet](https://arxiv.org/abs/1707.01083)
    """

    def __init__(self, groups, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.groups = args.positive_int("groups", groups)
        self.data_format = args.data_format(data_format)
        self.channel_axis = args.channel_axis(self.data_format)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2. "
                             f"Received: input_shape={tuple(input_shape)}")
        channels = args.known_channels(self, input_shape, self.channel_axis)
        if channels % self.groups:
            raise ValueError(
                f"Invalid input for layer '{self.name}': `groups`={self.groups} must divide the number of "
                f"channels. Received: input_shape={tuple(input_shape)} with {channels} channels")
        self.input_spec = keras.layers.InputSpec(ndim=len(input_shape), axes={self.channel_axis: channels})

    def call(self, inputs):
        x = conv_ops.to_channels_last(inputs, self.data_format)
        return conv_ops.from_channels_last(conv_ops.channel_shuffle(x, self.groups), self.data_format)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "data_format": self.data_format})
        return config
