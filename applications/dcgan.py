"""Deep convolutional GANs (Radford, Metz & Chintala 2016): generator and discriminator constructors and `DCGAN`,
with transposed or resize (checkerboard-free) upsampling, spectral normalization and class conditioning."""

import keras

from keras_dlx.applications import registry
from keras_dlx.layers.convolution.resize_conv import ResizeConv2D
from keras_dlx.layers.normalization.spectral_normalization import SpectralNormalization
from keras_dlx.utils import arguments as args

__all__ = ["DCGAN", "dcgan_discriminator", "dcgan_generator"]

UPSAMPLING = ("transpose", "resize")
# Transposed convolutions get a kernel divisible by the stride (4 for 2), so a constant input gives an even
# output; resize-convolutions need no such care and use 3x3.
_KERNEL = {"transpose": 4, "resize": 3}
# PyTorch's default momentum (Keras's 0.99 lags behind the short GAN runs the moving statistics serve).
_BN_MOMENTUM = 0.9


def _initializer(seed, index, mean=0.0):
    # Radford et al.: every weight from N(0, 0.02); BatchNormalization's gamma from N(1, 0.02). A fresh object per
    # layer (a shared seeded one would repeat the same values in every layer of the same shape).
    return keras.initializers.RandomNormal(mean, 0.02, seed=None if seed is None else seed + index)


def _image_shape(image_shape, stages):
    if not (isinstance(image_shape, (tuple, list)) and len(image_shape) == 3
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in image_shape)):
        args.invalid("image_shape", image_shape, "a tuple (rows, cols, channels) of positive integers")
    factor = 2 ** stages
    if image_shape[0] % factor or image_shape[1] % factor:
        args.invalid("image_shape", tuple(image_shape),
                     f"rows and cols divisible by {factor} (2 ** len(filters), one stride-2 stage per filter count)")
    return tuple(image_shape)


def _filters(filters):
    if not (isinstance(filters, (tuple, list)) and filters
            and all(isinstance(f, int) and not isinstance(f, bool) and f > 0 for f in filters)):
        args.invalid("filters", filters, "a non-empty tuple of positive integers")
    return tuple(filters)


def _num_classes(num_classes):
    return None if num_classes is None else args.positive_int("num_classes", num_classes)


def _generator_inputs(latent_dim, num_classes, seed):
    """z, or [z, labels] with the label's learned embedding (num_classes wide) concatenated to z."""
    z = keras.Input((latent_dim,), name="z")
    if num_classes is None:
        return [z], z
    labels = keras.Input((), dtype="int32", name="labels")
    # An embedding num_classes wide feeding the (linear) projection below spans the same functions as the
    # one-hot code Mirza & Osindero concatenate, without building the one-hot tensor.
    code = keras.layers.Embedding(num_classes, num_classes, embeddings_initializer=_initializer(seed, 99),
                                  name="label_embedding")(labels)
    return [z, labels], keras.layers.Concatenate(name="z_and_label")([z, code])


