"""Spatial pyramid pooling (SPPNet): a fixed number of pooled bins for an image of any size."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def _bins(value):
    allowed = "a non-empty list of positive integers or of (rows, cols) pairs of positive integers"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        args.invalid("bins", value, allowed)
    bins = []
    for item in value:
        pair = (item, item) if isinstance(item, numbers.Integral) else item
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in pair) \
                or isinstance(item, bool):
            args.invalid("bins", value, allowed)
        bins.append((int(pair[0]), int(pair[1])))
    if not bins:
        args.invalid("bins", value, allowed)
    return bins


@register
class SpatialPyramidPooling2D(keras.layers.Layer):
    """Spatial pyramid pooling (He et al. 2014): pool a feature map of any size into a fixed set of bins.

    For each pyramid level `(rows, cols)` in `bins`, the map is split into a `rows x cols` grid of equal cells
    and each cell is pooled; the levels' cells are concatenated, `num_bins = sum(rows * cols)` per channel,
    whatever the input's height and width. As TensorFlow Addons 0.23's `SpatialPyramidPooling2D`: a level first
    crops the map to `height - height % rows` rows and `width - width % cols` columns (the last rows and columns
    are dropped, so every cell has the same size), the cells are averaged, and the output keeps bins and
    channels apart, `(batch, num_bins, channels)`: follow it with `Flatten` for SPPNet's fixed-length vector.
    `pooling="max"` pools each cell with its maximum, as the SPPNet paper does (Addons has average only).

    Args:
        bins: list of ints or of `(rows, cols)` pairs, the pyramid levels, e.g. `[1, 2, 4]` (1 + 4 + 16 bins).
        data_format: "channels_last" or "channels_first"; defaults to `keras.config.image_data_format()`.
        pooling: "average" (Addons) or "max" (the paper). Defaults to "average".

    Input shape:
        `(batch, height, width, channels)` (channels_last) or `(batch, channels, height, width)`; height and
        width at least the largest level's rows and cols.

    Output shape:
        `(batch, num_bins, channels)` (channels_last) or `(batch, channels, num_bins)` (channels_first), bins in
        level order, each level's cells row by row.

    Example:

    >>> spp = keras_dlx.layers.SpatialPyramidPooling2D([1, 2, 4])
    >>> tuple(spp(keras.random.normal((2, 13, 17, 8))).shape)
    (2, 21, 8)
    >>> tuple(spp(keras.random.normal((2, 32, 32, 8))).shape)
    (2, 21, 8)

    Reference:
        - [He et al. 2014, Spatial Pyramid Pooling in Deep Convolutional Networks for Visual
          Recognition](https://arxiv.org/abs/1406.4729)
    """

    def __init__(self, bins, data_format=None, pooling="average", **kwargs):
        super().__init__(**kwargs)
        self.bins = _bins(bins)
        self.data_format = args.data_format(data_format)
        self.pooling = args.one_of("pooling", pooling, ("average", "max"))

    def _spatial(self, input_shape):
        return tuple(input_shape[1:3]) if self.data_format == "channels_last" else tuple(input_shape[2:4])

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, "(batch, height, width, channels) or, for channels_first, "
                                              "(batch, channels, height, width)")
        channel_axis = args.channel_axis(self.data_format)
        if input_shape[channel_axis] is None:
            raise ValueError(f"Invalid input for layer '{self.name}': the channels must be known. "
                             f"Received: input_shape={tuple(input_shape)}")
        for axis, size in enumerate(self._spatial(input_shape)):
            largest = max(level[axis] for level in self.bins)
            if size is not None and size < largest:
                raise ValueError(f"Invalid input for layer '{self.name}': a {('height', 'width')[axis]} of {size} "
                                 f"cannot be split into {largest} bins (bins={self.bins}). "
                                 f"Received: input_shape={tuple(input_shape)}")
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={channel_axis: input_shape[channel_axis]})

    def call(self, inputs):
        x = inputs if self.data_format == "channels_last" else ops.transpose(inputs, (0, 2, 3, 1))
        _, height, width, channels = ops.shape(x)
        reduce = ops.mean if self.pooling == "average" else ops.max
        levels = []
        for rows, cols in self.bins:
            cell_h, cell_w = height // rows, width // cols
            cropped = x[:, : cell_h * rows, : cell_w * cols, :]
            cells = ops.reshape(cropped, (-1, rows, cell_h, cols, cell_w, channels))
            levels.append(ops.reshape(reduce(cells, axis=(2, 4)), (-1, rows * cols, channels)))
        pooled = ops.concatenate(levels, axis=1)
        return pooled if self.data_format == "channels_last" else ops.transpose(pooled, (0, 2, 1))

    def compute_output_shape(self, input_shape):
        num_bins = sum(rows * cols for rows, cols in self.bins)
        if self.data_format == "channels_last":
            return (input_shape[0], num_bins, input_shape[3])
        return (input_shape[0], input_shape[1], num_bins)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("bins", "data_format", "pooling")))
        return config


__all__ = ["SpatialPyramidPooling2D"]
