"""Multi-head attention with `keras.layers.MultiHeadAttention`'s interface, masks and weights."""

import math

import keras
import numpy as np
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

# Keras's masked softmax gives masked logits this value (logits are float32 here, 16-bit ones promoted first).
MASKED_LOGIT = -1e9


def _prod(dims):
    """The product of static ints and/or dynamic scalars."""
    result = 1
    for d in dims:
        result = result * d
    return result


def _compatible(a, b):
    """Whether two static shapes can be equal (None matches anything)."""
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


@register
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention (Vaswani et al. 2017), `keras.layers.MultiHeadAttention`'s interface and weights.

    Each head projects query, key and value, attends with scaled dot products and the heads' results are
    concatenated and projected:

        head_h = softmax(Q W_q^h (K W_k^h)^T / sqrt(key_dim) + mask) V W_v^h
        output = concat_h(head_h) W_o + b_o

    Masks follow Keras: `attention_mask` is boolean (True = may attend) of shape (B, T_q, T_v), or any shape
    that broadcasts to the scores (B, num_heads, T_q, T_v) once the missing axes are inserted before the query
    and key axes ((T_q, T_v), (1, T_q, T_v) and (B, num_heads, T_q, T_v) all work). It is combined with
    `use_causal_mask` and with the inputs' padding masks: the query's masks rows, the value's and key's mask
    columns (`query_mask`, `value_mask`, `key_mask`, which Keras fills in from masks the inputs carry, e.g.
    after `Embedding(mask_zero=True)`). As in Keras, a query row with nothing to attend to gets uniform weights,
    or zero weights when the scores are returned, `dropout > 0` or the inputs have rank > 3.

    When `query`, `key` and `value` are the same tensor (self-attention), the three projections are one matmul
    with the concatenated kernels. On TensorFlow the attention is written out (scaled query, `einsum`,
    `softmax`, `einsum`): its `keras.ops.dot_product_attention` is that same computation plus a scaling of the
    full (T_q x T_v) logits. Other backends call `keras.ops.dot_product_attention`, which has fused (flash)
    kernels there; returned scores, `dropout > 0`, inputs of rank > 3 and `value_dim != key_dim` take the
    written-out path.

    The weights have the shapes and order of `keras.layers.MultiHeadAttention`'s (query/key/value kernels
    (D, heads, key_dim) and biases (heads, key_dim), output kernel (heads, value_dim, D_out) and bias (D_out,)),
    so `load_keras_weights(keras_mha)` (or `set_weights(keras_mha.get_weights())`) gives the same outputs.

    What it adds to Keras's layer: `mha(x)` for self-attention, one fused QKV matmul, a faster TensorFlow train
    step (0.87x to 0.89x Keras's in `train_on_batch`, `benchmarks/attention.py`), `load_keras_weights`, and padding
    and 4D masks that combine axis by axis. Differences from `keras.layers.MultiHeadAttention`, on purpose:
        - `value` is optional: `mha(x)` is `mha(x, x)`, the padding mask of `x` masking both queries and values
          (Keras fills the `mask` argument from it).
        - An explicit `query_mask` argument is honoured (Keras's layer reads only the mask `query` carries).
        - A 4D `attention_mask` (B, num_heads, T_q, T_v) combines with padding and causal masks axis by axis
          (Keras combines them before inserting the heads axis, which fails or misaligns).
        - Under mixed precision, the softmax of the written-out path (returned scores, attention dropout) runs
          in float32, as Keras's fused path does (Keras's explicit path runs it in float16).
        - Symbolic `return_attention_scores` gives the scores' shape with T_v (Keras's gives T_q twice).
        - `output_shape` is an int (Keras also takes a tuple); there is no `sliding_window`, `flash_attention`
          or `use_gate`. Padding masks need 3D inputs and `use_causal_mask` attention over axis 1 (Keras
          accepts others and computes masks that do not match the scores).

    Args:
        num_heads: int, number of heads.
        key_dim: int, size of each head for query and key.
        value_dim: int, size of each head for value; defaults to `key_dim`.
        dropout: float in [0, 1), dropout on the attention probabilities. Defaults to 0.
        use_bias: bool. Defaults to True.
        output_shape: int, the output feature size; defaults to the query's.
        attention_axes: None, an int or a tuple of ints: the axes attended over, jointly; the other non-batch,
            non-feature axes act as batch axes. None attends over every axis but batch and features (Keras's
            semantics). Returned scores have Keras's layout (B, <other axes>, num_heads, <query attention axes>,
            <key attention axes>), the attention axes in the order given.
        kernel_initializer: as in `keras.layers.MultiHeadAttention`, and so are bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint and
            seed. Each weight gets its own copy of an initializer, so an unseeded one gives every weight (and every
            build) new values; a variance-scaling kernel initializer (Glorot, He, LeCun) counts fans over each
            kernel's input and output axes, as Keras's layer does, so initial weights have Keras's scale.

    Call arguments:
        query: (B, T_q, D_q). value: (B, T_v, D_v), optional, defaults to `query`. key: (B, T_v, D_k),
            optional, defaults to `value`; all its dimensions but the last must equal `value`'s.
        query_mask, value_mask, key_mask: boolean padding masks (B, T_q), (B, T_v), (B, T_v); Keras fills them
            from the inputs' masks.
        attention_mask: boolean, True = may attend; see above.
        return_attention_scores: bool, also return the attention probabilities.
        training: bool, attention dropout on or off.
        use_causal_mask: bool, query position i attends to key positions <= i.
        mask: the padding mask of `query` when it is the only tensor argument (Keras fills it in).

    Input shape:
        query (B, T_q, D_q), value (B, T_v, D_v), key (B, T_v, D_k); or higher rank with `attention_axes`.

    Output shape:
        (B, T_q, output_shape or D_q); with `return_attention_scores`, also the scores (B, num_heads, T_q, T_v).

    Example:

    >>> mha = keras_dlx.layers.MultiHeadAttention(num_heads=8, key_dim=64)
    >>> x = keras.random.normal((2, 128, 512))
    >>> tuple(mha(x, x, use_causal_mask=True).shape)
    (2, 128, 512)

    Reference:
        - [Vaswani et al. 2017, Attention Is All You Need](https://arxiv.org/abs/1706.03762)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, **kwargs):
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

    # Shapes ----------------------------------------------------------------------------------------------------

    def _check_inputs(self, query_shape, value_shape, key_shape):
        """Validate the three input shapes (Keras's key/value rule included); return the attention axes."""
        query_shape, value_shape, key_shape = tuple(query_shape), tuple(value_shape), tuple(key_shape)
        rank = len(query_shape)
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != rank or rank < 3 or shape[-1] is None:
                raise ValueError(f"Invalid input for layer '{self.name}': `{name}` must have rank >= 3 (batch, "
                                 f"..., features), the query's rank, and known features. "
                                 f"Received: input_shape={shape}")
        if not _compatible(value_shape[1:-1], key_shape[1:-1]):
            raise ValueError(f"Invalid inputs for layer '{self.name}': all dimensions of `value` and `key` but the "
                             f"batch and the last must be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        return self._axes(query_shape)

    def _axes(self, query_shape):
        """The attention axes as non-negative ints, in the order given (the order of the scores' axes)."""
        rank = len(query_shape)
        axes = tuple(range(1, rank - 1)) if self.attention_axes is None else self.attention_axes
        normalized = tuple(a % rank for a in axes if -rank <= a < rank)
        if len(normalized) != len(axes) or len(set(normalized)) != len(axes) or {0, rank - 1} & set(normalized):
            raise ValueError(
                f"Invalid `attention_axes` for layer '{self.name}': expected distinct axes of the rank-{rank} input "
                f"other than the batch (0) and features ({rank - 1}). Received: "
                f"attention_axes={self.attention_axes!r} for input_shape={tuple(query_shape)}")
        return normalized

    def _scores_shape(self, query_shape, key_shape):
        """Keras's scores layout: (B, <other axes>, num_heads, <query attention axes>, <key attention axes>)."""
        axes = self._axes(query_shape)
        others = tuple(query_shape[a] for a in range(1, len(query_shape) - 1) if a not in axes)
        return ((query_shape[0],) + others + (self.num_heads,) + tuple(query_shape[a] for a in axes)
                + tuple(key_shape[a] for a in axes))

    # Weights ---------------------------------------------------------------------------------------------------

    def _weight(self, name, shape, kind, fans=None):
        # An initializer copy per weight: one unseeded instance gives every same-shaped weight the same values.
        initializer = args.fresh_initializer(getattr(self, f"{kind}_initializer"))
        if fans is not None and isinstance(initializer, keras.initializers.VarianceScaling) and (
                initializer.input_axes is None or initializer.output_axes is None):
            # Fans over the kernel's input and output axes, as Keras's EinsumDense sets them (the default would
            # treat (D, heads, dim) as a convolution kernel). The copy keeps the fresh copy's seed.
            initializer = initializer.__class__.from_config({
                **initializer.get_config(), "seed": initializer.seed, "input_axes": fans[0], "output_axes": fans[1]})
        return self.add_weight(name=name, shape=shape, initializer=initializer,
                               regularizer=getattr(self, f"{kind}_regularizer"),
                               constraint=getattr(self, f"{kind}_constraint"))

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        self._attention_axes = self._check_inputs(query_shape, value_shape, key_shape)
        self._rank = len(query_shape)
        h, k, v = self.num_heads, self.key_dim, self.value_dim
        out = self.output_shape_ or query_shape[-1]
        projection, output = ([0], [1, 2]), ([0, 1], [2])  # (input axes, output axes) of the kernels
        self.query_kernel = self._weight("query_kernel", (query_shape[-1], h, k), "kernel", projection)
        self.query_bias = self._weight("query_bias", (h, k), "bias") if self.use_bias else None
        self.key_kernel = self._weight("key_kernel", (key_shape[-1], h, k), "kernel", projection)
        self.key_bias = self._weight("key_bias", (h, k), "bias") if self.use_bias else None
        self.value_kernel = self._weight("value_kernel", (value_shape[-1], h, v), "kernel", projection)
        self.value_bias = self._weight("value_bias", (h, v), "bias") if self.use_bias else None
        self.output_kernel = self._weight("output_kernel", (h, v, out), "kernel", output)
        self.output_bias = self._weight("output_bias", (out,), "bias") if self.use_bias else None

    def load_keras_weights(self, mha):
        """Copy the weights of a built `keras.layers.MultiHeadAttention` with the same shapes."""
        ours, theirs = [tuple(w.shape) for w in self.weights], [tuple(w.shape) for w in mha.weights]
        if ours != theirs:
            raise ValueError(f"Invalid `mha` for layer '{self.name}': expected a built "
                             f"keras.layers.MultiHeadAttention with weight shapes {ours}. Received: mha with "
                             f"weight shapes {theirs}")
        self.set_weights(mha.get_weights())

    # Projections -----------------------------------------------------------------------------------------------

    @staticmethod
    def _dense(x, kernel, bias):
        """(..., D) @ (D, N) + (N,) as one 2D matmul (TensorFlow's gradient of an `...` einsum is very slow)."""
        leading = tuple(ops.shape(x)[:-1])
        y = ops.matmul(ops.reshape(x, (-1, x.shape[-1])), kernel)
        if bias is not None:
            y = ops.add(y, bias)
        return ops.reshape(y, leading + (kernel.shape[-1],))

    def _project(self, x, kernel, bias):
        """(..., D) -> (..., heads, dim) with a (D, heads, dim) kernel."""
        d, heads, dim = kernel.shape
        y = self._dense(x, ops.reshape(kernel, (d, heads * dim)),
                        None if bias is None else ops.reshape(bias, (heads * dim,)))
        return ops.reshape(y, tuple(ops.shape(x)[:-1]) + (heads, dim))

    def _projections(self, query, value, key):
        if not (query is value and value is key):
            return (self._project(query, self.query_kernel, self.query_bias),
                    self._project(key, self.key_kernel, self.key_bias),
                    self._project(value, self.value_kernel, self.value_bias))
        # Self-attention: one matmul for Q, K and V, (..., D) @ (D, heads * (2 key_dim + value_dim)).
        h, k, v = self.num_heads, self.key_dim, self.value_dim
        d = query.shape[-1]
        kernel = ops.concatenate([ops.reshape(self.query_kernel, (d, h * k)), ops.reshape(self.key_kernel, (d, h * k)),
                                  ops.reshape(self.value_kernel, (d, h * v))], axis=-1)
        bias = None if not self.use_bias else ops.concatenate([
            ops.reshape(self.query_bias, (h * k,)), ops.reshape(self.key_bias, (h * k,)),
            ops.reshape(self.value_bias, (h * v,))])
        q, kk, vv = ops.split(self._dense(query, kernel, bias), [h * k, 2 * h * k], axis=-1)
        leading = tuple(ops.shape(query)[:-1])
        return (ops.reshape(q, leading + (h, k)), ops.reshape(kk, leading + (h, k)),
                ops.reshape(vv, leading + (h, v)))

    def _output(self, attended):
        """(..., heads, value_dim) -> (..., output features)."""
        h, v, out = self.output_kernel.shape
        return self._dense(ops.reshape(attended, tuple(ops.shape(attended)[:-2]) + (h * v,)),
                           ops.reshape(self.output_kernel, (h * v, out)), self.output_bias)

    # Masks -----------------------------------------------------------------------------------------------------

    def _scores_mask(self, query, value, key, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """One boolean mask that broadcasts to the scores (Keras's layout), or None.

        Keras's rules: the query's padding mask masks rows (B, T_q, 1), the value's and key's columns
        (B, 1, T_v), the causal mask is (1, T_q, T_v); a mask with fewer axes than the scores gets the missing
        axes inserted just before the query and key axes.
        """
        padding = [(m, axis) for m, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)) if m is not None]
        if padding and self._rank != 3:
            raise ValueError(f"Invalid call of layer '{self.name}': padding masks (query_mask, value_mask, key_mask "
                             f"or masks carried by the inputs) need 3D inputs. Received: query.shape={query.shape}")
        if use_causal_mask and self._attention_axes != (1,):
            raise ValueError(f"Invalid call of layer '{self.name}': use_causal_mask=True needs attention over axis 1. "
                             f"Received: attention_axes={self.attention_axes!r} for query.shape={query.shape}")
        masks = [("padding masks", ops.expand_dims(ops.cast(m, "bool"), axis)) for m, axis in padding]
        if use_causal_mask:
            rows, columns = ops.arange(ops.shape(query)[1]), ops.arange(ops.shape(value)[1])
            causal = ops.greater_equal(ops.expand_dims(rows, -1), columns)  # query i attends to keys j <= i
            masks.append(("use_causal_mask", ops.expand_dims(causal, 0)))
        if attention_mask is not None:
            masks.append(("attention_mask", ops.cast(attention_mask, "bool")))
        mask = None
        for name, m in masks:
            m = self._expand_mask(m, name, query, key)
            mask = m if mask is None else ops.logical_and(mask, m)
        return mask

    def _expand_mask(self, mask, name, query, key):
        scores = self._scores_shape(query.shape, key.shape)
        n, rank = len(self._attention_axes), len(mask.shape)
        if not 2 * n <= rank <= len(scores):
            raise ValueError(f"Invalid `{name}` for layer '{self.name}': expected {2 * n} to {len(scores)} axes "
                             f"that broadcast to the attention scores {scores}. Received: shape={tuple(mask.shape)}")
        at = rank - 2 * n  # Keras inserts the missing axes just before the query and key positions
        expanded = tuple(mask.shape[:at]) + (1,) * (len(scores) - rank) + tuple(mask.shape[at:])
        if not all(m in (None, 1) or s is None or m == s for m, s in zip(expanded, scores)):
            raise ValueError(f"Invalid `{name}` for layer '{self.name}': it must broadcast to the attention scores "
                             f"(batch, [other axes,] heads, query positions, key positions) = {scores} once axes "
                             f"are inserted before the query and key positions. Received: shape={tuple(mask.shape)}")
        for _ in range(len(scores) - rank):
            mask = ops.expand_dims(mask, at)
        return mask

    # Attention -------------------------------------------------------------------------------------------------

    def call(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False, mask=None):
        query_mask = mask if query_mask is None else query_mask
        if value is None:
            value = query
            value_mask = query_mask if value_mask is None else value_mask
        if key is None:
            key = value
        self._check_inputs(query.shape, value.shape, key.shape)
        if len(query.shape) != self._rank:
            raise ValueError(f"Invalid input for layer '{self.name}': the layer was built for rank-{self._rank} "
                             f"inputs. Received: query.shape={query.shape}")
        scores_mask = self._scores_mask(query, value, key, query_mask, value_mask, key_mask, attention_mask,
                                        use_causal_mask)
        q, k, v = self._projections(query, value, key)
        attend = self._attend if self._rank == 3 else self._attend_over_axes
        attended, scores = attend(q, k, v, scores_mask, return_attention_scores, training)
        output = self._output(attended)
        return (output, scores) if return_attention_scores else output

    def _attend_over_axes(self, q, k, v, scores_mask, return_attention_scores, training):
        """Attention over `attention_axes` jointly, the other non-batch axes acting as batch axes: the projected
        tensors become sequences (B * other axes, positions, heads, dim) and back."""
        rank, axes = self._rank, self._attention_axes
        others = tuple(a for a in range(1, rank - 1) if a not in axes)
        order = (0,) + others + axes + (rank - 1, rank)
        split = 1 + len(others)

        def to_sequences(x):
            x = ops.transpose(x, order)
            shape = tuple(ops.shape(x))
            return ops.reshape(x, (_prod(shape[:split]), _prod(shape[split:-2])) + shape[-2:]), shape

        (q, q_shape), (k, k_shape), (v, _) = to_sequences(q), to_sequences(k), to_sequences(v)
        batch, query_positions, key_positions = q_shape[:split], q_shape[split:-2], k_shape[split:-2]
        scores_shape = batch + (self.num_heads,) + query_positions + key_positions
        if scores_mask is not None:
            scores_mask = ops.reshape(ops.broadcast_to(scores_mask, scores_shape), (
                _prod(batch), self.num_heads, _prod(query_positions), _prod(key_positions)))
        attended, scores = self._attend(q, k, v, scores_mask, return_attention_scores, training)
        attended = ops.reshape(attended, q_shape[:-1] + (self.value_dim,))
        attended = ops.transpose(attended, tuple(int(i) for i in np.argsort(order)))
        return attended, None if scores is None else ops.reshape(scores, scores_shape)

    def _attend(self, q, k, v, mask, return_attention_scores, training):
        """(B, T_q, H, k), (B, T_v, H, k), (B, T_v, H, v) and a mask that broadcasts to (B, H, T_q, T_v) ->
        (B, T_q, H, v), and the scores (B, H, T_q, T_v) or None."""
        # Scale the queries, not the logits: H * T_q * key_dim multiplies instead of H * T_q * T_v, both ways.
        q = ops.multiply(q, ops.cast(1.0 / math.sqrt(self.key_dim), q.dtype))
        dropout = bool(training) and self.dropout > 0
        # Keras's layer takes its explicit softmax, which gives rows with nothing to attend to zero weights
        # (its fused path gives them uniform ones), for returned scores, dropout > 0 and inputs of rank > 3.
        explicit = return_attention_scores or self.dropout > 0 or self._rank > 3
        if not explicit and keras.backend.backend() != "tensorflow" and self.value_dim == self.key_dim:
            # (JAX's kernel needs value heads as wide as key heads.)
            return ops.dot_product_attention(q, k, v, mask=mask, scale=1.0), None
        logits = ops.einsum("bqhk,bvhk->bhqv", q, k)
        dtype = keras.backend.standardize_dtype(logits.dtype)
        if dtype in ("float16", "bfloat16"):
            logits = ops.cast(logits, "float32")  # softmax in float32, as keras.ops.dot_product_attention does
        if mask is not None:
            logits = ops.where(mask, logits, ops.cast(MASKED_LOGIT, logits.dtype))
        probs = ops.softmax(logits, axis=-1)
        if mask is not None and explicit:
            probs = ops.where(mask, probs, ops.zeros((), probs.dtype))
        probs = ops.cast(probs, dtype)
        scores = probs if return_attention_scores else None
        if dropout:
            probs = keras.random.dropout(probs, self.dropout, seed=self.seed_generator)
        return ops.einsum("bhqv,bvhd->bqhd", probs, v), scores

    # Shapes and config -----------------------------------------------------------------------------------------

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        self._check_inputs(query_shape, value_shape, value_shape if key_shape is None else key_shape)
        return tuple(query_shape[:-1]) + (self.output_shape_ or query_shape[-1],)

    def compute_output_spec(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False, mask=None):
        value = query if value is None else value
        key = value if key is None else key
        out = keras.KerasTensor(self.compute_output_shape(query.shape, value.shape, key.shape),
                                dtype=self.compute_dtype)
        if return_attention_scores:
            return out, keras.KerasTensor(self._scores_shape(query.shape, key.shape), dtype=self.compute_dtype)
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
