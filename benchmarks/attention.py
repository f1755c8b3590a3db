"""Attention and blocks vs Keras: `python -m benchmarks.attention [--repeats 15] [--jit] [--only NAME]`.

Self-attention, batch 8, 512 tokens, 8 heads x 64 (model width 512); a ResNet-50 stage 2 (three bottleneck
blocks, batch 16, 56x56x64) of ResidualBlocks against the same structure from plain Keras layers. Forward+
backward train steps, TensorFlow backend; ratio = ours / peer. Targets from the attention/blocks issue.
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


STAGE_SHAPE = (16, 56, 56, 64)


def keras_stage():
    """ResNet-50 stage 2 from plain Keras layers, laid out as keras.applications.ResNet50 does."""
    inputs = keras.Input(STAGE_SHAPE[1:])
    x = inputs
    for block in range(3):
        shortcut = x
        if block == 0:
            shortcut = keras.layers.BatchNormalization(epsilon=1.001e-5)(keras.layers.Conv2D(256, 1)(x))
        y = x
        for filters, kernel in ((64, 1), (64, 3), (256, 1)):
            y = keras.layers.BatchNormalization(epsilon=1.001e-5)(keras.layers.Conv2D(filters, kernel, padding="same")(y))
            if filters == 64:
                y = keras.layers.Activation("relu")(y)
        x = keras.layers.Activation("relu")(keras.layers.Add()([shortcut, y]))
    return keras.Model(inputs, x)


def our_stage():
    return keras.Sequential([keras.Input(STAGE_SHAPE[1:])] + [
        layers.ResidualBlock(64, kind="bottleneck", version="v1", use_bias=True) for _ in range(3)])


def cases():
    return [
        ("MultiHeadAttention (self) / keras MultiHeadAttention", lambda: layers.MultiHeadAttention(8, 64),
         lambda: KerasSelfAttention(num_heads=8, key_dim=64), ("<=", 1.0)),
    ]


def block_cases():
    return [("ResidualBlock x3 (ResNet-50 stage 2) / plain Keras layers", our_stage, keras_stage, ("<=", 1.05))]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)
    harness.main(block_cases(), STAGE_SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
