"""Layer-contract cases for core layers, activation layers and PoincareNormalize (see tests/cases.py for `case`).

The contract feeds one float tensor. Two layers here take something else, so their cases wrap them in a test
adaptor (below) that the contract checks like any layer, the wrapped layer included (its weights, `.keras`
round trip, fit, mixed precision and float64 gradients): `PairOfInputs` splits one `(batch, 2, ...)` tensor
into the `[a, b]` pair of StochasticDepth and PolynomialCrossing; `BagIndices` turns floats into the integer
indices of EmbeddingBag (whose input gradient is then zero, and so are the finite differences).
"""

import keras
from keras import ops

from keras_dlx import layers
from tests.contract_case import case


class _Adaptor(keras.layers.Wrapper):
    """A wrapper that passes its dtype policy on to the layer it wraps, as the contract varies `dtype`."""

    def __init__(self, layer, **kwargs):
        if "dtype" in kwargs:
            layer = layer.__class__.from_config({**layer.get_config(), "dtype": kwargs["dtype"]})
        super().__init__(layer, **kwargs)

    def build(self, input_shape):
        self.layer.build(self.inner_shape(input_shape))

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(self.inner_shape(input_shape))


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
class PairOfInputs(_Adaptor):
    """`(batch, 2, ...)` -> `layer([x[:, 0], x[:, 1]])`."""

    def inner_shape(self, input_shape):
        half = (input_shape[0], *input_shape[2:])
        return [half, half]

    def call(self, inputs):
        return self.layer([inputs[:, 0], inputs[:, 1]])


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
class BagIndices(_Adaptor):
    """Floats `(batch, ..., L)` -> `layer(floor(3 |x|) mod input_dim)`, integer indices."""

    def inner_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs):
        indices = ops.cast(ops.floor(ops.abs(inputs) * 3.0), "int32") % self.layer.input_dim
        return self.layer(indices)


CASES = [
    case(layers.Snake, dict(), (3, 5), "snake"),
    case(layers.Sparsemax, dict(axis=1), (3, 5, 4), "sparsemax-axis1"),
    case(layers.Maxout, dict(num_units=4), (2, 8), "maxout"),
    case(layers.Maxout, dict(num_units=3, axis=1), (2, 6, 4, 4), "maxout-axis1"),
    case(layers.NoisyDense, dict(units=4), (3, 5), "noisy-dense"),
    case(layers.NoisyDense, dict(units=3, use_factorised=False, activation="tanh", use_bias=False), (3, 5),
         "noisy-dense-independent"),
    case(layers.PoincareNormalize, dict(), (4, 6), "poincare", normalization=True),
    case(layers.PoincareNormalize, dict(axis=[1, 2], epsilon=1e-3), (2, 3, 4), "poincare-axes",
         normalization=True),
    case(PairOfInputs, lambda: dict(layer=layers.StochasticDepth(survival_probability=0.8)), (3, 2, 4, 5),
         "stochastic-depth"),
    # Every call draws new noise, so outputs differ between the saved and the reloaded layer and between the finite
    # differences' evaluations: tests/test_vae.py checks the round trip and the gradient with a fixed draw.
    case(PairOfInputs, lambda: dict(layer=layers.Sampling(seed=3)), (3, 2, 4), "sampling",
         skip=("serialization", "gradients")),
    case(PairOfInputs, lambda: dict(layer=layers.PolynomialCrossing(diag_scale=0.5)), (3, 2, 6),
         "polynomial-crossing"),
    case(PairOfInputs, lambda: dict(layer=layers.PolynomialCrossing(projection_dim=2, use_bias=False)), (3, 2, 6),
         "polynomial-crossing-low-rank"),
    case(BagIndices, lambda: dict(layer=layers.EmbeddingBag(input_dim=7, output_dim=4)), (3, 5),
         "embedding-bag"),
    case(BagIndices, lambda: dict(layer=layers.EmbeddingBag(input_dim=7, output_dim=4, combiner="mean")),
         (2, 3, 5), "embedding-bag-mean"),
]
