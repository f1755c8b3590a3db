"""Every public keras_dlx layer: `from keras_dlx import layers`."""

from keras_dlx.layers.attention import *  # noqa: F401,F403
from keras_dlx.layers.attention import __all__ as _attention
from keras_dlx.layers.blocks import *  # noqa: F401,F403
from keras_dlx.layers.blocks import __all__ as _blocks
from keras_dlx.layers.convolution import *  # noqa: F401,F403
from keras_dlx.layers.convolution import __all__ as _convolution
from keras_dlx.layers.core import *  # noqa: F401,F403
from keras_dlx.layers.core import __all__ as _core
from keras_dlx.layers.detection import *  # noqa: F401,F403
from keras_dlx.layers.detection import __all__ as _detection
from keras_dlx.layers.normalization import *  # noqa: F401,F403
from keras_dlx.layers.normalization import __all__ as _normalization
from keras_dlx.layers.pooling import *  # noqa: F401,F403
from keras_dlx.layers.pooling import __all__ as _pooling
from keras_dlx.layers.recurrent import *  # noqa: F401,F403
from keras_dlx.layers.recurrent import __all__ as _recurrent
from keras_dlx.layers.sequence import *  # noqa: F401,F403
from keras_dlx.layers.sequence import __all__ as _sequence
from keras_dlx.layers.vision import *  # noqa: F401,F403
from keras_dlx.layers.vision import __all__ as _vision

__all__ = [
    *_attention,
    *_blocks,
    *_convolution,
    *_core,
    *_detection,
    *_normalization,
    *_pooling,
    *_recurrent,
    *_sequence,
    *_vision,
]
