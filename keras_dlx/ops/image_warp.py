"""Bilinear sampling of images at arbitrary points: interpolate_bilinear, dense_image_warp, resampler."""

import numpy as np
from keras import ops

from keras_dlx.ops.image_utils import dtype_of, float_dtype, rank_of, static_dims
from keras_dlx.utils import arguments as args

__all__ = ["interpolate_bilinear", "dense_image_warp", "resampler"]


def _gather_pixels(flat, batch_offsets, rows, cols, width):
    """Pixels (batch, n, channels) of a (batch * height * width, channels) image at integer (rows, cols)."""
    return ops.take(flat, batch_offsets + rows * width + cols, axis=0)


def _check_image(name, image, min_size=1):
    image = ops.convert_to_tensor(image)
    rank_of(name, image, (4,))
    height, width, channels = static_dims(name, image, (1, 2, 3))
    if height < min_size or width < min_size:
        raise ValueError(f"Invalid `{name}`: expected height and width >= {min_size}. "
                         f"Received: {name} with shape {tuple(image.shape)}")
    return image, height, width, channels


def _check_points(name, points, min_rank, max_rank=None):
    points = ops.convert_to_tensor(points)
    rank = len(points.shape)
    if rank < min_rank or (max_rank is not None and rank > max_rank) or points.shape[-1] != 2:
        ranks = f"rank {min_rank}" if max_rank == min_rank else f"rank >= {min_rank}"
        raise ValueError(f"Invalid `{name}`: expected a tensor of {ranks} whose last axis has size 2. "
                         f"Received: {name} with shape {tuple(points.shape)}")
    return points


def interpolate_bilinear(grid, query_points, indexing="ij"):
    """Values of a batch of images at real-valued points, by bilinear interpolation (like Matlab's interp2).

    A query `(y, x)` (`indexing="ij"`, or `(x, y)` for "xy") takes the 4 pixels around it: with
    `y0 = clip(floor(y), 0, height - 2)` and `a = clip(y - y0, 0, 1)` (the same along x),
    `value = (1 - a) * top + a * bottom`, each row interpolated alike along x. Points beyond the border take the
    border's values (and a zero gradient along the clipped direction), as in TensorFlow Addons'
    `tfa.image.interpolate_bilinear`.

    Args:
        grid: a float tensor of shape `(batch, height, width, channels)`, height and width at least 2.
        query_points: a float tensor of shape `(batch, n, 2)`.
        indexing: "ij" (row, column) or "xy" (column, row) order of the query coordinates.

    Returns:
        A tensor of shape `(batch, n, channels)` and the dtype of `grid`.

    Example:

    >>> grid = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    >>> points = np.array([[[0.5, 0.5], [1.0, 1.5], [-1.0, 9.0]]], dtype="float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.image.interpolate_bilinear(grid, points))[0, :, 0], 4)
    array([2. , 4.5, 2. ], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.interpolate_bilinear`](https://github.com/tensorflow/addons)
    """
    indexing = args.one_of("indexing", indexing, ("ij", "xy"))
    grid, height, width, channels = _check_image("grid", grid, min_size=2)
    query_points = _check_points("query_points", query_points, 3, 3)
    grid_dtype = dtype_of(grid)
    rows, cols = query_points[..., 0], query_points[..., 1]
    if indexing == "xy":
        rows, cols = cols, rows
    floors, alphas = [], []
    for queries, size in ((rows, height), (cols, width)):
        floor = ops.clip(ops.floor(queries), 0, size - 2)
        floors.append(ops.cast(floor, "int32"))
        alpha = ops.clip(ops.cast(queries - floor, grid_dtype), 0, 1)
        alphas.append(ops.expand_dims(alpha, -1))
    flat = ops.reshape(grid, (-1, channels))
    offsets = ops.expand_dims(ops.arange(ops.shape(grid)[0], dtype="int32") * (height * width), 1)
    top_left = _gather_pixels(flat, offsets, floors[0], floors[1], width)
    top_right = _gather_pixels(flat, offsets, floors[0], floors[1] + 1, width)
    bottom_left = _gather_pixels(flat, offsets, floors[0] + 1, floors[1], width)
    bottom_right = _gather_pixels(flat, offsets, floors[0] + 1, floors[1] + 1, width)
    top = alphas[1] * (top_right - top_left) + top_left
    bottom = alphas[1] * (bottom_right - bottom_left) + bottom_left
    return alphas[0] * (bottom - top) + top


