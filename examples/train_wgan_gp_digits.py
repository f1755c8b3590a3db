"""Train a DCGAN with the WGAN-GP loss on the embedded MNIST digits; report the FID against held-out real digits.

    python examples/train_wgan_gp_digits.py [--epochs 10] [--batch-size 64] [--critic-steps 5]
        [--gradient-penalty-weight 10] [--seed 0] [--train-images N] [--fid-samples 1000]
        [--output wgan_gp_samples.png]

The players of `applications.DCGAN(loss="wasserstein_gp")` in a `GAN`: the discriminator is a critic (unbounded
scores, no BatchNormalization), trained `--critic-steps` times per generator step on the Wasserstein loss plus
Gulrajani et al.'s gradient penalty `weight * (|grad_x D(x_hat)| - 1)^2` at random points between real and
generated images; Adam(1e-4, beta_1=0.5, beta_2=0.9) for both players (the paper's rate and beta_2; its beta_1
is 0). Data: the 4,000 training digits of `keras_dlx.data.load("digits")` (no network), pixels scaled to
[-1, 1]. Score and picture as in `train_dcgan_digits.py`: FID (digit features) of `--fid-samples` generated
digits vs the 1,000 held-out digits, and a 10 x 10 grid of samples.

Measured 2026-12-04, defaults (10 epochs = 630 generator and 3,150 critic updates, seed 0), TensorFlow on this
project's 2-core CPU shared with four other jobs (load average ~12, so times are inflated several-fold): 1,475 s
of training (25 minutes, ~2.3 s per step); FID 98.87 (1,000 vs 1,000; 102.98 on 500 vs 500), untrained 393.0.
Ten epochs are not enough for WGAN-GP here: the samples are digit-like strokes, few of them good digits; longer
runs were not measured for lack of time.
"""

import argparse
import time

import keras
from gan_training import fid, report, to_unit  # examples/gan_training.py

from keras_dlx import applications
from keras_dlx.data import load


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--critic-steps", type=int, default=5)
    parser.add_argument("--gradient-penalty-weight", type=float, default=10.0)
    parser.add_argument("--dataset", choices=("digits", "mnist"), default="digits",
                        help="digits: the 5,000 embedded digits; mnist: full MNIST where keras.datasets has it")
    parser.add_argument("--train-images", type=int, default=None, help="use the first N training images")
    parser.add_argument("--fid-samples", type=int, default=1000)
    parser.add_argument("--output", default="wgan_gp_samples.png", help="sample grid PNG ('' for none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, help="fit's verbosity (1: progress bar)")
    args = parser.parse_args(argv)

    (x_train, _), (x_test, _) = load(args.dataset)
    x_train = x_train[:args.train_images]
    real = x_test[:max(args.fid_samples, 2)]
    keras.utils.set_random_seed(args.seed)
    # DCGAN's players; the critic without BatchNormalization (the penalty is per example), as
    # `applications.DCGAN(loss="wasserstein_gp")` builds it, in a GAN that sets the critic steps and the weight.
    generator = applications.dcgan_generator(args.latent_dim, x_train.shape[1:], seed=args.seed)
    critic = applications.dcgan_discriminator(x_train.shape[1:], batch_norm=False, seed=args.seed + 1000)
    gan = applications.GAN(generator, critic, args.latent_dim, loss="wasserstein_gp", critic_steps=args.critic_steps,
                           gradient_penalty_weight=args.gradient_penalty_weight, seed=args.seed, name="wgan_gp")
    gan.compile(g_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5, beta_2=0.9),
                d_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5, beta_2=0.9))
    print(f"WGAN-GP DCGAN: generator {gan.generator.count_params():,} parameters, critic "
          f"{gan.discriminator.count_params():,}; {len(x_train)} training images, {keras.backend.backend()}")
    untrained = fid(real, to_unit(gan.generate(args.fid_samples, seed=args.seed + 1)))
    print(f"FID of the untrained generator: {untrained:.1f}")

    start = time.time()
    gan.fit(x_train * 2.0 - 1.0, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose)
    seconds = time.time() - start

    score = report(gan, real, untrained, seconds, args, "WGAN-GP")
    return {"fid": score, "untrained_fid": untrained, "seconds": seconds}


if __name__ == "__main__":
    main()
