"""TensorFlow distribution support: the only place in keras_dlx with tf.distribute code."""

from keras_dlx.distribute.cross_replica import cross_replica_sum  # noqa: F401
