"""The Sampling layer and the VAE training wrapper (applications/vae.py): the ELBO's terms against NumPy, the
importance-weighted bound, saving, learning on the embedded digits, bad arguments."""

import keras
import numpy as np
import pytest
from scipy.special import logsumexp

from keras_dlx import applications, layers
from keras_dlx.data import load_mnist
from tests.reference import value_and_grad


def test_sampling_is_mean_plus_scaled_noise_and_differentiable():
    mean = np.random.default_rng(0).normal(size=(4000, 3))
    log_var = np.random.default_rng(1).normal(size=(4000, 3))
    z = keras.ops.convert_to_numpy(layers.Sampling(seed=1, dtype="float64")([mean, log_var]))
    eps = (z - mean) / np.exp(0.5 * log_var)
    assert abs(eps.mean()) < 0.05 and abs(eps.std() - 1.0) < 0.05
    # With a fixed draw (same seed), z is mean + exp(log_var / 2) eps: its gradients are 1 and eps exp(lv / 2) / 2.
    small_mean, small_log_var = mean[:2], log_var[:2]

    def draw(m, lv):
        return layers.Sampling(seed=7, dtype="float64")([m, lv])

    noise = (keras.ops.convert_to_numpy(draw(small_mean, small_log_var)) - small_mean) / np.exp(0.5 * small_log_var)
    _, grad_mean = value_and_grad(lambda m: keras.ops.sum(draw(m, small_log_var)), small_mean)
    _, grad_log_var = value_and_grad(lambda lv: keras.ops.sum(draw(small_mean, lv)), small_log_var)
    np.testing.assert_allclose(grad_mean, np.ones_like(small_mean), rtol=1e-6)
    np.testing.assert_allclose(grad_log_var, 0.5 * noise * np.exp(0.5 * small_log_var), rtol=1e-6)


def test_sampling_survives_saving():
    inputs = [keras.Input((3,)), keras.Input((3,))]
    model = keras.Model(inputs, layers.Sampling(seed=5, name="s")(inputs))
    config = model.get_layer("s").get_config()
    assert config["seed"] == 5 and layers.Sampling.from_config(config).seed == 5


def tiny_vae(likelihood="bernoulli", latent_dim=3, two_outputs=False, beta=1.0, prior_encoder=False):
    x = keras.Input((6,))
    h = keras.layers.Dense(8, activation="tanh", kernel_initializer="zeros" if prior_encoder else "glorot_uniform")(x)
    if two_outputs:
        encoder = keras.Model(x, [keras.layers.Dense(latent_dim)(h), keras.layers.Dense(latent_dim)(h)])
    else:
        encoder = keras.Model(x, keras.layers.Dense(2 * latent_dim)(h))
    z = keras.Input((latent_dim,))
    decoder = keras.Model(z, keras.layers.Dense(6)(keras.layers.Dense(8, activation="tanh")(z)))
    return applications.VAE(encoder, decoder, latent_dim, likelihood=likelihood, beta=beta, seed=0)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_elbo_terms_equal_numpy(likelihood):
    vae = tiny_vae(likelihood, two_outputs=likelihood == "gaussian")
    x = (np.random.default_rng(2).uniform(size=(5, 6)) > 0.5).astype("float32")
    out = {k: keras.ops.convert_to_numpy(v).astype("float64") for k, v in vae(x).items()}
    mean, log_var, z = out["z_mean"], out["z_log_var"], out["z"]
    kl = 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1 - log_var, axis=1)
    decoded = keras.ops.convert_to_numpy(vae.decoder(z.astype("float32"))).astype("float64")
    if likelihood == "bernoulli":
        p = 1 / (1 + np.exp(-decoded))
        reconstruction = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
    else:
        reconstruction = 0.5 * np.sum((x - decoded) ** 2 + np.log(2 * np.pi), axis=1)
    np.testing.assert_allclose(out["kl_loss"], kl, rtol=1e-5)
    np.testing.assert_allclose(out["reconstruction_loss"], reconstruction, rtol=1e-5)
    vae.compile(keras.optimizers.SGD(0.0))
    logs = vae.evaluate(x, batch_size=5, verbose=0, return_dict=True)
    # evaluate samples again: the KL term is deterministic, the losses are close to the NumPy ones.
    np.testing.assert_allclose(logs["kl_loss"], kl.mean(), rtol=1e-5)
    assert np.isclose(logs["elbo"], -(logs["reconstruction_loss"] + logs["kl_loss"]), rtol=1e-5)


