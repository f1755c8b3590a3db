"""The CLI's training loop against `model.fit`, and MirroredStrategy on 2 logical CPUs against one device.

`python -m benchmarks.distribute [--epochs 4] [--rounds 3]`: the CLI's default job (LeNet-5, batch 32, the
4,000 embedded digits, 125 steps per epoch) trained by `keras_dlx.distribute.fit` (what `keras-dlx train`
runs) and by `model.fit`, on one device, in alternating rounds; per-epoch times after the first epoch
(tracing) of each round; ratio = steps/s of the CLI loop / steps/s of model.fit (target >= 0.97).

`python -m benchmarks.distribute --mirrored`: (in a fresh process, which splits the CPU into 2 logical
devices) ResNet-18 small-input, global batch 64, the same data, `keras_dlx.distribute.fit` under
MirroredStrategy on both logical CPUs vs the default strategy. The cores are shared, so there is no target:
the point is that the path runs; the ratio says what it costs.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class EpochTimer:
    def __init__(self):
        import keras

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(inner, epoch, logs=None):
                inner.start = time.perf_counter()

            def on_epoch_end(inner, epoch, logs=None):
                self.seconds.append(time.perf_counter() - inner.start)

        self.seconds = []
        self.callback = Timer()


def _data(batch_size):
    import tensorflow as tf

    from keras_dlx.data import load_mnist

    (x, y), _ = load_mnist("embedded")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size, drop_remainder=True).prefetch(2)


def _model(name, strategy, **kwargs):
    import keras

    from keras_dlx import applications

    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = applications.get_model(name, input_shape=(28, 28, 1), classes=10, **kwargs)
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def overhead(epochs, rounds):
    import tensorflow as tf

    from keras_dlx import distribute

    data = _data(32)
    steps = int(data.cardinality())
    times = {"keras_dlx.distribute.fit": [], "model.fit": []}
    for _ in range(rounds):
        for name in times:
            model = _model("lenet5", tf.distribute.get_strategy())
            timer = EpochTimer()
            if name == "model.fit":
                model.fit(data, epochs=epochs, verbose=0, callbacks=[timer.callback])
            else:
                distribute.fit(model, data, epochs=epochs, verbose=0, callbacks=[timer.callback])
            times[name] += timer.seconds[1:]
    ours, keras_fit = (statistics.median(times[k]) for k in times)
    print("| loop | median s/epoch | steps/s |\n|---|--:|--:|")
    for name, seconds in (("keras_dlx.distribute.fit (keras-dlx train)", ours), ("model.fit", keras_fit)):
        print(f"| {name} | {seconds:.3f} | {steps / seconds:.0f} |")
    ratio = keras_fit / ours
    print(f"\nsteps/s ratio CLI loop / model.fit = {ratio:.3f} (target >= 0.97: {'ok' if ratio >= 0.97 else 'MISSED'})"
          f"; {rounds} rounds x {epochs - 1} timed epochs of {steps} steps, LeNet-5, batch 32")


def mirrored(epochs):
    from keras_dlx import distribute

    devices = distribute.logical_cpus(2)
    import tensorflow as tf

    data = _data(64)
    results = {}
    for label, strategy in (("one device", tf.distribute.get_strategy()),
                            ("MirroredStrategy, 2 logical CPUs", distribute.get_strategy("mirrored", devices))):
        model = _model("resnet18", strategy, small_input=True)
        timer = EpochTimer()
        distribute.fit(model, data.take(8), epochs=epochs, verbose=0, callbacks=[timer.callback])
        results[label] = statistics.median(timer.seconds[1:])
        print(f"| {label} | {8 / results[label]:.2f} steps/s | {64 * 8 / results[label]:.0f} images/s |",
              flush=True)
    one, two = results.values()
    print(f"\nMirrored (2 logical CPUs) / one device throughput = {one / two:.3f} (ResNet-18 small input, global "
          f"batch 64, 8 steps per epoch, shared cores: no target)")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mirrored", action="store_true")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.mirrored:
        mirrored(max(args.epochs, 2))
    else:
        overhead(args.epochs, args.rounds)


if __name__ == "__main__":
    main()
