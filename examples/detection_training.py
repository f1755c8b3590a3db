"""What the detector examples share: held-out mAP, mAP during training, the curves figure and the detections picture.

Imported by examples/train_{ssdlite,yolov1,faster_rcnn}_digits.py (run as scripts, this folder is on their path).
"""

import time

import keras
import numpy as np

from keras_dlx.metrics import MeanAveragePrecision


def evaluate(model, images, truth, batch_size=64):
    """COCO's numbers (`map`, `map_50`, `mar_100`, ...) of `model.predict` on `images` against the padded `truth`."""
    detections = model.predict(images, batch_size=batch_size, verbose=0)
    metric = MeanAveragePrecision()
    metric.update_state(truth, detections)
    return {key: float(value) for key, value in metric.result().items()}


class MapEvery(keras.callbacks.Callback):
    """map_50 on the held-out canvases every `every` epochs and after the last one (moving BN statistics)."""

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
            print(f"epoch {epoch + 1}: held-out map_50 {self.map_50[-1]:.3f}", flush=True)


def plot_curves(path, history, evaluated, final_map_50, loss_keys=("loss",), loss_label="training loss"):
    """Loss per epoch (each of `loss_keys` of the `fit` history) beside held-out map_50, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key in loss_keys:
        left.plot(epochs, history[key], marker="o" if key == "loss" else None, label=key)
    left.set(xlabel="epoch", ylabel=loss_label, yscale="log", title="loss per epoch")
    if len(loss_keys) > 1:
        left.legend(fontsize=7)
    if evaluated is not None and evaluated.epochs_evaluated:
        right.plot(evaluated.epochs_evaluated, evaluated.map_50, marker="o", label="during training")
    right.plot([len(epochs)], [final_map_50], marker="*", markersize=12, linestyle="none",
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
    """A PNG of `model`'s detections (score >= `score_threshold`) on the first `count` images, with class numbers."""
    from keras_dlx.utils.drawing import draw_detections, save_png

    detections = model.predict(images[:count], verbose=0)
    picture = draw_detections(images[:count], detections["boxes"], detections["classes"], detections["scores"],
                              detections["num_detections"], score_threshold=score_threshold, columns=8, scale=2,
                              font_size=2)
    save_png(picture, path)
    print(f"wrote {path}: detections scored >= {score_threshold} on {min(count, len(images))} held-out canvases")
