"""Digit detection: canvases holding a few real MNIST digits, with a tight box and a class for each."""

import numpy as np

from keras_dlx.utils import arguments as args

__all__ = ["load_digit_detection"]

_DIGIT = 28
_TRIES = 50  # placement attempts per digit before it is left out


def _resize_matrix(size):
    """(size, 28) bilinear interpolation weights (half-pixel centres, as `keras.ops.image.resize`)."""
    source = (np.arange(size) + 0.5) * _DIGIT / size - 0.5
    source = np.clip(source, 0, _DIGIT - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, _DIGIT - 1)
    frac = source - low
    weights = np.zeros((size, _DIGIT))
    weights[np.arange(size), low] += 1 - frac
    weights[np.arange(size), high] += frac
    return weights


def _resized_digits(digits, sizes):
    """Each digit (n, 28, 28) resized to its own square size, as a list of float32 arrays."""
    out = [None] * len(digits)
    for size in np.unique(sizes):
        index = np.flatnonzero(sizes == size)
        weights = _resize_matrix(size)
        resized = weights @ digits[index] @ weights.T
        for i, image in zip(index, np.clip(resized, 0, 1).astype("float32")):
            out[i] = image
    return out


def _ink_box(image, threshold):
    """Tight (x1, y1, x2, y2) of the pixels above `threshold`, pixel j covering [j, j + 1)."""
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], "float32")


def _canvases(digits, labels, count, image_size, max_digits, scale_range, ink_threshold, rng):
    counts = rng.integers(1, max_digits + 1, count)
    total = int(counts.sum())
    picks = rng.integers(0, len(digits), total)
    sizes = rng.integers(scale_range[0], scale_range[1] + 1, total)
    resized = _resized_digits(digits[picks], sizes)
    images = np.zeros((count, image_size, image_size), "float32")
    boxes = np.zeros((count, max_digits, 4), "float32")
    classes = np.full((count, max_digits), -1, "int32")
    k = 0
    for n in range(count):
        placed = 0
        for _ in range(counts[n]):
            digit, size = resized[k], sizes[k]
            label = labels[picks[k]]
            k += 1
            ink = _ink_box(digit, ink_threshold)
            for _ in range(_TRIES):
                x, y = rng.integers(0, image_size - size + 1, 2)
                box = ink + np.array([x, y, x, y], "float32")
                others = boxes[n, :placed]
                overlap = ((np.minimum(others[:, 2], box[2]) > np.maximum(others[:, 0], box[0]))
                           & (np.minimum(others[:, 3], box[3]) > np.maximum(others[:, 1], box[1])))
                if not overlap.any():
                    window = images[n, y:y + size, x:x + size]
                    np.maximum(window, digit, out=window)
                    boxes[n, placed] = box
                    classes[n, placed] = label
                    placed += 1
                    break
    return images[..., None], {"boxes": boxes, "classes": classes}


def load_digit_detection(image_size=96, max_digits=4, train_images=4000, test_images=1000, seed=0,
                         scale_range=(20, 40), ink_threshold=0.3):
    """Canvases of real MNIST digits with a box and a class per digit, for training detectors without a network.

    Each canvas (black, `image_size` square) holds 1 to `max_digits` digits (uniformly many), each one of
    `keras_dlx.data.load_mnist("embedded")`'s digits drawn at random, resized bilinearly to a random square side
    in `scale_range` (pixels) and pasted at a random position (pixel maximum where squares meet). Its box is tight
    around its ink: the pixels above `ink_threshold`, pixel `j` covering `[j, j + 1)`, so boxes are `xyxy` with
    integer coordinates in input-image pixels. The boxes of one canvas never overlap (pairwise intersection area
    0; they may touch): a digit tries 50 random positions and is left out (rarely, only on crowded canvases) when
    none is free, so a canvas can hold fewer digits than drawn. The class is the digit (0-9). Training canvases
    use the 4,000 training digits, test canvases the 1,000 held-out digits. Deterministic given `seed`.

    Args:
        image_size: side of the square canvases in pixels. Defaults to 96.
        max_digits: most digits per canvas, also the padded number of boxes per canvas. Defaults to 4.
        train_images: number of training canvases. Defaults to 4000.
        test_images: number of test canvases. Defaults to 1000.
        seed: integer seed of the generator. Defaults to 0.
        scale_range: (smallest, largest) side in pixels of a resized 28x28 digit. Defaults to (20, 40).
        ink_threshold: pixel value in [0, 1) above which a pixel counts as ink for the box. Defaults to 0.3.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: `x` float32 `(N, image_size, image_size, 1)` in [0, 1]; `y` a
        dict with `"boxes"` float32 `(N, max_digits, 4)` xyxy pixels and `"classes"` int32 `(N, max_digits)`, the
        digits first, then padding rows of class -1 and box zeros.

    Example:

    >>> (x, y), _ = keras_dlx.data.digit_detection.load_digit_detection(train_images=8, test_images=2)
    >>> tuple(x.shape), tuple(y["boxes"].shape), tuple(y["classes"].shape)
    ((8, 96, 96, 1), (8, 4, 4), (8, 4))
    """
    image_size = args.positive_int("image_size", image_size)
    max_digits = args.positive_int("max_digits", max_digits)
    train_images = args.positive_int("train_images", train_images)
    test_images = args.positive_int("test_images", test_images)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        args.invalid("seed", seed, "an integer")
    if (not isinstance(scale_range, (tuple, list)) or len(scale_range) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in scale_range)
            or not 1 <= scale_range[0] <= scale_range[1] <= image_size):
        args.invalid("scale_range", scale_range, f"two integers 1 <= smallest <= largest <= image_size "
                                                 f"({image_size})")
    ink_threshold = args.unit_interval("ink_threshold", ink_threshold)

    from keras_dlx.data.mnist import load_mnist

    (train_digits, train_labels), (test_digits, test_labels) = load_mnist("embedded")
    options = dict(image_size=image_size, max_digits=max_digits, scale_range=tuple(scale_range),
                   ink_threshold=ink_threshold)
    train = _canvases(train_digits[..., 0], train_labels, train_images,
                      rng=np.random.default_rng([seed, 0]), **options)
    test = _canvases(test_digits[..., 0], test_labels, test_images, rng=np.random.default_rng([seed, 1]),
                     **options)
    return train, test
