"""`keras_dlx.utils.drawing`: boxes in their class's colour, padding drawn nowhere, PNGs other readers read back."""

import numpy as np
import pytest

from keras_dlx.utils import drawing
from keras_dlx.utils.drawing import CLASS_COLORS, draw_detections, save_png


def _canvas(batch=1, size=40, channels=1, value=0.0):
    return np.full((batch, size, size, channels), value, "float32")


def test_box_outline_has_the_class_colour_and_the_rest_of_the_image_is_unchanged():
    images = _canvas(value=0.5)
    boxes = np.array([[[5, 20, 30, 35]]], "float32")
    picture = draw_detections(images, boxes, np.array([[4]]), scale=1, line_width=1, font_size=1)
    color = CLASS_COLORS[4]
    assert picture.shape == (40, 40, 3) and picture.dtype == np.uint8
    for edge in (picture[34, 5:30], picture[20:35, 5], picture[20:35, 29], picture[20, 5:30]):
        # The tag (above the box: rows 13-19) leaves the outline itself to the colour.
        assert (edge == color).all(), edge
    grey = np.round(0.5 * 255)
    assert (picture[21:34, 6:29] == grey).all()  # inside the outline: the image
    tag = np.zeros((40, 40), bool)
    tag[13:20, 5:10] = True  # a 3x5 digit with a 1-pixel border, just above the top-left corner
    outline = np.zeros((40, 40), bool)
    outline[20:35, 5:30] = True
    outline[21:34, 6:29] = False
    elsewhere = ~(tag | outline)
    assert (picture[elsewhere] == grey).all()
    assert (picture[tag] == color).any() and (picture[tag] == 0).any()  # the tag: colour with black ink


def test_class_number_is_written_in_the_tag():
    boxes = np.array([[[10, 10, 30, 30]]], "float32")
    picture = draw_detections(_canvas(), boxes, np.array([[7]]), scale=1, font_size=1)
    ink = (picture[4:9, 11:14] == 0).all(-1)  # the glyph: rows 1..5 of the tag at (10, 3), inside its border
    seven = np.array([[1, 1, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1]], bool)
    np.testing.assert_array_equal(ink, seven)
    two_digits = draw_detections(_canvas(), boxes, np.array([[12]]), scale=1, font_size=1)
    assert (two_digits[3:10, 10:19] == CLASS_COLORS[2]).all(-1).sum() > 0  # 12 % 10: the colour of class 2


def test_padding_and_low_scores_and_detections_past_num_detections_draw_nothing():
    images = _canvas(batch=2)
    boxes = np.tile(np.array([[5, 15, 25, 35]], "float32"), (2, 3, 1))
    classes = np.array([[-1, 1, 2], [3, -1, -1]])
    scores = np.array([[0.9, 0.2, 0.9], [0.9, 0.9, 0.9]], "float32")
    blank = draw_detections(images, boxes, np.full((2, 3), -1), scale=1, columns=2)
    assert (blank[:, :40] == 0).all() and (blank[:, 42:] == 0).all()  # only the grey gap between the cells
    picture = draw_detections(images, boxes, classes, scores, num_detections=np.array([2, 0]), score_threshold=0.5,
                              scale=1, columns=2)
    # Image 0: slot 0 is padding, slot 1 scores 0.2 < 0.5, slot 2 is past num_detections; image 1 has none.
    np.testing.assert_array_equal(picture, blank)
    shown = draw_detections(images, boxes, classes, scores, num_detections=np.array([3, 1]), scale=1, columns=2)
    assert (shown[34, 5:25] == CLASS_COLORS[2]).all() and (shown[34, 47:67] == CLASS_COLORS[3]).all()


def test_grid_layout_scale_and_colour_images():
    images = np.random.default_rng(0).integers(0, 256, (5, 10, 12, 3)).astype("uint8")
    none = np.full((5, 1), -1)
    picture = draw_detections(images, np.zeros((5, 1, 4)), none, columns=2, scale=3)
    assert picture.shape == (3 * 30 + 2 * 2, 2 * 36 + 2, 3)
    np.testing.assert_array_equal(picture[32:62, 38:74], np.kron(images[3], np.ones((3, 3, 1), "uint8")))
    assert (picture[30:32] == 64).all() and (picture[64:, 38:] == 64).all()  # gaps, and the empty sixth cell


def test_boxes_outside_the_image_are_clipped():
    boxes = np.array([[[-10, -10, 50, 20], [35, 35, 90, 90], [60, 60, 70, 70]]], "float32")
    picture = draw_detections(_canvas(), boxes, np.array([[0, 1, 2]]), scale=1, line_width=1)
    assert picture.shape == (40, 40, 3)
    assert (picture[19, 12:40] == CLASS_COLORS[0]).all() and (picture[36:40, 35] == CLASS_COLORS[1]).all()
    assert not (picture == CLASS_COLORS[2]).all(-1).any()  # wholly outside: neither outline nor tag


def test_png_reads_back_identically(tmp_path):
    import matplotlib.image

    rng = np.random.default_rng(1)
    for shape in [(7, 5, 3), (4, 9), (3, 3, 4)]:
        array = rng.integers(0, 256, shape).astype("uint8")
        path = tmp_path / f"{len(shape)}_{shape[-1]}.png"
        save_png(array, path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        back = np.round(matplotlib.image.imread(path) * 255).astype("uint8")  # matplotlib reads floats in [0, 1]
        np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize("call, match", [
    (lambda: draw_detections(np.zeros((2, 8, 8)), np.zeros((2, 1, 4)), np.zeros((2, 1))), "images"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 2)), np.zeros((2, 1, 4)), np.zeros((2, 1))), "images"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 1)), np.zeros((2, 1, 3)), np.zeros((2, 1))), "boxes"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 1)), np.zeros((1, 1, 4)), np.zeros((1, 1))), "boxes"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 1)), np.zeros((2, 1, 4)), np.zeros((2, 2))), "classes"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 1)), np.zeros((2, 1, 4)), np.zeros((2, 1)), np.zeros(2)), "scores"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 1)), np.zeros((2, 1, 4)), np.zeros((2, 1)),
                             num_detections=np.zeros((2, 1))), "num_detections"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 1)), np.zeros((2, 1, 4)), np.zeros((2, 1)), scale=0), "scale"),
    (lambda: draw_detections(np.zeros((2, 8, 8, 1)), np.zeros((2, 1, 4)), np.zeros((2, 1)), columns=1.5),
     "columns"),
    (lambda: save_png(np.zeros((4, 4, 2), "uint8"), "x.png"), "array"),
    (lambda: save_png(np.zeros((0, 4, 3), "uint8"), "x.png"), "array"),
    (lambda: save_png(np.full((4, 4, 3), 300), "x.png"), "uint8"),
    (lambda: save_png(np.zeros((4, 4, 3), "float32"), "x.png"), "uint8"),
])
def test_bad_shapes_and_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_module_needs_neither_matplotlib_nor_keras():
    imported = {name.split(".")[0] for name in drawing.__dict__ if not name.startswith("_")}
    assert "matplotlib" not in imported and "keras" not in imported
