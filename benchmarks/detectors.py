"""Every registered detector's inference and training throughput and peak memory.

`python -m benchmarks.detectors [--batch 8] [--repeats 5] [--only NAME] [--jit auto|on|off]`: for each detector of
`applications.list_models("detection")`, in a fresh process each, at its default configuration and input size:

- inference images/second of `model.predict(images, batch_size=batch)`: the path users take, raw predictions
  decoded, boxes and class-aware NMS inside the compiled predict function;
- training images/second of `model.train_on_batch(images, {"boxes", "classes"})` with two ground-truth boxes per
  image (matching inside the step, as `fit` does);
- the process's peak resident memory (what `top` shows, the framework's runtime included) and, with a GPU, the
  GPU's peak allocated memory as the backend reports it.

Runs on any Keras backend (`KERAS_BACKEND=jax python -m benchmarks.detectors`).

The first call of each (tracing, compilation) is not timed. `--jit auto` (the default) is what `compile` does
when not told: XLA on JAX always, on TensorFlow only with a GPU.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

JIT = {"auto": "auto", "on": True, "off": False}


def _targets(batch, size, num_classes, rng):
    boxes = rng.uniform(0, size / 2, (batch, 2, 2))
    boxes = np.concatenate([boxes, boxes + rng.uniform(size / 8, size / 2, (batch, 2, 2))], -1).astype("float32")
    classes = rng.integers(0, num_classes, (batch, 2)).astype("int32")
    return {"boxes": boxes, "classes": classes}


def measure_one(name, batch, repeats, jit, **kwargs):
    """Runs in a child process: the figures of one registered detector (`kwargs`: constructor arguments)."""
    from keras_dlx import applications

    gpu = _accelerator()
    model = applications.get_model(name, **kwargs)
    shape = tuple(model.image_shape)
    size = shape[0] if keras.config.image_data_format() == "channels_last" else shape[1]
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (batch * repeats,) + shape).astype("float32")
    y = _targets(batch, size, model.num_classes, rng)
    model.compile(keras.optimizers.Adam(1e-4), jit_compile=jit)
    jit = model.jit_compile
    result = {"name": name, "input": shape, "params": model.count_params(), "anchors": len(model.anchors),
              "device": ("GPU" if gpu else "CPU") + f" ({keras.backend.backend()}{', XLA' if jit else ''})"}
    model.predict(images[:batch], batch_size=batch, verbose=0)
    start = time.perf_counter()
    model.predict(images, batch_size=batch, verbose=0)
    result["infer_ips"] = len(images) / (time.perf_counter() - start)
    model.train_on_batch(images[:batch], y)
    start = time.perf_counter()
    for i in range(repeats):
        model.train_on_batch(images[i * batch:(i + 1) * batch], y)
    result["train_ips"] = batch * repeats / (time.perf_counter() - start)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if gpu:
        result["gpu_peak_mb"] = _accelerator_peak_bytes() / 2**20
    return result


def _accelerator():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return jax.devices()[0].platform == "gpu"
    import torch

    return torch.cuda.is_available()


def _accelerator_peak_bytes():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.config.experimental.get_memory_info("GPU:0")["peak"]
    if backend == "jax":
        import jax

        return jax.devices()[0].memory_stats()["peak_bytes_in_use"]
    import torch

    return torch.cuda.max_memory_allocated()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(measure_one(argv[1], int(argv[2]), int(argv[3]), JIT[argv[4]])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default=None)
    parser.add_argument("--jit", choices=tuple(JIT), default="auto", help="compile's jit_compile: auto (default), "
                                                                          "on (True), off (False)")
    args = parser.parse_args(argv)
    from keras_dlx import applications

    print(f"batch {args.batch}, {args.repeats} batches timed, jit_compile={args.jit}, backend "
          f"{keras.backend.backend()}")
    print("| detector | input | parameters | anchors | device | inference img/s | training img/s | peak RSS MB "
          "| GPU peak MB |\n|---|---|--:|--:|---|--:|--:|--:|--:|")
    for name in applications.list_models("detection"):
        if args.only and args.only not in name:
            continue
        out = subprocess.run([sys.executable, "-m", "benchmarks.detectors", "--child", name, str(args.batch),
                              str(args.repeats), args.jit], capture_output=True, text=True)
        if out.returncode:
            print(f"| {name} | failed: {(out.stderr.strip().splitlines() or ['?'])[-1]} |", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        gpu_peak = f"{r['gpu_peak_mb']:.0f}" if "gpu_peak_mb" in r else "-"
        print(f"| {r['name']} | {'x'.join(str(d) for d in r['input'])} | {r['params']:,} | {r['anchors']:,} | "
              f"{r['device']} | {r['infer_ips']:.1f} | {r['train_ips']:.1f} | {r['peak_mb']:.0f} | {gpu_peak} |",
              flush=True)


if __name__ == "__main__":
    main()
