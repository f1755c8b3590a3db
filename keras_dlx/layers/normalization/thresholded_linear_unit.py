"""The thresholded linear unit (TLU) that follows filter response normalization."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class TLU(keras.layers.Layer):
    """Thresholded linear unit (Singh & Krishnan 2020): a ReLU with a learned threshold.

        z = max(x, tau)                  (affine=False)
        z = max(x, alpha * x + tau)      (affine=True, "TLU-Affine")

    Meant to follow `FilterResponseNormalization`, whose output has no mean subtraction, so that a learned
    threshold replaces the activation's fixed zero. Same arguments, weights and default shapes as TensorFlow
    Addons' `TLU` (one `tau` per input element, `input_shape[1:]`); `shared_axes`, as in `keras.layers.PReLU`,
    shares the weights along axes, e.g. `shared_axes=[1, 2]` for the paper's one `tau` per channel of an image.

    Args:
        affine: bool, learn the slope `alpha` of the affine variant. Defaults to False.
        tau_initializer, tau_regularizer, tau_constraint: for `tau`. Defaults to zeros (a ReLU at start).
        alpha_initializer, alpha_regularizer, alpha_constraint: for `alpha`, when `affine`.
        shared_axes: None or a list of non-batch axes along which the weights are shared. Defaults to None.

    Input shape:
        Any tensor of rank >= 2.

    Output shape:
        Same as the input.

    Example:

    >>> tlu = keras_dlx.layers.TLU(shared_axes=[1, 2])
    >>> tuple(tlu(keras.random.normal((2, 8, 8, 16))).shape)
    (2, 8, 8, 16)

    Reference:
        - [Singh & Krishnan 2020, Filter Response Normalization Layer](https://arxiv.org/abs/1911.09737)
    """

    def __init__(self, affine=False, tau_initializer="zeros", tau_regularizer=None, tau_constraint=None,
                 alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.affine = args.boolean("affine", affine)
        args.keras_objects(self, tau_initializer=tau_initializer, tau_regularizer=tau_regularizer,
                           tau_constraint=tau_constraint, alpha_initializer=alpha_initializer,
                           alpha_regularizer=alpha_regularizer, alpha_constraint=alpha_constraint)
        if shared_axes is not None:
            if isinstance(shared_axes, int) and not isinstance(shared_axes, bool):
                shared_axes = [shared_axes]
            if not isinstance(shared_axes, (list, tuple)) or not all(
                    isinstance(a, int) and not isinstance(a, bool) and a != 0 for a in shared_axes):
                args.invalid("shared_axes", shared_axes, "None or a list of non-batch axes (integers other than 0)")
            shared_axes = list(shared_axes)
        self.shared_axes = shared_axes
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2. "
                             f"Received: input_shape={tuple(input_shape)}")
        shared = set()
        for axis in self.shared_axes or ():
            if not -rank < axis < rank:
                raise ValueError(f"Invalid `shared_axes` for layer '{self.name}': axis {axis} is not a non-batch "
                                 f"axis of the {rank}D input. Received: shared_axes={self.shared_axes}")
            shared.add(axis % rank)
        shape = [1 if axis in shared else input_shape[axis] for axis in range(1, rank)]
        if any(size is None for size in shape):
            raise ValueError(f"Invalid input for layer '{self.name}': every axis that is not shared must be known "
                             f"when the layer is built. Received: input_shape={tuple(input_shape)}, "
                             f"shared_axes={self.shared_axes}")
        self.tau = self.add_weight(name="tau", shape=shape, initializer=args.fresh_initializer(self.tau_initializer),
                                   regularizer=self.tau_regularizer, constraint=self.tau_constraint)
        self.alpha = None
        if self.affine:
            self.alpha = self.add_weight(name="alpha", shape=shape,
                                         initializer=args.fresh_initializer(self.alpha_initializer),
                                         regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self.input_spec = keras.layers.InputSpec(
            ndim=rank, axes={axis: input_shape[axis] for axis in range(1, rank) if axis not in shared})

    def call(self, inputs):
        threshold = self.tau if self.alpha is None else self.alpha * inputs + self.tau
        return ops.maximum(inputs, threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "affine", "tau_initializer", "tau_regularizer", "tau_constraint", "alpha_initializer",
            "alpha_regularizer", "alpha_constraint", "shared_axes")))
        return config
