"""Atrous spatial pyramid pooling (DeepLab v3)."""

import keras
from keras import ops

from keras_dlx.layers.blocks.conv_norm_act import ConvNormAct
from keras_dlx.layers.blocks.norms import check_norm
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class ASPP(keras.layers.Layer):
    """Atrous spatial pyramid pooling, DeepLab v3 (Chen et al. 2017).

    Parallel branches see the feature map at several scales, then a 1x1 convolution fuses them:

        1x1 conv | 3x3 conv, dilation r for r in rates | global average pool -> 1x1 conv -> broadcast to H x W
        -> concatenate -> 1x1 conv (-> dropout)

    each convolution followed by a norm and a ReLU. Rates (6, 12, 18) suit output stride 16; double them for 8.

    Args:
        filters: int, channels of every branch and of the output. Defaults to 256.
        rates: tuple of positive ints, the atrous rates. Defaults to (6, 12, 18).
        norm: `"batch"`, `"group"`, `"switchable"` or None. Defaults to `"batch"`.
        activation: Defaults to `"relu"`.
        dropout: float in [0, 1), after the projection. Defaults to 0 (torchvision's DeepLabV3 uses 0.5).
        momentum, epsilon: of the norms. Default to 0.99, 1e-3.
        data_format, kernel_initializer, kernel_regularizer: as usual.

    Call arguments:
        inputs: the input tensor.
        training: bool, passed to the normalization layers (batch or running statistics).

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        Same spatial size, `filters` channels.

    Example:

    >>> aspp = keras_dlx.layers.ASPP(256, rates=(6, 12, 18))
    >>> tuple(aspp(keras.ops.ones((2, 33, 33, 512))).shape)
    (2, 33, 33, 256)

    Reference:
        - [Chen, Papandreou, Schroff & Adam 2017, Rethinking Atrous Convolution](https://arxiv.org/abs/1706.05587)
    """

    def __init__(self, filters=256, rates=(6, 12, 18), norm="batch", activation="relu", dropout=0.0,
                 momentum=0.99, epsilon=1e-3, data_format=None, kernel_initializer="glorot_uniform",
                 kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = args.positive_int("filters", filters)
        if not isinstance(rates, (tuple, list)) or not rates:
            args.invalid("rates", rates, "a non-empty tuple of positive integers")
        self.rates = args.int_tuple("rates", rates, len(rates))
        self.norm = check_norm(norm)
        self.activation = args.activation("activation", activation)
        self.dropout = args.unit_interval("dropout", dropout)
        self.momentum = args.unit_interval("momentum", momentum, closed_right=True)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.data_format = args.data_format(data_format)
        self.kernel_initializer = args.initializer("kernel_initializer", kernel_initializer)
        self.kernel_regularizer = args.regularizer("kernel_regularizer", kernel_regularizer)

        def unit(kernel_size, name, dilation=1):
            return ConvNormAct(self.filters, kernel_size, dilation_rate=dilation, norm=self.norm,
                               activation=self.activation, momentum=self.momentum, epsilon=self.epsilon,
                               data_format=self.data_format,
                               kernel_initializer=args.fresh_initializer(self.kernel_initializer),
                               kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy, name=name)

        self.branches = [unit(1, "branch1x1")] + [unit(3, f"branch_rate{r}", r) for r in self.rates]
        self.pool_unit = unit(1, "image_pool")
        self.project = unit(1, "project")
        self.drop = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name="dropout")
        self.channel_axis = args.channel_axis(self.data_format)
        self.spatial_axes = (1, 2) if self.data_format == "channels_last" else (2, 3)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, "(batch, height, width, channels) or channels first")
        args.known_channels(self, input_shape, self.channel_axis)
        for branch in self.branches:
            branch.build(tuple(input_shape))
        pooled = list(input_shape)
        for axis in self.spatial_axes:
            pooled[axis] = 1
        self.pool_unit.build(tuple(pooled))
        fused = list(input_shape)
        fused[self.channel_axis] = self.filters * (len(self.branches) + 1)
        self.project.build(tuple(fused))

    def call(self, inputs, training=None):
        outputs = [branch(inputs, training=training) for branch in self.branches]
        pooled = ops.mean(inputs, axis=self.spatial_axes, keepdims=True)
        pooled = self.pool_unit(pooled, training=training)
        # Bilinear upsampling of a 1x1 map is a broadcast.
        outputs.append(ops.broadcast_to(pooled, ops.shape(outputs[0])))
        fused = self.project(ops.concatenate(outputs, axis=self.channel_axis), training=training)
        return self.drop(fused, training=training)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self.channel_axis] = self.filters
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "filters", "rates", "norm", "activation", "dropout", "momentum", "epsilon", "data_format",
            "kernel_initializer", "kernel_regularizer")))
        return config
