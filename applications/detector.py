"""What every detector shares: training on padded ground truth, decoded detections from `predict`, `anchors`.

A detector is a `keras.Model` whose `call(images)` returns its raw per-anchor predictions (what the loss sees);
the conversions on either side live here, so `fit` and `predict` speak the library's padded format:

- `fit(images, {"boxes": (batch, max_boxes, 4), "classes": (batch, max_boxes)})`: `compute_loss` turns the
  padded ground truth into per-anchor targets with `encode_targets` (inside the compiled training step, with
  `keras.ops` only, so under `jit` on every backend) and hands them to the loss chosen in `compile` as `y_true`.
- `predict(images)`: `predict_step` turns the raw predictions into detections with `decode_predictions`: a dict
  `{"boxes", "scores", "classes", "num_detections"}` padded as `keras_dlx.layers.NonMaxSuppression` outputs.
- `anchors`: the `(num_anchors, 4)` float32 NumPy array of priors, xyxy input-image pixels, in the order of the
  raw predictions' anchor axis.

A subclass builds its network in `__init__`, sets `self.anchors`, and implements `encode_targets`,
`decode_predictions`, `default_loss` and `get_config`.
"""

import keras
import numpy as np
from keras import ops

from keras_dlx.layers import NonMaxSuppression


class Detector(keras.Model):
    """Base class of the detectors: matching inside the training step, decoding and NMS inside `predict`.

    Subclasses provide:

    - `encode_targets(y)`: the padded ground truth dict -> the loss's `y_true` (tensors, `keras.ops` only);
    - `decode_predictions(y_pred)`: raw predictions -> the padded detections dict;
    - `default_loss()`: the loss `compile` uses when given none;
    - `get_config()`: the constructor's arguments (`from_config` calls the constructor with them).

    `compile(optimizer, loss=None, ...)` takes Keras's arguments; `loss` receives the encoded targets and the raw
    predictions. Compiled `metrics` would see raw predictions, so detection metrics (e.g.
    `keras_dlx.metrics.MeanAveragePrecision`) are computed on `predict`'s output instead.
    """

    anchors = None

    def encode_targets(self, y):
        raise NotImplementedError(f"{type(self).__name__} does not implement encode_targets")

    def decode_predictions(self, y_pred):
        raise NotImplementedError(f"{type(self).__name__} does not implement decode_predictions")

    def default_loss(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement default_loss")

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        if metrics:
            raise ValueError(f"Invalid `metrics` for {type(self).__name__}: compiled metrics would see the raw "
                             f"per-anchor predictions; evaluate detections from `predict` (e.g. with "
                             f"keras_dlx.metrics.MeanAveragePrecision). Received: metrics={metrics!r}")
        super().compile(optimizer=optimizer, loss=self.default_loss() if loss is None else loss, **kwargs)

    def compile_from_config(self, config):
        # `.keras` loading: compile again with the saved arguments (Keras skips models that override compile).
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def _ground_truth(self, y):
        if not isinstance(y, dict) or "boxes" not in y or "classes" not in y:
            raise ValueError(f"Invalid targets for {type(self).__name__}: expected a dict with 'boxes' (batch, "
                             f"max_boxes, 4) and 'classes' (batch, max_boxes), class -1 marking padding. "
                             f"Received: {type(y).__name__}" + (f" with keys {sorted(y)}" if isinstance(y, dict)
                                                               else ""))
        return y["boxes"], y["classes"]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        targets = None if y is None else self.encode_targets(y)
        return super().compute_loss(x=x, y=targets, y_pred=y_pred, sample_weight=sample_weight, training=training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        # Only the loss is tracked (compile refuses metrics): compare nothing against the raw ground truth.
        return self.get_metrics_result()

    def predict_step(self, *step_args):
        # Keras's step gives the raw predictions; the detections are decoded in the same (compiled) function.
        # The JAX trainer's step is stateless: (state, data) -> (outputs, non-trainable variables).
        if keras.backend.backend() == "jax":
            outputs, non_trainable_variables = super().predict_step(*step_args)
            return self.decode_predictions(outputs), non_trainable_variables
        return self.decode_predictions(super().predict_step(*step_args))

    def detect(self, images):
        """The detections dict for a batch of images, as `predict` returns it, without Keras's batching loop."""
        return self.decode_predictions(self(images, training=False))

    def anchor_tensor(self, dtype="float32"):
        """`anchors` as a constant tensor."""
        return ops.convert_to_tensor(np.asarray(self.anchors, dtype))


class OneStageDetector(Detector):
    """A detector whose one `network` gives every anchor's raw prediction, decoded then filtered by one
    `NonMaxSuppression` layer, `postprocess` (SSD, YOLO). The subclass builds `self.network`, sets `anchors` and
    `num_classes`, and calls `_set_postprocess` with its NMS settings."""

    def _set_postprocess(self, iou_threshold, confidence_threshold, max_detections):
        # Detections in float32 under mixed precision too (pixel coordinates in float16/bfloat16 are coarse).
        self.postprocess = NonMaxSuppression(iou_threshold=iou_threshold, confidence_threshold=confidence_threshold,
                                             max_detections=max_detections, dtype="float32", name="nms")

    def build(self, input_shape=None):
        count = self.anchors.shape[0]
        self.postprocess.build((None, count, 4), (None, count, self.num_classes))
        self.built = True

    def call(self, images, training=None):
        return self.network(images, training=training)
