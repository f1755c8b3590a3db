"""The Matthews correlation coefficient (phi coefficient) as a stateful metric."""

import keras
from keras import ops

from keras_dlx.metrics.confusion import confusion_matrix, safe_divide
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class MatthewsCorrelationCoefficient(keras.metrics.Metric):
    """Matthews correlation coefficient: the correlation between true and predicted classes.

    Accumulates the (weighted) confusion matrix `C` of all batches, with class indices from the argmax of one-hot
    `y_true` and of the scores `y_pred` (also for two classes, as TensorFlow Addons). With `t` and `p` its row and
    column sums, `c = trace(C)` and `s = sum(C)`, the multi-class form (Gorodkin 2004) is

        MCC = (c * s - t . p) / sqrt((s**2 - p . p) * (s**2 - t . t))

    which for two classes is `(TP * TN - FP * FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN))`. It lies in
    [-1, 1]; 0 when undefined (no samples, or a constant prediction), as in Addons.

    Args:
        num_classes: int >= 1, the number of classes (the width of `y_true` and `y_pred`).
        name: str, the metric's name. Defaults to "MatthewsCorrelationCoefficient".
        dtype: the result's and the state's dtype. Defaults to the Keras float type.

    Example:

    >>> y_true = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    >>> y_pred = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> metric = keras_dlx.metrics.MatthewsCorrelationCoefficient(num_classes=2)
    >>> metric.update_state(y_true, y_pred)
    >>> print(np.round(float(metric.result()), 4))
    -0.3333

    Reference:
        - [Matthews 1975, Comparison of the predicted and observed secondary structure of T4 phage lysozyme](
          https://doi.org/10.1016/0005-2795(75)90109-9)
        - [Gorodkin 2004, Comparing two K-category assignments by a K-category correlation coefficient](
          https://doi.org/10.1016/j.compbiolchem.2004.09.006)
    """

    def __init__(self, num_classes, name="MatthewsCorrelationCoefficient", dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.num_classes = args.positive_int("num_classes", num_classes)
        self.conf_mtx = self.add_variable(shape=(self.num_classes, self.num_classes), initializer="zeros",
                                          dtype=self.dtype, name="conf_mtx")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion matrix to the state."""
        labels = ops.argmax(ops.convert_to_tensor(y_true), axis=1)
        predictions = ops.argmax(ops.convert_to_tensor(y_pred), axis=1)
        self.conf_mtx.assign_add(
            confusion_matrix(labels, predictions, self.num_classes, sample_weight, dtype=self.dtype))

    def result(self):
        conf_mtx = ops.convert_to_tensor(self.conf_mtx)
        true_sum = ops.sum(conf_mtx, axis=1)
        pred_sum = ops.sum(conf_mtx, axis=0)
        num_correct = ops.trace(conf_mtx)
        num_samples = ops.sum(pred_sum)
        cov_true_pred = num_correct * num_samples - ops.sum(true_sum * pred_sum)
        cov_pred_pred = num_samples**2 - ops.sum(pred_sum * pred_sum)
        cov_true_true = num_samples**2 - ops.sum(true_sum * true_sum)
        return safe_divide(cov_true_pred, ops.sqrt(cov_true_true * cov_pred_pred))

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
