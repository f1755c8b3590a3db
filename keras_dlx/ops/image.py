"""Image operations TensorFlow Addons provided and Keras 3's `keras.ops.image` lacks (backend-neutral).

Filters (`mean_filter2d`, `median_filter2d`), labelling (`connected_components`, `euclidean_dist_transform`),
bilinear sampling (`interpolate_bilinear`, `dense_image_warp`, `resampler`), polyharmonic splines
(`interpolate_spline`, `sparse_image_warp`), colour (`blend`, `adjust_hsv_in_yiq`, `random_hsv_in_yiq`), cutout
(`cutout`, `random_cutout`) and projective transforms (`compose_transforms`, `angles_to_projective_transforms`,
`translations_to_projective_transforms`), with TensorFlow Addons 0.23's argument names and results.
"""

from keras_dlx.ops.image_color import *  # noqa: F401,F403
from keras_dlx.ops.image_color import __all__ as _image_color
from keras_dlx.ops.image_cutout import *  # noqa: F401,F403
from keras_dlx.ops.image_cutout import __all__ as _image_cutout
from keras_dlx.ops.image_filters import mean_filter2d, median_filter2d
from keras_dlx.ops.image_labels import connected_components, euclidean_dist_transform
from keras_dlx.ops.image_spline import interpolate_spline, sparse_image_warp
from keras_dlx.ops.image_transforms import *  # noqa: F401,F403
from keras_dlx.ops.image_transforms import __all__ as _image_transforms
from keras_dlx.ops.image_warp import dense_image_warp, interpolate_bilinear, resampler

__all__ = [
    *_image_color,
    *_image_cutout,
    *_image_transforms,
    "connected_components",
    "dense_image_warp",
    "euclidean_dist_transform",
    "interpolate_bilinear",
    "interpolate_spline",
    "mean_filter2d",
    "median_filter2d",
    "resampler",
    "sparse_image_warp",
]
