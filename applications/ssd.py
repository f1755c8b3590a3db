"""SSD-style single-shot detectors: default boxes on several feature maps, a class and a box per default box."""

import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.applications import common, registry
from keras_dlx.applications.detector import OneStageDetector
from keras_dlx.applications.vgg import VGG16
from keras_dlx.layers import ConvNormAct, DepthwiseSeparableConv2D, ScaledL2Normalization
from keras_dlx.losses import MultiBoxLoss
from keras_dlx.ops import decode_boxes, encode_anchor_targets, ssd_default_boxes
from keras_dlx.ops.matching import SSD300_ASPECT_RATIOS, SSD300_MAX_SIZES, SSD300_MIN_SIZES
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


def _map_rows(x):
    return int(x.shape[1] if keras.config.image_data_format() == "channels_last" else x.shape[2])


def _prediction_heads(maps, boxes_per_position, num_classes, head):
    """The raw predictions `(batch, num_anchors, 4 + num_classes + 1)` of SSD's heads on `maps`.

    On map `k`, `head(feature, filters, name)` gives `boxes_per_position[k] * width` channels: the 4 deltas
    (`box_head_k`), then the `num_classes + 1` logits (`class_head_k`) of each default box; flattened
    position-major, then box, as `ssd_default_boxes` orders the anchors, and concatenated map by map.
    """
    boxes, logits = [], []
    for k, (feature, per_position) in enumerate(zip(maps, boxes_per_position)):
        for outputs, width, name in ((boxes, 4, "box"), (logits, num_classes + 1, "class")):
            y = _channels_last(head(feature, per_position * width, f"{name}_head_{k}"), f"{name}_head_{k}")
            outputs.append(keras.layers.Reshape((-1, width), name=f"{name}_head_{k}_flat")(y))
    boxes = keras.layers.Concatenate(axis=1, name="boxes")(boxes)
    logits = keras.layers.Concatenate(axis=1, name="logits")(logits)
    # Float32 under mixed precision too: the loss and the decoding read them.
    return keras.layers.Concatenate(axis=-1, name="predictions", dtype="float32")([boxes, logits])


def _square_side(shape, input_shape):
    rows, cols = shape[:2] if keras.config.image_data_format() == "channels_last" else shape[1:]
    if rows != cols:
        args.invalid("input_shape", input_shape, "square images (rows == cols)")
    return rows


class SingleShotDetector(OneStageDetector):
    """What SSD's detectors share: per default box 4 deltas and `num_classes + 1` logits (background first),
    SSD's matching in training (`encode_anchor_targets`, variances (0.1, 0.2)) with `MultiBoxLoss`, and in
    `predict` the decoded boxes, softmax scores and class-aware NMS.

    A subclass builds `self.network` (images -> raw predictions), sets `anchors`, `image_shape` and
    `num_classes`, and calls `_detection_settings` for the matching threshold and the NMS layer.
    """

    def _detection_settings(self, positive_threshold, iou_threshold, confidence_threshold, max_detections):
        self.positive_threshold = args.unit_interval("positive_threshold", positive_threshold, closed_right=True)
        self._set_postprocess(iou_threshold, confidence_threshold, max_detections)

    def _detection_config(self):
        nms = self.postprocess
        return {"positive_threshold": self.positive_threshold, "iou_threshold": nms.iou_threshold,
                "confidence_threshold": nms.confidence_threshold, "max_detections": nms.max_detections}

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


