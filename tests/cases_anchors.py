"""Layer-contract cases of the anchor generator (tests/cases.py collects them)."""

from keras_dlx import layers
from tests.contract_case import case

# The anchors are a constant of the input's shape (its values are never read): there is no gradient to check.
CASES = [
    case(layers.AnchorGenerator, dict(sizes=(16, 32, 64), strides=8), (2, 20, 24, 3), "anchors-9-stride8",
         expected_output_shape=(3 * 3 * 9, 4), skip=("gradients",)),
    case(layers.AnchorGenerator, dict(sizes=(12, 24), aspect_ratios=(1.0, 2.0), strides=4, offset=0.0),
         (2, 10, 9, 3), "anchors-4-stride4-torchvision-offset", expected_output_shape=(3 * 3 * 4, 4),
         skip=("gradients",)),
]
