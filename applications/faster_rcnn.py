"""Faster R-CNN: a region proposal network and a RoIAlign box head on one shared backbone feature map.

Design: the box head's inputs (the sampled RoIs) depend on the ground truth in training, so the base class's
`encode_targets` -> compiled loss path does not fit. `call(images, training=True)` returns the shared feature
map and the RPN's outputs; `compute_loss(x, y, y_pred)` (which Keras runs inside the differentiated training
function on every backend) samples anchors and RoIs from `y`, runs RoIAlign and the box head on the sampled RoIs
and returns the RPN's and the head's losses. Random draws use `keras.random` with the model's own
`keras.random.SeedGenerator` (a model variable, so the draws change every step under `tf.function` and `jax.jit`).
"""

import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.applications import common, registry
from keras_dlx.applications.detector import Detector
from keras_dlx.layers import AnchorGenerator
from keras_dlx.losses.faster_rcnn import FastRCNNLoss, RPNLoss
from keras_dlx.ops import (
    box_iou,
    decode_boxes,
    encode_boxes,
    generate_proposals,
    match_anchors,
    nms_padded,
    roi_align,
    sample_balanced,
)
from keras_dlx.ops.proposals import _gather
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["FasterRCNN"]

HEAD_WEIGHTS = (10.0, 10.0, 5.0, 5.0)  # the box head's delta weights (the RPN's are all 1)
ANCHOR_SCALES = (1 / 6, 1 / 3, 2 / 3)  # default anchor sizes as fractions of the image side
LOSS_TERMS = ("rpn_objectness_loss", "rpn_box_loss", "classification_loss", "box_loss")


def _channels_last(x):
    return x if keras.config.image_data_format() == "channels_last" else ops.transpose(x, (0, 2, 3, 1))


def _positive_ints(name, value, count=None):
    values = value if isinstance(value, (tuple, list)) else (value,)
    if (count is not None and len(values) != count) or not values:
        args.invalid(name, value, f"{count} positive integers" if count else "positive integers")
    return tuple(args.positive_int(name, v) for v in values)


def _positive_numbers(name, value):
    if not isinstance(value, (tuple, list)) or not value or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in value):
        args.invalid(name, value, "a non-empty list of positive numbers")
    return tuple(float(v) for v in value)


