"""Attention vs Keras: `python -m benchmarks.attention [--repeats 15] [--jit] [--only NAME]`.

Self-attention, batch 8, 512 tokens, 8 heads x 64 (model width 512), forward+backward train steps, TensorFlow
backend; ratio = ours / peer (lower is faster). Target from the attention issue: <= 1.0.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_dlx import layers  # noqa: E402

SHAPE = (8, 512, 512)


class KerasSelfAttention(keras.layers.Layer):
    """`keras.layers.MultiHeadAttention(x, x)` as a one-input layer, the peer the issue names."""

    def __init__(self, **kwargs):
        super().__init__()
        self.attention = keras.layers.MultiHeadAttention(**kwargs)

    def call(self, inputs):
        return self.attention(inputs, inputs)


def cases():
    return [
        ("MultiHeadAttention (self) / keras MultiHeadAttention", lambda: layers.MultiHeadAttention(8, 64),
         lambda: KerasSelfAttention(num_heads=8, key_dim=64), ("<=", 1.0)),
    ]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
