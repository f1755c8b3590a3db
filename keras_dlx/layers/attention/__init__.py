"""The attention family."""

from keras_dlx.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["MultiHeadAttention"]
