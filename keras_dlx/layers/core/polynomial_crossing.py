"""The cross layer of the Deep & Cross Network."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


@register
class PolynomialCrossing(keras.layers.Layer):
    """One cross layer of the Deep & Cross Network (Wang et al. 2017): explicit feature interactions.

        x_{i+1} = x0 * (x_i W + diag_scale * x_i) + bias + x_i

    where `*` is element-wise, `x0` is the input of the first cross layer of the stack and `x_i` the output of
    the previous one; stacking `l` layers gives polynomial interactions up to degree `l + 1`. `W` is a full
    `d x d` kernel, or the low-rank `U V` (`d x projection_dim` times `projection_dim x d`) when
    `projection_dim` is set. Same arguments, weights (`kernel` or `kernel_u`, `kernel_v`; `bias`) and formula
    as TensorFlow Addons' `tfa.layers.PolynomialCrossing`, whose bias is added outside the product with `x0`.

    Args:
        projection_dim: None for a full kernel, or the rank of the low-rank kernel, at most `d / 2`.
            Defaults to None.
        diag_scale: a non-negative number added to the diagonal of `W`. Defaults to 0.
        use_bias: bool, add the bias. Defaults to True.
        kernel_initializer: for the kernel (or `U` and `V`). Defaults to "truncated_normal".
        bias_initializer: for the bias. Defaults to "zeros".
        kernel_regularizer: for the kernel, and so is bias_regularizer for the bias. Defaults to None.

    Input shape:
        A list `[x0, x_i]` of two tensors of shape `(batch_size, ..., d)`, the same shape.

    Output shape:
        The shape of `x0`.

    Example:

    >>> x0 = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    >>> x1 = keras_dlx.layers.PolynomialCrossing()([x0, x0])
    >>> x2 = keras_dlx.layers.PolynomialCrossing(projection_dim=2)([x0, x1])
    >>> tuple(x2.shape)
    (4, 6)

    Reference:
        - [Wang et al. 2017, Deep & Cross Network for Ad Click Predictions](https://arxiv.org/abs/1708.05123)
    """

    def __init__(self, projection_dim=None, diag_scale=0.0, use_bias=True, kernel_initializer="truncated_normal",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim = None if projection_dim is None else args.positive_int("projection_dim",
                                                                                    projection_dim)
        if not isinstance(diag_scale, numbers.Real) or isinstance(diag_scale, bool) or not diag_scale >= 0:
            args.invalid("diag_scale", diag_scale, "a non-negative number")
        self.diag_scale = float(diag_scale)
        self.use_bias = args.boolean("use_bias", use_bias)
        args.keras_objects(self, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                           kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer)
        self.supports_masking = True

    def _features(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2 or not all(
                isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"Invalid input for layer '{self.name}': expected a list [x0, x_i] of two tensors. "
                             f"Received: input_shape={shapes}")
        first, second = (tuple(s) for s in shapes)
        if len(first) < 2 or len(first) != len(second) or first[-1] is None or first[-1] != second[-1]:
            raise ValueError(f"Invalid input for layer '{self.name}': x0 and x_i must have the same rank >= 2 and "
                             f"the same known last axis. Received: input_shape={[first, second]}")
        return first[-1]

    def _kernel(self, name, shape):
        return self.add_weight(name=name, shape=shape, initializer=args.fresh_initializer(self.kernel_initializer),
                               regularizer=self.kernel_regularizer)

    def build(self, input_shape):
        features = self._features(input_shape)
        if self.projection_dim is None:
            self.kernel = self._kernel("kernel", (features, features))
        else:
            if self.projection_dim > features / 2:
                raise ValueError(f"Invalid `projection_dim` for layer '{self.name}': expected None or a positive "
                                 f"integer <= input features / 2 = {features / 2:g}. Received: "
                                 f"projection_dim={self.projection_dim!r}, input_shape={list(input_shape)}")
            self.kernel_u = self._kernel("kernel_u", (features, self.projection_dim))
            self.kernel_v = self._kernel("kernel_v", (self.projection_dim, features))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(features,),
                                        initializer=args.fresh_initializer(self.bias_initializer),
                                        regularizer=self.bias_regularizer)

    def call(self, inputs):
        x0, x = inputs
        if self.projection_dim is None:
            product = ops.matmul(x, self.kernel)
        else:
            product = ops.matmul(ops.matmul(x, self.kernel_u), self.kernel_v)
        if self.diag_scale:
            product = product + self.diag_scale * x
        outputs = x0 * product + x
        if self.bias is not None:
            outputs = outputs + self.bias
        return outputs

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else mask[1]

    def compute_output_shape(self, input_shape):
        self._features(input_shape)
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, (
            "projection_dim", "diag_scale", "use_bias", "kernel_initializer", "bias_initializer",
            "kernel_regularizer", "bias_regularizer")))
        return config
