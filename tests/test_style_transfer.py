"""GramMatrix (keras_dlx.layers) and Gatys et al.'s style transfer (applications.StyleTransfer, style_transfer)."""

import keras
import numpy as np
import pytest

from keras_dlx import applications, layers
from tests.reference import value_and_grad


def gram_reference(x, normalize=True):
    """Written out: G[c, d] = sum over positions of x[p, c] x[p, d] (divided by the positions)."""
    b, h, w, c = x.shape
    out = np.zeros((b, c, c))
    for n in range(b):
        for i in range(h):
            for j in range(w):
                out[n] += np.outer(x[n, i, j], x[n, i, j])
    return out / (h * w) if normalize else out


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_gram_matrix_equals_the_written_out_sum(normalize, data_format):
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 4))
    fed = x if data_format == "channels_last" else x.transpose(0, 3, 1, 2)
    out = layers.GramMatrix(normalize=normalize, data_format=data_format, dtype="float64")(fed)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), gram_reference(x, normalize), rtol=1e-12)


def test_gram_matrix_forgets_positions_and_is_symmetric():
    x = np.random.default_rng(1).normal(size=(1, 7, 5, 3)).astype("float32")
    flat = x.reshape(1, 35, 3)[:, np.random.default_rng(2).permutation(35)]
    gram = layers.GramMatrix()
    a, b = (keras.ops.convert_to_numpy(gram(v)) for v in (x, flat.reshape(1, 7, 5, 3)))
    np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(a, a.transpose(0, 2, 1), rtol=1e-6)


def test_gram_matrix_gradient_matches_finite_differences():
    x = np.random.default_rng(3).normal(size=(1, 3, 2, 2))
    weights = np.random.default_rng(4).normal(size=(2, 2))
    gram = layers.GramMatrix(dtype="float64")

    def loss(v):
        return keras.ops.sum(gram(v) * weights)

    _, grad = value_and_grad(loss, x)
    eps, numeric = 1e-6, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (float(keras.ops.convert_to_numpy(loss(up))) -
                          float(keras.ops.convert_to_numpy(loss(down)))) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def small_extractor():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv3")(x)
    return keras.Model(inputs, x, name="small")


def images(seed):
    rng = np.random.default_rng(seed)
    content = np.zeros((16, 16, 3), "float32")
    content[4:12, 4:12] = 200.0  # a bright square
    style = rng.uniform(0, 255, (16, 16, 3)).astype("float32")  # a noise texture
    return content, style


def test_style_transfer_lowers_the_loss_and_keeps_shape_and_range():
    keras.utils.set_random_seed(0)
    content, style = images(0)
    image, history = applications.style_transfer(
        content, style, small_extractor(), content_layers="conv3", style_layers=("conv1", "conv2"),
        style_weight=1e-2, steps=25, learning_rate=5.0)
    losses = history.history["loss"]
    assert image.shape == content.shape and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 255.0
    assert losses[-1] < 0.5 * losses[0], losses[::5]
    # The style term pulls the flat background towards the noise texture: it is no longer flat.
    assert image[:3, :3].std() > 1.0


def test_style_transfer_terms_are_the_gatys_losses():
    content, style = images(1)
    model = applications.StyleTransfer(content, style, small_extractor(), content_layers="conv3",
                                       style_layers=("conv1", "conv2"), content_weight=2.0, style_weight=3.0,
                                       total_variation_weight=0.5)
    features = model.extractor
    x = np.random.default_rng(5).uniform(0, 255, (1, 16, 16, 3)).astype("float32")
    fx, fc, fs = ([np.asarray(keras.ops.convert_to_numpy(a), "float64") for a in features(v)]
                  for v in (x, content[None], style[None]))
    content_term = 2.0 * np.mean((fx[0] - fc[0]) ** 2)
    style_term = 3.0 * np.mean([np.sum((gram_reference(a) - gram_reference(b)) ** 2) / (4 * a.shape[-1] ** 2)
                                for a, b in zip(fx[1:], fs[1:])])
    tv = 0.5 * (np.mean(np.abs(np.diff(x, axis=1))) + np.mean(np.abs(np.diff(x, axis=2))))
    terms = {k: float(keras.ops.convert_to_numpy(v)) for k, v in model.losses_of(x).items()}
    np.testing.assert_allclose([terms["content_loss"], terms["style_loss"], terms["variation_loss"]],
                               [content_term, style_term, tv], rtol=1e-4)


def test_style_transfer_with_vgg19_on_grey_digits():
    # The default extractor: VGG19 (random weights here: mechanics only) on a grey image repeated to RGB.
    content, style = (np.tile(image[..., :1], (2, 2, 1)) for image in images(2))  # VGG19 takes 32x32 and up
    image, history = applications.style_transfer(content, style, steps=2, style_layers=("block1_conv1",),
                                                 content_layers=("block2_conv2",))
    assert image.shape == (32, 32, 1) and np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(style_layers=("nope",)), "style_layers.*missing: nope"),
    (dict(content_layers=()), "content_layers"),
    (dict(value_range=(1.0, 0.0)), "value_range"),
    (dict(init="zeros"), "init"),
    (dict(content_weight=-1.0), "content_weight"),
    (dict(feature_extractor="vgg"), "feature_extractor"),
])
def test_style_transfer_bad_arguments(kwargs, match):
    content, style = images(3)
    options = dict(feature_extractor=small_extractor(), content_layers="conv3", style_layers=("conv1",))
    with pytest.raises(ValueError, match=match):
        applications.StyleTransfer(content, style, **{**options, **kwargs})


def test_style_transfer_bad_images():
    content, style = images(4)
    with pytest.raises(ValueError, match="style.*channels"):
        applications.StyleTransfer(content, style[..., :1], small_extractor(), content_layers="conv3",
                                   style_layers=("conv1",))
    with pytest.raises(ValueError, match="steps"):
        applications.style_transfer(content, style, small_extractor(), steps=0)
