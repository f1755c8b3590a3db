"""The geometric and harmonic means as stateful metrics, used like `keras.metrics.Mean`."""

import keras
from keras import ops

from keras_dlx.utils.registration import register


def _broadcast_weights(sample_weight, values):
    """`sample_weight` (None, a scalar, or one weight per sample or per value) broadcast to `values`'s shape."""
    if sample_weight is None:
        return ops.ones_like(values)
    sample_weight = ops.cast(sample_weight, values.dtype)
    while len(sample_weight.shape) < len(values.shape) and len(sample_weight.shape) > 0:
        sample_weight = ops.expand_dims(sample_weight, -1)
    return ops.broadcast_to(sample_weight, ops.shape(values))


@register
class GeometricMean(keras.metrics.Metric):
    """Weighted geometric mean of all values seen, accumulated in log space.

        G = exp(sum(w * log(x)) / sum(w))

    A value of 0 makes the mean 0 from then on (the log sum is -inf and stops accumulating), as in TensorFlow
    Addons. Before any value the result is 0 (Addons: NaN).

    Args:
        name: str, the metric's name. Defaults to "geometric_mean".
        dtype: the result's and the state's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.GeometricMean()
    >>> metric.update_state(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]))
    >>> print(np.round(float(metric.result()), 4))
    3.38
    """

    def __init__(self, name="geometric_mean", dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        """Adds `sum(w * log(x))` and `sum(w)` of the batch to the state."""
        values = ops.cast(values, self.dtype)
        sample_weight = _broadcast_weights(sample_weight, values)
        self.count.assign_add(ops.sum(sample_weight))
        total = ops.convert_to_tensor(self.total)
        log_sum = ops.sum(sample_weight * ops.log(values))
        self.total.assign(ops.where(ops.isinf(total), total, total + log_sum))

    def result(self):
        total = ops.convert_to_tensor(self.total)
        count = ops.convert_to_tensor(self.count)
        defined = ops.logical_and(ops.logical_not(ops.isinf(total)), count != 0)
        return ops.where(defined, ops.exp(total / ops.where(count != 0, count, 1.0)), 0.0)


@register
class HarmonicMean(keras.metrics.Mean):
    """Weighted harmonic mean of all values seen: the reciprocal of the mean of the reciprocals.

        H = sum(w) / sum(w / x)

    Weights as in `keras.metrics.Mean`. 0 before any value and once a value of 0 was seen, as in TensorFlow Addons.

    Args:
        name: str, the metric's name. Defaults to "harmonic_mean".
        dtype: the result's and the state's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.HarmonicMean()
    >>> metric.update_state(np.array([1.0, 4.0, 4.0]))
    >>> print(np.round(float(metric.result()), 4))
    2.0
    """

    def __init__(self, name="harmonic_mean", dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)

    def update_state(self, values, sample_weight=None):
        """Adds the batch's reciprocals to the weighted mean."""
        return super().update_state(1.0 / ops.cast(values, self.dtype), sample_weight=sample_weight)

    def result(self):
        mean = super().result()
        defined = ops.logical_and(mean != 0, ops.logical_not(ops.isinf(mean)))
        return ops.where(defined, 1.0 / ops.where(defined, mean, 1.0), 0.0)
