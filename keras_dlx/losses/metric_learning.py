"""Pairwise distances between the embeddings of a batch, and the argument checks shared by the metric losses."""

import numbers

import keras
from keras import ops

from keras_dlx.utils import arguments as args

DISTANCE_METRICS = ("L2", "squared-L2", "angular")


def pairwise_distance(feature, squared=False):
    """Euclidean distance between every two rows of a batch of embeddings.

    Expands `|a - b|^2 = |a|^2 + |b|^2 - 2 a.b` (one matrix product), clips the rounding negatives to zero and
    sets the diagonal to exactly zero; the square root of a zero distance has a zero gradient.

    Args:
        feature: float tensor of shape `(batch_size, dim)`.
        squared: bool, return the squared distances. Defaults to False.

    Returns:
        Float tensor of shape `(batch_size, batch_size)`.

    Example:

    >>> d = keras_dlx.losses.pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0]]))
    >>> np.round(keras.ops.convert_to_numpy(d), 4).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    feature = ops.convert_to_tensor(feature)
    norms = ops.sum(ops.square(feature), axis=1, keepdims=True)
    squared_distances = norms + ops.transpose(norms) - 2.0 * ops.matmul(feature, ops.transpose(feature))
    squared_distances = ops.maximum(squared_distances, 0.0)
    zero = ops.cast(ops.less_equal(squared_distances, 0.0), feature.dtype)
    if squared:
        distances = squared_distances
    else:
        # The offset keeps the square root's gradient finite where the distance is zero.
        distances = ops.sqrt(squared_distances + zero * 1e-16)
    distances = distances * (1.0 - zero)
    return distances * (1.0 - ops.eye(ops.shape(feature)[0], dtype=feature.dtype))


def angular_distance(feature):
    """One minus the cosine similarity between every two rows of a batch of embeddings, clipped at zero.

    Args:
        feature: float tensor of shape `(batch_size, dim)`.

    Returns:
        Float tensor of shape `(batch_size, batch_size)`.

    Example:

    >>> d = keras_dlx.losses.angular_distance(np.array([[1.0, 0.0], [0.0, 2.0]]))
    >>> np.round(keras.ops.convert_to_numpy(d), 4).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    feature = ops.convert_to_tensor(feature)
    unit = feature * ops.rsqrt(ops.maximum(ops.sum(ops.square(feature), axis=1, keepdims=True), 1e-12))
    return ops.maximum(1.0 - ops.matmul(unit, ops.transpose(unit)), 0.0)


def distance_matrix(embeddings, distance_metric):
    if distance_metric == "L2":
        return pairwise_distance(embeddings, squared=False)
    if distance_metric == "squared-L2":
        return pairwise_distance(embeddings, squared=True)
    if distance_metric == "angular":
        return angular_distance(embeddings)
    return distance_metric(embeddings)


def check_distance_metric(value):
    """One of `DISTANCE_METRICS` (any case, returned in Addons' spelling) or a callable."""
    if callable(value):
        return value
    if isinstance(value, str):
        for metric in DISTANCE_METRICS:
            if value.lower() == metric.lower():
                return metric
    args.invalid("distance_metric", value, "'L2', 'squared-L2', 'angular' or a callable that maps embeddings "
                 "of shape (batch_size, dim) to distances of shape (batch_size, batch_size)")


def check_margin(value):
    """A non-negative number (a tensor is let through unchecked, as in the functional form)."""
    if ops.is_tensor(value):
        return value
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        args.invalid("margin", value, "a non-negative number")
    return float(value)


def serialize_metric(value):
    return value if isinstance(value, str) else keras.saving.serialize_keras_object(value)


def deserialize_metric(value):
    return keras.saving.deserialize_keras_object(value) if isinstance(value, dict) else value


def precise(embeddings):
    """Embeddings in float32 when they are float16/bfloat16 (distances would lose too much), and their dtype."""
    embeddings = ops.convert_to_tensor(embeddings)
    dtype = keras.backend.standardize_dtype(embeddings.dtype)
    if dtype in ("float16", "bfloat16"):
        return ops.cast(embeddings, "float32"), dtype
    if not dtype.startswith("float"):
        return ops.cast(embeddings, keras.config.floatx()), keras.config.floatx()
    return embeddings, dtype


def label_adjacency(labels):
    """Boolean `(batch_size, batch_size)` matrix: True where two samples share a label."""
    labels = ops.reshape(ops.convert_to_tensor(labels), (-1, 1))
    return ops.equal(labels, ops.transpose(labels))


def masked_maximum(data, mask, axis=-1):
    """Maximum of `data` over the entries where `mask` is 1; the minimum of all of `data` where none is."""
    minimum = ops.min(data, axis=axis, keepdims=True)
    return ops.max((data - minimum) * mask, axis=axis, keepdims=True) + minimum


def masked_minimum(data, mask, axis=-1):
    """Minimum of `data` over the entries where `mask` is 1; the maximum of all of `data` where none is."""
    maximum = ops.max(data, axis=axis, keepdims=True)
    return ops.min((data - maximum) * mask, axis=axis, keepdims=True) + maximum
