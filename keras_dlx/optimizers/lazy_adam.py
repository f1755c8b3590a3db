"""LazyAdam: Adam that, for a sparse gradient, updates only the rows the gradient has."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.keras_compat import variable_index
from keras_dlx.utils.registration import register

__all__ = ["LazyAdam"]


def _is_indexed_slices(gradient):
    """TensorFlow's sparse gradient of a gather (an `Embedding`), told by its fields: no TensorFlow import here."""
    return all(hasattr(gradient, field) for field in ("indices", "values", "dense_shape"))


def _summed_rows(indices, values):
    """`(rows, sums)`: each index sorted, with the sum of the values of every occurrence of its row.

    A repeated row gets the same sum at each of its places, so that writing the updated rows back sets a repeated
    row to one value, whatever the order of the writes. Only static-size operations (a sort, a cumulative sum, a
    segment sum over at most `len(indices)` segments): it compiles with XLA, where `unique` does not.
    """
    count = ops.shape(indices)[0]
    order = ops.argsort(indices)
    rows = ops.take(indices, order)
    starts = ops.concatenate([ops.ones((1,), "int32"), ops.cast(ops.not_equal(rows[1:], rows[:-1]), "int32")])
    segments = ops.cumsum(starts) - 1
    sums = ops.segment_sum(ops.take(values, order, axis=0), segments, num_segments=count)
    return rows, ops.take(sums, segments, axis=0)


@register
class LazyAdam(keras.optimizers.Optimizer):
    """LazyAdam: Adam that, for a sparse gradient, moves only the rows the gradient touches.

    With a dense gradient it is Keras's `Adam`:

        m_t = beta_1 m + (1 - beta_1) g,   v_t = beta_2 v + (1 - beta_2) g^2,
        w_t = w - lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m_t / (sqrt(v_t) + epsilon).

    With a sparse gradient (on TensorFlow, the `IndexedSlices` that an `Embedding` or a gather receives), the same
    formulas apply to the rows in the gradient only, and the other rows of `w`, `m` and `v` are left as they are,
    where Adam would decay every row's moments and move every row by its momentum: much less work for a large
    table, and the "lazy" semantics of TensorFlow Addons' `LazyAdam` (repeated rows have their values summed
    first). Dense fallback: JAX and PyTorch give dense gradients, where LazyAdam is Adam, as is Addons' with a dense
    gradient. `amsgrad` keeps the running maximum of `v` (for the rows received, when sparse), which Addons
    accepted but ignored on its sparse path.

    Args:
        learning_rate: float, `keras.optimizers.schedules.LearningRateSchedule` or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: positive constant added to the root of the second moment. Defaults to 1e-7.
        amsgrad: bool, use the running maximum of the second moment (AMSGrad). Defaults to False.
        name: name of the optimizer. Defaults to "LazyAdam".
        **kwargs: the arguments of `keras.optimizers.Optimizer` (`clipnorm`, `global_clipnorm`, `use_ema`, ...).

    Example:

    >>> model = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(1000, 8),
    ...                           keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    >>> model.compile(keras_dlx.optimizers.LazyAdam(0.01), "mse")
    >>> before = keras.ops.convert_to_numpy(model.layers[0].embeddings)
    >>> _ = model.fit(np.array([[1, 2, 3, 4]] * 8), np.ones((8, 1)), epochs=2, verbose=0)
    >>> moved = np.any(keras.ops.convert_to_numpy(model.layers[0].embeddings) != before, axis=1)
    >>> np.flatnonzero(moved)  # the rows looked up; on TensorFlow the other 996 were not even visited
    array([1, 2, 3, 4])

    Reference:
        - [Kingma & Ba 2014, Adam: A Method for Stochastic Optimization](https://arxiv.org/abs/1412.6980)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name="LazyAdam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = args.unit_interval("beta_1", beta_1)
        self.beta_2 = args.unit_interval("beta_2", beta_2)
        self.epsilon = args.positive_float("epsilon", epsilon)
        self.amsgrad = args.boolean("amsgrad", amsgrad)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, name="m") for v in var_list]
        self._velocities = [self.add_variable_from_reference(v, name="v") for v in var_list]
        self._velocity_maxima = ([self.add_variable_from_reference(v, name="vhat") for v in var_list]
                                 if self.amsgrad else [])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        alpha = ops.cast(learning_rate, dtype) * ops.sqrt(1 - ops.power(beta_2, step)) / (1 - ops.power(beta_1, step))
        index = variable_index(self, variable)
        slots = [self._momentums[index], self._velocities[index]]
        if self.amsgrad:
            slots.append(self._velocity_maxima[index])
        if _is_indexed_slices(gradient):
            self._sparse_step(gradient, variable, slots, alpha, beta_1, beta_2)
        else:
            self._dense_step(ops.cast(gradient, dtype), variable, slots, alpha, beta_1, beta_2)

    def _moments(self, gradient, slots, beta_1, beta_2):
        """The new (m, v, v used) from the current slot values `slots` (tensors) and the gradient."""
        m = beta_1 * slots[0] + (1 - beta_1) * gradient
        v = beta_2 * slots[1] + (1 - beta_2) * ops.square(gradient)
        return m, v, ops.maximum(slots[2], v) if self.amsgrad else v

    def _dense_step(self, gradient, variable, slots, alpha, beta_1, beta_2):
        m, v, v_used = self._moments(gradient, slots, beta_1, beta_2)
        for slot, value in zip(slots, (m, v, v_used)):
            self.assign(slot, value)
        self.assign_sub(variable, alpha * m / (ops.sqrt(v_used) + ops.cast(self.epsilon, variable.dtype)))

    def _sparse_step(self, gradient, variable, slots, alpha, beta_1, beta_2):
        rows, summed = _summed_rows(gradient.indices, ops.cast(gradient.values, variable.dtype))
        old = [ops.take(slot, rows, axis=0) for slot in slots]
        m, v, v_used = self._moments(summed, old, beta_1, beta_2)
        new_rows = ops.take(variable, rows, axis=0) - alpha * m / (
            ops.sqrt(v_used) + ops.cast(self.epsilon, variable.dtype))

        def rows_of(values):  # a sparse value of the gradient's own type: the optimizer's assign scatters it
            return type(gradient)(values, rows, gradient.dense_shape)

        for slot, value in zip(slots, (m, v, v_used)):
            self.assign(slot, rows_of(value))
        self.assign(variable, rows_of(new_rows))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config
