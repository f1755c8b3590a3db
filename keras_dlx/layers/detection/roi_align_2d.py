"""RoI align as a layer (Mask R-CNN): `[features, boxes]` -> one fixed-size grid of features per box."""

import keras
from keras import ops

from keras_dlx.ops.roi import roi_align, roi_arguments, sampling_ratio_argument
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def check_roi_inputs(layer, input_shape):
    """`[features, boxes]` shapes: a 4D feature map and `(batch, num_boxes, 4)` boxes."""
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 \
            or not all(isinstance(s, (list, tuple)) for s in input_shape):
        raise ValueError(f"Invalid input for layer '{layer.name}': expected a list [features, boxes]. "
                         f"Received: input_shape={input_shape}")
    features, boxes = (tuple(s) for s in input_shape)
    args.input_rank(layer, features, 4, "(batch, height, width, channels) or, for channels_first, "
                                        "(batch, channels, height, width)")
    if len(boxes) != 3 or boxes[-1] != 4:
        raise ValueError(f"Invalid input for layer '{layer.name}': expected boxes of shape (batch, num_boxes, 4). "
                         f"Received: boxes shape {boxes}")
    return features, boxes


def roi_output_shape(features, boxes, output_size, data_format):
    if data_format == "channels_first":
        return (features[0], boxes[1], features[1], *output_size)
    return (features[0], boxes[1], *output_size, features[3])


@register
class ROIAlign2D(keras.layers.Layer):
    """RoI align (He et al. 2017): bilinear features of each box on a fixed grid, as `torchvision.ops.RoIAlign`.

    Wraps `keras_dlx.ops.roi_align`: each box, scaled by `spatial_scale` to the feature map, is divided into
    `output_size` bins (no rounding) and each bin averages bilinear samples at regularly spaced points
    (`sampling_ratio` per axis, or `ceil(box size / output_size)` when `<= 0`). Samples outside the map
    contribute 0. The gradient flows to the features (the boxes get none).

    Args:
        output_size: int or tuple of 2 ints `(out_h, out_w)`, the bins per box.
        spatial_scale: positive float, feature-map pixels per input-image pixel (1/16 at stride 16). Defaults
            to 1.
        sampling_ratio: int, bilinear samples per bin along each axis, `<= 0` for adaptive. Defaults to -1.
        aligned: bool, shift the scaled boxes by -0.5 pixel (pixel-centre alignment). Defaults to False.
        data_format: "channels_last" or "channels_first"; defaults to `keras.config.image_data_format()`.

    Input shape:
        A list `[features, boxes]`: features `(batch, height, width, channels)` (channels_last) or `(batch,
        channels, height, width)`, and boxes `(batch, num_boxes, 4)`, xyxy in input-image pixels (kept in
        float32 under mixed precision).

    Output shape:
        `(batch, num_boxes, out_h, out_w, channels)` (channels_last) or `(batch, num_boxes, channels, out_h,
        out_w)` (channels_first).

    Example:

    >>> features = keras.random.normal((2, 16, 16, 8))
    >>> boxes = np.array([[[0, 0, 64, 64], [32, 16, 200, 120]]] * 2, "float32")
    >>> layer = keras_dlx.layers.ROIAlign2D(7, spatial_scale=1 / 16)
    >>> tuple(layer([features, boxes]).shape)
    (2, 2, 7, 7, 8)

    Reference:
        - [He et al. 2017, Mask R-CNN](https://arxiv.org/abs/1703.06870)
    """

    def __init__(self, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False, data_format=None,
                 **kwargs):
        # Boxes are pixel coordinates: a float16 policy must not round them (the features are cast in `call`).
        super().__init__(autocast=False, **kwargs)
        self.output_size, self.spatial_scale = roi_arguments(output_size, spatial_scale)
        self.sampling_ratio = sampling_ratio_argument(sampling_ratio)
        self.aligned = args.boolean("aligned", aligned)
        self.data_format = args.data_format(data_format)

    def build(self, input_shape):
        check_roi_inputs(self, input_shape)

    def call(self, inputs):
        features, boxes = inputs
        return roi_align(ops.cast(features, self.compute_dtype), boxes, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned, self.data_format)

    def compute_output_shape(self, input_shape):
        return roi_output_shape(*check_roi_inputs(self, input_shape), self.output_size, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("output_size", "spatial_scale", "sampling_ratio", "aligned",
                                              "data_format")))
        return config


__all__ = ["ROIAlign2D"]
