"""Recurrent family vs keras.layers.LSTM: `python -m benchmarks.recurrent [--repeats 15] [--jit] [--only NAME]
[--path tape|train_on_batch|both]`.

Batch 32, 100 steps, 64 inputs, 128 units, TensorFlow backend, CPU; ratio = ours / peer (median of per-pair
ratios, lower is faster). Each case is timed on two paths (benchmarks/harness.py): `tape`, a compiled GradientTape
step of the layer alone with gradients for the input and every weight, and `train_on_batch`, the user's path:
`train_on_batch` of `Input((100, 64)) -> layer -> Dense(1)`, Adam, mean-square loss. On a CPU-only machine
`compile`'s default `jit_compile="auto"` means no XLA, which is the default here (`--jit` compiles both with XLA).
Targets come from the recurrent issue (<= 1.10 for Peephole and Coupled, on both paths).

Measured 2026-11-25 on the shared 2-core machine (two other engineers running jobs; load average 1 to 3.5, peer
times 14 to 37 ms for the same step), `--repeats 15`, three runs without XLA and two with:

    ratio (runs)                     tape                  train_on_batch              tape, XLA     train_on_batch, XLA
    PeepholeLSTM                     1.09, 1.08, 0.99      1.09, 1.08, 1.19 (*)        0.93, 0.78    1.00, 0.87
    CoupledLSTM                      0.77, 0.79, 0.87      0.80, 0.82, 1.01 (*)        0.70, 0.57    0.67, 0.69
    LayerNormLSTM (no target)        1.88, 1.98, 1.68      1.98, 2.09, 2.14            1.47, 1.49    1.68, 1.74
    PeepholeLSTMCell in plain RNN    1.02, 1.18, 1.18      1.13, 1.12, 1.52 (*)        0.92, 0.98    1.27, 1.21

(*) the third run, while the load was changing fast. Seven more train_on_batch runs of PeepholeLSTM (three alone
with `--only Peephole --repeats 20`, four with `--only "LSTM / keras" --repeats 20` at a load of 1 to 2): 1.08,
1.11, 1.06, 1.07, 1.10, 1.08, 1.08 (CoupledLSTM in the last four: 0.88, 0.81, 0.81, 0.82). So PeepholeLSTM sits at
the target on the user's path (median of ten runs 1.08, two above 1.10), CoupledLSTM well inside it.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_dlx import layers  # noqa: E402

SHAPE = (32, 100, 64)
UNITS = 128


def cases():
    return [
        ("PeepholeLSTM / keras LSTM", lambda: layers.PeepholeLSTM(UNITS), lambda: keras.layers.LSTM(UNITS),
         ("<=", 1.10)),
        ("CoupledLSTM / keras LSTM", lambda: layers.CoupledLSTM(UNITS), lambda: keras.layers.LSTM(UNITS),
         ("<=", 1.10)),
        ("LayerNormLSTM / keras LSTM", lambda: layers.LayerNormLSTM(UNITS), lambda: keras.layers.LSTM(UNITS),
         None),
        # The same cell without the layer's once-per-sequence weight preparation.
        ("naive peephole cell in keras.layers.RNN / keras LSTM",
         lambda: keras.layers.RNN(layers.PeepholeLSTMCell(UNITS)), lambda: keras.layers.LSTM(UNITS), None),
    ]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
