"""Tile a batch of images into one picture (NumPy only), e.g. the samples of a generative model.

`image_grid(images, rows, cols)` returns a uint8 array that `keras_dlx.utils.drawing.save_png` writes as a PNG
and `tf.summary.image` logs; `save_image_grid` does both steps for a file.
"""

import math

import numpy as np

from keras_dlx.utils.drawing import save_png

__all__ = ["grid_shape", "image_grid", "save_image_grid"]

DATA_FORMATS = ("channels_last", "channels_first")


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Invalid `{name}`: expected a positive integer. Received: {name}={value!r}")
    return int(value)


def _non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"Invalid `{name}`: expected an integer >= 0. Received: {name}={value!r}")
    return int(value)


def grid_shape(count, rows=None, cols=None):
    """`(rows, cols)` of a grid for `count` images: as given, or the missing one(s) chosen to hold them all.

    Neither given: the squarest grid, `cols = ceil(sqrt(count))`. One given: the other is the fewest that hold
    `count`. Both given: they must hold `count`.
    """
    count = _positive_int("count", count)
    if rows is None and cols is None:
        cols = math.ceil(math.sqrt(count))
    if cols is not None:
        cols = _positive_int("cols", cols)
    if rows is not None:
        rows = _positive_int("rows", rows)
    if rows is None:
        rows = -(-count // cols)
    if cols is None:
        cols = -(-count // rows)
    if rows * cols < count:
        raise ValueError(f"Invalid `rows`/`cols`: expected a grid holding the {count} images. Received: "
                         f"rows={rows}, cols={cols}")
    return rows, cols


def _to_uint8(images, value_range):
    low, high = (float(v) for v in value_range)
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise ValueError(f"Invalid `value_range`: expected (low, high), finite, low < high. Received: "
                         f"value_range={value_range!r}")
    scaled = (np.nan_to_num(images.astype("float32")) - low) / (high - low)
    return np.round(np.clip(scaled, 0.0, 1.0) * 255.0).astype("uint8")


def image_grid(images, rows=None, cols=None, value_range=(0.0, 1.0), padding=2, pad_value=128,
               data_format="channels_last", scale=1):
    """Tile `images` row by row into one uint8 picture, `padding` pixels of `pad_value` between cells.

    Float images are mapped from `value_range` to 0..255 (values outside are clipped, NaN becomes 0 before
    scaling); uint8 images are kept as they are. Cells past the last image are left at `pad_value`. Grey
    images give a `(H, W, 1)` picture, RGB ones `(H, W, 3)`, where

        H = rows * (rows_of_an_image * scale) + (rows - 1) * padding, and W alike with the columns.

    Args:
        images: `(batch, rows, cols, channels)` (channels 1 or 3; `(batch, channels, rows, cols)` with
            `data_format="channels_first"`), or `(batch, rows, cols)` grey.
        rows, cols: the grid's size; see `grid_shape` for the ones left None.
        value_range: `(low, high)` of float images, e.g. `(-1, 1)` for a tanh generator. Defaults to (0, 1).
        padding: integer >= 0, pixels between cells. Defaults to 2.
        pad_value: 0..255, the grey level between cells and in blank ones. Defaults to 128 (mid grey, which
            sets the cells apart on dark and on light images alike).
        data_format: "channels_last" (default) or "channels_first".
        scale: positive integer, each image enlarged this many times (nearest neighbour). Defaults to 1.

    Returns:
        A uint8 array `(H, W, channels)`.

    Example:

    >>> from keras_dlx.utils.image_grid import image_grid
    >>> images = np.linspace(-1, 1, 6 * 4 * 5).reshape(6, 4, 5, 1)
    >>> picture = image_grid(images, cols=3, value_range=(-1, 1), padding=1)
    >>> picture.shape, picture.dtype   # 2 rows of 4 pixels + 1, 3 columns of 5 pixels + 2
    ((9, 17, 1), dtype('uint8'))
    >>> int(picture[0, 0, 0]), int(picture[-1, -1, 0])   # the first pixel is -1, the last one +1
    (0, 255)
    """
    images = np.asarray(images)
    if data_format not in DATA_FORMATS:
        raise ValueError(f"Invalid `data_format`: expected one of {', '.join(DATA_FORMATS)}. Received: "
                         f"data_format={data_format!r}")
    if images.ndim == 3:
        images = images[..., None] if data_format == "channels_last" else images[:, None]
    if images.ndim == 4 and data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or 0 in images.shape:
        raise ValueError(f"Invalid `images`: expected a non-empty batch (batch, rows, cols, 1 or 3) ({data_format})."
                         f" Received: shape={images.shape}")
    padding = _non_negative_int("padding", padding)
    scale = _positive_int("scale", scale)
    if isinstance(pad_value, bool) or not isinstance(pad_value, (int, np.integer)) or not 0 <= pad_value <= 255:
        raise ValueError(f"Invalid `pad_value`: expected an integer from 0 to 255. Received: pad_value={pad_value!r}")
    pixels = images if images.dtype == np.uint8 else _to_uint8(images, value_range)
    if scale > 1:
        pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    batch, height, width, channels = pixels.shape
    rows, cols = grid_shape(batch, rows, cols)
    grid = np.full((rows * (height + padding) - padding, cols * (width + padding) - padding, channels), pad_value,
                   "uint8")
    for i in range(batch):
        top, left = (i // cols) * (height + padding), (i % cols) * (width + padding)
        grid[top:top + height, left:left + width] = pixels[i]
    return grid


def save_image_grid(images, path, **kwargs):
    """`image_grid(images, **kwargs)` written to `path` as a PNG; returns the picture."""
    picture = image_grid(images, **kwargs)
    save_png(picture, path)
    return picture
