"""The linear-chain conditional random field (CRF) layer: potentials, transitions and Viterbi decoding."""

import keras
from keras import ops

from keras_dlx.ops.crf import crf_decode
from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def _shifted(mask, offset):
    """`mask` moved `offset` steps later (positive) or earlier (negative) along axis 1, False filled in."""
    pad = ops.zeros_like(mask[:, :abs(offset)])
    return ops.concatenate([pad, mask[:, :-offset]] if offset > 0 else [mask[:, -offset:], pad], axis=1)


@register
class CRF(keras.layers.Layer):
    """Linear-chain conditional random field (Lafferty et al. 2001): tag potentials and their Viterbi decoding.

    The layer maps each step's features to `units` tag potentials, `potentials = inputs @ kernel + bias`, adds a
    learned `left_boundary` to each sequence's first step and a `right_boundary` to its last step, and decodes the
    tag sequence `y` that maximises

        sum_t potentials[t, y_t] + sum_{t >= 1} chain_kernel[y_{t-1}, y_t]

    with `keras_dlx.ops.crf_decode`. It returns what training needs too: train with the negative
    `keras_dlx.ops.crf_log_likelihood(potentials, tags, sequence_length, chain_kernel)`, as `CRFModelWrapper`
    does. Same arguments, weights (in the same order, so `set_weights(addons_layer.get_weights())` ports a trained
    Addons layer) and outputs as TensorFlow Addons' `tfa.layers.CRF`. Differences: `sequence_length` is int32
    (Addons: int64, which JAX lacks by default); a left-padded mask is not detected (Addons raised
    `NotImplementedError` in eager mode): masks must be right-padded; the decoding runs in float32 under mixed
    precision.

    Args:
        units: positive int, the number of tags.
        chain_initializer: initializer of the (units, units) transition matrix `chain_kernel`. Defaults to
            "orthogonal".
        use_boundary: bool, learn the start and end potentials `left_boundary` and `right_boundary`. Defaults to
            True.
        boundary_initializer: initializer of the boundary vectors. Defaults to "zeros".
        use_kernel: bool, project the inputs with a dense `kernel` and `bias` (glorot-uniform and zeros, as
            Addons' inner `Dense`); without it the inputs are the potentials and need `units` features. Defaults
            to True.

    Call arguments:
        inputs: (batch, steps, features) tensor.
        mask: optional boolean (batch, steps), True at the valid (leading) steps of each sequence.

    Input shape:
        3D tensor `(batch, steps, features)`.

    Output shape:
        A list `[decoded_sequence, potentials, sequence_length, chain_kernel]`: int32 `(batch, steps)` tags (0
        after each length), `(batch, steps, units)` potentials in the compute dtype, int32 `(batch,)` lengths and
        the `(units, units)` transition matrix.

    Example:

    >>> crf = keras_dlx.layers.CRF(4)
    >>> decoded, potentials, lengths, transitions = crf(np.random.rand(2, 5, 8).astype("float32"))
    >>> tuple(decoded.shape), tuple(potentials.shape), tuple(lengths.shape), tuple(transitions.shape)
    ((2, 5), (2, 5, 4), (2,), (4, 4))

    Reference:
        - [Lafferty et al. 2001, Conditional Random Fields: Probabilistic Models for Segmenting and Labeling
          Sequence Data](https://repository.upenn.edu/cis_papers/159/)
    """

    def __init__(self, units, chain_initializer="orthogonal", use_boundary=True, boundary_initializer="zeros",
                 use_kernel=True, **kwargs):
        super().__init__(**kwargs)
        self.units = args.positive_int("units", units)
        self.use_boundary = args.boolean("use_boundary", use_boundary)
        self.use_kernel = args.boolean("use_kernel", use_kernel)
        args.keras_objects(self, chain_initializer=chain_initializer, boundary_initializer=boundary_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        args.input_rank(self, input_shape, 3, "(batch, steps, features)")
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"Invalid input for layer '{self.name}': the feature dimension must be known when the "
                             f"layer is built. Received: input_shape={tuple(input_shape)}")
        if not self.use_kernel and features != self.units:
            raise ValueError(f"Invalid input for layer '{self.name}': with use_kernel=False the inputs are the "
                             f"potentials and need units={self.units} features. "
                             f"Received: input_shape={tuple(input_shape)}")
        self.chain_kernel = self.add_weight(name="chain_kernel", shape=(self.units, self.units),
                                            initializer=args.fresh_initializer(self.chain_initializer))
        self.left_boundary = self.right_boundary = None
        if self.use_boundary:
            self.left_boundary = self.add_weight(name="left_boundary", shape=(self.units,),
                                                 initializer=args.fresh_initializer(self.boundary_initializer))
            self.right_boundary = self.add_weight(name="right_boundary", shape=(self.units,),
                                                  initializer=args.fresh_initializer(self.boundary_initializer))
        self.kernel = self.bias = None
        if self.use_kernel:
            self.kernel = self.add_weight(name="kernel", shape=(features, self.units), initializer="glorot_uniform")
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: features})

    def call(self, inputs, mask=None):
        if mask is not None and len(ops.shape(mask)) != 2:
            raise ValueError(f"Invalid input for layer '{self.name}': the mask must have shape (batch, steps). "
                             f"Received: mask.shape={tuple(ops.shape(mask))}")
        potentials = ops.cast(inputs, self.compute_dtype)
        if self.use_kernel:
            potentials = ops.add(ops.matmul(potentials, ops.cast(self.kernel, self.compute_dtype)),
                                 ops.cast(self.bias, self.compute_dtype))
        valid = ops.ones_like(inputs[:, :, 0], dtype="bool") if mask is None else ops.cast(mask, "bool")
        if self.use_boundary:
            potentials = self._add_boundaries(potentials, valid)
        sequence_length = ops.sum(ops.cast(valid, "int32"), axis=1)
        decoded, _ = crf_decode(ops.cast(potentials, "float32"), ops.cast(self.chain_kernel, "float32"),
                                sequence_length)
        return [decoded, potentials, sequence_length, ops.convert_to_tensor(self.chain_kernel)]

    def _add_boundaries(self, potentials, valid):
        """Add `left_boundary` at each sequence's first valid step and `right_boundary` at its last one."""
        first = ops.logical_and(valid, ops.logical_not(_shifted(valid, 1)))
        last = ops.logical_and(valid, ops.logical_not(_shifted(valid, -1)))
        dtype = potentials.dtype
        left, right = ops.cast(self.left_boundary, dtype), ops.cast(self.right_boundary, dtype)
        return (potentials + ops.expand_dims(ops.cast(first, dtype), -1) * left
                + ops.expand_dims(ops.cast(last, dtype), -1) * right)

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        return [(batch, steps), (batch, steps, self.units), (batch,), (self.units, self.units)]

    def compute_output_spec(self, inputs, mask=None):
        shapes = self.compute_output_shape(tuple(inputs.shape))
        dtypes = ("int32", self.compute_dtype, "int32", self.variable_dtype)
        return [keras.KerasTensor(shape, dtype=dtype) for shape, dtype in zip(shapes, dtypes)]

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return [mask, mask, None, None]

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("units", "chain_initializer", "use_boundary", "boundary_initializer",
                                              "use_kernel")))
        return config
