"""Region-of-interest pooling: RoI align (Mask R-CNN) and RoI pooling (Fast R-CNN), as torchvision.ops.

Both take a feature map and a padded per-image tensor of boxes `(batch, num_boxes, 4)` in xyxy input-image pixels
and return one `output_size` grid of features per box. Backend-neutral (`keras.ops`), usable under `jit`; roi_align
takes TensorFlow's fused crop_and_resize where it can (`_crop_and_resize_available`), as `nms` takes TensorFlow's
NMS kernel.
"""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.utils import arguments as args

__all__ = ["roi_align", "roi_pool"]

# For an adaptive sampling ratio, the samples of one bin along one axis are spaced more than half a pixel apart
# (see `_axis_weights`), so at most 4 of them fall within the 2-pixel support of one row's bilinear weight; the
# window enumerates 6 candidate samples per (bin, row) to stay exact despite rounding of the first index.
_WINDOW = 6


def roi_arguments(output_size, spatial_scale):
    """Validated `(output_size, spatial_scale)` of the RoI ops and layers (not exported)."""
    output_size = args.int_tuple("output_size", output_size, 2)
    if not isinstance(spatial_scale, numbers.Real) or isinstance(spatial_scale, bool) \
            or not math.isfinite(spatial_scale) or spatial_scale <= 0:
        args.invalid("spatial_scale", spatial_scale, "a positive finite number")
    return output_size, float(spatial_scale)


