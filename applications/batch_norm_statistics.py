"""Recompute the moving statistics of every BatchNormalization layer of a model from data."""

import keras
import numpy as np

from keras_dlx.utils import arguments as args


def _nested_layers(layer, seen):
    """`layer` and every layer inside it, through Functional/Sequential `layers` and sublayer attributes."""
    if id(layer) in seen:
        return
    seen.add(id(layer))
    yield layer
    children = list(getattr(layer, "layers", None) or [])
    for value in vars(layer).values():
        values = value if isinstance(value, (list, tuple)) else [value]
        children.extend(v for v in values if isinstance(v, keras.layers.Layer))
    for child in children:
        yield from _nested_layers(child, seen)


def batch_norm_layers(model):
    """Every `keras.layers.BatchNormalization` in `model`, nested ones (inside keras_dlx blocks) included."""
    return [layer for layer in _nested_layers(model, set()) if isinstance(layer, keras.layers.BatchNormalization)]


def update_batch_norm_statistics(model, x, batch_size=32, steps=None):
    """Set every BatchNormalization's moving mean and variance to their average over `x`; weights unchanged.

    After a short training run the moving statistics lag behind the weights (they average the activations of
    earlier, different weights), so inference can be much worse than training. This pass replaces them with the
    equally weighted mean over the batches of `x` of the batch statistics that the final weights produce, as
    PyTorch's `torch.optim.swa_utils.update_bn` does (and as SWA needs after averaging weights). The model runs
    in training mode (so Dropout is active during the pass); only the moving statistics change.

    Args:
        model: a Keras model (or layer) containing BatchNormalization layers.
        x: input array (or anything `model` accepts sliced along the first axis), e.g. training images.
        batch_size: int, batch size of the pass. Defaults to 32.
        steps: int or None, use only the first `steps` batches. Defaults to all of `x`.

    Returns:
        The number of BatchNormalization layers updated.

    Example:

    >>> model = keras_dlx.applications.ResNet18(small_input=True, input_shape=(28, 28, 1), classes=10)
    >>> x = np.random.default_rng(0).random((64, 28, 28, 1), dtype="float32")
    >>> # ... model.fit(x_train, y_train) ..., then, before evaluating:
    >>> keras_dlx.applications.update_batch_norm_statistics(model, x, batch_size=32)
    20
    """
    if not isinstance(model, keras.layers.Layer):
        args.invalid("model", model, "a Keras model or layer")
    batch_size = args.positive_int("batch_size", batch_size)
    if steps is not None:
        steps = args.positive_int("steps", steps)
    if len(x) == 0:
        args.invalid("x", f"<{len(x)} samples>", "at least one sample")
    norms = batch_norm_layers(model)
    count = -(-len(x) // batch_size)
    count = count if steps is None else min(count, steps)
    momenta = [norm.momentum for norm in norms]
    try:
        for step in range(count):
            # moving <- moving * m + batch * (1 - m) with m = k / (k + 1) keeps the running mean of k + 1 batches.
            for norm in norms:
                norm.momentum = step / (step + 1)
            model(np.asarray(x[step * batch_size:(step + 1) * batch_size]), training=True)
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
    return len(norms)
