"""Instance normalization: group normalization with one channel per group."""


from keras_dlx.layers.normalization.group_normalization import GroupNormalization
from keras_dlx.utils.registration import register


@register
class InstanceNormalization(GroupNormalization):
    """Instance normalization (Ulyanov et al. 2016), statistics in float32.

    Each sample and channel is normalized with its own mean and (biased) variance over the spatial positions:

        y[n, ..., c] = (x[n, ..., c] - mean_{n,c}) / sqrt(var_{n,c} + epsilon) * gamma_c + beta_c

    as used in style transfer and GANs. It equals `GroupNormalization(groups=-1)`, and TensorFlow Addons'
    `InstanceNormalization` (same `epsilon=1e-3` default, same `gamma`/`beta` weights), so its users' numbers do
    not move. Works on 3D, 4D and 5D inputs; `axis=1` for channels_first.

    Args:
        axis: int, the channel axis. Defaults to -1.
        epsilon: positive float added to the variance. Defaults to 1e-3.
        center: as in `GroupNormalization`. Likewise scale, beta_initializer, gamma_initializer, beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint.

    Input shape:
        Any tensor of rank >= 3 (batch, spatial..., channels or channels first).

    Output shape:
        Same as the input.

    Example:

    >>> norm = keras_dlx.layers.InstanceNormalization()
    >>> tuple(norm(keras.random.normal((2, 64, 64, 3))).shape)
    (2, 64, 64, 3)

    Reference:
        - [Ulyanov, Vedaldi & Lempitsky 2016](https://arxiv.org/abs/1607.08022)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        kwargs.pop("groups", None)
        super().__init__(groups=-1, axis=axis, epsilon=epsilon, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                         beta_constraint=beta_constraint, gamma_constraint=gamma_constraint, **kwargs)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"Invalid input for layer '{self.name}': expected a tensor of rank >= 3 "
                             f"(batch, spatial..., channels). Received: input_shape={tuple(input_shape)}")
        super().build(input_shape)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        return config
