"""MobileNet (v1, Howard et al. 2017), laid out as keras.applications.MobileNet."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import register
from keras_dlx.applications.weights import Twin, unit_pairs
from keras_dlx.layers import ConvNormAct, DepthwiseSeparableConv2D
from keras_dlx.utils import arguments as args

# (pointwise filters, stride) of the 13 depthwise-separable blocks, table 1 of the paper.
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)) + ((512, 1),) * 5 + ((1024, 2), (1024, 1))


def _pairs(model, twin):
    pairs = unit_pairs(model.get_layer("conv1"), twin, "conv1", "conv1_bn")
    for i in range(1, len(BLOCKS) + 1):
        block = model.get_layer(f"conv_dw_pw_{i}")
        pairs += [([block.depthwise_kernel], twin.get_layer(f"conv_dw_{i}")),
                  (block.depthwise_norm.weights, twin.get_layer(f"conv_dw_{i}_bn")),
                  ([block.pointwise_kernel], twin.get_layer(f"conv_pw_{i}")),
                  (block.pointwise_norm.weights, twin.get_layer(f"conv_pw_{i}_bn"))]
    if any(layer.name == "conv_preds" for layer in model.layers):
        pairs.append((model.get_layer("conv_preds").weights, twin.get_layer("conv_preds")))
    return pairs


@register("mobilenet")
def MobileNet(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", alpha=1.0, depth_multiplier=1, dropout=1e-3, features_only=False,
              name=None):
    """MobileNet v1: a 3x3/2 convolution and 13 depthwise-separable blocks (`DepthwiseSeparableConv2D`, ReLU6),
    global average pooling, dropout and a 1x1 convolution as classifier (4,253,864 parameters at alpha 1).

    Layer for layer `keras.applications.MobileNet` (stride-2 blocks zero-pad bottom/right, then a "valid"
    depthwise convolution), so its weight files and `weights="imagenet"` load here.

    Args:
        alpha: width multiplier; every layer has `int(filters * alpha)` filters. Defaults to 1.0 (ImageNet
            weights exist for 0.25, 0.5, 0.75 and 1.0 at 128, 160, 192 or 224 pixels).
        depth_multiplier: of the depthwise convolutions (the paper's resolution multiplier is the input size).
        dropout: float in [0, 1) before the classifier. Defaults to 1e-3 (Keras's).
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            `keras.applications.MobileNet`, but `weights` defaults to None.
        features_only: bool, output the feature maps at strides 4, 8, 16 and 32.

    Reference:
        - [Howard et al. 2017, MobileNets](https://arxiv.org/abs/1704.04861)
    """
    alpha = args.positive_float("alpha", alpha)
    depth_multiplier = args.positive_int("depth_multiplier", depth_multiplier)
    args.unit_interval("dropout", dropout)
    twin = Twin(keras.applications.MobileNet, _pairs,
                        dict(alpha=alpha, depth_multiplier=depth_multiplier, dropout=dropout))
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only,
                        imagenet=True)
    if weights == "imagenet" and (alpha not in (0.25, 0.5, 0.75, 1.0) or depth_multiplier != 1):
        args.invalid("alpha", alpha, "0.25, 0.5, 0.75 or 1.0 with depth_multiplier=1 for 'imagenet' weights")
    shape = common.input_shape(input_shape, 224, 32, 3, include_top and not features_only, weights)
    if weights == "imagenet" and not (shape[0] == shape[1] and shape[0] in (128, 160, 192, 224)):
        args.invalid("input_shape", input_shape, "128, 160, 192 or 224 square inputs for 'imagenet' weights")

    def backbone(x):
        x = ConvNormAct(int(32 * alpha), 3, strides=2, activation="relu6", name="conv1")(x)
        taps, stride = {}, 2
        for i, (filters, s) in enumerate(BLOCKS, 1):
            if s > 1:
                taps[stride] = x
                stride *= s
                x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{i}")(x)
            x = DepthwiseSeparableConv2D(int(filters * alpha), 3, strides=s, padding="same" if s == 1 else "valid",
                                         depth_multiplier=depth_multiplier, activation="relu6",
                                         intermediate_activation="relu6", name=f"conv_dw_pw_{i}")(x)
        taps[stride] = x
        return x, {k: v for k, v in taps.items() if k >= 4}

    def head(x, classes, classifier_activation):
        x = keras.layers.GlobalAveragePooling2D(keepdims=True, name="avg_pool")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Conv2D(classes, 1, name="conv_preds")(x)
        x = keras.layers.Reshape((classes,), name="reshape")(x)
        return keras.layers.Activation(classifier_activation, name="predictions")(x)

    return common.assemble(name or f"mobilenet_{alpha:.2f}", common.image_input(input_tensor, shape), backbone,
                           include_top=include_top, pooling=pooling, classes=classes,
                           classifier_activation=classifier_activation, features_only=features_only,
                           weights=weights, twin=twin, input_shape=shape, head=head, input_tensor=input_tensor)
