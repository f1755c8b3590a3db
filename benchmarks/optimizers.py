"""The Addons optimizers' update step vs Keras `Adam`: `python -m benchmarks.optimizers [--repeats 9] [--no-jit]
[--steps 30] [--only NAME]`.

One update step is `optimizer.apply_gradients` on every trainable variable of keras_dlx's ResNet-18 (224x224x3,
1000 classes: 62 variables, 11.7M weights) with fixed gradients, inside a `tf.function` with `jit_compile=True`:
what `Model.fit` does on the TensorFlow backend by default (`jit_compile="auto"` compiles with XLA); `--no-jit`
times the graph without XLA. Each timing covers `--steps` consecutive steps (default 30, a multiple of Lookahead's
`sync_period` 6 and SWA's `average_period` 10, so their periodic slow-weight update is amortised), the contender
and Adam in turns; the ratio is the median of the per-pair ratios (see benchmarks/harness.py). Target: <= 1.5.
Optimizers not in keras_dlx.optimizers yet are listed as "not available".
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


def compare(name, make, variables, grads, repeats, steps, jit_compile):
    runs = {"ours": update_step(make(), variables, grads, jit_compile),
            "peer": update_step(keras.optimizers.Adam(), variables, grads, jit_compile)}
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
    return {"name": f"{name} / Adam", "ours_ms": 1e3 * statistics.median(times["ours"]),
            "peer_ms": 1e3 * statistics.median(times["peer"]), "ratio": ratio, "target": TARGET}


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=30, help="update steps per timing")
    parser.add_argument("--no-jit", dest="jit", action="store_false", help="time the graph without XLA")
    parser.add_argument("--only", default=None, help="run the benchmarks whose name contains this text")
    args = parser.parse_args(argv)
    variables, grads = resnet18_variables_and_gradients()
    rows = []
    for name, make in cases():
        if args.only and args.only not in name:
            continue
        if make is None:
            print(f"{name}: not available (no keras_dlx.optimizers.{name.split('(')[0]} yet)", flush=True)
            continue
        rows.append(compare(name, make, variables, grads, args.repeats, args.steps, args.jit))
        print(harness.table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\nResNet-18 trainable variables: {len(variables)}, "
          f"{sum(int(tf.size(v)) for v in variables) / 1e6:.1f}M weights; apply_gradients per step, "
          f"jit_compile={args.jit}, {args.steps} steps per timing, keras {keras.__version__}")
    print(harness.table(rows))


if __name__ == "__main__":
    main()
