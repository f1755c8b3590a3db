"""Box operations on xyxy boxes, as torchvision.ops: IoU and its generalised, distance and complete variants, and
the centre-size delta encoding of Faster R-CNN and SSD.

Boxes are `[x1, y1, x2, y2]` in continuous pixel coordinates (area `(x2 - x1) * (y2 - y1)`, no +1), last axis 4.
Backend-neutral (`keras.ops`), usable under `jit`, differentiable.
"""

import math
import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args

__all__ = ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou", "encode_boxes",
           "decode_boxes"]

# torchvision's clamp of the log-size deltas before `exp` in decoding: a box grows at most 1000 / 16 times.
BBOX_XFORM_CLIP = math.log(1000.0 / 16)


def float_dtype(*tensors):
    """float64 when any of the tensors is float64, else float32 (integer and half-precision boxes compute in
    float32, whose range holds products of pixel coordinates). Not exported."""
    for t in tensors:
        if keras.backend.standardize_dtype(t.dtype) == "float64":
            return "float64"
    return "float32"


def check_boxes(name, boxes, ranks=(2, 3), description="(N, 4) or (batch, N, 4)"):
    """`boxes` as a tensor whose rank is in `ranks` and whose last axis is 4, else a ValueError naming `name`.
    Not exported."""
    boxes = ops.convert_to_tensor(boxes)
    if len(boxes.shape) not in ranks or boxes.shape[-1] != 4:
        args.invalid(name, f"a tensor of shape {tuple(boxes.shape)}", f"a tensor of shape {description}, xyxy")
    return boxes


def safe_divide(numerator, denominator):
    """`numerator / denominator`, 0 where the denominator is 0 (with a finite gradient there). Not exported."""
    nonzero = ops.not_equal(denominator, 0)
    return ops.where(nonzero, numerator / ops.where(nonzero, denominator, ops.ones_like(denominator)),
                     ops.zeros_like(numerator))


# Maximum, minimum and the clamp at 0 as `where`, so that at a tie the gradient goes to one side on every backend
# (JAX would split it): to the first argument, and to nothing for an extent of exactly 0, as TensorFlow Addons'
# `tf.maximum(0, width)` does.
def _max(a, b):
    return ops.where(a >= b, a, b)


def _min(a, b):
    return ops.where(a <= b, a, b)


def _extent(low, high):
    size = high - low
    return ops.where(size > 0, size, ops.zeros_like(size))


def iou_terms(a, b):
    """Element-wise (broadcasting) IoU pieces of xyxy boxes `a` and `b`: `(iou, union)`. Not exported.

    Widths and heights below 0 count as 0. The union is `(area_a + area_b) - inter`, summed in that order on
    purpose: TensorFlow's NMS kernel does the same, so IoU values at a threshold compare identically.
    """
    inter = _extent(_max(a[..., 0], b[..., 0]), _min(a[..., 2], b[..., 2])) * \
        _extent(_max(a[..., 1], b[..., 1]), _min(a[..., 3], b[..., 3]))
    area_a = _extent(a[..., 0], a[..., 2]) * _extent(a[..., 1], a[..., 3])
    area_b = _extent(b[..., 0], b[..., 2]) * _extent(b[..., 1], b[..., 3])
    union = (area_a + area_b) - inter
    return safe_divide(inter, union), union


def giou_terms(a, b):
    """Element-wise (broadcasting) `(iou, giou)` of xyxy boxes `a` and `b`. Not exported."""
    iou, union = iou_terms(a, b)
    enclosure = _extent(_min(a[..., 0], b[..., 0]), _max(a[..., 2], b[..., 2])) * \
        _extent(_min(a[..., 1], b[..., 1]), _max(a[..., 3], b[..., 3]))
    return iou, iou - safe_divide(enclosure - union, enclosure)


def _pairwise(boxes1, boxes2):
    """Validated boxes broadcast for every pair: `(..., N, 1, 4)` and `(..., 1, M, 4)` in a float dtype."""
    boxes1 = check_boxes("boxes1", boxes1)
    boxes2 = check_boxes("boxes2", boxes2)
    if len(boxes1.shape) != len(boxes2.shape):
        args.invalid("boxes2", f"a tensor of shape {tuple(boxes2.shape)}",
                     f"the same rank as `boxes1` (shape {tuple(boxes1.shape)})")
    dtype = float_dtype(boxes1, boxes2)
    return ops.expand_dims(ops.cast(boxes1, dtype), -2), ops.expand_dims(ops.cast(boxes2, dtype), -3)


