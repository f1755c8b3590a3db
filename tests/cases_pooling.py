"""Layer-contract cases for pooling, vision and the new recurrent cells (see tests/cases.py for `case`).

The contract feeds one float tensor. `MaxUnpooling2D` takes the values and argmax indices of a max pooling, so
its cases (and MaxUnpooling2DV2's) wrap it in `PoolThenUnpool` (below), which pools its input with
`keras_dlx.ops.max_pool_with_argmax` and unpools the result: the contract then checks the pair (`.keras` round
trip, fit, mixed precision, float64 gradients, which reach the input through the selected maxima).
`CorrelationCost` takes a pair of images and uses tests/cases_core.py's `PairOfInputs`.
"""

import keras

from keras_dlx import layers
from keras_dlx import ops as dlx_ops
from tests.cases_core import PairOfInputs
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


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
class OverlappingPoolThenUnpool(PoolThenUnpool):
    """`x` -> `layer(*max_pool_with_argmax(x, 3, 2, "valid"))`, for MaxUnpooling2DV2 (which has no pooling
    arguments of its own)."""

    def _pool(self, inputs):
        return dlx_ops.max_pool_with_argmax(inputs, 3, 2, "valid")


CASES = [
    # The cells in Keras's RNN, as tests/cases.py's RECURRENT list does for the LSTM cells (and for the same
    # reason without the float64 gradient check: keras.layers.RNN does not hand its dtype to a cell made outside
    # it; tests/test_addons_pooling.py compares their input gradients with Addons').
    case(keras.layers.RNN, lambda: dict(cell=layers.NASCell(3)), (2, 4, 3), "nas-cell-in-rnn",
         skip=("gradients",)),
    case(keras.layers.RNN, lambda: dict(cell=layers.NASCell(4, projection=2, use_bias=True),
                                        return_sequences=True), (2, 4, 3), "nas-cell-projection-in-rnn",
         skip=("gradients",)),
    case(keras.layers.RNN, lambda: dict(cell=layers.LayerNormSimpleRNNCell(3)), (2, 4, 3),
         "layer-norm-simple-rnn-cell-in-rnn", skip=("gradients",)),
    case(keras.layers.RNN, lambda: dict(cell=layers.LayerNormSimpleRNNCell(4, dropout=0.1, recurrent_dropout=0.1,
                                                                           use_bias=False),
                                        return_sequences=True), (2, 4, 3),
         "layer-norm-simple-rnn-cell-dropout-in-rnn", skip=("gradients",)),
    case(keras.layers.RNN, lambda: dict(cell=layers.ESNCell(5, connectivity=0.5)), (2, 4, 3), "esn-cell-in-rnn",
         skip=("gradients",)),
    # ESN's weights are all fixed: the fit check then checks that the compiled model predicts finite values.
    case(layers.ESN, dict(units=4, connectivity=0.5), (2, 5, 3), "esn"),
    case(layers.ESN, dict(units=5, leaky=0.5, use_norm2=True, return_sequences=True, activation="sigmoid"),
         (2, 4, 3), "esn-leaky-norm2-sequences"),
    case(layers.NetVLAD, dict(num_clusters=3), (2, 5, 4), "netvlad"),
    case(PairOfInputs, lambda: dict(layer=layers.CorrelationCost(1, 2, 1, 1, 2, "channels_last")), (2, 2, 6, 7, 3),
         "correlation-cost"),
    case(PairOfInputs, lambda: dict(layer=layers.CorrelationCost(3, 2, 2, 2, 1, "channels_last")), (1, 2, 7, 7, 2),
         "correlation-cost-kernel3-strides"),
    case(OverlappingPoolThenUnpool, lambda: dict(layer=layers.MaxUnpooling2DV2((2, 7, 7, 2))), (2, 7, 7, 2),
         "max-unpooling-v2"),
    case(PoolThenUnpool, lambda: dict(layer=layers.MaxUnpooling2D()), (2, 6, 6, 3), "max-unpooling"),
    case(PoolThenUnpool, lambda: dict(layer=layers.MaxUnpooling2D(3, 2, padding="VALID")), (2, 7, 7, 2),
         "max-unpooling-valid-overlapping"),
]
