"""SSD-style single-shot detectors: default boxes on several feature maps, a class and a box per default box."""

import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.applications import common, registry
from keras_dlx.applications.detector import Detector
from keras_dlx.layers import ConvNormAct, DepthwiseSeparableConv2D, NonMaxSuppression
from keras_dlx.losses import MultiBoxLoss
from keras_dlx.ops import decode_boxes, encode_anchor_targets, ssd_default_boxes
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

BOX_WEIGHTS = (10.0, 10.0, 5.0, 5.0)  # SSD's variances (0.1, 0.2) as encode/decode_boxes weights


def default_box_sizes(image_size, num_maps, min_scale, max_scale):
    """SSD's per-map (min_sizes, max_sizes) in pixels: scales linear from `min_scale` to `max_scale`, then 1.

    `s_k = min_scale + (max_scale - min_scale) (k - 1) / (m - 1)` for the `m` maps; map `k`'s extra square box
    uses `sqrt(s_k s_{k+1})` with `s_{m+1} = 1` (torchvision's `DefaultBoxGenerator`).
    """
    if num_maps == 1:
        scales = [min_scale, 1.0]
    else:
        scales = [min_scale + (max_scale - min_scale) * k / (num_maps - 1) for k in range(num_maps)] + [1.0]
    return tuple(s * image_size for s in scales[:-1]), tuple(s * image_size for s in scales[1:])


def _channels_last(x, name):
    if keras.config.image_data_format() == "channels_first":
        return keras.layers.Permute((2, 3, 1), name=f"{name}_to_channels_last")(x)
    return x