def box_iou(boxes1, boxes2):
    """Intersection over union of every pair of xyxy boxes, as `torchvision.ops.box_iou`.

        IoU(A, B) = |A n B| / |A u B| = inter / (area_A + area_B - inter)

    with areas `(x2 - x1) * (y2 - y1)` (continuous coordinates). Intended difference from torchvision: a pair
    whose union is empty (two zero-area boxes) has IoU 0, not NaN; a negative width or height counts as 0.

    Args:
        boxes1: `(N, 4)` xyxy boxes, or `(batch, N, 4)`.
        boxes2: `(M, 4)` xyxy boxes, or `(batch, M, 4)` (same rank as `boxes1`).

    Returns:
        Tensor `(N, M)` (or `(batch, N, M)`), float32 (float64 for float64 boxes).

    Example:

    >>> a = np.array([[0, 0, 2, 2], [1, 1, 3, 3]], "float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.box_iou(a, a[:1])), 4)
    array([[1.    ],
           [0.1429]], dtype=float32)

    Reference:
        - [torchvision.ops.box_iou](https://pytorch.org/vision/stable/generated/torchvision.ops.box_iou.html)
    """
    a, b = _pairwise(boxes1, boxes2)
    return iou_terms(a, b)[0]


def generalized_box_iou(boxes1, boxes2):
    """Generalized IoU (Rezatofighi et al. 2019) of every pair of xyxy boxes, as torchvision's.

        GIoU(A, B) = IoU(A, B) - (|C| - |A u B|) / |C|

    where `C` is the smallest box enclosing `A` and `B`; in [-1, 1], and unlike IoU it still tells apart
    disjoint boxes by how far apart they are. A degenerate pair (empty union or enclosure) contributes 0 to
    the ratios (torchvision would give NaN).

    Args:
        boxes1: `(N, 4)` xyxy boxes, or `(batch, N, 4)`.
        boxes2: `(M, 4)` xyxy boxes, or `(batch, M, 4)` (same rank as `boxes1`).

    Returns:
        Tensor `(N, M)` (or `(batch, N, M)`), float32 (float64 for float64 boxes).

    Example:

    >>> a = np.array([[0, 0, 1, 1]], "float32")
    >>> b = np.array([[2, 0, 3, 1]], "float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.generalized_box_iou(a, b)), 4)
    array([[-0.3333]], dtype=float32)

    Reference:
        - [Rezatofighi et al. 2019, Generalized Intersection over Union](https://arxiv.org/abs/1902.09630)
    """
    a, b = _pairwise(boxes1, boxes2)
    return giou_terms(a, b)[1]


def _distance_terms(a, b, eps):
    """`(iou, diou)`: IoU minus the squared centre distance over the squared diagonal of the enclosure."""
    iou, _ = iou_terms(a, b)
    width = _extent(_min(a[..., 0], b[..., 0]), _max(a[..., 2], b[..., 2]))
    height = _extent(_min(a[..., 1], b[..., 1]), _max(a[..., 3], b[..., 3]))
    diagonal = width * width + height * height + eps
    dx = (a[..., 0] + a[..., 2]) / 2 - (b[..., 0] + b[..., 2]) / 2
    dy = (a[..., 1] + a[..., 3]) / 2 - (b[..., 1] + b[..., 3]) / 2
    return iou, iou - (dx * dx + dy * dy) / diagonal


