"""keras_dlx.ops.image colour, cutout and transform ops against TensorFlow Addons 0.23
(tests/fixtures/addons/image_extra.npz, record_image_extra.py)."""

import keras
import numpy as np
import pytest

from keras_dlx.ops import image as image_ops
from tests.addons_fixtures import load

F = load("image_extra")


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _cases(family):
    return [str(name) for name in F[f"{family}/cases"]]


# ---------------------------------------------------------------- blend

@pytest.mark.parametrize("name", _cases("blend"))
def test_blend_matches_addons(name):
    prefix = f"blend/{name}/"
    out = _np(image_ops.blend(F[prefix + "image1"], F[prefix + "image2"], F[prefix + "factor"].item()))
    expected = F[prefix + "blended"]
    # Intended difference: always float32 (Addons returns the input itself, in its dtype, at factor 0 or 1).
    assert out.dtype == np.float32 and out.shape == expected.shape
    # The same float32 operations in the same order, then rounding: exact.
    np.testing.assert_array_equal(out, expected.astype(np.float32))


def test_blend_takes_a_tensor_factor():
    prefix = "blend/float_wide_chw_factor13/"
    factor = keras.ops.convert_to_tensor(np.float32(1.3))
    out = _np(image_ops.blend(F[prefix + "image1"], F[prefix + "image2"], factor))
    np.testing.assert_array_equal(out, F[prefix + "blended"])


# ---------------------------------------------------------------- cutout / random_cutout

@pytest.mark.parametrize("name", _cases("cutout"))
def test_cutout_matches_addons(name):
    prefix = f"cutout/{name}/"
    images, mask_size = F[prefix + "images"], F[prefix + "mask_size"]  # a NumPy integer or pair
    constant = F[prefix + "constant_values"].item()
    out = _np(image_ops.cutout(images, mask_size, F[prefix + "offset"], constant, data_format="channels_last"))
    expected = F[prefix + "result"]
    # Pixels are copied or replaced: exact, dtype included.
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_cutout_channels_first_and_a_rectangle_beyond_the_image():
    images = F["cutout/float_offset_per_image/images"]
    offset = F["cutout/float_offset_per_image/offset"]
    out = _np(image_ops.cutout(images.transpose(0, 3, 1, 2), (4, 6), offset, 0.5, data_format="channels_first"))
    np.testing.assert_array_equal(out.transpose(0, 2, 3, 1), F["cutout/float_offset_per_image/result"])
    # Intended difference: Addons fails when the rectangle lies wholly beyond the image; here nothing changes.
    out = _np(image_ops.cutout(images, 4, ((20, 3), (-5, 4)), data_format="channels_last"))
    np.testing.assert_array_equal(out, images)


def test_random_cutout_covering_the_whole_image_matches_addons():
    images = F["random_cutout/whole/images"]
    out = _np(image_ops.random_cutout(images, (6, 10), 3.0, seed=5, data_format="channels_last"))
    # The centre is fixed at size // 2 when the mask is at least as large as the image: exact.
    np.testing.assert_array_equal(out, F["random_cutout/whole/result"])


