"""Spectral normalization (Miyato et al. 2018) as a wrapper, its gradient running through the normalization."""

import keras
from keras import ops

from keras_dlx.layers.normalization.wrapped_layer import build_wrapped
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

# Power iterations run when the wrapper is built, so that the first inference call already divides by a good
# estimate of sigma rather than by the norm along a random direction.
_BUILD_ITERATIONS = 10


def _normalize(x, epsilon):
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), epsilon)


@register
class SpectralNormalization(keras.layers.Wrapper):
    """Spectral normalization: the wrapped layer computes with `kernel / sigma(kernel)`.

    sigma(W) is the largest singular value of the kernel seen as a matrix W (every axis but the last one
    flattened into rows), estimated by power iteration with a persistent unit vector u (one iteration per training
    call is enough because W changes slowly):

        v = W u / ||W u||,   u <- W^T v / ||W^T v||   (`power_iterations` times, training only)
        sigma = ||W u||,     y = layer(x; W / sigma)

    which bounds the layer's Lipschitz constant and stabilises GAN discriminators (Miyato et al. 2018). u is a
    constant in the gradient, sigma is not: d/dW goes through W / sigma(W) as in the paper.

    What it adds to `keras.layers.SpectralNormalization` (Keras 3.15): Keras's wrapper assigns W / sigma to the
    kernel variable during training calls. On JAX, `fit` drops what a step assigns to trainable variables, so
    there the stored kernel is never normalized and `predict` runs with the raw kernel; under mixed precision
    the assignment rounds the float32 kernel to float16/bfloat16 on every step; and on TensorFlow the gradient
    skips sigma. Here the kernel variable is never written: only u is state. Because every layer with a `kernel`
    that this wraps (Dense, EinsumDense, Conv*D, Conv*DTranspose, keras_dlx's convolutions) is linear in its
    input, `layer(x; W / sigma) = layer(x / sigma; W)`: the wrapper divides the input, and the layer's bias,
    activation and arguments stay as they are. The power iteration runs in the kernel's dtype (float32 under
    mixed precision). Inference uses the stored u without updating it.

    Args:
        layer: a Keras layer with a `kernel` weight that is linear in its input (Dense, a convolution or a
            transposed convolution), built or not. A `dtype` given to the wrapper is passed on to a layer that is
            not built yet; otherwise the wrapper takes the layer's.
        power_iterations: positive int, power-iteration steps per training call. Defaults to 1.
        epsilon: positive float guarding the norms against zero. Defaults to 1e-12.

    Call arguments:
        inputs: the input tensor.
        training: bool; a training call updates u (then sigma) before normalizing.

    Input shape:
        That of the wrapped layer.

    Output shape:
        That of the wrapped layer.

    Example:

    >>> dense = keras_dlx.layers.SpectralNormalization(keras.layers.Dense(4))
    >>> tuple(dense(keras.ops.ones((2, 3)), training=True).shape)
    (2, 4)
    >>> kernel = keras.ops.convert_to_numpy(dense.layer.kernel)
    >>> round(float(dense.sigma() / np.linalg.svd(kernel, compute_uv=False)[0]), 4)  # sigma, against an SVD
    1.0

    Reference:
        - [Miyato et al. 2018, Spectral Normalization for Generative Adversarial Networks](https://arxiv.org/abs/1802.05957)
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        if not isinstance(layer, keras.layers.Layer):
            args.invalid("layer", layer, "a Keras layer with a `kernel` weight (Dense or a convolution)")
        if kwargs.get("dtype") is not None and not layer.built:
            layer.dtype_policy = keras.DTypePolicy(kwargs["dtype"]) if isinstance(kwargs["dtype"], str) \
                else kwargs["dtype"]
        kwargs["dtype"] = kwargs.get("dtype") or layer.dtype_policy
        # The kernel and u are read at their own (float32) dtype: the power iteration must not run in float16.
        kwargs["autocast"] = False
        super().__init__(layer, **kwargs)
        self.power_iterations = args.positive_int("power_iterations", power_iterations)
        self.epsilon = args.positive_float("epsilon", epsilon)

    def build(self, input_shape):
        kernel = build_wrapped(self, input_shape)
        self.vector_u = self.add_weight(name="vector_u", shape=(kernel.shape[-1],), dtype=kernel.dtype,
                                        initializer=keras.initializers.RandomNormal(seed=0), trainable=False,
                                        autocast=False, aggregation="mean")
        u = self.vector_u.value
        for _ in range(_BUILD_ITERATIONS):
            u = self._power_step(self._matrix(), u)
        self.vector_u.assign(u)

    def _matrix(self):
        kernel = self.layer.kernel
        return ops.reshape(kernel.value, (-1, kernel.shape[-1]))

    def _power_step(self, matrix, u):
        v = _normalize(ops.matmul(matrix, u), self.epsilon)
        return _normalize(ops.matmul(ops.transpose(matrix), v), self.epsilon)

    def sigma(self, training=False):
        """The estimate of the kernel's largest singular value; `training=True` also updates u."""
        matrix = self._matrix()
        u = self.vector_u.value
        if training:
            for _ in range(self.power_iterations):
                u = self._power_step(matrix, u)
            u = ops.stop_gradient(u)
            self.vector_u.assign(u)
        # u is kept unit-norm, but a u set by hand (set_weights) need not be.
        u = _normalize(u, self.epsilon)
        return ops.maximum(ops.sqrt(ops.sum(ops.square(ops.matmul(matrix, u)))), self.epsilon)

    def call(self, inputs, training=None):
        sigma = self.sigma(training=bool(training))
        return self.layer(inputs / ops.cast(sigma, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"power_iterations": self.power_iterations, "epsilon": self.epsilon})
        return config