def test_importance_weighted_estimate_approaches_the_exact_log_likelihood():
    # With a 2-d latent space, log p(x) = log of the integral of p(x|z) p(z) dz is computed on a fine grid (the
    # reference); K = 5,000 importance samples land within Monte Carlo error of it, one sample (the ELBO's
    # estimate) falls below it on average. The encoder starts at zero weights: q(z|x) = N(0, I) = p(z), so the
    # importance weights p(x|z) are bounded and the error small whatever each backend's initial decoder is.
    keras.utils.set_random_seed(0)
    vae = tiny_vae(latent_dim=2, prior_encoder=True)
    x = (np.random.default_rng(3).uniform(size=(4, 6)) > 0.5).astype("float64")
    grid = np.linspace(-7, 7, 281)
    z = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
    logits = keras.ops.convert_to_numpy(vae.decoder(z.astype("float32"))).astype("float64")
    log_prior = -0.5 * np.sum(z ** 2, axis=1) - np.log(2 * np.pi)
    exact = np.array([logsumexp(np.sum(xi * logits - np.logaddexp(0, logits), axis=1) + log_prior)
                      for xi in x]) + 2 * np.log(grid[1] - grid[0])
    estimate = vae.log_likelihood(x, samples=5000, sample_chunk=1000, batch_size=3, seed=2)
    np.testing.assert_allclose(estimate, exact, atol=0.15)
    # K = 1 averaged over 500 draws per example: the ELBO, a lower bound.
    elbo = vae.log_likelihood(np.repeat(x, 500, axis=0), samples=1, batch_size=2000, seed=1).reshape(4, 500)
    assert elbo.mean() < exact.mean() - 0.03, (elbo.mean(axis=1), exact)


def test_vae_saves_and_reloads(tmp_path):
    vae = tiny_vae("gaussian", beta=2.0)
    vae.compile(keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(4).normal(size=(8, 6)).astype("float32")
    vae.fit(x, batch_size=4, epochs=1, verbose=0)
    path = str(tmp_path / "vae.keras")
    vae.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.beta == 2.0 and loaded.likelihood == "gaussian" and loaded.compiled
    mean, _ = vae.encode(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.encode(x)[0]), keras.ops.convert_to_numpy(mean),
                               rtol=1e-6)
    loaded.fit(x, batch_size=4, epochs=1, verbose=0)


def test_conv_vae_learns_the_embedded_digits():
    # 2 epochs of 4,000 binarised digits: the held-out ELBO rises from about -543 nats (untrained) to about -190
    # (measured with seeds 0 and 1: -198, -182).
    (x_train, _), (x_test, _) = load_mnist("embedded")
    x_train, x_test = ((x > 0.5).astype("float32") for x in (x_train, x_test))
    keras.utils.set_random_seed(0)
    vae = applications.ConvVAE(latent_dim=8, seed=0)
    vae.compile(keras.optimizers.Adam(2e-3))
    before = vae.evaluate(x_test[:500], batch_size=250, verbose=0, return_dict=True)["elbo"]
    vae.fit(x_train, batch_size=64, epochs=2, verbose=0)
    after = vae.evaluate(x_test[:500], batch_size=250, verbose=0, return_dict=True)["elbo"]
    assert after > before + 250 and after > -240, (before, after)
    assert tuple(vae.generate(3).shape) == (3, 28, 28, 1)


def test_conv_autoencoder_is_a_plain_model():
    model = applications.conv_autoencoder(latent_dim=4)
    assert model.output_shape == (None, 28, 28, 1) and model.get_layer("code").units == 4


@pytest.mark.parametrize("kwargs, match", [
    (dict(latent_dim=0), "latent_dim"),
    (dict(latent_dim=4), "encoder.*\\(4,\\) each"),
    (dict(likelihood="poisson"), "likelihood"),
    (dict(beta=-1.0), "beta"),
])
def test_vae_bad_arguments(kwargs, match):
    base = tiny_vae()
    options = dict(encoder=base.encoder, decoder=base.decoder, latent_dim=3)
    with pytest.raises(ValueError, match=match):
        applications.VAE(**{**options, **kwargs})


def test_vae_rejects_mismatched_models_and_compiled_losses():
    base = tiny_vae()
    z = keras.Input((3,))
    wrong = keras.Model(z, keras.layers.Dense(5)(z))
    with pytest.raises(ValueError, match="decoder.*encoder's input shape \\(6,\\)"):
        applications.VAE(base.encoder, wrong, 3)
    with pytest.raises(ValueError, match="loss"):
        base.compile("adam", loss="mse")
