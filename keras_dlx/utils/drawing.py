"""Pictures of detections without plotting libraries: a grid of images with coloured boxes and class numbers.

`draw_detections(images, boxes, classes, ...)` returns a uint8 RGB array (NumPy only); `save_png(array, path)`
writes it as a PNG with `zlib` and `struct` from the standard library, so neither needs matplotlib or Pillow.
Boxes are the library's padded format (`[x1, y1, x2, y2]` input-image pixels, class -1 marking padding), as
`Detector.predict` returns them and `keras_dlx.data.load("digit_detection")` gives the ground truth.
"""

import struct
import zlib

import numpy as np

__all__ = ["CLASS_COLORS", "draw_detections", "save_png"]

# Ten distinct colours (class k uses CLASS_COLORS[k % 10]); bright enough to read on black canvases.
CLASS_COLORS = np.array([
    [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212]], "uint8")
_GAP = 2  # pixels between grid cells
_GAP_COLOR = 64

# A 3x5 bitmap font of the digits: five rows of three bits each, most significant bit on the left.
_FONT = {
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 7, 1, 7), "4": (5, 5, 7, 1, 1),
    "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 1, 1, 1), "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7),
}


def _glyphs(text):
    """The bitmap (5, 4 * len(text) - 1) of `text` (digits), True where ink."""
    columns = []
    for i, char in enumerate(text):
        rows = _FONT[char]
        glyph = np.array([[(row >> (2 - c)) & 1 for c in range(3)] for row in rows], bool)
        if i:
            columns.append(np.zeros((5, 1), bool))
        columns.append(glyph)
    return np.concatenate(columns, axis=1)


def _as_rgb(images):
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"Invalid `images`: expected shape (batch, rows, cols, 1 or 3), channels last. Received: "
                         f"shape={images.shape}")
    if images.dtype == np.uint8:
        rgb = images
    else:
        rgb = np.round(np.clip(np.nan_to_num(images.astype("float32")), 0.0, 1.0) * 255).astype("uint8")
    return np.repeat(rgb, 3, axis=-1) if rgb.shape[-1] == 1 else rgb


def _check_detections(batch, boxes, classes, scores, num_detections):
    boxes, classes = np.asarray(boxes, "float32"), np.asarray(classes)
    if boxes.ndim != 3 or boxes.shape[0] != batch or boxes.shape[-1] != 4:
        raise ValueError(f"Invalid `boxes`: expected shape ({batch}, max_boxes, 4), xyxy pixels. Received: "
                         f"shape={boxes.shape}")
    if classes.shape != boxes.shape[:2]:
        raise ValueError(f"Invalid `classes`: expected shape {boxes.shape[:2]} (one per box). Received: "
                         f"shape={classes.shape}")
    if scores is not None:
        scores = np.asarray(scores, "float32")
        if scores.shape != boxes.shape[:2]:
            raise ValueError(f"Invalid `scores`: expected None or shape {boxes.shape[:2]}. Received: "
                             f"shape={scores.shape}")
    if num_detections is not None:
        num_detections = np.asarray(num_detections)
        if num_detections.shape != (batch,):
            raise ValueError(f"Invalid `num_detections`: expected None or shape ({batch},). Received: "
                             f"shape={num_detections.shape}")
    return boxes, classes.astype("int64"), scores, num_detections


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Invalid `{name}`: expected a positive integer. Received: {name}={value!r}")
    return int(value)


def _outline(canvas, box, color, width):
    """A rectangle outline `width` pixels thick, inside `box` (integer pixels), clipped to the canvas."""
    rows, cols = canvas.shape[:2]
    x1, y1, x2, y2 = box
    x1, x2 = max(x1, 0), min(x2, cols)
    y1, y2 = max(y1, 0), min(y2, rows)
    if x2 <= x1 or y2 <= y1:
        return
    canvas[y1:min(y1 + width, y2), x1:x2] = color
    canvas[max(y2 - width, y1):y2, x1:x2] = color
    canvas[y1:y2, x1:min(x1 + width, x2)] = color
    canvas[y1:y2, max(x2 - width, x1):x2] = color


def _label(canvas, text, x, y, color, size):
    """`text` in black on a tag of `color`, its top-left corner at (x, y), clipped to the canvas."""
    ink = np.kron(_glyphs(text), np.ones((size, size), bool))
    tag = np.empty(ink.shape + (3,), "uint8")
    tag[:] = color
    tag[ink] = 0
    tag = np.pad(tag, ((size, size), (size, size), (0, 0)), constant_values=0)
    tag[:size, :] = tag[-size:, :] = color
    tag[:, :size] = tag[:, -size:] = color
    rows, cols = canvas.shape[:2]
    x, y = min(max(x, 0), max(cols - tag.shape[1], 0)), min(max(y, 0), max(rows - tag.shape[0], 0))
    h, w = min(tag.shape[0], rows - y), min(tag.shape[1], cols - x)
    canvas[y:y + h, x:x + w] = tag[:h, :w]


