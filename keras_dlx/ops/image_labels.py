"""Connected-component labelling and the Euclidean distance transform of images (backend-neutral)."""

import keras
import numpy as np
from keras import ops

from keras_dlx.ops.image_utils import from_4d, rank_of, static_dims, to_4d
from keras_dlx.utils import arguments as args

__all__ = ["connected_components", "euclidean_dist_transform"]


def _shifted(x, axis, step, fill):
    """`x` moved by one along `axis` (1: height, 2: width): result[i] = x[i + step], `fill` past the border."""
    size = x.shape[axis]
    edge = ops.full_like(ops.take(x, ops.arange(1), axis=axis), fill)
    if step > 0:
        return ops.concatenate([ops.take(x, ops.arange(1, size), axis=axis), edge], axis=axis)
    return ops.concatenate([edge, ops.take(x, ops.arange(0, size - 1), axis=axis)], axis=axis)


def _neighbour_links(images):
    """For each of the 4 neighbours (below, above, right, left): where a pixel and it share a nonzero value."""
    foreground = ops.not_equal(images, ops.zeros_like(images))
    links = []
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        same = ops.equal(images, _shifted(images, axis, step, images[0, 0, 0]))
        inside = _shifted(ops.ones_like(foreground), axis, step, False)
        links.append(ops.logical_and(ops.logical_and(same, foreground), inside))
    return foreground, links


def _propagate(labels, links, unlabelled):
    """One round: each pixel takes the smallest label among itself and its linked neighbours, then the label of
    the pixel its label names (pointer jumping, which halves long chains at every round)."""
    smallest = labels
    directions = ((1, 1), (1, -1), (2, 1), (2, -1))
    for (axis, step), link in zip(directions, links):
        neighbour = _shifted(labels, axis, step, unlabelled)
        smallest = ops.minimum(smallest, ops.where(link, neighbour, unlabelled))
    flat = ops.concatenate([ops.reshape(smallest, (-1,)), ops.full((1,), unlabelled, dtype="int32")])
    return ops.minimum(smallest, ops.take(flat, smallest - 1))


def connected_components(images):
    """Label the 4-connected components of equal nonzero value in a batch of images.

    Two pixels are in one component when a path of up, down, left and right steps joins them through pixels of
    the same nonzero value. Zero pixels get label 0; the components of the whole batch are numbered 1, 2, ...
    in the row-major order of their first pixel (image, row, column), as TensorFlow Addons'
    `tfa.image.connected_components` (and `scipy.ndimage.label` per image) number them.

    Each pixel starts with its own row-major index and repeatedly takes the smallest index among its linked
    neighbours and the label its label points to (label propagation with pointer jumping, in `ops.while_loop`)
    until nothing changes, so each component ends up labelled by its first pixel; those are then renumbered in
    order. Rounds grow with the length of the longest component's paths (a winding snake is the worst case),
    not with the image's area.

    Args:
        images: a 2D `(height, width)` or 3D `(batch, height, width)` tensor of any integer, float or bool dtype.

    Returns:
        An int32 tensor of the shape of `images`.

    Example:

    >>> images = np.array([[1, 1, 0, 0], [0, 1, 0, 1], [1, 0, 0, 1]], dtype="uint8")
    >>> keras.ops.convert_to_numpy(keras_dlx.ops.image.connected_components(images))
    array([[1, 1, 0, 0],
           [0, 1, 0, 2],
           [3, 0, 0, 2]], dtype=int32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.connected_components`](https://github.com/tensorflow/addons)
    """
    images = ops.convert_to_tensor(images)
    rank = rank_of("images", images, (2, 3))
    batch = images[None] if rank == 2 else images
    static_dims("images", batch, (1, 2))
    shape = ops.shape(batch)
    count = shape[0] * shape[1] * shape[2]
    unlabelled = count + 1
    foreground, links = _neighbour_links(batch)
    own = ops.reshape(ops.arange(1, count + 1, dtype="int32"), shape)
    start = ops.where(foreground, own, unlabelled)

    def unfinished(labels, changed):
        return changed

    def step(labels, changed):
        updated = _propagate(labels, links, unlabelled)
        return updated, ops.any(ops.not_equal(updated, labels))

    labels, _ = ops.while_loop(unfinished, step, (start, ops.convert_to_tensor(True)))
    # A component's first pixel is the one labelled with its own index; number those in order.
    first = ops.logical_and(foreground, ops.equal(labels, own))
    number = ops.cumsum(ops.reshape(ops.cast(first, "int32"), (-1,)))
    number = ops.concatenate([number, ops.zeros((1,), dtype="int32")])
    result = ops.reshape(ops.take(number, ops.reshape(labels, (-1,)) - 1), shape)
    result = ops.where(foreground, result, 0)
    return result[0] if rank == 2 else result


