"""Every registered detector's inference and training throughput and peak memory.

`python -m benchmarks.detectors [--batch 8] [--repeats 5] [--only NAME] [--jit]`: for each detector of
`applications.list_models("detection")`, in a fresh process each, at its default configuration and input size:

- inference images/second of `model.predict(images, batch_size=batch)`: the path users take, raw predictions
  decoded, boxes and class-aware NMS inside the compiled predict function;
- training images/second of `model.train_on_batch(images, {"boxes", "classes"})` with two ground-truth boxes per
  image (matching inside the step, as `fit` does);
- the process's peak resident memory (what `top` shows, TensorFlow's runtime included) and, with a GPU, the GPU's
  peak allocated memory (`tf.config.experimental.get_memory_info`).

The first call of each (tracing, compilation) is not timed.
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


def _targets(batch, size, num_classes, rng):
    boxes = rng.uniform(0, size / 2, (batch, 2, 2))
    boxes = np.concatenate([boxes, boxes + rng.uniform(size / 8, size / 2, (batch, 2, 2))], -1).astype("float32")
    classes = rng.integers(0, num_classes, (batch, 2)).astype("int32")
    return {"boxes": boxes, "classes": classes}


def measure_one(name, batch, repeats, jit, **kwargs):
    """Runs in a child process: the figures of one registered detector (`kwargs`: constructor arguments)."""
    import keras
    import tensorflow as tf

    from keras_dlx import applications

    gpu = bool(tf.config.list_physical_devices("GPU"))
    model = applications.get_model(name, **kwargs)
    shape = tuple(model.image_shape)
    size = shape[0] if keras.config.image_data_format() == "channels_last" else shape[1]
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (batch * repeats,) + shape).astype("float32")
    y = _targets(batch, size, model.num_classes, rng)
    model.compile(keras.optimizers.Adam(1e-4), jit_compile=jit)
    result = {"name": name, "input": shape, "params": model.count_params(), "anchors": len(model.anchors),
              "device": "GPU" if gpu else "CPU"}
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
        result["gpu_peak_mb"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return result


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(measure_one(argv[1], int(argv[2]), int(argv[3]), argv[4] == "1")))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default=None)
    parser.add_argument("--jit", action="store_true", help="compile with jit_compile=True")
    args = parser.parse_args(argv)
    from keras_dlx import applications

    print(f"batch {args.batch}, {args.repeats} batches timed, jit_compile={args.jit}")
    print("| detector | input | parameters | anchors | device | inference img/s | training img/s | peak RSS MB "
          "| GPU peak MB |\n|---|---|--:|--:|---|--:|--:|--:|--:|")
    for name in applications.list_models("detection"):
        if args.only and args.only not in name:
            continue
        out = subprocess.run([sys.executable, "-m", "benchmarks.detectors", "--child", name, str(args.batch),
                              str(args.repeats), "1" if args.jit else "0"], capture_output=True, text=True)
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