def _draw_one(image, boxes, classes, scale, width, font):
    canvas = np.kron(image, np.ones((scale, scale, 1), "uint8")) if scale > 1 else image.copy()
    pixel_boxes = np.round(np.nan_to_num(boxes) * scale).astype("int64")
    rows, cols = canvas.shape[:2]
    # Boxes wholly outside the image draw nothing (their tag would otherwise be pushed into it).
    visible = ((pixel_boxes[:, 2] > np.maximum(pixel_boxes[:, 0], 0)) & (pixel_boxes[:, 0] < cols)
               & (pixel_boxes[:, 3] > np.maximum(pixel_boxes[:, 1], 0)) & (pixel_boxes[:, 1] < rows))
    pixel_boxes, classes = pixel_boxes[visible], classes[visible]
    for box, label in zip(pixel_boxes, classes):
        _outline(canvas, box, CLASS_COLORS[label % len(CLASS_COLORS)], width)
    for box, label in zip(pixel_boxes, classes):  # tags over every outline, so none hides another's number
        tag_height = 7 * font
        above = box[1] - tag_height
        _label(canvas, str(label), box[0], above if above >= 0 else box[1], CLASS_COLORS[label % len(CLASS_COLORS)],
               font)
    return canvas


def draw_detections(images, boxes, classes, scores=None, num_detections=None, score_threshold=0.0, columns=None,
                    scale=2, line_width=None, font_size=None):
    """A grid of `images` with each detection's box outlined in its class's colour and its class number written.

    The images (channels last, floats in [0, 1] or uint8, grey or RGB) are enlarged `scale` times (nearest
    neighbour) and laid out row by row, `columns` per row, 2 grey pixels apart. A box is drawn when its class is
    >= 0 (-1 marks padding), it is among the first `num_detections[i]` of its image (when given) and its score is
    at least `score_threshold` (when `scores` are given). Class `k` has colour `CLASS_COLORS[k % 10]`: the
    outline, `line_width` pixels thick inside the box, and a tag above its top-left corner (inside the box when
    there is no room above) with the class number in black, in a 3x5 bitmap font enlarged `font_size` times.

    Args:
        images: `(batch, rows, cols, channels)`, channels 1 or 3.
        boxes: `(batch, max_boxes, 4)` xyxy, pixels of the input images.
        classes: `(batch, max_boxes)` integers, -1 for padding.
        scores: None or `(batch, max_boxes)`.
        num_detections: None or `(batch,)`: boxes after the first `num_detections[i]` are padding.
        score_threshold: the lowest score drawn (with `scores`). Defaults to 0.
        columns: images per row of the grid; None: `min(batch, 8)`.
        scale: positive integer enlargement of the images. Defaults to 2.
        line_width: outline thickness in pixels of the result; None: `scale`.
        font_size: positive integer enlargement of the 3x5 font; None: `max(scale // 2, 1)`.

    Returns:
        A uint8 array `(grid_rows, grid_cols, 3)`.

    Example:

    >>> from keras_dlx.utils import drawing
    >>> images = np.zeros((2, 32, 32, 1), "float32")
    >>> boxes = np.array([[[4, 4, 20, 20], [0, 0, 0, 0]], [[10, 8, 30, 28], [2, 2, 9, 9]]], "float32")
    >>> classes = np.array([[3, -1], [7, 1]])
    >>> picture = drawing.draw_detections(images, boxes, classes, scale=2, columns=2)
    >>> picture.shape, picture.dtype
    ((64, 130, 3), dtype('uint8'))
    >>> bool((picture[39, 8:40] == drawing.CLASS_COLORS[3]).all())   # the bottom edge of the class-3 box
    True
    """
    rgb = _as_rgb(images)
    batch, rows, cols = rgb.shape[:3]
    boxes, classes, scores, num_detections = _check_detections(batch, boxes, classes, scores, num_detections)
    scale = _positive_int("scale", scale)
    columns = _positive_int("columns", min(batch, 8) if columns is None else columns)
    width = _positive_int("line_width", scale if line_width is None else line_width)
    font = _positive_int("font_size", max(scale // 2, 1) if font_size is None else font_size)
    if batch == 0:
        raise ValueError("Invalid `images`: expected at least one image. Received: shape=" + str(rgb.shape))
    keep = classes >= 0
    if num_detections is not None:
        keep &= np.arange(classes.shape[1])[None] < num_detections[:, None]
    if scores is not None:
        keep &= scores >= float(score_threshold)
    grid_rows = -(-batch // columns)
    cell_h, cell_w = rows * scale, cols * scale
    grid = np.full((grid_rows * (cell_h + _GAP) - _GAP, min(columns, batch) * (cell_w + _GAP) - _GAP, 3),
                   _GAP_COLOR, "uint8")
    for i in range(batch):
        top, left = (i // columns) * (cell_h + _GAP), (i % columns) * (cell_w + _GAP)
        grid[top:top + cell_h, left:left + cell_w] = _draw_one(rgb[i], boxes[i][keep[i]], classes[i][keep[i]],
                                                               scale, width, font)
    return grid


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def save_png(array, path):
    """Write a uint8 image, `(rows, cols)` grey, `(rows, cols, 3)` RGB or `(rows, cols, 4)` RGBA, as a PNG file.

    8 bits per channel, no filtering, zlib level 6: readable by any PNG reader (matplotlib, Pillow, browsers).

    Args:
        array: uint8 array (other integer dtypes with values in 0..255 are accepted).
        path: the file to write.
    """
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4) or 0 in array.shape:
        raise ValueError(f"Invalid `array`: expected a non-empty (rows, cols), (rows, cols, 3) or (rows, cols, 4) "
                         f"image. Received: shape={array.shape}")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
            raise ValueError(f"Invalid `array`: expected uint8 values (integers 0 to 255). Received: "
                             f"dtype={array.dtype}")
        array = array.astype("uint8")
    rows, cols, channels = array.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", cols, rows, 8, color_type, 0, 0, 0)
    # Each scanline starts with its filter type, 0 (none).
    raw = np.concatenate([np.zeros((rows, 1), "uint8"), array.reshape(rows, cols * channels)], axis=1)
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + _chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)
