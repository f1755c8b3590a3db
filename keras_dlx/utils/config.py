"""Serialization of constructor arguments for `get_config`."""

import keras

_SERIALIZERS = (
    ("activation", keras.activations.serialize),
    ("_initializer", keras.initializers.serialize),
    ("_regularizer", keras.regularizers.serialize),
    ("_constraint", keras.constraints.serialize),
)


def arguments(layer, names):
    """`{name: serialized value}` for each attribute named, Keras objects serialized by their name's suffix."""
    config = {}
    for name in names:
        value = getattr(layer, name)
        for suffix, serialize in _SERIALIZERS:
            if name.endswith(suffix):
                value = serialize(value)
                break
        config[name] = value
    return config