@registry.register("ssdlite", min_size=32, task="detection")
@register
class SSDLite(SingleShotDetector):
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
        rows = _square_side(shape, input_shape)
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
        self._detection_settings(positive_threshold, iou_threshold, confidence_threshold, max_detections)

        features = constructor(input_shape=shape, weights=weights, features_only=True, name=f"{backbone}_backbone",
                               **self.backbone_kwargs)
        available = dict(zip((4, 8, 16, 32)[-len(features.outputs):], features.outputs))
        missing = [s for s in self.feature_strides if s not in available]
        if missing:
            args.invalid("feature_strides", feature_strides, f"strides the backbone gives: {sorted(available)}")
        self.backbone = keras.Model(features.inputs, [available[s] for s in self.feature_strides],
                                    name=features.name)
        self.network, sizes = self._build_network(shape)
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

        def head(feature, filters, name):
            return DepthwiseSeparableConv2D(filters, 3, activation=None, normalization=False,
                                            intermediate_activation="relu6", use_bias=True, name=name)(feature)

        predictions = _prediction_heads(maps, [2 + 2 * len(self.aspect_ratios)] * len(maps), self.num_classes, head)
        return keras.Model(inputs, predictions, name="ssdlite_network"), [_map_rows(m) for m in maps]

    def get_config(self):
        return {
            "num_classes": self.num_classes, "input_shape": self.image_shape, "backbone": self.backbone_name,
            "backbone_kwargs": dict(self.backbone_kwargs) or None,
            # The backbone's initial weights only: a saved detector carries all its weights.
            "weights": None,
            "feature_strides": self.feature_strides, "extra_filters": self.extra_filters,
            "aspect_ratios": self.aspect_ratios, "min_scale": self.min_scale, "max_scale": self.max_scale,
            **self._detection_config(),
            "name": self.name, "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("input_shape", "feature_strides", "extra_filters", "aspect_ratios"):
            if key in config and isinstance(config[key], list):
                config[key] = tuple(config[key])
        return cls(**config)


# SSD300's extra layers after fc7 (Liu et al.'s Caffe model): a 1x1 reduction, then a 3x3 convolution; the first
# two halve the map (stride 2, padded by 1 on every side as Caffe pads), the last two shrink it by 2 (no padding).
SSD300_EXTRAS = (("conv8", 256, 512, 2), ("conv9", 128, 256, 2), ("conv10", 128, 256, 1), ("conv11", 128, 256, 1))
SSD300_SMALLEST_INPUT = 257  # the smallest side whose conv11_2 map is still 1x1


def _vgg16_layers(shape, weights):
    """VGG16's 13 convolutions by name (`block1_conv1` ... `block5_conv3`), with `weights` loaded as VGG16 does."""
    vgg = VGG16(include_top=False, weights=weights, input_shape=shape, name="vgg16")
    return {layer.name: layer for layer in vgg.layers if layer.name.startswith("block") and "_conv" in layer.name}


def _ssd300_vgg16(x, convs):
    """VGG16 up to conv5_3 with SSD's pooling, then fc6 and fc7 as convolutions: (conv4_3, fc7).

    Caffe's max pooling rounds its output size up, so a 75x75 map pools to 38x38 (the first SSD300 map); pool5
    is 3x3 with stride 1, keeping fc6/fc7 at stride 16. fc6 is a 3x3 convolution of dilation 6 (the reference
    model's subsampled fc6 made atrous), fc7 a 1x1 convolution.
    """
    conv4_3 = None
    for block, convolutions in enumerate((2, 2, 3, 3, 3), 1):
        for i in range(1, convolutions + 1):
            x = convs[f"block{block}_conv{i}"](x)
        if block == 4:
            conv4_3 = x
        if block < 5:
            x = keras.layers.MaxPooling2D(2, strides=2, padding="same", name=f"block{block}_pool")(x)
    x = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="block5_pool")(x)
    x = ConvNormAct(1024, 3, dilation_rate=6, norm=None, name="fc6")(x)
    return conv4_3, ConvNormAct(1024, 1, norm=None, name="fc7")(x)


def _ssd300_extras(x):
    maps = []
    for name, reduced, filters, strides in SSD300_EXTRAS:
        x = ConvNormAct(reduced, 1, norm=None, name=f"{name}_1")(x)
        x = ConvNormAct(filters, 3, strides=strides, padding="symmetric" if strides == 2 else "valid", norm=None,
                        name=f"{name}_2")(x)
        maps.append(x)
    return maps


def ssd300_default_box_settings(image_size, feature_map_sizes):
    """`(min_sizes, max_sizes, steps)` of SSD300's default boxes for a square input of side `image_size`.

    At 300 pixels, the reference model's: sizes (30, 60, 111, 162, 213, 264) / (60, ..., 315) and steps
    (8, 16, 32, 64, 100, 300). At another side the sizes scale with it (the same fractions of the image) and the
    steps are the maps' strides (8, 16, 32, 64) then `image_size / f_k` for the last two maps, which is how the
    reference's steps arise at 300.
    """
    ratio = image_size / 300
    min_sizes = tuple(s * ratio for s in SSD300_MIN_SIZES)
    max_sizes = tuple(s * ratio for s in SSD300_MAX_SIZES)
    steps = (8, 16, 32, 64) + tuple(image_size / f for f in feature_map_sizes[4:])
    return min_sizes, max_sizes, steps


