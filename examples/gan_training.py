"""What the GAN examples share: pixels back from tanh's range, FID with the digit features, a sample picture."""

import functools

import keras
import numpy as np

from keras_dlx import metrics


def to_unit(images):
    """Generator output in [-1, 1] -> images in [0, 1], as the digit features expect."""
    return np.clip((np.asarray(keras.ops.convert_to_numpy(images), "float32") + 1.0) / 2.0, 0.0, 1.0)


@functools.lru_cache(maxsize=1)
def fid_metric():
    return metrics.FrechetInceptionDistance()  # digit features; built once (the extractor is the slow part)


def fid(real, generated, batch=500):
    metric = fid_metric()
    metric.reset_state()
    for i in range(0, max(len(real), len(generated)), batch):
        metric.update_state(real[i:i + batch] if i < len(real) else None,
                            generated[i:i + batch] if i < len(generated) else None)
    return float(metric.result())


def sample_grid(path, images, rows, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = images[..., 0]
    columns = len(images) // rows
    grid = np.concatenate([np.concatenate(list(images[r * columns:(r + 1) * columns]), axis=1)
                           for r in range(rows)], axis=0)
    plt.figure(figsize=(columns * 0.5, rows * 0.5))
    plt.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
    plt.axis("off")
    plt.title(title, fontsize=8)
    plt.savefig(path, dpi=120, bbox_inches="tight")
    plt.close()


def report(gan, real, untrained, seconds, args, title, floor=None):
    """Print the trained generator's FID (all of `real`, and 500 vs 500 to compare with the 4.90 floor), draw a
    10 x 10 grid into `args.output`; the FID."""
    generated = to_unit(gan.generate(args.fid_samples, seed=args.seed + 1))
    score = fid(real, generated)
    half = len(real) // 2
    same_size = "" if floor is None else f"real training vs held-out digits, same sizes: {floor:.2f}; "
    print(f"{args.epochs} epochs in {seconds:.0f} s")
    print(f"FID {score:.2f} ({len(generated)} generated vs {len(real)} held-out real digits; {same_size}untrained "
          f"generator: {untrained:.1f})")
    print(f"FID {fid(real[:half], generated[:half]):.2f} on {half} vs {half} (the floor of two halves of the "
          f"real test digits, 500 vs 500, is 4.90)")
    if args.output:
        sample_grid(args.output, to_unit(gan.generate(100, seed=args.seed)), 10,
                    f"{title} samples after {args.epochs} epochs (FID {score:.1f})")
        print(f"wrote {args.output}")
    return score
