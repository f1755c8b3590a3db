"""Inception v3 (Szegedy et al. 2016), laid out as keras.applications.InceptionV3."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import register
from keras_dlx.applications.weights import Twin
from keras_dlx.layers import ConvNormAct, InceptionV3Block

# (kind, keyword arguments) of mixed0 ... mixed10.
MODULES = ([("a", dict(pool_features=f)) for f in (32, 64, 64)] + [("b", {})]
           + [("c", dict(channels_7x7=c)) for c in (128, 160, 160, 192)] + [("d", {}), ("e", {}), ("e", {})])


def _unit(filters, kernel_size, strides=1, padding="same", name=None):
    """Keras's `conv2d_bn`: bias-free convolution, BatchNormalization without scale (epsilon 1e-3), ReLU."""
    return ConvNormAct(filters, kernel_size, strides=strides, padding=padding, use_bias=False, norm_scale=False,
                       name=name)


def _creation_order(layer):
    # keras.applications.InceptionV3 leaves these layers unnamed; Keras numbers them in creation order.
    suffix = layer.name.rsplit("_", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0


def _pairs(model, twin):
    units = []
    for layer in model.layers:
        if isinstance(layer, ConvNormAct):
            units.append(layer)
        elif isinstance(layer, InceptionV3Block):
            units += layer.units
    convs = sorted((c for c in twin.layers if isinstance(c, keras.layers.Conv2D)), key=_creation_order)
    norms = sorted((n for n in twin.layers if isinstance(n, keras.layers.BatchNormalization)), key=_creation_order)
    if len(convs) != len(units):
        raise ValueError(f"Invalid `weights`: the file has {len(convs)} convolutions, {model.name} {len(units)}")
    pairs = []
    for unit, conv, norm in zip(units, convs, norms):
        pairs += [(unit.conv.weights, conv), (unit.norm_layer.weights, norm)]
    dense = [d for d in model.layers if isinstance(d, keras.layers.Dense)]
    return pairs + [(layer.weights, twin.get_layer(layer.name)) for layer in dense]


@register("inception_v3", min_size=75)
def InceptionV3(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", features_only=False, name="inception_v3"):
    """Inception v3: a five-convolution stem, modules A x3, B, C x4, D, E x2 (`InceptionV3Block`), global
    average pooling and the classifier; 23,851,784 parameters at 299x299 with 1000 classes.

    Its layers are those of `keras.applications.InceptionV3`, in the same order, so Keras's weight files and
    `weights="imagenet"` load here. The auxiliary classifier of the paper is not built (Keras has none).

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            `keras.applications.InceptionV3` (input at least 75x75, default 299x299), but `weights` defaults to
            None.
        features_only: bool, output the feature maps at strides 4, 8, 16 and 32 (after the stem, mixed2,
            mixed7 and mixed10; "valid" convolutions make the sizes 71, 35, 17 and 8 at 299x299).

    Reference:
        - [Szegedy et al. 2016, Rethinking the Inception Architecture](https://arxiv.org/abs/1512.00567)
    """
    twin = Twin(keras.applications.InceptionV3, _pairs)
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only,
                        imagenet=True)
    shape = common.input_shape(input_shape, 299, 75, 3, include_top and not features_only, weights)

    def backbone(x):
        x = _unit(32, 3, strides=2, padding="valid", name="conv1")(x)
        x = _unit(32, 3, padding="valid", name="conv2")(x)
        x = _unit(64, 3, name="conv3")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
        x = _unit(80, 1, padding="valid", name="conv4")(x)
        x = _unit(192, 3, padding="valid", name="conv5")(x)
        taps = {4: x}
        x = keras.layers.MaxPooling2D(3, strides=2, name="pool2")(x)
        for i, (kind, kwargs) in enumerate(MODULES):
            x = InceptionV3Block(kind, name=f"mixed{i}", **kwargs)(x)
            if i in (2, 7, 10):
                taps[{2: 8, 7: 16, 10: 32}[i]] = x
        return x, taps

    return common.assemble(name, common.image_input(input_tensor, shape), backbone, include_top=include_top,
                           pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                           features_only=features_only, weights=weights, twin=twin, input_shape=shape,
                           input_tensor=input_tensor)
