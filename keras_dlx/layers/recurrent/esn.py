"""Echo state network: a fixed random reservoir (TensorFlow Addons' ESNCell and ESN)."""

import keras
import numpy as np
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register

CELL_ARGUMENTS = ("units", "connectivity", "leaky", "spectral_radius", "use_norm2", "use_bias", "activation",
                  "kernel_initializer", "recurrent_initializer", "bias_initializer")


@register
class ESNCell(keras.layers.Layer):
    """Echo state network cell (Jaeger 2001), TensorFlow Addons' `ESNCell`, for `keras.layers.RNN`.

    A leaky reservoir whose weights are drawn once and never trained (all three are non-trainable; a readout
    layer on top learns):

        h_t = (1 - leaky) * h_{t-1} + leaky * activation(x_t W_in + h_{t-1} W + b)

    The reservoir `W` is `recurrent_initializer`'s draw with each entry kept with probability `connectivity`,
    rescaled to spectral radius `spectral_radius` (< 1 for the echo state property), or, with `use_norm2`, to
    that Frobenius norm (an upper bound of the spectral radius, cheaper for a large reservoir). The eigenvalues are
    computed once at build time with NumPy on the host (a weight initialization, not a traced op).

    Args:
        units: int > 0, the reservoir size.
        connectivity: float in [0, 1], the fraction of reservoir connections kept. Defaults to 0.1.
        leaky: float in [0, 1], the leaking rate (1: no memory of the previous state beyond W). Defaults to 1.
        spectral_radius: positive float, the reservoir's spectral radius (or norm, with `use_norm2`). Defaults
            to 0.9.
        use_norm2: bool, scale by the Frobenius norm instead of the largest eigenvalue modulus. Defaults to False.
        use_bias: bool, add the (fixed) bias. Defaults to True.
        activation: the reservoir's activation. Defaults to tanh.
        kernel_initializer: for the input weights `kernel`, and so are recurrent_initializer (before masking and
            scaling) and bias_initializer for theirs. Default to glorot_uniform, glorot_uniform, zeros.

    Call arguments:
        inputs: the input of one time step, (batch, features).
        states: [h], the previous state.

    Input shape:
        `inputs` (batch, features) and `states` [h (batch, units)].

    Output shape:
        `h_t` (batch, units) and the new state [h_t].

    Example:

    >>> rnn = keras.layers.RNN(keras_dlx.layers.ESNCell(32, connectivity=0.2))
    >>> tuple(rnn(keras.random.normal((4, 10, 3))).shape)
    (4, 32)

    Reference:
        - [Jaeger 2001, The "echo state" approach to analysing and training recurrent neural
          networks](https://www.ai.rug.de/~herbert/PUBLICATIONS/EchoStatesTechRep.pdf)
    """

    def __init__(self, units, connectivity=0.1, leaky=1, spectral_radius=0.9, use_norm2=False, use_bias=True,
                 activation="tanh", kernel_initializer="glorot_uniform", recurrent_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = args.positive_int("units", units)
        self.connectivity = args.unit_interval("connectivity", connectivity, closed_right=True)
        self.leaky = args.unit_interval("leaky", leaky, closed_right=True)
        self.spectral_radius = args.positive_float("spectral_radius", spectral_radius)
        self.use_norm2 = args.boolean("use_norm2", use_norm2)
        self.use_bias = args.boolean("use_bias", use_bias)
        args.keras_objects(self, activation=activation, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer)
        self.state_size = self.units
        self.output_size = self.units

    def _reservoir_initializer(self):
        draw = args.fresh_initializer(self.recurrent_initializer)

        def initializer(shape, dtype=None):
            weights = ops.convert_to_numpy(draw(shape, dtype="float32")).astype("float64")
            keep = ops.convert_to_numpy(keras.random.uniform(shape)) <= self.connectivity
            weights = weights * keep
            if self.use_norm2:
                norm = np.sqrt(np.sum(weights ** 2))
                scale = self.spectral_radius / (norm if norm > 0 else 1.0)
            else:
                radius = np.max(np.abs(np.linalg.eigvals(weights)))
                scale = self.spectral_radius / radius if radius > 0 else 0.0
            return ops.convert_to_tensor(weights * scale, dtype=dtype)

        return initializer

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"Invalid input for layer '{self.name}': the feature dimension must be known. "
                             f"Received: input_shape={tuple(input_shape)}")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, self.units),
                                                initializer=self._reservoir_initializer(), trainable=False)
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer=args.fresh_initializer(self.kernel_initializer), trainable=False)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=args.fresh_initializer(self.bias_initializer), trainable=False)

    def call(self, inputs, states):
        h = states[0] if isinstance(states, (list, tuple)) else states
        z = ops.add(ops.matmul(inputs, self.kernel), ops.matmul(h, self.recurrent_kernel))
        if self.bias is not None:
            z = ops.add(z, self.bias)
        h_new = (1 - self.leaky) * h + self.leaky * self.activation(z)
        return h_new, [h_new] if isinstance(states, (list, tuple)) else h_new

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, CELL_ARGUMENTS))
        return config


@register
class ESN(keras.layers.RNN):
    """Echo state network layer: `ESNCell` (see its formula) over a sequence, TensorFlow Addons' `ESN`.

    Its weights are all fixed (non-trainable): train a readout, e.g. a `Dense` layer, on its outputs. Everything
    `keras.layers.RNN` offers works (masking, `return_sequences`, `return_state`, `go_backwards`, `stateful`,
    `unroll`).

    Args:
        units: int > 0, the reservoir size, and so are connectivity, leaky, spectral_radius, use_norm2, use_bias,
            activation, kernel_initializer, recurrent_initializer and bias_initializer as in `ESNCell`.
        return_sequences: as in `keras.layers.RNN`, and so are return_state, go_backwards, stateful and unroll.

    Input shape:
        3D tensor (batch, timesteps, features).

    Output shape:
        (batch, units), or (batch, timesteps, units) with `return_sequences`; plus the state with `return_state`.

    Example:

    >>> esn = keras_dlx.layers.ESN(32, leaky=0.5, return_sequences=True)
    >>> tuple(esn(keras.random.normal((4, 10, 3))).shape)
    (4, 10, 32)

    Reference:
        - [Jaeger 2001, The "echo state" approach to analysing and training recurrent neural
          networks](https://www.ai.rug.de/~herbert/PUBLICATIONS/EchoStatesTechRep.pdf)
    """

    def __init__(self, units, connectivity=0.1, leaky=1, spectral_radius=0.9, use_norm2=False, use_bias=True,
                 activation="tanh", kernel_initializer="glorot_uniform", recurrent_initializer="glorot_uniform",
                 bias_initializer="zeros", return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        cell = ESNCell(units, connectivity=connectivity, leaky=leaky, spectral_radius=spectral_radius,
                       use_norm2=use_norm2, use_bias=use_bias, activation=activation,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, dtype=kwargs.get("dtype"), name="esn_cell")
        for name, value in (("return_sequences", return_sequences), ("return_state", return_state),
                            ("go_backwards", go_backwards), ("stateful", stateful), ("unroll", unroll)):
            args.boolean(name, value)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        args.input_rank(self, sequences_shape, 3, "(batch, timesteps, features)")
        super().build(sequences_shape, initial_state_shape)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config.update(config_arguments(self.cell, CELL_ARGUMENTS))
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _cell_attribute(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


for _name in CELL_ARGUMENTS:
    setattr(ESN, _name, _cell_attribute(_name))
