"""Hamming distance and Hamming loss: the fraction of labels predicted wrong."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

MODES = ("multiclass", "multilabel")


def hamming_distance(actuals, predictions):
    """Hamming distance: the number of positions where two label arrays differ, per row of the first axis.

        d = count(actuals != predictions) / len(actuals)

    For two vectors this is the fraction of positions that differ; for matrices, the mean number of differing
    positions per row (as TensorFlow Addons). 0 for empty inputs.

    Args:
        actuals: the true labels, any shape.
        predictions: the predicted labels, same shape as `actuals`.

    Returns:
        A float32 scalar.

    Example:

    >>> y_true = np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 1])
    >>> y_pred = np.array([1, 0, 0, 0, 1, 0, 0, 1, 0, 1])
    >>> print(np.round(float(keras_dlx.metrics.hamming_distance(y_true, y_pred)), 4))
    0.3

    Reference:
        - [Hamming 1950, Error detecting and error correcting codes](
          https://doi.org/10.1002/j.1538-7305.1950.tb00463.x)
    """
    different = ops.cast(ops.not_equal(actuals, predictions), "float32")
    rows = ops.cast(ops.shape(different)[0], "float32")
    total = ops.sum(different)
    return ops.where(rows > 0, total / ops.maximum(rows, 1.0), 0.0)


def hamming_loss_fn(y_true, y_pred, threshold, mode):
    """Per-sample Hamming loss of scores `y_pred` against 0/1 labels `y_true`.

    `y_pred` is binarised first: 1 where it exceeds `threshold`, or, with `threshold=None`, 1 at each row's maximum
    (a row of zeros predicts nothing). Then, with `k` the number of labels,

        multiclass:  loss = 1 - count(y_true * y_pred != 0)      (0 when the true class is predicted)
        multilabel:  loss = count(y_true != y_pred) / k          (the fraction of wrong labels)

    Args:
        y_true: 0/1 labels, shape `(batch, k)`.
        y_pred: scores, shape `(batch, k)`.
        threshold: float or None, the binarisation threshold; None takes each row's maximum.
        mode: "multiclass" or "multilabel".

    Returns:
        A float32 tensor of shape `(batch,)`.

    Example:

    >>> y_true = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 0, 1]])
    >>> y_pred = np.array([[0.82, 0.5, 0.9, 0.0], [0.0, 1.0, 0.4, 0.98], [0.89, 0.79, 0.0, 0.3]])
    >>> loss = keras_dlx.metrics.hamming_loss_fn(y_true, y_pred, threshold=0.8, mode="multilabel")
    >>> print(np.round(keras.ops.convert_to_numpy(loss), 4))
    [0.  0.  0.5]

    Reference:
        - [Tsoumakas & Katakis 2007, Multi-label classification: an overview](
          https://doi.org/10.4018/jdwm.2007070101)
    """
    mode = args.one_of("mode", mode, MODES)
    threshold = _threshold(threshold)
    y_pred = ops.convert_to_tensor(y_pred)
    if threshold is None:
        row_max = ops.max(y_pred, axis=-1, keepdims=True)
        predicted = ops.logical_and(y_pred >= row_max, ops.abs(y_pred) > 1e-12)
    else:
        predicted = y_pred > threshold
    y_true = ops.cast(y_true, "int32")
    predicted = ops.cast(predicted, "int32")
    if mode == "multiclass":
        hits = ops.count_nonzero(y_true * predicted, axis=-1)
        return 1.0 - ops.cast(hits, "float32")
    wrong = ops.count_nonzero(y_true - predicted, axis=-1)
    return ops.cast(wrong, "float32") / float(y_true.shape[-1])


def _threshold(value):
    if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)):
        args.invalid("threshold", value, "a number or None")
    return None if value is None else float(value)


@register
class HammingLoss(keras.metrics.Mean):
    """Hamming loss: the (weighted) mean over samples of `hamming_loss_fn`.

    The fraction of wrong labels: in "multiclass" mode 1 for a sample whose true class is not predicted, in
    "multilabel" mode the fraction of the sample's labels predicted wrong. `y_true` and `y_pred` are cast to the
    metric's dtype first, then `y_true` to integers, as in TensorFlow Addons.

    Args:
        mode: "multiclass" or "multilabel".
        name: str, the metric's name. Defaults to "hamming_loss".
        threshold: float or None, `y_pred` above it counts as predicted; None takes each row's maximum.
            Defaults to None.
        dtype: the result's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.HammingLoss(mode="multiclass", threshold=0.6)
    >>> y_true = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]])
    >>> y_pred = np.array([[0.8, 0.1, 0.1, 0], [0.2, 0, 0.8, 0], [0.05, 0.05, 0.1, 0.8], [1.0, 0, 0, 0]])
    >>> metric.update_state(y_true, y_pred)
    >>> print(np.round(float(metric.result()), 4))
    0.25

    Reference:
        - [Tsoumakas & Katakis 2007, Multi-label classification: an overview](
          https://doi.org/10.4018/jdwm.2007070101)
    """

    def __init__(self, mode, name="hamming_loss", threshold=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.mode = args.one_of("mode", mode, MODES)
        self.threshold = _threshold(threshold)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's per-sample Hamming losses to the weighted mean."""
        y_true = ops.cast(y_true, self.dtype)
        y_pred = ops.cast(y_pred, self.dtype)
        values = hamming_loss_fn(y_true, y_pred, self.threshold, self.mode)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "threshold": self.threshold})
        return config
