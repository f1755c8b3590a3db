"""Layer-contract cases for pooling, vision and the new recurrent cells (see tests/cases.py for `case`).

The contract feeds one float tensor. `MaxUnpooling2D` takes the values and argmax indices of a max pooling, so
its cases wrap it in `PoolThenUnpool` (below), which pools its input with `keras_dlx.ops.max_pool_with_argmax`
and unpools the result: the contract then checks the pair (`.keras` round trip, fit, mixed precision, float64
gradients, which reach the input through the selected maxima). `CorrelationCost` takes a pair of images and
uses tests/cases_core.py's `PairOfInputs`.
"""

import keras

from keras_dlx import layers
from keras_dlx import ops as dlx_ops
from tests.cases_core import PairOfInputs  # noqa: F401  (used by the entries below)
from tests.contract_case import case


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
class PoolThenUnpool(keras.layers.Wrapper):
    """`x` -> `layer(*max_pool_with_argmax(x, layer.pool_size, layer.strides, layer.padding))`."""

    def __init__(self, layer, **kwargs):
        if "dtype" in kwargs:  # the contract varies `dtype`: the wrapped layer follows it
            layer = layer.__class__.from_config({**layer.get_config(), "dtype": kwargs["dtype"]})
        super().__init__(layer, **kwargs)

    def _pool(self, inputs):
        return dlx_ops.max_pool_with_argmax(inputs, self.layer.pool_size, self.layer.strides, self.layer.padding)

    def build(self, input_shape):
        pooled = keras.ops.shape(self._pool(keras.KerasTensor(input_shape))[0])
        self.layer.build(pooled, pooled)

    def call(self, inputs):
        return self.layer(*self._pool(inputs))

    def compute_output_shape(self, input_shape):
        pooled = self._pool(keras.KerasTensor(input_shape))[0].shape
        return self.layer.compute_output_shape(pooled, pooled)


CASES = [
    case(PoolThenUnpool, lambda: dict(layer=layers.MaxUnpooling2D()), (2, 6, 6, 3), "max-unpooling"),
    case(PoolThenUnpool, lambda: dict(layer=layers.MaxUnpooling2D(3, 2, padding="VALID")), (2, 7, 7, 2),
         "max-unpooling-valid-overlapping"),
]
