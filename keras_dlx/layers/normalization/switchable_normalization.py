"""Switchable normalization: a learned softmax mixture of instance, layer and batch statistics."""

import keras
from keras import ops

from keras_dlx.layers.normalization.common import (
    add_gamma_beta,
    channel_axis,
    from_float32_channels_last,
    integer_axis,
    take_inputs_as_they_come,
    to_float32_channels_last,
)
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register
from keras_dlx.utils.replicas import cross_replica_sum


@register
class SwitchableNormalization(keras.layers.Layer):
    """Switchable normalization (Luo et al. 2018), with the official code's statistics.

    For an input seen as (N, spatial, C), with the per-sample, per-channel statistics over the spatial
    positions (`var_in` unbiased, dividing by HW - 1, as in the official code, unless `unbiased_variance=False`):

        mu_ln = mean_C(mu_in)             var_ln = mean_C(var_in + mu_in^2) - mu_ln^2
        mu_bn = mean_N(mu_in)             var_bn = mean_N(var_in + mu_in^2) - mu_bn^2       (training)
        mean = sum_k softmax(mean_weight)_k mu_k        var = sum_k softmax(var_weight)_k var_k,   k in (in, ln, bn)
        y = (x - mean) / sqrt(var + epsilon) * gamma + beta

    The two importance vectors start at ones (1/3 each) and are learned with the network. At inference the IN
    and LN statistics still come from the sample; the BN ones come from running statistics, which start at zero.
    With `moving_average=True` (default) they follow `run = momentum * run + (1 - momentum) * batch` in every
    training step. With `moving_average=False` (the paper's batch-average mode) training steps add the batch
    statistics to sums and a counter instead; call `reset_batch_statistics()`, run some training batches (e.g.
    after each epoch), and inference uses their average.

    With `unbiased_variance=False` every variance is the biased one, and driving the logits to one-hot gives
    exactly `InstanceNormalization`, `keras.layers.LayerNormalization` over all non-batch axes and
    `keras.layers.BatchNormalization` (training mode) with the same epsilon.

    For (N, C) inputs there are no spatial positions: LN and BN are mixed (two weights each), with (unbiased)
    variances over C and over N respectively (the official SwitchNorm1d). `use_batch_stats=False` drops BN
    (IN + LN only, or LN only for (N, C)), for a batch size of 1 per device.

    Under `tf.distribute` (e.g. `MirroredStrategy`), BN statistics are per replica by default: each replica
    normalizes with the statistics of its own share of the batch, and the running statistics receive the mean
    of the replicas' updates. With `synchronized=True`, they are computed over the global batch (sums
    all-reduced across replicas, exact for unequal shares), like `keras.layers.BatchNormalization(
    synchronized=True)`. Statistics are computed in float32 under mixed precision.

    Args:
        axis: int, the channel axis. Defaults to -1.
        momentum: float in [0, 1], for the running statistics. Defaults to 0.9 (the official 2D default; it uses
            0.997 for 1D and 3D).
        epsilon: positive float. Defaults to 1e-5.
        center, scale: bool, learn `beta` / `gamma`. Default to True.
        use_batch_stats: bool, include the BN statistics. Defaults to True.
        moving_average: bool, moving-average running statistics (True) or batch-average mode (False).
        synchronized: bool, compute BN statistics over all replicas under tf.distribute. Defaults to False.
        unbiased_variance: bool, divide the per-instance (and, for (N, C) inputs, LN and BN) sums of squares by
            count - 1 as the official code does. Defaults to True.
        beta_initializer: for the per-channel weights. Likewise gamma_initializer, beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint.

    Call arguments:
        inputs: the input tensor.
        training: bool; in training, the BN statistics are those of the batch (and the running ones are
            updated), otherwise the running ones.

    Input shape:
        Any tensor of rank >= 2; rank 2 is (N, C).

    Output shape:
        Same as the input.

    Example:

    >>> norm = keras_dlx.layers.SwitchableNormalization()
    >>> tuple(norm(keras.random.normal((8, 14, 14, 32)), training=True).shape)
    (8, 14, 14, 32)

    Reference:
        - [Luo, Ren, Peng, Zhang & Li 2018, Differentiable Learning-to-Normalize via Switchable Normalization](https://arxiv.org/abs/1806.10779)
        - Official code: switchablenorms/Switchable-Normalization, `devkit/ops/switchable_norm.py`
    """

    def __init__(self, axis=-1, momentum=0.9, epsilon=1e-5, center=True, scale=True, use_batch_stats=True,
                 moving_average=True, synchronized=False, unbiased_variance=True, beta_initializer="zeros",
                 gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        take_inputs_as_they_come(self)
        self.axis = integer_axis(axis)
        self.momentum = args.unit_interval("momentum", momentum, closed_right=True)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.center = args.boolean("center", center)
        self.scale = args.boolean("scale", scale)
        self.use_batch_stats = args.boolean("use_batch_stats", use_batch_stats)
        self.moving_average = args.boolean("moving_average", moving_average)
        self.synchronized = args.boolean("synchronized", synchronized)
        self.unbiased_variance = args.boolean("unbiased_variance", unbiased_variance)
        args.keras_objects(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                           beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                           beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)

    @property
    def statistics(self):
        """Names of the mixed statistics, in the order of `mean_weight` and `var_weight`."""
        kinds = ("in", "ln", "bn") if self._spatial else ("ln", "bn")
        return kinds if self.use_batch_stats else kinds[:-1]

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2. "
                             f"Received: input_shape={tuple(input_shape)}")
        self._channel_axis = channel_axis(self, input_shape, self.axis)
        channels = args.known_channels(self, input_shape, self._channel_axis)
        self._spatial = len(input_shape) > 2
        count = len(self.statistics)
        add_gamma_beta(self, channels)
        self.mean_weight = self.add_weight(name="mean_weight", shape=(count,), initializer="ones")
        self.var_weight = self.add_weight(name="var_weight", shape=(count,), initializer="ones")
        if self.use_batch_stats:
            # "mean": under tf.distribute the replicas' updates are averaged (identical when synchronized).
            self.moving_mean = self.add_weight(name="moving_mean", shape=(channels,), initializer="zeros",
                                               trainable=False, autocast=False, aggregation="mean")
            self.moving_variance = self.add_weight(name="moving_variance", shape=(channels,), initializer="zeros",
                                                   trainable=False, autocast=False, aggregation="mean")
            if not self.moving_average:
                self.batch_count = self.add_weight(name="batch_count", shape=(), initializer="zeros",
                                                   trainable=False, autocast=False, aggregation="mean")
        self.input_spec = keras.layers.InputSpec(ndim=len(input_shape), axes={self._channel_axis: channels})

    def reset_batch_statistics(self):
        """Batch-average mode: zero the accumulated BN statistics before accumulating a new average."""
        if not (self.use_batch_stats and not self.moving_average):
            raise ValueError(f"Layer '{self.name}' has no batch-average statistics to reset: it needs "
                             f"use_batch_stats=True and moving_average=False. Received: "
                             f"use_batch_stats={self.use_batch_stats}, moving_average={self.moving_average}")
        for v in (self.moving_mean, self.moving_variance, self.batch_count):
            v.assign(ops.zeros_like(v))

    def _batch_statistics(self, mu, second_moment, count):
        """mean_N and mean_N of second moments, over the replica's or the global batch."""
        local = (ops.sum(mu, axis=0, keepdims=True), ops.sum(second_moment, axis=0, keepdims=True),
                 ops.cast(count, mu.dtype))
        if self.synchronized:
            local = cross_replica_sum(*local)
        total_mu, total_second, total_count = local
        mean = total_mu / total_count
        return mean, total_second / total_count - ops.square(mean)

    def _update_running(self, mean_bn, var_bn):
        mean_bn, var_bn = ops.reshape(mean_bn, (-1,)), ops.reshape(var_bn, (-1,))
        if self.moving_average:
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean_bn * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + var_bn * (1.0 - m))
        else:
            self.moving_mean.assign(self.moving_mean + mean_bn)
            self.moving_variance.assign(self.moving_variance + ops.square(mean_bn) + var_bn)
            self.batch_count.assign(self.batch_count + 1.0)

    def _running_statistics(self):
        if self.moving_average:
            return self.moving_mean, self.moving_variance
        count = ops.maximum(self.batch_count, 1.0)
        mean = self.moving_mean / count
        return mean, self.moving_variance / count - ops.square(mean)

    def _instance_and_layer_statistics(self, x):
        """IN and LN (mean, variance) of a channels-last input, and the per-instance (mean, second moment) that
        the BN statistics are made of. (N, C) inputs have no IN: LN over the channels, BN over the batch."""
        if not self._spatial:
            channels = x.shape[-1]
            mu_ln = ops.mean(x, axis=-1, keepdims=True)
            divisor = max(channels - 1, 1) if self.unbiased_variance else channels
            var_ln = ops.sum(ops.square(x - mu_ln), axis=-1, keepdims=True) / divisor
            return {"ln": (mu_ln, var_ln)}, (x, ops.square(x))
        spatial_axes = tuple(range(1, len(x.shape) - 1))
        positions = 1
        for size in ops.shape(x)[1:-1]:
            positions = positions * size
        mu_in = ops.mean(x, axis=spatial_axes, keepdims=True)
        # Unbiased by default, as the official code (torch.var); a single position counts as one.
        divisor = ops.maximum(positions - 1, 1) if self.unbiased_variance else positions
        var_in = ops.sum(ops.square(x - mu_in), axis=spatial_axes, keepdims=True) / ops.cast(divisor, x.dtype)
        second = var_in + ops.square(mu_in)
        mu_ln = ops.mean(mu_in, axis=-1, keepdims=True)
        var_ln = ops.mean(second, axis=-1, keepdims=True) - ops.square(mu_ln)
        return {"in": (mu_in, var_in), "ln": (mu_ln, var_ln)}, (mu_in, second)

    def _bn_statistics(self, moments, batch, dtype, training):
        """BN (mean, variance): of the batch in training (updating the running ones), else the running ones."""
        if not training:
            mean_bn, var_bn = self._running_statistics()
            return ops.cast(mean_bn, dtype), ops.cast(var_bn, dtype)
        mean_bn, var_bn = self._batch_statistics(*moments, batch)
        if not self._spatial and self.unbiased_variance:  # SwitchNorm1d: unbiased over the batch
            total = ops.cast(batch, dtype)
            var_bn = var_bn * total / ops.maximum(total - 1.0, 1.0)
        self._update_running(mean_bn, var_bn)
        return mean_bn, var_bn

    def _normalize(self, x, stats):
        """Mix the statistics with the softmax importance weights, then normalize, scale and shift."""
        mean_w = ops.softmax(ops.cast(self.mean_weight, x.dtype))
        var_w = ops.softmax(ops.cast(self.var_weight, x.dtype))
        mean = sum(mean_w[i] * stats[k][0] for i, k in enumerate(self.statistics))
        var = sum(var_w[i] * stats[k][1] for i, k in enumerate(self.statistics))
        scale = ops.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            scale = scale * ops.cast(self.gamma, x.dtype)
        shift = -mean * scale
        if self.beta is not None:
            shift = shift + ops.cast(self.beta, x.dtype)
        return x * scale + shift

    def call(self, inputs, training=None):
        x = to_float32_channels_last(inputs, self._channel_axis)
        stats, moments = self._instance_and_layer_statistics(x)
        if self.use_batch_stats:
            stats["bn"] = self._bn_statistics(moments, ops.shape(x)[0], x.dtype, training)
        return from_float32_channels_last(self._normalize(x, stats), self._channel_axis, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "axis", "momentum", "epsilon", "center", "scale", "use_batch_stats", "moving_average", "synchronized",
            "unbiased_variance", "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
            "beta_constraint", "gamma_constraint")))
        return config
