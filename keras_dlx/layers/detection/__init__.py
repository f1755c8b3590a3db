"""The detection family: RoI pooling and align, spatial pyramid pooling, anchors and non-max suppression."""

from keras_dlx.layers.detection.anchor_generator import *  # noqa: F401,F403
from keras_dlx.layers.detection.anchor_generator import __all__ as _anchor_generator
from keras_dlx.layers.detection.non_max_suppression import *  # noqa: F401,F403
from keras_dlx.layers.detection.non_max_suppression import __all__ as _non_max_suppression
from keras_dlx.layers.detection.roi_align_2d import *  # noqa: F401,F403
from keras_dlx.layers.detection.roi_align_2d import __all__ as _roi_align_2d
from keras_dlx.layers.detection.roi_pooling_2d import *  # noqa: F401,F403
from keras_dlx.layers.detection.roi_pooling_2d import __all__ as _roi_pooling_2d
from keras_dlx.layers.detection.spatial_pyramid_pooling_2d import *  # noqa: F401,F403
from keras_dlx.layers.detection.spatial_pyramid_pooling_2d import __all__ as _spatial_pyramid_pooling_2d

__all__ = [*_anchor_generator, *_non_max_suppression, *_roi_align_2d, *_roi_pooling_2d, *_spatial_pyramid_pooling_2d]
