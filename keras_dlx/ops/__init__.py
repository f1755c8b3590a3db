"""Functions on tensors that Keras 3's `keras.ops` lacks: `from keras_dlx import ops`. Backend-neutral."""

from keras_dlx.ops import image  # noqa: F401  (also reachable as keras_dlx.ops.image)
from keras_dlx.ops.boxes import *  # noqa: F401,F403
from keras_dlx.ops.boxes import __all__ as _boxes
from keras_dlx.ops.crf import *  # noqa: F401,F403
from keras_dlx.ops.crf import __all__ as _crf
from keras_dlx.ops.matching import *  # noqa: F401,F403
from keras_dlx.ops.matching import __all__ as _matching
from keras_dlx.ops.nms import *  # noqa: F401,F403
from keras_dlx.ops.nms import __all__ as _nms
from keras_dlx.ops.pooling import *  # noqa: F401,F403
from keras_dlx.ops.pooling import __all__ as _pooling
from keras_dlx.ops.proposals import *  # noqa: F401,F403
from keras_dlx.ops.proposals import __all__ as _proposals
from keras_dlx.ops.roi import *  # noqa: F401,F403
from keras_dlx.ops.roi import __all__ as _roi

__all__ = ["image", *_boxes, *_crf, *_matching, *_nms, *_pooling, *_proposals, *_roi]
