"""Layer-contract cases of the generative-model layers (tests/cases.py collects them)."""

from keras_dlx import layers
from tests.contract_case import case

CASES = [
    case(layers.GramMatrix, dict(), (2, 5, 4, 3), "gram", expected_output_shape=(2, 3, 3)),
    case(layers.GramMatrix, dict(normalize=False, data_format="channels_first"), (2, 3, 4, 5),
         "gram-unnormalized-channels-first", expected_output_shape=(2, 3, 3)),
]
