"""Colour operations of TensorFlow Addons: blend, adjust_hsv_in_yiq, random_hsv_in_yiq (backend-neutral)."""

import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.ops.image_utils import dtype_of, is_float
from keras_dlx.utils import arguments as args

__all__ = ["blend", "adjust_hsv_in_yiq", "random_hsv_in_yiq"]

# RGB -> YIQ and YIQ -> RGB as the right-hand matrices of `pixels @ matrix` (pixels on the last axis), with the
# coefficients of https://beesbuzz.biz/code/hsv_color_transforms.php that TensorFlow Addons uses.
_RGB_TO_YIQ = np.array([[0.299, 0.596, 0.211], [0.587, -0.274, -0.523], [0.114, -0.322, 0.312]])
_YIQ_TO_RGB = np.array([[1.0, 1.0, 1.0], [0.95617069, -0.2726886, -1.103744], [0.62143257, -0.64681324, 1.70062309]])


def _scalar(name, value):
    """A real number or a scalar tensor, for the parameters that may also be traced (random draws)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    shape = getattr(value, "shape", None)
    if shape is None or tuple(shape) != ():
        args.invalid(name, value, "a real number or a scalar tensor")
    return value


def blend(image1, image2, factor):
    """Blend two images: `image1 + factor * (image2 - image1)`, rounded to whole pixel values.

    The images are cast to float32. `factor = 0` gives `image1` and `factor = 1` gives `image2` (their values,
    not rounded); a factor strictly between 0 and 1 interpolates and rounds (half to even); any other factor
    extrapolates, and the result is clipped to [0, 255] before rounding. This is TensorFlow Addons'
    `tfa.image.blend`, meant for images with values in [0, 255].

    Intended difference: the result is always float32; Addons returned `image1` or `image2` unchanged (in their
    own dtype) for a factor of exactly 0 or 1 and float32 otherwise. `factor` may be a scalar tensor (Addons
    needed a Python number to choose between interpolation and extrapolation), so `blend` works under `jit`.

    Args:
        image1: an image tensor of any shape (for example `(height, width, channels)`), any real dtype.
        image2: an image tensor of the same shape (or one that broadcasts against `image1`).
        factor: a real number or a scalar tensor, the weight of `image2`.

    Returns:
        A float32 tensor of the broadcast shape of the images.

    Example:

    >>> a = np.array([[0, 100, 200]], dtype="uint8")
    >>> b = np.array([[255, 50, 250]], dtype="uint8")
    >>> keras.ops.convert_to_numpy(keras_dlx.ops.image.blend(a, b, 0.3))
    array([[ 76.,  85., 215.]], dtype=float32)
    >>> keras.ops.convert_to_numpy(keras_dlx.ops.image.blend(a, b, 1.5))
    array([[255.,  25., 255.]], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.blend`](https://github.com/tensorflow/addons)
    """
    factor = ops.cast(_scalar("factor", factor), "float32")
    first = ops.cast(ops.convert_to_tensor(image1), "float32")
    second = ops.cast(ops.convert_to_tensor(image2), "float32")
    mixed = first + factor * (second - first)
    interpolating = ops.logical_and(factor > 0, factor < 1)
    mixed = ops.round(ops.where(interpolating, mixed, ops.clip(mixed, 0.0, 255.0)))
    return ops.where(factor == 0, first, ops.where(factor == 1, second, mixed))


def _integer_range(dtype):
    info = np.iinfo(dtype)
    return float(info.min), float(info.max)


def _yiq_matrix(delta_hue, scale_saturation, scale_value, dtype):
    """The 3x3 matrix `M` with `rgb_out = rgb_in @ M`: to YIQ, rotate (I, Q) by the hue and scale by the
    saturation, scale (Y, I, Q) by the value, back to RGB. Python numbers give a float64 NumPy matrix (exact for
    float64 images); tensors (random draws), a float32 one."""
    params = (delta_hue, scale_saturation, scale_value)
    if all(isinstance(v, numbers.Real) for v in params):
        hue, saturation, value = (float(v) for v in params)
        u, w = value * saturation * np.cos(hue), value * saturation * np.sin(hue)
        hsv = np.array([[value, 0.0, 0.0], [0.0, u, w], [0.0, -w, u]])
        return ops.convert_to_tensor((_RGB_TO_YIQ @ hsv @ _YIQ_TO_RGB).astype(dtype))
    hue, saturation, value = (ops.cast(v, "float32") for v in params)
    u = value * saturation * ops.cos(hue)
    w = value * saturation * ops.sin(hue)
    zero = ops.zeros((), "float32")
    hsv = ops.reshape(ops.stack([value, zero, zero, zero, u, w, zero, -w, u]), (3, 3))
    matrix = ops.matmul(ops.matmul(ops.convert_to_tensor(_RGB_TO_YIQ.astype("float32")), hsv),
                        ops.convert_to_tensor(_YIQ_TO_RGB.astype("float32")))
    return ops.cast(matrix, dtype)


def _check_rgb(image):
    image = ops.convert_to_tensor(image)
    if len(image.shape) < 3 or image.shape[-1] != 3:
        raise ValueError("Invalid `image`: expected a tensor of rank >= 3 whose last axis (RGB) has size 3. "
                         f"Received: image with shape {tuple(image.shape)}")
    return image


def adjust_hsv_in_yiq(image, delta_hue=0, scale_saturation=1, scale_value=1):
    """Adjust the hue, saturation and value of RGB images in the YIQ colour space.

    Each pixel goes to YIQ (luma Y, chrominance I and Q), its chrominance is rotated around the Y axis by
    `delta_hue` radians and multiplied by `scale_saturation`, all three channels are multiplied by
    `scale_value`, and it goes back to RGB: one 3x3 matrix per call. Integer images are converted to float32 in
    [0, 1] first (divided by the dtype's maximum) and back after, as `tf.image.convert_image_dtype` does:
    multiplied by `max + 0.5`, clipped to the dtype's range and truncated. This is TensorFlow Addons'
    `tfa.image.adjust_hsv_in_yiq`; float16 and bfloat16 images are computed in float32.

    Intended differences: Python-number parameters build the matrix in float64 (Addons rounded them to float32
    first, which shows on float64 images, ~1e-7); tensor parameters build it in float32. Integer results out of
    the dtype's range saturate (Addons' cast left them undefined: some wrapped around).

    Args:
        image: RGB images, a tensor of rank >= 3 whose last axis has size 3 (for example
            `(batch, height, width, 3)`).
        delta_hue: a real number or a scalar tensor, the hue rotation in radians.
        scale_saturation: a real number or a scalar tensor, the factor of the saturation (chrominance).
        scale_value: a real number or a scalar tensor, the factor of the value (all of Y, I, Q).

    Returns:
        A tensor of the shape and dtype of `image`.

    Example:

    >>> image = np.array([[[0.9, 0.2, 0.1], [0.5, 0.5, 0.5]]], dtype="float32")
    >>> out = keras_dlx.ops.image.adjust_hsv_in_yiq(image, delta_hue=np.pi, scale_saturation=0.5)
    >>> np.round(keras.ops.convert_to_numpy(out), 3)
    array([[[0.147, 0.497, 0.547],
            [0.5  , 0.5  , 0.5  ]]], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.adjust_hsv_in_yiq`](https://github.com/tensorflow/addons)
    """
    image = _check_rgb(image)
    for name, value in (("delta_hue", delta_hue), ("scale_saturation", scale_saturation),
                        ("scale_value", scale_value)):
        _scalar(name, value)
    dtype = dtype_of(image)
    compute = dtype if dtype in ("float32", "float64") else "float32"
    if is_float(dtype):
        x = ops.cast(image, compute)
    else:
        low, high = _integer_range(dtype)
        x = ops.cast(image, compute) * np.asarray(1.0 / high, compute)
    matrix = _yiq_matrix(delta_hue, scale_saturation, scale_value, compute)
    # pixels @ matrix, as three broadcast products (Keras's PyTorch matmul computes float64 in float32).
    y = x[..., 0:1] * matrix[0] + x[..., 1:2] * matrix[1] + x[..., 2:3] * matrix[2]
    if is_float(dtype):
        return ops.cast(y, dtype)
    y = ops.clip(y * np.asarray(high + 0.5, compute), low, high)
    return ops.cast(y, dtype)


def random_hsv_in_yiq(image, max_delta_hue=0, lower_saturation=1, upper_saturation=1, lower_value=1,
                      upper_value=1, seed=None):
    """Adjust the hue, saturation and value of RGB images in YIQ by amounts drawn at random.

    `adjust_hsv_in_yiq` with `delta_hue ~ U[-max_delta_hue, max_delta_hue)`,
    `scale_saturation ~ U[lower_saturation, upper_saturation)` and `scale_value ~ U[lower_value, upper_value)`,
    drawn once per call (the same for every image of a batch), as TensorFlow Addons'
    `tfa.image.random_hsv_in_yiq` does. A range of zero width is used as it is, without drawing.

    Intended difference: the draws come from `keras.random`, so for a given `seed` they differ from Addons'
    (their distribution is the same). Under `jit`, pass a `keras.random.SeedGenerator` as `seed`.

    Args:
        image: RGB images, a tensor of rank >= 3 whose last axis has size 3.
        max_delta_hue: a number >= 0, the largest hue rotation in radians.
        lower_saturation: a number >= 0, the smallest saturation factor.
        upper_saturation: a number >= `lower_saturation`, the largest saturation factor.
        lower_value: a number >= 0, the smallest value factor.
        upper_value: a number >= `lower_value`, the largest value factor.
        seed: None, an integer or a `keras.random.SeedGenerator`.

    Returns:
        A tensor of the shape and dtype of `image`.

    Example:

    >>> image = np.full((2, 2, 3), 0.5, dtype="float32")
    >>> out = keras_dlx.ops.image.random_hsv_in_yiq(image, 0.5, 0.8, 1.2, 0.9, 0.9, seed=1)
    >>> np.round(keras.ops.convert_to_numpy(out)[0, 0], 4)  # grey stays grey; the value scales it by 0.9
    array([0.45, 0.45, 0.45], dtype=float32)

    Reference:
        - [TensorFlow Addons 0.23, `tfa.image.random_hsv_in_yiq`](https://github.com/tensorflow/addons)
    """
    max_delta_hue = args.non_negative_float("max_delta_hue", max_delta_hue)
    lower_saturation = args.non_negative_float("lower_saturation", lower_saturation)
    lower_value = args.non_negative_float("lower_value", lower_value)
    for name, value, lower in (("upper_saturation", upper_saturation, lower_saturation),
                               ("upper_value", upper_value, lower_value)):
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= lower:
            args.invalid(name, value, f"a number >= the lower bound {lower}")
    if not (seed is None or isinstance(seed, keras.random.SeedGenerator)):
        args.seed(seed)
    image = _check_rgb(image)
    lows = (-max_delta_hue, lower_saturation, lower_value)
    highs = (max_delta_hue, float(upper_saturation), float(upper_value))
    if lows == highs:
        return adjust_hsv_in_yiq(image, *lows)
    u = keras.random.uniform((3,), dtype="float32", seed=seed)
    drawn = [low if low == high else low + (high - low) * u[i] for i, (low, high) in enumerate(zip(lows, highs))]
    return adjust_hsv_in_yiq(image, *drawn)
