"""Feature extractors for the generative metrics: the shipped digit classifier and InceptionV3's pool features.

`digit_classifier()` is a small convolutional network trained on the embedded MNIST digits (keras_dlx's
`load_mnist("embedded")` training split) by `examples/train_digit_classifier_weights.py`; its weights ship in
the package, so the metrics need no network. Its 128 penultimate features are the default features of
`FrechetInceptionDistance` and `KernelInceptionDistance`, its softmax the default classifier of `InceptionScore`.
"""

import os

import keras

from keras_dlx.utils import arguments as args

__all__ = ["digit_classifier", "digit_feature_extractor", "inception_feature_extractor"]

DIGIT_WEIGHTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "weights",
                             "digit_classifier.weights.h5")
DIGIT_FEATURES = 128
DIGIT_SHAPE = (28, 28, 1)


def _digit_network(dropout):
    inputs = keras.Input(DIGIT_SHAPE, name="images")
    x = inputs
    for i, filters in enumerate((32, 64, 64), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    features = keras.layers.Dense(DIGIT_FEATURES, activation="relu", name="features")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(features) if dropout else features
    outputs = keras.layers.Dense(10, activation="softmax", name="predictions", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="digit_classifier")


def digit_classifier(weights="default", dropout=0.0):
    """The digit classifier behind the default generative metrics: (batch, 28, 28, 1) images in [0, 1] -> the
    (batch, 10) softmax over the digits 0-9.

    Three 3x3 ReLU convolutions (32, 64, 64 filters) each followed by 2x2 max pooling, a 128-unit ReLU layer
    named "features" (the FID/KID features) and the softmax layer "predictions" (131,466 parameters, channels
    last). The shipped weights were trained by `examples/train_digit_classifier_weights.py` (seeded, 4,000
    embedded training digits); they classify the 1,000 embedded test digits with 97.4% accuracy.

    Args:
        weights: `"default"` (the shipped weights), None (random initialisation) or the path of a
            `.weights.h5` file. Defaults to `"default"`.
        dropout: float in [0, 1), dropout before the softmax, used in training only. Defaults to 0.

    Returns:
        A functional `keras.Model`.
    """
    args.unit_interval("dropout", dropout)
    model = _digit_network(dropout)
    path = _weights_path(weights)
    if path is not None:
        model.load_weights(path)
    return model


def digit_feature_extractor(weights="default"):
    """The 128 penultimate ReLU features of `digit_classifier(weights)`: (batch, 28, 28, 1) images in [0, 1] ->
    (batch, 128); the default `feature_extractor` of `FrechetInceptionDistance` and `KernelInceptionDistance`.

    Example:

    >>> extractor = keras_dlx.metrics.digit_feature_extractor()
    >>> extractor.output_shape
    (None, 128)
    """
    classifier = digit_classifier(weights)
    return keras.Model(classifier.input, classifier.get_layer("features").output, name="digit_features")


def _weights_path(weights):
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "default":
        return DIGIT_WEIGHTS
    if isinstance(weights, (str, os.PathLike)) and os.path.exists(weights):
        return weights
    args.invalid("weights", weights, '"default", None or the path of an existing .weights.h5 file')


def inception_feature_extractor(weights="imagenet", input_shape=None, size=299, name="inception_features"):
    """InceptionV3's 2,048 global-average-pooled features, the features of the reference FID, KID and IS code.

    Images of any size, grey (1 channel) or RGB, with values in [0, 255], are resized bilinearly to
    `size` x `size` (299 as the reference implementations do), grey images repeated to three channels, and
    scaled to [-1, 1] (InceptionV3's preprocessing) before `keras_dlx.applications.InceptionV3(include_top=False,
    pooling="avg")`. The resize is Keras's bilinear resize with antialiasing off, close to but not bit-equal to
    the TensorFlow 1 resize of the original FID code, so figures are comparable only to within that difference.

    Args:
        weights: `"imagenet"` (downloads Keras's file once; no network here means it cannot load), a path to a
            weights file of `keras.applications.InceptionV3(include_top=False)` or keras_dlx's, or None (random,
            for tests of the mechanics only). Defaults to `"imagenet"`.
        input_shape: `(rows, cols, channels)` of the images given to the metric, channels 1 or 3; None: any
            size, 3 channels. Defaults to None.
        size: int, the side the images are resized to. Defaults to 299 (InceptionV3's input, at least 75).
        name: str, the model's name.

    Returns:
        A functional `keras.Model`: images -> (batch, 2048).
    """
    from keras_dlx.applications import InceptionV3

    args.positive_int("size", size)
    if size < 75:
        args.invalid("size", size, "an int >= 75 (InceptionV3's smallest input)")
    shape = tuple(input_shape) if input_shape is not None else (None, None, 3)
    if len(shape) != 3 or shape[-1] not in (1, 3):
        args.invalid("input_shape", input_shape, "None or (rows, cols, channels) with 1 or 3 channels")
    inputs = keras.Input(shape, name="images")
    x = keras.layers.Resizing(size, size, interpolation="bilinear", data_format="channels_last",
                              name="resize")(inputs)
    if shape[-1] == 1:
        x = keras.layers.Concatenate(axis=-1, name="grey_to_rgb")([x, x, x])
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(x)
    backbone = InceptionV3(include_top=False, weights=weights, input_shape=(size, size, 3), pooling="avg")
    return keras.Model(inputs, backbone(x), name=name)


# Helpers shared by the three metrics.


def state_dtype():
    """float64 for the metrics' accumulators, except on JAX without `jax_enable_x64` (float32 there)."""
    if keras.config.backend() == "jax":
        import jax

        return "float64" if jax.config.jax_enable_x64 else "float32"
    return "float64"


def resolve_model(name, model, default):
    """`model`, or `default()` when None; a ValueError naming `name` when it is no Keras model or layer, or its
    known output is not 2-D. Returns the model and its number of outputs per sample (None: unknown yet)."""
    if model is None:
        model = default()
    if not isinstance(model, keras.layers.Layer):
        args.invalid(name, model, "None or a Keras model whose output is (batch, features)")
    try:
        shape = model.output_shape
    except (AttributeError, ValueError, RuntimeError):  # a subclassed model not built yet: checked at first call
        return model, None
    if isinstance(shape, (list, dict)) or len(shape) != 2:
        args.invalid(name, f"{model.name} with output shape {shape}",
                     "a Keras model with one 2-D output (batch, features)")
    return model, shape[-1]


def apply_model(name, model, images, width, argument):
    """`model(images)` as a 2-D tensor whose last size must equal `width` (None: any)."""
    outputs = model(images, training=False)
    shape = tuple(outputs.shape)
    if len(shape) != 2:
        args.invalid(name, f"{model.name} with output shape {shape}",
                     "a Keras model with one 2-D output (batch, features)")
    if width is not None and shape[-1] is not None and shape[-1] != width:
        args.invalid(argument, f"{shape[-1]} features per sample",
                     f"{width} features per sample, as in the earlier batches")
    return outputs


def serialize_model(model, default_built):
    """None for the default model (rebuilt with its shipped weights), else the model's Keras config (its
    architecture: weights do not travel in a config)."""
    return None if default_built else keras.saving.serialize_keras_object(model)


def deserialize_model(config):
    return None if config is None else keras.saving.deserialize_keras_object(config)