@registry.register("faster_rcnn", min_size=32, task="detection")
@register
class FasterRCNN(Detector):
    """Faster R-CNN (Ren et al. 2015): region proposals from a small network on the backbone's map, then a box head.

    The backbone (a registered application built with `features_only=True`, ResNet-18 by default) gives one
    feature map at `feature_stride`. The region proposal network (RPN) slides a 3x3 convolution (`rpn_filters`,
    ReLU) over it, then two 1x1 convolutions give per position `k` objectness logits and `4k` box deltas for
    `k = len(anchor_sizes) * len(aspect_ratios)` anchors (`keras_dlx.layers.AnchorGenerator`: 3 sizes x 3
    ratios, the paper's 9; the default sizes are 1/6, 1/3 and 2/3 of the image side, the paper's 128-512 pixel
    anchors scaled to a small input). Proposals (`keras_dlx.ops.generate_proposals`): the top `pre_nms_top_k`
    anchors by objectness, decoded, clipped, NMS at `rpn_iou_threshold`, `train_proposals` kept in training and
    `test_proposals` in inference. Each proposal is pooled to `roi_size x roi_size` by RoIAlign
    (`keras_dlx.ops.roi_align`, 2 samples per bin), then two fully-connected layers (`representation_size`,
    ReLU) feed a classifier (`num_classes + 1` logits, background first) and per-class box deltas
    (`4 * num_classes`, weights (10, 10, 5, 5)).

    Training (`fit(images, {"boxes", "classes"})`, padded ground truth, class -1 padding), approximate joint
    training as in the paper, all inside the compiled step (`compute_loss`):

    - RPN: anchors matched by `keras_dlx.ops.match_anchors` (positive at IoU >= `rpn_positive_threshold` or
      the best anchor of a truth, negative below `rpn_negative_threshold`, ignored in between), then
      `rpn_batch_size` anchors per image drawn at most `rpn_positive_fraction` positive
      (`keras_dlx.ops.sample_balanced`); loss `keras_dlx.losses.RPNLoss`.
    - Head: the proposals plus the ground-truth boxes, matched by IoU (positive at >= `roi_positive_threshold`,
      else background), `roi_batch_size` RoIs drawn per image at most `roi_positive_fraction` positive; loss
      `keras_dlx.losses.FastRCNNLoss`. No gradient flows through the proposals' coordinates.

    The loss shown by `fit` is the sum of the four terms, which are logged too (`rpn_objectness_loss`,
    `rpn_box_loss`, `classification_loss`, `box_loss`). Cross-boundary anchors are kept in training (as
    torchvision; the paper ignores them).

    Calling the model returns a dict: `"features"`, `"objectness"` `(batch, num_anchors)` and `"rpn_deltas"`
    `(batch, num_anchors, 4)`; in inference also `"proposals"` `(batch, test_proposals, 4)`,
    `"proposal_valid"`, `"class_logits"` `(batch, test_proposals, num_classes + 1)` and `"box_deltas"`
    `(batch, test_proposals, 4 * num_classes)`. `predict` decodes each proposal's per-class box, scores it with
    the softmax probability and runs class-aware NMS: `{"boxes" (batch, max_detections, 4), "scores",
    "classes" int32 (-1 in padding slots), "num_detections" int32 (batch,)}`, float32 under mixed precision too.

    Args:
        num_classes: positive int, object classes (without the background). Defaults to 10.
        input_shape: `(rows, cols, channels)` static input shape (channels first under that data format), at
            least 32x32. Defaults to (96, 96, 1).
        backbone: name of a registered application supporting `features_only=True`. Defaults to "resnet18".
        backbone_kwargs: None or a dict of further backbone arguments. Defaults to None.
        weights: the backbone's `weights` (None, "imagenet" or a weights file). Defaults to None.
        feature_stride: the backbone map's stride, one of 4, 8, 16, 32. Defaults to 16 (the paper's).
        anchor_sizes: None (1/6, 1/3, 2/3 of the smaller image side) or anchor sizes in pixels. Defaults to None.
        aspect_ratios: anchor height/width ratios. Defaults to (0.5, 1.0, 2.0).
        rpn_filters: None (the backbone map's channels) or the RPN's 3x3 convolution filters. Defaults to None.
        rpn_positive_threshold, rpn_negative_threshold: RPN matching IoUs. Defaults to 0.7 and 0.3.
        rpn_batch_size, rpn_positive_fraction: anchors sampled per image and the positive share. 256 and 0.5.
        rpn_iou_threshold: the proposals' NMS threshold. Defaults to 0.7.
        pre_nms_top_k: proposals' candidates per image before NMS. Defaults to 6000.
        train_proposals, test_proposals: proposals kept after NMS in training / inference. 2000 and 300.
        min_proposal_size: proposals with a side below it (pixels) are dropped. Defaults to 0.
        roi_size: RoIAlign's output side. Defaults to 7.
        representation_size: units of the head's two fully-connected layers. Defaults to 1024.
        roi_batch_size, roi_positive_fraction, roi_positive_threshold: RoIs sampled per image, the positive
            share and the positive IoU. Defaults to 512, 0.25, 0.5.
        rpn_box_weight, box_weight: weights of the box terms of `RPNLoss` and `FastRCNNLoss`. Defaults to 1.
        iou_threshold: NMS threshold of `predict` (per class). Defaults to 0.5.
        confidence_threshold: class probability a detection must exceed. Defaults to 0.05.
        max_detections: detections per image in `predict`. Defaults to 100.
        seed: None or int, the seed of the training draws. Defaults to None.
        name: the model's name. Defaults to "faster_rcnn".

    Example:

    >>> model = applications.FasterRCNN(num_classes=3, input_shape=(64, 64, 1), representation_size=32,
    ...                                 test_proposals=20, max_detections=5)
    >>> model.anchors.shape
    (144, 4)
    >>> detections = model.predict(np.zeros((2, 64, 64, 1), "float32"), verbose=0)
    >>> tuple(detections["boxes"].shape), tuple(detections["classes"].shape)
    ((2, 5, 4), (2, 5))

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
        - [Girshick 2015, Fast R-CNN](https://arxiv.org/abs/1504.08083)
        - [He et al. 2017, Mask R-CNN (RoIAlign)](https://arxiv.org/abs/1703.06870)
    """

    def __init__(self, num_classes=10, input_shape=(96, 96, 1), backbone="resnet18", backbone_kwargs=None,
                 weights=None, feature_stride=16, anchor_sizes=None, aspect_ratios=(0.5, 1.0, 2.0),
                 rpn_filters=None, rpn_positive_threshold=0.7, rpn_negative_threshold=0.3, rpn_batch_size=256,
                 rpn_positive_fraction=0.5, rpn_iou_threshold=0.7, pre_nms_top_k=6000, train_proposals=2000,
                 test_proposals=300, min_proposal_size=0.0, roi_size=7, representation_size=1024,
                 roi_batch_size=512, roi_positive_fraction=0.25, roi_positive_threshold=0.5, rpn_box_weight=1.0,
                 box_weight=1.0, iou_threshold=0.5, confidence_threshold=0.05, max_detections=100, seed=None,
                 name="faster_rcnn", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = args.positive_int("num_classes", num_classes)
        shape = common.input_shape(input_shape, 96, 32, 1, True, weights)
        self.image_shape = tuple(shape)
        rows, cols = shape[:2] if keras.config.image_data_format() == "channels_last" else shape[1:]
        self.image_size = (rows, cols)
        self._check_arguments(locals())
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="sampling_seed")
        self.rpn_loss = RPNLoss(box_weight=self.rpn_box_weight)
        self.head_loss = FastRCNNLoss(box_weight=self.box_weight)
        self.loss_trackers = [keras.metrics.Mean(name=term) for term in LOSS_TERMS]

        self.backbone = self._build_backbone(backbone, backbone_kwargs, weights, shape)
        feature_shape = self.backbone.outputs[0].shape
        channels = feature_shape[-1 if keras.config.image_data_format() == "channels_last" else 1]
        self.feature_channels = int(channels)
        generator = AnchorGenerator(self.anchor_sizes, self.aspect_ratios, strides=self.feature_stride)
        self.anchors = np.asarray(keras.ops.convert_to_numpy(
            generator.anchors_for_shape([tuple(feature_shape)])), "float32")
        self.anchors_per_position = len(self.anchor_sizes) * len(self.aspect_ratios)
        self.rpn = self._build_rpn(feature_shape)
        self.box_head = self._build_box_head()
        self._weights_argument = weights
        self.built = True

    # --- construction -------------------------------------------------------------------------------------

    def _check_arguments(self, given):
        if given["anchor_sizes"] is None:
            side = min(self.image_size)
            self.anchor_sizes = tuple(side * s for s in ANCHOR_SCALES)
        else:
            self.anchor_sizes = _positive_numbers("anchor_sizes", given["anchor_sizes"])
        self.aspect_ratios = _positive_numbers("aspect_ratios", given["aspect_ratios"])
        if given["feature_stride"] not in (4, 8, 16, 32) or isinstance(given["feature_stride"], bool):
            args.invalid("feature_stride", given["feature_stride"], "one of 4, 8, 16, 32")
        self.feature_stride = int(given["feature_stride"])
        self.rpn_filters = None if given["rpn_filters"] is None else args.positive_int("rpn_filters",
                                                                                       given["rpn_filters"])
        for key in ("rpn_positive_threshold", "rpn_negative_threshold", "rpn_positive_fraction", "rpn_iou_threshold",
                    "roi_positive_fraction", "roi_positive_threshold", "iou_threshold", "confidence_threshold"):
            setattr(self, key, args.unit_interval(key, given[key], closed_right=True))
        if self.rpn_negative_threshold > self.rpn_positive_threshold:
            args.invalid("rpn_negative_threshold", given["rpn_negative_threshold"],
                         f"a number <= rpn_positive_threshold ({self.rpn_positive_threshold})")
        for key in ("rpn_batch_size", "pre_nms_top_k", "train_proposals", "test_proposals", "roi_size",
                    "representation_size", "roi_batch_size", "max_detections"):
            setattr(self, key, args.positive_int(key, given[key]))
        for key in ("min_proposal_size", "rpn_box_weight", "box_weight"):
            setattr(self, key, args.non_negative_float(key, given[key]))
        seed = given["seed"]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            args.invalid("seed", seed, "None or an integer")

    def _build_backbone(self, backbone, backbone_kwargs, weights, shape):
        if not isinstance(backbone, str):
            args.invalid("backbone", backbone, "the name of a registered application")
        constructor = registry.get_constructor(backbone)
        if backbone_kwargs is not None and not isinstance(backbone_kwargs, dict):
            args.invalid("backbone_kwargs", backbone_kwargs, "None or a dict of backbone arguments")
        self.backbone_name = backbone
        self.backbone_kwargs = dict(backbone_kwargs or {})
        features = constructor(input_shape=shape, weights=weights, features_only=True, name=f"{backbone}_backbone",
                               **self.backbone_kwargs)
        available = dict(zip((4, 8, 16, 32)[-len(features.outputs):], features.outputs))
        if self.feature_stride not in available:
            args.invalid("feature_stride", self.feature_stride, f"a stride the backbone gives: {sorted(available)}")
        # A model up to the chosen map only: the later stages are not computed.
        return keras.Model(features.inputs, available[self.feature_stride], name=features.name)

    def _build_rpn(self, feature_shape):
        k = self.anchors_per_position
        inputs = keras.Input(shape=tuple(feature_shape[1:]), name="features")
        x = keras.layers.Conv2D(self.rpn_filters or self.feature_channels, 3, padding="same", activation="relu",
                                name="rpn_conv")(inputs)
        objectness = keras.layers.Conv2D(k, 1, name="rpn_objectness")(x)
        deltas = keras.layers.Conv2D(4 * k, 1, name="rpn_deltas")(x)
        # Position-major, then anchor: the AnchorGenerator's order. Float32 under mixed precision too.
        objectness = keras.layers.Reshape((-1,), dtype="float32", name="objectness_flat")(
            keras.layers.Lambda(_channels_last, name="objectness_nhwc")(objectness)
            if keras.config.image_data_format() == "channels_first" else objectness)
        deltas = keras.layers.Reshape((-1, 4), dtype="float32", name="rpn_deltas_flat")(
            keras.layers.Lambda(_channels_last, name="deltas_nhwc")(deltas)
            if keras.config.image_data_format() == "channels_first" else deltas)
        return keras.Model(inputs, [objectness, deltas], name="rpn")

    def _build_box_head(self):
        size, channels = self.roi_size, self.feature_channels
        pooled = (size, size, channels) if keras.config.image_data_format() == "channels_last" else (
            channels, size, size)
        inputs = keras.Input(shape=pooled, name="pooled_rois")
        x = keras.layers.Flatten(name="flatten")(inputs)
        for i in (6, 7):  # the paper's fc6 and fc7
            x = keras.layers.Dense(self.representation_size, activation="relu", name=f"fc{i}")(x)
        logits = keras.layers.Dense(self.num_classes + 1, dtype="float32", name="class_logits")(x)
        deltas = keras.layers.Dense(4 * self.num_classes, dtype="float32", name="box_deltas",
                                    kernel_initializer=keras.initializers.RandomNormal(stddev=0.001))(x)
        return keras.Model(inputs, [logits, deltas], name="box_head")

    # --- forward --------------------------------------------------------------------------------------------

    def call(self, images, training=None):
        features = self.backbone(images, training=training)
        objectness, rpn_deltas = self.rpn(features, training=training)
        outputs = {"features": features, "objectness": objectness, "rpn_deltas": rpn_deltas}
        if training:
            return outputs
        proposals, _, valid = self.proposals(objectness, rpn_deltas, self.test_proposals)
        logits, deltas = self.head(features, proposals, training=training)
        outputs.update(proposals=proposals, proposal_valid=valid, class_logits=logits, box_deltas=deltas)
        return outputs

    def proposals(self, objectness, rpn_deltas, count):
        """`keras_dlx.ops.generate_proposals` with the model's settings: `(boxes, scores, valid)`."""
        return generate_proposals(self.anchor_tensor(), objectness, rpn_deltas, self.image_size,
                                  pre_nms_top_k=self.pre_nms_top_k, post_nms_top_k=count,
                                  iou_threshold=self.rpn_iou_threshold, min_size=self.min_proposal_size)

    def head(self, features, rois, training=None):
        """The box head on `(batch, R, 4)` RoIs: `(class_logits (batch, R, C + 1), deltas (batch, R, 4C))`."""
        rois = ops.stop_gradient(ops.cast(rois, "float32"))
        pooled = roi_align(features, rois, self.roi_size, spatial_scale=1.0 / self.feature_stride,
                           sampling_ratio=2)
        batch, count = ops.shape(rois)[0], rois.shape[1]
        pooled = ops.reshape(pooled, (batch * count,) + tuple(pooled.shape[2:]))
        logits, deltas = self.box_head(pooled, training=training)
        return (ops.reshape(logits, (batch, count, self.num_classes + 1)),
                ops.reshape(deltas, (batch, count, 4 * self.num_classes)))

    # --- training -------------------------------------------------------------------------------------------

    def default_loss(self):
        return None

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        if loss is not None:
            raise ValueError(f"Invalid `loss` for {type(self).__name__}: its losses are RPNLoss and FastRCNNLoss "
                             f"on anchors and RoIs sampled inside the training step (weights: `rpn_box_weight`, "
                             f"`box_weight`); pass loss=None. Received: loss={loss!r}")
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def rpn_targets(self, gt_boxes, gt_classes, objectness, rpn_deltas):
        """Sampled RPN `(y_true, y_pred)`, both `(batch, rpn_batch_size, 5)`, for `RPNLoss`."""
        anchors = self.anchor_tensor()
        matches = match_anchors(anchors, gt_boxes, gt_classes, positive_threshold=self.rpn_positive_threshold,
                                negative_threshold=self.rpn_negative_threshold)
        labels = ops.where(matches >= 0, 1, ops.where(matches == -1, 0, -1))
        indices, sampled = sample_balanced(labels, self.rpn_batch_size, self.rpn_positive_fraction,
                                           seed=self.seed_generator)
        truth = _gather(gt_boxes, ops.maximum(_gather(matches, indices), 0))
        chosen = ops.take(anchors, indices, axis=0)
        targets = encode_boxes(_safe_boxes(truth, sampled > 0), chosen)
        targets = ops.where((sampled > 0)[..., None], targets, 0.0)
        y_true = ops.concatenate([targets, ops.cast(sampled, "float32")[..., None]], axis=-1)
        y_pred = ops.concatenate([_gather(rpn_deltas, indices), _gather(objectness, indices)[..., None]], axis=-1)
        return ops.stop_gradient(y_true), y_pred

    def roi_targets(self, gt_boxes, gt_classes, objectness, rpn_deltas):
        """Sampled RoIs `(batch, S, 4)` and their `FastRCNNLoss` targets `(batch, S, 5)`."""
        proposals, _, valid = self.proposals(objectness, rpn_deltas, self.train_proposals)
        real = gt_classes >= 0
        rois = ops.concatenate([proposals, gt_boxes], axis=1)
        valid = ops.concatenate([valid, real], axis=1)
        iou = box_iou(rois, gt_boxes)  # (batch, R, M)
        iou = ops.where(real[:, None, :], iou, -1.0)
        best = ops.cast(ops.argmax(iou, axis=-1), "int32")
        best_iou = ops.max(iou, axis=-1)
        labels = ops.where(valid, ops.where(best_iou >= self.roi_positive_threshold, 1, 0), -1)
        indices, sampled = sample_balanced(labels, self.roi_batch_size, self.roi_positive_fraction,
                                           seed=self.seed_generator)
        chosen = _gather(rois, indices)
        matched = _gather(best, indices)
        truth = _gather(gt_boxes, matched)
        classes = _gather(gt_classes, matched) + 1
        target_class = ops.where(sampled > 0, classes, ops.where(sampled == 0, 0, -1))
        positive = sampled > 0
        targets = encode_boxes(_safe_boxes(truth, positive), _safe_boxes(chosen, positive), HEAD_WEIGHTS)
        targets = ops.where(positive[..., None], targets, 0.0)
        y_true = ops.concatenate([targets, ops.cast(target_class, "float32")[..., None]], axis=-1)
        return ops.stop_gradient(chosen), ops.stop_gradient(y_true)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        gt_boxes, gt_classes = self._ground_truth(y)
        gt_boxes = ops.cast(gt_boxes, "float32")
        gt_classes = ops.cast(gt_classes, "int32")
        objectness, rpn_deltas = y_pred["objectness"], y_pred["rpn_deltas"]
        rpn_true, rpn_pred = self.rpn_targets(gt_boxes, gt_classes, objectness, rpn_deltas)
        rpn_terms = self.rpn_loss.terms(rpn_true, rpn_pred)
        rois, head_true = self.roi_targets(gt_boxes, gt_classes, objectness, rpn_deltas)
        logits, deltas = self.head(y_pred["features"], rois, training=training)
        head_terms = self.head_loss.terms(head_true, ops.concatenate([logits, deltas], axis=-1))
        terms = [ops.mean(t) for t in rpn_terms + head_terms]
        for tracker, term in zip(self.loss_trackers, terms):
            tracker.update_state(term)
        total = terms[0] + terms[1] + terms[2] + terms[3]
        if self.losses:
            total = total + ops.cast(ops.sum(self.losses), total.dtype)
        return total

    # --- inference ------------------------------------------------------------------------------------------

    def decode_predictions(self, y_pred):
        proposals = ops.cast(y_pred["proposals"], "float32")
        valid = y_pred["proposal_valid"]
        logits = ops.cast(y_pred["class_logits"], "float32")
        batch, count = ops.shape(proposals)[0], proposals.shape[1]
        deltas = ops.reshape(ops.cast(y_pred["box_deltas"], "float32"), (batch, count, self.num_classes, 4))
        boxes = decode_boxes(deltas, proposals[:, :, None, :], HEAD_WEIGHTS)
        height, width = self.image_size
        boxes = ops.minimum(ops.maximum(boxes, 0.0), ops.convert_to_tensor([width, height, width, height],
                                                                           "float32"))
        scores = ops.softmax(logits, axis=-1)[..., 1:]
        scores = ops.where(valid[..., None], scores, -1.0)
        boxes = ops.reshape(boxes, (batch, count * self.num_classes, 4))
        scores = ops.reshape(scores, (batch, count * self.num_classes))
        classes = ops.zeros((batch, count, 1), "int32") + ops.arange(self.num_classes, dtype="int32")
        classes = ops.reshape(classes, (batch, count * self.num_classes))
        indices, num = nms_padded(boxes, scores, self.iou_threshold, self.max_detections,
                                  score_threshold=self.confidence_threshold, classes=classes)
        kept = indices >= 0
        safe = ops.maximum(indices, 0)
        return {"boxes": ops.where(kept[..., None], _gather(boxes, safe), 0.0),
                "scores": ops.where(kept, _gather(scores, safe), 0.0),
                "classes": ops.where(kept, _gather(classes, safe), -1),
                "num_detections": ops.cast(num, "int32")}

    # --- serialization --------------------------------------------------------------------------------------

    def get_config(self):
        return {
            "num_classes": self.num_classes, "input_shape": self.image_shape, "backbone": self.backbone_name,
            "backbone_kwargs": dict(self.backbone_kwargs) or None,
            "weights": None,  # the backbone's initial weights only: a saved detector carries all its weights
            "feature_stride": self.feature_stride, "anchor_sizes": self.anchor_sizes,
            "aspect_ratios": self.aspect_ratios, "rpn_filters": self.rpn_filters,
            "rpn_positive_threshold": self.rpn_positive_threshold,
            "rpn_negative_threshold": self.rpn_negative_threshold, "rpn_batch_size": self.rpn_batch_size,
            "rpn_positive_fraction": self.rpn_positive_fraction, "rpn_iou_threshold": self.rpn_iou_threshold,
            "pre_nms_top_k": self.pre_nms_top_k, "train_proposals": self.train_proposals,
            "test_proposals": self.test_proposals, "min_proposal_size": self.min_proposal_size,
            "roi_size": self.roi_size, "representation_size": self.representation_size,
            "roi_batch_size": self.roi_batch_size, "roi_positive_fraction": self.roi_positive_fraction,
            "roi_positive_threshold": self.roi_positive_threshold, "rpn_box_weight": self.rpn_box_weight,
            "box_weight": self.box_weight, "iou_threshold": self.iou_threshold,
            "confidence_threshold": self.confidence_threshold, "max_detections": self.max_detections,
            "seed": self.seed, "name": self.name, "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("input_shape", "anchor_sizes", "aspect_ratios"):
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        return cls(**config)


def _safe_boxes(boxes, keep):
    """`boxes` where `keep`, a unit box elsewhere: encode_boxes then never sees a zero size (no NaN)."""
    unit = ops.convert_to_tensor([0.0, 0.0, 1.0, 1.0], "float32")
    return ops.where(keep[..., None], boxes, unit)
