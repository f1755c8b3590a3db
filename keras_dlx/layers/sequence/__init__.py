"""Sequence-labelling layers: the linear-chain CRF (`keras_dlx.layers.CRF`).

`CRFModelWrapper`, the keras.Model that trains a base model with a CRF on top, lives here too
(`keras_dlx.layers.sequence.CRFModelWrapper`); as a model rather than a layer it is not in `keras_dlx.layers`.
"""

from keras_dlx.layers.sequence.crf import CRF
from keras_dlx.layers.sequence.crf_model_wrapper import CRFModelWrapper  # noqa: F401  (a model, not in __all__)

__all__ = ["CRF"]
