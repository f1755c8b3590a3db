"""Stochastic depth: a residual addition whose branch is dropped at random while training."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class StochasticDepth(keras.layers.Layer):
    """Residual addition with stochastic depth (Huang et al. 2016), a drop-in for `keras.layers.Add`.

        training:   y = shortcut + b * residual,   b ~ Bernoulli(survival_probability), one draw per call
        inference:  y = shortcut + survival_probability * residual

    Same semantics as TensorFlow Addons' `tfa.layers.StochasticDepth`: the whole residual branch of the batch
    is kept or dropped together (not per example, unlike `keras_dlx`'s drop-path in blocks), and inference
    scales the branch by its survival probability rather than training rescaling it by `1 / p`. The random
    stream is Keras's (`seed`), so which calls drop the branch differs from Addons'.

    Args:
        survival_probability: the probability `p` of keeping the residual branch in training, in [0, 1].
            Defaults to 0.5.
        seed: None or an integer, for the draws in training (an addition to Addons' arguments). Defaults to None.

    Input shape:
        A list `[shortcut, residual]` of two tensors of the same shape.

    Output shape:
        The shape of `shortcut`.

    Example:

    >>> layer = keras_dlx.layers.StochasticDepth(survival_probability=0.8)
    >>> keras.ops.convert_to_numpy(layer([np.ones((1, 2)), np.ones((1, 2))]))
    array([[1.8, 1.8]], dtype=float32)

    Reference:
        - [Huang et al. 2016, Deep Networks with Stochastic Depth](https://arxiv.org/abs/1603.09382)
    """

    def __init__(self, survival_probability=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.survival_probability = args.unit_interval("survival_probability", survival_probability,
                                                       closed_right=True)
        self.seed = args.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _check_pair(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2 or not all(
                isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"Invalid input for layer '{self.name}': expected a list [shortcut, residual] of two "
                             f"tensors. Received: input_shape={shapes}")
        shortcut, residual = (tuple(s) for s in shapes)
        if len(shortcut) != len(residual) or any(
                a is not None and b is not None and a != b for a, b in zip(shortcut, residual)):
            raise ValueError(f"Invalid input for layer '{self.name}': shortcut and residual must have the same "
                             f"shape. Received: input_shape={[shortcut, residual]}")

    def build(self, input_shape):
        self._check_pair(input_shape)

    def call(self, inputs, training=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a list [shortcut, residual] of two "
                             f"tensors. Received: inputs={inputs!r}")
        shortcut, residual = inputs
        if training:
            draw = keras.random.uniform((), seed=self.seed_generator)
            keep = ops.cast(draw < self.survival_probability, residual.dtype)
            return shortcut + keep * residual
        return shortcut + ops.cast(self.survival_probability, residual.dtype) * residual

    def compute_output_shape(self, input_shape):
        self._check_pair(input_shape)
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "survival_probability": self.survival_probability, "seed": self.seed}
