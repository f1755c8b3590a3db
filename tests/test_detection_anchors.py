"""AnchorGenerator, SSD's default boxes, anchor matching and per-anchor targets against NumPy references and hand
cases (the layer contract of AnchorGenerator is in tests/cases_anchors.py)."""

import itertools
import math

import keras
import numpy as np
import pytest

import keras_dlx
from keras_dlx import layers, ops


def _np(x):
    return keras.ops.convert_to_numpy(x)


# ---------------------------------------------------------------------------------------------------- references

def reference_anchors(image_hw, sizes, ratios, strides, offset, map_sizes=None):
    """Loop-by-loop anchors: level, row, column, ratio, size."""
    out = []
    for level, stride in enumerate(strides):
        h, w = map_sizes[level] if map_sizes else (math.ceil(image_hw[0] / stride), math.ceil(image_hw[1] / stride))
        for i, j in itertools.product(range(h), range(w)):
            cx, cy = (j + offset) * stride, (i + offset) * stride
            for r in ratios[level]:
                for s in sizes[level]:
                    bw, bh = s / math.sqrt(r), s * math.sqrt(r)
                    out.append([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
    return np.array(out)


def reference_ssd_priors():
    """SSD300's priors as ssd.pytorch's PriorBox computes them (normalised centre form, no clamp), in xyxy pixels."""
    feature_maps, steps = [38, 19, 10, 5, 3, 1], [8, 16, 32, 64, 100, 300]
    min_sizes, max_sizes = [30, 60, 111, 162, 213, 264], [60, 111, 162, 213, 264, 315]
    ratios = [[2], [2, 3], [2, 3], [2, 3], [2], [2]]
    mean = []
    for k, f in enumerate(feature_maps):
        for i, j in itertools.product(range(f), repeat=2):
            f_k = 300 / steps[k]
            cx, cy = (j + 0.5) / f_k, (i + 0.5) / f_k
            s_k = min_sizes[k] / 300
            mean += [cx, cy, s_k, s_k]
            s_k_prime = math.sqrt(s_k * (max_sizes[k] / 300))
            mean += [cx, cy, s_k_prime, s_k_prime]
            for ar in ratios[k]:
                mean += [cx, cy, s_k * math.sqrt(ar), s_k / math.sqrt(ar)]
                mean += [cx, cy, s_k / math.sqrt(ar), s_k * math.sqrt(ar)]
    c = np.array(mean).reshape(-1, 4) * 300
    return np.concatenate([c[:, :2] - c[:, 2:] / 2, c[:, :2] + c[:, 2:] / 2], 1)


def reference_iou(a, b):
    out = np.zeros((len(a), len(b)))
    for i, j in itertools.product(range(len(a)), range(len(b))):
        iw = max(min(a[i, 2], b[j, 2]) - max(a[i, 0], b[j, 0]), 0)
        ih = max(min(a[i, 3], b[j, 3]) - max(a[i, 1], b[j, 1]), 0)
        inter = iw * ih
        union = (a[i, 2] - a[i, 0]) * (a[i, 3] - a[i, 1]) + (b[j, 2] - b[j, 0]) * (b[j, 3] - b[j, 1]) - inter
        out[i, j] = inter / union if union > 0 else 0.0
    return out


def reference_match(anchors, boxes, classes, positive, negative, low_quality):
    """One image, with Python loops: thresholds, then each truth's best anchors (highest-IoU claimant wins)."""
    iou = reference_iou(anchors, boxes)
    valid = [j for j in range(len(boxes)) if classes[j] >= 0]
    matches = np.full(len(anchors), -1)
    for a in range(len(anchors)):
        if not valid:
            continue
        best = max(valid, key=lambda j: (iou[a, j], -j))
        if iou[a, best] >= positive:
            matches[a] = best
        elif iou[a, best] >= negative:
            matches[a] = -2
    if low_quality:
        claims = {}
        for j in valid:
            top = iou[:, j].max()
            if top > 0:
                for a in np.flatnonzero(iou[:, j] == top):
                    claims.setdefault(a, []).append(j)
        for a, truths in claims.items():
            matches[a] = max(truths, key=lambda j: (iou[a, j], -j))
    return matches


def reference_targets(anchors, boxes, classes, matches, weights):
    out = np.zeros((len(anchors), 5))
    for a, m in enumerate(matches):
        if m == -2:
            out[a, 4] = -1
        if m < 0:
            continue
        x1, y1, x2, y2 = anchors[a]
        wa, ha, xa, ya = x2 - x1, y2 - y1, (x1 + x2) / 2, (y1 + y2) / 2
        bx1, by1, bx2, by2 = boxes[m]
        w, h, x, y = bx2 - bx1, by2 - by1, (bx1 + bx2) / 2, (by1 + by2) / 2
        out[a] = [weights[0] * (x - xa) / wa, weights[1] * (y - ya) / ha, weights[2] * math.log(w / wa),
                  weights[3] * math.log(h / ha), classes[m] + 1]
    return out


def random_boxes(rng, shape, low=0, high=100, min_size=4, max_size=40):
    xy = rng.uniform(low, high - max_size, shape + (2,))
    wh = rng.uniform(min_size, max_size, shape + (2,))
    return np.concatenate([xy, xy + wh], -1).astype("float32")


# ---------------------------------------------------------------------------------------------------- AnchorGenerator

def test_anchor_generator_default_is_faster_rcnn_nine_per_position():
    generator = layers.AnchorGenerator()
    anchors = _np(generator(np.zeros((1, 64, 48, 3), "float32")))
    assert generator.anchors_per_position == [9]
    assert anchors.shape == (4 * 3 * 9, 4)
    # First position (centre (8, 8)): ratio 0.5 with sizes 128, 256, 512 first; hand-computed w = s * sqrt(2).
    w, h = 128 * math.sqrt(2), 128 / math.sqrt(2)
    np.testing.assert_allclose(anchors[0], [8 - w / 2, 8 - h / 2, 8 + w / 2, 8 + h / 2], rtol=1e-6)
    # Position (row 0, column 1): centre (24, 8); the ratio-1 size-256 anchor is its fifth.
    np.testing.assert_allclose(anchors[9 + 4], [24 - 128, 8 - 128, 24 + 128, 8 + 128], rtol=1e-6)
    areas = (anchors[:9, 2] - anchors[:9, 0]) * (anchors[:9, 3] - anchors[:9, 1])
    np.testing.assert_allclose(areas, np.tile([128.0 ** 2, 256.0 ** 2, 512.0 ** 2], 3), rtol=1e-5)


@pytest.mark.parametrize("offset", [0.5, 0.0])
def test_anchor_generator_matches_loop_reference_on_image_and_feature_maps(offset):
    sizes, ratios, strides = [[16, 24], [48]], [[0.5, 1.0, 2.0], [1.0, 3.0]], [8, 16]
    generator = layers.AnchorGenerator(sizes=sizes, aspect_ratios=ratios, strides=strides, offset=offset)
    # From the image: ceil(50 / 8) x ceil(37 / 8) = 7 x 5 and 4 x 3 positions.
    expected = reference_anchors((50, 37), sizes, ratios, strides, offset)
    got = _np(generator(np.zeros((2, 50, 37, 1), "float32")))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-5)  # float32 pixels up to ~70: 1e-5 absolute
    # From the feature maps: their own sizes, whatever the strides would give.
    maps = [np.zeros((2, 6, 4, 5), "float32"), np.zeros((2, 2, 3, 7), "float32")]
    expected = reference_anchors(None, sizes, ratios, strides, offset, map_sizes=[(6, 4), (2, 3)])
    np.testing.assert_allclose(_np(generator(maps)), expected, rtol=1e-6, atol=1e-5)
    assert tuple(generator.compute_output_shape([m.shape for m in maps])) == expected.shape


def test_anchor_generator_in_a_functional_model_and_channels_first():
    generator = layers.AnchorGenerator(sizes=(8,), aspect_ratios=(1.0,), strides=4, data_format="channels_first")
    inputs = keras.Input((3, 16, 12))
    model = keras.Model(inputs, generator(inputs))
    assert tuple(model.output.shape) == (4 * 3, 4)
    expected = reference_anchors((16, 12), [[8]], [[1.0]], [4], 0.5)
    np.testing.assert_allclose(model.predict(np.zeros((2, 3, 16, 12), "float32"), verbose=0), expected)
    assert generator.compute_output_shape((None, 3, None, 12)) == (None, 4)


def test_anchor_generator_anchors_for_shape_without_calling():
    generator = layers.AnchorGenerator(sizes=((16,), (32, 48)), strides=(8, 16))
    expected = _np(generator(np.zeros((1, 40, 30, 2), "float32")))
    np.testing.assert_array_equal(_np(generator.anchors_for_shape((None, 40, 30, 2))), expected)
    maps = [(None, 5, 4, 8), (None, 3, 2, 8)]
    np.testing.assert_array_equal(_np(generator.anchors_for_shape(maps)),
                                  _np(generator([np.zeros((1,) + m[1:], "float32") for m in maps])))
    with pytest.raises(ValueError, match="spatial size must be known"):
        generator.anchors_for_shape((None, None, 30, 2))


def test_anchor_generator_output_follows_dtype_policy():
    generator = layers.AnchorGenerator(sizes=(32,), strides=8, dtype="mixed_float16")
    assert keras.backend.standardize_dtype(generator(np.zeros((1, 16, 16, 1))).dtype) == "float16"


@pytest.mark.parametrize("kwargs, name", [
    (dict(sizes=()), "sizes"), (dict(sizes=(32, -1)), "sizes"), (dict(sizes="32"), "sizes"),
    (dict(aspect_ratios=(0.0,)), "aspect_ratios"),
    (dict(sizes=((32,), (64,)), aspect_ratios=((1.0,), (1.0,), (2.0,)), strides=(8, 16)), "aspect_ratios"),
    (dict(sizes=((32,), (64,)), strides=8), "strides"), (dict(strides=0), "strides"), (dict(strides=2.5), "strides"),
    (dict(offset=1.5), "offset"), (dict(data_format="nhwc"), "data_format")])
def test_anchor_generator_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid `{name}` for AnchorGenerator"):
        layers.AnchorGenerator(**kwargs)


def test_anchor_generator_bad_inputs():
    generator = layers.AnchorGenerator(sizes=((32,), (64,)), strides=(8, 16))
    with pytest.raises(ValueError, match="one feature map per level"):
        generator([np.zeros((1, 4, 4, 2), "float32")])
    with pytest.raises(ValueError, match="input_shape"):
        layers.AnchorGenerator()(np.zeros((1, 8, 8), "float32"))


# ---------------------------------------------------------------------------------------------------- SSD priors

def test_ssd300_default_boxes_count_and_reference_code():
    boxes = _np(ops.ssd_default_boxes())
    assert boxes.shape == (8732, 4)
    assert 38 * 38 * 4 + 19 * 19 * 6 + 10 * 10 * 6 + 5 * 5 * 6 + 3 * 3 * 4 + 4 == 8732
    np.testing.assert_allclose(boxes, reference_ssd_priors(), rtol=1e-6, atol=3e-5)  # float32 pixels up to ~490


def test_ssd300_default_boxes_hand_computed():
    boxes = _np(ops.ssd_default_boxes())
    # First map, position (0, 0), centre (4, 4): 30 px square, then sqrt(30 * 60) = 42.43 px square.
    np.testing.assert_allclose(boxes[0], [-11, -11, 19, 19], atol=1e-5)
    half = math.sqrt(30 * 60) / 2
    np.testing.assert_allclose(boxes[1], [4 - half, 4 - half, 4 + half, 4 + half], atol=1e-5)
    # First map, position (row 0, column 1), centre (12, 4): ratio 2 gives 42.43 x 21.21.
    w, h = 30 * math.sqrt(2), 30 / math.sqrt(2)
    np.testing.assert_allclose(boxes[4 + 2], [12 - w / 2, 4 - h / 2, 12 + w / 2, 4 + h / 2], atol=1e-5)
    # Second map starts at 38 * 38 * 4; its first position, centre (8, 8), ratio 3: 103.92 x 34.64, then 1/3.
    start = 38 * 38 * 4
    w, h = 60 * math.sqrt(3), 60 / math.sqrt(3)
    np.testing.assert_allclose(boxes[start + 4], [8 - w / 2, 8 - h / 2, 8 + w / 2, 8 + h / 2], atol=1e-4)
    np.testing.assert_allclose(boxes[start + 5], [8 - h / 2, 8 - w / 2, 8 + h / 2, 8 + w / 2], atol=1e-4)
    # Last map: one position, centre (150, 150): 264, sqrt(264 * 315), 373.35 x 186.68, 186.68 x 373.35.
    half = math.sqrt(264 * 315) / 2
    np.testing.assert_allclose(boxes[-3], [150 - half, 150 - half, 150 + half, 150 + half], atol=1e-4)
    w, h = 264 * math.sqrt(2), 264 / math.sqrt(2)
    np.testing.assert_allclose(boxes[-1], [150 - h / 2, 150 - w / 2, 150 + h / 2, 150 + w / 2], atol=1e-4)
    clipped = _np(ops.ssd_default_boxes(clip=True))
    np.testing.assert_allclose(clipped[-1], [150 - h / 2, 0, 150 + h / 2, 300], atol=1e-4)
    assert clipped.min() == 0 and clipped.max() == 300


def test_ssd_default_boxes_custom_maps_with_implicit_steps():
    boxes = _np(ops.ssd_default_boxes(image_size=96, feature_map_sizes=(6, 3), aspect_ratios=((2,), ()),
                                      min_sizes=(20, 45), max_sizes=(45, 90), steps=None))
    assert boxes.shape == (6 * 6 * 4 + 3 * 3 * 2, 4)
    np.testing.assert_allclose(boxes[0], [-2, -2, 18, 18], atol=1e-5)  # step 96 / 6 = 16, centre 8
    np.testing.assert_allclose(boxes[6 * 6 * 4], [16 - 22.5, 16 - 22.5, 16 + 22.5, 16 + 22.5], atol=1e-5)


@pytest.mark.parametrize("kwargs, name", [
    (dict(image_size=0), "image_size"), (dict(feature_map_sizes=()), "feature_map_sizes"),
    (dict(feature_map_sizes=(38, 0, 10, 5, 3, 1)), "feature_map_sizes"), (dict(min_sizes=(30,)), "min_sizes"),
    (dict(aspect_ratios=((2,), (2, 3), (2, 3), (2, 3), (2,), (-2,))), "aspect_ratios"),
    (dict(steps=(8, 16)), "steps"), (dict(clip=1), "clip")])
def test_ssd_default_boxes_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid `{name}`"):
        ops.ssd_default_boxes(**kwargs)


# ---------------------------------------------------------------------------------------------------- matching

ANCHORS = np.array([[0, 0, 10, 10], [10, 0, 20, 10], [0, 10, 10, 20], [10, 10, 20, 20], [30, 30, 40, 40]], "float32")


def _match(boxes, classes, anchors=ANCHORS, **kwargs):
    return _np(ops.match_anchors(anchors, np.asarray(boxes, "float32"), np.asarray(classes), **kwargs))


def test_match_thresholds_and_ignored_zone():
    # IoU with anchor 0 of [0, 0, 10, 8] is 0.8, of [0, 0, 10, 4.5] 0.45, of [0, 0, 10, 2] 0.2.
    boxes = [[[0, 0, 10, 8]], [[0, 0, 10, 4.5]], [[0, 0, 10, 2]]]
    got = _match(boxes, [[0], [0], [0]], positive_threshold=0.7, negative_threshold=0.3,
                 allow_low_quality_matches=False)
    np.testing.assert_array_equal(got[:, 0], [0, -2, -1])
    assert np.all(got[:, 1:] == -1)
    # Every truth gets its best anchor, however low its IoU.
    got = _match(boxes, [[0], [0], [0]], positive_threshold=0.7, negative_threshold=0.3)
    np.testing.assert_array_equal(got[:, 0], [0, 0, 0])
    # negative_threshold None: no ignored zone.
    got = _match(boxes, [[0], [0], [0]], positive_threshold=0.5, allow_low_quality_matches=False)
    np.testing.assert_array_equal(got[:, 0], [0, -1, -1])


def test_match_ties():
    # A truth covering anchors 0 and 1 exactly half each: both are its best (IoU 1/3 each, a tie): both match.
    got = _match([[[5, 0, 15, 10]]], [[4]], positive_threshold=0.5)
    np.testing.assert_array_equal(got[0], [0, 0, -1, -1, -1])
    # An anchor equally overlapping two truths (IoU 0.5 each) above the threshold goes to the lower index.
    got = _match([[[0, 0, 10, 5], [0, 5, 10, 10]]], [[1, 2]], positive_threshold=0.5,
                 allow_low_quality_matches=False)
    np.testing.assert_array_equal(got[0], [0, -1, -1, -1, -1])


def test_match_truth_that_is_no_anchors_best_still_gets_one():
    # Truth 0 overlaps anchor 0 most (IoU 0.64 with [0, 0, 8, 8]); truth 1, [0, 0, 10, 9.5], has IoU 0.95 with
    # anchor 0 too, so anchor 0's own best is truth 1, and truth 0 is nobody's max; a third truth sits on anchor 3.
    # Anchor 0 is the best anchor of both: it goes to the one it overlaps most (truth 1), truth 0 gets nothing.
    boxes = [[[0, 0, 8, 8], [0, 0, 10, 9.5], [10, 10, 20, 20]]]
    got = _match(boxes, [[1, 2, 3]], positive_threshold=0.5)
    np.testing.assert_array_equal(got[0], [1, -1, -1, 2, -1])
    # Truth 0 = [0, 0, 3, 3] is nobody's max: anchor 0, the only anchor it overlaps (IoU 0.09), overlaps truth
    # 1 = [6, 0, 18, 10] more (IoU 0.222, below the threshold), and truth 1's own best anchor is anchor 1 (0.571).
    # The rule still gives truth 0 its best anchor.
    boxes = [[[0, 0, 3, 3], [6, 0, 18, 10]]]
    iou = reference_iou(ANCHORS, np.array(boxes[0]))
    assert np.argmax(iou[0]) == 1 and np.argmax(iou[:, 1]) == 1 and np.all(np.argmax(iou, 1)[iou[:, 0] > 0] == 1)
    np.testing.assert_array_equal(_match(boxes, [[1, 2]], positive_threshold=0.5)[0], [0, 1, -1, -1, -1])
    np.testing.assert_array_equal(_match(boxes, [[1, 2]], positive_threshold=0.5, allow_low_quality_matches=False)[0],
                                  [-1, 1, -1, -1, -1])


def test_match_empty_images_and_padding():
    # A padding row exactly on anchor 4 must not match; an image of padding only is all negatives.
    boxes = [[[0, 0, 10, 10], [30, 30, 40, 40]], [[30, 30, 40, 40], [0, 0, 0, 0]]]
    got = _match(boxes, [[5, -1], [-1, -1]])
    np.testing.assert_array_equal(got, [[0, -1, -1, -1, -1], [-1] * 5])
    # A truth that overlaps no anchor is not forced onto one.
    np.testing.assert_array_equal(_match([[[50, 50, 60, 60]]], [[0]])[0], [-1] * 5)
    # No truth columns at all; one unbatched image.
    np.testing.assert_array_equal(_match(np.zeros((2, 0, 4)), np.zeros((2, 0), "int32")), -np.ones((2, 5)))
    np.testing.assert_array_equal(_match([[0, 0, 10, 10]], [7]), [0, -1, -1, -1, -1])


@pytest.mark.parametrize("positive, negative, low_quality", [(0.5, None, True), (0.6, 0.3, True), (0.4, 0.2, False)])
def test_match_and_targets_against_reference(positive, negative, low_quality):
    rng = np.random.default_rng(3)
    anchors = _np(layers.AnchorGenerator(sizes=(12, 24), aspect_ratios=(0.5, 1.0, 2.0), strides=16)(
        np.zeros((1, 64, 64, 1))))
    boxes = random_boxes(rng, (3, 6), high=64, min_size=6, max_size=30)
    classes = rng.integers(0, 5, (3, 6)).astype("int32")
    classes[1, 3:] = -1
    classes[2] = -1
    matches = _np(ops.match_anchors(anchors, boxes, classes, positive, negative, low_quality))
    targets = _np(ops.encode_anchor_targets(anchors, boxes, classes, positive, negative, low_quality))
    for b in range(3):
        expected = reference_match(anchors.astype("float64"), boxes[b].astype("float64"), classes[b], positive,
                                   positive if negative is None else negative, low_quality)
        np.testing.assert_array_equal(matches[b], expected)
        # float32 deltas of O(10) computed from pixel coordinates: 1e-4 absolute.
        reference = reference_targets(anchors, boxes[b], classes[b], expected, (10, 10, 5, 5))
        np.testing.assert_allclose(targets[b], reference, rtol=1e-5, atol=1e-4)
    assert (matches[0] >= 0).sum() >= 6 and np.all(matches[2] == -1)


def test_targets_decode_back_to_the_truth():
    anchors = _np(ops.ssd_default_boxes(image_size=96, feature_map_sizes=(12, 6), aspect_ratios=((2,), (2,)),
                                        min_sizes=(16, 32), max_sizes=(32, 64), steps=None))
    boxes = np.array([[[10, 12, 30, 40], [50, 50, 90, 70], [0, 0, 0, 0]]], "float32")
    classes = np.array([[3, 0, -1]])
    targets = _np(ops.encode_anchor_targets(anchors, boxes, classes))
    matches = _np(ops.match_anchors(anchors, boxes, classes))
    positive = matches[0] >= 0
    assert np.all(np.isfinite(targets)) and positive.sum() >= 2
    t, a = targets[0, positive], anchors[positive]
    # SSD's decoding with variances (0.1, 0.2), written out; and keras_dlx.ops.decode_boxes with the same weights.
    wa, ha = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    x, y = a[:, 0] + wa / 2 + t[:, 0] * 0.1 * wa, a[:, 1] + ha / 2 + t[:, 1] * 0.1 * ha
    w, h = wa * np.exp(t[:, 2] * 0.2), ha * np.exp(t[:, 3] * 0.2)
    decoded = np.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], -1)
    np.testing.assert_allclose(decoded, boxes[0, matches[0, positive]], atol=1e-4)  # float32 pixels
    np.testing.assert_allclose(_np(ops.decode_boxes(t[:, :4], a, (10, 10, 5, 5))), decoded, atol=1e-4)
    np.testing.assert_array_equal(t[:, 4], classes[0, matches[0, positive]] + 1)
    assert set(np.unique(targets[0, ~positive, 4])) == {0.0} and not targets[0, ~positive, :4].any()
    # Given matches are encoded as they are (ignored -> -1); the RPN's unit weights.
    given = np.where(positive, matches[0], -2)[None]
    again = _np(ops.encode_anchor_targets(anchors, boxes, classes, weights=(1, 1, 1, 1), matches=given))
    np.testing.assert_allclose(again[0, positive, :2], t[:, :2] * 0.1, rtol=1e-5, atol=1e-6)
    assert set(np.unique(again[0, ~positive, 4])) == {-1.0}


