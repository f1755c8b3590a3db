"""Layer-contract cases for the CRF layer (see tests/cases.py for `case`).

The contract checks one output tensor; `CRF` returns four (decoded tags, potentials, lengths, transitions). The
cases run it inside `CRFLogNorm`, which returns the CRF's log partition function per sequence: a function of
every CRF weight (kernel, bias, boundaries, transitions) and of the decoded path's inputs, so shapes, `.keras`
round trip, fit, mixed precision and float64 gradients all reach the CRF. The decoded tags themselves are
compared with Addons in tests/test_addons_sequence.py.
"""

import keras
from keras import ops

from keras_dlx.layers import CRF
from keras_dlx.ops import crf_log_norm
from tests.contract_case import case


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
class CRFLogNorm(keras.layers.Layer):
    """Test harness: `log Z` of a `CRF` (given as `layer`, rebuilt with this layer's dtype policy), (batch, 1)."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if isinstance(layer, dict):
            layer = keras.saving.deserialize_keras_object(layer)
        self.layer = CRF.from_config({**layer.get_config(), "dtype": self.dtype_policy})

    def build(self, input_shape):
        self.layer.build(input_shape)

    def call(self, inputs):
        decoded, potentials, sequence_length, chain_kernel = self.layer(inputs)
        log_norm = crf_log_norm(ops.cast(potentials, "float32" if potentials.dtype in ("float16", "bfloat16")
                                         else potentials.dtype), sequence_length,
                                ops.cast(chain_kernel, potentials.dtype if potentials.dtype == "float64"
                                         else "float32"))
        # The decoded tags join the output (times 0), so the decoding runs in every check (jit, mixed precision).
        out = ops.expand_dims(log_norm, -1) + 0 * ops.cast(decoded[:, :1], log_norm.dtype)
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "layer": keras.saving.serialize_keras_object(self.layer)}


CASES = [
    case(CRFLogNorm, lambda: dict(layer=CRF(4)), (2, 5, 3), "crf-addons-default"),
    case(CRFLogNorm, lambda: dict(layer=CRF(3, use_boundary=False, chain_initializer="glorot_uniform")),
         (2, 4, 3), "crf-no-boundary"),
    case(CRFLogNorm, lambda: dict(layer=CRF(3, use_kernel=False, boundary_initializer="random_normal")),
         (2, 4, 3), "crf-no-kernel"),
]
