"""Cutout (DeVries & Taylor, 2017) of TensorFlow Addons: cutout, random_cutout (backend-neutral)."""

import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.ops.image_utils import dtype_of, rank_of
from keras_dlx.utils import arguments as args

__all__ = ["cutout", "random_cutout"]


def _mask_size(mask_size):
    """(height, width) of the rectangle: even, as Addons requires (the rectangle spans size / 2 each side)."""
    if isinstance(mask_size, np.ndarray) and mask_size.ndim <= 1:
        mask_size = mask_size.tolist()
    items = mask_size if isinstance(mask_size, (tuple, list)) else (mask_size, mask_size)
    if len(items) != 2 or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0
                                  and s % 2 == 0 for s in items):
        args.invalid("mask_size", mask_size, "an even integer >= 0 or a tuple of 2 such integers (height, width)")
    return int(items[0]), int(items[1])


def _check_images(images, data_format):
    data_format = args.data_format(data_format)
    images = ops.convert_to_tensor(images)
    rank_of("images", images, (4,))
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    return images, axes, data_format


def _apply(images, axes, data_format, half_size, centers, constant_values):
    """Replace, in image b, rows [c_b - h, c_b + h) and columns alike by `constant_values` (an empty range when
    the rectangle lies beyond the image)."""
    shape = ops.shape(images)
    inside = None
    for k, (axis, half) in enumerate(zip(axes, half_size)):
        positions = ops.arange(shape[axis], dtype="int32")
        positions = ops.reshape(positions, (1, -1, 1) if k == 0 else (1, 1, -1))
        center = ops.reshape(centers[:, k], (-1, 1, 1))
        hit = ops.logical_and(positions >= center - half, positions < center + half)
        inside = hit if inside is None else ops.logical_and(inside, hit)
    inside = ops.expand_dims(inside, -1 if data_format == "channels_last" else 1)
    dtype = dtype_of(images)
    # Cast as Addons does (0.5 fills a uint8 image with 0); a Python number goes straight to the dtype.
    if isinstance(constant_values, (numbers.Number, np.ndarray, np.generic)):
        fill = ops.convert_to_tensor(np.asarray(constant_values).astype(dtype))
    else:
        fill = ops.cast(constant_values, dtype)
    return ops.where(inside, fill, images)