@registry.register("ssdlite", min_size=32, task="detection")
@register
class SSDLite(Detector):
    """SSDLite (Sandler et al. 2018): SSD with a MobileNet backbone and depthwise-separable prediction heads.

    The backbone (a registered application built with `features_only=True`, MobileNet v1 by default) gives the
    maps at `feature_strides`; each entry of `extra_filters` adds a map at half the previous size (a 1x1
    convolution to half the filters, a 3x3 depthwise-separable convolution of stride 2, BatchNormalization and
    ReLU6 after each, as torchvision's SSDLite). On every map, two heads (a 3x3 depthwise convolution,
    BatchNormalization and ReLU6, then a 1x1 convolution with bias) predict for each of its default boxes the
    4 box deltas and `num_classes + 1` class logits (background first). The default boxes are SSD's
    (`keras_dlx.ops.ssd_default_boxes`): per position a square of scale `s_k`, one of `sqrt(s_k s_{k+1})`, and
    for each ratio `a` of `aspect_ratios` boxes of ratio `a` and `1/a`, with scales linear from `min_scale` to
    `max_scale` over the maps (fractions of the image side).

    Training (`fit(images, {"boxes", "classes"})`, padded ground truth, class -1 padding): inside the training
    step each image's truths are matched to the default boxes (`keras_dlx.ops.encode_anchor_targets`: IoU >=
    `positive_threshold`, plus each truth's best box; deltas with SSD's variances, weights (10, 10, 5, 5)) and
    the loss is `keras_dlx.losses.MultiBoxLoss` (smooth L1 + cross-entropy with 3:1 hard negatives) unless
    `compile` is given another. Calling the model returns the raw predictions `(batch, num_anchors,
    4 + num_classes + 1)`; `predict` returns detections: the deltas decoded against `anchors`
    (`keras_dlx.ops.decode_boxes`) and clipped to the image, softmax class probabilities, and class-aware NMS
    (`keras_dlx.layers.NonMaxSuppression` on the object classes), as the dict `{"boxes" (batch, max_detections,
    4), "scores" (batch, max_detections), "classes" int32 (batch, max_detections), -1 in padding slots,
    "num_detections" int32 (batch,)}`.

    Args:
        num_classes: positive int, object classes (without the background). Defaults to 10.
        input_shape: `(rows, cols, channels)` of the square input images (channels first under that data
            format), static. Defaults to (96, 96, 1).
        backbone: name of a registered application (`keras_dlx.applications.list_models()`) that supports
            `features_only=True`. Defaults to "mobilenet".
        backbone_kwargs: None or a dict of further arguments of the backbone's constructor, e.g.
            `{"alpha": 0.5}`. Defaults to None.
        weights: the backbone's `weights` (None, "imagenet" or the path to a backbone weights file), loaded as the
            classifiers do. Defaults to None. A saved detector (`.keras`) holds all its weights.
        feature_strides: strides of the backbone maps the heads use, from {4, 8, 16, 32}, increasing.
            Defaults to (8, 16, 32).
        extra_filters: filters of each extra map after the backbone's (each halves the size). Defaults to
            (256, 128).
        aspect_ratios: ratios besides 1 of the default boxes, the same on every map. Defaults to (2, 3).
        min_scale: scale of the first map's boxes, as a fraction of the image side, in (0, 1]. Defaults to 0.2.
        max_scale: scale of the last map's boxes, in [min_scale, 1]. Defaults to 0.95.
        positive_threshold: IoU at which a default box is matched to a truth in training. Defaults to 0.5.
        iou_threshold: NMS threshold of `predict`. Defaults to 0.45 (SSD's).
        confidence_threshold: class probability above which a box is a candidate in `predict`. Defaults to 0.01.
        max_detections: detections per image in `predict`. Defaults to 100.
        name: the model's name. Defaults to "ssdlite".

    Example:

    >>> model = applications.SSDLite(num_classes=3, input_shape=(64, 64, 1), backbone_kwargs={"alpha": 0.25},
    ...                              max_detections=5)
    >>> model.anchors.shape
    (516, 4)
    >>> images = np.zeros((2, 64, 64, 1), "float32")
    >>> tuple(model(images).shape)
    (2, 516, 8)
    >>> detections = model.predict(images, verbose=0)
    >>> tuple(detections["boxes"].shape), tuple(detections["classes"].shape)
    ((2, 5, 4), (2, 5))

    Reference:
        - [Liu et al. 2016, SSD: Single Shot MultiBox Detector](https://arxiv.org/abs/1512.02325)
        - [Sandler et al. 2018, MobileNetV2 (SSDLite)](https://arxiv.org/abs/1801.04381)
    """

    def __init__(self, num_classes=10, input_shape=(96, 96, 1), backbone="mobilenet", backbone_kwargs=None,
                 weights=None, feature_strides=(8, 16, 32), extra_filters=(256, 128), aspect_ratios=(2, 3),
                 min_scale=0.2, max_scale=0.95, positive_threshold=0.5, iou_threshold=0.45,
                 confidence_threshold=0.01, max_detections=100, name="ssdlite", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = args.positive_int("num_classes", num_classes)
        shape = common.input_shape(input_shape, 96, 32, 1, True, weights)
        rows, cols = shape[:2] if keras.config.image_data_format() == "channels_last" else shape[1:]
        if rows != cols:
            args.invalid("input_shape", input_shape, "square images (rows == cols)")
        self.image_shape = tuple(shape)
        if not isinstance(backbone, str):
            args.invalid("backbone", backbone, "the name of a registered application")
        constructor = registry.get_constructor(backbone)
        self.backbone_name = backbone
        if backbone_kwargs is not None and not isinstance(backbone_kwargs, dict):
            args.invalid("backbone_kwargs", backbone_kwargs, "None or a dict of backbone arguments")
        self.backbone_kwargs = dict(backbone_kwargs or {})
        if (not isinstance(feature_strides, (tuple, list)) or not feature_strides
                or any(s not in (4, 8, 16, 32) for s in feature_strides) or list(feature_strides) != sorted(
                    set(feature_strides))):
            args.invalid("feature_strides", feature_strides, "increasing strides from {4, 8, 16, 32}")
        self.feature_strides = tuple(int(s) for s in feature_strides)
        if not isinstance(extra_filters, (tuple, list)):
            args.invalid("extra_filters", extra_filters, "a list of positive integers (one per extra map)")
        self.extra_filters = tuple(args.positive_int("extra_filters", f) for f in extra_filters)
        if not isinstance(aspect_ratios, (tuple, list)) or not all(
                isinstance(a, numbers.Real) and not isinstance(a, bool) and a > 0 for a in aspect_ratios):
            args.invalid("aspect_ratios", aspect_ratios, "a list of positive ratios")
        self.aspect_ratios = tuple(aspect_ratios)
        self.min_scale = args.unit_interval("min_scale", min_scale, closed_right=True)
        if self.min_scale == 0:
            args.invalid("min_scale", min_scale, "a number in (0, 1]")
        self.max_scale = args.unit_interval("max_scale", max_scale, closed_right=True)
        if self.max_scale < self.min_scale:
            args.invalid("max_scale", max_scale, f"a number in [min_scale ({self.min_scale}), 1]")
        self.positive_threshold = args.unit_interval("positive_threshold", positive_threshold, closed_right=True)
        # Detections in float32 under mixed precision too (pixel coordinates in float16/bfloat16 are coarse).
        self.postprocess = NonMaxSuppression(iou_threshold=iou_threshold, confidence_threshold=confidence_threshold,
                                             max_detections=max_detections, dtype="float32", name="nms")

        features = constructor(input_shape=shape, weights=weights, features_only=True, name=f"{backbone}_backbone",
                               **self.backbone_kwargs)
        available = dict(zip((4, 8, 16, 32)[-len(features.outputs):], features.outputs))
        missing = [s for s in self.feature_strides if s not in available]
        if missing:
            args.invalid("feature_strides", feature_strides, f"strides the backbone gives: {sorted(available)}")
        self.backbone = keras.Model(features.inputs, [available[s] for s in self.feature_strides],
                                    name=features.name)
        self.network = self._build_network(shape)
        sizes = [int(t.shape[1]) for t in self._head_maps]
        min_sizes, max_sizes = default_box_sizes(rows, len(sizes), self.min_scale, self.max_scale)
        self.feature_map_sizes = tuple(sizes)
        self.anchors = np.asarray(keras.ops.convert_to_numpy(ssd_default_boxes(
            rows, sizes, (self.aspect_ratios,) * len(sizes), min_sizes, max_sizes, steps=None)), "float32")
        self._weights_argument = weights
        self.build((None,) + self.image_shape)

    def _build_network(self, shape):
        inputs = keras.Input(shape=shape, name="images")
        maps = self.backbone(inputs)
        maps = list(maps) if isinstance(maps, (list, tuple)) else [maps]
        x = maps[-1]
        for i, filters in enumerate(self.extra_filters, 1):
            x = ConvNormAct(max(filters // 2, 1), 1, activation="relu6", name=f"extra_{i}_reduce")(x)
            x = DepthwiseSeparableConv2D(filters, 3, strides=2, activation="relu6", intermediate_activation="relu6",
                                         name=f"extra_{i}")(x)
            maps.append(x)
        per_position = 2 + 2 * len(self.aspect_ratios)
        boxes, logits = [], []
        self._head_maps = []
        for k, feature in enumerate(maps):
            channels_last = _channels_last(feature, f"map_{k}")
            self._head_maps.append(channels_last)
            for outputs, width, name in ((boxes, 4, "box"), (logits, self.num_classes + 1, "class")):
                y = DepthwiseSeparableConv2D(per_position * width, 3, activation=None, normalization=False,
                                             intermediate_activation="relu6", use_bias=True,
                                             name=f"{name}_head_{k}")(feature)
                y = _channels_last(y, f"{name}_head_{k}")
                outputs.append(keras.layers.Reshape((-1, width), name=f"{name}_head_{k}_flat")(y))
        boxes = keras.layers.Concatenate(axis=1, name="boxes")(boxes)
        logits = keras.layers.Concatenate(axis=1, name="logits")(logits)
        predictions = keras.layers.Concatenate(axis=-1, name="predictions", dtype="float32")([boxes, logits])
        return keras.Model(inputs, predictions, name="ssdlite_network")

    def build(self, input_shape=None):
        anchors = self.anchors.shape[0]
        self.postprocess.build((None, anchors, 4), (None, anchors, self.num_classes))
        self.built = True

    def call(self, images, training=None):
        return self.network(images, training=training)

    def default_loss(self):
        return MultiBoxLoss()

    def encode_targets(self, y):
        boxes, classes = self._ground_truth(y)
        return encode_anchor_targets(self.anchor_tensor(), ops.cast(boxes, "float32"), classes,
                                     positive_threshold=self.positive_threshold, weights=BOX_WEIGHTS)

    def decode_predictions(self, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        boxes = decode_boxes(y_pred[..., :4], self.anchor_tensor()[None], BOX_WEIGHTS)
        boxes = ops.clip(boxes, 0.0, float(self.anchors_image_size))
        scores = ops.softmax(y_pred[..., 4:], axis=-1)
        return self.postprocess(boxes, scores[..., 1:])

    @property
    def anchors_image_size(self):
        shape = self.image_shape
        return shape[0] if keras.config.image_data_format() == "channels_last" else shape[1]

    def get_config(self):
        nms = self.postprocess
        return {
            "num_classes": self.num_classes, "input_shape": self.image_shape, "backbone": self.backbone_name,
            "backbone_kwargs": dict(self.backbone_kwargs) or None,
            # The backbone's initial weights only: a saved detector carries all its weights.
            "weights": None,
            "feature_strides": self.feature_strides, "extra_filters": self.extra_filters,
            "aspect_ratios": self.aspect_ratios, "min_scale": self.min_scale, "max_scale": self.max_scale,
            "positive_threshold": self.positive_threshold, "iou_threshold": nms.iou_threshold,
            "confidence_threshold": nms.confidence_threshold, "max_detections": nms.max_detections,
            "name": self.name, "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("input_shape", "feature_strides", "extra_filters", "aspect_ratios"):
            if key in config and isinstance(config[key], list):
                config[key] = tuple(config[key])
        return cls(**config)
