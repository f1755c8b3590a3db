"""Sums across the replicas of a tf.distribute strategy, for synchronized statistics.

Backend-neutral: layers import it from here, and TensorFlow is imported only when the backend is TensorFlow.
"""

import keras


def cross_replica_sum(*tensors):
    """Sum each tensor over all replicas in sync; identity outside tf.distribute or with one replica.

    Called from a layer's `call` in replica context (e.g. under `MirroredStrategy`), every replica gets the
    same global sums. On JAX and PyTorch, and under the default strategy, it returns the tensors unchanged.
    """
    if keras.backend.backend() != "tensorflow":
        return tensors
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return tensors
    return tuple(context.all_reduce(tf.distribute.ReduceOp.SUM, t) for t in tensors)
