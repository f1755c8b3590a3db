"""The vision family: layers on pairs of images or feature maps (TensorFlow Addons' CorrelationCost)."""

from keras_dlx.layers.vision.correlation_cost import CorrelationCost

__all__ = ["CorrelationCost"]
