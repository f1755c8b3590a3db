"""Mean and median filters over 2D images with explicit border padding (backend-neutral)."""

import numpy as np
from keras import ops

from keras_dlx.ops.image_utils import dtype_of, from_4d, is_float, to_4d
from keras_dlx.utils import arguments as args

__all__ = ["mean_filter2d", "median_filter2d"]

_PADDINGS = ("reflect", "constant", "symmetric")


def _check_filter(image, filter_shape, padding):
    filter_shape = args.int_tuple("filter_shape", filter_shape, 2, min_value=1)
    padding = args.one_of("padding", padding, _PADDINGS)
    height, width = image.shape[1:3]
    # A reflection cannot reach further than the image minus its border row; a mirror copy, than the image.
    limit = 1 if padding == "reflect" else 0
    for size, extent in zip((height, width), filter_shape):
        if size is not None and padding != "constant" and extent // 2 > size - limit:
            args.invalid("filter_shape", filter_shape,
                         f"a filter whose half-size fits the {height}x{width} image for {padding!r} padding")
    return filter_shape, padding


def _mirror(x, axis, before, after, skip_edge):
    """Pad `axis` by mirroring: "reflect" leaves the edge pixel out of the copy (`skip_edge`), "symmetric"
    repeats it. Written with slices and flips, since keras.ops.pad's "symmetric" differs on PyTorch."""
    size = x.shape[axis]
    shift = 1 if skip_edge else 0
    parts = []
    if before:
        parts.append(ops.flip(ops.take(x, ops.arange(shift, shift + before), axis=axis), axis=axis))
    parts.append(x)
    if after:
        parts.append(ops.flip(ops.take(x, ops.arange(size - shift - after, size - shift), axis=axis), axis=axis))
    return ops.concatenate(parts, axis=axis) if len(parts) > 1 else x


def _pad(image, filter_shape, padding, constant_values):
    """Pad a 4D image so that a VALID filter of `filter_shape` keeps its size: the extra row/column of an even
    extent goes to the bottom/right, as Addons (and `tf.nn.conv2d`'s SAME) do."""
    widths = [((extent - 1) // 2, extent - 1 - (extent - 1) // 2) for extent in filter_shape]
    if padding == "constant":
        value = ops.convert_to_tensor(constant_values, dtype=dtype_of(image))
        return ops.pad(image, [(0, 0)] + widths + [(0, 0)], mode="constant", constant_values=value)
    for axis, (before, after) in zip((1, 2), widths):
        image = _mirror(image, axis, before, after, skip_edge=padding == "reflect")
    return image


def mean_filter2d(image, filter_shape=(3, 3), padding="REFLECT", constant_values=0):
    """Mean (box) filter of 2D images, each channel on its own, with padding at the borders.

    `output[i, j] = mean(padded[i:i + fh, j:j + fw])`, the padded image having `(fh - 1) // 2` rows above and the
    rest below (columns alike), so the output has the input's shape. An integer image is averaged in float32
    and cast back (the fraction truncated), as TensorFlow Addons' `tfa.image.mean_filter2d` does.

    Args:
        image: a 2D `(height, width)`, 3D `(height, width, channels)` or 4D `(batch, height, width, channels)`
            tensor.
        filter_shape: an integer or a tuple of 2 positive integers, the filter's height and width.
        padding: one of "REFLECT", "CONSTANT", "SYMMETRIC" (case-insensitive), as in `tf.pad`.
        constant_values: the value of the padded pixels with "CONSTANT" padding.

    Returns:
        A tensor of the shape and dtype of `image`.

    Example:

    >>> image = np.arange(16, dtype="float32").reshape(4, 4)
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.image.mean_filter2d(image)), 4)
    array([[ 3.3333,  3.6667,  4.6667,  5.    ],
           [ 4.6667,  5.    ,  6.    ,  6.3333],
           [ 8.6667,  9.    , 10.    , 10.3333],
           [10.    , 10.3333, 11.3333, 11.6667]], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.mean_filter2d`](https://github.com/tensorflow/addons)
    """
    images, rank = to_4d("image", image)
    filter_shape, padding = _check_filter(images, filter_shape, padding)
    dtype = dtype_of(images)
    compute = "float32" if dtype in ("float16", "bfloat16") or not is_float(dtype) else dtype
    x = _pad(ops.cast(images, compute), filter_shape, padding, constant_values)
    channels = images.shape[-1]
    kernel = ops.ones(tuple(filter_shape) + (channels, 1), dtype=compute)
    summed = ops.depthwise_conv(x, kernel, strides=1, padding="valid", data_format="channels_last")
    output = summed / ops.cast(filter_shape[0] * filter_shape[1], compute)
    return from_4d(ops.cast(output, dtype), rank)


def _windows(x, filter_shape, size):
    """Every filter position's pixels of a padded 4D image, stacked on a new last axis: (N, H, W, C, fh * fw)."""
    height, width = size
    return ops.stack([x[:, i:i + height, j:j + width, :]
                      for i in range(filter_shape[0]) for j in range(filter_shape[1])], axis=-1)


def median_filter2d(image, filter_shape=(3, 3), padding="REFLECT", constant_values=0):
    """Median filter of 2D images, each channel on its own, with padding at the borders.

    `output[i, j]` is the median of the `fh * fw` pixels of the window `padded[i:i + fh, j:j + fw]` (padding as
    in `mean_filter2d`). With an even window size the median is the mean of the two middle values; an integer
    image takes the integer part of that mean.

    Intended difference from TensorFlow Addons' `tfa.image.median_filter2d`: Addons adds the two middle values
    in the image's integer dtype, so for an even window of a uint8 image whose middle values sum to 256 or more
    its median wraps around (e.g. 54 for 147 and 218); here it is 182. Odd windows and float images agree.

    Args:
        image: a 2D `(height, width)`, 3D `(height, width, channels)` or 4D `(batch, height, width, channels)`
            tensor.
        filter_shape: an integer or a tuple of 2 positive integers, the filter's height and width.
        padding: one of "REFLECT", "CONSTANT", "SYMMETRIC" (case-insensitive), as in `tf.pad`.
        constant_values: the value of the padded pixels with "CONSTANT" padding.

    Returns:
        A tensor of the shape and dtype of `image`.

    Example:

    >>> image = np.array([[1, 9, 2], [8, 3, 7], [4, 6, 5]], dtype="uint8")
    >>> keras.ops.convert_to_numpy(keras_dlx.ops.image.median_filter2d(image))
    array([[3, 7, 3],
           [6, 5, 6],
           [4, 6, 5]], dtype=uint8)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.median_filter2d`](https://github.com/tensorflow/addons)
    """
    images, rank = to_4d("image", image)
    filter_shape, padding = _check_filter(images, filter_shape, padding)
    dtype = dtype_of(images)
    x = _pad(images, filter_shape, padding, constant_values)
    size = (ops.shape(images)[1], ops.shape(images)[2])
    ordered = ops.sort(_windows(x, filter_shape, size), axis=-1)
    area = filter_shape[0] * filter_shape[1]
    upper = ordered[..., area // 2]
    if area % 2 == 1:
        return from_4d(upper, rank)
    lower = ordered[..., area // 2 - 1]
    # float32 holds the sum of two integers of up to 16 bits exactly; wider integer images are rare here.
    compute = dtype if is_float(dtype) else "float32"
    middle = (ops.cast(lower, compute) + ops.cast(upper, compute)) / np.asarray(2, compute)
    return from_4d(ops.cast(middle, dtype), rank)