def _squared_distance_along(cost, axis, dtype):
    """min over j of (i - j)^2 + cost[..., j, ...] along `axis`: one pass of the separable squared distance."""
    size = cost.shape[axis]
    positions = np.arange(size)
    offsets = ops.convert_to_tensor(((positions[:, None] - positions[None, :]) ** 2).astype(dtype))
    # Broadcast cost over a new axis for i, placed before the axis of j.
    expanded = ops.expand_dims(cost, axis)
    shape = [1] * len(expanded.shape)
    shape[axis], shape[axis + 1] = size, size
    return ops.min(expanded + ops.reshape(offsets, shape), axis=axis + 1)


def euclidean_dist_transform(images, dtype="float32"):
    """Euclidean distance from every pixel to the nearest zero pixel of its image and channel.

    `output[n, i, j, c] = min {sqrt((i - k)^2 + (j - l)^2) : images[n, k, l, c] == 0}`, 0 on zero pixels. A
    channel without any zero pixel is filled with `sqrt` of the largest finite value of `dtype`, as TensorFlow
    Addons' `tfa.image.euclidean_dist_transform` does. The squared distance is separable: a minimum along
    rows, then one along columns (exact, in O(H * W * (H + W)) per channel; the memory of one pass is
    `H * W * max(H, W)` per channel). Addons accepts only uint8 images; here any dtype is taken, nonzero meaning
    foreground.

    Args:
        images: a 2D `(height, width)`, 3D `(height, width, channels)` or 4D `(batch, height, width, channels)`
            tensor.
        dtype: the floating dtype of the result: "float16", "float32" or "float64". Defaults to "float32".

    Returns:
        A tensor of the shape of `images` and dtype `dtype`.

    Example:

    >>> images = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], dtype="uint8")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.image.euclidean_dist_transform(images)), 4)
    array([[1.4142, 1.    , 1.4142],
           [1.    , 0.    , 1.    ],
           [1.4142, 1.    , 1.4142]], dtype=float32)

    Reference:
        - [Felzenszwalb & Huttenlocher 2012, Distance Transforms of Sampled Functions](
          https://theoryofcomputing.org/articles/v008a019/)
    """
    try:
        dtype = keras.backend.standardize_dtype(dtype)
    except (ValueError, TypeError):
        pass
    if dtype not in ("float16", "float32", "float64"):
        args.invalid("dtype", dtype, "one of 'float16', 'float32', 'float64'")
    images, rank = to_4d("images", images)
    static_dims("images", images, (1, 2))
    compute = "float64" if dtype == "float64" else "float32"
    foreground = ops.not_equal(images, ops.zeros_like(images))
    cost = ops.where(foreground, ops.cast(np.inf, compute), ops.cast(0, compute))
    squared = _squared_distance_along(_squared_distance_along(cost, 2, compute), 1, compute)
    nowhere = np.sqrt(np.float64(np.finfo(dtype).max)).astype(dtype)
    distance = ops.cast(ops.sqrt(squared), dtype)
    distance = ops.where(ops.isinf(squared), ops.cast(nowhere, dtype), distance)
    return from_4d(distance, rank)
