"""ResNet (v1, v1.5, v2) and ResNeXt, from keras_dlx's `ConvNormAct` and `ResidualBlock`."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import named
from keras_dlx.applications.weights import Twin, unit_pairs
from keras_dlx.layers import ConvNormAct, ResidualBlock
from keras_dlx.utils import arguments as args

# depth -> (block kind, blocks per stage conv2..conv5), He et al. 2016, table 1.
DEPTHS = {18: ("basic", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)), 50: ("bottleneck", (3, 4, 6, 3)),
          101: ("bottleneck", (3, 4, 23, 3)), 152: ("bottleneck", (3, 8, 36, 3))}
VERSIONS = ("v1", "v1.5", "v2")
# Normalization constants: keras.applications' for the versions it has (v1, v2), torchvision's for v1.5
# (PyTorch's momentum 0.1 is Keras's 0.9: it also settles the moving statistics ten times sooner).
NORM_CONSTANTS = {"v1": (0.99, 1.001e-5), "v1.5": (0.9, 1e-5), "v2": (0.99, 1.001e-5)}


def _pairs(model, twin):
    """keras_dlx layer names follow Keras's (`conv2_block1` holds `conv2_block1_{0,1,2,3}_{conv,bn}`)."""
    pairs = []
    for layer in model.layers:
        if isinstance(layer, ConvNormAct):
            pairs += unit_pairs(layer, twin, f"{layer.name}_conv", f"{layer.name}_bn")
        elif isinstance(layer, ResidualBlock):
            if layer.preact is not None:
                pairs.append((layer.preact.weights, twin.get_layer(f"{layer.name}_preact_bn")))
            units = ([(0, layer.shortcut)] if layer.shortcut is not None else []) + list(enumerate(layer.units, 1))
            for i, unit in units:
                pairs += unit_pairs(unit, twin, f"{layer.name}_{i}_conv", f"{layer.name}_{i}_bn")
        elif layer.weights:  # post_bn, predictions
            pairs.append((layer.weights, twin.get_layer(layer.name)))
    return pairs


def _twin(depth, version, groups, width_per_group, norm, small_input):
    if (groups, width_per_group, norm, small_input) != (1, 64, "batch", False) or depth < 50 or version == "v1.5":
        return None
    suffix = "V2" if version == "v2" else ""
    return Twin(getattr(keras.applications, f"ResNet{depth}{suffix}"), _pairs)


def _strides(version, blocks, stage):
    """Block strides of stage `stage` (0-3): v1 and v1.5 downsample in the first block of stages 1-3; Keras's
    v2 in the last block of stages 0-2 (same total stride, 32)."""
    if version == "v2":
        return [2 if (i == blocks - 1 and stage < 3) else 1 for i in range(blocks)]
    return [2 if (i == 0 and stage > 0) else 1 for i in range(blocks)]


def ResNet(depth=50, version="v1.5", groups=1, width_per_group=64, norm="batch", small_input=False,
           drop_path_rate=0.0, include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None,
           classes=1000, classifier_activation="softmax", features_only=False, name=None):
    """ResNet (He et al. 2016) and ResNeXt (Xie et al. 2017), with the keras.applications arguments.

    - `version="v1"`: Keras's `ResNet50/101/152` (biased convolutions, the stride on the first 1x1 of a
      bottleneck); their weight files load here. `"v1.5"`: torchvision's ResNets (no conv bias, the stride on
      the 3x3). `"v2"`: pre-activation, Keras's `ResNet50V2/101V2/152V2` (stride in the last block of a stage).
    - `groups`, `width_per_group`: ResNeXt's grouped 3x3 (32x4d: `groups=32, width_per_group=4`).
    - `norm`: `"batch"`, `"group"` or `"switchable"` in every block.
    - `small_input=True`: a 3x3 stride-1 stem without max pool, for 28x28 to 64x64 images (MNIST, CIFAR); the
      stages then run at strides 1, 2, 4, 8.
    - `drop_path_rate`: stochastic depth, growing linearly from 0 to this rate over the blocks.

    Args:
        depth: 18, 34, 50, 101 or 152.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            `keras.applications.ResNet50`, but `weights` defaults to None. `"imagenet"` and keras.applications
            weight files apply to the configurations Keras has (depth 50/101/152, v1 or v2).
        features_only: bool, the model outputs the four stages' feature maps (strides 4, 8, 16, 32) instead of
            a classifier.

    Returns:
        A `keras.Model`.

    Reference:
        - [He et al. 2016, Deep Residual Learning](https://arxiv.org/abs/1512.03385)
        - [He et al. 2016, Identity Mappings in Deep Residual Networks](https://arxiv.org/abs/1603.05027)
        - [Xie et al. 2017, Aggregated Residual Transformations (ResNeXt)](https://arxiv.org/abs/1611.05431)
    """
    kind, stages = _check_architecture(depth, version, groups, width_per_group, small_input, drop_path_rate)
    version = version.lower()
    twin = _twin(depth, version, groups, width_per_group, norm, small_input)
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only,
                        imagenet=twin is not None)
    shape = common.input_shape(input_shape, 224, 8 if small_input else 32, 3, include_top and not features_only,
                               weights)
    inputs = common.image_input(input_tensor, shape)
    momentum, epsilon = NORM_CONSTANTS[version]
    blocks = dict(kind=kind, version=version, groups=groups, width_per_group=width_per_group, norm=norm,
                  use_bias=version == "v1", momentum=momentum, epsilon=epsilon)

    def backbone(x):
        x, stride = _stem(x, version=version, norm=norm, small_input=small_input, momentum=momentum,
                          epsilon=epsilon)
        x, taps, stride = _stages(x, stages, stride, drop_path_rate=drop_path_rate, blocks=blocks)
        if version == "v2":  # pre-activation: the last block's output is normalized once more
            x = keras.layers.BatchNormalization(axis=common.channel_axis(), epsilon=epsilon, name="post_bn")(x)
            x = keras.layers.Activation("relu", name="post_relu")(x)
        taps[stride] = x
        return x, taps

    return common.assemble(name or f"resnet{depth}{'v2' if version == 'v2' else ''}", inputs, backbone,
                           include_top=include_top, pooling=pooling, classes=classes,
                           classifier_activation=classifier_activation, features_only=features_only,
                           input_tensor=input_tensor, weights=weights, twin=twin, input_shape=shape)


