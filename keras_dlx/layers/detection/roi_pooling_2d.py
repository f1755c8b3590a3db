"""RoI max pooling as a layer (Fast R-CNN): `[features, boxes]` -> one fixed-size grid of maxima per box."""

import keras
from keras import ops

from keras_dlx.layers.detection.roi_align_2d import check_roi_inputs, roi_output_shape
from keras_dlx.ops.roi import roi_arguments, roi_pool
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class ROIPooling2D(keras.layers.Layer):
    """RoI max pooling (Girshick 2015): the maximum of each bin of each box, as `torchvision.ops.RoIPool`.

    Wraps `keras_dlx.ops.roi_pool`: each box is scaled by `spatial_scale` and rounded to whole feature-map
    pixels, split into `output_size` bins of whole pixels (`floor(i * h / out_h) .. ceil((i + 1) * h / out_h)`,
    clipped to the map) and each bin is max-pooled; a bin outside the map gives 0. The gradient flows to each
    bin's maximum.

    Args:
        output_size: int or tuple of 2 ints `(out_h, out_w)`, the bins per box.
        spatial_scale: positive float, feature-map pixels per input-image pixel (1/16 at stride 16). Defaults
            to 1.
        data_format: "channels_last" or "channels_first"; defaults to `keras.config.image_data_format()`.

    Input shape:
        A list `[features, boxes]`: features `(batch, height, width, channels)` (channels_last) or `(batch,
        channels, height, width)`, height and width known, and boxes `(batch, num_boxes, 4)`, xyxy in
        input-image pixels (kept in float32 under mixed precision).

    Output shape:
        `(batch, num_boxes, out_h, out_w, channels)` (channels_last) or `(batch, num_boxes, channels, out_h,
        out_w)` (channels_first).

    Example:

    >>> features = keras.random.normal((2, 16, 16, 8))
    >>> boxes = np.array([[[0, 0, 64, 64], [32, 16, 200, 120]]] * 2, "float32")
    >>> layer = keras_dlx.layers.ROIPooling2D(7, spatial_scale=1 / 16)
    >>> tuple(layer([features, boxes]).shape)
    (2, 2, 7, 7, 8)

    Reference:
        - [Girshick 2015, Fast R-CNN](https://arxiv.org/abs/1504.08083)
    """

    def __init__(self, output_size, spatial_scale=1.0, data_format=None, **kwargs):
        # Boxes are pixel coordinates: a float16 policy must not round them (the features are cast in `call`).
        super().__init__(autocast=False, **kwargs)
        self.output_size, self.spatial_scale = roi_arguments(output_size, spatial_scale)
        self.data_format = args.data_format(data_format)

    def build(self, input_shape):
        features, _ = check_roi_inputs(self, input_shape)
        spatial = features[1:3] if self.data_format == "channels_last" else features[2:4]
        if any(size is None for size in spatial):
            raise ValueError(f"Invalid input for layer '{self.name}': the feature map's height and width must be "
                             f"known. Received: input_shape={input_shape}")

    def call(self, inputs):
        features, boxes = inputs
        return roi_pool(ops.cast(features, self.compute_dtype), boxes, self.output_size, self.spatial_scale,
                        self.data_format)

    def compute_output_shape(self, input_shape):
        return roi_output_shape(*check_roi_inputs(self, input_shape), self.output_size, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("output_size", "spatial_scale", "data_format")))
        return config


__all__ = ["ROIPooling2D"]
