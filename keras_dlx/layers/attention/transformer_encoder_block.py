"""A Transformer encoder block: multi-head self-attention and an MLP, with residuals and layer norms."""

import keras

from keras_dlx.layers.attention.multi_head_attention import MultiHeadAttention
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class TransformerEncoderBlock(keras.layers.Layer):
    """Transformer encoder block (Vaswani et al. 2017), pre-norm (default) or post-norm.

        pre-norm  (norm_first=True):  x = x + drop(MHA(LN(x)));   y = x + drop(MLP(LN(x)))
        post-norm (norm_first=False): x = LN(x + drop(MHA(x)));   y = LN(x + drop(MLP(x)))

    with `MLP(x) = Dense(D)(drop(act(Dense(mlp_dim)(x))))`. Pre-norm (as in ViT and GPT-2) trains stably
    without warm-up; post-norm is the original paper's.

    Args:
        num_heads: int, attention heads.
        mlp_dim: int, width of the MLP's hidden layer.
        key_dim: int, size of each head; defaults to `features // num_heads`.
        dropout: float in [0, 1), on the attention and MLP outputs before each residual. Defaults to 0.
        attention_dropout: float in [0, 1), on the attention probabilities. Defaults to 0.
        activation: of the MLP. Defaults to `"gelu"`.
        norm_first: bool, pre-norm (True) or post-norm (False). Defaults to True.
        epsilon: of the layer norms. Defaults to 1e-6 (ViT).
        kernel_initializer: of every projection. Defaults to `"glorot_uniform"`. Each kernel gets its own copy,
            so an unseeded initializer gives every kernel (and every build) new values.

    Call arguments:
        inputs: (batch, tokens, features).
        attention_mask: boolean, True = may attend, any shape `MultiHeadAttention` accepts ((batch, tokens,
            tokens), (tokens, tokens), (batch, num_heads, tokens, tokens), ...).
        use_causal_mask: bool. training: bool.
        mask: boolean (batch, tokens) padding mask; Keras fills it from the input's mask (e.g. after
            `Embedding(mask_zero=True)`). Padded tokens are masked as queries and as keys, as
            `keras.layers.MultiHeadAttention(x, x)` does; the output carries the same mask.

    Input shape:
        3D tensor (batch, tokens, features).

    Output shape:
        Same as the input.

    Example:

    >>> block = keras_dlx.layers.TransformerEncoderBlock(num_heads=8, mlp_dim=2048)
    >>> tuple(block(keras.random.normal((2, 16, 512))).shape)
    (2, 16, 512)

    Reference:
        - [Vaswani et al. 2017, Attention Is All You Need](https://arxiv.org/abs/1706.03762)
        - [Xiong et al. 2020, On Layer Normalization in the Transformer Architecture](https://arxiv.org/abs/2002.04745)
    """

    def __init__(self, num_heads, mlp_dim, key_dim=None, dropout=0.0, attention_dropout=0.0, activation="gelu",
                 norm_first=True, epsilon=1e-6, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.num_heads = args.positive_int("num_heads", num_heads)
        self.mlp_dim = args.positive_int("mlp_dim", mlp_dim)
        self.key_dim = None if key_dim is None else args.positive_int("key_dim", key_dim)
        self.dropout = args.unit_interval("dropout", dropout)
        self.attention_dropout = args.unit_interval("attention_dropout", attention_dropout)
        self.activation = args.activation("activation", activation)
        self.norm_first = args.boolean("norm_first", norm_first)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.kernel_initializer = args.initializer("kernel_initializer", kernel_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"Invalid input for layer '{self.name}': expected (batch, tokens, features) with "
                             f"known features. Received: input_shape={tuple(input_shape)}")
        features = input_shape[-1]
        key_dim = self.key_dim or features // self.num_heads
        if key_dim < 1:
            args.invalid("num_heads", self.num_heads, f"at most the {features} features when key_dim is None")
        policy = self.dtype_policy
        # Each sublayer gets its own initializer copy: a shared unseeded one gives same-shaped kernels equal values.
        fresh = args.fresh_initializer
        self.attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.attention_dropout,
                                            kernel_initializer=fresh(self.kernel_initializer), dtype=policy,
                                            name="attention")
        self.attention_norm = keras.layers.LayerNormalization(epsilon=self.epsilon, dtype=policy,
                                                              name="attention_norm")
        self.mlp_norm = keras.layers.LayerNormalization(epsilon=self.epsilon, dtype=policy, name="mlp_norm")
        self.mlp_in = keras.layers.Dense(self.mlp_dim, activation=self.activation,
                                         kernel_initializer=fresh(self.kernel_initializer), dtype=policy,
                                         name="mlp_in")
        self.mlp_out = keras.layers.Dense(features, kernel_initializer=fresh(self.kernel_initializer), dtype=policy,
                                          name="mlp_out")
        self.drop = keras.layers.Dropout(self.dropout, dtype=policy, name="dropout")
        shape = tuple(input_shape)
        self.attention.build(shape)
        self.attention_norm.build(shape)
        self.mlp_norm.build(shape)
        self.mlp_in.build(shape)
        self.mlp_out.build(shape[:-1] + (self.mlp_dim,))

    def _mlp(self, x, training):
        return self.drop(self.mlp_out(self.drop(self.mlp_in(x), training=training)), training=training)

    def call(self, inputs, attention_mask=None, use_causal_mask=False, training=None, mask=None):
        def attend(x):
            y = self.attention(x, attention_mask=attention_mask, use_causal_mask=use_causal_mask, training=training,
                               mask=mask)
            return self.drop(y, training=training)

        x = inputs
        if self.norm_first:
            x = x + attend(self.attention_norm(x))
            return x + self._mlp(self.mlp_norm(x), training)
        x = self.attention_norm(x + attend(x))
        return self.mlp_norm(x + self._mlp(x, training))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "num_heads", "mlp_dim", "key_dim", "dropout", "attention_dropout", "activation", "norm_first", "epsilon",
            "kernel_initializer")))
        return config
