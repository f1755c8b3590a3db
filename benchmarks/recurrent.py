"""Recurrent family vs keras.layers.LSTM: `python -m benchmarks.recurrent [--repeats 15] [--jit] [--only NAME]`.

Batch 32, 100 steps, 64 inputs, 128 units, forward+backward train steps, TensorFlow backend; ratio = ours /
peer (lower is faster). Targets come from the recurrent issue (<= 1.10 for Peephole and Coupled).
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
        ("naive peephole cell in keras.layers.RNN / keras LSTM",
         lambda: keras.layers.RNN(layers.PeepholeLSTMCell(UNITS)), lambda: keras.layers.LSTM(UNITS), None),
    ]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
