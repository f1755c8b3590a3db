"""Turn a classifier's fully-connected head into convolutions, so it slides over larger images (cs231n)."""

import keras
import numpy as np

from keras_dlx.utils import arguments as args

_PASSTHROUGH = (keras.layers.Dropout, keras.layers.Activation)


def _feeds(previous, layer):
    """Whether `layer` was called once, on `previous`'s output alone (public `input`/`output` properties, which
    raise for a layer called several times)."""
    try:
        return layer.input is previous.output
    except (AttributeError, ValueError):
        return False


def _chain(model):
    """The model's layers in order, checked to form a single chain input -> ... -> output."""
    chain = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    for previous, layer in zip(chain, chain[1:]):
        if not _feeds(previous, layer):
            args.invalid("model", model.name, "a chain of layers (each feeding the next), such as VGG, AlexNet or "
                                              "LeNet5; this one branches at '{}'".format(layer.name))
    return chain


def to_fully_convolutional(model):
    """A model that computes `model` at every position of a larger input: a classifier's score map.

    The first Dense layer after the `Flatten` becomes a convolution whose kernel spans the whole feature map it
    was trained on (same weights, reshaped); the following Dense layers become 1x1 convolutions. On the
    training size the new model returns a 1x1 score map equal to `model`'s output; on a larger image it
    returns one score vector per window, windows spaced by the network's total stride (32 for VGG: a
    224-trained VGG16 gives a 6x6 map on 384x384). The layers before `Flatten` are reused, weights shared.

    Args:
        model: a built `keras.Model` made of one chain of layers with a `Flatten` followed by `Dense` layers
            (`Dropout` and `Activation` may sit in between), channels last.

    Returns:
        A `keras.Model` with input `(None, None, channels)` and output `(batch, rows, cols, classes)`.
    """
    if not isinstance(model, keras.Model):
        args.invalid("model", model, "a keras.Model")
    chain = _chain(model)
    flatten = [i for i, layer in enumerate(chain) if isinstance(layer, keras.layers.Flatten)]
    if not flatten:
        args.invalid("model", model.name, "a classifier with a Flatten layer before its Dense head")
    if keras.config.image_data_format() != "channels_last":
        args.invalid("image_data_format", keras.config.image_data_format(), "'channels_last'")
    body, head = chain[:flatten[0]], chain[flatten[0] + 1:]
    if not all(isinstance(layer, (keras.layers.Dense,) + _PASSTHROUGH) for layer in head):
        args.invalid("model", model.name, "only Dense, Dropout and Activation layers after Flatten")
    feature_shape = tuple(chain[flatten[0]].input.shape[1:])
    inputs = keras.Input((None, None) + tuple(model.input.shape[3:]))
    x = inputs
    for layer in body:
        x = layer(x)
    window = feature_shape[:2]
    for layer in head:
        if isinstance(layer, keras.layers.Dense):
            kernel, *bias = layer.get_weights()
            conv = keras.layers.Conv2D(layer.units, window, activation=layer.activation, use_bias=layer.use_bias,
                                       dtype=layer.dtype_policy, name=f"{layer.name}_conv")
            conv.build(tuple(x.shape))
            conv.set_weights([np.reshape(kernel, window + (kernel.shape[0] // int(np.prod(window)), layer.units))]
                             + bias)
            x, window = conv(x), (1, 1)
        else:
            x = layer(x)
    return keras.Model(inputs, x, name=f"{model.name}_fully_convolutional")
