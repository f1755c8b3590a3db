"""`keras_dlx.utils.image_grid` (tiling, against a loop written out here) and the `SampleGrid` callback (a PNG per
epoch, decoded back; a TensorBoard image; a model's `generate` with fixed codes; conditional labels)."""

import glob
import os

import keras
import numpy as np
import pytest

from keras_dlx.callbacks.sample_grid import SampleGrid
from keras_dlx.utils.image_grid import grid_shape, image_grid, save_image_grid


def reference_grid(images, rows, cols, low, high, padding, pad_value):
    """The grid pixel by pixel, as the docstring defines it."""
    batch, h, w, c = images.shape
    out = np.full((rows * h + (rows - 1) * padding, cols * w + (cols - 1) * padding, c), pad_value, "uint8")
    for i in range(batch):
        r, q = divmod(i, cols)
        for y in range(h):
            for x in range(w):
                for k in range(c):
                    v = min(max((float(images[i, y, x, k]) - low) / (high - low), 0.0), 1.0)
                    out[r * (h + padding) + y, q * (w + padding) + x, k] = int(np.round(v * 255))
    return out


@pytest.mark.parametrize("batch, rows, cols, channels, value_range, padding, pad_value", [
    (6, None, 3, 1, (-1.0, 1.0), 1, 0),
    (5, 2, 3, 3, (0.0, 1.0), 2, 128),  # a blank last cell
    (4, None, None, 1, (0.0, 2.0), 0, 255),
])
def test_image_grid_matches_the_loop(batch, rows, cols, channels, value_range, padding, pad_value):
    images = np.random.default_rng(batch).uniform(-1.5, 2.5, (batch, 3, 4, channels)).astype("float32")
    picture = image_grid(images, rows, cols, value_range=value_range, padding=padding, pad_value=pad_value)
    r, c = grid_shape(batch, rows, cols)
    np.testing.assert_array_equal(picture, reference_grid(images, r, c, *value_range, padding, pad_value))


def test_image_grid_layouts_uint8_channels_first_and_scale():
    images = np.arange(2 * 2 * 3, dtype="uint8").reshape(2, 2, 3, 1) * 10
    picture = image_grid(images, padding=0)
    np.testing.assert_array_equal(picture[:, :3, 0], images[0, :, :, 0])  # uint8 is kept as it is
    first = np.transpose(images, (0, 3, 1, 2))
    np.testing.assert_array_equal(image_grid(first, padding=0, data_format="channels_first"), picture)
    enlarged = image_grid(images[..., 0], cols=1, padding=0, scale=2)  # (batch, rows, cols) grey
    assert enlarged.shape == (8, 6, 1) and (enlarged[:2, :2, 0] == images[0, 0, 0, 0]).all()
    assert grid_shape(10) == (3, 4) and grid_shape(10, rows=2) == (2, 5) and grid_shape(7, cols=7) == (1, 7)


@pytest.mark.parametrize("kwargs, message", [
    (dict(images=np.zeros((2, 4, 4, 2))), "Invalid `images`"),
    (dict(images=np.zeros((0, 4, 4, 1))), "Invalid `images`"),
    (dict(rows=1, cols=1), "Invalid `rows`/`cols`: expected a grid holding the 2 images"),
    (dict(value_range=(1, 1)), "Invalid `value_range`"),
    (dict(padding=-1), "Invalid `padding`"),
    (dict(pad_value=256), "Invalid `pad_value`"),
    (dict(scale=0), "Invalid `scale`"),
    (dict(data_format="nhwc"), "Invalid `data_format`"),
])
def test_image_grid_rejects_bad_arguments(kwargs, message):
    kwargs = {"images": np.zeros((2, 4, 4, 1)), **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        image_grid(**kwargs)


def read_png(path):
    import matplotlib.image

    picture = matplotlib.image.imread(path)  # floats in [0, 1]; grey PNGs come back 2-D
    return np.round(np.asarray(picture) * 255).astype("uint8").reshape(picture.shape[0], picture.shape[1], -1)


def test_save_image_grid_writes_the_png_it_returns(tmp_path):
    images = np.random.default_rng(0).uniform(size=(3, 5, 6, 3)).astype("float32")
    picture = save_image_grid(images, tmp_path / "g.png", cols=2)
    np.testing.assert_array_equal(read_png(tmp_path / "g.png"), picture)
    assert picture.shape == (12, 14, 3)


def tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def fit(model, callbacks, epochs):
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=epochs, verbose=0, callbacks=callbacks)


