"""SampleGrid: a generative model's samples as one picture per epoch, in a PNG file and in TensorBoard."""

import logging
import math
import os

import keras
import numpy as np

from keras_dlx.utils import arguments as args
from keras_dlx.utils.drawing import save_png
from keras_dlx.utils.image_grid import image_grid
from keras_dlx.utils.registration import register

__all__ = ["SampleGrid"]

logger = logging.getLogger("keras_dlx")


@register
class SampleGrid(keras.callbacks.Callback):
    """Write a grid of generated samples at the end of every `every`-th epoch: a PNG file, and a TensorBoard
    image when `log_dir` is given.

    The samples come from `generator`: a function `fn(n)` (or `fn(n, labels)` with `labels`) returning `n`
    images, or a model with a `generate(n, seed=..., labels=...)` method (`keras_dlx.applications.VAE`,
    `GAN`), or None for the model being trained. A model's `generate` is called with the same `seed` every
    time, so the grids of successive epochs show the same latent codes as training moves them. The images are
    mapped from `value_range` to 0..255 (clipped) and tiled `rows x cols` (`keras_dlx.utils.image_grid`), laid
    out in the model's `keras.config.image_data_format()`.

    The PNG goes to `path.format(epoch=epoch)`, the epoch counted from 1 as in `keras.callbacks.ModelCheckpoint`
    (a `path` without `{epoch}` is overwritten each time: the latest grid); its directory is created. With
    `log_dir`, the grid is logged as the image `tag` through `tf.summary` in `log_dir` itself (beside the
    `train/` and `validation/` runs of `keras.callbacks.TensorBoard`), at the step that callback gives the
    epoch's scalars (counted from 0). That needs the TensorFlow backend; on JAX and PyTorch only the PNG is
    written (a warning says so once).

    Args:
        generator: a callable `fn(n[, labels])`, a model with `generate`, or None (the trained model).
        path: the PNG path, a `str.format` pattern that may use `{epoch}`, e.g. "samples/epoch_{epoch:03d}.png".
        rows, cols: the grid's size; `rows * cols` samples are drawn. Defaults to 8 x 8 (with `labels`: as
            many rows as needed for the labels, `cols` per row).
        labels: None, or integer class ids, one per sample, for a conditional model (`rows * cols` of them, or
            fewer: the rest of the grid stays blank). Defaults to None.
        value_range: `(low, high)` of the generated images: (0, 1) (default) for a VAE's means, (-1, 1) for a
            tanh generator.
        every: write every `every`-th epoch. Defaults to 1.
        log_dir: None, or a TensorBoard log directory. Defaults to None.
        seed: the integer seed handed to a model's `generate`. Defaults to 0.
        scale: positive integer enlargement of each sample (nearest neighbour). Defaults to 1.
        tag: the TensorBoard image's name. Defaults to "samples".

    Example:

    >>> import os, tempfile
    >>> from keras_dlx.callbacks.sample_grid import SampleGrid
    >>> def generate(n):   # a stand-in for a generator: n images in [0, 1]
    ...     return np.random.default_rng(0).uniform(size=(n, 28, 28, 1))
    >>> folder = tempfile.mkdtemp()
    >>> grid = SampleGrid(generate, os.path.join(folder, "epoch_{epoch}.png"), rows=2, cols=3)
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[grid])
    >>> sorted(os.listdir(folder)), grid.last_grid.shape   # 2 x 28 + 2 rows, 3 x 28 + 4 columns
    (['epoch_1.png', 'epoch_2.png'], (58, 88, 1))

    With a VAE or GAN, `SampleGrid(path=...)` draws from the trained model's `generate`.
    """

    def __init__(self, generator=None, path="samples/epoch_{epoch:03d}.png", rows=None, cols=None, labels=None,
                 value_range=(0.0, 1.0), every=1, log_dir=None, seed=0, scale=1, tag="samples"):
        super().__init__()
        if generator is not None and not callable(generator) and not hasattr(generator, "generate"):
            args.invalid("generator", generator, "None, a callable fn(n[, labels]) or a model with generate()")
        self.generator = generator
        self.path = self._check_path(path)
        self.labels = self._check_labels(labels)
        self.rows, self.cols = self._grid(rows, cols)
        self.value_range = self._check_range(value_range)
        self.every = args.positive_int("every", every)
        if log_dir is not None and not isinstance(log_dir, str):
            args.invalid("log_dir", log_dir, "None or a directory path")
        self.log_dir = log_dir
        self.seed = args.seed(seed)
        self.scale = args.positive_int("scale", scale)
        if not isinstance(tag, str) or not tag:
            args.invalid("tag", tag, "a non-empty string")
        self.tag = tag
        self.last_grid = None
        self._writer = None
        self._warned = False

    @staticmethod
    def _check_path(path):
        allowed = "a .png path, a str.format pattern that may use {epoch}"
        if not isinstance(path, str) or not path.lower().endswith(".png"):
            args.invalid("path", path, allowed)
        try:
            path.format(epoch=1)
        except (KeyError, IndexError, ValueError) as error:
            args.invalid("path", path, allowed, f"{type(error).__name__}: {error}")
        return path

    @staticmethod
    def _check_labels(labels):
        if labels is None:
            return None
        values = np.asarray(labels)
        if values.ndim != 1 or values.size == 0 or not np.issubdtype(values.dtype, np.integer) or values.min() < 0:
            args.invalid("labels", labels, "None or a non-empty 1-D sequence of class ids >= 0")
        return values.astype("int32")

    def _grid(self, rows, cols):
        if self.labels is None:
            return (args.positive_int("rows", 8 if rows is None else rows),
                    args.positive_int("cols", 8 if cols is None else cols))
        count = len(self.labels)
        rows = None if rows is None else args.positive_int("rows", rows)
        cols = None if cols is None else args.positive_int("cols", cols)
        if rows is None and cols is None:
            cols = min(count, 10)
        rows = -(-count // cols) if rows is None else rows
        cols = -(-count // rows) if cols is None else cols
        if rows * cols < count:
            args.invalid("labels", f"{count} labels", f"at most rows * cols = {rows * cols} labels")
        return rows, cols

    @staticmethod
    def _check_range(value_range):
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                           for v in value_range) or not value_range[0] < value_range[1]):
            args.invalid("value_range", value_range, "(low, high), finite numbers with low < high")
        return (float(value_range[0]), float(value_range[1]))

    @property
    def num_samples(self):
        return self.rows * self.cols if self.labels is None else len(self.labels)

    def generate(self):
        """The samples as a NumPy float32 array (batch, ...), from the generator or the trained model."""
        source = self.model if self.generator is None else self.generator
        n = self.num_samples
        if hasattr(source, "generate"):
            extra = {} if self.labels is None else {"labels": self.labels}
            images = source.generate(n, seed=self.seed, **extra)
        else:
            images = source(n) if self.labels is None else source(n, self.labels)
        return np.asarray(keras.ops.convert_to_numpy(images), "float32")

    def make_grid(self):
        """The current grid: a uint8 array (height, width, channels)."""
        return image_grid(self.generate(), self.rows, self.cols, value_range=self.value_range,
                          data_format=keras.config.image_data_format(), scale=self.scale)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        self.last_grid = self.make_grid()
        path = self.path.format(epoch=epoch + 1)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        save_png(self.last_grid, path)
        if self.log_dir is not None:
            self._log_image(self.last_grid, epoch)  # Keras's TensorBoard steps: epochs from 0

    def _log_image(self, grid, step):
        if keras.backend.backend() != "tensorflow":
            if not self._warned:
                logger.warning("keras_dlx: SampleGrid writes TensorBoard images with the TensorFlow backend only; "
                               "on %s only the PNG files are written.", keras.backend.backend())
                self._warned = True
            return
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            tf.summary.image(self.tag, grid[None], step=step)
        self._writer.flush()

    def get_config(self):
        # A generator other than the trained model (a function, another model) is not part of the config.
        return {"path": self.path, "rows": self.rows, "cols": self.cols,
                "labels": None if self.labels is None else self.labels.tolist(), "value_range": self.value_range,
                "every": self.every, "log_dir": self.log_dir, "seed": self.seed, "scale": self.scale, "tag": self.tag}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