def _check_eps(eps):
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not eps > 0:
        args.invalid("eps", eps, "a positive number")
    return float(eps)


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """Distance IoU (Zheng et al. 2020) of every pair of xyxy boxes, as `torchvision.ops.distance_box_iou`.

        DIoU(A, B) = IoU(A, B) - rho^2(a, b) / (c^2 + eps)

    with `rho` the distance between the box centres and `c` the diagonal of the smallest enclosing box.

    Args:
        boxes1: `(N, 4)` xyxy boxes, or `(batch, N, 4)`.
        boxes2: `(M, 4)` xyxy boxes, or `(batch, M, 4)` (same rank as `boxes1`).
        eps: added to the squared diagonal. Defaults to 1e-7 (torchvision's).

    Returns:
        Tensor `(N, M)` (or `(batch, N, M)`), float32 (float64 for float64 boxes).

    Example:

    >>> a = np.array([[0, 0, 1, 1]], "float32")
    >>> b = np.array([[2, 0, 3, 1]], "float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.distance_box_iou(a, b)), 4)
    array([[-0.4]], dtype=float32)

    Reference:
        - [Zheng et al. 2020, Distance-IoU Loss](https://arxiv.org/abs/1911.08287)
    """
    eps = _check_eps(eps)
    a, b = _pairwise(boxes1, boxes2)
    return _distance_terms(a, b, eps)[1]


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """Complete IoU (Zheng et al. 2020) of every pair of xyxy boxes, as `torchvision.ops.complete_box_iou`.

        CIoU(A, B) = DIoU(A, B) - alpha * v,
        v = 4 / pi^2 * (atan(w_A / h_A) - atan(w_B / h_B))^2,   alpha = v / (1 - IoU + v + eps)

    `v` measures the difference in aspect ratio; `alpha` gets no gradient (as torchvision). `atan(w / h)` is
    computed as `atan2(w, h)`, equal for `h > 0` and defined (pi / 2) for zero-height boxes.

    Args:
        boxes1: `(N, 4)` xyxy boxes, or `(batch, N, 4)`.
        boxes2: `(M, 4)` xyxy boxes, or `(batch, M, 4)` (same rank as `boxes1`).
        eps: added to the squared diagonal and to alpha's denominator. Defaults to 1e-7 (torchvision's).

    Returns:
        Tensor `(N, M)` (or `(batch, N, M)`), float32 (float64 for float64 boxes).

    Example:

    >>> a = np.array([[0, 0, 2, 1]], "float32")
    >>> b = np.array([[0, 0, 1, 1]], "float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.complete_box_iou(a, b)), 4)
    array([[0.4468]], dtype=float32)

    Reference:
        - [Zheng et al. 2020, Distance-IoU Loss](https://arxiv.org/abs/1911.08287)
    """
    eps = _check_eps(eps)
    a, b = _pairwise(boxes1, boxes2)
    iou, diou = _distance_terms(a, b, eps)
    angle_a = ops.arctan2(a[..., 2] - a[..., 0], a[..., 3] - a[..., 1])
    angle_b = ops.arctan2(b[..., 2] - b[..., 0], b[..., 3] - b[..., 1])
    v = (4 / math.pi ** 2) * ops.square(angle_a - angle_b)
    # alpha is a weight, not a path for the gradient (torchvision computes it under no_grad; so does the paper).
    alpha = ops.stop_gradient(v / (1 - iou + v + eps))
    return diou - alpha * v


def _check_weights(weights):
    if weights is None:
        return (1.0, 1.0, 1.0, 1.0)
    if (not isinstance(weights, (tuple, list)) or len(weights) != 4 or not all(
            isinstance(w, numbers.Real) and not isinstance(w, bool) and w > 0 and math.isfinite(w)
            for w in weights)):
        args.invalid("weights", weights, "None or four positive numbers (wx, wy, ww, wh)")
    return tuple(float(w) for w in weights)


def _centre_size(boxes):
    width = boxes[..., 2] - boxes[..., 0]
    height = boxes[..., 3] - boxes[..., 1]
    return boxes[..., 0] + 0.5 * width, boxes[..., 1] + 0.5 * height, width, height


def _box_and_anchor_tensors(name, boxes, anchors):
    boxes = ops.convert_to_tensor(boxes)
    anchors = ops.convert_to_tensor(anchors)
    for key, value in ((name, boxes), ("anchors", anchors)):
        if len(value.shape) < 1 or value.shape[-1] != 4:
            args.invalid(key, f"a tensor of shape {tuple(value.shape)}", "a tensor whose last axis has 4 values")
    dtype = float_dtype(boxes, anchors)
    return ops.cast(boxes, dtype), ops.cast(anchors, dtype)


