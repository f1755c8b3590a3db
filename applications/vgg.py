"""VGG (Simonyan & Zisserman 2015), with or without batch normalization."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import named
from keras_dlx.applications.weights import Twin, unit_pairs
from keras_dlx.layers import ConvNormAct
from keras_dlx.utils import arguments as args

# depth -> convolutions per block (64, 128, 256, 512, 512 filters); the paper's configurations A, B, D, E.
DEPTHS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
FILTERS = (64, 128, 256, 512, 512)


def _pairs(model, twin):
    pairs = []
    for layer in model.layers:
        if isinstance(layer, ConvNormAct):
            pairs += unit_pairs(layer, twin, layer.name)
        elif isinstance(layer, keras.layers.Dense):
            pairs.append((layer.weights, twin.get_layer(layer.name)))
    return pairs


def _head(dropout):
    def head(x, classes, classifier_activation):
        x = keras.layers.Flatten(name="flatten")(x)
        for i in (1, 2):
            x = keras.layers.Dense(4096, activation="relu", name=f"fc{i}")(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
        return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)

    return head


def VGG(depth=16, batch_norm=False, dropout=0.5, include_top=True, weights=None, input_tensor=None,
        input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", features_only=False,
        name=None):
    """VGG-11/13/16/19: stacks of 3x3 convolutions and 2x2 max pools, then two 4096-unit layers.

    Layer names follow `keras.applications.VGG16` (`block1_conv1` ... `fc1`, `fc2`, `predictions`), so its
    weight files (and `weights="imagenet"` for depths 16 and 19 without batch norm) load here. `dropout`
    after `fc1` and `fc2` is the paper's (0.5); Keras's VGG has none, which changes nothing at inference.
    `batch_norm=True` puts a BatchNormalization after every convolution (torchvision's `vgg16_bn`).

    Args:
        depth: 11, 13, 16 or 19.
        batch_norm: bool. Defaults to False.
        dropout: float in [0, 1), after each of the two hidden fully-connected layers. Defaults to 0.5.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            `keras.applications.VGG16`, but `weights` defaults to None.
        features_only: bool, output the feature maps after pools 2 to 5 (strides 4, 8, 16, 32).

    Returns:
        A `keras.Model`.

    Reference:
        - [Simonyan & Zisserman 2015, Very Deep Convolutional Networks](https://arxiv.org/abs/1409.1556)
    """
    if depth not in DEPTHS:
        args.invalid("depth", depth, "one of " + ", ".join(str(d) for d in DEPTHS))
    args.boolean("batch_norm", batch_norm)
    args.unit_interval("dropout", dropout)
    twin = None
    if depth in (16, 19) and not batch_norm:
        twin = Twin(getattr(keras.applications, f"VGG{depth}"), _pairs)
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only,
                        imagenet=twin is not None)
    shape = common.input_shape(input_shape, 224, 32, 3, include_top and not features_only, weights)

    def backbone(x):
        taps = {}
        for block, (convs, filters) in enumerate(zip(DEPTHS[depth], FILTERS), 1):
            for i in range(1, convs + 1):
                # use_bias=True with batch_norm too: torchvision's vgg*_bn layout (and parameter count).
                x = ConvNormAct(filters, 3, norm="batch" if batch_norm else None, use_bias=True,
                                name=f"block{block}_conv{i}")(x)
            x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
            if block > 1:
                taps[2 ** block] = x
        return x, taps

    return common.assemble(name or f"vgg{depth}{'_bn' if batch_norm else ''}", common.image_input(input_tensor, shape),
                           backbone, include_top=include_top, pooling=pooling, classes=classes,
                           classifier_activation=classifier_activation, features_only=features_only,
                           weights=weights, twin=twin, input_shape=shape, head=_head(dropout),
                           input_tensor=input_tensor)


VGG11 = named("vgg11", "VGG11", VGG, depth=11)
VGG13 = named("vgg13", "VGG13", VGG, depth=13)
VGG16 = named("vgg16", "VGG16", VGG, depth=16)
VGG19 = named("vgg19", "VGG19", VGG, depth=19)
VGG16_BN = named("vgg16_bn", "VGG16_BN", VGG, depth=16, batch_norm=True)
