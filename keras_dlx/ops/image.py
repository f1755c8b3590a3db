"""Image operations TensorFlow Addons provided and Keras 3's `keras.ops.image` lacks (backend-neutral)."""

__all__ = []
