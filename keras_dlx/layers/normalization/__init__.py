"""The normalization family."""

from keras_dlx.layers.normalization.filter_response_normalization import FilterResponseNormalization
from keras_dlx.layers.normalization.group_normalization import GroupNormalization
from keras_dlx.layers.normalization.instance_normalization import InstanceNormalization
from keras_dlx.layers.normalization.local_response_normalization import LRN, LocalResponseNormalization
from keras_dlx.layers.normalization.poincare_normalize import PoincareNormalize
from keras_dlx.layers.normalization.scaled_l2_normalization import *  # noqa: F401,F403
from keras_dlx.layers.normalization.scaled_l2_normalization import __all__ as _scaled_l2
from keras_dlx.layers.normalization.spectral_normalization import SpectralNormalization
from keras_dlx.layers.normalization.switchable_normalization import SwitchableNormalization
from keras_dlx.layers.normalization.thresholded_linear_unit import TLU
from keras_dlx.layers.normalization.weight_normalization import WeightNormalization

__all__ = ["FilterResponseNormalization", "GroupNormalization", "InstanceNormalization", "LRN",
           "LocalResponseNormalization", "PoincareNormalize", "SpectralNormalization", "SwitchableNormalization", "TLU",
           "WeightNormalization",
           *_scaled_l2]
