"""Datasets for the examples and the command line."""

from keras_dlx.data.mnist import load_mnist  # noqa: F401
