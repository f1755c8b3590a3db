"""Every public keras_dlx layer: `from keras_dlx import layers`."""

from keras_dlx.layers.attention import *  # noqa: F401,F403
from keras_dlx.layers.attention import __all__ as _attention
from keras_dlx.layers.blocks import *  # noqa: F401,F403
from keras_dlx.layers.blocks import __all__ as _blocks
from keras_dlx.layers.convolution import *  # noqa: F401,F403
from keras_dlx.layers.convolution import __all__ as _convolution
from keras_dlx.layers.normalization import *  # noqa: F401,F403
from keras_dlx.layers.normalization import __all__ as _normalization
from keras_dlx.layers.recurrent import *  # noqa: F401,F403
from keras_dlx.layers.recurrent import __all__ as _recurrent

__all__ = list(_attention) + list(_blocks) + list(_convolution) + list(_normalization) + list(_recurrent)
