"""YOLO v1: one network regresses an S x S grid of boxes, confidences and class probabilities from the whole image."""

import keras
import numpy as np
from keras import ops

from keras_dlx.applications import common, registry
from keras_dlx.applications.detector import OneStageDetector
from keras_dlx.layers import ConvNormAct
from keras_dlx.losses import YOLOv1Loss, encode_yolo_v1_targets
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["YOLOv1"]

LEAKY_SLOPE = 0.1  # the paper's leaky ReLU, every layer but the last


def yolo_v1_cell_boxes(image_size, grid_size, boxes_per_cell):
    """The `(S * S * B, 4)` float32 xyxy pixel boxes of the grid cells, each repeated for its B predictions.

    Cell (row `i`, column `j`) is `[j c, i c, (j + 1) c, (i + 1) c]` with `c = image_size / S`; order: row, then
    column, then box, as `YOLOv1`'s decoded predictions.
    """
    side = image_size / grid_size
    rows, cols = np.meshgrid(np.arange(grid_size), np.arange(grid_size), indexing="ij")
    cells = np.stack([cols, rows, cols + 1, rows + 1], axis=-1).reshape(-1, 1, 4) * side
    return np.repeat(cells, boxes_per_cell, axis=1).reshape(-1, 4).astype("float32")


def _square_side(shape, input_shape):
    rows, cols = shape[:2] if keras.config.image_data_format() == "channels_last" else shape[1:]
    if rows != cols:
        args.invalid("input_shape", input_shape, "square images (rows == cols)")
    return rows


def _positive_ints(name, value, description):
    if not isinstance(value, (tuple, list)):
        args.invalid(name, value, description)
    return tuple(args.positive_int(name, v) for v in value)


