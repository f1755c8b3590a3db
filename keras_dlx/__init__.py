"""keras_dlx: deep-learning layers, applications and distributed training for Keras 3."""

__version__ = "0.1.0"

from keras_dlx import layers  # noqa: E402,F401  (registers every layer for `.keras` loading)
