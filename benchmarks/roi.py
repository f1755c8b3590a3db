"""RoI align vs the crop_and_resize composition: `python -m benchmarks.roi [--repeats 15] [--jit] [--path ...]`.

`keras_dlx.ops.roi_align` of 512 boxes (output 7x7, spatial_scale 1/16) on a (1, 50, 50, 256) feature map,
forward+backward (gradient w.r.t. the features), against what Keras users write today without an RoI op:
`tf.image.crop_and_resize` of the same boxes (normalised) to 14x14, then 2x2 average pooling to 7x7, i.e. 2x2
bilinear samples per bin. Both layers hold the same fixed boxes (random, 16 to 400 image pixels wide and high,
some partly outside the image). TensorFlow backend, CPU, same process; ratio = roi_align / composition (median
of per-pair ratios, benchmarks/harness.py). Target from issue 14: <= 1.0. Two cases: `sampling_ratio=2` (the
composition's own sampling, the like-for-like comparison) and the default adaptive `sampling_ratio=-1`
(torchvision's default: up to ceil(25 / 7) = 4 x 4 samples per bin here, more work than the composition does).

On TensorFlow, outside XLA, `roi_align` with a fixed `sampling_ratio > 0` runs the same fused kernels as the
composition (keras_dlx/ops/roi.py `_tensorflow_roi_align`): crop_and_resize of each box's regular sample grid on
the map padded with a copy of its border (torchvision's border rule, exactly), then an `s x s` average pool. Its
extra work over the composition is that padding (a 52x52x256 MirrorPad forward, MirrorPadGrad backward) and a
dozen tiny box ops. The adaptive `sampling_ratio=-1`, `jit_compile=True` (XLA has no CropAndResize), JAX and
PyTorch keep the backend-neutral formulation: two batched matrix products, ~4.6 GFLOP forward here, whatever the
number of samples. A third row times that neutral path (forced) against the composition.

Before the fast path (2026-12-04, shared 2-core machine, load 4 to 9, `--repeats 7`, two runs): roi_align /
composition 3.5-4.2 (sampling_ratio 2), 3.1-4.2 (sampling_ratio -1). With it (same day, load 2.6 to 13,
`--repeats 7` to 11, six runs): sampling_ratio 2 at 0.82-1.28 under heavy load and 1.005-1.10 once quieter
(tape), 0.98-1.08 (train_on_batch); sampling_ratio -1 unchanged at 3.2-3.9; the neutral path at 2.4-5.8. The
target is missed by a few percent, and that is the border padding: forward alone (40 alternating repeats),
composition on the padded map / composition = 1.038, roi_align / composition = 1.059. Without the padding
crop_and_resize gives 0, not the border value, to samples within one pixel outside the map.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_dlx.ops import roi_align  # noqa: E402

SHAPE = (1, 50, 50, 256)
NUM_BOXES, OUTPUT, STRIDE = 512, 7, 16


def _boxes():
    """Fixed (1, 512, 4) xyxy boxes in image pixels (the image is 800 x 800 for a stride-16 50 x 50 map)."""
    rng = np.random.default_rng(0)
    image = SHAPE[1] * STRIDE
    size = rng.uniform(16, 400, (1, NUM_BOXES, 2))
    corner = rng.uniform(-0.05 * image, image - 16, (1, NUM_BOXES, 2))
    return np.concatenate([corner, corner + size], axis=-1).astype("float32")


class RoIAlignStep(keras.layers.Layer):
    """Benchmark stand-in: `roi_align` of the fixed boxes on its input."""

    def __init__(self, sampling_ratio, **kwargs):
        super().__init__(**kwargs)
        self.sampling_ratio = sampling_ratio
        self.boxes = _boxes()

    def call(self, inputs):
        return roi_align(inputs, self.boxes, OUTPUT, 1 / STRIDE, self.sampling_ratio, data_format="channels_last")


class CropAndResizeStep(keras.layers.Layer):
    """The composition: crop_and_resize to (2 * 7, 2 * 7) with normalised boxes, then 2x2 average pooling."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        x1, y1, x2, y2 = np.moveaxis(_boxes()[0], -1, 0) / (SHAPE[1] * STRIDE)
        self.normalised = np.stack([y1, x1, y2, x2], axis=-1)

    def call(self, inputs):
        crops = tf.image.crop_and_resize(inputs, self.normalised, tf.zeros(NUM_BOXES, tf.int32),
                                         (2 * OUTPUT, 2 * OUTPUT))
        pooled = tf.nn.avg_pool2d(crops, 2, 2, "VALID")
        return tf.reshape(pooled, (1, NUM_BOXES, OUTPUT, OUTPUT, SHAPE[-1]))


class NeutralRoIAlignStep(RoIAlignStep):
    """`roi_align` forced onto its backend-neutral matrix products (what jit_compile=True and JAX/PyTorch run)."""

    def call(self, inputs):
        from keras_dlx.ops import roi as roi_module

        available, roi_module._crop_and_resize_available = roi_module._crop_and_resize_available, lambda: False
        try:  # only while tracing: the traced graph keeps the neutral ops
            return super().call(inputs)
        finally:
            roi_module._crop_and_resize_available = available


def cases():
    target = ("<=", 1.0)
    return [
        ("roi_align 512 boxes 7x7, sampling_ratio=2 / crop_and_resize 14x14 + avg pool",
         lambda: RoIAlignStep(2), CropAndResizeStep, target),
        ("roi_align 512 boxes 7x7, sampling_ratio=-1 / crop_and_resize 14x14 + avg pool",
         lambda: RoIAlignStep(-1), CropAndResizeStep, target),
        ("(reference) roi_align neutral path (XLA, JAX, torch), sampling_ratio=2 / crop_and_resize composition",
         lambda: NeutralRoIAlignStep(2), CropAndResizeStep, None),
    ]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