def sampling_ratio_argument(value):
    """A validated `sampling_ratio` of roi_align (not exported)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        args.invalid("sampling_ratio", value, "an integer (<= 0 for an adaptive ratio)")
    return int(value)


def _inputs(features, boxes, data_format):
    """Validated channels_last features and float boxes, in a float compute dtype (float32 or float64)."""
    data_format = args.data_format(data_format)
    # Plain ValueErrors (not args.invalid): Keras re-raises an error from inside a layer's call with its message
    # as the only argument.
    features = ops.convert_to_tensor(features)
    if len(features.shape) != 4:
        raise ValueError("Invalid `features`: expected a 4D tensor (batch, height, width, channels) or, for "
                         f"channels_first, (batch, channels, height, width). Received: features.shape="
                         f"{tuple(features.shape)}")
    boxes = ops.convert_to_tensor(boxes)
    if len(boxes.shape) != 3 or boxes.shape[-1] != 4:
        raise ValueError("Invalid `boxes`: expected a 3D tensor (batch, num_boxes, 4) of xyxy boxes. "
                         f"Received: boxes.shape={tuple(boxes.shape)}")
    if features.shape[0] is not None and boxes.shape[0] is not None and features.shape[0] != boxes.shape[0]:
        raise ValueError(f"Invalid `boxes`: expected one row of boxes per image of `features` (batch "
                         f"{features.shape[0]}). Received: boxes.shape={tuple(boxes.shape)}")
    if data_format == "channels_first":
        features = ops.transpose(features, (0, 2, 3, 1))
    dtype = keras.backend.standardize_dtype(features.dtype)
    compute = "float64" if dtype == "float64" else "float32"
    # No gradient w.r.t. the boxes, as torchvision: the box coordinates choose where to sample.
    boxes = ops.stop_gradient(ops.cast(boxes, compute))
    return features, boxes, data_format, dtype, compute


def _output(pooled, data_format, dtype):
    pooled = ops.cast(pooled, dtype)
    if data_format == "channels_first":
        pooled = ops.transpose(pooled, (0, 1, 4, 2, 3))
    return pooled


def _axis_weights(start, roi_size, pooled, grid, length, sampling_ratio, dtype):
    """The averaged bilinear weights of each bin on each row (or column) of the map, `(batch, boxes, pooled,
    length)`: the sum over the bin's samples `y_k = start + p * bin + (k + 0.5) * bin / grid` of
    `max(0, 1 - |clip(y_k, 0, length - 1) - r|)` for the samples with `-1 <= y_k <= length`, divided by the
    number of samples.

    A fixed `sampling_ratio` enumerates its samples. An adaptive one (`grid = ceil(bin)`) enumerates, for each
    row `r`, the `_WINDOW` samples from the one just below the first in `[r - 1, r + 1]`: when `grid >= 2` the
    samples are `bin / ceil(bin) > 0.5` apart, so at most 4 fall in that interval (with `grid = 1` there is one).
    """
    bin_size = roi_size / pooled
    start, bin_size, grid = start[..., None, None, None], bin_size[..., None, None, None], grid[..., None, None, None]
    p = ops.cast(ops.arange(pooled), dtype)[:, None, None]
    rows = ops.cast(ops.arange(length), dtype)[:, None]
    bin_start = start + p * bin_size
    if sampling_ratio > 0:
        k = ops.cast(ops.arange(sampling_ratio), dtype)
    else:
        spacing = ops.where(grid > 0, bin_size / ops.maximum(grid, 1), 1)
        spacing = ops.where(spacing > 0, spacing, 1)
        first = ops.ceil((rows - 1 - bin_start) / spacing - 0.5) - 1
        first = ops.minimum(ops.maximum(first, -1.0), ops.maximum(grid, 0.0))  # far rows: masked anyway
        k = first + ops.cast(ops.arange(_WINDOW), dtype)
    # As torchvision computes it: start + p * bin + (k + .5) * bin / grid.
    y = bin_start + (k + 0.5) * bin_size / ops.maximum(grid, 1)
    extent = ops.cast(length, dtype)  # a tensor when the map's size is only known when run
    valid = (k >= 0) & (k < grid) & (y >= -1) & (y <= extent)
    hat = ops.maximum(1 - ops.abs(ops.minimum(ops.maximum(y, 0), extent - 1) - rows), 0)
    weights = ops.sum(ops.where(valid, hat, 0), axis=-1)
    return weights / ops.maximum(grid[..., 0], 1)


def _ceil_divide(x, n):
    """ceil(x / n), exact where x / n is a whole number (XLA's CPU division can land 1 ulp above it)."""
    q = ops.ceil(x / n)
    q = ops.where((q - 1) * n >= x, q - 1, q)
    return ops.where(q * n < x, q + 1, q)


def _crop_and_resize_available():
    """Whether TensorFlow's fused `crop_and_resize` kernel may run here: the TensorFlow backend, eagerly or in a
    `tf.function`, but not where XLA compiles the graph (`jit_compile=True`: XLA has no CropAndResize).

    `tf.__internal__.get_enclosing_xla_context` is the function TensorFlow exports (for Keras) that finds the XLA
    context a `tf.function(jit_compile=True)` enters while tracing, through nested functions; where a TensorFlow
    version lacks it, only eager calls take the fast path.
    """
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    if tf.executing_eagerly():
        return True
    enclosing_xla_context = getattr(getattr(tf, "__internal__", None), "get_enclosing_xla_context", None)
    return enclosing_xla_context is not None and enclosing_xla_context() is None


def _tensorflow_roi_align(values, x1, y1, roi_w, roi_h, out_h, out_w, sampling_ratio):
    """roi_align with a fixed `sampling_ratio` from TensorFlow's fused kernels: channels_last float32 `values`,
    `(batch, boxes)` scaled box corners and sizes (torchvision's, after the aligned shift and clamping).

    With a fixed ratio `s`, a box's samples form one regular grid of `(out_h * s, out_w * s)` points spaced
    `roi / (out * s)` apart from `start + roi / (2 * out * s)`: what `crop_and_resize` samples between the first
    and the last point. Padding the map with a copy of its border rows and columns turns crop_and_resize's rule
    (0 outside `[0, size - 1]` of the padded map, i.e. `[-1, size]` of the map) into torchvision's (0 outside
    `[-1, size]`, the border value within one pixel of the map). An `s x s` average pool then averages each bin.
    """
    import tensorflow as tf

    # Static sizes where known: fewer graph ops, and the box arithmetic folds to constants for constant boxes.
    batch, height, width, channels = (size if size is not None else tf.shape(values)[axis]
                                      for axis, size in enumerate(values.shape))
    padded = tf.pad(values, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    crop_h, crop_w = out_h * sampling_ratio, out_w * sampling_ratio
    step_y, step_x = roi_h / crop_h, roi_w / crop_w
    # Normalised coordinates of the padded map: sample i of a box sits at y1 + 1 + (i + 0.5) * step there.
    span_y, span_x = (tf.cast(size + 1, values.dtype) for size in (height, width))
    first_y, first_x = y1 + (1 + 0.5 * step_y), x1 + (1 + 0.5 * step_x)
    crop_boxes = tf.stack([first_y / span_y, first_x / span_x, (first_y + (crop_h - 1) * step_y) / span_y,
                           (first_x + (crop_w - 1) * step_x) / span_x], axis=-1)
    num_boxes = x1.shape[1] if x1.shape[1] is not None else tf.shape(x1)[1]
    crops = tf.image.crop_and_resize(padded, tf.reshape(crop_boxes, (-1, 4)),
                                     tf.repeat(tf.range(batch), num_boxes), (crop_h, crop_w))
    if sampling_ratio > 1:
        crops = tf.nn.avg_pool2d(crops, sampling_ratio, sampling_ratio, "VALID")
    return tf.reshape(crops, (batch, num_boxes, out_h, out_w, channels))


def roi_align(features, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False, data_format=None):
    """RoI align (He et al. 2017, Mask R-CNN), with the semantics of `torchvision.ops.roi_align`.

    Each box, scaled by `spatial_scale` to feature-map coordinates (minus 0.5 with `aligned=True`, so that pixel
    centres sit at integer + 0.5), is divided into `output_size` bins without rounding; each bin averages
    `sampling_ratio x sampling_ratio` bilinear samples at regularly spaced points (with `sampling_ratio <= 0`,
    `ceil(roi_size / output_size)` per axis, for each box). A sample outside `[-1, size]` on either axis
    contributes 0 and one in `[-1, 0)` reads the border; with `aligned=False` a box is at least 1 pixel wide.

    Bilinear sampling is separable, and so is the average over a bin's grid of samples: the result for one box
    is `A_y . F . A_x^T`, where `A_y (out_h, height)` holds each bin's averaged interpolation weights on each map
    row (and `A_x` on each column). The op computes these small matrices for every box (exactly, including an
    adaptive sampling ratio that depends on the box: per row, a fixed window of candidate samples, see
    `_axis_weights`) and applies them with two batched matrix products, so there is no per-box loop and the
    work does not depend on the boxes' sizes. The gradient reaches the features through the bilinear weights;
    the boxes get none (as torchvision). On the TensorFlow backend a fixed `sampling_ratio > 0` with float32 (or
    mixed-precision) features runs TensorFlow's fused `crop_and_resize` instead (same values to float32
    rounding), eagerly and in a `tf.function`, but not under `jit_compile=True`, which XLA cannot compile; the
    adaptive ratio, float64 and XLA keep the matrix products.

    Args:
        features: 4D tensor `(batch, height, width, channels)` (channels_last) or `(batch, channels, height,
            width)` (channels_first).
        boxes: `(batch, num_boxes, 4)` boxes `(x1, y1, x2, y2)` per image in input-image pixels (a padded
            tensor: padding boxes give values that the caller ignores).
        output_size: int or tuple of 2 ints `(out_h, out_w)`, the bins per box.
        spatial_scale: positive float, feature-map pixels per input-image pixel (e.g. 1/16 at stride 16).
            Defaults to 1.
        sampling_ratio: int, samples per bin along each axis; `<= 0` chooses `ceil(roi_size / output_size)`
            per box. Defaults to -1.
        aligned: bool, shift the scaled boxes by -0.5 pixel (Detectron2's and torchvision's `aligned=True`).
            Defaults to False (the original Mask R-CNN).
        data_format: "channels_last" or "channels_first"; defaults to `keras.config.image_data_format()`.

    Returns:
        `(batch, num_boxes, out_h, out_w, channels)` (channels_last) or `(batch, num_boxes, channels, out_h,
        out_w)` (channels_first), the features' dtype.

    Example:

    >>> features = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> boxes = np.array([[[0.0, 0.0, 2.0, 2.0]]], "float32")
    >>> pooled = keras_dlx.ops.roi_align(features, boxes, 2, aligned=True)
    >>> tuple(pooled.shape)
    (1, 1, 2, 2, 1)
    >>> np.round(keras.ops.convert_to_numpy(pooled)[0, 0, :, :, 0], 4).tolist()
    [[0.0, 1.0], [4.0, 5.0]]

    Reference:
        - [He et al. 2017, Mask R-CNN](https://arxiv.org/abs/1703.06870)
    """
    (out_h, out_w), spatial_scale = roi_arguments(output_size, spatial_scale)
    sampling_ratio = sampling_ratio_argument(sampling_ratio)
    aligned = args.boolean("aligned", aligned)
    features, boxes, data_format, dtype, compute = _inputs(features, boxes, data_format)
    batch, height, width, channels = ops.shape(features)
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (boxes[..., i] * spatial_scale - offset for i in range(4))
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = ops.maximum(roi_w, 1), ops.maximum(roi_h, 1)
    if sampling_ratio > 0 and compute == "float32" and _crop_and_resize_available():
        pooled = _tensorflow_roi_align(ops.cast(features, compute), x1, y1, roi_w, roi_h, out_h, out_w,
                                       sampling_ratio)
        return _output(pooled, data_format, dtype)
    if sampling_ratio > 0:
        grid_h = grid_w = ops.full(ops.shape(roi_h), float(sampling_ratio), dtype=compute)
    else:
        grid_h, grid_w = _ceil_divide(roi_h, out_h), _ceil_divide(roi_w, out_w)
    weights_y = _axis_weights(y1, roi_h, out_h, grid_h, height, sampling_ratio, compute)  # (b, n, out_h, H)
    weights_x = _axis_weights(x1, roi_w, out_w, grid_w, width, sampling_ratio, compute)  # (b, n, out_w, W)
    num_boxes = ops.shape(boxes)[1]
    values = ops.cast(features, compute)
    # Rows first, one product per image for all its boxes: (b, n * out_h, H) . (b, H, W * C).
    rows = ops.matmul(ops.reshape(weights_y, (batch, num_boxes * out_h, height)),
                      ops.reshape(values, (batch, height, width * channels)))
    rows = ops.reshape(rows, (batch * num_boxes, out_h, width, channels))
    # Then columns, per box: (b * n, 1, out_w, W) . (b * n, out_h, W, C).
    pooled = ops.matmul(ops.reshape(weights_x, (batch * num_boxes, 1, out_w, width)), rows)
    pooled = ops.reshape(pooled, (batch, num_boxes, out_h, out_w, channels))
    return _output(pooled, data_format, dtype)


def _round_half_away(x):
    """C's `round`: halves away from zero (keras.ops.round rounds halves to even)."""
    return ops.sign(x) * ops.floor(ops.abs(x) + 0.5)


def _levels(size):
    return int(math.floor(math.log2(size))) + 1


def _shifted_max(table, axis, shift):
    """max(table[i], table[i + shift]) along `axis`; positions past the end keep their own value."""
    size = table.shape[axis]
    if shift >= size:
        return table
    index = [slice(None)] * len(table.shape)
    index[axis] = slice(shift, None)
    ahead = table[tuple(index)]
    index[axis] = slice(size - shift, None)
    ahead = ops.concatenate([ahead, table[tuple(index)]], axis=axis)
    return ops.maximum(table, ahead)


def _bin_edges(start, roi_size, pooled, length):
    """Fast R-CNN's integer bin ranges [lo, hi) along one axis, clipped to the map: `(batch, boxes, pooled)`.

    `floor(p * size / pooled)` and `ceil((p + 1) * size / pooled)` in integers, exactly (torchvision computes
    them in floating point, which agrees for the sizes of feature maps).
    """
    size, start = ops.cast(roi_size, "int32")[..., None], ops.cast(start, "int32")[..., None]
    p = ops.arange(pooled, dtype="int32")
    lo = ops.floor_divide(p * size, pooled) + start
    hi = -ops.floor_divide(-(p + 1) * size, pooled) + start
    return ops.clip(lo, 0, length), ops.clip(hi, 0, length)


def roi_pool(features, boxes, output_size, spatial_scale=1.0, data_format=None):
    """RoI max pooling (Girshick 2015, Fast R-CNN), with the semantics of `torchvision.ops.roi_pool`.

    Each box is scaled by `spatial_scale` and each coordinate rounded to an integer (halves away from zero); the
    box is `max(x2 - x1 + 1, 1)` pixels wide (and likewise high), and bin `(i, j)` covers rows
    `floor(i * h / out_h) .. ceil((i + 1) * h / out_h)` (and columns likewise) from the box's corner, clipped to
    the map. The output is the maximum over the bin, 0 for an empty bin, and the gradient flows to the maximum.

    Every bin is a rectangle of the map, so the op precomputes a 2D sparse table of the map (the maximum over
    every `2^a x 2^b` window, `log2(height) x log2(width)` copies of the map) and reads each bin as the maximum of
    4 overlapping power-of-two windows: gathers whose number does not depend on the boxes' sizes. Of equal
    values in a bin the gradient goes to one of them (torchvision's: the first in row-major order).

    Args:
        features: 4D tensor `(batch, height, width, channels)` (channels_last) or `(batch, channels, height,
            width)` (channels_first); height and width must be known.
        boxes: `(batch, num_boxes, 4)` boxes `(x1, y1, x2, y2)` per image in input-image pixels.
        output_size: int or tuple of 2 ints `(out_h, out_w)`, the bins per box.
        spatial_scale: positive float, feature-map pixels per input-image pixel. Defaults to 1.
        data_format: "channels_last" or "channels_first"; defaults to `keras.config.image_data_format()`.

    Returns:
        `(batch, num_boxes, out_h, out_w, channels)` (channels_last) or `(batch, num_boxes, channels, out_h,
        out_w)` (channels_first), the features' dtype.

    Example:

    >>> features = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> boxes = np.array([[[0.0, 0.0, 3.0, 3.0]]], "float32")
    >>> pooled = keras_dlx.ops.roi_pool(features, boxes, 2)
    >>> np.round(keras.ops.convert_to_numpy(pooled)[0, 0, :, :, 0], 4).tolist()
    [[5.0, 7.0], [13.0, 15.0]]

    Reference:
        - [Girshick 2015, Fast R-CNN](https://arxiv.org/abs/1504.08083)
    """
    (out_h, out_w), spatial_scale = roi_arguments(output_size, spatial_scale)
    features, boxes, data_format, dtype, compute = _inputs(features, boxes, data_format)
    batch, height, width, channels = ops.shape(features)
    if not all(isinstance(size, int) for size in (height, width, channels)):
        raise ValueError("Invalid `features`: roi_pool needs a known height, width and channels. "
                         f"Received: features.shape={tuple(features.shape)}")
    x1, y1, x2, y2 = (_round_half_away(boxes[..., i] * spatial_scale) for i in range(4))
    roi_w, roi_h = ops.maximum(x2 - x1 + 1, 1), ops.maximum(y2 - y1 + 1, 1)
    row_lo, row_hi = _bin_edges(y1, roi_h, out_h, height)  # (b, n, out_h)
    col_lo, col_hi = _bin_edges(x1, roi_w, out_w, width)  # (b, n, out_w)
    levels_h, levels_w = _levels(height), _levels(width)
    # table[b, a, y, c, x] = max(features[b, y : y + 2^a, x : x + 2^c]) (valid where the window fits).
    table, level = [], features
    for c in range(levels_w):
        if c:
            level = _shifted_max(level, 2, 2 ** (c - 1))
        table.append(level)
    table = ops.stack(table, axis=2)  # (b, H, levels_w, W, C)
    stacked, level = [], table
    for a in range(levels_h):
        if a:
            level = _shifted_max(level, 1, 2 ** (a - 1))
        stacked.append(level)
    table = ops.reshape(ops.stack(stacked, axis=1), (-1, channels))  # (b * levels_h * H * levels_w * W, C)
    log2 = np.zeros(max(height, width) + 1, "int32")
    log2[1:] = np.floor(np.log2(np.arange(1, max(height, width) + 1))).astype("int32")
    log2 = ops.convert_to_tensor(log2)
    empty_h, empty_w = row_hi <= row_lo, col_hi <= col_lo
    level_h = ops.take(log2, ops.maximum(row_hi - row_lo, 0))
    level_w = ops.take(log2, ops.maximum(col_hi - col_lo, 0))
    # An empty bin reads any valid position (its value is replaced by 0).
    rows = ops.clip(ops.stack([row_lo, row_hi - 2 ** level_h], axis=-1), 0, height - 1)[:, :, :, None, :, None]
    cols = ops.clip(ops.stack([col_lo, col_hi - 2 ** level_w], axis=-1), 0, width - 1)[:, :, None, :, None, :]
    level_h, level_w = level_h[:, :, :, None, None, None], level_w[:, :, None, :, None, None]
    image = ops.arange(ops.shape(boxes)[0], dtype="int32")[:, None, None, None, None, None]
    index = (((image * levels_h + level_h) * height + rows) * levels_w + level_w) * width + cols
    corners = ops.take(table, ops.reshape(index, (-1,)), axis=0)  # (b * n * out_h * out_w * 2 * 2, C)
    num_boxes = ops.shape(boxes)[1]
    pooled = ops.max(ops.reshape(corners, (batch, num_boxes, out_h, out_w, 4, channels)), axis=4)
    empty = (empty_h[:, :, :, None] | empty_w[:, :, None, :])[..., None]
    pooled = ops.where(empty, ops.zeros_like(pooled), pooled)
    return _output(pooled, data_format, dtype)
