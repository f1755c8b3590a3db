"""What the normalization layers share: the channel axis, float32 statistics, and gamma/beta."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args

_LOW_PRECISION = ("float16", "bfloat16")


def channel_axis(layer, input_shape, axis):
    """The non-negative channel axis of an input, or a ValueError naming `axis`."""
    rank = len(input_shape)
    if not -rank <= axis < rank or axis in (0, -rank):
        raise ValueError(f"Invalid `axis` for layer '{layer.name}': expected a non-batch axis of the "
                         f"{rank}D input (1 to {rank - 1}, or -{rank - 1} to -1). Received: axis={axis}")
    return axis % rank


def take_inputs_as_they_come(layer):
    """Switch off Keras's cast of the inputs to the compute dtype, as Keras's own normalization layers do.

    Under `mixed_float16` that cast turns a float32 activation of 7e4 into inf before `call` sees it; the
    layer computes in float32 and emits the compute dtype instead (its output is of unit scale).
    """
    layer.autocast = False


def to_float32_channels_last(inputs, axis):
    """Channels last, and float32 when the input is 16-bit (x^2 of a float16 activation of 300 overflows)."""
    x = inputs if axis == len(inputs.shape) - 1 else ops.moveaxis(inputs, axis, -1)
    if keras.backend.standardize_dtype(x.dtype) in _LOW_PRECISION:
        x = ops.cast(x, "float32")
    return x


def from_float32_channels_last(y, axis, dtype):
    """Undo `to_float32_channels_last`: back to the layer's compute dtype and the input's channel axis."""
    y = ops.cast(y, dtype)
    return y if axis == len(y.shape) - 1 else ops.moveaxis(y, -1, axis)


def add_gamma_beta(layer, channels):
    """`layer.gamma` / `layer.beta` of shape (channels,) when `layer.scale` / `layer.center`, else None."""
    layer.gamma = layer.beta = None
    if layer.scale:
        layer.gamma = layer.add_weight(name="gamma", shape=(channels,),
                                       initializer=args.fresh_initializer(layer.gamma_initializer),
                                       regularizer=layer.gamma_regularizer, constraint=layer.gamma_constraint)
    if layer.center:
        layer.beta = layer.add_weight(name="beta", shape=(channels,),
                                      initializer=args.fresh_initializer(layer.beta_initializer),
                                      regularizer=layer.beta_regularizer, constraint=layer.beta_constraint)


def integer_axis(axis):
    """A channel axis: any integer but 0, the batch axis (rejected here, before the input's rank is known)."""
    if not isinstance(axis, int) or isinstance(axis, bool) or axis == 0:
        args.invalid("axis", axis, "a non-batch axis: an integer other than 0")
    return axis
