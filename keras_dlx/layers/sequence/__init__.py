"""Sequence-labelling layers: the linear-chain CRF and its training wrapper."""

from keras_dlx.layers.sequence.crf import CRF
from keras_dlx.layers.sequence.crf_model_wrapper import CRFModelWrapper

__all__ = ["CRF", "CRFModelWrapper"]
