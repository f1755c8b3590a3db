"""Maxout: the maximum over groups of features."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class Maxout(keras.layers.Layer):
    """Maxout (Goodfellow et al. 2013): keep the largest of every `k` features along an axis.

        y[..., j, ...] = max_i x[..., i * num_units + j, ...],   i = 0 .. k - 1,   k = features / num_units

    Feature `c` of the input belongs to unit `c mod num_units`, as in TensorFlow Addons' `tfa.layers.Maxout`
    (the input axis is read as `k` blocks of `num_units` features). After a Dense or convolution with
    `k * num_units` outputs it gives the paper's piecewise-linear learned activation.

    Args:
        num_units: the number of features left along `axis`; must divide the input's size there.
        axis: the axis to reduce, not the batch axis. Defaults to -1 (channels last).

    Input shape:
        A tensor of rank >= 2 whose size along `axis` is known and a multiple of `num_units`.

    Output shape:
        The input shape with `num_units` along `axis`.

    Example:

    >>> layer = keras_dlx.layers.Maxout(num_units=2)
    >>> keras.ops.convert_to_numpy(layer(np.array([[1.0, 5.0, 3.0, 2.0]])))
    array([[3., 5.]], dtype=float32)

    Reference:
        - [Goodfellow et al. 2013, Maxout Networks](https://arxiv.org/abs/1302.4389)
    """

    def __init__(self, num_units, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.num_units = args.positive_int("num_units", num_units)
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool) or axis == 0:
            args.invalid("axis", axis, "a non-batch axis (an integer other than 0)")
        self.axis = int(axis)

    def build(self, input_shape):
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2 (batch "
                             f"first). Received: input_shape={tuple(input_shape)}")
        if not -rank < self.axis < rank:
            raise ValueError(f"Invalid `axis` for layer '{self.name}': expected a non-batch axis of the {rank}D "
                             f"input (from {-rank + 1} to {rank - 1}, not 0). Received: axis={self.axis!r}, "
                             f"input_shape={tuple(input_shape)}")
        features = input_shape[self.axis]
        if features is None or features % self.num_units:
            raise ValueError(f"Invalid input for layer '{self.name}': the size of axis {self.axis} must be known "
                             f"and a multiple of num_units={self.num_units}. Received: "
                             f"input_shape={tuple(input_shape)}")
        self.input_spec = keras.layers.InputSpec(ndim=rank, axes={self.axis: features})

    def call(self, inputs):
        axis = self.axis % len(inputs.shape)
        moved = ops.moveaxis(inputs, axis, -1)
        leading = ops.shape(moved)[:-1]
        blocks = moved.shape[-1] // self.num_units
        grouped = ops.reshape(moved, (*leading, blocks, self.num_units))
        return ops.moveaxis(ops.max(grouped, axis=-2), -1, axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self.axis] = self.num_units
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units, "axis": self.axis}
