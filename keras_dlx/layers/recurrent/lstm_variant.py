"""What the LSTM variants share: Keras's LSTM arguments, dropout masks, and a loop with the input projection hoisted.

`LSTMVariantCell` holds the weights and one time step; `LSTMVariant` is a `keras.layers.RNN` (masking,
`go_backwards`, `stateful`, `unroll`, `return_state`, `Bidirectional`) that projects the inputs of all time steps
with one matmul before the loop, so each step only multiplies the recurrent state.
"""

import inspect

import keras
from keras import ops
# keras.layers.RNN draws and resets per-sequence dropout masks only for cells of this class (as LSTMCell is).
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments

_KERAS_LSTM_ARGS = """\
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        unit_forget_bias, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint, dropout (in [0, 1)), recurrent_dropout (in [0, 1)), seed: as in
        `keras.layers.LSTM`."""

_CELL_SHAPES = """    Input shape:
        `inputs` (batch, features) and `states` [h (batch, units), c (batch, units)].

    Output shape:
        `h_t` (batch, units) and the new states [h_t, c_t]."""

_LAYER_SHAPES = """        return_sequences, return_state, go_backwards, stateful, unroll: as in `keras.layers.LSTM`.

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
)


class LSTMVariantCell(DropoutRNNCell, keras.layers.Layer):
    """Base cell: `gates` fused gate blocks in `kernel` (input_dim, gates * units), `recurrent_kernel`
    (units, gates * units) and `bias` (gates * units); subclasses define `step` and may add weights."""

    gates = 4
    forget_gate = 1  # index of the forget block, for unit_forget_bias

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
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
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self.inputs_projected = False  # set by LSTMVariant around its loop

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, gates, forget, base = self.units, self.gates, self.forget_gate, self.bias_initializer

        def initializer(shape, dtype=None):
            blocks = [base((units,), dtype=dtype) for _ in range(gates)]
            blocks[forget] = ops.ones((units,), dtype=dtype)
            return ops.concatenate(blocks)

        return initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Invalid input for layer '{self.name}': the feature dimension must be known. "
                             f"Received: input_shape={tuple(input_shape)}")
        width = self.gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(width,), initializer=self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.build_extra()

    def build_extra(self):
        """Subclasses add their own weights here."""

    def project(self, inputs):
        """The input contribution to the fused gates, for one step (B, D) or all steps (B, T, D)."""
        z = ops.matmul(inputs, self.kernel)
        return ops.add(z, self.bias) if self.use_bias else z

    def recurrent(self, h):
        return ops.matmul(h, self.recurrent_kernel)

    def step(self, z_x, h, c):
        """One time step from the projected input: returns (h_new, c_new)."""
        raise NotImplementedError

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        if self.inputs_projected:
            z_x = inputs  # dropout was applied before the projection
        else:
            if training and self.dropout > 0:
                inputs = inputs * self.get_dropout_mask(inputs)
            z_x = self.project(inputs)
        if training and self.recurrent_dropout > 0:
            h = h * self.get_recurrent_dropout_mask(h)
        h_new, c_new = self.step(z_x, h, c)
        return h_new, [h_new, c_new]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype) for _ in range(2)]

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, CELL_ARGUMENTS))
        return config


class LSTMVariant(keras.layers.RNN):
    """Base layer: a `keras.layers.RNN` over a `LSTMVariantCell` with the input projection hoisted."""

    cell_class = None

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, **kwargs):
        # Keras's LSTM arguments plus the cell's own (its signature passes the shared ones on in **kwargs).
        cell_names = (set(CELL_ARGUMENTS) | set(inspect.signature(self.cell_class.__init__).parameters)) - {
            "self", "kwargs", "units"}
        cell_kwargs = {name: kwargs.pop(name) for name in list(kwargs) if name in cell_names}
        cell = self.cell_class(units, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                               name=f"{self.cell_class.__name__.lower()}", **cell_kwargs)
        for name, value in (("return_sequences", return_sequences), ("return_state", return_state),
                            ("go_backwards", go_backwards), ("stateful", stateful), ("unroll", unroll)):
            args.boolean(name, value)
        activity_regularizer = args.regularizer("activity_regularizer", kwargs.pop("activity_regularizer", None))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

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
        cell = self.cell
        if training and cell.dropout > 0:
            sequences = sequences * ops.expand_dims(cell.get_dropout_mask(sequences[:, 0, :]), 1)
        projected = cell.project(sequences)  # all time steps in one matmul
        cell.inputs_projected = True
        try:
            return super().inner_loop(projected, initial_state, mask, training)
        finally:
            cell.inputs_projected = False

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
