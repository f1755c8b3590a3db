"""PoincareNormalize: project vectors into the Poincaré ball."""

import numbers

import keras
from keras import ops

from keras_dlx.layers.normalization.common import take_inputs_as_they_come
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


def _is_axis(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value != 0


@register
class PoincareNormalize(keras.layers.Layer):
    """Project each slice along `axis` into the Poincaré ball of radius `1 - epsilon` (Nickel & Kiela 2017).

        y = x * min((1 - epsilon) / ||x||, 1)

    A slice whose norm is at most `1 - epsilon` is left as is; a longer one is scaled back onto the sphere of
    radius `1 - epsilon`, which keeps hyperbolic embeddings strictly inside the unit ball. Same values as
    TensorFlow Addons' `tfa.layers.PoincareNormalize`, computed in float32 at least (the squared norm of
    float16 inputs overflows). Unlike Addons, `axis` may not name the batch axis (Addons also took 0 and None,
    which normalise across examples).

    Args:
        axis: a non-batch axis or a list of them, the slice normalised together. Defaults to 1.
        epsilon: small positive distance kept from the unit sphere. Defaults to 1e-5.

    Input shape:
        Any tensor of rank >= 2 that has every axis in `axis`.

    Output shape:
        Same as the input.

    Example:

    >>> layer = keras_dlx.layers.PoincareNormalize(epsilon=0.1)
    >>> np.round(keras.ops.convert_to_numpy(layer(np.array([[3.0, 4.0], [0.3, 0.4]]))), 4)
    array([[0.54, 0.72],
           [0.3 , 0.4 ]], dtype=float32)

    Reference:
        - [Nickel & Kiela 2017, Poincaré Embeddings for Learning Hierarchical Representations](
          https://arxiv.org/abs/1705.08039)
    """

    def __init__(self, axis=1, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        allowed = "a non-batch axis (an integer other than 0) or a non-empty list of them"
        if isinstance(axis, (list, tuple)):
            if not axis or not all(_is_axis(a) for a in axis):
                args.invalid("axis", axis, allowed)
            axis = [int(a) for a in axis]
        elif _is_axis(axis):
            axis = int(axis)
        else:
            args.invalid("axis", axis, allowed)
        self.axis = axis
        self.epsilon = args.positive_float("epsilon", epsilon)
        if self.epsilon >= 1:
            args.invalid("epsilon", epsilon, "a number in (0, 1)")
        self.supports_masking = True
        take_inputs_as_they_come(self)

    def _axes(self):
        return self.axis if isinstance(self.axis, list) else [self.axis]

    def build(self, input_shape):
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2 (batch "
                             f"first). Received: input_shape={tuple(input_shape)}")
        for axis in self._axes():
            if not -rank < axis < rank:
                raise ValueError(f"Invalid `axis` for layer '{self.name}': expected non-batch axes of the {rank}D "
                                 f"input (from {-rank + 1} to {rank - 1}, not 0). Received: axis={self.axis!r}, "
                                 f"input_shape={tuple(input_shape)}")
        self.input_spec = keras.layers.InputSpec(ndim=rank)

    def call(self, inputs):
        wide = "float64" if keras.backend.standardize_dtype(inputs.dtype) == "float64" else "float32"
        x = ops.cast(inputs, wide)
        squared = ops.sum(ops.square(x), axis=self._axes(), keepdims=True)
        scale = ops.minimum((1.0 - self.epsilon) * ops.rsqrt(squared), 1.0)
        return ops.cast(x * scale, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
