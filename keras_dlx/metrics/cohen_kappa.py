"""Cohen's kappa, the chance-corrected agreement of two raters, as a stateful metric."""

import keras
from keras import ops

from keras_dlx.metrics.confusion import confusion_matrix, safe_divide
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

WEIGHTAGES = (None, "linear", "quadratic")


@register
class CohenKappa(keras.metrics.Metric):
    """Cohen's kappa: how much two raters agree beyond what chance would give.

    Accumulates the (weighted) confusion matrix `C` of all batches seen; with `E` the outer product of its
    marginal histograms (the confusion matrix of independent raters) and `W` a disagreement weight,

        kappa = 1 - sum(W * C / sum(C)) / sum(W * E / sum(E))

    where `W[i, j]` is `i != j` (`weightage=None`), `|i - j|` ("linear") or `(i - j)**2` ("quadratic"). 1 is
    full agreement, 0 agreement by chance, negative less than chance. Labels and predictions are read as in
    TensorFlow Addons' `CohenKappa`: with `num_classes=2`, `y_true` holds 0/1 labels and `y_pred` the probability of
    class 1 (thresholded at 0.5); otherwise `y_true` is one-hot (or class indices when `sparse_labels`) and
    `y_pred` is scores (argmax), class indices (rank 1), or one regressed value rounded to the nearest class
    (`regression=True`). When kappa is undefined (no samples, or one class everywhere) the result is 0; Addons
    gives 0 for no samples and NaN for a single class.

    Args:
        num_classes: int >= 2, the number of classes.
        name: str, the metric's name. Defaults to "cohen_kappa".
        weightage: None, "linear" or "quadratic", how disagreements are weighted. Defaults to None.
        sparse_labels: bool, `y_true` holds class indices rather than one-hot rows (multi-class only).
            Defaults to False.
        regression: bool, `y_pred` is one regressed value per sample, rounded to a class. Defaults to False.
        dtype: the result's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.CohenKappa(num_classes=5, sparse_labels=True)
    >>> metric.update_state(np.array([4, 4, 3, 4, 2, 4, 1, 1]), np.array([4, 4, 3, 4, 4, 2, 1, 1]))
    >>> print(np.round(float(metric.result()), 4))
    0.619

    Reference:
        - [Cohen 1960, A coefficient of agreement for nominal scales](https://doi.org/10.1177/001316446002000104)
        - [Cohen 1968, Weighted kappa](https://doi.org/10.1037/h0026256)
    """

    def __init__(self, num_classes, name="cohen_kappa", weightage=None, sparse_labels=False, regression=False,
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = args.positive_int("num_classes", num_classes)
        if self.num_classes < 2:
            args.invalid("num_classes", num_classes, "an integer >= 2")
        if not (weightage is None or isinstance(weightage, str) and weightage in WEIGHTAGES):
            args.invalid("weightage", weightage, "None, 'linear' or 'quadratic'")
        self.weightage = weightage
        self.sparse_labels = args.boolean("sparse_labels", sparse_labels)
        self.regression = args.boolean("regression", regression)
        self.conf_mtx = self.add_variable(shape=(self.num_classes, self.num_classes), initializer="zeros",
                                          dtype="float32", name="conf_mtx")

    def _class_indices(self, y_true, y_pred):
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        if self.num_classes == 2:
            return ops.cast(y_true, "int32"), ops.cast(ops.cast(y_pred, "float32") > 0.5, "int32")
        if not self.sparse_labels:
            y_true = ops.argmax(y_true, axis=1)
        if len(y_pred.shape) > 1:
            y_pred = ops.round(ops.abs(y_pred)) if self.regression else ops.argmax(y_pred, axis=-1)
        return ops.cast(y_true, "int32"), ops.cast(y_pred, "int32")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion matrix to the state."""
        labels, predictions = self._class_indices(y_true, y_pred)
        self.conf_mtx.assign_add(confusion_matrix(labels, predictions, self.num_classes, sample_weight))

    def _weights(self):
        ratings = ops.arange(self.num_classes, dtype="float32")
        difference = ratings[:, None] - ratings[None, :]
        if self.weightage is None:
            return ops.cast(ops.not_equal(difference, 0), "float32")
        return ops.abs(difference) if self.weightage == "linear" else ops.square(difference)

    def result(self):
        conf_mtx = ops.convert_to_tensor(self.conf_mtx)
        actual = ops.sum(conf_mtx, axis=1)
        predicted = ops.sum(conf_mtx, axis=0)
        expected = predicted[:, None] * actual[None, :]
        weights = self._weights()
        observed = ops.sum(weights * safe_divide(conf_mtx, ops.sum(conf_mtx)))
        chance = ops.sum(weights * safe_divide(expected, ops.sum(expected)))
        kappa = ops.where(chance > 0, 1.0 - safe_divide(observed, chance), 0.0)
        return ops.cast(kappa, self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes, "weightage": self.weightage,
                       "sparse_labels": self.sparse_labels, "regression": self.regression})
        return config
