"""The Addons optimizers' update step vs Keras `Adam`: `python -m benchmarks.optimizers [--repeats 9]
[--jit auto|on|off] [--path update|train_on_batch] [--steps 30] [--only NAME]`.

`--path update` (default): one update step is `optimizer.apply_gradients` on every trainable variable of
keras_dlx's ResNet-18 (224x224x3, 1000 classes: 62 variables, 11.7M weights) with fixed gradients, inside a
`tf.function`. `--path train_on_batch`: the user's path, `model.train_on_batch` of that same ResNet-18 (same 62
variables; 32x32 inputs, batch 2, so that the forward and backward passes, identical on both sides, stay small
beside the update), each side its own model from the same seed, compiled with `jit_compile` as below.

`--jit auto` (default) compiles with XLA exactly when `Model.compile(jit_compile="auto")` would on this machine.
Keras 3.15 (`Trainer._resolve_auto_jit_compile`) resolves "auto" to False on the TensorFlow backend when the
machine has no accelerator (and under a distribution strategy), so on a CPU-only machine users train without
XLA; with a GPU, "auto" means XLA whenever every layer supports it. `--jit on` / `--jit off` force it
(`--no-jit` = `--jit off`).

Each timing covers `--steps` consecutive steps (default 30, a multiple of Lookahead's `sync_period` 6 and SWA's
`average_period` 10, so their periodic slow-weight update is amortised), the contender and Adam in turns; the
ratio is the median of the per-pair ratios (see benchmarks/harness.py). Target: <= 1.5. Optimizers not in
keras_dlx.optimizers yet are listed as "not available".
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import statistics  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_dlx import optimizers  # noqa: E402

TARGET = ("<=", 1.5)


def _plain(name, **kwargs):
    """A factory of keras_dlx.optimizers.<name>, or None where that optimizer does not exist (yet)."""
    cls = getattr(optimizers, name, None)
    return None if cls is None else (lambda: cls(**kwargs))


def _wrapping_adam(name, **kwargs):
    cls = getattr(optimizers, name, None)
    return None if cls is None else (lambda: cls(keras.optimizers.Adam(), **kwargs))


def cases():
    """(name, factory or None) for each of the ten Addons optimizers; each is timed against a fresh Keras Adam."""
    return [
        ("NovoGrad", _plain("NovoGrad")),
        ("AdaBelief", _plain("AdaBelief")),
        ("COCOB", _plain("COCOB")),
        ("ConditionalGradient", _plain("ConditionalGradient", learning_rate=0.99)),
        ("ProximalAdagrad", _plain("ProximalAdagrad")),
        ("Lookahead(Adam)", _wrapping_adam("Lookahead")),
        ("SWA(Adam)", _wrapping_adam("SWA")),
        ("RectifiedAdam", _plain("RectifiedAdam")),
        ("LazyAdam", _plain("LazyAdam")),
        ("Yogi", _plain("Yogi")),
    ]


def resnet18_variables_and_gradients():
    from keras_dlx import applications

    model = applications.ResNet18(input_shape=(224, 224, 3), classes=1000)
    variables = model.trainable_variables
    generator = keras.random.SeedGenerator(0)
    grads = [1e-3 * keras.random.normal(tuple(v.shape), seed=generator) for v in variables]
    return variables, grads


def update_step(optimizer, variables, grads, jit_compile=True):
    """One compiled `apply_gradients` of `grads` to `variables`; calling it returns once the step has run."""
    optimizer.build(variables)

    @tf.function(jit_compile=jit_compile)
    def step():
        optimizer.apply_gradients(zip(grads, variables))
        return optimizer.iterations + 0

    return lambda: step().numpy()


def train_on_batch_step(optimizer, seed=0, steps_per_call=1, jit_compile=True):
    """`train_on_batch` of a fresh ResNet-18 (the same 62 trainable variables) with `optimizer`."""
    import numpy as np

    from keras_dlx import applications

    keras.utils.set_random_seed(seed)
    model = applications.ResNet18(input_shape=(32, 32, 3), classes=1000)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", jit_compile=jit_compile)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 1000, (2,))
    return lambda: model.train_on_batch(x, y)


def auto_jit_compile():
    """What `Model.compile(jit_compile="auto")` resolves to on this machine (Keras's own decision)."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile="auto")
    return bool(model.jit_compile)


def compare(name, make, variables, grads, repeats, steps, jit_compile, path="update"):
    if path == "update":
        runs = {"ours": update_step(make(), variables, grads, jit_compile),
                "peer": update_step(keras.optimizers.Adam(), variables, grads, jit_compile)}
    else:
        runs = {"ours": train_on_batch_step(make(), jit_compile=jit_compile),
                "peer": train_on_batch_step(keras.optimizers.Adam(), jit_compile=jit_compile)}
    for run in runs.values():  # trace, compile and warm up both
        run()
        run()
    times = {"ours": [], "peer": []}
    for _ in range(repeats):
        for key, run in runs.items():
            start = time.perf_counter()
            for _ in range(steps):
                run()
            times[key].append((time.perf_counter() - start) / steps)
    ratio = statistics.median(a / b for a, b in zip(times["ours"], times["peer"]))
    return {"name": f"{name} / Adam [{path}]", "ours_ms": 1e3 * statistics.median(times["ours"]),
            "peer_ms": 1e3 * statistics.median(times["peer"]), "ratio": ratio, "target": TARGET}


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=30, help="update steps per timing")
    parser.add_argument("--jit", choices=["auto", "on", "off"], default="auto",
                        help="XLA: as Model.compile's jit_compile='auto' decides here (default), or forced")
    parser.add_argument("--no-jit", dest="jit", action="store_const", const="off", help="same as --jit off")
    parser.add_argument("--path", choices=["update", "train_on_batch"], default="update",
                        help="the compiled apply_gradients step alone, or the user's model.train_on_batch")
    parser.add_argument("--only", default=None, help="run the benchmarks whose name contains this text")
    args = parser.parse_args(argv)
    jit_compile = auto_jit_compile() if args.jit == "auto" else args.jit == "on"
    variables, grads = resnet18_variables_and_gradients()
    rows = []
    for name, make in cases():
        if args.only and args.only not in name:
            continue
        if make is None:
            print(f"{name}: not available (no keras_dlx.optimizers.{name.split('(')[0]} yet)", flush=True)
            continue
        rows.append(compare(name, make, variables, grads, args.repeats, args.steps, jit_compile, args.path))
        print(harness.table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\nResNet-18 trainable variables: {len(variables)}, "
          f"{sum(int(tf.size(v)) for v in variables) / 1e6:.1f}M weights; path {args.path}, "
          f"jit_compile={jit_compile} (--jit {args.jit}), {args.steps} steps per timing, keras {keras.__version__}")
    print(harness.table(rows))


if __name__ == "__main__":
    main()
