"""What the LSTM variants share: Keras's LSTM arguments, dropout masks, and weights prepared once per sequence.

`LSTMVariantCell` holds the weights and one time step; `LSTMVariant` is a `keras.layers.RNN` (masking,
`go_backwards`, `stateful`, `unroll`, `return_state`, `Bidirectional`) that prepares the cell's weights once per
sequence before the loop: each weight is read once (so the loop captures a tensor instead of reading the variable,
and saving the value for the backward pass, at every step) and the per-unit vectors that multiply the cell state
(peepholes) are broadcast to the state's shape once (so the backward pass sums their gradient over the batch once,
not at every step). Both leave the arithmetic, and so the results, unchanged.

The input projection `x W` is deliberately computed inside the loop, one time step at a time, as
`keras.layers.LSTM` does: projecting all time steps with one matmul before the loop was measured slower on CPU (the
projected sequence is four times as wide as the input, and transposing, splitting and re-stacking it for the loop
and its gradient costs more than the per-step matmuls it saves; see docs/layers/recurrent.md).
"""

import contextlib
import inspect
import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments

# keras.layers.RNN draws and resets per-sequence dropout masks only for cells of this class (as LSTMCell is).
from keras_dlx.utils.keras_compat import DropoutRNNCell

_KERAS_LSTM_ARGS = """\
        activation: as in `keras.layers.LSTM`, and so are recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout (in [0, 1)),
            recurrent_dropout (in [0, 1)) and seed. An initializer used by several weights is copied for each (an
            unseeded one draws a new seed per weight, so no two weights start equal).
        implementation: 1 or 2, accepted for compatibility with `keras.layers.LSTM` and TensorFlow Addons, and
            round-tripped by `get_config`; a no-op: the gate matmuls are always fused (Keras's mode 2) and one
            dropout mask is shared by all gates (Keras's mode 1, which it also switches to when
            `recurrent_dropout > 0`, draws one mask per gate). Defaults to 2.
        enable_caching_device: bool, accepted for compatibility with TensorFlow Addons' cells (a tf.keras 2
            argument); a no-op in Keras 3, which has no caching devices. Defaults to True."""

_CELL_SHAPES = """    Call arguments:
        inputs: the input of one time step, (batch, features).
        states: [h, c], the previous hidden and cell states.
        training: bool, apply `dropout` / `recurrent_dropout` (training mode only).

    Input shape:
        `inputs` (batch, features) and `states` [h (batch, units), c (batch, units)].

    Output shape:
        `h_t` (batch, units) and the new states [h_t, c_t]."""

_LAYER_SHAPES = """        return_sequences: as in `keras.layers.LSTM` (`keras.layers.RNN`), and so are return_state,
            go_backwards, stateful, unroll, zero_output_for_mask and activity_regularizer.
        use_cudnn: "auto" or False, as in `keras.layers.LSTM`; a no-op, since there is no cuDNN kernel for this
            variant: the layer always runs the backend's loop, as `keras.layers.LSTM` does on CPU or with
            `use_cudnn=False`. True (which in Keras means "cuDNN or an error") raises a ValueError. Defaults to
            "auto".

    Call arguments:
        inputs: the input sequences, (batch, timesteps, features).
        mask: optional boolean (batch, timesteps): False steps are skipped (the state is carried over), as in
            `keras.layers.LSTM`; set by an upstream `Masking` or `Embedding(mask_zero=True)`.
        training: bool, apply `dropout` / `recurrent_dropout` (training mode only).
        initial_state: optional [h, c], each (batch, units).

    Input shape:
        3D tensor (batch, timesteps, features).

    Output shape:
        (batch, units), or (batch, timesteps, units) with `return_sequences`; plus [h, c] with `return_state`."""


def document(text, own_args):
    """Fill a variant's docstring: `{args}` (its own arguments, then Keras's LSTM ones), `{cell_shapes}`,
    `{layer_shapes}`."""
    arguments = own_args + "\n" + _KERAS_LSTM_ARGS
    return text.replace("{args}", arguments).replace("{cell_shapes}", _CELL_SHAPES).replace(
        "{layer_shapes}", _LAYER_SHAPES)