def test_random_cutout_draws_centres_as_addons():
    shape, mask_size = tuple(F["random_cutout/draws/shape"]), tuple(int(v) for v in F["random_cutout/draws/mask_size"])
    out = _np(image_ops.random_cutout(np.ones(shape, "float32"), mask_size, 0, seed=11, data_format="channels_last"))
    masked = out[..., 0] == 0
    # Every mask is a whole mask_size rectangle inside the image, as Addons' (24 pixels each).
    np.testing.assert_array_equal(masked.sum(axis=(1, 2)), F["random_cutout/draws/mask_pixels"])
    rows = np.stack([np.flatnonzero(m.any(axis=1)) for m in masked])
    cols = np.stack([np.flatnonzero(m.any(axis=0)) for m in masked])
    assert rows.shape[1] == mask_size[0] and cols.shape[1] == mask_size[1]
    centers = np.stack([rows[:, 0] + mask_size[0] // 2, cols[:, 0] + mask_size[1] // 2], -1)
    addons = F["random_cutout/draws/centers"]
    for axis in range(2):
        # Same support (every allowed centre, no other) and uniform frequencies: 400 draws over k values give
        # 400 / k +- sqrt(400 / k) each; 35 is > 3.5 standard deviations for both Addons' draws and ours.
        values, counts = np.unique(centers[:, axis], return_counts=True)
        addons_values, addons_counts = np.unique(addons[:, axis], return_counts=True)
        np.testing.assert_array_equal(values, addons_values)
        expected = len(centers) / len(values)
        assert np.abs(counts - expected).max() < 35 and np.abs(addons_counts - expected).max() < 35


# ---------------------------------------------------------------- adjust_hsv_in_yiq / random_hsv_in_yiq

_YIQ = np.array([[0.299, 0.596, 0.211], [0.587, -0.274, -0.523], [0.114, -0.322, 0.312]])
_YIQ_INVERSE = np.array([[1.0, 1.0, 1.0], [0.95617069, -0.2726886, -1.103744], [0.62143257, -0.64681324, 1.70062309]])


def _hsv(name):
    prefix = f"hsv/{name}/"
    return F[prefix + "image"], [F[prefix + k].item() for k in ("delta_hue", "scale_saturation", "scale_value")]


@pytest.mark.parametrize("name", _cases("hsv"))
def test_adjust_hsv_in_yiq_matches_addons(name):
    image, params = _hsv(name)
    out = _np(image_ops.adjust_hsv_in_yiq(image, *params))
    expected = F[f"hsv/{name}/result"]
    assert out.dtype == expected.dtype and out.shape == expected.shape
    if image.dtype == np.uint8:
        scaled = F[f"hsv/{name}/float_result"].astype(np.float64) * 255.5  # Addons' value before its cast
        inside = (scaled >= 0) & (scaled < 256)
        # In range: truncation after float32 arithmetic that rounds (~1e-7) unlike Addons' kernel could move a
        # pixel lying on an integer boundary by 1; here the results agree exactly.
        np.testing.assert_array_equal(out[inside], expected[inside])
        # Intended difference: out of range we saturate (0 or 255). Addons' cast does not saturate: what it gives
        # there is unspecified (C++ undefined behaviour); TensorFlow's vectorised loop saturated most pixels and
        # its scalar tail wrapped the others around (modulo 256).
        saturated = np.where(scaled[~inside] < 0, 0, 255)
        np.testing.assert_array_equal(out[~inside], saturated)
        wrapped = np.trunc(scaled[~inside]).astype(np.int64) % 256
        assert np.all((expected[~inside] == saturated) | (expected[~inside] == wrapped))
        if name == "uint8_saturating":
            assert (~inside).sum() > 20
    elif image.dtype == np.float64:
        # Intended difference: Addons (its Python path for float64) rounds the parameters to float32 first: 1e-7.
        np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-7)
        # The same formula in float64 NumPy: 1e-12.
        hue, saturation, value = params
        u, w = value * saturation * np.cos(hue), value * saturation * np.sin(hue)
        matrix = _YIQ @ np.array([[value, 0, 0], [0, u, w], [0, -w, u]]) @ _YIQ_INVERSE
        np.testing.assert_allclose(out, image @ matrix, rtol=1e-12, atol=1e-12)
    else:
        # float32: one 3x3 matrix, summed in another order than Addons' kernel (or its Python path), 1e-6.
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(out, F[f"hsv/{name}/python_result"], rtol=1e-6, atol=1e-6)


def _parameters(matrices):
    """(hue, saturation, value) of each RGB colour matrix `yiq @ hsv @ yiq_inverse` (rows: outputs of unit pixels)."""
    hsv = np.linalg.inv(_YIQ) @ matrices.astype(np.float64) @ np.linalg.inv(_YIQ_INVERSE)
    value = hsv[:, 0, 0]
    u, w = hsv[:, 1, 1], hsv[:, 1, 2]
    return np.arctan2(w, u), np.hypot(u, w) / value, value


def test_random_hsv_in_yiq_draws_as_addons():
    ranges = {k: F[f"random_hsv/{k}"].item() for k in
              ("max_delta_hue", "lower_saturation", "upper_saturation", "lower_value", "upper_value")}
    unit = np.eye(3, dtype="float32").reshape(1, 3, 3)
    images = np.concatenate([unit, unit])  # one draw per call: both images must get the same
    seed = keras.random.SeedGenerator(3)
    outs = np.stack([_np(image_ops.random_hsv_in_yiq(images, seed=seed, **ranges)) for _ in range(200)])
    np.testing.assert_array_equal(outs[:, 0], outs[:, 1])
    bounds = [(-ranges["max_delta_hue"], ranges["max_delta_hue"]),
              (ranges["lower_saturation"], ranges["upper_saturation"]),
              (ranges["lower_value"], ranges["upper_value"])]
    ours, addons = _parameters(outs[:, 0]), _parameters(F["random_hsv/matrices"])
    for mine, theirs, (low, high) in zip(ours, addons, bounds):
        width = high - low
        # Uniform in [low, high) for both (1e-5: float32 matrices); means of 200 and 300 draws agree within
        # 0.1 * width (> 4 standard deviations); both come within 5% of each bound.
        for draws in (mine, theirs):
            assert draws.min() >= low - 1e-5 and draws.max() <= high + 1e-5
            assert draws.min() < low + 0.05 * width and draws.max() > high - 0.05 * width
        assert abs(mine.mean() - theirs.mean()) < 0.1 * width


def test_random_hsv_in_yiq_with_fixed_ranges_matches_addons():
    out = _np(image_ops.random_hsv_in_yiq(F["random_hsv/fixed/image"], 0, 1.2, 1.2, 0.9, 0.9, seed=3))
    # Nothing is drawn: adjust_hsv_in_yiq(image, 0, 1.2, 0.9), float32 as above, 1e-6.
    np.testing.assert_allclose(out, F["random_hsv/fixed/result"], rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- transforms

@pytest.mark.parametrize("name", _cases("compose"))
def test_compose_transforms_matches_addons(name):
    prefix = f"compose/{name}/"
    items = [F[f"{prefix}transform{i}"] for i in range(int(F[prefix + "count"]))]
    out = _np(image_ops.compose_transforms(items))
    expected = F[prefix + "composed"]
    assert out.dtype == np.float32 and out.shape == expected.shape
    # float32 3x3 products and one division: 1e-6 relative (entries of order 0.01 to 30), 1e-7 absolute.
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", _cases("angles"))
def test_angles_to_projective_transforms_matches_addons(name):
    prefix = f"angles/{name}/"
    angles = F[prefix + "angles"]
    out = _np(image_ops.angles_to_projective_transforms(angles, F[prefix + "image_height"].item(),
                                                        F[prefix + "image_width"].item()))
    expected = F[prefix + "transforms"]
    assert out.dtype == np.float32 and out.shape == expected.shape
    # The same float32 formula; sin/cos of the backends may differ by 1 ulp: 1e-6.
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", _cases("translations"))
def test_translations_to_projective_transforms_matches_addons(name):
    prefix = f"translations/{name}/"
    out = _np(image_ops.translations_to_projective_transforms(F[prefix + "translations"]))
    # Copies and negations: exact.
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, F[prefix + "transforms"])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_of_these_transforms_is_addons_rotate_and_translate(interpolation):
    images = F["warp/images"]
    h, w = images.shape[1:3]
    rotations = image_ops.angles_to_projective_transforms(F["warp/angles"], h, w)
    translations = image_ops.translations_to_projective_transforms(F["warp/translations"])
    cases = [(rotations, "warp/rotated"), (translations, "warp/translated")]
    if interpolation == "nearest" and keras.backend.backend() == "torch":
        # The half-pixel translations are ties for nearest sampling: Keras's PyTorch backend rounds them
        # differently from TensorFlow (Addons) and JAX.
        cases = cases[:1]
    for transforms, key in cases:
        out = _np(keras.ops.image.affine_transform(images, transforms, interpolation=interpolation,
                                                   fill_mode="constant", data_format="channels_last"))
        # The migration guide's recipe ("nearest" is Addons' default): values in [0, 1], float32: 1e-5.
        np.testing.assert_allclose(out, F[f"{key}_{interpolation}"], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- bad arguments

IMAGES = np.zeros((2, 6, 8, 3), "float32")


@pytest.mark.parametrize("call, match", [
    (lambda: image_ops.blend(IMAGES, IMAGES, "half"), "factor"),
    (lambda: image_ops.blend(IMAGES, IMAGES, np.array([0.5, 0.5])), "factor"),
    (lambda: image_ops.cutout(IMAGES, 3), "mask_size"),
    (lambda: image_ops.cutout(IMAGES, (4, -2)), "mask_size"),
    (lambda: image_ops.cutout(IMAGES, (2, 2, 2)), "mask_size"),
    (lambda: image_ops.cutout(IMAGES[0], 2), "images"),
    (lambda: image_ops.cutout(IMAGES, 2, offset=(1, 2, 3)), "offset"),
    (lambda: image_ops.cutout(IMAGES, 2, offset=np.zeros((2, 2), "float32")), "offset"),
    (lambda: image_ops.cutout(IMAGES, 2, data_format="NHWC"), "data_format"),
    (lambda: image_ops.random_cutout(IMAGES, 5), "mask_size"),
    (lambda: image_ops.random_cutout(IMAGES, 4, seed=1.5), "seed"),
    (lambda: image_ops.random_cutout(IMAGES[0, 0], 4), "images"),
    (lambda: image_ops.adjust_hsv_in_yiq(IMAGES[0, 0, 0]), "image"),
    (lambda: image_ops.adjust_hsv_in_yiq(IMAGES[..., :2]), "image"),
    (lambda: image_ops.adjust_hsv_in_yiq(IMAGES, delta_hue=np.ones(3)), "delta_hue"),
    (lambda: image_ops.random_hsv_in_yiq(IMAGES, max_delta_hue=-0.1), "max_delta_hue"),
    (lambda: image_ops.random_hsv_in_yiq(IMAGES, lower_saturation=-1), "lower_saturation"),
    (lambda: image_ops.random_hsv_in_yiq(IMAGES, lower_saturation=0.9, upper_saturation=0.8), "upper_saturation"),
    (lambda: image_ops.random_hsv_in_yiq(IMAGES, lower_value=-0.5), "lower_value"),
    (lambda: image_ops.random_hsv_in_yiq(IMAGES, lower_value=2, upper_value=1), "upper_value"),
    (lambda: image_ops.random_hsv_in_yiq(IMAGES, 0.1, seed="one"), "seed"),
    (lambda: image_ops.compose_transforms([]), "transforms"),
    (lambda: image_ops.compose_transforms(np.zeros(8)), "transforms"),
    (lambda: image_ops.compose_transforms([np.zeros(8), np.zeros((2, 6))]), "transforms"),
    (lambda: image_ops.angles_to_projective_transforms(np.zeros((2, 2)), 4, 4), "angles"),
    (lambda: image_ops.angles_to_projective_transforms(0.5, np.array([4, 5]), 4), "image_height"),
    (lambda: image_ops.translations_to_projective_transforms(np.zeros(3)), "translations"),
    (lambda: image_ops.translations_to_projective_transforms(np.zeros((1, 2, 2))), "translations"),
])
def test_bad_arguments_raise_value_error_naming_them(call, match):
    with pytest.raises(ValueError, match=f"Invalid `{match}`"):
        call()


# ---------------------------------------------------------------- jit

class _Apply(keras.layers.Layer):
    """Calls one image op on the layer's inputs, with a seed generator for the random ones (test scaffolding)."""

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn
        self.seed_generator = keras.random.SeedGenerator(4)

    def call(self, inputs):
        return self.fn(self.seed_generator, *inputs)


JIT_CASES = {
    "blend": (lambda s, a, b, f: image_ops.blend(a, b, f[0]),
              ["blend/float_factor2/image1", "blend/float_factor2/image2", "blend/float_factor2/factor"]),
    "cutout": (lambda s, x, o: image_ops.cutout(x, (4, 6), o, 0.5, data_format="channels_last"),
               ["cutout/float_offset_per_image/images", "cutout/float_offset_per_image/offset"]),
    "adjust_hsv_in_yiq": (lambda s, x: image_ops.adjust_hsv_in_yiq(x, 0.7, 1.3, 0.8), ["hsv/float_batch/image"]),
    "compose_transforms": (lambda s, a, b: image_ops.compose_transforms([a, b]),
                           ["compose/three_batches/transform0", "compose/three_batches/transform1"]),
    "angles_to_projective_transforms": (lambda s, a: image_ops.angles_to_projective_transforms(a, 10, 6),
                                        ["angles/vector/angles"]),
    "translations_to_projective_transforms": (lambda s, t: image_ops.translations_to_projective_transforms(t),
                                              ["translations/matrix/translations"]),
}


def _batched_input(array):
    # predict_on_batch wants a batch axis on every input: a scalar factor travels as shape (1,).
    return array.reshape(1) if array.ndim == 0 else array


@pytest.mark.parametrize("name", list(JIT_CASES))
def test_op_runs_in_a_jit_compiled_model(name):
    fn, keys = JIT_CASES[name]
    arrays = [_batched_input(F[key]).astype("float32") if F[key].dtype == np.float64 else _batched_input(F[key])
              for key in keys]
    inputs = [keras.Input(batch_shape=a.shape, dtype=str(a.dtype)) for a in arrays]
    model = keras.Model(inputs, _Apply(fn)(inputs))
    model.compile(jit_compile=True)
    eager = _np(fn(None, *arrays))
    jitted = _np(model.predict_on_batch(arrays))
    # XLA may fuse and reorder float32 arithmetic: 1e-5.
    np.testing.assert_allclose(jitted, eager, rtol=1e-5, atol=1e-5)


def test_random_ops_draw_anew_in_a_jit_compiled_model():
    images = np.ones((8, 8, 10, 3), "float32")

    def augment(seed, x):
        cut = image_ops.random_cutout(x, (4, 2), 0.0, seed=seed, data_format="channels_last")
        return image_ops.random_hsv_in_yiq(cut, 0.5, 0.5, 1.5, seed=seed)

    inputs = keras.Input(batch_shape=images.shape)
    model = keras.Model(inputs, _Apply(augment)([inputs]))
    model.compile(jit_compile=True)
    first, second = (_np(model.predict_on_batch(images)) for _ in range(2))
    assert not np.array_equal(first, second)
    for out in (first, second):
        # Grey pixels stay grey under any hue and saturation (value 1): 8 pixels cut out of each image.
        np.testing.assert_allclose(out, out[..., :1].repeat(3, -1), atol=1e-5)
        np.testing.assert_array_equal((np.abs(out[..., 0]) < 1e-6).sum(axis=(1, 2)), 8)
