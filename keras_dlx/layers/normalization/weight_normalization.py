"""Weight normalization (Salimans & Kingma 2016) as a wrapper for Dense and convolution layers."""

import keras
from keras import ops

from keras_dlx.layers.normalization.wrapped_layer import build_wrapped
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


def _output_axis(layer):
    # Transposed convolutions store kernels as spatial + (filters, in_channels); the rest as (..., in, out).
    return -2 if hasattr(layer, "output_padding") else -1


@register
class WeightNormalization(keras.layers.Wrapper):
    """Weight normalization: reparameterize a layer's kernel as `g * v / ||v||`, one norm per output unit.

    The wrapped layer's `kernel` becomes the direction `v`; a new weight `g` (one per output unit or filter)
    carries its length, so that

        kernel = g * v / ||v||        (norm over every kernel axis except the output one)

    which decouples the length of each weight vector from its direction and speeds up SGD (Salimans & Kingma
    2016). The wrapped layer keeps its own bias, activation and arguments; it runs through `stateless_call` with
    the computed kernel in place of `v`, so any layer with a `kernel` works: `keras.layers.Dense`,
    `Conv1D/2D/3D`, `Conv*DTranspose` and keras_dlx's convolutions.

    With `data_init=True`, the first call in training mode sets `g` and the bias from that batch (the paper's
    data-dependent initialization): with t the pre-activation computed with `g = 1` and zero bias, and mu, sigma
    its mean and standard deviation per output unit, `g = 1 / sigma` and `bias = -mu / sigma`, so the
    pre-activations of the first batch have zero mean and unit variance. On JAX, `fit` keeps only the
    non-trainable state a step assigns, not `g` or the bias: there, call the layer once on a batch with
    `training=True` before `fit`. Otherwise `g` starts at `||v||`, so the wrapped layer initially computes
    exactly what it computed before wrapping.

    `bake()` returns a plain copy of the wrapped layer with `g * v / ||v||` as its kernel, for inference (what
    PyTorch calls `remove_weight_norm`). The weights are named `g` and `kernel` (`v`), as in TensorFlow Addons.

    Args:
        layer: a Keras layer with a `kernel` weight (Dense or a convolution), built or not. A `dtype` given to
            the wrapper is passed on to a layer that is not built yet; otherwise the wrapper takes the layer's.
        data_init: bool, data-dependent initialization on the first training batch. Defaults to False.

    Call arguments:
        inputs: the input tensor.
        training: bool; the first training call with `data_init=True` sets `g` (and the bias) from the
            batch; passed on to the wrapped layer.

    Input shape:
        That of the wrapped layer.

    Output shape:
        That of the wrapped layer.

    Example:

    >>> dense = keras_dlx.layers.WeightNormalization(keras.layers.Dense(10), data_init=True)
    >>> tuple(dense(keras.random.normal((4, 3)), training=True).shape)
    (4, 10)
    >>> plain = dense.bake()  # a keras.layers.Dense computing the same function

    Reference:
        - [Salimans & Kingma 2016, Weight Normalization](https://arxiv.org/abs/1602.07868)
    """

    def __init__(self, layer, data_init=False, **kwargs):
        if not isinstance(layer, keras.layers.Layer):
            args.invalid("layer", layer, "a Keras layer with a `kernel` weight (Dense or a convolution)")
        if kwargs.get("dtype") is not None and not layer.built:
            # An explicit policy (e.g. mixed precision) applies to the whole wrapped computation.
            layer.dtype_policy = keras.DTypePolicy(kwargs["dtype"]) if isinstance(kwargs["dtype"], str) \
                else kwargs["dtype"]
        kwargs["dtype"] = kwargs.get("dtype") or layer.dtype_policy
        super().__init__(layer, **kwargs)
        self.data_init = args.boolean("data_init", data_init)

    def build(self, input_shape):
        kernel = build_wrapped(self, input_shape)
        axis = _output_axis(self.layer) % len(kernel.shape)
        self._norm_axes = tuple(i for i in range(len(kernel.shape)) if i != axis)
        self._g_shape = [1] * len(kernel.shape)
        self._g_shape[axis] = kernel.shape[axis]
        norm = ops.sqrt(ops.sum(ops.square(kernel), axis=self._norm_axes))
        self.g = self.add_weight(name="g", shape=(kernel.shape[axis],), initializer="ones")
        self.g.assign(ops.cast(norm, self.g.dtype))
        self.initialized = self.add_weight(name="initialized", shape=(), initializer="zeros", trainable=False,
                                           dtype="bool", autocast=False)
        self.initialized.assign(not self.data_init)

    def normalized_kernel(self, g=None):
        """`g * v / ||v||`, in float32 at least (float64 stays float64)."""
        # Not result_type(kernel dtype, "float32"): off TensorFlow Keras maps its float64 result to float32.
        dtype = "float64" if keras.backend.standardize_dtype(self.layer.kernel.dtype) == "float64" else "float32"
        v = ops.cast(self.layer.kernel, dtype)
        g = ops.cast(self.g if g is None else g, dtype)
        norm = ops.sqrt(ops.sum(ops.square(v), axis=self._norm_axes, keepdims=True))
        return ops.reshape(g, self._g_shape) * v / ops.maximum(norm, 1e-12)

    def _inner_call(self, inputs, kernel, zero_bias=False, **kwargs):
        layer = self.layer
        bias = getattr(layer, "bias", None)
        trainable = []
        for v in layer.trainable_variables:
            if v is layer.kernel:
                trainable.append(kernel)
            elif zero_bias and bias is not None and v is bias:
                trainable.append(ops.zeros(v.shape, v.dtype))
            else:
                trainable.append(v.value)
        outputs, _ = layer.stateless_call(trainable, [v.value for v in layer.non_trainable_variables], inputs,
                                          **kwargs)
        return outputs

    def _data_init(self, inputs):
        """The g and bias that give the pre-activations of `inputs` zero mean and unit variance per channel."""
        layer = self.layer
        activation = getattr(layer, "activation", None)
        if activation is not None:
            layer.activation = keras.activations.linear  # the statistics are of the pre-activation
        try:
            kernel = ops.cast(self.normalized_kernel(ops.ones(self.g.shape, self.g.dtype)), self.compute_dtype)
            t = ops.cast(self._inner_call(inputs, kernel, zero_bias=True), "float32")
        finally:
            if activation is not None:
                layer.activation = activation
        channels_first = getattr(layer, "data_format", "channels_last") == "channels_first"
        channel = 1 if channels_first and len(t.shape) > 2 else -1
        axes = tuple(i for i in range(len(t.shape)) if i != channel % len(t.shape))
        mean, variance = ops.moments(t, axes=axes)
        inv_std = ops.rsqrt(variance + 1e-10)
        return ops.cast(inv_std, self.g.dtype), ops.cast(-mean * inv_std, self.g.dtype)

    def _initialize_once(self, inputs):
        """Data-dependent initialization from the first training batch, a no-op afterwards.

        The branches of the cond return values and the variables are assigned outside it: JAX traces both
        branches, and a variable assigned inside one would keep a tracer.
        """
        bias = getattr(self.layer, "bias", None)
        current = (self.g.value,
                   ops.cast(bias.value, self.g.dtype) if bias is not None else ops.zeros_like(self.g.value))
        # A tensor, not the variable: TensorFlow's smart_cond hashes its predicate.
        g, b = ops.cond(ops.equal(self.initialized, True), lambda: current, lambda: self._data_init(inputs))
        self.g.assign(g)
        if bias is not None:
            bias.assign(ops.cast(b, bias.dtype))
        self.initialized.assign(True)

    def call(self, inputs, training=None):
        if self.data_init and training:
            self._initialize_once(inputs)
        kernel = ops.cast(self.normalized_kernel(), self.compute_dtype)
        return self._inner_call(inputs, kernel)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def bake(self):
        """A plain copy of the wrapped layer whose kernel is `g * v / ||v||` (for inference or export)."""
        layer = self.layer.__class__.from_config(self.layer.get_config())
        build_config = self.layer.get_build_config()
        if build_config:
            layer.build_from_config(build_config)
        else:
            layer.build(None)
        kernel = keras.ops.convert_to_numpy(self.normalized_kernel())
        for target, source in zip(layer.weights, self.layer.weights):
            target.assign(kernel if source is self.layer.kernel else source)
        return layer

    def get_config(self):
        config = super().get_config()
        config["data_init"] = self.data_init
        return config
