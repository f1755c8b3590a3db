"""What every application shares: the keras.applications arguments, the input, the head and the assembly.

An architecture file only describes its backbone: a function from an input tensor to the last feature map and
the feature maps it passes at strides 4, 8, 16 and 32 (`taps`). `assemble` turns that into a `keras.Model`
exactly as keras.applications does (input checks, `include_top`, `pooling`, `classes`,
`classifier_activation`, `weights`) and adds the feature-extraction mode (`features_only`).
"""

import keras

from keras_dlx.applications import weights as weights_module
from keras_dlx.utils import arguments as args


def check_common(include_top, weights, pooling, classes, classifier_activation, features_only, imagenet=False):
    """Keras's rules for the arguments every constructor takes; `imagenet`: whether published weights exist."""
    args.boolean("include_top", include_top)
    args.boolean("features_only", features_only)
    if weights is not None and not isinstance(weights, str):
        args.invalid("weights", weights, "None, 'imagenet' or the path to a weights file")
    if weights == "imagenet" and not imagenet:
        args.invalid("weights", weights, "None or the path to a weights file (keras.applications publishes no "
                                         "ImageNet weights for this architecture)")
    if pooling is not None and pooling not in ("avg", "max"):
        args.invalid("pooling", pooling, "None, 'avg' or 'max'")
    args.positive_int("classes", classes)
    if weights == "imagenet" and include_top and classes != 1000:
        args.invalid("classes", classes, "1000 when using weights='imagenet' with include_top=True")
    if weights == "imagenet" and include_top and classifier_activation not in (None, "softmax"):
        args.invalid("classifier_activation", classifier_activation,
                     "None or 'softmax' when using weights='imagenet' with include_top=True")
    if classifier_activation is not None:
        args.activation("classifier_activation", classifier_activation)


def input_shape(value, default_size, min_size, channels, require_static, weights):
    """The `(rows, cols, channels)` (or channels first) shape the model is built on, checked as Keras does."""
    channels_last = keras.config.image_data_format() == "channels_last"
    default = (default_size, default_size, channels) if channels_last else (channels, default_size, default_size)
    if value is None:
        if require_static or weights == "imagenet":
            return default
        return (None, None, channels) if channels_last else (channels, None, None)
    shape = tuple(value) if isinstance(value, (tuple, list)) else None
    if shape is None or len(shape) != 3 or not all(d is None or (isinstance(d, int) and d > 0) for d in shape):
        args.invalid("input_shape", value, "a tuple of 3 positive integers (or None for a free spatial size)")
    rows_cols = shape[:2] if channels_last else shape[1:]
    channel = shape[2] if channels_last else shape[0]
    if weights == "imagenet" and require_static and shape != default:
        args.invalid("input_shape", value, f"{default} when loading 'imagenet' weights with include_top=True")
    if weights == "imagenet" and channel != channels:
        args.invalid("input_shape", value, f"{channels} input channels when loading 'imagenet' weights")
    if any(d is not None and d < min_size for d in rows_cols):
        args.invalid("input_shape", value, f"an input of at least {min_size}x{min_size} for this architecture")
    if require_static and None in rows_cols:
        args.invalid("input_shape", value, "a static spatial size when include_top=True (the head is fixed)")
    return shape


def image_input(input_tensor, shape):
    """The model's Input: a fresh one, or built around `input_tensor` as keras.applications does."""
    if input_tensor is None:
        return keras.Input(shape=shape)
    if not keras.backend.is_keras_tensor(input_tensor):
        return keras.Input(tensor=input_tensor, shape=shape)
    return input_tensor


def channel_axis():
    return -1 if keras.config.image_data_format() == "channels_last" else 1


def dense_head(x, classes, classifier_activation):
    """Global average pooling and the `predictions` Dense layer (ResNet, Inception, ShuffleNet)."""
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def pool(x, pooling):
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def assemble(name, inputs, backbone, *, include_top, pooling, classes, classifier_activation, features_only,
             weights=None, twin=None, input_shape=None, head=dense_head, input_tensor=None):
    """Build the backbone on `inputs` and finish the model according to the keras.applications arguments.

    `backbone(x)` returns `(features, taps)` where `taps` maps each stride (4, 8, 16, 32) to a tensor.
    With `features_only=True` the model's outputs are those feature maps, in stride order. Then `weights`
    are loaded (see `applications.weights.load`; `twin` is the keras.applications counterpart, if any).
    """
    features, taps = backbone(inputs)
    if features_only:
        outputs = [taps[s] for s in sorted(taps)]
    elif include_top:
        outputs = head(features, classes, classifier_activation)
    else:
        outputs = pool(features, pooling)
    model_inputs = inputs if input_tensor is None else keras.utils.get_source_inputs(input_tensor)
    model = keras.Model(model_inputs, outputs, name=name)
    top = include_top and not features_only
    return weights_module.load(model, weights, twin, include_top=top, input_shape=input_shape, classes=classes,
                               classifier_activation=classifier_activation)