def _batch_norm_relu(x, seed, index, name):
    x = keras.layers.BatchNormalization(momentum=_BN_MOMENTUM, gamma_initializer=_initializer(seed, index, 1.0),
                                        name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _upsample(x, filters, upsampling, seed, index, name, use_bias=False):
    kernel = _initializer(seed, index)
    if upsampling == "resize":
        return ResizeConv2D(filters, _KERNEL["resize"], size=2, use_bias=use_bias, kernel_initializer=kernel,
                            name=name)(x)
    return keras.layers.Conv2DTranspose(filters, _KERNEL["transpose"], strides=2, padding="same", use_bias=use_bias,
                                        kernel_initializer=kernel, name=name)(x)


def dcgan_generator(latent_dim=100, image_shape=(28, 28, 1), filters=(128, 64), upsampling="transpose",
                    num_classes=None, seed=None, name="generator"):
    """The DCGAN generator: z -> a dense projection to a small feature map -> stride-2 upsamplings -> tanh images.

    `Dense(latent_dim -> rows/2^k * cols/2^k * filters[0])`, BatchNormalization, ReLU, then for each further
    filter count an upsampling by 2 to it with BatchNormalization and ReLU, and a last upsampling to the image's
    channels with tanh (no BatchNormalization), k = len(filters) upsamplings in all. The default, for 28x28x1
    digits: z -> 7x7x128 -> 14x14x64 -> 28x28x1. Radford et al.'s rules: no pooling, BatchNormalization everywhere
    but the output, ReLU inside, tanh out, weights from N(0, 0.02); kernels 4x4 where the paper has 5x5 (4 is
    divisible by the stride, so overlaps are even).

    Args:
        latent_dim: positive int, the size of z. Defaults to 100.
        image_shape: (rows, cols, channels), rows and cols divisible by 2 ** len(filters). Defaults to (28, 28, 1).
        filters: tuple of positive ints, the feature maps from the smallest up (each stage doubles rows and cols).
            Defaults to (128, 64).
        upsampling: "transpose" (stride-2 4x4 `Conv2DTranspose`) or "resize" (keras_dlx's `ResizeConv2D`:
            nearest-neighbour x2 then a 3x3 convolution, free of checkerboard artifacts). Defaults to "transpose".
        num_classes: None, or the number of classes of a conditional generator: inputs `[z, labels]`, labels
            int class ids of shape (batch,), whose learned `num_classes`-wide embedding is concatenated to z.
        seed: None or an int making the initial weights reproducible. Defaults to None.
        name: the model's name. Defaults to "generator".

    Input shape:
        (batch, latent_dim), or [that, (batch,) int labels] when `num_classes` is set.

    Output shape:
        (batch, *image_shape), in [-1, 1], float32 (also under mixed precision).

    Example:

    >>> generator = applications.dcgan_generator(latent_dim=8, image_shape=(16, 16, 3), filters=(16, 8))
    >>> tuple(generator(np.zeros((2, 8), "float32")).shape)
    (2, 16, 16, 3)

    Reference:
        - [Radford, Metz & Chintala 2016, Unsupervised Representation Learning with Deep Convolutional GANs](https://arxiv.org/abs/1511.06434)
        - [Mirza & Osindero 2014, Conditional Generative Adversarial Nets](https://arxiv.org/abs/1411.1784)
    """
    latent_dim = args.positive_int("latent_dim", latent_dim)
    filters = _filters(filters)
    rows, cols, channels = _image_shape(image_shape, len(filters))
    upsampling = args.one_of("upsampling", upsampling, UPSAMPLING)
    num_classes = _num_classes(num_classes)
    inputs, x = _generator_inputs(latent_dim, num_classes, seed)
    base = (rows >> len(filters), cols >> len(filters), filters[0])
    x = keras.layers.Dense(base[0] * base[1] * base[2], use_bias=False, kernel_initializer=_initializer(seed, 0),
                           name="project")(x)
    x = keras.layers.Reshape(base, name="reshape")(x)
    x = _batch_norm_relu(x, seed, 50, "project")
    for i, f in enumerate(filters[1:], 1):
        x = _upsample(x, f, upsampling, seed, i, f"up{i}")
        x = _batch_norm_relu(x, seed, 50 + i, f"up{i}")
    x = _upsample(x, channels, upsampling, seed, len(filters), f"up{len(filters)}", use_bias=True)
    outputs = keras.layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs if num_classes else inputs[0], outputs, name=name)


def _maybe_spectral(layer, spectral_norm):
    return SpectralNormalization(layer, name=f"{layer.name}_sn") if spectral_norm else layer


def _features(images, filters, spectral_norm, batch_norm, dropout, seed):
    """Stride-2 4x4 convolutions with leaky ReLU (0.2), BatchNormalization after all but the first, flattened."""
    x = images
    for i, f in enumerate(filters):
        normalized = batch_norm and i > 0
        conv = keras.layers.Conv2D(f, 4, strides=2, padding="same", use_bias=not normalized,
                                   kernel_initializer=_initializer(seed, 200 + i), name=f"conv{i + 1}")
        x = _maybe_spectral(conv, spectral_norm)(x)
        if normalized:
            x = keras.layers.BatchNormalization(momentum=_BN_MOMENTUM,
                                                gamma_initializer=_initializer(seed, 250 + i, 1.0),
                                                name=f"conv{i + 1}_bn")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv{i + 1}_lrelu")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, seed=None if seed is None else seed + 300 + i,
                                     name=f"conv{i + 1}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    # The logits in float32 under mixed precision (the adversarial losses are float32).
    return keras.layers.Activation("linear", dtype="float32", name="features")(x)


