"""Recurrent family vs keras.layers.LSTM: `python -m benchmarks.recurrent [--repeats 15] [--jit] [--only NAME]`.

Batch 32, 100 steps, 64 inputs, 128 units, forward+backward train steps, TensorFlow backend; ratio = ours /
peer (lower is faster). Targets come from the recurrent issue (<= 1.10 for Peephole and Coupled).
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from benchmarks.harness import compare, table  # noqa: E402
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--jit", action="store_true", help="compile both steps with XLA")
    parser.add_argument("--only", default=None, help="run the benchmarks whose name contains this text")
    args = parser.parse_args(argv)
    rows = []
    for name, ours, peer, target in cases():
        if args.only and args.only not in name:
            continue
        rows.append(compare(name, ours, peer, SHAPE, target, repeats=args.repeats, jit_compile=args.jit))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\nbatch {SHAPE[0]}, {SHAPE[1]} steps, {SHAPE[2]} inputs, {UNITS} units, jit_compile={args.jit}, "
          f"keras {keras.__version__}")
    print(table(rows))


if __name__ == "__main__":
    main()
