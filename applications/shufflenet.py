"""ShuffleNet (v1, Zhang et al. 2018): grouped 1x1 convolutions with channel shuffle."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import named
from keras_dlx.layers import ChannelShuffle, ConvNormAct
from keras_dlx.utils import arguments as args

# groups -> output channels of stage 2 (stages 3 and 4 double it), table 1 of the paper (1x).
STAGE2_CHANNELS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
REPEATS = (4, 8, 4)


def _unit(x, channels, out_channels, groups, strides, grouped_first, name):
    """A ShuffleNet unit: 1x1 GConv -> shuffle -> 3x3 depthwise (stride) -> 1x1 GConv, plus the shortcut
    (identity and add; or a 3x3/2 average pool and concatenation when `strides` is 2), then ReLU."""
    axis = common.channel_axis()
    branch = out_channels - channels if strides == 2 else out_channels
    first_groups = groups if grouped_first else 1
    y = ConvNormAct(out_channels // 4, 1, groups=first_groups, name=f"{name}_gconv1")(x)
    if first_groups > 1:
        y = ChannelShuffle(groups, name=f"{name}_shuffle")(y)
    y = keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False, name=f"{name}_dwconv")(y)
    y = keras.layers.BatchNormalization(axis=axis, name=f"{name}_dwconv_bn")(y)
    y = ConvNormAct(branch, 1, groups=groups, activation=None, name=f"{name}_gconv2")(y)
    if strides == 2:
        shortcut = keras.layers.AveragePooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
        y = keras.layers.Concatenate(axis=axis, name=f"{name}_concat")([shortcut, y])
    else:
        y = keras.layers.Add(name=f"{name}_add")([x, y])
    return keras.layers.Activation("relu", name=f"{name}_relu")(y)


def ShuffleNet(groups=3, include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", features_only=False, name=None):
    """ShuffleNet v1 (1x): a 3x3/2 convolution (24 filters), a 3x3/2 max pool, three stages of ShuffleNet units
    (4, 8, 4 units; the first of each strided), global average pooling and the classifier.

    `groups` sets the 1x1 group convolutions and the stage widths of the paper's table 1 (g=3: 240, 480, 960).
    As in the paper, the first 1x1 of stage 2 is not grouped (24 input channels are too few).

    Args:
        groups: 1, 2, 3, 4 or 8. Defaults to 3.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            keras.applications; `weights` is None or a keras_dlx weights file.
        features_only: bool, output the feature maps at strides 4, 8, 16 and 32.

    Reference:
        - [Zhang et al. 2018, ShuffleNet](https://arxiv.org/abs/1707.01083)
    """
    if groups not in STAGE2_CHANNELS:
        args.invalid("groups", groups, "one of " + ", ".join(str(g) for g in STAGE2_CHANNELS))
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only)
    shape = common.input_shape(input_shape, 224, 32, 3, include_top and not features_only, weights)

    def backbone(x):
        x = ConvNormAct(24, 3, strides=2, name="conv1")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
        taps, channels = {4: x}, 24
        for stage, repeats in enumerate(REPEATS):
            out_channels = STAGE2_CHANNELS[groups] * 2 ** stage
            for i in range(repeats):
                x = _unit(x, channels, out_channels, groups, 2 if i == 0 else 1, grouped_first=stage + i > 0,
                          name=f"stage{stage + 2}_unit{i + 1}")
                channels = out_channels
            taps[8 * 2 ** stage] = x
        return x, taps

    return common.assemble(name or f"shufflenet_g{groups}", common.image_input(input_tensor, shape), backbone,
                           include_top=include_top, pooling=pooling, classes=classes,
                           classifier_activation=classifier_activation, features_only=features_only,
                           weights=weights, input_shape=shape, input_tensor=input_tensor)


ShuffleNet_G1 = named("shufflenet_g1", "ShuffleNet_G1", ShuffleNet, groups=1)
ShuffleNet_G3 = named("shufflenet_g3", "ShuffleNet_G3", ShuffleNet, groups=3)
ShuffleNet_G8 = named("shufflenet_g8", "ShuffleNet_G8", ShuffleNet, groups=8)
