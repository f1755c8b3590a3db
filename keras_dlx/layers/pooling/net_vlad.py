"""NetVLAD: a trainable VLAD pooling of a set of local descriptors (TensorFlow Addons' NetVLAD)."""

import math

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def _l2_normalize(x, axis):
    # As tf.nn.l2_normalize: x / sqrt(max(sum(x^2), 1e-12)).
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12))


@register
class NetVLAD(keras.layers.Layer):
    """NetVLAD pooling (Arandjelovic et al. 2016), TensorFlow Addons' `NetVLAD`: frames to one descriptor.

    Each of the N frames x_i (D features) is softly assigned to K clusters, a_k(x_i) = softmax_k(x_i w_k + b_k)
    (the `Dense` sublayer `fc`, with Addons' L2(1e-5) kernel regularizer), and the assignment-weighted residuals
    to the learned centres c_k (`cluster_centers`, shape (1, D, K)) are summed:

        V(j, k) = sum_i a_k(x_i) * (x_i(j) - c_k(j))

    V is L2-normalized over j for each cluster (intra-normalization), flattened (feature-major: index
    j * K + k) and L2-normalized again, with TensorFlow's `l2_normalize` epsilon (1e-12 on the squared norm). The
    normalizations run in float32 under mixed precision.

    Args:
        num_clusters: int > 0, the number of clusters K.

    Input shape:
        3D tensor (batch, frames, features), features known.

    Output shape:
        2D tensor (batch, features * num_clusters).

    Example:

    >>> vlad = keras_dlx.layers.NetVLAD(num_clusters=8)
    >>> tuple(vlad(keras.random.normal((2, 50, 16))).shape)
    (2, 128)

    Reference:
        - [Arandjelovic et al. 2016, NetVLAD: CNN architecture for weakly supervised place
          recognition](https://arxiv.org/abs/1511.07247)
    """

    def __init__(self, num_clusters, **kwargs):
        super().__init__(**kwargs)
        self.num_clusters = args.positive_int("num_clusters", num_clusters)
        self.fc = keras.layers.Dense(self.num_clusters, activation="softmax",
                                     kernel_regularizer=keras.regularizers.L2(1e-5), dtype=self.dtype_policy,
                                     name="fc")

    def build(self, input_shape):
        args.input_rank(self, input_shape, 3, "(batch, frames, features)")
        features = args.known_channels(self, input_shape, -1)
        self.fc.build((None, features))
        self.cluster_centers = self.add_weight(
            name="cluster_centers", shape=(1, features, self.num_clusters),
            initializer=keras.initializers.TruncatedNormal(stddev=1.0 / math.sqrt(features)))
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: features})

    def call(self, frames):
        assignment = self.fc(frames)  # (batch, frames, K)
        residual_sum = ops.einsum("bnk,bnd->bdk", assignment, frames)
        centres = ops.expand_dims(ops.sum(assignment, axis=1), 1) * self.cluster_centers
        # Squared norms in at least float32 (float16 overflows past 256 per element).
        wide = "float32" if self.compute_dtype in ("float16", "bfloat16") else self.compute_dtype
        vlad = ops.cast(residual_sum - centres, wide)
        vlad = _l2_normalize(vlad, axis=1)
        vlad = _l2_normalize(ops.reshape(vlad, (-1, vlad.shape[1] * self.num_clusters)), axis=1)
        return ops.cast(vlad, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] * self.num_clusters)

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("num_clusters",)))
        return config
