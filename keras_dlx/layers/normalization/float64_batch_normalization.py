"""BatchNormalization that keeps float64 inputs in float64 on every backend, for the blocks' normalization."""

import keras
from keras import ops

from keras_dlx.utils.dtypes import keeps_float64


class Float64BatchNormalization(keras.layers.BatchNormalization):
    """keras.layers.BatchNormalization that keeps a float64 input in float64 on every backend.

    Keras computes in `result_type(inputs.dtype, "float32")`, which off TensorFlow maps float64 to float32 (Keras
    follows JAX's 64-to-32-bit promotion), so a float64 block on JAX agreed with float64 references only to
    ~1e-7. For a float64 input this computes the same steps as Keras (no renorm, no mask: the blocks use
    neither) in float64; every other input, and every input on TensorFlow, goes through Keras unchanged.

    The blocks' BatchNormalization (`DepthwiseSeparableConv2D`, and `norm="batch"` in ConvNormAct, ResidualBlock,
    InceptionBlock, ASPP) is this layer; it is an internal sublayer, not exported or registered (a block's
    config names `norm`, not the class).
    """

    def call(self, inputs, training=None, mask=None):
        if (keeps_float64() or keras.backend.standardize_dtype(inputs.dtype) != "float64" or mask is not None
                or self.renorm):
            return super().call(inputs, training=training, mask=mask)
        moving_mean = ops.cast(self.moving_mean, "float64")
        moving_variance = ops.cast(self.moving_variance, "float64")
        gamma = ops.cast(self.gamma, "float64") if self.scale else None
        beta = ops.cast(self.beta, "float64") if self.center else None
        if training and self.trainable:
            channel = self.axis % len(inputs.shape)
            mean, variance = ops.moments(inputs, axes=[a for a in range(len(inputs.shape)) if a != channel])
            self.moving_mean.assign(moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            mean, variance = moving_mean, moving_variance
        outputs = ops.batch_normalization(inputs, mean, variance, axis=self.axis, offset=beta, scale=gamma,
                                          epsilon=self.epsilon)
        return ops.cast(outputs, self.compute_dtype)
