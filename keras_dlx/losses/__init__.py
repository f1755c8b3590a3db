"""Losses that Keras 3 lacks, from TensorFlow Addons: `from keras_dlx import losses`. Backend-neutral."""

from keras_dlx.losses.contrastive import *  # noqa: F401,F403
from keras_dlx.losses.contrastive import __all__ as _contrastive
from keras_dlx.losses.faster_rcnn import *  # noqa: F401,F403
from keras_dlx.losses.faster_rcnn import __all__ as _faster_rcnn
from keras_dlx.losses.giou import *  # noqa: F401,F403
from keras_dlx.losses.giou import __all__ as _giou
from keras_dlx.losses.kappa import *  # noqa: F401,F403
from keras_dlx.losses.kappa import __all__ as _kappa
from keras_dlx.losses.lifted_struct import *  # noqa: F401,F403
from keras_dlx.losses.lifted_struct import __all__ as _lifted_struct
from keras_dlx.losses.metric_learning import angular_distance, pairwise_distance  # noqa: F401
from keras_dlx.losses.multibox import *  # noqa: F401,F403
from keras_dlx.losses.multibox import __all__ as _multibox
from keras_dlx.losses.npairs import *  # noqa: F401,F403
from keras_dlx.losses.npairs import __all__ as _npairs
from keras_dlx.losses.pinball import *  # noqa: F401,F403
from keras_dlx.losses.pinball import __all__ as _pinball
from keras_dlx.losses.sparsemax import *  # noqa: F401,F403
from keras_dlx.losses.sparsemax import __all__ as _sparsemax
from keras_dlx.losses.triplet import *  # noqa: F401,F403
from keras_dlx.losses.triplet import __all__ as _triplet
from keras_dlx.losses.yolo import *  # noqa: F401,F403
from keras_dlx.losses.yolo import __all__ as _yolo

__all__ = [
    *_faster_rcnn,
    *_giou,
    *_multibox,
    *_yolo,
    *_contrastive,
    *_kappa,
    *_lifted_struct,
    *_npairs,
    *_pinball,
    *_sparsemax,
    *_triplet,
    "angular_distance",
    "pairwise_distance",
]