@registry.register("ssd300", min_size=SSD300_SMALLEST_INPUT, task="detection")
@register
class SSD300(SingleShotDetector):
    """SSD300 (Liu et al. 2016): VGG16, six maps from 38x38 to 1x1 and 8,732 default boxes.

    The network is the paper's and its reference Caffe model's: VGG16's conv1_1 ... conv5_3 with Caffe's pooling
    (output sizes rounded up, pool5 3x3 with stride 1), fc6 as a 3x3 convolution of dilation 6 and fc7 as a 1x1
    convolution (1024 filters each), then the extra layers conv8_2 (10x10, 512), conv9_2 (5x5, 256), conv10_2
    (3x3, 256) and conv11_2 (1x1, 256), each a 1x1 reduction and a 3x3 convolution, ReLU everywhere. conv4_3 is
    normalised by `keras_dlx.layers.ScaledL2Normalization` (scale initialised to 20). On the six maps conv4_3,
    fc7, conv8_2 ... conv11_2 (38, 19, 10, 5, 3, 1 at 300x300) with 4, 6, 6, 6, 4, 4 default boxes per position,
    3x3 convolutions predict for each default box 4 box deltas and `num_classes + 1` class logits (background
    first): 8,732 boxes. The default boxes are the reference code's (`keras_dlx.ops.ssd_default_boxes` with its
    defaults): sizes (30, 60, 111, 162, 213, 264), extra squares up to (60, ..., 315), aspect ratios 2 (and 3 on
    fc7, conv8_2, conv9_2), steps (8, 16, 32, 64, 100, 300). Another square `input_shape` (at least 257 pixels)
    builds the same network with its own map sizes; the box sizes then scale with the side (see
    `ssd300_default_box_settings`). SSD512's extra map is not built.

    Training and prediction are SSDLite's (`keras_dlx.applications.SSDLite`): `fit(images, {"boxes",
    "classes"})` on padded ground truth, matched inside the training step (IoU >= `positive_threshold`, plus each
    truth's best box; deltas with variances (0.1, 0.2), i.e. weights (10, 10, 5, 5)) with
    `keras_dlx.losses.MultiBoxLoss` by default; calling the model gives the raw predictions `(batch, 8732,
    4 + num_classes + 1)`; `predict` the decoded, clipped boxes with softmax scores after class-aware NMS,
    `{"boxes", "scores", "classes", "num_detections"}` padded to `max_detections`.

    `weights` fills the 13 VGG16 convolutions only (as `keras_dlx.applications.VGG16(include_top=False)` loads
    them; its ImageNet weights expect `keras.applications.vgg16.preprocess_input`'s inputs); fc6, fc7, the extras
    and the heads start from Glorot-uniform values (the reference converts VGG16's fully-connected layers into
    fc6/fc7, which is not done here).

    Args:
        num_classes: positive int, object classes (without the background). Defaults to 20 (PASCAL VOC).
        input_shape: `(rows, cols, channels)` of the square input images (channels first under that data
            format), static, at least 257x257. Defaults to (300, 300, 3).
        weights: VGG16's `weights`: None, "imagenet" or the path to a VGG16 weights file (keras_dlx's, saved
            from `VGG16(include_top=False)`, or keras.applications'). Defaults to None. A saved detector (`.keras`)
            holds all its weights.
        positive_threshold: IoU at which a default box is matched to a truth in training. Defaults to 0.5.
        iou_threshold: NMS threshold of `predict`. Defaults to 0.45 (SSD's).
        confidence_threshold: class probability above which a box is a candidate in `predict`. Defaults to 0.01.
        max_detections: detections per image in `predict`. Defaults to 200 (the reference's `keep_top_k`).
        name: the model's name. Defaults to "ssd300".

    Example:

    >>> model = applications.SSD300(num_classes=20)  # builds in a few seconds on a CPU
    >>> model.anchors.shape, model.feature_map_sizes
    ((8732, 4), (38, 19, 10, 5, 3, 1))

    Reference:
        - [Liu et al. 2016, SSD: Single Shot MultiBox Detector](https://arxiv.org/abs/1512.02325)
    """

    def __init__(self, num_classes=20, input_shape=(300, 300, 3), weights=None, positive_threshold=0.5,
                 iou_threshold=0.45, confidence_threshold=0.01, max_detections=200, name="ssd300", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = args.positive_int("num_classes", num_classes)
        # Any square size with VGG16's ImageNet weights: only their 3 channels are required.
        shape = common.input_shape(input_shape, 300, SSD300_SMALLEST_INPUT, 3, True, None)
        rows = _square_side(shape, input_shape)
        if weights == "imagenet" and shape[common.channel_axis()] != 3:
            args.invalid("input_shape", input_shape, "3 input channels when loading 'imagenet' weights")
        self.image_shape = tuple(shape)
        self._detection_settings(positive_threshold, iou_threshold, confidence_threshold, max_detections)
        self.network, sizes = self._build_network(shape, weights)
        self.feature_map_sizes = tuple(sizes)
        min_sizes, max_sizes, steps = ssd300_default_box_settings(rows, sizes)
        self.anchors = np.asarray(keras.ops.convert_to_numpy(ssd_default_boxes(
            rows, sizes, SSD300_ASPECT_RATIOS, min_sizes, max_sizes, steps)), "float32")
        self.build((None,) + self.image_shape)

    def _build_network(self, shape, weights):
        inputs = keras.Input(shape=shape, name="images")
        conv4_3, fc7 = _ssd300_vgg16(inputs, _vgg16_layers(shape, weights))
        conv4_3 = ScaledL2Normalization(name="conv4_3_norm")(conv4_3)
        maps = [conv4_3, fc7] + _ssd300_extras(fc7)

        def head(feature, filters, name):
            return keras.layers.Conv2D(filters, 3, padding="same", name=name)(feature)

        per_position = [2 + 2 * len(ratios) for ratios in SSD300_ASPECT_RATIOS]
        predictions = _prediction_heads(maps, per_position, self.num_classes, head)
        return keras.Model(inputs, predictions, name="ssd300_network"), [_map_rows(m) for m in maps]

    def get_config(self):
        return {
            "num_classes": self.num_classes, "input_shape": self.image_shape,
            # VGG16's initial weights only: a saved detector carries all its weights.
            "weights": None,
            **self._detection_config(),
            "name": self.name, "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("input_shape"), list):
            config["input_shape"] = tuple(config["input_shape"])
        return cls(**config)
