"""Residual blocks: ResNet v1, v1.5 and v2 (pre-activation), basic and bottleneck, ResNeXt groups."""

import keras
from keras import ops

from keras_dlx.layers.blocks.conv_norm_act import ConvNormAct
from keras_dlx.layers.blocks.norms import check_norm, make_norm
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class ResidualBlock(keras.layers.Layer):
    """A ResNet residual block, `y = shortcut(x) + F(x)`, in the variants of He et al. 2016 and their successors.

    - `kind="basic"`: F = 3x3 -> 3x3 (ResNet-18/34), output `filters` channels.
    - `kind="bottleneck"`: F = 1x1 -> 3x3 -> 1x1 expanding 4x (ResNet-50/101/152), output `4 * filters`.
      The 3x3 has `width = int(filters * width_per_group / 64) * groups` channels and `groups` groups (ResNeXt:
      32x4d is `groups=32, width_per_group=4`).
    - `version="v1"`: conv-norm-relu units, ReLU after the addition, the stride on the first 1x1 (Keras's
      ResNet50; `use_bias=True` matches its biased convolutions). `"v1.5"`: the stride on the 3x3
      (torchvision's ResNet-50). `"v2"`: pre-activation ("Identity Mappings"): norm-relu before the
      convolutions, nothing after the addition, the last 1x1 with a bias and no norm (Keras's ResNet50V2).
    - Shortcut: a strided 1x1 projection (with a norm in v1) when the shape changes or `conv_shortcut=True`;
      in v2 a strided block without projection uses a 1x1 max pool, as Keras does.
    - 3x3 convolutions pad symmetrically (`padding="symmetric"` of `ConvNormAct`), as torchvision and Keras's
      ResNetV2: for stride 1 that is "same".
    - `drop_path_rate`: stochastic depth; in training the residual branch of each sample is dropped with this
      probability and the kept ones scaled by 1 / (1 - rate).

    Args:
        filters: int, the bottleneck width (basic: the output channels).
        kind: `"basic"` or `"bottleneck"`. Defaults to `"bottleneck"`.
        version: `"v1"`, `"v1.5"` or `"v2"`. Defaults to `"v1.5"`.
        strides: int, the block's stride. Defaults to 1.
        groups, width_per_group: ResNeXt grouping of the 3x3 (bottleneck). Default to 1 and 64.
        norm: `"batch"`, `"group"` or `"switchable"`. Defaults to `"batch"`.
        conv_shortcut: bool or None (automatic: project when channels or stride change).
        drop_path_rate: float in [0, 1). Defaults to 0.
        use_bias: bool, bias in the convolutions that a norm follows. Defaults to False.
        momentum, epsilon, norm_groups: of the normalizations. Default to 0.99, 1.001e-5 (Keras's ResNets), 32.
        data_format, kernel_initializer, kernel_regularizer, seed: as usual.

    Call arguments:
        inputs: the input tensor.
        training: bool, passed to the normalization layers; stochastic depth drops the residual branch in
            training only.

    Input shape:
        4D tensor, channels last or first according to `data_format`.

    Output shape:
        4D tensor with `filters` (basic) or `4 * filters` (bottleneck) channels, spatial size divided by `strides`.

    Example:

    >>> block = keras_dlx.layers.ResidualBlock(64, kind="bottleneck", strides=2, groups=32, width_per_group=4)
    >>> tuple(block(keras.ops.ones((2, 56, 56, 256))).shape)
    (2, 28, 28, 256)

    Reference:
        - [He, Zhang, Ren & Sun 2016, Deep Residual Learning](https://arxiv.org/abs/1512.03385)
        - [He et al. 2016, Identity Mappings in Deep Residual Networks](https://arxiv.org/abs/1603.05027)
        - [Xie et al. 2017, ResNeXt](https://arxiv.org/abs/1611.05431)
        - [Huang et al. 2016, Deep Networks with Stochastic Depth](https://arxiv.org/abs/1603.09382)
    """

    def __init__(self, filters, kind="bottleneck", version="v1.5", strides=1, groups=1, width_per_group=64,
                 norm="batch", conv_shortcut=None, drop_path_rate=0.0, use_bias=False, momentum=0.99,
                 epsilon=1.001e-5, norm_groups=32, data_format=None, kernel_initializer="glorot_uniform",
                 kernel_regularizer=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = args.positive_int("filters", filters)
        self.kind = args.one_of("kind", kind, ("basic", "bottleneck"))
        self.version = args.one_of("version", version, ("v1", "v1.5", "v2"))
        self.strides = args.positive_int("strides", strides)
        self.groups = args.positive_int("groups", groups)
        self.width_per_group = args.positive_int("width_per_group", width_per_group)
        self.norm = check_norm(norm)
        if self.norm is None:
            args.invalid("norm", norm, "'batch', 'group' or 'switchable'")
        if conv_shortcut is not None:
            args.boolean("conv_shortcut", conv_shortcut)
        self.conv_shortcut = conv_shortcut
        self.drop_path_rate = args.unit_interval("drop_path_rate", drop_path_rate)
        self.use_bias = args.boolean("use_bias", use_bias)
        self.momentum = args.unit_interval("momentum", momentum, closed_right=True)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.norm_groups = args.positive_int("norm_groups", norm_groups)
        self.data_format = args.data_format(data_format)
        self.kernel_initializer = args.initializer("kernel_initializer", kernel_initializer)
        self.kernel_regularizer = args.regularizer("kernel_regularizer", kernel_regularizer)
        self.seed = args.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed) if self.drop_path_rate > 0 else None
        self.width = int(self.filters * self.width_per_group / 64) * self.groups
        if self.kind == "basic" and (self.groups != 1 or self.width_per_group != 64):
            args.invalid("groups", groups, "1 with width_per_group=64 for kind='basic' (grouping is a bottleneck "
                                           "feature)")
        self.output_channels = self.filters * (4 if self.kind == "bottleneck" else 1)
        self.channel_axis = args.channel_axis(self.data_format)

    def _unit(self, filters, kernel_size, name, strides=1, groups=1, norm=True, activation="relu", bias=None):
        return ConvNormAct(
            filters, kernel_size, strides=strides, padding="symmetric", groups=groups,
            norm=self.norm if norm else None, activation=activation,
            use_bias=(self.use_bias if norm else True) if bias is None else bias, momentum=self.momentum,
            epsilon=self.epsilon, norm_groups=self.norm_groups, data_format=self.data_format,
            kernel_initializer=args.fresh_initializer(self.kernel_initializer),
            kernel_regularizer=self.kernel_regularizer,
            dtype=self.dtype_policy, name=name)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, "(batch, height, width, channels) or channels first")
        channels = args.known_channels(self, input_shape, self.channel_axis)
        s, v2 = self.strides, self.version == "v2"
        project = self.conv_shortcut if self.conv_shortcut is not None else (
            channels != self.output_channels or (s > 1 and not v2))
        self.preact = None
        if v2:
            self.preact = make_norm(self.norm, self.channel_axis, self.momentum, self.epsilon, self.norm_groups,
                                    self.dtype_policy, "preact_norm")
        self.shortcut = None
        if project:
            self.shortcut = self._unit(self.output_channels, 1, "shortcut", strides=s, norm=not v2, activation=None)
        self.pool = None
        if not project and s > 1:
            self.pool = keras.layers.MaxPooling2D(1, strides=s, data_format=self.data_format,
                                                  dtype=self.dtype_policy, name="shortcut_pool")
        last_norm = not v2
        if self.kind == "bottleneck":
            first_stride = s if self.version == "v1" else 1
            self.units = [
                self._unit(self.width, 1, "conv1", strides=first_stride),
                self._unit(self.width, 3, "conv2", strides=s // first_stride, groups=self.groups),
                self._unit(self.output_channels, 1, "conv3", norm=last_norm, activation=None),
            ]
        else:
            self.units = [self._unit(self.filters, 3, "conv1", strides=s),
                          self._unit(self.filters, 3, "conv2", norm=last_norm, activation=None)]
        shape = tuple(input_shape)
        if self.preact is not None:
            self.preact.build(shape)
        if self.shortcut is not None:
            self.shortcut.build(shape)
        if self.pool is not None:
            self.pool.build(shape)
        for unit in self.units:
            unit.build(shape)
            shape = unit.compute_output_shape(shape)

    def _drop_path(self, x, training):
        if not (training and self.drop_path_rate > 0):
            return x
        keep = 1.0 - self.drop_path_rate
        shape = (ops.shape(x)[0], 1, 1, 1)
        mask = ops.cast(keras.random.uniform(shape, seed=self.seed_generator) < keep, x.dtype)
        return x * mask / keep

    def call(self, inputs, training=None):
        x = inputs
        if self.preact is not None:
            x = ops.relu(self.preact(x, training=training))
        if self.shortcut is not None:
            shortcut = self.shortcut(x, training=training)  # v2 projects the pre-activated input
        elif self.pool is not None:
            shortcut = self.pool(inputs)
        else:
            shortcut = inputs
        for unit in self.units:
            x = unit(x, training=training)
        y = ops.add(shortcut, self._drop_path(x, training))
        return y if self.version == "v2" else ops.relu(y)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        spatial = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis in spatial:
            shape[axis] = None if shape[axis] is None else -(-shape[axis] // self.strides)
        shape[self.channel_axis] = self.output_channels
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "filters", "kind", "version", "strides", "groups", "width_per_group", "norm", "conv_shortcut",
            "drop_path_rate", "use_bias", "momentum", "epsilon", "norm_groups", "data_format",
            "kernel_initializer", "kernel_regularizer", "seed")))
        return config