@registry.register("yolov1", min_size=32, task="detection")
@register
class YOLOv1(OneStageDetector):
    """YOLO v1 (Redmon et al. 2016): a backbone, then fully-connected layers predicting an S x S x (5B + C) grid.

    The image is divided into `grid_size x grid_size` cells (S); each cell predicts `boxes_per_cell` boxes (B),
    each as `(x, y, sqrt(w), sqrt(h), confidence)` (centre offset within the cell, square roots of the size
    relative to the image), and one set of C class probabilities. The network is the paper's detection part on
    a registered backbone: the backbone's map at `feature_stride` (built with `features_only=True`, MobileNet v1
    by default; the paper's 24-convolution network is not built), then the `head_filters` 3x3 convolutions
    (BatchNormalization, leaky ReLU 0.1; the paper's four extra convolutions), flatten, a Dense layer of
    `hidden_units` with leaky ReLU 0.1, dropout `dropout_rate` (0.5, as the paper), and a Dense layer of
    `S * S * (5B + C)` outputs reshaped to `(S, S, 5B + C)`. The paper's last layer is linear; here the 5B box
    channels go through a sigmoid and the C class channels through a softmax, so every decoded box lies inside
    its cell with a size in [0, 1] of the image and the class probabilities sum to 1 (bounded targets and
    outputs train from scratch without the paper's ImageNet pretraining and warm-up).

    `head="convolutional"` is a variant, not the paper's: the backbone map is resized (bilinear) to S x S, the
    `head_filters` convolutions run on it, and 1x1 convolutions predict each cell's `5B + C` channels (dropout
    before them; `hidden_units` unused). Its weights are shared by the cells, so it learns from far fewer
    images than the dense head, whose weights for a cell only learn from the images with an object there.

    Training (`fit(images, {"boxes", "classes"})`, padded ground truth, class -1 padding): inside the training
    step the truths are assigned to the cells holding their centres (`keras_dlx.losses.encode_yolo_v1_targets`,
    `keras.ops` only, so under `jit` too) and the loss is `keras_dlx.losses.YOLOv1Loss` (sum-squared error,
    lambda_coord 5, lambda_noobj 0.5, IoU-rescored confidence) unless `compile` is given another. Calling the
    model returns the grid `(batch, S, S, 5B + C)`, float32 (in this layout under `channels_first` too: it is
    the loss's). `predict` decodes each box (`cx = (column + x) / S * side`, `w = sqrt(w)^2 * side`, clipped to
    the image), scores each (box, class) by `confidence * p(class)` (the paper's class-specific confidence) and
    runs class-aware NMS (`keras_dlx.layers.NonMaxSuppression`), returning `{"boxes" (batch, max_detections, 4),
    "scores", "classes" int32 (-1 in padding slots), "num_detections" int32 (batch,)}`.

    `anchors` are the `S * S * B` grid-cell boxes, xyxy pixels, row-major cells then box (each cell's box
    repeated B times): YOLO v1 has no priors; a prediction's centre lies in its cell (see `yolo_v1_cell_boxes`).

    The default `hidden_units` is 512, not the paper's 4096: on 96x96 canvases with a 3x3 stride-32 map, 4096
    units would hold ~4M weights in the last layer alone (S * S * (5B + C) = 980 outputs) for 4,000 training
    images; 512 keeps that layer at 0.5M weights.

    Args:
        num_classes: positive int, C. Defaults to 10.
        input_shape: `(rows, cols, channels)` of the square input images (channels first under that data
            format), static. Defaults to (96, 96, 1).
        backbone: name of a registered application supporting `features_only=True`. Defaults to "mobilenet".
        backbone_kwargs: None or a dict of further arguments of the backbone, e.g. `{"alpha": 0.5}`.
            Defaults to None.
        weights: the backbone's `weights` (None, "imagenet" or a backbone weights file), loaded as the classifiers
            do. Defaults to None. A saved detector (`.keras`) holds all its weights.
        feature_stride: stride of the backbone map the head reads, from {4, 8, 16, 32}. Defaults to 32.
        grid_size: S. Defaults to 7.
        boxes_per_cell: B. Defaults to 2.
        head_filters: filters of the 3x3 convolutions before flattening (may be empty). Defaults to (128,).
        hidden_units: width of the fully-connected layer. Defaults to 512.
        dropout_rate: dropout after it, in [0, 1). Defaults to 0.5.
        head: "dense" (the paper's fully-connected layers) or "convolutional" (1x1 convolutions on the
            S x S-resized map, see above). Defaults to "dense".
        iou_threshold: NMS threshold of `predict`. Defaults to 0.5.
        confidence_threshold: class-specific confidence above which a box is a candidate. Defaults to 0.01.
        max_detections: detections per image in `predict`. Defaults to 100.
        name: the model's name. Defaults to "yolov1".

    Example:

    >>> model = applications.YOLOv1(num_classes=3, input_shape=(64, 64, 1), backbone_kwargs={"alpha": 0.25},
    ...                             hidden_units=64, max_detections=5)
    >>> model.anchors.shape, tuple(model(np.zeros((1, 64, 64, 1), "float32")).shape)
    ((98, 4), (1, 7, 7, 13))
    >>> sorted(model.predict(np.zeros((2, 64, 64, 1), "float32"), verbose=0))
    ['boxes', 'classes', 'num_detections', 'scores']

    Reference:
        - [Redmon et al. 2016, You Only Look Once: Unified, Real-Time Object Detection](
          https://arxiv.org/abs/1506.02640)
    """

    def __init__(self, num_classes=10, input_shape=(96, 96, 1), backbone="mobilenet", backbone_kwargs=None,
                 weights=None, feature_stride=32, grid_size=7, boxes_per_cell=2, head_filters=(128,),
                 hidden_units=512, dropout_rate=0.5, head="dense", iou_threshold=0.5, confidence_threshold=0.01,
                 max_detections=100, name="yolov1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = args.positive_int("num_classes", num_classes)
        self.grid_size = args.positive_int("grid_size", grid_size)
        self.boxes_per_cell = args.positive_int("boxes_per_cell", boxes_per_cell)
        shape = common.input_shape(input_shape, 96, 32, 1, True, weights)
        self.image_size = _square_side(shape, input_shape)
        self.image_shape = tuple(shape)
        if not isinstance(backbone, str):
            args.invalid("backbone", backbone, "the name of a registered application")
        constructor = registry.get_constructor(backbone)
        self.backbone_name = backbone
        if backbone_kwargs is not None and not isinstance(backbone_kwargs, dict):
            args.invalid("backbone_kwargs", backbone_kwargs, "None or a dict of backbone arguments")
        self.backbone_kwargs = dict(backbone_kwargs or {})
        if feature_stride not in (4, 8, 16, 32) or isinstance(feature_stride, bool):
            args.invalid("feature_stride", feature_stride, "one of 4, 8, 16, 32")
        self.feature_stride = int(feature_stride)
        self.head_filters = _positive_ints("head_filters", head_filters, "a list of positive integers (may be empty)")
        self.hidden_units = args.positive_int("hidden_units", hidden_units)
        self.dropout_rate = args.unit_interval("dropout_rate", dropout_rate)
        if head not in ("dense", "convolutional"):
            args.invalid("head", head, "'dense' or 'convolutional'")
        self.head = head
        self._set_postprocess(iou_threshold, confidence_threshold, max_detections)

        features = constructor(input_shape=shape, weights=weights, features_only=True, name=f"{backbone}_backbone",
                               **self.backbone_kwargs)
        available = dict(zip((4, 8, 16, 32)[-len(features.outputs):], features.outputs))
        if self.feature_stride not in available:
            args.invalid("feature_stride", feature_stride, f"a stride the backbone gives: {sorted(available)}")
        self.backbone = keras.Model(features.inputs, available[self.feature_stride], name=features.name)
        self.network = self._build_network(shape)
        self.anchors = yolo_v1_cell_boxes(self.image_size, self.grid_size, self.boxes_per_cell)
        self.build((None,) + self.image_shape)

    def _build_network(self, shape):
        s = self.grid_size
        inputs = keras.Input(shape=shape, name="images")
        x = self.backbone(inputs)
        if self.head == "convolutional":
            x = keras.layers.Resizing(s, s, interpolation="bilinear", name="to_grid")(x)
        for i, filters in enumerate(self.head_filters, 1):
            x = ConvNormAct(filters, 3, activation=None, name=f"head_conv_{i}")(x)
            x = keras.layers.LeakyReLU(LEAKY_SLOPE, name=f"head_conv_{i}_leaky_relu")(x)
        if self.head == "dense":
            boxes, logits = self._dense_outputs(x)
        else:
            boxes, logits = self._convolutional_outputs(x)
        classes = keras.layers.Softmax(axis=-1, name="class_probabilities")(logits)
        # Float32 under mixed precision too: the loss and the decoding read them.
        grid = keras.layers.Concatenate(axis=-1, name="grid", dtype="float32")([boxes, classes])
        return keras.Model(inputs, grid, name="yolov1_network")

    def _dense_outputs(self, x):
        s, b, c = self.grid_size, self.boxes_per_cell, self.num_classes
        # Flatten reads channels_first maps in channels_last order, so the Dense weights mean the same either way.
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(self.hidden_units, name="hidden")(x)
        x = keras.layers.LeakyReLU(LEAKY_SLOPE, name="hidden_leaky_relu")(x)
        x = keras.layers.Dropout(self.dropout_rate, name="dropout")(x)
        boxes = keras.layers.Dense(s * s * 5 * b, activation="sigmoid", name="box_outputs")(x)
        boxes = keras.layers.Reshape((s, s, 5 * b), name="boxes")(boxes)
        logits = keras.layers.Dense(s * s * c, name="class_outputs")(x)
        return boxes, keras.layers.Reshape((s, s, c), name="class_logits")(logits)

    def _convolutional_outputs(self, x):
        b, c = self.boxes_per_cell, self.num_classes
        x = keras.layers.Dropout(self.dropout_rate, name="dropout")(x)
        boxes = keras.layers.Conv2D(5 * b, 1, activation="sigmoid", name="box_outputs")(x)
        logits = keras.layers.Conv2D(c, 1, name="class_logits")(x)
        if keras.config.image_data_format() == "channels_first":
            boxes = keras.layers.Permute((2, 3, 1), name="boxes")(boxes)
            logits = keras.layers.Permute((2, 3, 1), name="class_logits_to_channels_last")(logits)
        return boxes, logits

    def default_loss(self):
        return YOLOv1Loss(grid_size=self.grid_size, boxes_per_cell=self.boxes_per_cell, num_classes=self.num_classes)

    def encode_targets(self, y):
        boxes, classes = self._ground_truth(y)
        return encode_yolo_v1_targets(ops.cast(boxes, "float32"), classes, self.image_size,
                                      grid_size=self.grid_size, num_classes=self.num_classes)

    def decode_predictions(self, y_pred):
        s, b, c = self.grid_size, self.boxes_per_cell, self.num_classes
        y_pred = ops.cast(y_pred, "float32")
        boxes = ops.reshape(y_pred[..., :5 * b], (-1, s, s, b, 5))
        columns = ops.reshape(ops.arange(s, dtype="float32"), (1, 1, s, 1))
        rows = ops.reshape(ops.arange(s, dtype="float32"), (1, s, 1, 1))
        side = float(self.image_size)
        cx = (columns + boxes[..., 0]) / s * side
        cy = (rows + boxes[..., 1]) / s * side
        w = ops.square(boxes[..., 2]) * side
        h = ops.square(boxes[..., 3]) * side
        corners = ops.clip(ops.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1), 0.0, side)
        # The paper's class-specific confidence: Pr(class | object) * Pr(object) * IoU.
        scores = ops.expand_dims(boxes[..., 4], -1) * ops.expand_dims(y_pred[..., 5 * b:], -2)
        return self.postprocess(ops.reshape(corners, (-1, s * s * b, 4)), ops.reshape(scores, (-1, s * s * b, c)))

    def get_config(self):
        nms = self.postprocess
        return {
            "num_classes": self.num_classes, "input_shape": self.image_shape, "backbone": self.backbone_name,
            "backbone_kwargs": dict(self.backbone_kwargs) or None,
            # The backbone's initial weights only: a saved detector carries all its weights.
            "weights": None,
            "feature_stride": self.feature_stride, "grid_size": self.grid_size,
            "boxes_per_cell": self.boxes_per_cell, "head_filters": self.head_filters,
            "hidden_units": self.hidden_units, "dropout_rate": self.dropout_rate, "head": self.head,
            "iou_threshold": nms.iou_threshold, "confidence_threshold": nms.confidence_threshold,
            "max_detections": nms.max_detections,
            "name": self.name, "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("input_shape", "head_filters"):
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        return cls(**config)
