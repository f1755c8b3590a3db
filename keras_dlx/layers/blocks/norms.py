"""Normalization layers by name, for blocks that take `norm=`."""


from keras_dlx.layers.normalization import GroupNormalization, SwitchableNormalization
from keras_dlx.layers.normalization.float64_batch_normalization import Float64BatchNormalization
from keras_dlx.utils import arguments as args

NORMS = ("batch", "group", "switchable")


def check_norm(norm):
    return None if norm is None else args.one_of("norm", norm, NORMS)


def make_norm(norm, axis, momentum, epsilon, groups, dtype, name, scale=True):
    """A fresh normalization layer: BatchNormalization (keeping float64 inputs in float64 on every backend),
    GroupNormalization or SwitchableNormalization."""
    if norm == "batch":
        return Float64BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon, scale=scale, dtype=dtype,
                                         name=name)
    if norm == "group":
        return GroupNormalization(groups=groups, axis=axis, epsilon=epsilon, scale=scale, dtype=dtype, name=name)
    return SwitchableNormalization(axis=axis, momentum=momentum, epsilon=epsilon, scale=scale, dtype=dtype,
                                   name=name)
