"""Time forward+backward train steps of two layers in the same process, alternating, and report median ratios.

These machines are noisy and absolute times drift (+-30% between consecutive steps on a 2-core VM), so the
two contenders are timed in turns (A, B, A, B, ...) on the same input, each pair gives a ratio, and the result
is the median of those per-pair ratios: a drift that slows both members of a pair cancels out.
"""

import statistics
import time

import keras
import tensorflow as tf


def train_step(layer, x, jit_compile=False):
    """A compiled step: forward, mean-square loss, gradients w.r.t. the input and every trainable weight."""
    layer(x)
    variables = layer.trainable_variables

    @tf.function(jit_compile=jit_compile)
    def step(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_mean(tf.square(layer(inputs, training=True)))
        return tape.gradient(loss, [inputs] + variables)

    return lambda: [g.numpy() for g in step(x)[:1]]  # .numpy() waits for the step to finish


def train_on_batch_step(layer, x, jit_compile=False):
    """The path users take: `train_on_batch` of a model `Input -> layer -> Dense(1)`, Adam, mean-square loss.

    A layer may be given as a ready `keras.Model` (a whole stage or application); it is wrapped the same way.
    """
    import numpy as np

    inputs = keras.Input(tuple(x.shape[1:]))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse", jit_compile=jit_compile)
    target = np.zeros(tuple(model.output.shape[1:]), "float32")[None].repeat(x.shape[0], 0)
    data = np.asarray(x)
    return lambda: model.train_on_batch(data, target)  # returns the loss as a float: waits for the step


def inference_step(layer, x, jit_compile=False):
    """A compiled forward pass in inference mode."""
    layer(x)
    step = tf.function(lambda inputs: layer(inputs, training=False), jit_compile=jit_compile)
    return lambda: tf.nest.flatten(step(x))[0].numpy()


def compare(name, ours, peer, input_shape, target=None, repeats=15, jit_compile=False, seed=0, step=train_step):
    """Median seconds per `step` (default: a train step) of `ours()` and `peer()` (layer or model factories) and
    the median per-pair ratio."""
    keras.utils.set_random_seed(seed)
    x = tf.random.normal(input_shape)
    steps = {"ours": step(ours(), x, jit_compile), "peer": step(peer(), x, jit_compile)}
    for run in steps.values():  # trace, compile and warm up both
        run()
        run()
    times = {"ours": [], "peer": []}
    for _ in range(repeats):
        for key, run in steps.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    ours_s, peer_s = statistics.median(times["ours"]), statistics.median(times["peer"])
    ratio = statistics.median(a / b for a, b in zip(times["ours"], times["peer"]))
    return {"name": name, "ours_ms": 1e3 * ours_s, "peer_ms": 1e3 * peer_s, "ratio": ratio, "target": target}


PATHS = {"tape": train_step, "train_on_batch": train_on_batch_step}


def verdict(row):
    target = row["target"]
    if target is None:
        return ""
    kind, bound = target
    ok = row["ratio"] <= bound if kind == "<=" else 1 / row["ratio"] >= bound
    return "ok" if ok else "MISSED"


def table(rows):
    lines = [f"| {'benchmark':<78} | {'ours ms':>9} | {'peer ms':>9} | {'ratio':>7} | {'target':>10} | result |",
             f"|{'-' * 80}|{'-' * 11}|{'-' * 11}|{'-' * 9}|{'-' * 12}|--------|"]
    for row in rows:
        target = row["target"]
        text = "" if target is None else (f"<= {target[1]:g}" if target[0] == "<=" else f">= {target[1]:g}x faster")
        lines.append(f"| {row['name']:<78} | {row['ours_ms']:>9.1f} | {row['peer_ms']:>9.1f} | "
                     f"{row['ratio']:>7.3f} | {text:>10} | {verdict(row):>6} |")
    return "\n".join(lines)


def main(cases, shape, description, argv=None, repeats_for=None):
    """The command line every benchmark module shares: `--repeats`, `--jit`, `--only`, `--path`, then the table.

    `cases` is a list of (name, ours factory, peer factory, target); `repeats_for(name, default)` may lower the
    repeats of a slow peer. Each case is timed on two paths: `tape` (a compiled GradientTape step with input
    gradients, the layer alone) and `train_on_batch` (the layer inside a small model, as users train it); the
    target applies to both.
    """
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--jit", action="store_true", help="compile both steps with XLA")
    parser.add_argument("--only", default=None, help="run the benchmarks whose name contains this text")
    parser.add_argument("--path", choices=sorted(PATHS) + ["both"], default="both",
                        help="time the layer's own GradientTape step, the user's train_on_batch, or both")
    args = parser.parse_args(argv)
    paths = sorted(PATHS) if args.path == "both" else [args.path]
    rows = []
    for name, ours, peer, target in cases:
        if args.only and args.only not in name:
            continue
        repeats = repeats_for(name, args.repeats) if repeats_for else args.repeats
        for path in paths:
            rows.append(compare(f"{name} [{path}]", ours, peer, shape, target, repeats=repeats,
                                jit_compile=args.jit, step=PATHS[path]))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\ninput {shape}, jit_compile={args.jit}, keras {keras.__version__}")
    print(table(rows))
