"""Region proposals and balanced sampling for two-stage detectors (Faster R-CNN), with fixed output shapes.

Both ops keep every shape static (padded outputs, masks instead of boolean indexing), so they run inside a
compiled training step (`tf.function`, `jax.jit`) on every backend.
"""

import numbers

import keras
from keras import ops

from keras_dlx.ops.boxes import decode_boxes
from keras_dlx.ops.nms import nms_padded
from keras_dlx.utils import arguments as args

__all__ = ["generate_proposals", "sample_balanced"]


def _gather(values, indices):
    """`values[b, indices[b]]` for `(batch, N, ...)` values and `(batch, K)` int indices."""
    indices = ops.cast(indices, "int32")
    extra = len(values.shape) - 2
    indices = ops.reshape(indices, tuple(ops.shape(indices)) + (1,) * extra)
    return ops.take_along_axis(values, indices, axis=1)


def generate_proposals(anchors, objectness, deltas, image_size, pre_nms_top_k=6000, post_nms_top_k=300,
                       iou_threshold=0.7, min_size=0.0, weights=None):
    """Faster R-CNN's region proposals: decode the RPN's deltas, clip, drop tiny boxes, top-k, then NMS.

    Per image: the `pre_nms_top_k` anchors of highest objectness (all of them if there are fewer) have their
    deltas decoded (`keras_dlx.ops.decode_boxes`) and the boxes clipped to the image; boxes narrower or shorter
    than `min_size` pixels are dropped; greedy NMS at `iou_threshold` (`keras_dlx.ops.nms_padded`) keeps at most
    `post_nms_top_k` boxes in decreasing objectness. The outputs have a fixed size: slots after the kept boxes
    hold zero boxes, score 0 and `valid` False. No gradient flows into the proposals (as in the paper's
    approximate joint training).

    Args:
        anchors: `(num_anchors, 4)` xyxy anchors in pixels.
        objectness: `(batch, num_anchors)` objectness logits.
        deltas: `(batch, num_anchors, 4)` box deltas against the anchors.
        image_size: `(height, width)` or one int (square), the clipping extent in pixels.
        pre_nms_top_k: positive int, candidates per image before NMS. Defaults to 6000 (the paper's).
        post_nms_top_k: positive int, the output slots per image. Defaults to 300 (the paper's test setting;
            2000 in training).
        iou_threshold: NMS threshold in [0, 1]. Defaults to 0.7 (the paper's).
        min_size: non-negative float, boxes with a side below it are dropped. Defaults to 0.
        weights: the deltas' `weights` as in `decode_boxes`. Defaults to None (the RPN's: all 1).

    Returns:
        Tuple `(boxes, scores, valid)`: float32 `(batch, k, 4)` proposals, float32 `(batch, k)` objectness
        probabilities (sigmoid), bool `(batch, k)`, with `k = min(post_nms_top_k, min(pre_nms_top_k,
        num_anchors))`.

    Example:

    >>> anchors = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], "float32")
    >>> boxes, scores, valid = keras_dlx.ops.generate_proposals(
    ...     anchors, np.array([[2.0, 3.0, 1.0]]), np.zeros((1, 3, 4)), 32, post_nms_top_k=3, iou_threshold=0.5)
    >>> keras.ops.convert_to_numpy(boxes)[0].tolist()
    [[1.0, 1.0, 11.0, 11.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 0.0, 0.0]]
    >>> keras.ops.convert_to_numpy(valid).tolist()
    [[True, True, False]]

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
    """
    pre_nms_top_k = args.positive_int("pre_nms_top_k", pre_nms_top_k)
    post_nms_top_k = args.positive_int("post_nms_top_k", post_nms_top_k)
    min_size = args.non_negative_float("min_size", min_size)
    height, width = _image_size(image_size)
    anchors = ops.cast(ops.convert_to_tensor(anchors), "float32")
    objectness = ops.cast(ops.stop_gradient(ops.convert_to_tensor(objectness)), "float32")
    deltas = ops.cast(ops.stop_gradient(ops.convert_to_tensor(deltas)), "float32")
    if len(objectness.shape) != 2 or len(deltas.shape) != 3 or deltas.shape[-1] != 4:
        raise ValueError(f"Invalid `objectness`/`deltas` for generate_proposals: expected (batch, num_anchors) and "
                         f"(batch, num_anchors, 4). Received: shapes {tuple(objectness.shape)} and "
                         f"{tuple(deltas.shape)}")
    num_anchors = anchors.shape[0]
    top = min(pre_nms_top_k, num_anchors)
    keep = min(post_nms_top_k, top)
    logits, order = ops.top_k(objectness, top, sorted=True)
    chosen = ops.take(anchors, order, axis=0)  # (batch, top, 4)
    boxes = decode_boxes(_gather(deltas, order), chosen, weights)
    limits = ops.convert_to_tensor([width, height, width, height], "float32")
    boxes = ops.minimum(ops.maximum(boxes, 0.0), limits)
    big = ops.logical_and(boxes[..., 2] - boxes[..., 0] >= min_size, boxes[..., 3] - boxes[..., 1] >= min_size)
    scores = ops.sigmoid(logits)
    # Dropped boxes score -1, below nms_padded's threshold; the others are in [0, 1].
    indices, _ = nms_padded(boxes, ops.where(big, scores, -1.0), iou_threshold, keep, score_threshold=-0.5)
    valid = indices >= 0
    safe = ops.maximum(indices, 0)
    out_boxes = ops.where(valid[..., None], _gather(boxes, safe), 0.0)
    out_scores = ops.where(valid, _gather(scores, safe), 0.0)
    return out_boxes, out_scores, valid


