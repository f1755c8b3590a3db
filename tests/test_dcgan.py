"""DCGAN constructors (applications/dcgan.py) and spectral normalization (keras_dlx's SpectralNormalization):
shapes, parameter counts, conditioning, checkerboard-free upsampling, the power iteration against an SVD, jit,
mixed precision, saving, and bad arguments."""

import os

import keras
import numpy as np
import pytest

from keras_dlx import applications
from keras_dlx.layers.normalization.spectral_normalization import SpectralNormalization
from tests.reference import value_and_grad


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def largest_singular_value(kernel):
    kernel = numpy(kernel)
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]).astype("float64"), compute_uv=False)[0]


def spectral_layers(model):
    return [layer for layer in model.layers if isinstance(layer, SpectralNormalization)]


def latent(n, dim=100, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype("float32")


# --- the constructors -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3)])
def test_generator_and_discriminator_shapes_and_tanh_range(image_shape):
    generator = applications.dcgan_generator(image_shape=image_shape, seed=0)
    discriminator = applications.dcgan_discriminator(image_shape=image_shape, seed=0)
    # Large z drives the generator towards saturation: the output must still lie in [-1, 1].
    images = numpy(generator(latent(4) * 30.0))
    assert images.shape == (4, *image_shape) and images.dtype == np.float32
    assert np.all(np.abs(images) <= 1.0) and np.ptp(images) > 0
    assert tuple(numpy(discriminator(images)).shape) == (4, 1)


def test_64x64_builds_with_the_papers_four_stages():
    generator = applications.dcgan_generator(image_shape=(64, 64, 3), filters=(64, 32, 16, 8))
    discriminator = applications.dcgan_discriminator(image_shape=(64, 64, 3), filters=(8, 16, 32, 64))
    assert tuple(generator.output.shape) == (None, 64, 64, 3)
    assert generator.get_layer("reshape").output.shape[1:] == (4, 4, 64)
    assert tuple(discriminator.output.shape) == (None, 1)


def test_default_28x28_parameter_counts():
    generator = applications.dcgan_generator()
    # Dense 100 -> 7*7*128 (no bias: BatchNormalization follows), BN(128), ConvT 4x4 128 -> 64 (no bias), BN(64),
    # ConvT 4x4 64 -> 1 with bias; each BN has gamma, beta and two moving statistics.
    assert generator.count_params() == 100 * 6272 + 4 * 128 + 16 * 128 * 64 + 4 * 64 + 16 * 64 + 1 == 760_065
    discriminator = applications.dcgan_discriminator()
    # Conv 4x4 1 -> 64 and 64 -> 128 with biases, Dense 6272 -> 1; no BatchNormalization by default.
    assert discriminator.count_params() == 16 * 64 + 64 + 16 * 64 * 128 + 128 + 6272 + 1 == 138_561
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in discriminator.layers)
    # The paper's layout: BatchNormalization (gamma, beta, two statistics) replaces conv2's bias.
    paper = applications.dcgan_discriminator(batch_norm=True)
    assert paper.count_params() == 138_561 - 128 + 4 * 128 == 138_945
    # Spectral normalization adds one u per wrapped kernel (its length: the kernel's output units).
    sn = applications.dcgan_discriminator(spectral_norm=True)
    assert sn.count_params() == 138_561 + (64 + 128 + 1) == 138_754
    assert len(spectral_layers(sn)) == 3


def test_radford_initialization_and_layout():
    generator = applications.dcgan_generator(seed=3)
    kernel = numpy(generator.get_layer("project").kernel)
    assert abs(kernel.mean()) < 1e-3 and abs(kernel.std() - 0.02) < 1e-3
    assert not any(isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D))
                   for layer in generator.layers)
    # BatchNormalization in the generator except at the output; in the paper's discriminator layout, none after
    # the first conv.
    assert isinstance(generator.layers[-2], keras.layers.Conv2DTranspose)
    discriminator = applications.dcgan_discriminator(batch_norm=True)
    assert isinstance(discriminator.get_layer("conv2_bn"), keras.layers.BatchNormalization)
    after_first = discriminator.layers[discriminator.layers.index(discriminator.get_layer("conv1")) + 1]
    assert isinstance(after_first, keras.layers.LeakyReLU)
    # Two builds with one seed start equal; layers of the same shape do not share their draws.
    again = applications.dcgan_generator(seed=3)
    np.testing.assert_array_equal(kernel, numpy(again.get_layer("project").kernel))


