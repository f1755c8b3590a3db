"""Polyharmonic spline interpolation, and the image warp it drives from sparse control points."""

import numbers

import numpy as np
from keras import ops

from keras_dlx.ops.image_utils import dtype_of, from_4d, static_dims, to_4d
from keras_dlx.ops.image_warp import dense_image_warp
from keras_dlx.utils import arguments as args

__all__ = ["interpolate_spline", "sparse_image_warp"]

# Distances below this are treated as this, so that log(r) and sqrt(r) stay finite (and differentiable) at r = 0.
_EPSILON = 1e-10


def _non_negative(name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        args.invalid(name, value, "a number >= 0")
    return float(value)


def _phi(squared, order):
    """The polyharmonic kernel of `order` on squared distances: r^k, or r^k log(r) for even k (r the distance)."""
    # keras.ops.where, as keras.ops.maximum returns float32 for float64 tensors on PyTorch (Keras 3.15).
    epsilon = ops.full_like(squared, _EPSILON)
    floored = ops.where(squared > epsilon, squared, epsilon)
    if order == 1:
        return ops.sqrt(floored)
    if order == 2:
        return 0.5 * squared * ops.log(floored)
    if order == 4:
        return 0.5 * ops.square(squared) * ops.log(floored)
    squared = floored
    if order % 2 == 0:
        return 0.5 * ops.power(squared, 0.5 * order) * ops.log(squared)
    return ops.power(squared, 0.5 * order)


def _products(x, y):
    """x_i . y_j for the rows of (batch, n, d) `x` and (batch, m, d) `y`. An einsum, as keras.ops.matmul
    computes float64 in float32 on PyTorch (Keras 3.15)."""
    return ops.einsum("bid,bjd->bij", x, y)


def _squared_distances(x, y):
    """||x_i - y_j||^2 for the rows of (batch, n, d) `x` and (batch, m, d) `y`, as |x|^2 - 2 x.y + |y|^2."""
    x_norms = ops.expand_dims(ops.sum(ops.square(x), axis=2), 2)
    y_norms = ops.expand_dims(ops.sum(ops.square(y), axis=2), 1)
    return x_norms - 2 * _products(x, y) + y_norms


def _pairwise_squared_distances(x):
    """||x_i - x_j||^2 among the rows of (batch, n, d) `x`, the norms taken from the diagonal of x x^T so that
    the diagonal is exactly 0 (a rounding residue there would become sqrt(residue) in the order-1 kernel)."""
    products = _products(x, x)
    norms = ops.expand_dims(ops.diagonal(products, axis1=1, axis2=2), 2)
    return norms - 2 * products + ops.transpose(norms, (0, 2, 1))


def _with_ones(points):
    return ops.concatenate([points, ops.ones_like(points[..., :1])], axis=2)


def _check_batch(name, x, rank=3):
    x = ops.convert_to_tensor(x)
    if len(x.shape) != rank or x.shape[-1] is None:
        raise ValueError(f"Invalid `{name}`: expected a tensor of shape (batch, n, d) with a known d. "
                         f"Received: {name} with shape {tuple(x.shape)}")
    return x


def interpolate_spline(train_points, train_values, query_points, order, regularization_weight=0.0):
    """Polyharmonic spline interpolation of values given at scattered points (order 2: the thin-plate spline).

    The interpolant is `f(x) = sum_i w_i phi(||x - c_i||) + v . [x, 1]` with `phi(r) = r^k` for odd `order` k
    and `r^k log(r)` for even k, the centres `c_i` being `train_points`. The weights solve the linear system
    `[[A + lambda I, B], [B^T, 0]] [w; v] = [f; 0]`, `A_ij = phi(||c_i - c_j||)`, `B = [c, 1]`,
    `lambda = regularization_weight` (0: exact interpolation; > 0 trades fit for smoothness), with
    `keras.ops.linalg.solve`. Same kernel, system and results as TensorFlow Addons'
    `tfa.image.interpolate_spline`; differentiable with respect to the points and values.

    Args:
        train_points: a float tensor of shape `(batch, n, d)`, the centres.
        train_values: a float tensor of shape `(batch, n, k)`, the values at the centres.
        query_points: a float tensor of shape `(batch, m, d)`, where to evaluate the interpolant.
        order: a positive integer, the order of the spline (1: `r`, 2: `r^2 log r`, 3: `r^3`, ...).
        regularization_weight: a number >= 0, the weight `lambda` of the smoothness term. Defaults to 0.

    Returns:
        A tensor of shape `(batch, m, k)`.

    Example:

    >>> points = np.array([[[0.0], [1.0], [2.0], [3.0]]])
    >>> values = np.array([[[0.0], [1.0], [4.0], [9.0]]])
    >>> queries = np.array([[[1.0], [1.5]]])
    >>> out = keras_dlx.ops.image.interpolate_spline(points, values, queries, order=3)
    >>> np.round(keras.ops.convert_to_numpy(out)[0, :, 0], 4)
    array([1. , 2.2])

    Reference:
        - [Polyharmonic spline](https://en.wikipedia.org/wiki/Polyharmonic_spline)
    """
    order = args.positive_int("order", order)
    regularization_weight = _non_negative("regularization_weight", regularization_weight)
    centres = _check_batch("train_points", train_points)
    values = _check_batch("train_values", train_values)
    queries = _check_batch("query_points", query_points)
    if queries.shape[-1] != centres.shape[-1]:
        raise ValueError(f"Invalid `query_points`: expected {centres.shape[-1]} coordinates like `train_points`. "
                         f"Received: query_points with shape {tuple(queries.shape)}")
    dtype = dtype_of(centres)
    n, d, k = ops.shape(centres)[1], centres.shape[-1], values.shape[-1]
    values = ops.cast(values, dtype)
    queries = ops.cast(queries, dtype)

    kernel = _phi(_pairwise_squared_distances(centres), order)
    if regularization_weight > 0:
        kernel = kernel + regularization_weight * ops.eye(n, dtype=dtype)[None]
    linear = _with_ones(centres)  # (batch, n, d + 1)
    batch = ops.shape(centres)[0]
    zeros = ops.zeros((batch, d + 1, d + 1), dtype=dtype)
    system = ops.concatenate([ops.concatenate([kernel, linear], axis=2),
                              ops.concatenate([ops.transpose(linear, (0, 2, 1)), zeros], axis=2)], axis=1)
    right = ops.concatenate([values, ops.zeros((batch, d + 1, k), dtype=dtype)], axis=1)
    solution = ops.linalg.solve(system, right)
    w, v = solution[:, :n, :], solution[:, n:, :]
    radial = ops.einsum("bmn,bnk->bmk", _phi(_squared_distances(queries, centres), order), w)
    return radial + ops.einsum("bmd,bdk->bmk", _with_ones(queries), v)


def _boundary_points(height, width, num_boundary_points):
    """The zero-flow control points along the image border: corners, and `num_boundary_points - 2` evenly
    spaced points inside each edge, in row-major order."""
    rows = np.linspace(0.0, height - 1, num_boundary_points + 1, dtype=np.float32)
    cols = np.linspace(0.0, width - 1, num_boundary_points + 1, dtype=np.float32)
    ys, xs = np.meshgrid(rows, cols, indexing="ij")
    border = (xs == 0) | (xs == width - 1) | (ys == 0) | (ys == height - 1)
    return np.stack([ys[border], xs[border]], axis=-1)


def sparse_image_warp(image, source_control_point_locations, dest_control_point_locations, interpolation_order=2,
                      regularization_weight=0.0, num_boundary_points=0):
    """Warp images so that the pixels at source control points move to the destination control points.

    The displacements `dest - source` of the control points are interpolated to a dense flow over every pixel
    with a polyharmonic spline (`interpolate_spline`, centred on the destinations), and the image is warped by
    that flow (`dense_image_warp`). With `regularization_weight = 0`, `warped[dest_t] = image[source_t]` for
    every control point `t`. `num_boundary_points = n > 0` pins the border with zero-flow control points: the 4
    corners, and `n - 1` points along each edge between them. As TensorFlow Addons'
    `tfa.image.sparse_image_warp`.

    Args:
        image: a float tensor, 2D `(height, width)`, 3D `(height, width, channels)` or 4D
            `(batch, height, width, channels)` (a 2D or 3D image is a batch of one).
        source_control_point_locations: a float tensor of shape `(batch, num_points, 2)`, (row, column).
        dest_control_point_locations: a float tensor of shape `(batch, num_points, 2)`, (row, column).
        interpolation_order: a positive integer, the spline's order. Defaults to 2 (thin-plate spline).
        regularization_weight: a number >= 0, the spline's smoothness weight. Defaults to 0.
        num_boundary_points: an integer >= 0, zero-flow points per image edge (0: none). Defaults to 0.

    Returns:
        A tuple `(warped_image, flow)`: the warped image, of the shape and dtype of `image`, and the dense flow
        `(batch, height, width, 2)`.

    Example:

    >>> image = np.random.default_rng(0).random((1, 8, 8, 1)).astype("float32")
    >>> source = np.array([[[3.0, 3.0]]], "float32")
    >>> dest = np.array([[[4.0, 3.0]]], "float32")
    >>> warped, flow = keras_dlx.ops.image.sparse_image_warp(image, source, dest, num_boundary_points=2)
    >>> tuple(warped.shape), tuple(flow.shape)
    ((1, 8, 8, 1), (1, 8, 8, 2))
    >>> bool(np.isclose(keras.ops.convert_to_numpy(warped)[0, 4, 3, 0], image[0, 3, 3, 0], atol=1e-5))
    True

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.sparse_image_warp`](https://github.com/tensorflow/addons)
    """
    interpolation_order = args.positive_int("interpolation_order", interpolation_order)
    regularization_weight = _non_negative("regularization_weight", regularization_weight)
    if not isinstance(num_boundary_points, numbers.Integral) or isinstance(num_boundary_points, bool) or \
            num_boundary_points < 0:
        args.invalid("num_boundary_points", num_boundary_points, "an integer >= 0")
    images, rank = to_4d("image", image)
    height, width = static_dims("image", images, (1, 2))
    source = _check_batch("source_control_point_locations", source_control_point_locations)
    dest = _check_batch("dest_control_point_locations", dest_control_point_locations)
    for name, points in (("source_control_point_locations", source), ("dest_control_point_locations", dest)):
        if points.shape[-1] != 2:
            raise ValueError(f"Invalid `{name}`: expected a last axis of size 2 (row, column). "
                             f"Received: {name} with shape {tuple(points.shape)}")
    dtype = dtype_of(dest)
    flows = ops.cast(dest, dtype) - ops.cast(source, dtype)
    batch = ops.shape(images)[0]
    if num_boundary_points > 0:
        border = ops.convert_to_tensor(_boundary_points(height, width, num_boundary_points).astype(dtype))
        border = ops.broadcast_to(border[None], (batch,) + tuple(border.shape))
        dest = ops.concatenate([dest, border], axis=1)
        flows = ops.concatenate([flows, ops.zeros_like(border)], axis=1)
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    pixels = ops.convert_to_tensor(np.stack([rows.ravel(), cols.ravel()], -1).astype(dtype))
    pixels = ops.broadcast_to(pixels[None], (batch, height * width, 2))
    dense = interpolate_spline(dest, flows, pixels, interpolation_order, regularization_weight)
    dense = ops.reshape(dense, (-1, height, width, 2))
    return from_4d(dense_image_warp(images, dense), rank), dense