def cutout(images, mask_size, offset=(0, 0), constant_values=0, data_format=None):
    """Cutout: fill a `mask_size` rectangle centred at `offset` with `constant_values`.

    In image `b`, the pixels of rows `[offset[b, 0] - mask_height / 2, offset[b, 0] + mask_height / 2)` and
    columns `[offset[b, 1] - mask_width / 2, offset[b, 1] + mask_width / 2)` take `constant_values`; the part of
    the rectangle beyond the image is dropped. This is TensorFlow Addons' `tfa.image.cutout`.

    Intended differences: a rectangle lying wholly beyond the image leaves the image unchanged (Addons failed);
    the `data_format` argument (channels-first images) is new.

    Args:
        images: a tensor of shape `(batch, height, width, channels)` (or `(batch, channels, height, width)` with
            `data_format="channels_first"`).
        mask_size: an even integer >= 0 or a tuple of 2 even integers, the rectangle's height and width.
        offset: the rectangle's centre `(row, column)`, an integer tensor of shape `(2,)` for every image or
            `(batch, 2)` for each image.
        constant_values: the value of the cut-out pixels.
        data_format: "channels_last", "channels_first", or None for `keras.config.image_data_format()`.

    Returns:
        A tensor of the shape and dtype of `images`.

    Example:

    >>> images = np.ones((1, 4, 5, 1), dtype="float32")
    >>> out = keras_dlx.ops.image.cutout(images, mask_size=(2, 4), offset=(1, 1))
    >>> keras.ops.convert_to_numpy(out)[0, :, :, 0]
    array([[0., 0., 0., 1., 1.],
           [0., 0., 0., 1., 1.],
           [1., 1., 1., 1., 1.],
           [1., 1., 1., 1., 1.]], dtype=float32)

    Reference:
        - [DeVries and Taylor, 2017, Improved Regularization of Convolutional Neural Networks with
          Cutout](https://arxiv.org/abs/1708.04552)
        - [TensorFlow Addons 0.23, `tfa.image.cutout`](https://github.com/tensorflow/addons)
    """
    size = _mask_size(mask_size)
    images, axes, data_format = _check_images(images, data_format)
    offset = ops.convert_to_tensor(offset)
    if "int" not in dtype_of(offset) or len(offset.shape) not in (1, 2) or offset.shape[-1] != 2:
        raise ValueError("Invalid `offset`: expected an integer tensor of shape (2,) or (batch, 2). "
                         f"Received: offset with shape {tuple(offset.shape)} and dtype {dtype_of(offset)}")
    centers = ops.cast(ops.reshape(offset, (-1, 2)), "int32")
    return _apply(images, axes, data_format, (size[0] // 2, size[1] // 2), centers, constant_values)


def random_cutout(images, mask_size, constant_values=0, seed=None, data_format=None):
    """Cutout at a random place: fill a `mask_size` rectangle of each image with `constant_values`.

    `cutout` with each image's centre drawn uniformly among the positions that keep the rectangle inside the
    image: rows in `[mask_height / 2, height - mask_height / 2)` (the centre row `height // 2` when the
    rectangle is at least as tall as the image), columns alike, as TensorFlow Addons' `tfa.image.random_cutout`.

    Intended difference: the centres come from `keras.random`, so for a given `seed` they differ from Addons'
    (their distribution is the same). Under `jit`, pass a `keras.random.SeedGenerator` as `seed`.

    Args:
        images: a tensor of shape `(batch, height, width, channels)` (or `(batch, channels, height, width)` with
            `data_format="channels_first"`).
        mask_size: an even integer >= 0 or a tuple of 2 even integers, the rectangle's height and width.
        constant_values: the value of the cut-out pixels.
        seed: None, an integer or a `keras.random.SeedGenerator`.
        data_format: "channels_last", "channels_first", or None for `keras.config.image_data_format()`.

    Returns:
        A tensor of the shape and dtype of `images`.

    Example:

    >>> images = np.ones((3, 8, 8, 1), dtype="float32")
    >>> out = keras.ops.convert_to_numpy(keras_dlx.ops.image.random_cutout(images, 4, seed=2))
    >>> (out == 0).sum(axis=(1, 2, 3))  # a 4x4 rectangle inside each image
    array([16, 16, 16])

    Reference:
        - [DeVries and Taylor, 2017, Improved Regularization of Convolutional Neural Networks with
          Cutout](https://arxiv.org/abs/1708.04552)
        - [TensorFlow Addons 0.23, `tfa.image.random_cutout`](https://github.com/tensorflow/addons)
    """
    size = _mask_size(mask_size)
    if not (seed is None or isinstance(seed, keras.random.SeedGenerator)):
        args.seed(seed)
    images, axes, data_format = _check_images(images, data_format)
    shape = ops.shape(images)
    u = keras.random.uniform((shape[0], 2), dtype="float32", seed=seed)
    centers = []
    for k, (axis, extent) in enumerate(zip(axes, size)):
        length = ops.cast(shape[axis], "int32")
        choices = ops.maximum(length - extent, 1)  # the number of centres that keep the rectangle inside
        drawn = ops.minimum(ops.cast(ops.floor(u[:, k] * ops.cast(choices, "float32")), "int32"), choices - 1)
        centers.append(ops.where(extent >= length, length // 2, extent // 2 + drawn))
    return _apply(images, axes, data_format, (size[0] // 2, size[1] // 2), ops.stack(centers, axis=1),
                  constant_values)