class _Match(keras.layers.Layer):
    def call(self, boxes, classes):
        return ops.match_anchors(ANCHORS, boxes, keras.ops.cast(classes, "int32"), 0.5, 0.3)


def test_match_under_jit_in_a_model():
    boxes = keras.Input((2, 4))
    classes = keras.Input((2,))
    model = keras.Model([boxes, classes], _Match()(boxes, classes))
    model.compile(jit_compile=True)
    x = (np.array([[[0, 0, 10, 8], [30, 30, 40, 40]], [[0, 0, 0, 0], [0, 0, 0, 0]]], "float32"),
         np.array([[1, 2], [-1, -1]], "float32"))
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[0, -1, -1, -1, 1], [-1] * 5])


@pytest.mark.parametrize("kwargs, name", [
    (dict(positive_threshold=1.5), "positive_threshold"), (dict(negative_threshold=-0.1), "negative_threshold"),
    (dict(positive_threshold=0.3, negative_threshold=0.5), "negative_threshold"),
    (dict(allow_low_quality_matches="yes"), "allow_low_quality_matches")])
def test_match_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid `{name}`"):
        ops.match_anchors(ANCHORS, np.zeros((1, 1, 4)), np.zeros((1, 1)), **kwargs)


def test_match_and_encode_bad_inputs():
    with pytest.raises(ValueError, match="Invalid `anchors`"):
        ops.match_anchors(ANCHORS[:, :3], np.zeros((1, 1, 4)), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="Invalid `gt_boxes`"):
        ops.match_anchors(ANCHORS, np.zeros((1, 1, 1, 4)), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="Invalid `gt_classes`"):
        ops.match_anchors(ANCHORS, np.zeros((1, 1, 4)), np.zeros((1,)))
    with pytest.raises(ValueError, match="Invalid `weights`"):
        ops.encode_anchor_targets(ANCHORS, np.zeros((1, 1, 4)), np.zeros((1, 1)), weights=(10, 5))


def test_public_names():
    assert {"ssd_default_boxes", "match_anchors", "encode_anchor_targets"} <= set(keras_dlx.ops.__all__)
    assert "AnchorGenerator" in keras_dlx.layers.__all__
