"""The vision family: layers on images and feature maps (TensorFlow Addons' CorrelationCost, the Gram matrix of
style transfer)."""

from keras_dlx.layers.vision.correlation_cost import CorrelationCost
from keras_dlx.layers.vision.gram_matrix import GramMatrix

__all__ = ["CorrelationCost", "GramMatrix"]
