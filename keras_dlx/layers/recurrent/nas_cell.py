"""The recurrent cell found by Neural Architecture Search (TensorFlow Addons' NASCell)."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class NASCell(keras.layers.Layer):
    """Neural Architecture Search cell (Zoph & Le 2017), TensorFlow Addons' `NASCell`, for `keras.layers.RNN`.

    The input and previous output are projected into 8 blocks each, `a_k = x W_k` and `r_k = m U_k (+ b_k)`,
    combined by the searched tree (s = sigmoid):

        l0 = s(a0 + r0), l1 = relu(a1 + r1), l2 = s(a2 + r2), l3 = relu(a3 * r3)
        l4 = tanh(a4 + r4), l5 = s(a5 + r5), l6 = tanh(a6 + r6), l7 = s(a7 + r7)
        c_t = tanh(tanh(l0 * l1) + c_{t-1}) * tanh(l2 + l3)
        m_t = tanh(c_t * tanh(tanh(l4 * l5) + s(l6 + l7)))      (then m_t P with a projection)

    The bias, when used, is added to the recurrent blocks (as Addons does, so it also enters the product
    `a3 * r3`). Weights: `kernel` (features, 8 units), `recurrent_kernel` (output_size, 8 units), `bias`
    (8 units), `projection_weights` (units, projection).

    Args:
        units: int > 0, the number of units (size of the cell state c).
        projection: None or int > 0, the size of the projected output m. Defaults to None (no projection).
        use_bias: bool, add the bias. Defaults to False (Addons).
        kernel_initializer: for `kernel`, and so are recurrent_initializer, projection_initializer (each
            glorot_uniform) and bias_initializer (zeros) for theirs.

    Call arguments:
        inputs: the input of one time step, (batch, features).
        states: [c, m], the previous cell state and output.

    Input shape:
        `inputs` (batch, features) and `states` [c (batch, units), m (batch, output_size)].

    Output shape:
        `m_t` (batch, output_size), output_size being `projection` or `units`, and the new states [c_t, m_t].

    Example:

    >>> rnn = keras.layers.RNN(keras_dlx.layers.NASCell(16, projection=8))
    >>> tuple(rnn(keras.random.normal((4, 10, 5))).shape)
    (4, 8)

    Reference:
        - [Zoph & Le 2017, Neural Architecture Search with Reinforcement
          Learning](https://arxiv.org/abs/1611.01578)
    """

    blocks = 8

    def __init__(self, units, projection=None, use_bias=False, kernel_initializer="glorot_uniform",
                 recurrent_initializer="glorot_uniform", projection_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = args.positive_int("units", units)
        self.projection = None if projection is None else args.positive_int("projection", projection)
        self.use_bias = args.boolean("use_bias", use_bias)
        args.keras_objects(self, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           projection_initializer=projection_initializer, bias_initializer=bias_initializer)
        self.output_size = self.projection or self.units
        self.state_size = [self.units, self.output_size]

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"Invalid input for layer '{self.name}': the feature dimension must be known. "
                             f"Received: input_shape={tuple(input_shape)}")
        width = self.blocks * self.units
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.output_size, width),
            initializer=args.fresh_initializer(self.recurrent_initializer))
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], width),
                                      initializer=args.fresh_initializer(self.kernel_initializer))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(width,),
                                        initializer=args.fresh_initializer(self.bias_initializer))
        self.projection_weights = None
        if self.projection is not None:
            self.projection_weights = self.add_weight(
                name="projection_weights", shape=(self.units, self.projection),
                initializer=args.fresh_initializer(self.projection_initializer))

    def call(self, inputs, states):
        c, m = states[0], states[1]
        recurrent = ops.matmul(m, self.recurrent_kernel)
        if self.bias is not None:
            recurrent = ops.add(recurrent, self.bias)
        a = ops.split(ops.matmul(inputs, self.kernel), self.blocks, axis=-1)
        r = ops.split(recurrent, self.blocks, axis=-1)
        sigmoid, tanh, relu = ops.sigmoid, ops.tanh, ops.relu
        l0, l1, l2 = sigmoid(a[0] + r[0]), relu(a[1] + r[1]), sigmoid(a[2] + r[2])
        l3, l4, l5 = relu(a[3] * r[3]), tanh(a[4] + r[4]), sigmoid(a[5] + r[5])
        l6, l7 = tanh(a[6] + r[6]), sigmoid(a[7] + r[7])
        c_new = tanh(tanh(l0 * l1) + c) * tanh(l2 + l3)
        m_new = tanh(c_new * tanh(tanh(l4 * l5) + sigmoid(l6 + l7)))
        if self.projection_weights is not None:
            m_new = ops.matmul(m_new, self.projection_weights)
        return m_new, [c_new, m_new]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in self.state_size]

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("units", "projection", "use_bias", "kernel_initializer",
                                              "recurrent_initializer", "projection_initializer",
                                              "bias_initializer")))
        return config
