"""The reparameterisation trick of variational autoencoders: a Gaussian sample that gradients flow through."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class Sampling(keras.layers.Layer):
    """Draws z ~ N(mean, exp(log_var)) as a differentiable function of mean and log_var (Kingma & Welling).

        z = mean + exp(log_var / 2) * eps,   eps ~ N(0, I)

    The noise is the only random part, so the gradients of a loss of z reach `mean` and `log_var`: the
    reparameterisation trick. A fresh `eps` is drawn at every call, in training and inference alike (a VAE's
    encoder samples whenever it is asked to); `keras_dlx.applications.VAE` uses the mean itself where it wants a
    deterministic code.

    Args:
        seed: None or an integer for the draws (Keras's random stream). Defaults to None.

    Input shape:
        A list `[mean, log_var]` of two tensors of the same shape, e.g. (batch, latent_dim).

    Output shape:
        The shape of `mean`.

    Example:

    >>> z = keras_dlx.layers.Sampling(seed=0)([np.zeros((4, 2)), np.full((4, 2), -200.0)])
    >>> np.abs(keras.ops.convert_to_numpy(z)).max() < 1e-20
    np.True_

    Reference:
        - [Kingma & Welling 2014, Auto-Encoding Variational Bayes](https://arxiv.org/abs/1312.6114)
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = args.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not all(
                isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"Invalid input for layer '{self.name}': expected a list [mean, log_var] of two "
                             f"tensors. Received: input_shape={input_shape}")
        mean, log_var = (tuple(s) for s in input_shape)
        if len(mean) != len(log_var) or any(a is not None and b is not None and a != b
                                            for a, b in zip(mean, log_var)):
            raise ValueError(f"Invalid input for layer '{self.name}': mean and log_var must have the same shape. "
                             f"Received: input_shape={[mean, log_var]}")

    def call(self, inputs):
        mean, log_var = inputs
        noise = keras.random.normal(ops.shape(mean), dtype=self.compute_dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