def dense_image_warp(image, flow):
    """Warp images by a dense per-pixel flow: `output[b, i, j] = image[b, i - flow[b, i, j, 0], j - flow[b, i, j, 1]]`.

    The source location is generally not a pixel; its value is interpolated bilinearly, and locations beyond
    the image take the border's values (`interpolate_bilinear`). The flow points from the output back to the
    source (the negative of the optical flow from source to output), as in TensorFlow Addons'
    `tfa.image.dense_image_warp`. Differentiable with respect to both arguments.

    Args:
        image: a float tensor of shape `(batch, height, width, channels)`, height and width at least 2.
        flow: a float tensor of shape `(batch, height, width, 2)`, (row, column) displacements.

    Returns:
        A tensor of the shape and dtype of `image`.

    Example:

    >>> image = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    >>> flow = np.zeros((1, 3, 3, 2), "float32")
    >>> flow[..., 1] = 1.0  # every output pixel reads its left neighbour
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.image.dense_image_warp(image, flow))[0, :, :, 0], 4)
    array([[0., 0., 1.],
           [3., 3., 4.],
           [6., 6., 7.]], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.dense_image_warp`](https://github.com/tensorflow/addons)
    """
    image, height, width, channels = _check_image("image", image, min_size=2)
    flow = ops.convert_to_tensor(flow)
    rank_of("flow", flow, (4,))
    if tuple(flow.shape[1:]) != (height, width, 2):
        raise ValueError(f"Invalid `flow`: expected shape (batch, {height}, {width}, 2) to match `image`. "
                         f"Received: flow with shape {tuple(flow.shape)}")
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    pixels = ops.convert_to_tensor(np.stack([rows, cols], -1).astype(dtype_of(flow)))
    queries = ops.reshape(pixels[None] - flow, (-1, height * width, 2))
    values = interpolate_bilinear(image, queries)
    return ops.reshape(values, (-1, height, width, channels))


def resampler(data, warp):
    """Sample a batch of images bilinearly at real-valued (x, y) points, zero outside the image.

    For a point `(x, y)` (x along the width, y along the height) with `x0 = floor(x)`, `y0 = floor(y)`,
    `dx = x0 + 1 - x` and `dy = y0 + 1 - y`:
    `out = dx dy data[y0, x0] + (1 - dx)(1 - dy) data[y0 + 1, x0 + 1] + dx (1 - dy) data[y0 + 1, x0]
    + (1 - dx) dy data[y0, x0 + 1]`, where a pixel outside the image counts as 0 and a point with `x <= -1`,
    `y <= -1`, `x >= width` or `y >= height` gives 0. This is TensorFlow Addons' `tfa.image.resampler` (its
    compiled kernel and its gradients with respect to `data` and `warp`), written with `keras.ops` gathers.

    Args:
        data: a float tensor of shape `(batch, height, width, channels)`.
        warp: a float tensor of shape `(batch, ..., 2)`: the (x, y) points to sample, any number of axes
            between the batch and the coordinates.

    Returns:
        A tensor of shape `warp.shape[:-1] + (channels,)` and the dtype of `data`.

    Example:

    >>> data = np.arange(12, dtype="float32").reshape(1, 3, 4, 1)
    >>> warp = np.array([[[-0.5, 0.5], [1.5, 1.0], [4.0, 0.0]]], dtype="float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.image.resampler(data, warp))[0, :, 0], 4)
    array([1. , 5.5, 0. ], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.resampler`](https://github.com/tensorflow/addons)
    """
    data, height, width, channels = _check_image("data", data)
    warp = _check_points("warp", warp, 2)
    dtype = float_dtype(data)
    warp_shape = tuple(warp.shape)
    points = ops.reshape(ops.cast(warp, dtype), (ops.shape(warp)[0], -1, 2))
    x, y = points[..., 0], points[..., 1]
    x0, y0 = ops.floor(x), ops.floor(y)
    dx = ops.expand_dims(x0 + 1 - x, -1)
    dy = ops.expand_dims(y0 + 1 - y, -1)
    x0, y0 = ops.cast(x0, "int32"), ops.cast(y0, "int32")
    flat = ops.reshape(data, (-1, channels))
    offsets = ops.expand_dims(ops.arange(ops.shape(data)[0], dtype="int32") * (height * width), 1)

    def pixel(cols, rows):
        valid = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        values = _gather_pixels(flat, offsets, ops.clip(rows, 0, height - 1), ops.clip(cols, 0, width - 1), width)
        return ops.where(ops.expand_dims(valid, -1), values, ops.zeros_like(values))

    one = ops.ones_like(dx)
    out = (dx * dy * pixel(x0, y0) + (one - dx) * (one - dy) * pixel(x0 + 1, y0 + 1)
           + dx * (one - dy) * pixel(x0, y0 + 1) + (one - dx) * dy * pixel(x0 + 1, y0))
    inside = (x > -1) & (y > -1) & (x < width) & (y < height)
    out = ops.where(ops.expand_dims(inside, -1), out, ops.zeros_like(out))
    batch = warp_shape[0] if warp_shape[0] is not None else ops.shape(warp)[0]
    return ops.reshape(out, (batch,) + tuple(-1 if s is None else s for s in warp_shape[1:-1]) + (channels,))
