"""Convolution family vs its peers: `python -m benchmarks.layers [--repeats 15] [--jit] [--only NAME]`.

Batch 32, 56x56x64 input, 64 filters, 3x3 kernels, TensorFlow backend, forward+backward train steps.
Targets come from the foundation issue; ratio = ours / peer (lower is faster).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_dlx import layers  # noqa: E402

SHAPE = (32, 56, 56, 64)


def cases():
    same = dict(padding="same")
    return [
        ("GroupConv2D(groups=8) / Conv2D dense", lambda: layers.GroupConv2D(64, 3, groups=8, **same),
         lambda: keras.layers.Conv2D(64, 3, **same), ("<=", 0.7)),
        ("GroupConv2D(groups=8) / keras Conv2D(groups=8)", lambda: layers.GroupConv2D(64, 3, groups=8, **same),
         lambda: keras.layers.Conv2D(64, 3, groups=8, **same), (">=", 50)),
        ("GroupConv2DTranspose(groups=8, s=2) / Conv2DTranspose(s=2)",
         lambda: layers.GroupConv2DTranspose(64, 3, strides=2, groups=8, **same),
         lambda: keras.layers.Conv2DTranspose(64, 3, strides=2, **same), ("<=", 0.7)),
        ("GroupConv2DTranspose(groups=1, s=2) / Conv2DTranspose(s=2)",
         lambda: layers.GroupConv2DTranspose(64, 3, strides=2, groups=1, **same),
         lambda: keras.layers.Conv2DTranspose(64, 3, strides=2, **same), ("<=", 1.05)),
        ("GroupConv2DTranspose(groups=1, s=1) / Conv2DTranspose(s=1)",
         lambda: layers.GroupConv2DTranspose(64, 3, groups=1, **same),
         lambda: keras.layers.Conv2DTranspose(64, 3, **same), ("<=", 1.05)),
        ("DilatedConv2D(d=2) / Conv2D(dilation_rate=2)",
         lambda: layers.DilatedConv2D(64, 3, dilation_rate=2, **same),
         lambda: keras.layers.Conv2D(64, 3, dilation_rate=2, **same), ("<=", 1.05)),
        ("DepthwiseSeparableConv2D(no middle BN) / SeparableConv2D",
         lambda: layers.DepthwiseSeparableConv2D(64, 3, normalization=False, intermediate_normalization=False,
                                                 intermediate_activation=None, activation=None, use_bias=True),
         lambda: keras.layers.SeparableConv2D(64, 3, **same), ("<=", 1.10)),
        ("FlattenedConv2D(l=1) / Conv2D 3x3", lambda: layers.FlattenedConv2D(64, 3, **same),
         lambda: keras.layers.Conv2D(64, 3, **same), ("<=", 0.5)),
        ("DilatedConv2D(s=2, d=2) / Conv2D(s=2), no peer for s+d", lambda: layers.DilatedConv2D(
            64, 3, strides=2, dilation_rate=2, **same), lambda: keras.layers.Conv2D(64, 3, strides=2, **same),
         None),
    ]


def main(argv=None):
    # The XLA grouped-conv peer takes seconds per step; fewer repeats keep the run short.
    harness.main(cases(), SHAPE, __doc__, argv,
                 repeats_for=lambda name, default: 3 if "keras Conv2D(groups" in name else default)


if __name__ == "__main__":
    main()
