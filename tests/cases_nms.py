"""Layer-contract cases for NonMaxSuppression (see tests/cases.py for `case`).

The contract feeds one float tensor and expects one; NonMaxSuppression takes `boxes` and `scores` and returns a
dict. `PredictionsToDetections` (below) reads its input `(batch, N, 4 + C)` as a detector head's raw output:
valid xyxy boxes from the first four values (a corner and a positive size), class scores = sigmoid of the rest;
it returns the detections as one tensor `(batch, max_detections, 6)`: box, score, class (as a float). The
contract then checks the layer as a detector uses it: `.keras` round trip, a compiled predict with and without
jit (the layer has no weights), mixed precision, and float64 gradients, which reach the input through the kept
boxes and scores (the selection itself is piecewise constant).
"""

import keras
from keras import ops

from keras_dlx import layers
from tests.cases_core import _Adaptor
from tests.contract_case import case


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
class PredictionsToDetections(_Adaptor):
    """`(batch, N, 4 + C)` -> `concat(boxes, scores, classes)` of `layer(boxes, sigmoid(scores))`."""

    def _split(self, inputs):
        corner = inputs[..., :2] * 4.0
        boxes = ops.concatenate([corner, corner + ops.exp(inputs[..., 2:4]) * 3.0], axis=-1)
        return boxes, ops.sigmoid(inputs[..., 4:])

    def build(self, input_shape):
        self.layer.build(tuple(input_shape[:-1]) + (4,), tuple(input_shape[:-1]) + (input_shape[-1] - 4,))

    def call(self, inputs):
        out = self.layer(*self._split(inputs))
        dtype = out["boxes"].dtype
        return ops.concatenate([out["boxes"], out["scores"][..., None],
                                ops.cast(out["classes"], dtype)[..., None]], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.layer.max_detections, 6)


# One case: the contract takes ~10 s for this layer (its compiled loops); class_aware=False and the per-class limit
# are checked against NumPy in tests/test_detection_nms.py.
CASES = [
    case(PredictionsToDetections, lambda: dict(layer=layers.NonMaxSuppression(
        iou_threshold=0.3, confidence_threshold=0.2, max_detections=6)), (2, 8, 7), "non-max-suppression"),
]
