"""Pinball (quantile) loss for quantile regression."""

import numbers

import numpy as np
from keras import ops

from keras_dlx.losses.base import ArgumentsLoss, same_rank
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["pinball_loss", "PinballLoss"]


def _check_tau(value):
    """A number in [0, 1] or a (nested) list of them; a tensor is let through unchecked."""
    if ops.is_tensor(value):
        return value
    allowed = "a number in [0, 1] or a list (one per output feature) of numbers in [0, 1]"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return args.unit_interval("tau", value, closed_right=True)
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        args.invalid("tau", value, allowed)
    if array.ndim == 0 or array.size == 0 or not np.all((array >= 0) & (array <= 1)):
        args.invalid("tau", value, allowed)
    return array.tolist()


def pinball_loss(y_true, y_pred, tau=0.5):
    """Pinball loss: the loss whose minimizer is the `tau`-quantile of the target.

        loss = mean over the last axis of max(tau * (y - y_hat), (tau - 1) * (y - y_hat))

    Under-predictions cost `tau` per unit, over-predictions `1 - tau`; `tau = 0.5` is half the absolute error.
    Same values and gradients as TensorFlow Addons' `pinball_loss`; a target of one rank less than the prediction
    (`(batch,)` against `(batch, 1)`) gets a trailing axis, as Keras's losses do.

    Args:
        y_true: targets of shape `(batch_size, d0, ..., dn)`.
        y_pred: predictions, same shape as `y_true`.
        tau: number in [0, 1] or array of shape `(d0, ..., dn)` of them: the quantile(s) estimated.
            Defaults to 0.5.

    Returns:
        Loss of shape `(batch_size, d0, ..., dn-1)`.

    Example:

    >>> loss = keras_dlx.losses.pinball_loss(np.array([0.0, 0.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0, 0.0]), tau=0.1)
    >>> round(float(loss), 4)
    0.475

    Reference:
        - [Koenker & Bassett 1978, Regression Quantiles](https://doi.org/10.2307/1913643)
    """
    tau = _check_tau(tau)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = same_rank(y_true, y_pred)
    tau = ops.expand_dims(ops.cast(tau, y_pred.dtype), 0)
    error = y_true - y_pred
    # max(tau * e, (tau - 1) * e) for tau in [0, 1], written so that an exact prediction (e = 0) takes the
    # gradient of `tau * e` on every backend, as TensorFlow's maximum does (JAX would split it between the two).
    return ops.mean(ops.where(ops.greater_equal(error, 0.0), tau * error, (tau - 1.0) * error), axis=-1)


@register
class PinballLoss(ArgumentsLoss):
    """Pinball (quantile) loss, as a `keras.losses.Loss` (see `pinball_loss`).

        loss = mean over the last axis of max(tau * (y - y_hat), (tau - 1) * (y - y_hat))

    Args:
        tau: number in [0, 1], or a list of them (one per output feature): the quantile(s) estimated.
            Defaults to 0.5.
        reduction: as in `keras.losses.Loss`. Defaults to `"sum_over_batch_size"`.
        name: name of the loss. Defaults to `"pinball_loss"`.
        dtype: dtype of the computation, as in `keras.losses.Loss`. Defaults to None (`keras.config.floatx()`).

    Example:

    >>> loss = keras_dlx.losses.PinballLoss(tau=0.1)
    >>> round(float(loss(np.array([0.0, 0.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0, 0.0]))), 4)
    0.475

    Reference:
        - [Koenker & Bassett 1978, Regression Quantiles](https://doi.org/10.2307/1913643)
    """

    _arguments = ("tau",)

    def __init__(self, tau=0.5, reduction="sum_over_batch_size", name="pinball_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        if ops.is_tensor(tau):
            tau = ops.convert_to_numpy(tau).tolist()
        self.tau = _check_tau(tau)

    def call(self, y_true, y_pred):
        return pinball_loss(y_true, y_pred, tau=self.tau)
