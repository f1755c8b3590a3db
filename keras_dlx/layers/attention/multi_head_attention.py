"""Multi-head attention on `keras.ops.dot_product_attention`, weight-compatible with Keras's layer."""

import math

import keras
import numpy as np
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments


@keras.saving.register_keras_serializable(package="keras_dlx")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention (Vaswani et al. 2017), `keras.layers.MultiHeadAttention`'s interface and weights.

    Each head projects query, key and value, attends with scaled dot products and the heads' results are
    concatenated and projected:

        head_h = softmax(Q W_q^h (K W_k^h)^T / sqrt(key_dim) + mask) V W_v^h
        output = concat_h(head_h) W_o + b_o

    The attention itself runs through `keras.ops.dot_product_attention`, so backends with fused (flash)
    attention kernels use them; only attention dropout in training and `return_attention_scores=True` take the
    explicit softmax path. When `query`, `key` and `value` are the same tensor (self-attention), the three
    projections are one matmul with the concatenated kernels.

    Call arguments and masks are Keras's: `query`, `value` (here optional: `mha(x)` is self-attention), `key`
    (defaults to `value`), `attention_mask`
    (boolean, shape (B, T_q, T_v), True = may attend), `query_mask`/`value_mask`/`key_mask` (or Keras masks
    carried by the inputs), `use_causal_mask`, `return_attention_scores`, `training`. The weights have the shapes
    and order of `keras.layers.MultiHeadAttention` (query/key/value kernels (D, heads, key_dim) and biases
    (heads, key_dim), output kernel (heads, value_dim, D_out) and bias (D_out,)), so
    `load_keras_weights(keras_mha)` (or `set_weights(keras_mha.get_weights())`) gives the same outputs.

    Args:
        num_heads: int, number of heads.
        key_dim: int, size of each head for query and key.
        value_dim: int, size of each head for value; defaults to `key_dim`.
        dropout: float in [0, 1), dropout on the attention probabilities. Defaults to 0.
        use_bias: bool. Defaults to True.
        output_shape: int, the output feature size; defaults to the query's.
        attention_axes: None (the sequence axis), an int or a tuple of ints: the axes attended over, jointly; the
            other non-batch, non-feature axes act as batch axes (Keras's semantics; None attends over all of
            them). Masks are supported for 3D inputs only; with higher ranks the returned scores have the layout
            (batch * other axes, heads, T_q, T_v).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint, seed: as in `keras.layers.MultiHeadAttention`.

    Input shape:
        query (B, T_q, D_q), value (B, T_v, D_v), key (B, T_v, D_k); or higher rank with `attention_axes`.

    Output shape:
        (B, T_q, output_shape or D_q); with `return_attention_scores`, also (B, num_heads, T_q, T_v).

    Example:

    >>> mha = keras_dlx.layers.MultiHeadAttention(num_heads=8, key_dim=64)
    >>> x = keras.random.normal((2, 128, 512))
    >>> mha(x, x, use_causal_mask=True).shape
    (2, 128, 512)

    Reference:
        - [Vaswani et al. 2017, Attention Is All You Need](https://arxiv.org/abs/1706.03762)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        super().__init__(activity_regularizer=args.regularizer("activity_regularizer", activity_regularizer),
                         **kwargs)
        self.num_heads = args.positive_int("num_heads", num_heads)
        self.key_dim = args.positive_int("key_dim", key_dim)
        self.value_dim = self.key_dim if value_dim is None else args.positive_int("value_dim", value_dim)
        self.dropout = args.unit_interval("dropout", dropout)
        self.use_bias = args.boolean("use_bias", use_bias)
        self.output_shape_ = None if output_shape is None else args.positive_int("output_shape", output_shape)
        if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
            attention_axes = (attention_axes,)
        if attention_axes is not None and not (
                isinstance(attention_axes, (tuple, list)) and attention_axes
                and all(isinstance(a, int) and not isinstance(a, bool) for a in attention_axes)):
            args.invalid("attention_axes", attention_axes, "None, an integer or a non-empty tuple of integers")
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        args.keras_objects(self, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                           kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.seed = args.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed) if self.dropout > 0 else None
        self.supports_masking = True

    def _weight(self, name, shape, kernel):
        kind = "kernel" if kernel else "bias"
        return self.add_weight(name=name, shape=shape, initializer=getattr(self, f"{kind}_initializer"),
                               regularizer=getattr(self, f"{kind}_regularizer"),
                               constraint=getattr(self, f"{kind}_constraint"))

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        rank = len(query_shape)
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != rank or rank < 3 or shape[-1] is None:
                raise ValueError(f"Invalid input for layer '{self.name}': `{name}` must have rank >= 3 (batch, "
                                 f"..., features), the query's rank, and known features. "
                                 f"Received: input_shape={tuple(shape)}")
        # Keras's default: every axis but batch and features, attended jointly.
        axes = tuple(range(1, rank - 1)) if self.attention_axes is None else self.attention_axes
        normalized = sorted({a % rank for a in axes if -rank <= a < rank})
        if len(normalized) != len(axes) or 0 in normalized or rank - 1 in normalized:
            raise ValueError(
                f"Invalid `attention_axes` for layer '{self.name}': expected distinct axes of the rank-{rank} input "
                f"other than the batch (0) and features ({rank - 1}). Received: "
                f"attention_axes={self.attention_axes!r} for input_shape={tuple(query_shape)}")
        self._attention_axes = tuple(normalized)
        self._rank = rank
        h, k, v = self.num_heads, self.key_dim, self.value_dim
        out = self.output_shape_ or query_shape[-1]
        self.query_kernel = self._weight("query_kernel", (query_shape[-1], h, k), True)
        self.query_bias = self._weight("query_bias", (h, k), False) if self.use_bias else None
        self.key_kernel = self._weight("key_kernel", (key_shape[-1], h, k), True)
        self.key_bias = self._weight("key_bias", (h, k), False) if self.use_bias else None
        self.value_kernel = self._weight("value_kernel", (value_shape[-1], h, v), True)
        self.value_bias = self._weight("value_bias", (h, v), False) if self.use_bias else None
        self.output_kernel = self._weight("output_kernel", (h, v, out), True)
        self.output_bias = self._weight("output_bias", (out,), False) if self.use_bias else None

    def load_keras_weights(self, mha):
        """Copy the weights of a built `keras.layers.MultiHeadAttention` with the same shapes."""
        ours, theirs = [tuple(w.shape) for w in self.weights], [tuple(w.shape) for w in mha.weights]
        if ours != theirs:
            raise ValueError(f"Invalid `mha` for layer '{self.name}': expected a built "
                             f"keras.layers.MultiHeadAttention with weight shapes {ours}. Received: mha with "
                             f"weight shapes {theirs}")
        self.set_weights(mha.get_weights())

    def _project(self, x, kernel, bias):
        y = ops.einsum("...d,dhk->...hk", x, kernel)
        return ops.add(y, bias) if bias is not None else y

    def _self_projections(self, x):
        # One matmul for Q, K and V: (B, T, D) @ (D, H * (2k + v)).
        h, k, v = self.num_heads, self.key_dim, self.value_dim
        d = x.shape[-1]
        kernel = ops.concatenate([ops.reshape(self.query_kernel, (d, h * k)), ops.reshape(self.key_kernel, (d, h * k)),
                                  ops.reshape(self.value_kernel, (d, h * v))], axis=-1)
        y = ops.matmul(x, kernel)
        if self.use_bias:
            y = ops.add(y, ops.concatenate([ops.reshape(self.query_bias, (h * k,)),
                                            ops.reshape(self.key_bias, (h * k,)),
                                            ops.reshape(self.value_bias, (h * v,))]))
        q, kk, vv = ops.split(y, [h * k, 2 * h * k], axis=-1)
        shape = ops.shape(x)[:2]
        return (ops.reshape(q, tuple(shape) + (h, k)), ops.reshape(kk, tuple(shape) + (h, k)),
                ops.reshape(vv, tuple(shape) + (h, v)))

    def _mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """Boolean (B, T_q, T_v) mask or None, combining every mask the way Keras's layer does."""
        mask = None
        if query_mask is not None:
            mask = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
        for extra in (value_mask, key_mask):
            if extra is not None:
                extra = ops.expand_dims(ops.cast(extra, "bool"), -2)
                mask = extra if mask is None else ops.logical_and(mask, extra)
        if use_causal_mask:
            tq, tv = ops.shape(query)[1], ops.shape(value)[1]
            causal = ops.greater_equal(ops.expand_dims(ops.arange(tq), -1), ops.expand_dims(ops.arange(tv), 0))
            causal = ops.expand_dims(causal, 0)
            mask = causal if mask is None else ops.logical_and(mask, causal)
        if attention_mask is not None:
            attention_mask = ops.cast(attention_mask, "bool")
            mask = attention_mask if mask is None else ops.logical_and(mask, attention_mask)
        return mask

    def call(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if value is None:
            value = query
        if key is None:
            key = value
        query_mask = getattr(query, "_keras_mask", None) if query_mask is None else query_mask
        value_mask = getattr(value, "_keras_mask", None) if value_mask is None else value_mask
        key_mask = getattr(key, "_keras_mask", None) if key_mask is None else key_mask
        if self._rank > 3 or self._attention_axes != (1,):
            if attention_mask is not None or use_causal_mask or query_mask is not None or value_mask is not None:
                raise ValueError(f"Invalid call of layer '{self.name}': masks are supported for 3D inputs attending "
                                 f"over axis 1 only. Received: attention_axes={self.attention_axes} with a mask")
            return self._call_over_axes(query, value, key, return_attention_scores, training)
        if query is value and value is key:
            q, k, v = self._self_projections(query)
        else:
            q = self._project(query, self.query_kernel, self.query_bias)
            k = self._project(key, self.key_kernel, self.key_bias)
            v = self._project(value, self.value_kernel, self.value_bias)
        mask = self._mask(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        head_mask = None if mask is None else ops.expand_dims(mask, 1)  # (B, 1, T_q, T_v): all heads
        attended, scores = self._attend(q, k, v, head_mask, return_attention_scores, training)
        output = ops.einsum("bqhd,hdo->bqo", attended, self.output_kernel)
        if self.use_bias:
            output = ops.add(output, self.output_bias)
        return (output, scores) if return_attention_scores else output

    def _call_over_axes(self, query, value, key, return_attention_scores, training):
        """Attention over `attention_axes` (jointly), the other non-batch axes acting as batch axes."""
        rank, axes = self._rank, self._attention_axes
        others = tuple(a for a in range(1, rank - 1) if a not in axes)
        order = (0,) + others + axes + (rank - 1, rank)  # after projection: (..., heads, dim)

        def to_sequences(x):
            x = ops.transpose(x, order)
            shape = ops.shape(x)
            batch = shape[0]
            for a in range(1, 1 + len(others)):
                batch = batch * shape[a]
            length = 1
            for a in range(1 + len(others), rank - 1):
                length = length * shape[a]
            return ops.reshape(x, (batch, length) + tuple(shape[-2:])), shape

        q, q_shape = to_sequences(self._project(query, self.query_kernel, self.query_bias))
        k, _ = to_sequences(self._project(key, self.key_kernel, self.key_bias))
        v, _ = to_sequences(self._project(value, self.value_kernel, self.value_bias))
        attended, scores = self._attend(q, k, v, None, return_attention_scores, training)
        attended = ops.reshape(attended, tuple(q_shape[:-1]) + (self.value_dim,))
        attended = ops.transpose(attended, tuple(int(i) for i in np.argsort(order)))
        output = ops.einsum("...hd,hdo->...o", attended, self.output_kernel)
        if self.use_bias:
            output = ops.add(output, self.output_bias)
        return (output, scores) if return_attention_scores else output

    def _attend(self, q, k, v, head_mask, return_attention_scores, training):
        """(B, T_q, H, k), (B, T_v, H, k), (B, T_v, H, v) -> (B, T_q, H, v) and the scores if asked for."""
        scale = 1.0 / math.sqrt(self.key_dim)
        dropout = training and self.dropout > 0
        scores = None
        if return_attention_scores or dropout:
            logits = ops.einsum("bqhk,bvhk->bhqv", q, k) * ops.cast(scale, q.dtype)
            if head_mask is not None:
                # Keras's convention: masked logits get a large negative number (fully masked rows -> uniform).
                logits = ops.where(head_mask, logits, ops.cast(-1e9 if q.dtype != "float16" else -6e4, q.dtype))
            scores = ops.softmax(logits, axis=-1)
            probs = keras.random.dropout(scores, self.dropout, seed=self.seed_generator) if dropout else scores
            attended = ops.einsum("bhqv,bvhd->bqhd", probs, v)
        else:
            attended = ops.dot_product_attention(q, k, v, mask=head_mask, scale=scale)
        return attended, scores

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape[:-1]) + (self.output_shape_ or query_shape[-1],)

    def compute_output_spec(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        out = keras.KerasTensor(self.compute_output_shape(query.shape), dtype=self.compute_dtype)
        if return_attention_scores and len(query.shape) > 3:
            return out, keras.KerasTensor((None, self.num_heads, None, None), dtype=self.compute_dtype)
        if return_attention_scores:
            scores = (query.shape[0], self.num_heads, query.shape[1], (query if value is None else value).shape[1])
            return out, keras.KerasTensor(scores, dtype=self.compute_dtype)
        return out

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "attention_axes", "kernel_initializer",
            "bias_initializer",
            "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
            "bias_constraint", "seed")))
        config["output_shape"] = self.output_shape_
        return config
