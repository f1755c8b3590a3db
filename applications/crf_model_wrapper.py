"""A keras.Model that puts a CRF on top of a base model and trains it on the CRF's negative log-likelihood."""

import keras
from keras import ops

from keras_dlx.layers.sequence import CRF
from keras_dlx.ops.crf import crf_log_likelihood
from keras_dlx.utils.registration import register


@register
class CRFModelWrapper(keras.Model):
    """A model `base_model -> CRF` whose training loss is the CRF's negative log-likelihood of the true tags.

        loss = mean_b( -sample_weight_b * log p(tags_b | potentials_b) ) + sum(model.losses)

    Calling the model returns the Viterbi-decoded tags (what `predict` gives and compiled metrics see);
    `return_crf_internal=True` returns `((potentials, sequence_length, chain_kernel), decoded)`. `fit` and
    `evaluate` take integer tags `(batch, steps)` as targets and need no `loss` in `compile`: the loss is computed
    in `compute_loss`, so the same model trains on every backend (TensorFlow, JAX, PyTorch). Same arguments as
    the `CRFModelWrapper` of TensorFlow Addons' CRF tutorial (`tfa.text.CRFModelWrapper`); difference: the loss
    runs the model once more in `compute_loss` (Keras's trainers hand it only the decoded tags), and masks reach
    the CRF from the base model's output where the backend carries Keras masks on tensors, or through `mask=`.

    Args:
        base_model: a Keras model (or layer) mapping the inputs to (batch, steps, features).
        units: positive int, the number of tags.
        chain_initializer: initializer of the CRF's transition matrix. Defaults to "orthogonal".
        use_boundary: bool, learn start and end potentials. Defaults to True.
        boundary_initializer: initializer of the boundary vectors. Defaults to "zeros".
        use_kernel: bool, project the base model's features to the tag potentials. Defaults to True.
        **kwargs: other `CRF` layer arguments (e.g. `name` or `dtype` of the CRF layer).

    Example:

    >>> base = keras.Sequential([keras.Input((6,)), keras.layers.Embedding(10, 8),
    ...                          keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))])
    >>> model = applications.CRFModelWrapper(base, units=3)
    >>> model.compile(optimizer="adam")
    >>> x, y = np.random.randint(0, 10, (4, 6)), np.random.randint(0, 3, (4, 6))
    >>> history = model.fit(x, y, epochs=1, verbose=0)
    >>> tuple(model.predict(x, verbose=0).shape)
    (4, 6)

    Reference:
        - [Lafferty et al. 2001, Conditional Random Fields](https://repository.upenn.edu/cis_papers/159/)
    """

    def __init__(self, base_model, units, chain_initializer="orthogonal", use_boundary=True,
                 boundary_initializer="zeros", use_kernel=True, **kwargs):
        model_kwargs = {key: kwargs.pop(key) for key in ("trainable",) if key in kwargs}
        super().__init__(**model_kwargs)
        if not isinstance(base_model, keras.layers.Layer):
            raise ValueError(f"Invalid `base_model`: expected a Keras model or layer. Received: "
                             f"base_model={base_model!r}")
        self.base_model = base_model
        self.crf_layer = CRF(units=units, chain_initializer=chain_initializer, use_boundary=use_boundary,
                             boundary_initializer=boundary_initializer, use_kernel=use_kernel, **kwargs)

    def call(self, inputs, training=None, mask=None, return_crf_internal=False):
        features = self.base_model(inputs, training=training)
        decoded, potentials, sequence_length, chain_kernel = self.crf_layer(features, mask=mask)
        if return_crf_internal:
            return (potentials, sequence_length, chain_kernel), decoded
        return decoded

    def crf_loss(self, potentials, sequence_length, chain_kernel, y, sample_weight=None):
        """Mean over the batch of the (sample-weighted) negative log-likelihood of the tags `y`, in float32."""
        log_likelihood, _ = crf_log_likelihood(ops.cast(potentials, "float32"), y, sequence_length,
                                               ops.cast(chain_kernel, "float32"))
        loss = -log_likelihood
        if sample_weight is not None:
            loss = loss * ops.cast(ops.reshape(sample_weight, (-1,)), loss.dtype)
        return ops.mean(loss)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        (potentials, sequence_length, chain_kernel), _ = self(x, training=training, return_crf_internal=True)
        loss = self.crf_loss(potentials, sequence_length, chain_kernel, y, sample_weight)
        if self.losses:
            loss = loss + ops.cast(ops.sum(ops.stack([ops.cast(v, "float32") for v in self.losses])), "float32")
        return loss

    def get_config(self):
        config = self.crf_layer.get_config()
        for key in ("name", "trainable", "dtype"):
            config.pop(key, None)
        return {"base_model": keras.saving.serialize_keras_object(self.base_model), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        base_model = keras.saving.deserialize_keras_object(config.pop("base_model"))
        return cls(base_model=base_model, **config)
