"""Datasets for the examples and the command line."""

from keras_dlx.data.datasets import DATASETS, DatasetUnavailable, load  # noqa: F401
from keras_dlx.data.mnist import load_mnist  # noqa: F401
