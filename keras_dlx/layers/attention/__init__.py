"""The attention family."""

from keras_dlx.layers.attention.multi_head_attention import MultiHeadAttention
from keras_dlx.layers.attention.spatial_self_attention import SpatialSelfAttention2D
from keras_dlx.layers.attention.transformer_encoder_block import TransformerEncoderBlock

__all__ = ["MultiHeadAttention", "SpatialSelfAttention2D", "TransformerEncoderBlock"]
