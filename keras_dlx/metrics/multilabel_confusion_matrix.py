"""One 2x2 confusion matrix per label, as a stateful metric."""

import warnings

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class MultiLabelConfusionMatrix(keras.metrics.Metric):
    """A 2x2 confusion matrix for each label of a multi-label (or one-hot multi-class) problem.

    `y_true` and `y_pred` are 0/1 arrays of shape `(batch, num_classes)` (both are cast to integers, so binarise
    scores first). The result `M` has shape `(num_classes, 2, 2)`, for label `i`:

        M[i] = [[true negatives,  false positives],
                [false negatives, true positives]]

    counted over all batches. Like TensorFlow Addons, `sample_weight` is not used (a warning says so).

    Args:
        num_classes: int, the number of labels.
        name: str, the metric's name. Defaults to "Multilabel_confusion_matrix".
        dtype: the result's and the state's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.MultiLabelConfusionMatrix(num_classes=3)
    >>> metric.update_state(np.array([[1, 0, 1], [0, 1, 0]]), np.array([[1, 0, 0], [0, 1, 1]]))
    >>> keras.ops.convert_to_numpy(metric.result())[2]
    array([[0., 1.],
           [1., 0.]], dtype=float32)

    Reference:
        - [Tsoumakas & Katakis 2007, Multi-label classification: an overview](
          https://doi.org/10.4018/jdwm.2007070101)
    """

    def __init__(self, num_classes, name="Multilabel_confusion_matrix", dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.num_classes = args.positive_int("num_classes", num_classes)
        for state in ("true_positives", "false_positives", "false_negatives", "true_negatives"):
            setattr(self, state, self.add_variable(shape=(self.num_classes,), initializer="zeros",
                                                   dtype=self.dtype, name=state))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's per-label counts to the state."""
        if sample_weight is not None:
            warnings.warn("`sample_weight` is not None: MultiLabelConfusionMatrix does not use sample weights.",
                          stacklevel=2)
        y_true = ops.cast(y_true, "int32")
        y_pred = ops.cast(y_pred, "int32")
        true_positive = ops.count_nonzero(y_true * y_pred, axis=0)
        false_positive = ops.count_nonzero(y_pred, axis=0) - true_positive
        false_negative = ops.count_nonzero(y_true, axis=0) - true_positive
        true_negative = ops.count_nonzero(ops.logical_and(y_true != 1, y_pred != 1), axis=0)
        for state, count in ((self.true_positives, true_positive), (self.false_positives, false_positive),
                             (self.false_negatives, false_negative), (self.true_negatives, true_negative)):
            state.assign_add(ops.cast(count, self.dtype))

    def result(self):
        counts = ops.stack([self.true_negatives, self.false_positives, self.false_negatives, self.true_positives],
                           axis=-1)
        return ops.reshape(counts, (self.num_classes, 2, 2))

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
