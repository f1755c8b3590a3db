"""Sequence-labelling layers: the linear-chain CRF (`keras_dlx.layers.CRF`).

`keras_dlx.applications.CRFModelWrapper` trains a base model with a CRF on top (a keras.Model, so it lives with
the applications).
"""

from keras_dlx.layers.sequence.crf import CRF

__all__ = ["CRF"]
