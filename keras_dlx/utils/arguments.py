"""Validation of constructor arguments.

Every keras_dlx layer validates its arguments through these functions so that a bad value always raises
``ValueError`` with the same shape of message: the argument's name, what is allowed, and the value received.
Raised while a registered keras_dlx object is constructed (`keras_dlx.utils.registration.register`), the message
also names the object: "Invalid `groups` for GroupConv2D 'group_conv2d': expected ... Received: groups=0".
"""

import numbers

import keras


class InvalidArgumentError(ValueError):
    """The one error keras_dlx raises for a bad argument: a `ValueError` that names the argument, what is allowed
    and the value received, and, once `owner` is known, the object being constructed."""

    def __init__(self, name, value, allowed, detail=None, owner=None):
        self.name, self.value, self.allowed, self.detail, self.owner = name, value, allowed, detail, owner
        where = f" for {owner}" if owner else ""
        extra = f" ({detail})" if detail else ""
        super().__init__(f"Invalid `{name}`{where}: expected {allowed}. Received: {name}={value!r}{extra}")

    def for_owner(self, owner):
        """The same error, naming the object whose construction failed."""
        return InvalidArgumentError(self.name, self.value, self.allowed, self.detail, owner)


def invalid(name, value, allowed, detail=None):
    """Raise the one ValueError keras_dlx uses for a bad argument (`InvalidArgumentError`)."""
    raise InvalidArgumentError(name, value, allowed, detail)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name, value):
    if not _is_int(value) or value <= 0:
        invalid(name, value, "a positive integer")
    return int(value)


def int_tuple(name, value, n, min_value=1):
    """An int or a sequence of ``n`` ints, each >= ``min_value``, as a tuple of length ``n``."""
    allowed = f"an integer >= {min_value} or a tuple of {n} such integers"
    if _is_int(value):
        items = (value,) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(_is_int(v) for v in value):
        items = tuple(value)
    else:
        invalid(name, value, allowed)
    if any(v < min_value for v in items):
        invalid(name, value, allowed)
    return tuple(int(v) for v in items)


def seed(value):
    """None or an integer, for the `seed` of layers with randomness."""
    if value is not None and not _is_int(value):
        invalid("seed", value, "an integer or None")
    return value


def one_of(name, value, allowed):
    """A case-insensitive string choice, returned lower-cased."""
    if not isinstance(value, str) or value.lower() not in allowed:
        invalid(name, value, "one of " + ", ".join(repr(a) for a in allowed))
    return value.lower()


def data_format(value):
    if value is None:
        return keras.config.image_data_format()
    return one_of("data_format", value, ("channels_last", "channels_first"))


def channel_axis(data_format):
    """The channel axis of a standardized `data_format`: -1 for channels_last, 1 for channels_first."""
    return -1 if data_format == "channels_last" else 1


def boolean(name, value):
    if not isinstance(value, bool):
        invalid(name, value, "True or False")
    return value


def unit_interval(name, value, closed_right=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and 0 <= value and (value <= 1 if closed_right else value < 1)
    if not ok:
        invalid(name, value, "a number in [0, 1]" if closed_right else "a number in [0, 1)")
    return float(value)


def non_negative_float(name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        invalid(name, value, "a number >= 0")
    return float(value)


def positive_float(name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value > 0:
        invalid(name, value, "a positive number")
    return float(value)


def _resolve(getter, name, value, allowed):
    try:
        return getter(value)
    except (ValueError, TypeError) as err:
        invalid(name, value, allowed, detail=str(err))


def activation(name, value):
    return _resolve(keras.activations.get, name, value, "a Keras activation name, callable or None")


def initializer(name, value):
    return _resolve(keras.initializers.get, name, value, "a Keras initializer name, instance or config")


def fresh_initializer(value):
    """A new copy of an initializer, for each `add_weight` call or sublayer that uses it.

    An unseeded Keras 3 initializer draws its seed once, at construction, and returns the same values at every
    call: one instance shared by several weights of the same shape makes them identical. Keras clones its
    initializers per weight in the same way (``keras.layers.MultiHeadAttention``). A copy of an unseeded
    initializer draws a new seed; a seeded one keeps its seed, as in Keras.
    """
    if isinstance(value, keras.initializers.Initializer):
        return value.__class__.from_config(value.get_config())
    return value


def regularizer(name, value):
    return _resolve(keras.regularizers.get, name, value, "a Keras regularizer name, instance, config or None")


def constraint(name, value):
    return _resolve(keras.constraints.get, name, value, "a Keras constraint name, instance, config or None")


def input_rank(layer, input_shape, rank, description):
    """Check that an input has exactly ``rank`` dimensions."""
    if len(input_shape) != rank:
        raise ValueError(
            f"Invalid input for layer '{layer.name}': expected a {rank}D input of shape {description}. "
            f"Received: input_shape={tuple(input_shape)}"
        )


def known_channels(layer, input_shape, channel_axis):
    channels = input_shape[channel_axis]
    if channels is None:
        raise ValueError(
            f"Invalid input for layer '{layer.name}': the channel dimension (axis {channel_axis}) must be "
            f"known when the layer is built. Received: input_shape={tuple(input_shape)}"
        )
    return int(channels)


_RESOLVERS = (("activation", activation), ("_initializer", initializer), ("_regularizer", regularizer),
              ("_constraint", constraint))


def keras_objects(layer, **named):
    """Validate and set Keras objects on `layer`, each resolved by its name's suffix (the inverse of
    `keras_dlx.utils.config.arguments`): `keras_objects(self, kernel_initializer=..., bias_regularizer=...)`."""
    for name, value in named.items():
        resolve = next(fn for suffix, fn in _RESOLVERS if name.endswith(suffix))
        setattr(layer, name, resolve(name, value))
