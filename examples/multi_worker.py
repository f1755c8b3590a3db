"""Multi-worker training with MultiWorkerMirroredStrategy and keras_dlx.distribute.fit.

Run one copy per worker, each with its TF_CONFIG. Locally, the launcher does it:

    python examples/launch_local_cluster.py --workers 2 -- python examples/multi_worker.py --epochs 2

On several machines, start this same script on each with TF_CONFIG naming every worker and its own index:

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
    python examples/multi_worker.py --epochs 5 --backup-dir /shared/backup --output-dir /shared/out

(index 1 on host2). Worker 0 is the chief: it prints the progress bar and writes backups. `--backup-dir` must
be storage every worker can read (a shared filesystem) so that a restarted cluster resumes.
"""

import argparse
import hashlib
import json
import logging
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_dlx import applications, distribute  # noqa: E402
from keras_dlx.data import load_mnist  # noqa: E402


class Progress(keras.callbacks.Callback):
    """One flushed line per epoch and step, for launchers that watch the logs; `delay` slows steps down."""

    def __init__(self, delay=0.0):
        super().__init__()
        self.delay = delay

    def on_epoch_begin(self, epoch, logs=None):
        print(f"keras_dlx: epoch {epoch + 1} begins", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        print(f"keras_dlx: epoch step {batch + 1}", flush=True)
        time.sleep(self.delay)

    def on_epoch_end(self, epoch, logs=None):
        print(f"keras_dlx: epoch {epoch + 1} ends, loss {logs['loss']:.4f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32, help="per replica")
    parser.add_argument("--samples", type=int, default=1024, help="training images (of the embedded digits)")
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--backup-dir", default=None)
    parser.add_argument("--output-dir", default="multi_worker_out")
    parser.add_argument("--step-delay", type=float, default=0.0, help="seconds to sleep after each step")
    parser.add_argument("--jit", action="store_true", help="XLA (one device per worker)")
    parser.add_argument("--precision", default="float32", choices=("float32", "mixed_bfloat16", "mixed_float16"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("keras_dlx").setLevel(logging.INFO)  # say which strategy was chosen and why

    strategy = distribute.get_strategy("auto")
    resolver = getattr(strategy, "cluster_resolver", None)
    index = resolver.task_id if resolver is not None and resolver.task_type else 0
    global_batch = args.batch_size * strategy.num_replicas_in_sync
    (x, y), _ = load_mnist("embedded")
    dataset = tf.data.Dataset.from_tensor_slices((x[:args.samples], y[:args.samples]))
    dataset = dataset.batch(global_batch, drop_remainder=True)

    keras.utils.set_random_seed(0)  # the same initial weights on every worker
    keras.config.set_dtype_policy(args.precision)
    with strategy.scope():
        model = applications.LeNet5(input_shape=(28, 28, 1))
        model.compile(keras.optimizers.SGD(args.learning_rate), "sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=args.jit)
    history = distribute.fit(model, dataset, epochs=args.epochs, verbose=2 if distribute.is_chief(strategy) else 0,
                             backup_dir=args.backup_dir, callbacks=[Progress(args.step_delay)])
    weights = np.concatenate([np.ravel(w) for w in model.get_weights()]).astype("float64")
    os.makedirs(args.output_dir, exist_ok=True)
    result = {"worker": index, "epochs_run": [e + 1 for e in history.epoch], "loss": history.history["loss"],
              "weights_sha256": hashlib.sha256(weights.tobytes()).hexdigest(), "weights_sum": float(weights.sum()),
              "finite": bool(np.all(np.isfinite(weights)))}
    with open(os.path.join(args.output_dir, f"worker-{index}.json"), "w") as f:
        json.dump(result, f)
    print(f"keras_dlx: worker {index} done: {result}", flush=True)


if __name__ == "__main__":
    main()
