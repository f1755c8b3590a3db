"""Anchor boxes at every position of one or several feature maps (Faster R-CNN's sizes x aspect ratios)."""

import math
import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

__all__ = ["AnchorGenerator"]


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _levels(name, value, allowed):
    """A flat list of positive numbers (one level) or a list of such lists (one per level), as lists."""
    if isinstance(value, (tuple, list)) and value and all(_is_number(v) and v > 0 for v in value):
        return [[float(v) for v in value]]
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(level, (tuple, list)) and level and all(_is_number(v) and v > 0 for v in level)
            for level in value):
        return [[float(v) for v in level] for level in value]
    args.invalid(name, value, allowed)


@register
class AnchorGenerator(keras.layers.Layer):
    """Anchor boxes of several sizes and aspect ratios centred at every position of one or several feature maps.

    Faster R-CNN's region proposal network scores `k` anchors per position of a stride-16 feature map: 3 sizes
    (128, 256, 512 pixels) x 3 aspect ratios (0.5, 1, 2) = 9. An anchor of size `s` and aspect ratio `r`
    (height / width, as torchvision) has width `s / sqrt(r)` and height `s * sqrt(r)` (area `s^2`), centred at
    `((j + offset) * stride, (i + offset) * stride)` for the position in row `i`, column `j`.

    The default `offset=0.5` puts anchors at the centres of the cells that tile the image (cell `j` covers pixels
    `[j * stride, (j + 1) * stride)`), symmetric about the image centre, as SSD's default boxes and Keras-hub's
    anchors; torchvision's `AnchorGenerator` (and Detectron's) uses the cell corners, `offset=0.0`. Another
    difference from torchvision: no rounding of the anchor corners to integers.

    Order of the `(num_anchors, 4)` output: level by level; within a level position-major (row `i`, then column
    `j`), then the anchors of one position ratio-major (`aspect_ratios[0]` with each size, then
    `aspect_ratios[1]`, ...), as torchvision, so the anchors of a position are a contiguous block of
    `len(sizes) * len(aspect_ratios)` rows, matching a head whose `k * 4` channels are reshaped to `(h * w * k, 4)`.

    The layer is called on the input image, and then each level's map size is `ceil(image_size / stride)` (the size
    of a "same"-padded stride-`stride` feature map), or on the list of feature maps (one per level), whose spatial
    sizes are used as they are. Only shapes are read, never values: the anchors are a constant of the input shape.
    `anchors_for_shape(input_shape)` gives them without an input (float32): use it for a detector's constant
    anchors; the output has no batch axis, so `model.predict` over several batches would concatenate copies.
    Under a mixed-precision policy the layer's output is float16 (coarse for pixel coordinates beyond ~1,000).

    Args:
        sizes: anchor sizes in pixels (square root of the area): a list for one level, or a list of lists, one per
            level. Defaults to (128, 256, 512).
        aspect_ratios: height / width ratios: a list shared by every level, or one list per level. Defaults to
            (0.5, 1.0, 2.0).
        strides: the stride in pixels of each level's feature map: an integer for one level, or one per level.
            Defaults to 16.
        offset: position of the anchor centre within its cell, in [0, 1]. Defaults to 0.5 (the cell centre).
        data_format: `"channels_last"` or `"channels_first"` of the input(s). Defaults to
            `keras.config.image_data_format()`.

    Input shape:
        The image, 4D `(batch, height, width, channels)` (channels_last), or a list of 4D feature maps, one per
        level.

    Output shape:
        `(num_anchors, 4)`, xyxy pixels, in the layer's compute dtype, with
        `num_anchors = sum over levels of h_l * w_l * len(sizes_l) * len(aspect_ratios_l)`.

    Example:

    >>> generator = keras_dlx.layers.AnchorGenerator(sizes=(32, 64, 128), strides=16)
    >>> anchors = generator(np.zeros((1, 96, 96, 3)))
    >>> tuple(anchors.shape)
    (324, 4)
    >>> np.round(keras.ops.convert_to_numpy(anchors[4]), 4)
    array([-24.,  -24.,  40.,  40.], dtype=float32)

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
    """

    def __init__(self, sizes=(128, 256, 512), aspect_ratios=(0.5, 1.0, 2.0), strides=16, offset=0.5,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.sizes = _levels("sizes", sizes, "a list of positive sizes, or one such list per level")
        levels = len(self.sizes)
        self.aspect_ratios = _levels("aspect_ratios", aspect_ratios,
                                     "a list of positive ratios, or one such list per level")
        if len(self.aspect_ratios) == 1:
            self.aspect_ratios = self.aspect_ratios * levels
        elif len(self.aspect_ratios) != levels:
            args.invalid("aspect_ratios", aspect_ratios, f"one list shared by all levels or one per level "
                                                         f"({levels})")
        if isinstance(strides, numbers.Integral) and not isinstance(strides, bool) and strides > 0 and levels == 1:
            strides = [strides]
        if (not isinstance(strides, (tuple, list)) or len(strides) != levels or not all(
                isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in strides)):
            args.invalid("strides", strides, f"one positive integer per level ({levels})")
        self.strides = [int(s) for s in strides]
        self.offset = args.unit_interval("offset", offset, closed_right=True)
        self.data_format = args.data_format(data_format)

    @property
    def anchors_per_position(self):
        """Anchors per feature-map position of each level: `len(sizes) * len(aspect_ratios)`."""
        return [len(s) * len(r) for s, r in zip(self.sizes, self.aspect_ratios)]

    def _spatial(self, shape):
        return (shape[1], shape[2]) if self.data_format == "channels_last" else (shape[2], shape[3])

    def _map_sizes(self, input_shape):
        """(height, width) of each level's map, None where unknown."""
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            return [self._spatial(shape) for shape in input_shape]
        height, width = self._spatial(input_shape)
        return [(None if height is None else -(-height // s), None if width is None else -(-width // s))
                for s in self.strides]

    def build(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            if len(input_shape) != len(self.strides):
                raise ValueError(f"Invalid input for layer '{self.name}': expected one feature map per level "
                                 f"({len(self.strides)}). Received: input_shape={input_shape}")
            for shape in input_shape:
                args.input_rank(self, shape, 4, "(batch, height, width, channels)")
        else:
            args.input_rank(self, input_shape, 4, "(batch, height, width, channels)")

    def _base_anchors(self, level):
        """(k, 4) anchors centred at the origin, ratio-major."""
        shapes = []
        for ratio in self.aspect_ratios[level]:
            for size in self.sizes[level]:
                width, height = size / math.sqrt(ratio), size * math.sqrt(ratio)
                shapes.append([-width / 2, -height / 2, width / 2, height / 2])
        return ops.convert_to_tensor(shapes, "float32")

    def call(self, inputs):
        if isinstance(inputs, (list, tuple)):
            sizes = [self._spatial(ops.shape(x)) for x in inputs]
        else:
            height, width = self._spatial(ops.shape(inputs))
            sizes = [((height + s - 1) // s, (width + s - 1) // s) for s in self.strides]
        return ops.cast(self._anchors(sizes), self.compute_dtype)

    def anchors_for_shape(self, input_shape):
        """The anchors for an input of this shape, float32, without calling the layer (e.g. for `model.anchors`).

        Args:
            input_shape: the image's full shape, e.g. `(None, 96, 96, 3)`, or a list of the feature maps' shapes.

        Returns:
            Tensor `(num_anchors, 4)`, float32, the same values `call` gives.
        """
        sizes = self._map_sizes(input_shape)
        if any(size is None for hw in sizes for size in hw):
            raise ValueError(f"Invalid input shape for layer '{self.name}': the spatial size must be known. "
                             f"Received: input_shape={input_shape}")
        return self._anchors(sizes)

    def _anchors(self, sizes):
        levels = []
        for level, ((height, width), stride) in enumerate(zip(sizes, self.strides)):
            ys = (ops.cast(ops.arange(height), "float32") + self.offset) * stride
            xs = (ops.cast(ops.arange(width), "float32") + self.offset) * stride
            cy, cx = ops.meshgrid(ys, xs, indexing="ij")
            centres = ops.reshape(ops.stack([cx, cy, cx, cy], axis=-1), (-1, 1, 4))
            anchors = centres + self._base_anchors(level)[None]
            levels.append(ops.reshape(anchors, (-1, 4)))
        return levels[0] if len(levels) == 1 else ops.concatenate(levels, axis=0)

    def compute_output_shape(self, input_shape):
        total = 0
        for (height, width), k in zip(self._map_sizes(input_shape), self.anchors_per_position):
            if height is None or width is None:
                return (None, 4)
            total += height * width * k
        return (total, 4)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("sizes", "aspect_ratios", "strides", "offset", "data_format")))
        return config