def test_a_png_per_epoch_of_a_generating_function_with_labels(tmp_path):
    calls = []

    def generate(n, labels):
        calls.append((n, labels.tolist()))
        return np.broadcast_to(labels[:, None, None, None] / 9.0, (n, 4, 5, 1))

    labels = np.repeat(np.arange(3), 2)
    grid = SampleGrid(generate, str(tmp_path / "s" / "e{epoch:02d}.png"), labels=labels, every=2)
    assert (grid.rows, grid.cols) == (1, 6)  # up to 10 labels per row
    fit(tiny_model(), [grid], epochs=5)
    assert sorted(os.listdir(tmp_path / "s")) == ["e02.png", "e04.png"]
    assert calls == [(6, labels.tolist())] * 2
    picture = read_png(tmp_path / "s" / "e04.png")
    np.testing.assert_array_equal(picture, grid.last_grid)
    assert picture.shape == (4, 6 * 5 + 5 * 2, 1)
    assert [int(picture[0, i * 7, 0]) for i in range(6)] == [int(np.round(k / 9 * 255)) for k in labels]


class Generative(keras.Model):
    """A stand-in for a VAE or GAN: `generate(n, seed)` draws images from its one weight and the seed."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def generate(self, n, seed=None):
        noise = keras.random.uniform((n, 6, 6, 1), seed=seed)
        return noise * 2.0 - 1.0 + 0.0 * self.dense.kernel[0, 0]


@pytest.mark.tensorflow_only  # tf.summary
def test_the_trained_model_generates_fixed_samples_logged_to_tensorboard(tmp_path):
    import tensorflow as tf

    model = Generative()
    model.compile("sgd", "mse")
    grid = SampleGrid(path=str(tmp_path / "latest.png"), rows=2, cols=3, value_range=(-1, 1), seed=7,
                      log_dir=str(tmp_path / "logs"), scale=2)
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[grid])
    assert sorted(os.listdir(tmp_path)) == ["latest.png", "logs"]
    assert grid.last_grid.shape == (2 * 12 + 2, 3 * 12 + 4, 1)
    np.testing.assert_array_equal(grid.make_grid(), grid.last_grid)  # the same codes every time
    expected = image_grid(keras.ops.convert_to_numpy(model.generate(6, seed=7)), 2, 3, value_range=(-1, 1), scale=2)
    np.testing.assert_array_equal(read_png(tmp_path / "latest.png"), expected)
    steps = []
    for path in glob.glob(str(tmp_path / "logs" / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == "samples":
                    steps.append(event.step)
                    width, height, png = value.tensor.string_val
                    assert (int(height), int(width)) == expected.shape[:2]
                    decoded = tf.io.decode_png(png).numpy()
                    np.testing.assert_array_equal(decoded, expected)
    assert steps == [0, 1]


@pytest.mark.parametrize("kwargs, message", [
    (dict(path="grid.jpg"), r"Invalid `path` for SampleGrid.*: expected a \.png path"),
    (dict(path="{step}.png"), "Invalid `path`"),
    (dict(generator=3), "Invalid `generator`"),
    (dict(labels=[0, 1, 2], rows=1, cols=2), r"Invalid `labels`.*: expected at most rows \* cols = 2 labels"),
    (dict(labels=[[0, 1]]), "Invalid `labels`"),
    (dict(value_range=(1, -1)), "Invalid `value_range`"),
    (dict(rows=0), "Invalid `rows`"),
    (dict(every=0), "Invalid `every`"),
])
def test_sample_grid_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SampleGrid(**kwargs)


def test_sample_grid_config_round_trip():
    grid = SampleGrid(path="a/{epoch}.png", rows=2, cols=5, labels=[1, 2, 3], every=3, seed=4, tag="digits")
    again = SampleGrid.from_config(grid.get_config())
    assert again.get_config() == grid.get_config() and again.labels.tolist() == [1, 2, 3]