CELL_ARGUMENTS = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
    "implementation", "enable_caching_device",
)


def _implementation(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value not in (1, 2):
        args.invalid("implementation", value, "1 or 2")
    return int(value)


class LSTMVariantCell(DropoutRNNCell, keras.layers.Layer):
    """Base cell: `gates` fused gate blocks in `kernel` (input_dim, gates * units), `recurrent_kernel`
    (units, gates * units) and `bias` (gates * units); subclasses define `step` and may add weights.

    `step` reads its weights from the dict `self.step_weights` (see `sequence_weights`): the variables themselves
    when the cell runs alone in `keras.layers.RNN`, tensors prepared once per sequence inside `LSTMVariant`.
    """

    gates = 4
    forget_gate = 1  # index of the forget block, for unit_forget_bias

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, implementation=2, enable_caching_device=True, **kwargs):
        super().__init__(**kwargs)
        self.units = args.positive_int("units", units)
        self.activation = args.activation("activation", activation)
        self.recurrent_activation = args.activation("recurrent_activation", recurrent_activation)
        self.use_bias = args.boolean("use_bias", use_bias)
        self.kernel_initializer = args.initializer("kernel_initializer", kernel_initializer)
        self.recurrent_initializer = args.initializer("recurrent_initializer", recurrent_initializer)
        self.bias_initializer = args.initializer("bias_initializer", bias_initializer)
        self.unit_forget_bias = args.boolean("unit_forget_bias", unit_forget_bias)
        self.kernel_regularizer = args.regularizer("kernel_regularizer", kernel_regularizer)
        self.recurrent_regularizer = args.regularizer("recurrent_regularizer", recurrent_regularizer)
        self.bias_regularizer = args.regularizer("bias_regularizer", bias_regularizer)
        self.kernel_constraint = args.constraint("kernel_constraint", kernel_constraint)
        self.recurrent_constraint = args.constraint("recurrent_constraint", recurrent_constraint)
        self.bias_constraint = args.constraint("bias_constraint", bias_constraint)
        self.dropout = args.unit_interval("dropout", dropout)
        self.recurrent_dropout = args.unit_interval("recurrent_dropout", recurrent_dropout)
        self.seed = args.seed(seed)
        self.implementation = _implementation(implementation)
        self.enable_caching_device = args.boolean("enable_caching_device", enable_caching_device)
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self._prepared_weights = None  # set by `sequence_weights` around a loop

    # Weights that multiply the cell state elementwise, (units,) each; subclasses list theirs.
    state_vector_names = ()

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return args.fresh_initializer(self.bias_initializer)
        units, gates, forget = self.units, self.gates, self.forget_gate
        blocks = [args.fresh_initializer(self.bias_initializer) for _ in range(gates)]

        def initializer(shape, dtype=None):
            values = [block((units,), dtype=dtype) for block in blocks]
            values[forget] = ops.ones((units,), dtype=dtype)
            return ops.concatenate(values)

        return initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Invalid input for layer '{self.name}': the feature dimension must be known. "
                             f"Received: input_shape={tuple(input_shape)}")
        width = self.gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, width),
                                      initializer=args.fresh_initializer(self.kernel_initializer),
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width),
            initializer=args.fresh_initializer(self.recurrent_initializer),
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(width,), initializer=self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.build_extra()

    def build_extra(self):
        """Subclasses add their own weights here."""

    def add_state_vector(self, name):
        """A (units,) weight multiplying the cell state (a peephole), initialised, regularised and constrained like
        the kernel (as in TensorFlow Addons), with its own copy of the initializer."""
        return self.add_weight(name=name, shape=(self.units,),
                               initializer=args.fresh_initializer(self.kernel_initializer),
                               regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)

    @property
    def step_weights(self):
        """The weights `step` uses, by name: prepared tensors inside `sequence_weights`, else the variables."""
        if self._prepared_weights is not None:
            return self._prepared_weights
        names = ("kernel", "recurrent_kernel", "bias") + tuple(self.state_vector_names)
        return {name: getattr(self, name) for name in names}

    @contextlib.contextmanager
    def sequence_weights(self, state):
        """Within this context, `step_weights` are read once and the state vectors broadcast to `state`'s shape.

        The values are those of the variables, so every step computes exactly what it computes without it; only
        the work around the loop changes (see the module docstring).
        """
        prepared = {name: ops.copy(getattr(self, name)) for name in ("kernel", "recurrent_kernel")}
        prepared["bias"] = ops.copy(self.bias) if self.use_bias else None
        shape = ops.shape(state)
        for name in self.state_vector_names:
            prepared[name] = ops.broadcast_to(getattr(self, name), shape)
        self._prepared_weights = prepared
        try:
            yield
        finally:
            self._prepared_weights = None

    def project(self, inputs, weights):
        """The input contribution to the fused gates, x W + b."""
        z = ops.matmul(inputs, weights["kernel"])
        return ops.add(z, weights["bias"]) if self.use_bias else z

    def step(self, inputs, h, c, weights):
        """One time step from the (dropped-out) input and state: returns (h_new, c_new)."""
        raise NotImplementedError

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        if training and self.dropout > 0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and self.recurrent_dropout > 0:
            h = h * self.get_recurrent_dropout_mask(h)
        h_new, c_new = self.step(inputs, h, c, self.step_weights)
        return h_new, [h_new, c_new]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype) for _ in range(2)]

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, CELL_ARGUMENTS))
        return config


