"""GoogLeNet's Inception module (v1), with the paper's nine configurations by name."""

import keras

from keras_dlx.layers.blocks.branches import build_branches, call_branches
from keras_dlx.layers.blocks.conv_norm_act import ConvNormAct
from keras_dlx.layers.blocks.norms import check_norm
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

# (input channels, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection), Szegedy et al. 2015, table 1.
PRESETS = {
    "3a": (192, 64, 96, 128, 16, 32, 32),
    "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64),
    "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64),
    "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}
_BRANCH_ARGS = ("filters_1x1", "filters_3x3_reduce", "filters_3x3", "filters_5x5_reduce", "filters_5x5",
                "filters_pool_proj")


@register
class InceptionBlock(keras.layers.Layer):
    """Inception module of GoogLeNet (Szegedy et al. 2015): four parallel branches, concatenated on channels.

        1x1 conv | 1x1 reduce -> 3x3 conv | 1x1 reduce -> 5x5 conv | 3x3 max pool (stride 1) -> 1x1 projection

    every convolution followed by a ReLU (and by a norm if `norm` is set, as in later batch-normalized
    variants). The output has `filters_1x1 + filters_3x3 + filters_5x5 + filters_pool_proj` channels and the
    input's spatial size. `InceptionBlock.preset("3a")` ... `preset("5b")` give the paper's nine modules
    (3a outputs 256 channels, 4e 832, 5b 1024).

    Args:
        filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5, filters_pool_proj: ints,
            the branch widths.
        norm: None (the paper), `"batch"`, `"group"` or `"switchable"`. Defaults to None.
        activation: Defaults to `"relu"`.
        use_bias: bool; defaults to True without a norm, False with one.
        data_format, kernel_initializer, kernel_regularizer: as usual.

    Call arguments:
        inputs: the input tensor.
        training: bool, passed to the normalization layers when `norm` is set.

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        Same spatial size, `filters_1x1 + filters_3x3 + filters_5x5 + filters_pool_proj` channels.

    Example:

    >>> block = keras_dlx.layers.InceptionBlock.preset("3a")
    >>> tuple(block(keras.ops.ones((1, 28, 28, 192))).shape)
    (1, 28, 28, 256)

    Reference:
        - [Szegedy et al. 2015, Going Deeper with Convolutions](https://arxiv.org/abs/1409.4842)
    """

    def __init__(self, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
                 filters_pool_proj, norm=None, activation="relu", use_bias=None, data_format=None,
                 kernel_initializer="glorot_uniform", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in zip(_BRANCH_ARGS, (filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce,
                                              filters_5x5, filters_pool_proj)):
            setattr(self, name, args.positive_int(name, value))
        self.norm = check_norm(norm)
        self.activation = args.activation("activation", activation)
        self.use_bias = self.norm is None if use_bias is None else args.boolean("use_bias", use_bias)
        self.data_format = args.data_format(data_format)
        self.kernel_initializer = args.initializer("kernel_initializer", kernel_initializer)
        self.kernel_regularizer = args.regularizer("kernel_regularizer", kernel_regularizer)

        def unit(filters, kernel_size, name):
            return ConvNormAct(filters, kernel_size, norm=self.norm, activation=self.activation,
                               use_bias=self.use_bias, data_format=self.data_format,
                               kernel_initializer=args.fresh_initializer(self.kernel_initializer),
                               kernel_regularizer=self.kernel_regularizer,
                               dtype=self.dtype_policy, name=name)

        self.branches = [
            [unit(self.filters_1x1, 1, "branch1x1")],
            [unit(self.filters_3x3_reduce, 1, "branch3x3_reduce"), unit(self.filters_3x3, 3, "branch3x3")],
            [unit(self.filters_5x5_reduce, 1, "branch5x5_reduce"), unit(self.filters_5x5, 5, "branch5x5")],
            [keras.layers.MaxPooling2D(3, strides=1, padding="same", data_format=self.data_format,
                                       dtype=self.dtype_policy, name="pool"),
             unit(self.filters_pool_proj, 1, "pool_proj")],
        ]
        self.channel_axis = args.channel_axis(self.data_format)

    @classmethod
    def preset(cls, name, **kwargs):
        """The module `name` ("3a" ... "5b") of GoogLeNet's table 1."""
        if name not in PRESETS:
            args.invalid("name", name, "one of " + ", ".join(repr(n) for n in PRESETS))
        kwargs.setdefault("name", f"inception_{name}")
        return cls(*PRESETS[name][1:], **kwargs)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, "(batch, height, width, channels) or channels first")
        args.known_channels(self, input_shape, self.channel_axis)
        build_branches(self.branches, input_shape, channel_axis=self.channel_axis)

    def call(self, inputs, training=None):
        return call_branches(self.branches, inputs, channel_axis=self.channel_axis, training=training)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self.channel_axis] = self.filters_1x1 + self.filters_3x3 + self.filters_5x5 + self.filters_pool_proj
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, _BRANCH_ARGS + (
            "norm", "activation", "use_bias", "data_format", "kernel_initializer", "kernel_regularizer")))
        return config
