"""Functions on tensors that Keras 3's `keras.ops` lacks: `from keras_dlx import ops`. Backend-neutral."""

from keras_dlx.ops import image  # noqa: F401  (also reachable as keras_dlx.ops.image)
from keras_dlx.ops.crf import *  # noqa: F401,F403
from keras_dlx.ops.crf import __all__ as _crf
from keras_dlx.ops.pooling import *  # noqa: F401,F403
from keras_dlx.ops.pooling import __all__ as _pooling

__all__ = ["image"] + list(_crf) + list(_pooling)
