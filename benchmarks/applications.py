"""Applications vs keras.applications, and every registered model's throughput and memory.

`python -m benchmarks.applications [--repeats 10] [--jit] [--only NAME]`: ResNet50, InceptionV3 and MobileNet
against their keras.applications counterparts (weights=None), batch 8 at the default size, a train step
(forward, loss, gradients), `train_on_batch` of the model (the path users take) and an inference step, timed in
alternation; ratio = ours / Keras (target <= 1.02).

`python -m benchmarks.applications --throughput [--batch 8] [--only NAME]`: for every registered model, in a
fresh process each, images/second of inference and of training at the model's default input size, and the
process's peak resident memory (what a user sees in `top`; it includes TensorFlow's ~0.6 GB runtime).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from benchmarks import harness  # noqa: E402

PEERS = (("ResNet50", "resnet50", 224), ("InceptionV3", "inception_v3", 299), ("MobileNet", "mobilenet", 224))


def cases():
    from keras_dlx import applications

    rows = []
    for keras_name, name, size in PEERS:
        def ours(name=name):
            return applications.get_model(name)

        def peer(keras_name=keras_name):
            return getattr(keras.applications, keras_name)(weights=None)

        rows.append((keras_name, size, ours, peer))
    return rows


def compare(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--jit", action="store_true")
    parser.add_argument("--only", default=None)
    args = parser.parse_args(argv)
    rows = []
    for keras_name, size, ours, peer in cases():
        if args.only and args.only.lower() not in keras_name.lower():
            continue
        shape = (args.batch, size, size, 3)
        for label, step in (("train step", harness.train_step), ("train_on_batch", harness.train_on_batch_step),
                            ("inference", harness.inference_step)):
            rows.append(harness.compare(f"{keras_name} {label} / keras.applications.{keras_name}", ours, peer,
                                        shape, ("<=", 1.02), repeats=args.repeats, jit_compile=args.jit,
                                        step=step))
            print(harness.table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\nbatch {args.batch}, jit_compile={args.jit}, keras {keras.__version__}")
    print(harness.table(rows))


def measure_one(name, batch, repeats):
    """Runs in a child process: images/second (inference, training) and peak RSS for one registered model."""
    import numpy as np
    import tensorflow as tf

    from keras_dlx import applications

    model = applications.get_model(name)
    shape = tuple(model.input.shape[1:])
    x = tf.random.normal((batch,) + shape)
    y = np.zeros(batch, "int32")
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    infer = harness.inference_step(model, x)
    result = {"name": name, "input": shape, "params": model.count_params()}
    for label, run in (("infer", infer), ("train", lambda: model.train_on_batch(x, y))):
        run()
        start = time.perf_counter()
        for _ in range(repeats):
            run()
        result[f"{label}_ips"] = batch * repeats / (time.perf_counter() - start)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def throughput(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=None)
    args = parser.parse_args(argv)
    from keras_dlx import applications

    print("| model | input | parameters | inference img/s | training img/s | peak memory MB |\n"
          "|---|---|--:|--:|--:|--:|")
    for name in applications.list_models():
        if args.only and args.only not in name:
            continue
        out = subprocess.run([sys.executable, "-m", "benchmarks.applications", "--child", name, str(args.batch),
                              str(args.repeats)], capture_output=True, text=True)
        if out.returncode:
            print(f"| {name} | failed: {out.stderr.strip().splitlines()[-1]} |", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {r['name']} | {'x'.join(str(d) for d in r['input'])} | {r['params']:,} | {r['infer_ips']:.1f} | "
              f"{r['train_ips']:.1f} | {r['peak_mb']:.0f} |", flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(measure_one(argv[1], int(argv[2]), int(argv[3]))))
    elif argv[:1] == ["--throughput"]:
        throughput(argv[1:])
    else:
        compare(argv)


if __name__ == "__main__":
    main()
