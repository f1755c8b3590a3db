"""Inception v3's factorized modules (A to E), laid out as keras.applications.InceptionV3."""

import keras

from keras_dlx.layers.blocks.branches import branches_output_shape, build_branches, call_branches
from keras_dlx.layers.blocks.conv_norm_act import ConvNormAct
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

KINDS = ("a", "b", "c", "d", "e")


def _branches(kind, pool_features, channels_7x7):
    """Each branch: a list of steps; a step is (filters, (rows, cols), strides, padding), "avg", "max", or a
    ("split", step, step) pair whose outputs are concatenated (the 8x8 modules' parallel 1x3 / 3x1)."""
    c7 = channels_7x7
    if kind == "a":  # 35x35: 5x5 and double-3x3 towers
        return [[(64, (1, 1), 1, "same")],
                [(48, (1, 1), 1, "same"), (64, (5, 5), 1, "same")],
                [(64, (1, 1), 1, "same"), (96, (3, 3), 1, "same"), (96, (3, 3), 1, "same")],
                ["avg", (pool_features, (1, 1), 1, "same")]]
    if kind == "b":  # grid reduction 35 -> 17
        return [[(384, (3, 3), 2, "valid")],
                [(64, (1, 1), 1, "same"), (96, (3, 3), 1, "same"), (96, (3, 3), 2, "valid")],
                ["max"]]
    if kind == "c":  # 17x17: n x n factorized into 1 x n and n x 1, n = 7
        return [[(192, (1, 1), 1, "same")],
                [(c7, (1, 1), 1, "same"), (c7, (1, 7), 1, "same"), (192, (7, 1), 1, "same")],
                [(c7, (1, 1), 1, "same"), (c7, (7, 1), 1, "same"), (c7, (1, 7), 1, "same"),
                 (c7, (7, 1), 1, "same"), (192, (1, 7), 1, "same")],
                ["avg", (192, (1, 1), 1, "same")]]
    if kind == "d":  # grid reduction 17 -> 8
        return [[(192, (1, 1), 1, "same"), (320, (3, 3), 2, "valid")],
                [(192, (1, 1), 1, "same"), (192, (1, 7), 1, "same"), (192, (7, 1), 1, "same"),
                 (192, (3, 3), 2, "valid")],
                ["max"]]
    split = ("split", (384, (1, 3), 1, "same"), (384, (3, 1), 1, "same"))
    return [[(320, (1, 1), 1, "same")],  # 8x8: expanded filter banks
            [(384, (1, 1), 1, "same"), split],
            [(448, (1, 1), 1, "same"), (384, (3, 3), 1, "same"), split],
            ["avg", (192, (1, 1), 1, "same")]]


@register
class InceptionV3Block(keras.layers.Layer):
    """An Inception v3 module (Szegedy et al. 2016), `kind` "a" to "e", as in `keras.applications.InceptionV3`.

    - "a" (35x35, mixed0-2): 1x1 64 | 1x1 48 -> 5x5 64 | 1x1 64 -> 3x3 96 -> 3x3 96 | avg pool -> 1x1
      `pool_features` (32, 64, 64 in the network). The double 3x3 tower is the 5x5 factorized into two 3x3.
    - "b" (35 -> 17, mixed3): 3x3/2 384 | 1x1 64 -> 3x3 96 -> 3x3/2 96 | 3x3/2 max pool.
    - "c" (17x17, mixed4-7): 7x7 convolutions factorized into 1x7 and 7x1, `channels_7x7` wide (128, 160, 160,
      192 in the network): 1x1 192 | 1x1 -> 1x7 -> 7x1 192 | 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 192 | avg -> 1x1 192.
    - "d" (17 -> 8, mixed8): 1x1 192 -> 3x3/2 320 | 1x1 192 -> 1x7 -> 7x1 -> 3x3/2 192 | 3x3/2 max pool.
    - "e" (8x8, mixed9-10): 1x1 320 | 1x1 384 -> (1x3 384 || 3x1 384) | 1x1 448 -> 3x3 384 -> (1x3 || 3x1) |
      avg -> 1x1 192: the parallel 1x3 / 3x1 split widens the representation.

    Every convolution is Conv2D without bias -> BatchNormalization without scale (epsilon 1e-3) -> ReLU, and
    the branches are concatenated on the channel axis. Layer order and shapes follow Keras's `InceptionV3`,
    so its weights transfer unit by unit (tested for one module of each kind).

    Args:
        kind: "a", "b", "c", "d" or "e".
        pool_features: int, the pool projection of kind "a". Defaults to 32.
        channels_7x7: int, the width of kind "c"'s factorized towers. Defaults to 128.
        data_format: `"channels_last"` or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.
        training: bool, passed to the BatchNormalization layers (batch or running statistics).

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        "a": 224 + pool_features channels; "b": 480 + input channels at half size; "c": 768; "d": 512 + input
        channels at half size; "e": 2048.

    Example:

    >>> block = keras_dlx.layers.InceptionV3Block("c", channels_7x7=160)
    >>> tuple(block(keras.ops.ones((1, 17, 17, 768))).shape)
    (1, 17, 17, 768)

    Reference:
        - [Szegedy, Vanhoucke, Ioffe, Shlens & Wojna 2016, Rethinking the Inception Architecture](https://arxiv.org/abs/1512.00567)
    """

    def __init__(self, kind, pool_features=32, channels_7x7=128, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.kind = args.one_of("kind", kind, KINDS)
        self.pool_features = args.positive_int("pool_features", pool_features)
        self.channels_7x7 = args.positive_int("channels_7x7", channels_7x7)
        self.data_format = args.data_format(data_format)
        self.channel_axis = args.channel_axis(self.data_format)
        self.units = []  # ConvNormAct units in Keras's creation order, for weight transfer

        def unit(step):
            filters, kernel_size, strides, padding = step
            layer = ConvNormAct(filters, kernel_size, strides=strides, padding=padding, use_bias=False,
                                norm_scale=False, epsilon=1e-3, data_format=self.data_format,
                                dtype=self.dtype_policy, name=f"conv{len(self.units)}")
            self.units.append(layer)
            return layer

        def pool(step):
            cls = keras.layers.AveragePooling2D if step == "avg" else keras.layers.MaxPooling2D
            strides, padding = (1, "same") if step == "avg" else (2, "valid")
            return cls(3, strides=strides, padding=padding, data_format=self.data_format, dtype=self.dtype_policy)

        self.branches = []
        for branch in _branches(self.kind, self.pool_features, self.channels_7x7):
            layers = []
            for step in branch:
                if isinstance(step, str):
                    layers.append(pool(step))
                elif step[0] == "split":
                    layers.append((unit(step[1]), unit(step[2])))
                else:
                    layers.append(unit(step))
            self.branches.append(layers)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, "(batch, height, width, channels) or channels first")
        args.known_channels(self, input_shape, self.channel_axis)
        build_branches(self.branches, input_shape, channel_axis=self.channel_axis)

    def call(self, inputs, training=None):
        return call_branches(self.branches, inputs, channel_axis=self.channel_axis, training=training)

    def compute_output_shape(self, input_shape):
        return branches_output_shape(self.branches, input_shape, channel_axis=self.channel_axis)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("kind", "pool_features", "channels_7x7", "data_format")))
        return config