def test_conditional_generator_and_projection_discriminator():
    generator = applications.dcgan_generator(num_classes=10, seed=0)
    z = np.repeat(latent(1), 2, axis=0)
    images = numpy(generator([z, np.array([3, 7], "int32")]))
    assert images.shape == (2, 28, 28, 1)
    assert np.abs(images[0] - images[1]).max() > 1e-4, "the label does not reach the generator's output"
    discriminator = applications.dcgan_discriminator(num_classes=10, spectral_norm=True, seed=0)
    assert [tuple(t.shape) for t in discriminator.inputs] == [(None, 28, 28, 1), (None,)]
    same = np.repeat(images[:1], 2, axis=0)
    logits = numpy(discriminator([same, np.array([3, 7], "int32")]))
    assert logits.shape == (2, 1) and logits[0, 0] != logits[1, 0]
    # The class term is exactly <embed(label), features>.
    features = numpy(keras.Model(discriminator.inputs[0], discriminator.get_layer("features").output)(same))
    embedding = numpy(discriminator.get_layer("label_projection").embeddings)
    difference = (embedding[3] - embedding[7]) @ features[0]
    np.testing.assert_allclose(logits[0, 0] - logits[1, 0], difference, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("upsampling, layer_type", [("transpose", keras.layers.Conv2DTranspose),
                                                     ("resize", applications.dcgan.ResizeConv2D)])
def test_both_upsamplings_are_checkerboard_free(upsampling, layer_type):
    # The repo's sense (tests/test_convolution_numerics.py, examples/checkerboard.py): an all-ones kernel on a
    # constant image gives a constant interior. The transposed convolution is 4x4 (divisible by its stride 2).
    generator = applications.dcgan_generator(upsampling=upsampling)
    up = generator.get_layer("up1")
    assert isinstance(up, layer_type)
    layer = type(up).from_config({**up.get_config(), "kernel_initializer": "ones"})
    out = numpy(layer(np.ones((1, 7, 7, 128), "float32")))[0, 2:-2, 2:-2]
    assert out.shape[-1] == 64 and np.ptp(out) == 0


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="image_shape.*divisible by 4"):
        applications.dcgan_generator(image_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="image_shape.*divisible by 8"):
        applications.dcgan_discriminator(image_shape=(28, 28, 1), filters=(8, 16, 32))
    with pytest.raises(ValueError, match="image_shape"):
        applications.dcgan_generator(image_shape=(28, 28))
    with pytest.raises(ValueError, match="upsampling.*'bilinear'"):
        applications.dcgan_generator(upsampling="bilinear")
    with pytest.raises(ValueError, match="latent_dim.*0"):
        applications.dcgan_generator(latent_dim=0)
    with pytest.raises(ValueError, match="filters"):
        applications.dcgan_generator(filters=())
    with pytest.raises(ValueError, match="num_classes"):
        applications.dcgan_discriminator(num_classes=0)
    with pytest.raises(ValueError, match="spectral_norm"):
        applications.dcgan_discriminator(spectral_norm="yes")
    with pytest.raises(ValueError, match="power_iterations"):
        SpectralNormalization(keras.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        SpectralNormalization(keras.layers.BatchNormalization())(np.ones((2, 3), "float32"))


def test_generator_and_discriminator_keras_round_trip(tmp_path):
    generator = applications.dcgan_generator(num_classes=10, upsampling="resize", seed=0)
    discriminator = applications.dcgan_discriminator(num_classes=10, spectral_norm=True, seed=0)
    z, labels = latent(3), np.array([0, 4, 9], "int32")
    images = numpy(generator([z, labels]))
    discriminator([images, labels], training=True)  # moves u away from its built value
    for model, inputs in ((generator, [z, labels]), (discriminator, [images, labels])):
        path = os.path.join(tmp_path, f"{model.name}.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_array_equal(numpy(model(inputs)), numpy(loaded(inputs)))
    for original, restored in zip(spectral_layers(discriminator), spectral_layers(loaded)):
        np.testing.assert_array_equal(numpy(original.vector_u), numpy(restored.vector_u))


# --- spectral normalization ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: keras.layers.Conv2D(8, 3), lambda: keras.layers.Dense(6),
                                  lambda: keras.layers.Conv2DTranspose(4, 3, strides=2)],
                         ids=["conv2d", "dense", "conv2d-transpose"])