def _image_size(image_size):
    if isinstance(image_size, numbers.Real) and not isinstance(image_size, bool) and image_size > 0:
        return float(image_size), float(image_size)
    if (isinstance(image_size, (tuple, list)) and len(image_size) == 2 and all(
            isinstance(s, numbers.Real) and not isinstance(s, bool) and s > 0 for s in image_size)):
        return float(image_size[0]), float(image_size[1])
    args.invalid("image_size", image_size, "a positive number or (height, width)")


def sample_balanced(labels, num_samples, positive_fraction=0.5, seed=None):
    """Draw a fixed number of training examples per image, at most a fraction of them positive (Faster R-CNN).

    Per image, among `labels` (1 positive, 0 negative, any other value ignored: padding, ignored anchors), up to
    `floor(num_samples * positive_fraction)` positives are drawn at random without replacement, and negatives
    fill the remaining slots (as many as there are): the paper's 256 anchors at 1:1 for the RPN
    (`positive_fraction=0.5`) and 512 RoIs at 1:3 for the box head (`0.25`). The output slots hold the drawn
    positives first, then the drawn negatives, then empty slots; every draw is uniform (random keys from
    `keras.random.uniform`, so under `jit` pass a `keras.random.SeedGenerator`).

    Args:
        labels: `(batch, N)` integer labels: 1 positive, 0 negative, others never drawn.
        num_samples: positive int, slots per image (at most N are used: `min(num_samples, N)` slots).
        positive_fraction: the largest share of positives, in [0, 1]. Defaults to 0.5.
        seed: None, an int or a `keras.random.SeedGenerator`. Defaults to None.

    Returns:
        Tuple `(indices, sampled_labels)`: int32 `(batch, S)` indices into N (0 in empty slots) and int32
        `(batch, S)` labels of the slots (1 positive, 0 negative, -1 empty), `S = min(num_samples, N)`.

    Example:

    >>> labels = np.array([[1, 0, 0, -1, 1, 0]])
    >>> indices, sampled = keras_dlx.ops.sample_balanced(labels, 4, 0.25, seed=0)
    >>> keras.ops.convert_to_numpy(sampled).tolist()
    [[1, 0, 0, 0]]

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
    """
    num_samples = args.positive_int("num_samples", num_samples)
    positive_fraction = args.unit_interval("positive_fraction", positive_fraction, closed_right=True)
    labels = ops.convert_to_tensor(labels)
    if len(labels.shape) != 2:
        raise ValueError(f"Invalid `labels` for sample_balanced: expected (batch, N). Received: shape="
                         f"{tuple(labels.shape)}")
    labels = ops.cast(labels, "int32")
    n = labels.shape[1]
    slots = min(num_samples, n)
    positive_slots = min(int(num_samples * positive_fraction), slots)
    positive, negative = ops.equal(labels, 1), ops.equal(labels, 0)
    keys = keras.random.uniform(ops.shape(labels), seed=seed)
    num_positive = ops.minimum(ops.sum(ops.cast(positive, "int32"), axis=1, keepdims=True), positive_slots)
    num_negative = ops.minimum(ops.sum(ops.cast(negative, "int32"), axis=1, keepdims=True), slots - num_positive)
    # Random order of each kind: its members' random keys first, everything else (key -1) last.
    _, negative_order = ops.top_k(ops.where(negative, keys, -1.0), slots)
    slot = ops.arange(slots, dtype="int32")[None]
    if positive_slots > 0:
        _, positive_order = ops.top_k(ops.where(positive, keys, -1.0), positive_slots)
        from_positive = _gather(positive_order, ops.minimum(slot, positive_slots - 1) + ops.zeros_like(
            num_positive))
    else:
        from_positive = ops.zeros_like(slot + num_positive)
    from_negative = _gather(negative_order, ops.maximum(slot - num_positive, 0))
    is_positive = slot < num_positive
    is_negative = ops.logical_and(ops.logical_not(is_positive), slot < num_positive + num_negative)
    indices = ops.where(is_positive, from_positive, ops.where(is_negative, from_negative, 0))
    sampled = ops.where(is_positive, 1, ops.where(is_negative, 0, -1))
    return ops.cast(indices, "int32"), ops.cast(sampled, "int32")
