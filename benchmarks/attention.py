"""Attention and blocks vs Keras: `python -m benchmarks.attention [--repeats 15] [--jit] [--only NAME]
[--path tape|train_on_batch|both]`, `python -m benchmarks.attention --memory` for peak memory against sequence
length.

Self-attention, batch 8, 512 tokens, 8 heads x 64 (model width 512), against `keras.layers.MultiHeadAttention`;
a ResNet-50 stage 2 (three bottleneck blocks, batch 16, 56x56x64) of ResidualBlocks against the same structure
from plain Keras layers. Each case is timed on two paths: `tape`, a compiled GradientTape step of the layer alone
(gradients for the input and every weight), and `train_on_batch`, the layer inside `Input -> layer -> Dense(1)`
trained with Adam and a mean-square loss, as users train it. TensorFlow backend; ratio = ours / peer, the median
of per-pair ratios; the targets (from the attention/blocks issue) apply to both paths.

Measured 2026-11-25, TensorFlow 2.21 CPU on a 2-core machine shared with other jobs (load average 1.6 to 2.5),
`--repeats 10`, three runs (two with --jit):
    MultiHeadAttention / keras MultiHeadAttention (target <= 1.0): train_on_batch 0.886, 0.877, 0.870;
        tape 0.926, 0.912, 0.906; with --jit: train_on_batch 0.951, 0.945, tape 0.939, 0.933.
    ResidualBlock x3 / plain Keras layers (target <= 1.05, `--repeats 5`, one run): train_on_batch 0.998,
        tape 1.008.
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
            y = keras.layers.Conv2D(filters, kernel, padding="same")(y)
            y = keras.layers.BatchNormalization(epsilon=1.001e-5)(y)
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


MEMORY_PROBE = """
import os, resource, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
from benchmarks.attention import KerasSelfAttention
from keras_dlx import layers
length, which = int(sys.argv[1]), sys.argv[2]
layer = layers.MultiHeadAttention(8, 64) if which == "ours" else KerasSelfAttention(num_heads=8, key_dim=64)
layer(tf.zeros((8, 4, 512)))  # built on a short input: nothing large exists before the measured step
x = tf.random.normal((8, length, 512))

@tf.function
def step(inputs):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = tf.reduce_mean(tf.square(layer(inputs, training=True)))
    return tape.gradient(loss, [inputs] + layer.trainable_variables)[0]

step.get_concrete_function(x)  # tracing allocates nothing large
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1])
step(x).numpy()
print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss, 0) / 1024)
"""


def memory_table(lengths=(256, 512, 1024, 2048)):
    """Peak resident memory above the process's size before the first train step (MiB), per sequence length,
    each layer in a fresh process (TensorFlow keeps freed memory, so only a first step is measured)."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print("\n| tokens | ours MiB | keras MiB |\n|---:|---:|---:|")
    for length in lengths:
        row = []
        for which in ("ours", "keras"):
            done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(length), which], capture_output=True,
                                  text=True, cwd=root, env={**os.environ, "PYTHONPATH": root})
            row.append(float(done.stdout.split()[-1]) if done.returncode == 0 else float("nan"))
        print(f"| {length} | {row[0]:.0f} | {row[1]:.0f} |", flush=True)


def main(argv=None):
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if "--memory" in argv:
        memory_table()
        return
    harness.main(cases(), SHAPE, __doc__, argv)
    harness.main(block_cases(), STAGE_SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