def test_power_iteration_finds_the_largest_singular_value(make):
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 5)).astype("float32")
    layer = SpectralNormalization(make(), power_iterations=1)
    # A kernel with a small gap between its two largest singular values: power iteration needs many steps.
    layer(x)
    kernel = numpy(layer.layer.kernel)
    layer.layer.kernel.assign(kernel * np.random.default_rng(1).uniform(0.5, 3.0, size=kernel.shape[-1]))
    sigma = largest_singular_value(layer.layer.kernel)
    for _ in range(60):
        layer(x, training=True)
    np.testing.assert_allclose(float(numpy(layer.sigma())), sigma, rtol=1e-4)
    # The output is that of the wrapped layer with kernel / sigma (checked with a plain copy of it).
    plain = type(layer.layer).from_config(layer.layer.get_config())
    plain(x)
    plain.set_weights([numpy(layer.layer.kernel) / sigma, *layer.layer.get_weights()[1:]])
    np.testing.assert_allclose(numpy(layer(x)), numpy(plain(x)), rtol=1e-4, atol=1e-5)


def test_inference_does_not_update_u_and_never_writes_the_kernel():
    layer = SpectralNormalization(keras.layers.Dense(4))
    x = np.ones((2, 3), "float32")
    layer(x)
    u, kernel = numpy(layer.vector_u), numpy(layer.layer.kernel)
    layer(x, training=False)
    np.testing.assert_array_equal(numpy(layer.vector_u), u)
    layer.layer.kernel.assign(np.random.default_rng(0).normal(size=kernel.shape))
    kernel = numpy(layer.layer.kernel)
    layer(x, training=True)
    assert not np.array_equal(numpy(layer.vector_u), u)
    np.testing.assert_array_equal(numpy(layer.layer.kernel), kernel)