def _cell_attribute(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}` (as `keras.layers.LSTM`).")


class LSTMVariant(keras.layers.RNN):
    """Base layer: a `keras.layers.RNN` over a `LSTMVariantCell`, its weights prepared once per sequence."""

    cell_class = None

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, use_cudnn="auto", **kwargs):
        # Keras's LSTM arguments plus the cell's own (its signature passes the shared ones on in **kwargs).
        cell_names = (set(CELL_ARGUMENTS) | set(inspect.signature(self.cell_class.__init__).parameters)) - {
            "self", "kwargs", "units"}
        cell_kwargs = {name: kwargs.pop(name) for name in list(kwargs) if name in cell_names}
        cell = self.cell_class(units, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                               name=f"{self.cell_class.__name__.lower()}", **cell_kwargs)
        for name, value in (("return_sequences", return_sequences), ("return_state", return_state),
                            ("go_backwards", go_backwards), ("stateful", stateful), ("unroll", unroll),
                            ("zero_output_for_mask", kwargs.get("zero_output_for_mask", False))):
            args.boolean(name, value)
        if use_cudnn is True:
            args.invalid("use_cudnn", use_cudnn, "'auto' or False (both run the backend's loop: there is no cuDNN "
                         "kernel for this LSTM variant)")
        if use_cudnn is not False and not (isinstance(use_cudnn, str) and use_cudnn == "auto"):
            args.invalid("use_cudnn", use_cudnn, "'auto' or False")
        activity_regularizer = args.regularizer("activity_regularizer", kwargs.pop("activity_regularizer", None))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != 3:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a 3D input (batch, timesteps, "
                             f"features). Received: input_shape={tuple(sequences_shape)}")
        if initial_state_shape is not None:
            shapes = initial_state_shape if isinstance(initial_state_shape, (list, tuple)) and \
                isinstance(initial_state_shape[0], (list, tuple)) else [initial_state_shape]
            for shape in shapes:
                if len(shape) != 2 or (shape[-1] is not None and shape[-1] != self.cell.units):
                    raise ValueError(
                        f"Invalid `initial_state` for layer '{self.name}': expected two tensors of shape "
                        f"(batch, {self.cell.units}) (h and c). Received: initial_state shapes {shapes}")
        super().build(sequences_shape, initial_state_shape)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        with self.cell.sequence_weights(initial_state[1]):
            return super().inner_loop(sequences, initial_state, mask, training)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = keras.regularizers.serialize(self.activity_regularizer)
        config["use_cudnn"] = self.use_cudnn
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


for _name in CELL_ARGUMENTS:
    setattr(LSTMVariant, _name, _cell_attribute(_name))
