"""EmbeddingBag: the sum or mean of the embeddings of a bag of indices."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class EmbeddingBag(keras.layers.Layer):
    """Embeddings of bags of indices, reduced over each bag (PyTorch's `EmbeddingBag`).

        sum:   y[b] = sum_l w[b, l] * E[indices[b, l]]
        mean:  y[b] = (1 / L) * sum_l E[indices[b, l]]

    The last axis of `indices` (length `L`) is one bag. Same arguments, weight (`embeddings`) and values as
    TensorFlow Addons' `tfa.layers.EmbeddingBag`: optional per-index `weights` (default 1) only with
    `combiner="sum"`, and `mask_zero` only declares mask support, as there: index 0 is embedded and summed like
    any other, and the output carries no mask (the masked axis is the one reduced). Addons fused the gather and
    the sum in a custom kernel; this layer gathers with `keras.ops.take` and then reduces, so it holds the
    `(..., L, output_dim)` gathered embeddings in memory.

    Args:
        input_dim: size of the vocabulary, a positive integer.
        output_dim: size of each embedding, a positive integer.
        embeddings_initializer: for the `(input_dim, output_dim)` embeddings. Defaults to "uniform".
        embeddings_regularizer: for the embeddings, and so is embeddings_constraint. Defaults to None.
        mask_zero: bool, kept from Addons (see above). Defaults to False.
        combiner: "sum" or "mean" over each bag. Defaults to "sum".

    Call arguments:
        indices: integer tensor of shape `(batch_size, ..., L)`, values in `[0, input_dim)`.
        weights: optional float tensor of the shape of `indices`, one weight per index (`combiner="sum"`).

    Input shape:
        `indices` of rank >= 2, `(batch_size, ..., L)`.

    Output shape:
        `(batch_size, ..., output_dim)`.

    Example:

    >>> layer = keras_dlx.layers.EmbeddingBag(input_dim=10, output_dim=4)
    >>> tuple(layer(np.array([[1, 2, 3], [4, 5, 6]])).shape)
    (2, 4)

    Reference:
        - [PyTorch `torch.nn.EmbeddingBag`](https://pytorch.org/docs/stable/generated/torch.nn.EmbeddingBag.html)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, combiner="sum", **kwargs):
        super().__init__(**kwargs)
        self.input_dim = args.positive_int("input_dim", input_dim)
        self.output_dim = args.positive_int("output_dim", output_dim)
        args.keras_objects(self, embeddings_initializer=embeddings_initializer,
                           embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint)
        self.mask_zero = args.boolean("mask_zero", mask_zero)
        self.combiner = args.one_of("combiner", combiner, ("sum", "mean"))
        self.supports_masking = self.mask_zero

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Invalid input for layer '{self.name}': expected indices of rank >= 2, "
                             f"(batch_size, ..., bag length). Received: input_shape={tuple(input_shape)}")
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.input_dim, self.output_dim),
            initializer=args.fresh_initializer(self.embeddings_initializer),
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint)

    def call(self, indices, weights=None):
        if not keras.backend.is_int_dtype(keras.backend.standardize_dtype(indices.dtype)):
            indices = ops.cast(indices, "int32")
        embeddings = ops.cast(self.embeddings, self.compute_dtype)
        gathered = ops.take(embeddings, indices, axis=0)
        if weights is not None:
            if self.combiner != "sum":
                raise ValueError(f"Invalid input for layer '{self.name}': per-index `weights` need "
                                 f"combiner='sum'. Received: combiner={self.combiner!r}")
            gathered = gathered * ops.expand_dims(ops.cast(weights, self.compute_dtype), -1)
        if self.combiner == "sum":
            return ops.sum(gathered, axis=-2)
        return ops.mean(gathered, axis=-2)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer", "embeddings_constraint",
            "mask_zero", "combiner")))
        return config
