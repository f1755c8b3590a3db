"""Weighted kappa loss for ordinal classification (de la Torre, Puig & Valls 2018)."""

import numbers

import keras
from keras import ops

from keras_dlx.losses.base import ArgumentsLoss
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["WeightedKappaLoss"]


def _check_num_classes(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
        args.invalid("num_classes", value, "an integer >= 2")
    return int(value)


@register
class WeightedKappaLoss(ArgumentsLoss):
    """Weighted kappa loss: the log of a differentiable (1 - Cohen's weighted kappa).

    With one-hot labels `Y`, predicted class probabilities `P` (both `(batch_size, num_classes)`), class indices
    `c_i` of the labels and the disagreement weights `w(i, j) = |i - j|` (linear) or `(i - j)^2` (quadratic),

        numerator   = sum_{n, j} w(c_n, j) * P[n, j]
        denominator = sum_{i, j} w(i, j) * (sum_n Y[n, i]) * (sum_n P[n, j]) / batch_size
        loss        = log(numerator / denominator + epsilon)

    (0 / 0 counts as 0). The loss lies in [log(epsilon), log(2)]: log(2) is chance level. Same values and
    gradients as TensorFlow Addons' `WeightedKappaLoss`, except that `epsilon=0` is rejected, where Addons
    silently replaced it by `keras.config.epsilon()` (use `epsilon=None` for that). The loss is one number for
    the batch: `reduction` leaves it as is and a per-sample `sample_weight` scales it by the weights' mean (to
    weight samples, scale their probabilities).

    Args:
        num_classes: integer >= 2, the number of ordered classes.
        weightage: `"linear"` or `"quadratic"` disagreement weights. Defaults to `"quadratic"`.
        name: name of the loss. Defaults to `"cohen_kappa_loss"`.
        epsilon: positive float added inside the log, or None for `keras.config.epsilon()`. Defaults to 1e-6.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.WeightedKappaLoss(num_classes=4)
    >>> y_true = np.eye(4)[[2, 1, 0, 3]]
    >>> y_pred = np.array([[0.1, 0.2, 0.6, 0.1], [0.1, 0.5, 0.3, 0.1], [0.8, 0.05, 0.05, 0.1],
    ...                    [0.01, 0.09, 0.1, 0.8]])
    >>> round(float(loss(y_true, y_pred)), 4)
    -1.1612

    Reference:
        - [de la Torre, Puig & Valls 2018, Weighted kappa loss function for multi-class classification of ordinal
          data in deep learning](https://doi.org/10.1016/j.patrec.2017.05.018)
    """

    _arguments = ("num_classes", "weightage", "epsilon")

    def __init__(self, num_classes, weightage="quadratic", name="cohen_kappa_loss", epsilon=1e-6,
                 reduction="sum_over_batch_size", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.num_classes = _check_num_classes(num_classes)
        self.weightage = args.one_of("weightage", weightage, ("linear", "quadratic"))
        self.epsilon = keras.config.epsilon() if epsilon is None else args.positive_float("epsilon", epsilon)

    def _weights(self, rows, columns):
        difference = ops.expand_dims(rows, -1) - columns
        return ops.abs(difference) if self.weightage == "linear" else ops.square(difference)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        classes = ops.arange(self.num_classes, dtype=y_pred.dtype)
        label_classes = ops.matmul(y_true, classes)
        numerator = ops.sum(self._weights(label_classes, classes) * y_pred)
        label_counts = ops.sum(y_true, axis=0)
        predicted_counts = ops.sum(y_pred, axis=0)
        expected = ops.sum(ops.matmul(label_counts, ops.matmul(self._weights(classes, classes), predicted_counts)))
        expected = expected / ops.cast(ops.shape(y_true)[0], y_pred.dtype)
        return ops.log(ops.divide_no_nan(numerator, expected) + self.epsilon)
