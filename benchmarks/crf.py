"""Linear-chain CRF vs keras.layers.LSTM: `python -m benchmarks.crf [--repeats 15] [--jit] [--path ...]`.

`crf_log_likelihood` + `crf_decode` (keras_dlx.ops) on batch 64, 100 steps, 20 tags, against a plain
`keras.layers.LSTM(20)` over the same (64, 100, 20) sequence: both are length-sequential scans. TensorFlow backend,
CPU, same process; ratio = CRF / LSTM (median of per-pair ratios, benchmarks/harness.py). The CRF side is a small
layer holding the (20, 20) transition matrix whose output is the negative log-likelihood of fixed tags (the
decoded tags join the output multiplied by 0, so decoding is part of the step but gets no gradient). Target from
issue 13: <= 1.5 on forward+backward.

Measured 2026-12-04 on the shared 2-core machine (load average 6 to 9 from other jobs), `--repeats 15`, three
runs: tape 1.12, 1.20, 1.36; train_on_batch 1.46, 1.48, 1.57. So the layer's own step sits well inside the target
and the user's path at it. Where the time goes (tape path, ratio to the LSTM step): log-likelihood with its
gradient ~0.9 (forward scan ~0.27, backward (beta) scan ~0.27, pair marginals and gathers the rest), decoding
~0.55-0.6 (Viterbi scan ~0.35, backtrack ~0.3).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_dlx.ops import crf_decode, crf_log_likelihood  # noqa: E402

SHAPE = (64, 100, 20)


class CRFLossAndDecode(keras.layers.Layer):
    """Benchmark stand-in: per step, the negative CRF log-likelihood of fixed tags, plus the Viterbi tags times 0."""

    def __init__(self, num_tags, **kwargs):
        super().__init__(**kwargs)
        self.num_tags = num_tags

    def build(self, input_shape):
        self.tag_row = np.random.default_rng(0).integers(0, self.num_tags, (1, input_shape[1])).astype("int32")
        self.transitions = self.add_weight(name="transitions", shape=(self.num_tags, self.num_tags),
                                           initializer="glorot_uniform")

    def call(self, inputs):
        steps = ops.ones_like(inputs[:, :, 0], dtype="int32")
        tags, lengths = steps * self.tag_row, ops.sum(steps, axis=1)
        log_likelihood, _ = crf_log_likelihood(inputs, tags, lengths, self.transitions)
        decoded, _ = crf_decode(inputs, self.transitions, lengths)
        return ops.expand_dims(-log_likelihood, 1) + 0.0 * ops.cast(decoded, inputs.dtype)


def cases():
    return [("crf_log_likelihood + crf_decode / keras LSTM(20)", lambda: CRFLossAndDecode(SHAPE[-1]),
             lambda: keras.layers.LSTM(SHAPE[-1]), ("<=", 1.5))]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
