"""MirroredStrategy on every visible GPU (on a CPU-only machine: 2 logical CPU devices), with a keras_dlx
application, mixed precision and TensorBoard, through Keras's own `model.fit`.

    python examples/mirrored_multi_gpu.py --model resnet18 --epochs 1 --logdir runs/mirrored
    tensorboard --logdir runs/mirrored

The global batch (`--batch-size`) is split evenly over the replicas; gradients are all-reduced every step.
Mixed precision: mixed_float16 on GPUs, mixed_bfloat16 on CPUs (`--precision` overrides).
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_dlx import applications, distribute  # noqa: E402
from keras_dlx.data import load_mnist  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="lenet5", choices=applications.list_models())
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch size")
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--precision", default="auto", choices=("auto", "float32", "mixed_float16",
                                                                 "mixed_bfloat16"))
    parser.add_argument("--logdir", default="runs/mirrored")
    args = parser.parse_args(argv)

    gpus = tf.config.list_physical_devices("GPU")
    devices = None if len(gpus) > 1 else (["/gpu:0"] if gpus else distribute.logical_cpus(2))
    strategy = distribute.get_strategy("mirrored", devices)
    precision = args.precision if args.precision != "auto" else ("mixed_float16" if gpus else "mixed_bfloat16")
    keras.config.set_dtype_policy(precision)
    distribute.check_batch_size(args.batch_size, strategy, "--batch-size")

    (x, y), (x_test, y_test) = load_mnist("embedded")
    size = max(28, applications.registry.min_input_size(args.model))
    with strategy.scope():
        model = applications.get_model(args.model, input_shape=(size, size, 1), classes=10)
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    train = distribute.image_dataset(x[:args.samples], y[:args.samples], args.batch_size, size, shuffle_seed=0)
    test = distribute.image_dataset(x_test, y_test, args.batch_size, size)
    model.fit(train, epochs=args.epochs, validation_data=test, verbose=2,
              callbacks=[keras.callbacks.TensorBoard(args.logdir)])
    print(f"keras_dlx: {args.model} trained on {strategy.num_replicas_in_sync} replicas with {precision}; "
          f"TensorBoard logs in {args.logdir}")


if __name__ == "__main__":
    main()
