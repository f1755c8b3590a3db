"""Streaming correlation metrics: Kendall's tau, Spearman's rho and Pearson's r from binned joint histograms
(TensorFlow Addons' approximation, Xiao 2017), and the exact point-biserial correlation."""

import numbers

import keras
import numpy as np
from keras import ops

from keras_dlx.metrics.confusion import safe_divide
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


def _cut_points(low, high, count):
    """`count` float32 bin edges from `low` to `high`; the last is nudged up by Keras's epsilon so that values
    equal to `high` fall in the last bin (in float32 the nudge vanishes for `|high| >= 2`; such values are then
    kept in the last bin here, where Addons fails)."""
    # As Addons: float32 bounds, spaced in float64, then rounded to float32.
    cuts = np.linspace(float(np.float32(low)), float(np.float32(high)), count)
    cuts[-1] += keras.config.epsilon()
    return cuts.astype("float32")


def _bounds(low_name, low, high_name, high):
    for name, value in ((low_name, low), (high_name, high)):
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(value):
            args.invalid(name, value, "a finite number")
    if not high > low:
        args.invalid(high_name, high, f"a number greater than {low_name}={low!r}")
    return float(low), float(high)


def _cutpoints(name, value):
    value = args.positive_int(name, value)
    if value < 2:
        args.invalid(name, value, "an integer >= 2")
    return value


