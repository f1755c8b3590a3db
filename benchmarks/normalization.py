"""Normalization family vs its peers: `python -m benchmarks.normalization [--repeats 15] [--jit] [--only NAME]`.

Batch 32, 56x56x64 input, forward+backward train steps, TensorFlow backend; ratio = ours / peer (lower is faster).
Targets come from the normalization issue.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_dlx import layers  # noqa: E402

SHAPE = (32, 56, 56, 64)


class TensorFlowLRN(keras.layers.Layer):
    """`tf.nn.local_response_normalization` wrapped in a layer: the peer the issue names."""

    def call(self, inputs):
        return tf.nn.local_response_normalization(inputs, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75)


def cases():
    return [
        ("InstanceNormalization / keras GroupNormalization(groups=-1)", layers.InstanceNormalization,
         lambda: keras.layers.GroupNormalization(groups=-1), ("<=", 1.0)),
        ("GroupNormalization(32) / keras GroupNormalization(32)", lambda: layers.GroupNormalization(32),
         lambda: keras.layers.GroupNormalization(32), ("<=", 1.0)),
        ("LRN (AlexNet) / tf.nn.local_response_normalization layer", layers.LRN, TensorFlowLRN, ("<=", 1.5)),
    ] + extra_cases()


def extra_cases():
    if not hasattr(layers, "SwitchableNormalization"):
        return []
    return [("SwitchableNormalization / keras BatchNormalization", layers.SwitchableNormalization,
             keras.layers.BatchNormalization, ("<=", 2.0))]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
