"""Weighted confusion matrices from class indices, shared by the classification metrics."""

from keras import ops


def flat_sample_weight(sample_weight, num_samples, dtype):
    """`sample_weight` (None, a scalar or one weight per sample in any shape) as a vector of `num_samples`."""
    if sample_weight is None:
        return ops.ones((num_samples,), dtype=dtype)
    sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), dtype)
    if len(sample_weight.shape) == 0:
        return ops.full((num_samples,), sample_weight, dtype=dtype)
    return ops.reshape(sample_weight, (-1,))


def confusion_matrix(labels, predictions, num_classes, sample_weight=None, dtype="float32"):
    """`(num_classes, num_classes)` matrix whose entry `[i, j]` sums the weights of samples of class `i`
    predicted as `j`; `labels` and `predictions` hold class indices, any out of range counts nowhere."""
    labels = ops.reshape(labels, (-1,))
    predictions = ops.reshape(predictions, (-1,))
    weights = flat_sample_weight(sample_weight, ops.shape(labels)[0], dtype)
    actual = ops.one_hot(labels, num_classes, dtype=dtype) * weights[:, None]
    predicted = ops.one_hot(predictions, num_classes, dtype=dtype)
    return ops.matmul(ops.transpose(actual), predicted)


def safe_divide(numerator, denominator):
    """`numerator / denominator`, and 0 where the denominator is 0 or not finite (an undefined statistic)."""
    ok = ops.logical_and(ops.not_equal(denominator, 0), ops.isfinite(denominator))
    return ops.where(ok, numerator / ops.where(ok, denominator, ops.ones_like(denominator)),
                     ops.zeros_like(numerator))