def _projection(features, labels, num_classes, seed):
    """<embed(y), features>: the class term of Miyato & Koyama's projection discriminator, (batch, 1)."""
    embedded = keras.layers.Embedding(num_classes, features.shape[-1], embeddings_initializer=_initializer(seed, 399),
                                      dtype="float32", name="label_projection")(labels)
    return keras.layers.Dot(axes=1, name="projection")([embedded, features])


def dcgan_discriminator(image_shape=(28, 28, 1), filters=(64, 128), spectral_norm=False, num_classes=None,
                        batch_norm=False, dropout=0.0, seed=None, name="discriminator"):
    """The DCGAN discriminator: images -> stride-2 convolutions with leaky ReLU -> one logit per image.

    Each filter count adds a stride-2 4x4 `Conv2D` and a LeakyReLU(0.2) (Radford et al.: no pooling, weights from
    N(0, 0.02)); then `Dense(1)` gives the logit (no sigmoid: the GAN losses take logits). The default, for 28x28x1
    digits: 28 -> 14x14x64 -> 7x7x128 -> 1.

    BatchNormalization is off by default, unlike the paper (which puts it after every convolution but the
    first; `batch_norm=True` does that). `GAN` updates D on one concatenated real + generated batch and G
    through D on an all-generated batch, so batch statistics differ between the two steps and D learns to read
    the batch's composition: on the 4,000 digits that pair collapsed (D's loss 0.000 and FID 345 after 5
    epochs) where the same networks without it trained (FID 123 after 5 epochs, 101 after 15). It would also
    break the per-example gradient penalty of "wasserstein_gp".

    With `spectral_norm=True`, every convolution and the final Dense are wrapped in keras_dlx's
    `SpectralNormalization` (Miyato et al.), which bounds D's Lipschitz constant layer by layer.

    Conditional (`num_classes` set): inputs `[images, labels]` and the projection discriminator of Miyato &
    Koyama: `logit = Dense(features) + <embed(label), features>`, the features being the flattened last
    feature map; the class enters as an inner product with what the network sees, not as an extra input channel.

    Args:
        image_shape: (rows, cols, channels), rows and cols divisible by 2 ** len(filters). Defaults to (28, 28, 1).
        filters: tuple of positive ints, one stride-2 convolution each. Defaults to (64, 128).
        spectral_norm: bool, spectral normalization of every convolution and Dense. Defaults to False.
        num_classes: None, or the number of classes of a conditional discriminator (inputs `[images, labels]`).
        batch_norm: bool, BatchNormalization after every convolution but the first (the paper's layout; see
            above). Defaults to False.
        dropout: float in [0, 1), dropout after each leaky ReLU (helps a discriminator on a few thousand
            images). Defaults to 0.0.
        seed: None or an int making the initial weights (and dropout) reproducible. Defaults to None.
        name: the model's name. Defaults to "discriminator".

    Input shape:
        (batch, *image_shape), images in [-1, 1]; or [that, (batch,) int labels] when `num_classes` is set.

    Output shape:
        (batch, 1) float32 logits.

    Example:

    >>> discriminator = applications.dcgan_discriminator((16, 16, 3), filters=(8, 16), spectral_norm=True)
    >>> tuple(discriminator(np.zeros((2, 16, 16, 3), "float32")).shape)
    (2, 1)

    Reference:
        - [Radford, Metz & Chintala 2016, Unsupervised Representation Learning with Deep Convolutional GANs](https://arxiv.org/abs/1511.06434)
        - [Miyato et al. 2018, Spectral Normalization for Generative Adversarial Networks](https://arxiv.org/abs/1802.05957)
        - [Miyato & Koyama 2018, cGANs with Projection Discriminator](https://arxiv.org/abs/1802.05637)
    """
    filters = _filters(filters)
    image_shape = _image_shape(image_shape, len(filters))
    spectral_norm = args.boolean("spectral_norm", spectral_norm)
    batch_norm = args.boolean("batch_norm", batch_norm)
    dropout = args.unit_interval("dropout", dropout)
    num_classes = _num_classes(num_classes)
    images = keras.Input(image_shape, name="images")
    features = _features(images, filters, spectral_norm, batch_norm, dropout, seed)
    dense = keras.layers.Dense(1, kernel_initializer=_initializer(seed, 400), dtype="float32", name="logits")
    logits = _maybe_spectral(dense, spectral_norm)(features)
    if num_classes is None:
        return keras.Model(images, logits, name=name)
    labels = keras.Input((), dtype="int32", name="labels")
    logits = keras.layers.Add(name="projected_logits")([logits, _projection(features, labels, num_classes, seed)])
    return keras.Model([images, labels], logits, name=name)


