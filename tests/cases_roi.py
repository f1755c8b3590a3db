"""Layer-contract cases for the RoI layers and SpatialPyramidPooling2D (see tests/cases.py for `case`).

The contract feeds one float tensor; ROIAlign2D and ROIPooling2D take `[features, boxes]`, so their cases wrap
them in `OnFixedBoxes` (below), which pools its input at fixed boxes (inside the map, partly outside, tiny, and a
zero padding box) repeated for every image: the contract then checks the layer as used (`.keras` round trip,
fit, mixed precision with float32 boxes, float64 gradients w.r.t. the features). The wrapper has no
`data_format` of its own, so channels_first is checked in tests/test_detection_roi.py.
"""

import keras
import numpy as np
from keras import ops

from keras_dlx import layers
from tests.cases_core import _Adaptor
from tests.contract_case import case

BOXES = np.array([[1.0, 2.0, 9.5, 7.0], [-3.0, -2.0, 4.0, 12.0], [5.2, 3.3, 5.6, 3.9], [0.0, 0.0, 0.0, 0.0]],
                 "float32")


@keras.saving.register_keras_serializable(package="keras_dlx_tests")
class OnFixedBoxes(_Adaptor):
    """`features` -> `layer([features, BOXES for every image])`."""

    def inner_shape(self, input_shape):
        return [tuple(input_shape), (input_shape[0], len(BOXES), 4)]

    def call(self, inputs):
        boxes = ops.broadcast_to(ops.convert_to_tensor(BOXES), (ops.shape(inputs)[0], len(BOXES), 4))
        return self.layer([inputs, boxes])


CASES = [
    case(OnFixedBoxes, lambda: dict(layer=layers.ROIAlign2D((2, 3))), (2, 8, 10, 3), "roi-align"),
    case(OnFixedBoxes, lambda: dict(layer=layers.ROIAlign2D(2, spatial_scale=0.5, sampling_ratio=2, aligned=True)),
         (2, 6, 7, 2), "roi-align-aligned-sampling2"),
    case(OnFixedBoxes, lambda: dict(layer=layers.ROIPooling2D((3, 2))), (2, 8, 10, 3), "roi-pooling"),
    case(layers.SpatialPyramidPooling2D, dict(bins=[1, 2, 3]), (2, 7, 8, 3), "spatial-pyramid-pooling"),
    case(layers.SpatialPyramidPooling2D, dict(bins=[[1, 2], [2, 3]], pooling="max"), (2, 6, 7, 2),
         "spatial-pyramid-pooling-max"),
]
