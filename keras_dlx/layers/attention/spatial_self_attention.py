"""Self-attention over the positions of a feature map, with a 2D position encoding (DETR's encoder style)."""


import keras
import numpy as np
from keras import ops

from keras_dlx.layers.attention.multi_head_attention import MultiHeadAttention
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def sinusoidal_2d(height, width, channels, temperature=10000.0):
    """DETR's 2D sine encoding: the first half of the channels encode the row, the second half the column, each
    half alternating sin/cos at geometric frequencies; shape (height * width, channels)."""
    quarter = channels // 4
    frequencies = temperature ** (-np.arange(quarter) / max(quarter, 1))
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")

    def encode(positions):
        angles = positions.reshape(-1, 1) * frequencies
        return np.stack([np.sin(angles), np.cos(angles)], -1).reshape(len(angles), -1)

    encoding = np.concatenate([encode(rows), encode(cols)], -1)
    return np.pad(encoding, [(0, 0), (0, channels - encoding.shape[1])]).astype("float32")


@register
class SpatialSelfAttention2D(keras.layers.Layer):
    """Self-attention over the H x W positions of a feature map, with a 2D position encoding.

    The map becomes H*W tokens of C features; queries and keys get the position encoding P added, values do
    not (as in DETR's encoder), and the result is added back to the map:

        t = flatten(x);   y = t + MHA(query=t + P, key=t + P, value=t);   output = reshape(y)

    so attention composes with CNN backbones. `position_encoding="sinusoidal"` is DETR's fixed 2D sine layout
    (half the channels for rows, half for columns, sin/cos pairs at frequencies 10000^(-i / (C/4))) on integer
    positions counted from 0 (DETR's model counts from 1 and can normalise them to [0, 2 pi]); `"learned"` is a
    trainable (H*W, C) table, initialised N(0, 0.02); None uses no position information. The spatial size must
    be static.

    Args:
        num_heads: int. key_dim: int, size of each head; defaults to channels // num_heads.
        position_encoding: `"sinusoidal"`, `"learned"` or None. Defaults to `"sinusoidal"`.
        residual: bool, add the input back. Defaults to True.
        dropout: float in [0, 1), attention dropout. Defaults to 0.
        data_format: `"channels_last"` or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.
        training: bool, dropout in training mode only.

    Input shape:
        4D tensor with static height and width.

    Output shape:
        Same as the input.

    Example:

    >>> attention = keras_dlx.layers.SpatialSelfAttention2D(num_heads=8)
    >>> tuple(attention(keras.ops.ones((2, 16, 16, 256))).shape)
    (2, 16, 16, 256)

    Reference:
        - [Carion et al. 2020, End-to-End Object Detection with Transformers (DETR)](https://arxiv.org/abs/2005.12872)
    """

    def __init__(self, num_heads, key_dim=None, position_encoding="sinusoidal", residual=True, dropout=0.0,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = args.positive_int("num_heads", num_heads)
        self.key_dim = None if key_dim is None else args.positive_int("key_dim", key_dim)
        if position_encoding is not None:
            position_encoding = args.one_of("position_encoding", position_encoding, ("sinusoidal", "learned"))
        self.position_encoding = position_encoding
        self.residual = args.boolean("residual", residual)
        self.dropout = args.unit_interval("dropout", dropout)
        self.data_format = args.data_format(data_format)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, "(batch, height, width, channels) or channels first")
        h, w, c = (input_shape[1:] if self.data_format == "channels_last"
                   else (input_shape[2], input_shape[3], input_shape[1]))
        if None in (h, w, c):
            raise ValueError(f"Invalid input for layer '{self.name}': height, width and channels must be static. "
                             f"Received: input_shape={tuple(input_shape)}")
        key_dim = self.key_dim or max(c // self.num_heads, 1)
        self.attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout, dtype=self.dtype_policy,
                                            name="attention")
        self.attention.build((None, h * w, c))
        self.encoding = None
        if self.position_encoding == "learned":
            self.encoding = self.add_weight(name="position_encoding", shape=(h * w, c),
                                            initializer=keras.initializers.RandomNormal(stddev=0.02))
        elif self.position_encoding == "sinusoidal":
            self._sinusoid = sinusoidal_2d(h, w, c)
        self._hwc = (h, w, c)

    def call(self, inputs, training=None):
        x = inputs if self.data_format == "channels_last" else ops.moveaxis(inputs, 1, -1)
        h, w, c = self._hwc
        tokens = ops.reshape(x, (-1, h * w, c))
        if self.position_encoding is None:
            positioned = tokens
        else:
            encoding = self.encoding if self.encoding is not None else ops.convert_to_tensor(self._sinusoid)
            positioned = tokens + ops.cast(encoding, tokens.dtype)
        y = self.attention(positioned, tokens, positioned, training=training)
        if self.residual:
            y = y + tokens
        y = ops.reshape(y, (-1, h, w, c))
        return y if self.data_format == "channels_last" else ops.moveaxis(y, -1, 1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "num_heads", "key_dim", "position_encoding", "residual", "dropout", "data_format")))
        return config
