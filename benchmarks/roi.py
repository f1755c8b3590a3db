"""RoI align vs the crop_and_resize composition: `python -m benchmarks.roi [--repeats 15] [--jit] [--path ...]`.

`keras_dlx.ops.roi_align` of 512 boxes (output 7x7, spatial_scale 1/16) on a (1, 50, 50, 256) feature map,
forward+backward (gradient w.r.t. the features), against what Keras users write today without an RoI op:
`tf.image.crop_and_resize` of the same boxes (normalised) to 14x14, then 2x2 average pooling to 7x7, i.e. 2x2
bilinear samples per bin. Both layers hold the same fixed boxes (random, 16 to 400 image pixels wide and high,
some partly outside the image). TensorFlow backend, CPU, same process; ratio = roi_align / composition (median
of per-pair ratios, benchmarks/harness.py). Target from issue 14: <= 1.0. Two cases: `sampling_ratio=2` (the
composition's own sampling, the like-for-like comparison) and the default adaptive `sampling_ratio=-1`
(torchvision's default: up to ceil(25 / 7) = 4 x 4 samples per bin here, more work than the composition does).

roi_align's cost does not depend on the number of samples: it is two batched matrix products (see the op's
docstring), ~4.6 GFLOP forward for these sizes (the first, (512 * 7, 50) x (50, 50 * 256), is most of it), and
their transposes backward. The composition's fused TensorFlow kernel reads 4 pixels per sample, ~0.1 G reads for
these sizes: a backend-neutral exact op (keras.ops has no fused crop-and-interpolate; XLA cannot compile
CropAndResize) cannot reach it on CPU. A third row times `tf_roi_align` below, a TensorFlow-only fast path for a
fixed `sampling_ratio` that is exact (torchvision's semantics, within float32 rounding, checked against
keras_dlx.ops.roi_align in tests/test_detection_roi.py) but not in keras_dlx (whose ops are backend-neutral).

Measured 2026-12-04 on the shared 2-core machine (load average 4 to 9 from other jobs), `--repeats 7`, two runs:
roi_align / composition 3.5-4.2 (sampling_ratio 2) and 3.1-4.2 (sampling_ratio -1), tape and train_on_batch
alike; tf_roi_align / composition 1.04-1.14. Target MISSED by the backend-neutral op. Where the time goes (tape,
sampling_ratio -1): the first matrix product ~60%, the second ~13%, the per-box weights ~10%, backward the rest.
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


def tf_roi_align(features, boxes, output_size, spatial_scale, sampling_ratio, aligned=False):
    """roi_align for `sampling_ratio > 0` from TensorFlow's fused kernels (channels_last).

    The bins' samples form one regular grid of `(out_h * s, out_w * s)` points per box, which is what
    `crop_and_resize` samples; padding the map with a copy of its border pixels makes crop_and_resize's
    extrapolation (0 outside `[0, size - 1]` of the padded map) torchvision's rule (0 outside `[-1, size]`, the
    border value within one pixel of it). A 2D average pool of `s x s` then averages each bin's samples.
    """
    out_h, out_w = output_size
    s = sampling_ratio
    batch, height, width, channels = features.shape
    padded = tf.pad(features, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    x1, y1, x2, y2 = tf.unstack(boxes * spatial_scale - (0.5 if aligned else 0.0), axis=-1)
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = tf.maximum(roi_w, 1.0), tf.maximum(roi_h, 1.0)
    step_y, step_x = roi_h / (out_h * s), roi_w / (out_w * s)
    # Sample i sits at y1 + (i + 0.5) * step, i.e. y1 + 1 + (i + 0.5) * step in the padded map.
    normalised = tf.stack([(y1 + 1 + 0.5 * step_y) / (height + 1), (x1 + 1 + 0.5 * step_x) / (width + 1),
                           (y1 + 1 + (out_h * s - 0.5) * step_y) / (height + 1),
                           (x1 + 1 + (out_w * s - 0.5) * step_x) / (width + 1)], axis=-1)
    num_boxes = tf.shape(boxes)[1]
    crops = tf.image.crop_and_resize(padded, tf.reshape(normalised, (-1, 4)),
                                     tf.repeat(tf.range(batch), num_boxes), (out_h * s, out_w * s))
    pooled = tf.nn.avg_pool2d(crops, s, s, "VALID")
    return tf.reshape(pooled, (batch, num_boxes, out_h, out_w, channels))


class TFRoIAlignStep(keras.layers.Layer):
    """`tf_roi_align` of the fixed boxes, sampling_ratio 2."""

    def call(self, inputs):
        return tf_roi_align(inputs, _boxes(), (OUTPUT, OUTPUT), 1 / STRIDE, 2)


def cases():
    target = ("<=", 1.0)
    return [
        ("roi_align 512 boxes 7x7, sampling_ratio=2 / crop_and_resize 14x14 + avg pool",
         lambda: RoIAlignStep(2), CropAndResizeStep, target),
        ("roi_align 512 boxes 7x7, sampling_ratio=-1 / crop_and_resize 14x14 + avg pool",
         lambda: RoIAlignStep(-1), CropAndResizeStep, target),
        ("(reference, not in keras_dlx) tf_roi_align fast path, sampling_ratio=2 / crop_and_resize composition",
         TFRoIAlignStep, CropAndResizeStep, None),
    ]


def main(argv=None):
    harness.main(cases(), SHAPE, __doc__, argv)


if __name__ == "__main__":
    main()
