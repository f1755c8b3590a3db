"""Shape helpers shared by the image operations in `keras_dlx.ops.image` (backend-neutral)."""

import keras
from keras import ops


def rank_of(name, x, allowed):
    """The static rank of `x`, or the usual ValueError naming `name` when it is not one of `allowed`."""
    rank = len(x.shape)
    if rank not in allowed:
        words = " or ".join(str(r) for r in allowed)
        raise ValueError(f"Invalid `{name}`: expected a tensor of rank {words}. "
                         f"Received: {name} with shape {tuple(x.shape)}")
    return rank


def to_4d(name, image):
    """A 2D (H, W), 3D (H, W, C) or 4D (N, H, W, C) image as 4D, and its original rank."""
    image = ops.convert_to_tensor(image)
    rank = rank_of(name, image, (2, 3, 4))
    if rank == 2:
        image = image[None, :, :, None]
    elif rank == 3:
        image = image[None]
    return image, rank


def from_4d(image, rank):
    """Undo `to_4d` for an image of the original `rank`."""
    if rank == 2:
        return image[0, :, :, 0]
    if rank == 3:
        return image[0]
    return image


def static_dims(name, x, axes):
    """The sizes of `axes` of `x`, which must be known when the operation is traced."""
    sizes = tuple(x.shape[a] for a in axes)
    if any(size is None for size in sizes):
        raise ValueError(f"Invalid `{name}`: axes {tuple(axes)} must have known sizes. "
                         f"Received: {name} with shape {tuple(x.shape)}")
    return sizes


def dtype_of(x):
    return keras.backend.standardize_dtype(x.dtype)


def is_float(dtype):
    return dtype in ("float16", "bfloat16", "float32", "float64")


def float_dtype(x):
    """The dtype of `x` if floating, else float32."""
    dtype = dtype_of(x)
    return dtype if is_float(dtype) else "float32"