def test_gradient_runs_through_sigma():
    # y = x W / sigma(W) + b with sigma = ||W u|| (u fixed, unit norm): autodiff against central differences.
    layer = SpectralNormalization(keras.layers.Dense(3), dtype="float64")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    layer(x)
    u = numpy(layer.vector_u)
    bias = numpy(layer.layer.bias)

    def forward(kernel):
        return layer.stateless_call([kernel, bias], [u], x)[0]

    def numpy_forward(kernel):
        return np.sum(x @ kernel / np.linalg.norm(kernel @ u) + bias)

    kernel = rng.normal(size=(5, 3))
    value, grad = value_and_grad(forward, kernel)
    np.testing.assert_allclose(value.sum(), numpy_forward(kernel), rtol=1e-10)
    eps, numeric = 1e-6, np.zeros_like(kernel)
    for index in np.ndindex(kernel.shape):
        step = np.zeros_like(kernel)
        step[index] = eps
        numeric[index] = (numpy_forward(kernel + step) - numpy_forward(kernel - step)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_spectral_discriminator_trains_under_jit():
    # SGD with a zero learning rate: every step runs the power iteration (kept by fit on every backend, u being
    # non-trainable state) while the kernels stay put, so sigma must converge to each kernel's SVD value.
    discriminator = applications.dcgan_discriminator((8, 8, 1), filters=(4, 8), spectral_norm=True, seed=0)
    discriminator.compile(keras.optimizers.SGD(0.0), keras.losses.BinaryCrossentropy(from_logits=True),
                          jit_compile=True)
    x = np.random.default_rng(0).uniform(-1, 1, size=(32, 8, 8, 1)).astype("float32")
    y = (np.arange(32) % 2).astype("float32")[:, None]
    before = [numpy(layer.vector_u) for layer in spectral_layers(discriminator)]
    discriminator.fit(x, y, batch_size=4, epochs=4, verbose=0)
    for layer, u in zip(spectral_layers(discriminator), before):
        # (The logits' Dense has one output: its u is +-1 from the start.)
        assert u.size == 1 or not np.array_equal(numpy(layer.vector_u), u)
        np.testing.assert_allclose(float(numpy(layer.sigma())), largest_singular_value(layer.layer.kernel),
                                   rtol=1e-3)
    assert np.all(np.isfinite(discriminator.predict(x, verbose=0)))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_spectral_normalization_under_mixed_precision(policy):
    x = np.random.default_rng(0).uniform(-1, 1, size=(8, 8, 8, 1)).astype("float32")
    reference = applications.dcgan_discriminator((8, 8, 1), filters=(4, 8), spectral_norm=True, seed=0)
    keras.config.set_dtype_policy(policy)
    try:
        discriminator = applications.dcgan_discriminator((8, 8, 1), filters=(4, 8), spectral_norm=True, seed=0)
    finally:
        keras.config.set_dtype_policy("float32")
    discriminator.set_weights(reference.get_weights())
    discriminator(x, training=True)
    reference(x, training=True)
    for mixed, exact in zip(spectral_layers(discriminator), spectral_layers(reference)):
        # The convolutions compute in the low dtype; the logits' Dense stays float32 by design.
        expected = "float32" if mixed.name == "logits_sn" else policy.split("_")[1]
        assert mixed.layer.compute_dtype == expected and mixed.vector_u.dtype == "float32"
        # The power iteration runs in float32 whatever the policy, and the float32 kernel is never rounded.
        np.testing.assert_allclose(numpy(mixed.vector_u), numpy(exact.vector_u), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(numpy(mixed.layer.kernel), numpy(exact.layer.kernel))
    logits = numpy(discriminator(x))
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits, numpy(reference(x)), atol=0.05)
    # A real training step (jit is checked above; here it would only add compile time).
    discriminator.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(from_logits=True),
                          jit_compile=False)
    loss = discriminator.fit(x, (np.arange(8) % 2)[:, None].astype("float32"), batch_size=4, verbose=0)
    assert np.isfinite(loss.history["loss"][0])


# --- the GAN (needs applications.GAN) ----------------------------------------------------------------------------

needs_gan = pytest.mark.skipif(not hasattr(applications, "GAN"), reason="applications.GAN is not written yet")


@needs_gan
def test_dcgan_is_registered_and_builds_a_gan():
    assert applications.model_task("dcgan") == "gan"
    gan = applications.get_model("dcgan", image_shape=(16, 16, 1), latent_dim=8, generator_filters=(8, 4),
                                 discriminator_filters=(4, 8), spectral_norm=True, seed=0)
    assert isinstance(gan, applications.GAN)
    assert tuple(gan.generator.output.shape) == (None, 16, 16, 1)
    assert len(spectral_layers(gan.discriminator)) == 3


@needs_gan
def test_dcgan_trains_a_step_and_survives_saving(tmp_path):
    gan = applications.DCGAN(image_shape=(8, 8, 1), latent_dim=4, num_classes=3, generator_filters=(8, 4),
                             discriminator_filters=(4, 8), spectral_norm=True, seed=0)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    images = np.random.default_rng(0).uniform(-1, 1, size=(8, 8, 8, 1)).astype("float32")
    labels = np.arange(8, dtype="int32") % 3
    logs = gan.fit(images, labels, batch_size=4, epochs=1, verbose=0).history
    assert np.isfinite(logs["d_loss"][-1]) and np.isfinite(logs["g_loss"][-1])
    path = os.path.join(tmp_path, "dcgan.keras")
    gan.save(path)
    loaded = keras.models.load_model(path)
    z, y = latent(2, 4), np.array([0, 2], "int32")
    np.testing.assert_array_equal(numpy(gan.generator([z, y])), numpy(loaded.generator([z, y])))
    x = images[:2]
    np.testing.assert_array_equal(numpy(gan.discriminator([x, y])), numpy(loaded.discriminator([x, y])))