@registry.register("dcgan", min_size=8, task="gan")
def DCGAN(image_shape=(28, 28, 1), latent_dim=100, loss="non_saturating", num_classes=None, upsampling="transpose",
          spectral_norm=False, generator_filters=(128, 64), discriminator_filters=(64, 128), dropout=0.0,
          critic_steps=None, gradient_penalty_weight=10.0, seed=None, name="dcgan"):
    """A DCGAN: `dcgan_generator` and `dcgan_discriminator` in an uncompiled `GAN`.

    The defaults suit 28x28 digits and train in minutes on a CPU: z (100) -> 7x7x128 -> 14x14x64 -> 28x28x1
    tanh images, and 28x28 -> 14x14x64 -> 7x7x128 -> one logit. Images are in [-1, 1]: scale real data to it
    (`x * 2 - 1` for pixels in [0, 1]). For 64x64 images use four stages, e.g. `generator_filters=(512, 256, 128,
    64)` and `discriminator_filters=(64, 128, 256, 512)` as in the paper.

    The discriminator has no BatchNormalization (see `dcgan_discriminator`: with `GAN`'s updates it collapses
    training), the one departure from Radford et al.'s layout besides 4x4 kernels.

    Args:
        image_shape: (rows, cols, channels), rows and cols divisible by 2 ** len(filters). Defaults to (28, 28, 1).
        latent_dim: positive int, the size of z. Defaults to 100.
        loss: the `GAN` loss ("minimax", "non_saturating", "wasserstein_gp", "hinge", "least_squares").
            Defaults to "non_saturating".
        num_classes: None, or the number of classes of a conditional GAN (`fit(images, labels)`).
        upsampling: "transpose" or "resize" (checkerboard-free `ResizeConv2D`). Defaults to "transpose".
        spectral_norm: bool, spectral normalization in the discriminator (and no BatchNormalization there).
            Defaults to False.
        generator_filters, discriminator_filters: tuples of positive ints, as in `dcgan_generator` and
            `dcgan_discriminator`. Default to (128, 64) and (64, 128).
        dropout: float in [0, 1), the discriminator's dropout. Defaults to 0.0.
        critic_steps, gradient_penalty_weight: as in `GAN` (discriminator updates per generator update: None is 5
            for "wasserstein_gp", else 1; the WGAN-GP penalty's weight). Default to None and 10.0.
        seed: None or an int: the initial weights and the GAN's sampling. Defaults to None.
        name: the GAN's name. Defaults to "dcgan".

    Example:

    >>> gan = applications.DCGAN(image_shape=(16, 16, 1), latent_dim=8, generator_filters=(16, 8),
    ...                          discriminator_filters=(8, 16), seed=0)
    >>> tuple(gan.generator.output.shape), tuple(gan.discriminator.output.shape)
    ((None, 16, 16, 1), (None, 1))

    Reference:
        - [Radford, Metz & Chintala 2016, Unsupervised Representation Learning with Deep Convolutional GANs](https://arxiv.org/abs/1511.06434)
    """
    # Imported here: applications/gan.py imports the package's other modules after this one.
    from keras_dlx.applications.gan import GAN

    latent_dim = args.positive_int("latent_dim", latent_dim)
    spectral_norm = args.boolean("spectral_norm", spectral_norm)
    generator = dcgan_generator(latent_dim, image_shape, generator_filters, upsampling, num_classes, seed=seed)
    discriminator = dcgan_discriminator(image_shape, discriminator_filters, spectral_norm, num_classes,
                                        dropout=dropout, seed=None if seed is None else seed + 1000)
    return GAN(generator, discriminator, latent_dim, loss=loss, num_classes=num_classes, critic_steps=critic_steps,
               gradient_penalty_weight=gradient_penalty_weight, seed=seed, name=name)