class CorrelationBase(keras.metrics.Metric):
    """Joint and marginal histograms of (`y_true`, `y_pred`) over fixed bins, accumulated over batches.

    `y_true` is clipped to `[actual_min, actual_max]` and binned into `actual_cutpoints - 1` equal bins, `y_pred`
    likewise; the state is the joint count matrix `m`, its row and column sums and the number of pairs. Subclasses
    estimate a correlation from them. `sample_weight` is not used, as in TensorFlow Addons.
    """

    def __init__(self, actual_min=0.0, actual_max=1.0, preds_min=0.0, preds_max=1.0, actual_cutpoints=100,
                 preds_cutpoints=100, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.actual_min, self.actual_max = _bounds("actual_min", actual_min, "actual_max", actual_max)
        self.preds_min, self.preds_max = _bounds("preds_min", preds_min, "preds_max", preds_max)
        self.actual_cutpoints = _cutpoints("actual_cutpoints", actual_cutpoints)
        self.preds_cutpoints = _cutpoints("preds_cutpoints", preds_cutpoints)
        self.actual_cuts = _cut_points(self.actual_min, self.actual_max, self.actual_cutpoints)
        self.preds_cuts = _cut_points(self.preds_min, self.preds_max, self.preds_cutpoints)
        rows, cols = self.actual_cutpoints - 1, self.preds_cutpoints - 1
        # Counts are int32: exact up to 2**31 pairs, and JAX's default integer.
        self.m = self.add_variable(shape=(rows, cols), initializer="zeros", dtype="int32", name="m")
        self.nrow = self.add_variable(shape=(rows,), initializer="zeros", dtype="int32", name="nrow")
        self.ncol = self.add_variable(shape=(cols,), initializer="zeros", dtype="int32", name="ncol")
        self.n = self.add_variable(shape=(), initializer="zeros", dtype="int32", name="n")

    @staticmethod
    def _bin(values, low, high, cuts):
        values = ops.clip(ops.cast(ops.reshape(values, (-1,)), "float32"), low, high)
        index = ops.searchsorted(ops.convert_to_tensor(cuts), values, side="right") - 1
        return ops.one_hot(ops.clip(index, 0, len(cuts) - 2), len(cuts) - 1, dtype="float32")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's pairs to the joint and marginal histograms."""
        rows = self._bin(y_true, self.actual_min, self.actual_max, self.actual_cuts)
        cols = self._bin(y_pred, self.preds_min, self.preds_max, self.preds_cuts)
        self.m.assign_add(ops.cast(ops.matmul(ops.transpose(rows), cols), "int32"))
        self.nrow.assign_add(ops.cast(ops.sum(rows, axis=0), "int32"))
        self.ncol.assign_add(ops.cast(ops.sum(cols, axis=0), "int32"))
        self.n.assign_add(ops.cast(ops.shape(rows)[0], "int32"))

    def _counts(self):
        return tuple(ops.cast(v, "float32") for v in (self.m, self.nrow, self.ncol, self.n))

    def get_config(self):
        config = super().get_config()
        config.update({"actual_min": self.actual_min, "actual_max": self.actual_max, "preds_min": self.preds_min,
                       "preds_max": self.preds_max, "actual_cutpoints": self.actual_cutpoints,
                       "preds_cutpoints": self.preds_cutpoints})
        return config


class _KendallsTau(CorrelationBase):
    def _pairs(self):
        """Concordant pairs, discordant pairs, pairs tied in `y_true` only and in `y_pred` only."""
        m, nrow, ncol, n = self._counts()
        below_left = ops.cumsum(ops.cumsum(m, axis=0), axis=1)
        concordant = ops.sum(below_left[:-1, :-1] * m[1:, 1:])
        sum_m_squared = ops.sum(ops.square(m))
        ties_true = (ops.sum(ops.square(nrow)) - sum_m_squared) / 2.0
        ties_pred = (ops.sum(ops.square(ncol)) - sum_m_squared) / 2.0
        ties_both = ops.sum(m * (m - 1.0)) / 2.0
        discordant = (n - 1.0) * n / 2.0 - concordant - ties_true - ties_pred - ties_both
        return concordant, discordant, ties_true, ties_pred




@register
class KendallsTauB(_KendallsTau):
    """Kendall's tau-b rank correlation, estimated from binned histograms of all batches (TensorFlow Addons).

    Pairs of samples in the same bin count as tied. With `P` concordant and `Q` discordant pairs, `T` pairs tied in
    `y_true` only and `U` in `y_pred` only:

        tau_b = (P - Q) / sqrt((P + Q + T) * (P + Q + U))

    The bins set the resolution: values closer than a bin width count as ties. 0 when undefined (no pairs, or a
    constant `y_true` or `y_pred`), where Addons gives NaN.

    Args:
        actual_min: float, the lower bound of `y_true`'s bins; smaller values are clipped to it. Defaults to 0.
        actual_max: float, the upper bound of `y_true`'s bins; larger values are clipped to it. Defaults to 1.
        preds_min: float, the lower bound of `y_pred`'s bins. Defaults to 0.
        preds_max: float, the upper bound of `y_pred`'s bins. Defaults to 1.
        actual_cutpoints: int >= 2, the number of bin edges for `y_true` (one bin fewer). Defaults to 100.
        preds_cutpoints: int >= 2, the number of bin edges for `y_pred`. Defaults to 100.
        name: str, the metric's name. Defaults to "kendalls_tau_b".
        dtype: the result's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.KendallsTauB()
    >>> metric.update_state(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.1, 0.3, 0.2, 0.4]))
    >>> print(np.round(float(metric.result()), 4))
    0.6667

    Reference:
        - [Xiao 2017, Novel online algorithms for nonparametric correlations](https://arxiv.org/abs/1712.01521)
        - [Kendall 1945, The treatment of ties in ranking problems](https://doi.org/10.1093/biomet/33.3.239)
    """

    def __init__(self, actual_min=0.0, actual_max=1.0, preds_min=0.0, preds_max=1.0, actual_cutpoints=100,
                 preds_cutpoints=100, name="kendalls_tau_b", dtype=None):
        super().__init__(actual_min, actual_max, preds_min, preds_max, actual_cutpoints, preds_cutpoints, name,
                         dtype)

    def result(self):
        p, q, t, u = self._pairs()
        return ops.cast(safe_divide(p - q, ops.sqrt((p + q + t) * (p + q + u))), self.dtype)


@register
class KendallsTauC(_KendallsTau):
    """Kendall's tau-c (Stuart's tau-c) rank correlation, estimated from binned histograms (TensorFlow Addons).

    With `P` concordant and `Q` discordant pairs of `n` samples and `k` the smaller number of non-empty bins of
    `y_true` and of `y_pred`:

        tau_c = 2 (P - Q) / (n**2 (k - 1) / k)

    0 when undefined (no pairs, or a single non-empty bin), where Addons gives NaN or infinity.

    Args:
        actual_min: float, the lower bound of `y_true`'s bins; smaller values are clipped to it. Defaults to 0.
        actual_max: float, the upper bound of `y_true`'s bins; larger values are clipped to it. Defaults to 1.
        preds_min: float, the lower bound of `y_pred`'s bins. Defaults to 0.
        preds_max: float, the upper bound of `y_pred`'s bins. Defaults to 1.
        actual_cutpoints: int >= 2, the number of bin edges for `y_true` (one bin fewer). Defaults to 100.
        preds_cutpoints: int >= 2, the number of bin edges for `y_pred`. Defaults to 100.
        name: str, the metric's name. Defaults to "kendalls_tau_c".
        dtype: the result's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.KendallsTauC()
    >>> metric.update_state(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.1, 0.3, 0.2, 0.4]))
    >>> print(np.round(float(metric.result()), 4))
    0.6667

    Reference:
        - [Xiao 2017, Novel online algorithms for nonparametric correlations](https://arxiv.org/abs/1712.01521)
        - [Stuart 1953, The estimation and comparison of strengths of association in contingency tables](
          https://doi.org/10.1093/biomet/40.1-2.105)
    """

    def __init__(self, actual_min=0.0, actual_max=1.0, preds_min=0.0, preds_max=1.0, actual_cutpoints=100,
                 preds_cutpoints=100, name="kendalls_tau_c", dtype=None):
        super().__init__(actual_min, actual_max, preds_min, preds_max, actual_cutpoints, preds_cutpoints, name,
                         dtype)

    def result(self):
        p, q, _, _ = self._pairs()
        _, nrow, ncol, n = self._counts()
        k = ops.minimum(ops.sum(ops.cast(nrow > 0, "float32")), ops.sum(ops.cast(ncol > 0, "float32")))
        return ops.cast(safe_divide(2.0 * (p - q), ops.square(n) * safe_divide(k - 1.0, k)), self.dtype)


@register
class SpearmansRank(CorrelationBase):
    """Spearman's rank correlation, estimated from binned histograms of all batches (TensorFlow Addons).

    Each bin's samples share their mid-rank, from the marginal histograms; the result is the Pearson correlation
    of the two mid-ranks, weighted by the joint counts `m`:

        rho = r_true^T m r_pred / (sqrt(sum(nrow * r_true**2)) * sqrt(sum(ncol * r_pred**2)))

    with `r` the centred mid-ranks. 0 when undefined (no pairs, or a constant `y_true` or `y_pred`), where
    Addons gives NaN.

    Args:
        actual_min: float, the lower bound of `y_true`'s bins; smaller values are clipped to it. Defaults to 0.
        actual_max: float, the upper bound of `y_true`'s bins; larger values are clipped to it. Defaults to 1.
        preds_min: float, the lower bound of `y_pred`'s bins. Defaults to 0.
        preds_max: float, the upper bound of `y_pred`'s bins. Defaults to 1.
        actual_cutpoints: int >= 2, the number of bin edges for `y_true` (one bin fewer). Defaults to 100.
        preds_cutpoints: int >= 2, the number of bin edges for `y_pred`. Defaults to 100.
        name: str, the metric's name. Defaults to "spearmans_rank".
        dtype: the result's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.SpearmansRank()
    >>> metric.update_state(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.1, 0.3, 0.2, 0.4]))
    >>> print(np.round(float(metric.result()), 4))
    0.8

    Reference:
        - [Xiao 2017, Novel online algorithms for nonparametric correlations](https://arxiv.org/abs/1712.01521)
        - [Spearman 1904, The proof and measurement of association between two things](
          https://doi.org/10.2307/1412159)
    """

    def __init__(self, actual_min=0.0, actual_max=1.0, preds_min=0.0, preds_max=1.0, actual_cutpoints=100,
                 preds_cutpoints=100, name="spearmans_rank", dtype=None):
        super().__init__(actual_min, actual_max, preds_min, preds_max, actual_cutpoints, preds_cutpoints, name,
                         dtype)

    @staticmethod
    def _centred_ranks(counts, n):
        # Mid-rank of a bin, centred: ranks before it + (its count - n) / 2. Empty bins get any finite value;
        # they carry no weight.
        below = ops.cumsum(counts) - counts
        ranks = below + (ops.where(counts > 0, counts, -1.0) - n) / 2.0
        return safe_divide(ranks, ops.sqrt(ops.sum(counts * ops.square(ranks))))

    def result(self):
        m, nrow, ncol, n = self._counts()
        rows = self._centred_ranks(nrow, n)
        cols = self._centred_ranks(ncol, n)
        return ops.cast(ops.sum(rows[:, None] * m * cols[None, :]), self.dtype)


@register
class PearsonsCorrelation(CorrelationBase):
    """Pearson's correlation, estimated from binned histograms of all batches (TensorFlow Addons).

    Each sample stands for its bin's midpoint `c`, so the estimate is within a bin width of the exact value:

        r = (sum(m * c_true c_pred^T) - n mean_true mean_pred) / sqrt(var_true * var_pred)

    with the means and (unnormalised) variances from the marginal histograms. `PointBiserialCorrelation` gives
    the exact Pearson's r over all batches for any `y_true`. 0 when undefined (no pairs, or all of `y_true` or of
    `y_pred` in one bin), where Addons gives NaN or infinity.

    Args:
        actual_min: float, the lower bound of `y_true`'s bins; smaller values are clipped to it. Defaults to 0.
        actual_max: float, the upper bound of `y_true`'s bins; larger values are clipped to it. Defaults to 1.
        preds_min: float, the lower bound of `y_pred`'s bins. Defaults to 0.
        preds_max: float, the upper bound of `y_pred`'s bins. Defaults to 1.
        actual_cutpoints: int >= 2, the number of bin edges for `y_true` (one bin fewer). Defaults to 100.
        preds_cutpoints: int >= 2, the number of bin edges for `y_pred`. Defaults to 100.
        name: str, the metric's name. Defaults to "pearsons_correlation".
        dtype: the result's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.PearsonsCorrelation()
    >>> metric.update_state(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.1, 0.3, 0.2, 0.4]))
    >>> print(np.round(float(metric.result()), 4))
    0.8

    Reference:
        - [Xiao 2017, Novel online algorithms for nonparametric correlations](https://arxiv.org/abs/1712.01521)
    """

    def __init__(self, actual_min=0.0, actual_max=1.0, preds_min=0.0, preds_max=1.0, actual_cutpoints=100,
                 preds_cutpoints=100, name="pearsons_correlation", dtype=None):
        super().__init__(actual_min, actual_max, preds_min, preds_max, actual_cutpoints, preds_cutpoints, name,
                         dtype)

    @staticmethod
    def _midpoints(cuts):
        cuts = ops.convert_to_tensor(cuts)
        return (cuts[1:] - cuts[:-1]) / 2.0 + cuts[:-1]

    def result(self):
        m, nrow, ncol, n = self._counts()
        row_centres = self._midpoints(self.actual_cuts)
        col_centres = self._midpoints(self.preds_cuts)
        n_col = ops.sum(ncol)
        n_row = ops.sum(nrow)
        col_mean = safe_divide(ops.sum(ncol * col_centres), n_col)
        row_mean = safe_divide(ops.sum(nrow * row_centres), n_row)
        col_var = ops.sum(ncol * ops.square(col_centres)) - n_col * ops.square(col_mean)
        row_var = ops.sum(nrow * ops.square(row_centres)) - n_row * ops.square(row_mean)
        joint = ops.sum(m * row_centres[:, None] * col_centres[None, :]) - n * col_mean * row_mean
        # With every value in one bin the variance is 0 but float32 rounding leaves it slightly off: decide
        # from the counts.
        degenerate = ops.logical_or(ops.sum(ops.cast(ncol > 0, "int32")) < 2, ops.sum(ops.cast(nrow > 0, "int32")) < 2)
        corr = safe_divide(joint, ops.sqrt(ops.maximum(col_var * row_var, 0.0)))
        return ops.cast(ops.where(degenerate, 0.0, corr), self.dtype)


@register
class PointBiserialCorrelation(keras.metrics.Metric):
    """Point-biserial correlation between a binary `y_true` and a continuous `y_pred`, exact and weighted.

    The Pearson correlation of the 0/1 labels with the scores, which equals

        r_pb = (M1 - M0) / s * sqrt(n1 n0 / n**2)

    with `M1`, `M0` the mean score of each class and `s` the (population) standard deviation of all scores.
    Not in TensorFlow Addons 0.23; it is computed exactly, not from histograms: each batch's weighted means,
    (co)variance sums and weight total are merged into the state with Chan et al.'s pairwise update, which is
    numerically stable over many batches. Works for any real `y_true` (then it is Pearson's r). 0 when undefined
    (no samples, or a constant `y_true` or `y_pred`).

    Args:
        name: str, the metric's name. Defaults to "point_biserial_correlation".
        dtype: the result's and the state's dtype. Defaults to the Keras float type.

    Example:

    >>> metric = keras_dlx.metrics.PointBiserialCorrelation()
    >>> metric.update_state(np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.2, 0.5, 0.4, 0.9]))
    >>> print(np.round(float(metric.result()), 4))
    0.5883

    Reference:
        - [Tate 1954, Correlation between a discrete and a continuous variable](
          https://doi.org/10.1214/aoms/1177728795)
        - [Chan, Golub & LeVeque 1979, Updating formulae and a pairwise algorithm for computing sample variances](
          https://doi.org/10.1007/978-3-642-51461-6_3)
    """

    _STATES = ("weight", "mean_true", "mean_pred", "m2_true", "m2_pred", "comoment")

    def __init__(self, name="point_biserial_correlation", dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        for state in self._STATES:
            setattr(self, state, self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name=state))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Merges the batch's weighted moments into the state."""
        x = ops.reshape(ops.cast(y_true, self.dtype), (-1,))
        y = ops.reshape(ops.cast(y_pred, self.dtype), (-1,))
        if sample_weight is None:
            w = ops.ones_like(x)
        else:
            w = ops.broadcast_to(ops.reshape(ops.cast(sample_weight, self.dtype), (-1,)), ops.shape(x))
        batch_weight = ops.sum(w)
        batch_mean_x = safe_divide(ops.sum(w * x), batch_weight)
        batch_mean_y = safe_divide(ops.sum(w * y), batch_weight)
        dx, dy = x - batch_mean_x, y - batch_mean_y
        weight = ops.convert_to_tensor(self.weight)
        total = weight + batch_weight
        shift_x = batch_mean_x - self.mean_true
        shift_y = batch_mean_y - self.mean_pred
        share = safe_divide(batch_weight, total)
        between = weight * share
        self.m2_true.assign_add(ops.sum(w * dx * dx) + shift_x * shift_x * between)
        self.m2_pred.assign_add(ops.sum(w * dy * dy) + shift_y * shift_y * between)
        self.comoment.assign_add(ops.sum(w * dx * dy) + shift_x * shift_y * between)
        self.mean_true.assign_add(shift_x * share)
        self.mean_pred.assign_add(shift_y * share)
        self.weight.assign(total)

    def result(self):
        m2_true = ops.convert_to_tensor(self.m2_true)
        m2_pred = ops.convert_to_tensor(self.m2_pred)
        return safe_divide(ops.convert_to_tensor(self.comoment), ops.sqrt(m2_true * m2_pred))
