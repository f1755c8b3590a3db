"""NoisyDense: a dense layer with learned Gaussian noise on its weights, for exploration in RL."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def _signed_sqrt(x):
    return ops.sign(x) * ops.sqrt(ops.abs(x))


@register
class NoisyDense(keras.layers.Layer):
    """Dense layer with parametric weight noise (Fortunato et al. 2018, NoisyNet).

        y = activation(x (mu_W + sigma_W * eps_W) + mu_b + sigma_b * eps_b)

    `mu` and `sigma` are learned; the noise `eps` is held in non-trainable weights `eps_kernel`, `eps_bias`
    and changes only when `reset_noise()` is called (and once when the layer is built), in training and in
    inference alike, as in TensorFlow Addons' `tfa.layers.NoisyDense`. `remove_noise()` sets it to zero, which
    leaves the mean network. Factorised noise (`use_factorised=True`) draws `p` input and `q` output variables:
    `eps_W = f(e_in) f(e_out)^T`, `eps_b = f(e_out)`, `f(e) = sign(e) sqrt(|e|)`, `e ~ N(0, 1)`, and starts
    `mu ~ U(-1/sqrt(p), 1/sqrt(p))`, `sigma = sigma0 / sqrt(p)`; independent noise draws every `eps` from
    N(0, 1) and starts `mu ~ U(-sqrt(3/p), sqrt(3/p))`, `sigma = 0.017`. Same arguments, weights and
    initialisation as Addons; the noise comes from Keras's random stream (`seed`), so its draws differ from
    Addons'. To use given noise, assign it: `layer.eps_kernel.assign(...)`, `layer.eps_bias.assign(...)`.

    Args:
        units: positive integer, the output size.
        sigma: the initial noise scale `sigma0` of factorised noise, in [0, 1]. Defaults to 0.5.
        use_factorised: bool, factorised (True) or independent (False) Gaussian noise. Defaults to True.
        activation: activation of the output. Defaults to None (linear).
        use_bias: bool, add the noisy bias. Defaults to True.
        kernel_regularizer: for `mu_kernel` and `sigma_kernel`, and so is bias_regularizer for `mu_bias` and
            `sigma_bias`. Defaults to None.
        activity_regularizer: for the output. Defaults to None.
        kernel_constraint: for `mu_kernel` and `sigma_kernel`, and so is bias_constraint for the biases.
            Defaults to None.
        seed: None or an integer, for the noise (an addition to Addons' arguments). Defaults to None.

    Input shape:
        `(batch_size, ..., input_dim)`, `input_dim` known.

    Output shape:
        `(batch_size, ..., units)`.

    Example:

    >>> layer = keras_dlx.layers.NoisyDense(4, seed=1)
    >>> x = np.ones((2, 3), "float32")
    >>> tuple(layer(x).shape)
    (2, 4)
    >>> layer.remove_noise()
    >>> mean = np.ones((2, 3)) @ keras.ops.convert_to_numpy(layer.mu_kernel)
    >>> bool(np.allclose(keras.ops.convert_to_numpy(layer(x)), mean + keras.ops.convert_to_numpy(layer.mu_bias)))
    True

    Reference:
        - [Fortunato et al. 2018, Noisy Networks for Exploration](https://arxiv.org/abs/1706.10295)
    """

    def __init__(self, units, sigma=0.5, use_factorised=True, activation=None, use_bias=True,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, **kwargs):
        activity_regularizer = args.regularizer("activity_regularizer", activity_regularizer)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = args.positive_int("units", units)
        self.sigma = args.unit_interval("sigma", sigma, closed_right=True)
        self.use_factorised = args.boolean("use_factorised", use_factorised)
        self.use_bias = args.boolean("use_bias", use_bias)
        args.keras_objects(self, activation=activation, kernel_regularizer=kernel_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           bias_constraint=bias_constraint)
        self.seed = args.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 2 whose last "
                             f"axis is known. Received: input_shape={tuple(input_shape)}")
        self.input_dim = int(input_shape[-1])
        if self.use_factorised:
            mu_range, sigma_init = self.input_dim ** -0.5, self.sigma * self.input_dim ** -0.5
        else:
            mu_range, sigma_init = (3.0 / self.input_dim) ** 0.5, 0.017
        kernel_shape, bias_shape = (self.input_dim, self.units), (self.units,)
        # Each weight gets its own initializer: one unseeded instance returns the same values at every call.
        self.sigma_kernel = self._learned("sigma_kernel", kernel_shape, keras.initializers.Constant(sigma_init))
        self.mu_kernel = self._learned("mu_kernel", kernel_shape, keras.initializers.RandomUniform(-mu_range,
                                                                                                  mu_range))
        self.eps_kernel = self.add_weight(name="eps_kernel", shape=kernel_shape, initializer="zeros",
                                          trainable=False)
        self.sigma_bias = self.mu_bias = self.eps_bias = None
        if self.use_bias:
            self.sigma_bias = self._learned("sigma_bias", bias_shape, keras.initializers.Constant(sigma_init), True)
            self.mu_bias = self._learned("mu_bias", bias_shape, keras.initializers.RandomUniform(-mu_range, mu_range),
                                         True)
            self.eps_bias = self.add_weight(name="eps_bias", shape=bias_shape, initializer="zeros", trainable=False)
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: self.input_dim})
        self.reset_noise()

    def _learned(self, name, shape, initializer, bias=False):
        prefix = "bias" if bias else "kernel"
        return self.add_weight(name=name, shape=shape, initializer=initializer,
                               regularizer=getattr(self, f"{prefix}_regularizer"),
                               constraint=getattr(self, f"{prefix}_constraint"))

    @property
    def kernel(self):
        """The noisy kernel `mu_kernel + sigma_kernel * eps_kernel`."""
        return self.mu_kernel + self.sigma_kernel * self.eps_kernel

    @property
    def bias(self):
        """The noisy bias `mu_bias + sigma_bias * eps_bias`, or None without `use_bias`."""
        if not self.use_bias:
            return None
        return self.mu_bias + self.sigma_bias * self.eps_bias

    def reset_noise(self):
        """Draw new noise into `eps_kernel` and `eps_bias`."""
        dtype = self.eps_kernel.dtype
        if self.use_factorised:
            noise_in = _signed_sqrt(keras.random.normal((self.input_dim, 1), dtype=dtype, seed=self.seed_generator))
            noise_out = _signed_sqrt(keras.random.normal((1, self.units), dtype=dtype, seed=self.seed_generator))
            self.eps_kernel.assign(noise_in * noise_out)
            if self.use_bias:
                self.eps_bias.assign(noise_out[0])
        else:
            self.eps_kernel.assign(keras.random.normal(self.eps_kernel.shape, dtype=dtype, seed=self.seed_generator))
            if self.use_bias:
                self.eps_bias.assign(keras.random.normal(self.eps_bias.shape, dtype=dtype, seed=self.seed_generator))

    def remove_noise(self):
        """Set the noise to zero: the layer computes the mean network `x mu_kernel + mu_bias`."""
        self.eps_kernel.assign(ops.zeros(self.eps_kernel.shape, self.eps_kernel.dtype))
        if self.use_bias:
            self.eps_bias.assign(ops.zeros(self.eps_bias.shape, self.eps_bias.dtype))

    def call(self, inputs):
        kernel = ops.cast(self.kernel, self.compute_dtype)
        outputs = ops.matmul(ops.cast(inputs, self.compute_dtype), kernel)
        if self.use_bias:
            outputs = outputs + ops.cast(self.bias, self.compute_dtype)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "units", "sigma", "use_factorised", "activation", "use_bias", "kernel_regularizer", "bias_regularizer",
            "kernel_constraint", "bias_constraint", "seed")))
        config["activity_regularizer"] = keras.regularizers.serialize(self.activity_regularizer)
        return config
