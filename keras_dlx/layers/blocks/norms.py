"""Normalization layers by name, for blocks that take `norm=`."""

import keras

from keras_dlx.layers.normalization import GroupNormalization, SwitchableNormalization
from keras_dlx.utils import arguments as args

NORMS = ("batch", "group", "switchable")


def check_norm(norm):
    return None if norm is None else args.one_of("norm", norm, NORMS)


def make_norm(norm, axis, momentum, epsilon, groups, dtype, name, scale=True):
    """A fresh normalization layer: BatchNormalization, GroupNormalization or SwitchableNormalization."""
    if norm == "batch":
        return keras.layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon, scale=scale,
                                               dtype=dtype, name=name)
    if norm == "group":
        return GroupNormalization(groups=groups, axis=axis, epsilon=epsilon, scale=scale, dtype=dtype, name=name)
    return SwitchableNormalization(axis=axis, momentum=momentum, epsilon=epsilon, scale=scale, dtype=dtype,
                                   name=name)
