"""Variational autoencoders (Kingma & Welling): a training wrapper for any encoder/decoder pair, its importance-
weighted log-likelihood, and small convolutional models for 28x28 digits."""

import math

import keras
import numpy as np
from keras import ops

from keras_dlx.applications import registry
from keras_dlx.layers import Sampling
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)


def _single_io(name, model):
    if not isinstance(model, keras.Model):
        args.invalid(name, model, "a keras.Model")
    if len(model.inputs) != 1:
        args.invalid(name, model.name, "a model with one input")
    return tuple(model.inputs[0].shape[1:]), [tuple(t.shape[1:]) for t in model.outputs]


def _gaussian_log_density(x, mean, log_var):
    """log N(x; mean, exp(log_var)), summed over every axis but the first."""
    terms = -0.5 * (ops.square(x - mean) * ops.exp(-log_var) + log_var + _LOG_2PI)
    return ops.sum(ops.reshape(terms, (ops.shape(terms)[0], -1)), axis=1)


@register
class VAE(keras.Model):
    """A variational autoencoder trained by maximising the evidence lower bound (ELBO), in nats.

    With q(z|x) = N(mean(x), diag(exp(log_var(x)))) from the encoder, the prior p(z) = N(0, I) and p(x|z) from the
    decoder, each training example's loss is

        reconstruction + beta * KL,   reconstruction = -log p(x|z), z = mean + exp(log_var / 2) eps (one sample),
        KL = KL(q(z|x) || p(z)) = 1/2 sum_j (exp(log_var_j) + mean_j^2 - 1 - log_var_j)

    and `ELBO = -(reconstruction + KL)` is logged (beta = 1 gives the VAE, beta > 1 the beta-VAE of Higgins et al.).
    Likelihoods: "bernoulli" (the decoder gives logits of each pixel being on; x in [0, 1], binarised for the
    standard benchmark), "gaussian" (the decoder gives the mean, with unit variance, or a list [mean, log_var]).
    All sums run over every pixel and latent dimension: the figures are nats per example.

    `fit(x)` trains (no targets; `compile(optimizer)` needs no loss) and logs `loss`, `reconstruction_loss`,
    `kl_loss` and `elbo`; `evaluate(x)` gives the same on held-out data. Calling the model returns a dict:
    "reconstruction" (the decoder's mean: probabilities for bernoulli), "z_mean", "z_log_var", "z" and the
    per-example "reconstruction_loss" and "kl_loss". `encode(x)`, `decode(z)` and `generate(n)` do one part;
    `log_likelihood(x, samples=k)` estimates log p(x) by importance sampling (Burda et al.), a bound that
    tightens towards log p(x) as k grows.

    Args:
        encoder: a Keras model from images to `[z_mean, z_log_var]` (two outputs) or to one tensor (batch,
            2 * latent_dim) holding both, mean first.
        decoder: a Keras model from (batch, latent_dim) to the images' shape (or `[mean, log_var]` of it for
            "gaussian").
        latent_dim: positive int, the size of z.
        likelihood: "bernoulli" or "gaussian". Defaults to "bernoulli".
        beta: float >= 0, the KL weight in the loss. Defaults to 1.0.
        seed: None or an integer for the sampling. Defaults to None.

    Example:

    >>> vae = applications.ConvVAE(latent_dim=4)
    >>> vae.compile(keras.optimizers.Adam(1e-3))
    >>> images = (np.random.default_rng(0).uniform(size=(8, 28, 28, 1)) > 0.5).astype("float32")
    >>> logs = vae.fit(images, batch_size=4, epochs=1, verbose=0).history
    >>> sorted(logs)
    ['elbo', 'kl_loss', 'loss', 'reconstruction_loss']

    Reference:
        - [Kingma & Welling 2014, Auto-Encoding Variational Bayes](https://arxiv.org/abs/1312.6114)
        - [Burda et al. 2016, Importance Weighted Autoencoders](https://arxiv.org/abs/1509.00519)
    """

    def __init__(self, encoder, decoder, latent_dim, likelihood="bernoulli", beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = args.positive_int("latent_dim", latent_dim)
        self.likelihood = args.one_of("likelihood", likelihood, LIKELIHOODS)
        self.beta = args.non_negative_float("beta", beta)
        self.seed = args.seed(seed)
        self.encoder, self.decoder = encoder, decoder
        self.image_shape = self._check_models(encoder, decoder)
        self.sampling = Sampling(seed=seed, name="sampling")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        self.elbo_tracker = keras.metrics.Mean(name="elbo")

    def _check_models(self, encoder, decoder):
        image_shape, encoded = _single_io("encoder", encoder)
        latent = self.latent_dim
        if encoded not in ([(latent,), (latent,)], [(2 * latent,)]):
            args.invalid("encoder", f"{encoder.name!r} with outputs {encoded}",
                         f"[z_mean, z_log_var] of shape ({latent},) each, or one ({2 * latent},) tensor")
        latent_shape, decoded = _single_io("decoder", decoder)
        if latent_shape != (latent,):
            args.invalid("decoder", f"{decoder.name!r} with input {latent_shape}", f"an input of shape ({latent},)")
        allowed = [[image_shape]] + ([[image_shape, image_shape]] if self.likelihood == "gaussian" else [])
        if decoded not in allowed:
            args.invalid("decoder", f"{decoder.name!r} with outputs {decoded}",
                         f"the encoder's input shape {image_shape}"
                         + (" (or [mean, log_var] of it)" if self.likelihood == "gaussian" else ""))
        return image_shape

    def encode(self, x, training=False):
        """`(z_mean, z_log_var)` of images `x`."""
        out = self.encoder(x, training=training)
        if isinstance(out, (list, tuple)):
            mean, log_var = out
        else:
            mean, log_var = out[:, :self.latent_dim], out[:, self.latent_dim:]
        return ops.cast(mean, "float32"), ops.cast(log_var, "float32")

    def _decoded(self, z, training=False):
        out = self.decoder(z, training=training)
        if isinstance(out, (list, tuple)):
            return ops.cast(out[0], "float32"), ops.cast(out[1], "float32")
        return ops.cast(out, "float32"), None

    def decode(self, z):
        """The decoder's mean image of latent codes `z`: pixel probabilities for "bernoulli"."""
        out, _ = self._decoded(z)
        return ops.sigmoid(out) if self.likelihood == "bernoulli" else out

    def generate(self, n, seed=None):
        """`n` images decoded from z ~ N(0, I) (the decoder's mean image of each)."""
        n = args.positive_int("n", n)
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator if seed is None else seed)
        return self.decode(z)

    def reconstruction_log_likelihood(self, x, z, training=False):
        """log p(x|z) per example, in nats."""
        x = ops.cast(x, "float32")
        out, log_var = self._decoded(z, training=training)
        if self.likelihood == "bernoulli":
            # log p = x * log sigmoid(l) + (1 - x) log sigmoid(-l), written stably.
            terms = x * out - ops.softplus(out)
            return ops.sum(ops.reshape(terms, (ops.shape(terms)[0], -1)), axis=1)
        return _gaussian_log_density(x, out, ops.zeros_like(out) if log_var is None else log_var)

    def call(self, x, training=None):
        mean, log_var = self.encode(x, training=training)
        z = self.sampling([mean, log_var])
        reconstruction = -self.reconstruction_log_likelihood(x, z, training=training)
        kl = 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=1)
        out, _ = self._decoded(z, training=training)
        return {"reconstruction": ops.sigmoid(out) if self.likelihood == "bernoulli" else out, "z_mean": mean,
                "z_log_var": log_var, "z": z, "reconstruction_loss": reconstruction, "kl_loss": kl}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.mean(y_pred["reconstruction_loss"] + self.beta * y_pred["kl_loss"])

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        self.reconstruction_tracker.update_state(y_pred["reconstruction_loss"])
        self.kl_tracker.update_state(y_pred["kl_loss"])
        self.elbo_tracker.update_state(-(y_pred["reconstruction_loss"] + y_pred["kl_loss"]))
        return self.get_metrics_result()

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        if loss is not None or metrics:
            raise ValueError(f"Invalid `loss`/`metrics` for {type(self).__name__}: the loss is the negative ELBO "
                             f"and the logged metrics are its terms. Received: loss={loss!r}, metrics={metrics!r}")
        super().compile(optimizer=optimizer, **kwargs)

    def log_likelihood(self, x, samples=5000, batch_size=100, sample_chunk=500, seed=None):
        """The importance-weighted estimate of log p(x) per example, in nats (Burda et al.), as a NumPy array.

            log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K,   z_k ~ q(z|x)

        K = `samples` draws per example, taken `sample_chunk` at a time (memory), over batches of `batch_size`
        examples. K = 1 is a one-sample ELBO; the estimate rises towards log p(x) as K grows.
        """
        samples = args.positive_int("samples", samples)
        batch_size = args.positive_int("batch_size", batch_size)
        sample_chunk = args.positive_int("sample_chunk", sample_chunk)
        generator = keras.random.SeedGenerator(seed)
        x = np.asarray(keras.ops.convert_to_numpy(x), "float32")
        result = []
        for start in range(0, len(x), batch_size):
            batch = x[start:start + batch_size]
            mean, log_var = self.encode(batch)
            total = None
            for done in range(0, samples, sample_chunk):
                k = min(sample_chunk, samples - done)
                log_w = self._log_weights(batch, mean, log_var, k, generator)
                chunk = ops.convert_to_numpy(ops.logsumexp(log_w, axis=0)).astype("float64")
                total = chunk if total is None else np.logaddexp(total, chunk)
            result.append(total - math.log(samples))
        return np.concatenate(result)

    def _log_weights(self, batch, mean, log_var, k, generator):
        """log p(x|z) + log p(z) - log q(z|x) for k draws z ~ q(z|x) of each example: (k, batch)."""
        n = ops.shape(mean)[0]
        noise = keras.random.normal((k, n, self.latent_dim), seed=generator)
        z = mean[None] + ops.exp(0.5 * log_var)[None] * noise
        flat = ops.reshape(z, (k * n, self.latent_dim))
        repeated = ops.reshape(ops.broadcast_to(ops.convert_to_tensor(batch)[None], (k,) + tuple(batch.shape)),
                               (k * n,) + tuple(batch.shape[1:]))
        log_px = self.reconstruction_log_likelihood(repeated, flat)
        log_pz = _gaussian_log_density(flat, ops.zeros_like(flat), ops.zeros_like(flat))
        log_qz = _gaussian_log_density(flat, ops.reshape(ops.broadcast_to(mean[None], (k, n, self.latent_dim)),
                                                         (k * n, self.latent_dim)),
                                       ops.reshape(ops.broadcast_to(log_var[None], (k, n, self.latent_dim)),
                                                   (k * n, self.latent_dim)))
        return ops.reshape(log_px + log_pz - log_qz, (k, n))

    def get_config(self):
        return {"encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder), "latent_dim": self.latent_dim,
                "likelihood": self.likelihood, "beta": self.beta, "seed": self.seed, "name": self.name,
                "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    def compile_from_config(self, config):
        # `.keras` loading: compile again with the saved optimizer (Keras skips models that override compile).
        config = keras.saving.deserialize_keras_object(config)
        self.compile(optimizer=config.get("optimizer", "adam"))
        if self.built:
            self.optimizer.build(self.trainable_variables)


def conv_encoder(input_shape=(28, 28, 1), latent_dim=16, filters=(32, 64), units=256, name="encoder"):
    """Images -> (batch, 2 * latent_dim) = [z_mean, z_log_var]: stride-2 3x3 ReLU convolutions, a dense layer."""
    inputs = keras.Input(input_shape, name="images")
    x = inputs
    for i, f in enumerate(filters, 1):
        x = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"conv{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(units, activation="relu", name="dense")(x)
    return keras.Model(inputs, keras.layers.Dense(2 * latent_dim, name="z_params")(x), name=name)


def conv_decoder(output_shape=(28, 28, 1), latent_dim=16, filters=(64, 32), units=256, name="decoder"):
    """(batch, latent_dim) -> logits/means of images: a dense layer, stride-2 3x3 transposed convolutions."""
    rows, cols, channels = output_shape
    factor = 2 ** len(filters)
    if rows % factor or cols % factor:
        args.invalid("input_shape", output_shape, f"rows and cols divisible by {factor}")
    inputs = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(units, activation="relu", name="dense")(inputs)
    x = keras.layers.Dense(rows // factor * cols // factor * filters[0], activation="relu", name="expand")(x)
    x = keras.layers.Reshape((rows // factor, cols // factor, filters[0]), name="reshape")(x)
    for i, f in enumerate(filters, 1):
        x = keras.layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu", name=f"deconv{i}")(x)
    outputs = keras.layers.Conv2D(channels, 3, padding="same", name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


@registry.register("conv_vae", min_size=4, task="vae")
def ConvVAE(latent_dim=16, input_shape=(28, 28, 1), likelihood="bernoulli", beta=1.0, seed=None, name="conv_vae"):
    """A convolutional `VAE` for small images (28x28 digits by default): `conv_encoder` and `conv_decoder`.

    Two stride-2 convolutions (32, 64 filters) and a 256-unit layer encode; the mirror image decodes. Returns
    an uncompiled `VAE`.
    """
    latent_dim = args.positive_int("latent_dim", latent_dim)
    shape = tuple(input_shape)
    return VAE(conv_encoder(shape, latent_dim), conv_decoder(shape, latent_dim), latent_dim, likelihood=likelihood,
               beta=beta, seed=seed, name=name)


def conv_autoencoder(input_shape=(28, 28, 1), latent_dim=16, name="conv_autoencoder"):
    """A plain (deterministic) convolutional autoencoder: images -> code of `latent_dim` -> sigmoid images.

    The same convolutional encoder and decoder as `ConvVAE`, the code being the encoder's first `latent_dim`
    outputs (no sampling, no KL). Train it as any model: `compile(loss="binary_crossentropy")`, `fit(x, x)`.
    """
    latent_dim = args.positive_int("latent_dim", latent_dim)
    shape = tuple(input_shape)
    encoder = conv_encoder(shape, latent_dim)
    code = keras.layers.Dense(latent_dim, name="code")(encoder.layers[-2].output)
    decoder = conv_decoder(shape, latent_dim)
    outputs = keras.layers.Activation("sigmoid", name="reconstruction", dtype="float32")(decoder(code))
    return keras.Model(encoder.inputs[0], outputs, name=name)