def encode_boxes(boxes, anchors, weights=None):
    """Regression targets of xyxy `boxes` relative to `anchors` (Faster R-CNN's parametrisation).

    With the anchor's centre `(xa, ya)`, width `wa` and height `ha`, and the box's `(x, y, w, h)`:

        t = (wx * (x - xa) / wa, wy * (y - ya) / ha, ww * log(w / wa), wh * log(h / ha))

    Faster R-CNN's second stage uses `weights=(10, 10, 5, 5)`, its RPN none (all 1). SSD divides by
    "variances" (0.1, 0.2) instead: the same as `weights=(10, 10, 5, 5)` (`1 / 0.1`, `1 / 0.2`). As
    torchvision's `BoxCoder.encode`; `decode_boxes` inverts it. Boxes and anchors need positive sizes.

    Args:
        boxes: `(..., 4)` xyxy boxes.
        anchors: `(..., 4)` xyxy anchors, broadcastable against `boxes`.
        weights: None (all 1) or four positive multipliers `(wx, wy, ww, wh)`. Defaults to None.

    Returns:
        Tensor `(..., 4)` of deltas, float32 (float64 for float64 inputs).

    Example:

    >>> anchors = np.array([[0, 0, 10, 10]], "float32")
    >>> boxes = np.array([[1, 1, 11, 21]], "float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.encode_boxes(boxes, anchors, (10, 10, 5, 5))), 4)
    array([[1.    , 6.    , 0.    , 3.4657]], dtype=float32)

    Reference:
        - [Girshick et al. 2014, R-CNN (appendix C)](https://arxiv.org/abs/1311.2524)
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
    """
    wx, wy, ww, wh = _check_weights(weights)
    boxes, anchors = _box_and_anchor_tensors("boxes", boxes, anchors)
    x, y, w, h = _centre_size(boxes)
    xa, ya, wa, ha = _centre_size(anchors)
    return ops.stack([wx * (x - xa) / wa, wy * (y - ya) / ha, ww * ops.log(w / wa), wh * ops.log(h / ha)],
                     axis=-1)


def decode_boxes(deltas, anchors, weights=None):
    """xyxy boxes from regression `deltas` relative to `anchors`: the inverse of `encode_boxes`.

        x = xa + (tx / wx) * wa,   w = wa * exp(min(tw / ww, log(1000 / 16)))   (likewise y, h)

    The log-size deltas are clamped at `log(1000 / 16)` before the exponential, as torchvision's
    `BoxCoder.decode`, so that an untrained regressor cannot overflow. SSD's variances (0.1, 0.2) are
    `weights=(10, 10, 5, 5)`.

    Args:
        deltas: `(..., 4)` deltas `(tx, ty, tw, th)`.
        anchors: `(..., 4)` xyxy anchors, broadcastable against `deltas`.
        weights: None (all 1) or four positive divisors `(wx, wy, ww, wh)`. Defaults to None.

    Returns:
        Tensor `(..., 4)` of xyxy boxes, float32 (float64 for float64 inputs).

    Example:

    >>> anchors = np.array([[0, 0, 10, 10]], "float32")
    >>> deltas = np.array([[1.0, 6.0, 0.0, 3.4657359]], "float32")
    >>> np.round(keras.ops.convert_to_numpy(keras_dlx.ops.decode_boxes(deltas, anchors, (10, 10, 5, 5))), 4)
    array([[ 1.,  1., 11., 21.]], dtype=float32)

    Reference:
        - [Ren et al. 2015, Faster R-CNN](https://arxiv.org/abs/1506.01497)
    """
    wx, wy, ww, wh = _check_weights(weights)
    deltas, anchors = _box_and_anchor_tensors("deltas", deltas, anchors)
    xa, ya, wa, ha = _centre_size(anchors)
    x = xa + deltas[..., 0] / wx * wa
    y = ya + deltas[..., 1] / wy * ha
    w = wa * ops.exp(ops.minimum(deltas[..., 2] / ww, BBOX_XFORM_CLIP))
    h = ha * ops.exp(ops.minimum(deltas[..., 3] / wh, BBOX_XFORM_CLIP))
    return ops.stack([x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h], axis=-1)
