"""Projective transforms for `keras.ops.image.affine_transform`, as TensorFlow Addons built them:
compose_transforms, angles_to_projective_transforms, translations_to_projective_transforms (backend-neutral).

A transform is 8 numbers `[a0, a1, a2, b0, b1, b2, c0, c1]`, the matrix `[[a0, a1, a2], [b0, b1, b2], [c0, c1, 1]]`
that maps an output pixel `(x, y, 1)` to the input point it reads, divided by its third coordinate.
"""

import keras
from keras import ops

from keras_dlx.ops.image_utils import dtype_of, is_float

__all__ = ["compose_transforms", "angles_to_projective_transforms", "translations_to_projective_transforms"]


def _float_dtype(*tensors):
    dtype = keras.backend.result_type(*(dtype_of(t) for t in tensors))
    return dtype if is_float(dtype) else "float32"


def _batched(name, x, size, shape_words):
    """`x` of shape (size,) or (n, size) as (n, size)."""
    if len(x.shape) not in (1, 2) or x.shape[-1] != size:
        raise ValueError(f"Invalid `{name}`: expected a tensor of shape {shape_words}. "
                         f"Received: {name} with shape {tuple(x.shape)}")
    return ops.reshape(x, (-1, size))


def compose_transforms(transforms):
    """Compose projective transforms: the result applied once equals applying each in turn.

    Each transform is made the 3x3 matrix `[[a0, a1, a2], [b0, b1, b2], [c0, c1, 1]]`, the matrices are
    multiplied in the order given (`T1 @ T2 @ ...`, each mapping output to input points, so the image is
    transformed by the first transform first), and the product is divided by its last entry and flattened back
    to 8 numbers. This is TensorFlow Addons' `tfa.image.compose_transforms`.

    Args:
        transforms: a non-empty list of transforms, each a tensor of shape `(8,)` or `(n, 8)` (a single
            transform broadcasts against a batch).

    Returns:
        A tensor of shape `(n, 8)` (`n = 1` for single transforms), float32 unless the transforms are float64.

    Example:

    >>> shift = keras_dlx.ops.image.translations_to_projective_transforms([2.0, 1.0])
    >>> twice = keras_dlx.ops.image.compose_transforms([shift, shift])
    >>> keras.ops.convert_to_numpy(twice)
    array([[ 1.,  0., -4.,  0.,  1., -2.,  0.,  0.]], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.compose_transforms`](https://github.com/tensorflow/addons)
    """
    if not isinstance(transforms, (list, tuple)) or not transforms:
        raise ValueError("Invalid `transforms`: expected a non-empty list of tensors of shape (8,) or (n, 8). "
                         f"Received: transforms={transforms!r}")
    tensors = [ops.convert_to_tensor(t) for t in transforms]
    dtype = _float_dtype(*tensors)
    composed = None
    for t in tensors:
        flat = ops.cast(_batched("transforms", t, 8, "(8,) or (n, 8) for each item"), dtype)
        matrix = ops.reshape(ops.concatenate([flat, ops.ones_like(flat[:, :1])], axis=1), (-1, 3, 3))
        composed = matrix if composed is None else ops.matmul(composed, matrix)
    flat = ops.reshape(composed, (-1, 9))
    return (flat / flat[:, 8:9])[:, :8]


def angles_to_projective_transforms(angles, image_height, image_width):
    """Transforms that rotate images counterclockwise by `angles` (radians) about their centre.

    For an angle `t` and an image of height `h` and width `w`:
    `[cos t, -sin t, x0, sin t, cos t, y0, 0, 0]` with
    `x0 = ((w - 1) - (cos t (w - 1) - sin t (h - 1))) / 2` and `y0 = ((h - 1) - (sin t (w - 1) + cos t (h - 1))) / 2`,
    as TensorFlow Addons' `tfa.image.angles_to_projective_transforms`. Pass them to
    `keras.ops.image.affine_transform` to rotate (Addons' `tfa.image.rotate`).

    Args:
        angles: a scalar angle for every image, or a tensor of shape `(n,)`, one angle per image.
        image_height: a number or scalar tensor, the height of the images.
        image_width: a number or scalar tensor, the width of the images.

    Returns:
        A tensor of shape `(n, 8)` (`n = 1` for a scalar angle), float32 unless `angles` is float64.

    Example:

    >>> t = keras_dlx.ops.image.angles_to_projective_transforms(np.pi / 2, 3, 5)
    >>> np.round(keras.ops.convert_to_numpy(t), 4)
    array([[-0., -1.,  3.,  1., -0., -1.,  0.,  0.]], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.angles_to_projective_transforms`](https://github.com/tensorflow/addons)
    """
    angles = ops.convert_to_tensor(angles)
    if len(angles.shape) not in (0, 1):
        raise ValueError("Invalid `angles`: expected a scalar or a tensor of shape (n,). "
                         f"Received: angles with shape {tuple(angles.shape)}")
    dtype = _float_dtype(angles)
    for name, size in (("image_height", image_height), ("image_width", image_width)):
        if len(getattr(size, "shape", ())) != 0:
            raise ValueError(f"Invalid `{name}`: expected a number or a scalar tensor. "
                             f"Received: {name} with shape {tuple(size.shape)}")
    angles = ops.reshape(ops.cast(angles, dtype), (-1,))
    height = ops.cast(image_height, dtype) - 1
    width = ops.cast(image_width, dtype) - 1
    cos, sin = ops.cos(angles), ops.sin(angles)
    x_offset = (width - (cos * width - sin * height)) / 2
    y_offset = (height - (sin * width + cos * height)) / 2
    zeros = ops.zeros_like(angles)
    return ops.stack([cos, -sin, x_offset, sin, cos, y_offset, zeros, zeros], axis=1)


def translations_to_projective_transforms(translations):
    """Transforms that translate images by `[dx, dy]`: `[1, 0, -dx, 0, 1, -dy, 0, 0]`.

    As TensorFlow Addons' `tfa.image.translations_to_projective_transforms`; pass them to
    `keras.ops.image.affine_transform` to translate (Addons' `tfa.image.translate`).

    Intended difference: a tensor of the wrong rank raises `ValueError` (Addons: `TypeError`).

    Args:
        translations: `[dx, dy]` for every image, or a tensor of shape `(n, 2)`, one per image.

    Returns:
        A tensor of shape `(n, 8)` (`n = 1` for a single translation), float32 unless `translations` is float64.

    Example:

    >>> t = keras_dlx.ops.image.translations_to_projective_transforms([[1.0, 2.0], [-3.0, 0.5]])
    >>> keras.ops.convert_to_numpy(t)
    array([[ 1. ,  0. , -1. ,  0. ,  1. , -2. ,  0. ,  0. ],
           [ 1. ,  0. ,  3. ,  0. ,  1. , -0.5,  0. ,  0. ]], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23,
          `tfa.image.translations_to_projective_transforms`](https://github.com/tensorflow/addons)
    """
    translations = ops.convert_to_tensor(translations)
    dtype = _float_dtype(translations)
    moves = ops.cast(_batched("translations", translations, 2, "(2,) or (n, 2)"), dtype)
    ones, zeros = ops.ones_like(moves[:, 0]), ops.zeros_like(moves[:, 0])
    return ops.stack([ones, zeros, -moves[:, 0], zeros, ones, -moves[:, 1], zeros, zeros], axis=1)
