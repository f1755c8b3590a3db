"""AlexNet (Krizhevsky, Sutskever & Hinton 2012), single tower."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import register
from keras_dlx.layers import ConvNormAct, LocalResponseNormalization
from keras_dlx.utils import arguments as args


@register("alexnet", min_size=67)
def AlexNet(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
            classifier_activation="softmax", dropout=0.5, features_only=False, name="alexnet"):
    """AlexNet as in the paper, on one device: five convolutions (96, 256, 384, 384, 256 filters), local
    response normalization and 3x3 stride-2 overlapping max pools after the first two, then 4096-4096-classes.

    The paper splits conv2, conv4 and conv5 over two GPUs (grouped convolutions); this single tower connects
    every channel (62,378,344 parameters at 227x227 with 1000 classes). LRN uses the paper's k=2, n=5,
    alpha=1e-4, beta=0.75, and dropout (0.5) follows fc6 and fc7.

    Args:
        dropout: float in [0, 1). Defaults to 0.5.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            keras.applications; `input_shape` defaults to `(227, 227, 3)`, `weights` is None or a keras_dlx file.
        features_only: bool, output the feature maps at strides 4 (conv1), 8, 16 and 32 (the pools).

    Reference:
        - [Krizhevsky et al. 2012, ImageNet Classification with Deep CNNs](
          https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks)
    """
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only)
    args.unit_interval("dropout", dropout)
    shape = common.input_shape(input_shape, 227, 67, 3, include_top and not features_only, weights)
    axis = common.channel_axis()

    def backbone(x):
        x = ConvNormAct(96, 11, strides=4, padding="valid", norm=None, name="conv1")(x)
        c1 = LocalResponseNormalization(axis=axis, name="norm1")(x)
        p1 = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(c1)
        x = ConvNormAct(256, 5, norm=None, name="conv2")(p1)
        x = LocalResponseNormalization(axis=axis, name="norm2")(x)
        p2 = keras.layers.MaxPooling2D(3, strides=2, name="pool2")(x)
        x = ConvNormAct(384, 3, norm=None, name="conv3")(p2)
        x = ConvNormAct(384, 3, norm=None, name="conv4")(x)
        x = ConvNormAct(256, 3, norm=None, name="conv5")(x)
        p5 = keras.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
        return p5, {4: c1, 8: p1, 16: p2, 32: p5}

    def head(x, classes, classifier_activation):
        x = keras.layers.Flatten(name="flatten")(x)
        for name in ("fc6", "fc7"):
            x = keras.layers.Dense(4096, activation="relu", name=name)(x)
            x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
        return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)

    return common.assemble(name, common.image_input(input_tensor, shape), backbone, include_top=include_top,
                           pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                           features_only=features_only, weights=weights, input_shape=shape, head=head,
                           input_tensor=input_tensor)
