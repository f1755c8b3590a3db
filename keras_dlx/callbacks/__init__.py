"""Callbacks that Keras 3 lacks: `from keras_dlx import callbacks`."""

from keras_dlx.callbacks.average_model_checkpoint import *  # noqa: F401,F403
from keras_dlx.callbacks.average_model_checkpoint import __all__ as _average_model_checkpoint
from keras_dlx.callbacks.sample_grid import *  # noqa: F401,F403
from keras_dlx.callbacks.sample_grid import __all__ as _sample_grid
from keras_dlx.callbacks.time_stopping import *  # noqa: F401,F403
from keras_dlx.callbacks.time_stopping import __all__ as _time_stopping

__all__ = list(_average_model_checkpoint) + list(_sample_grid) + list(_time_stopping)