def _check_architecture(depth, version, groups, width_per_group, small_input, drop_path_rate):
    """Validate the architecture arguments; returns the block kind and the blocks per stage."""
    if depth not in DEPTHS:
        args.invalid("depth", depth, "one of " + ", ".join(str(d) for d in DEPTHS))
    args.one_of("version", version, VERSIONS)
    args.boolean("small_input", small_input)
    args.unit_interval("drop_path_rate", drop_path_rate)
    kind, stages = DEPTHS[depth]
    if kind == "basic" and (groups != 1 or width_per_group != 64):
        args.invalid("groups", groups, f"1 (with width_per_group=64) for ResNet-{depth}, whose blocks are basic")
    return kind, stages


def _stem(x, *, version, norm, small_input, momentum, epsilon):
    """conv1 (7x7/2 and a 3x3/2 max pool, or 3x3/1 alone for small inputs); returns the output and its stride."""
    v2 = version == "v2"
    stem = dict(norm=None if v2 else norm, activation=None if v2 else "relu", use_bias=v2 or version == "v1",
                momentum=momentum, epsilon=epsilon, name="conv1")
    if small_input:
        return ConvNormAct(64, 3, padding="same", **stem)(x), 1
    x = ConvNormAct(64, 7, strides=2, padding="symmetric", **stem)(x)
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x), 4


def _stages(x, stages, stride, *, drop_path_rate, blocks):
    """The four stages of residual blocks, stochastic depth growing linearly over the blocks; returns the output,
    the feature map before each stride change (by stride) and the final stride."""
    taps, index, total_blocks = {}, 0, sum(stages)
    for stage, count in enumerate(stages):
        for i, s in enumerate(_strides(blocks["version"], count, stage)):
            if s > 1:
                taps[stride] = x
                stride *= s
            x = ResidualBlock(64 * 2 ** stage, strides=s, **blocks,
                              drop_path_rate=drop_path_rate * index / max(total_blocks - 1, 1),
                              name=f"conv{stage + 2}_block{i + 1}")(x)
            index += 1
    return x, taps, stride


ResNet18 = named("resnet18", "ResNet18", ResNet, depth=18, version="v1.5")
ResNet34 = named("resnet34", "ResNet34", ResNet, depth=34, version="v1.5")
ResNet50 = named("resnet50", "ResNet50", ResNet, depth=50, version="v1")
ResNet101 = named("resnet101", "ResNet101", ResNet, depth=101, version="v1")
ResNet152 = named("resnet152", "ResNet152", ResNet, depth=152, version="v1")
ResNet50V2 = named("resnet50v2", "ResNet50V2", ResNet, depth=50, version="v2")
ResNet101V2 = named("resnet101v2", "ResNet101V2", ResNet, depth=101, version="v2")
ResNet152V2 = named("resnet152v2", "ResNet152V2", ResNet, depth=152, version="v2")
ResNeXt50_32x4d = named("resnext50_32x4d", "ResNeXt50_32x4d", ResNet, depth=50, version="v1.5", groups=32,
                        width_per_group=4)
ResNeXt101_32x8d = named("resnext101_32x8d", "ResNeXt101_32x8d", ResNet, depth=101, version="v1.5", groups=32,
                         width_per_group=8)
