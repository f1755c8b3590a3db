"""Pooling operations with argmax indices (backend-neutral)."""

from keras import ops

from keras_dlx.utils import arguments as args

__all__ = ["max_pool_with_argmax"]


def _padding_before(size, pool, stride, padding):
    """Output size and padding before the first window along one spatial axis, as TensorFlow pads."""
    if padding == "valid":
        return (size - pool) // stride + 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + pool - size, 0)
    return out, total // 2


def max_pool_with_argmax(inputs, pool_size, strides, padding="valid", include_batch_in_index=False):
    """2D max pooling that also returns where each maximum came from, as `tf.nn.max_pool_with_argmax`.

    Each output value is the maximum of its window; its index is the position of that maximum in the input
    flattened per example,

        argmax = (y * width + x) * channels + c                  (include_batch_in_index=False)
        argmax = ((b * height + y) * width + x) * channels + c   (include_batch_in_index=True)

    which is the `mask` that `keras_dlx.layers.MaxUnpooling2D` (as TensorFlow Addons') reads: pass it the
    default `include_batch_in_index=False`. Of equal values in a window the first in row-major order wins, as
    TensorFlow's CPU kernel does; "same" padding never selects a padded position. Built from strided slices of
    the input, one per window position, so the gradient of the values reaches the selected input elements only.

    Args:
        inputs: 4D tensor `(batch, height, width, channels)` (channels_last, as TensorFlow's op).
        pool_size: int or tuple of 2 ints, the window size.
        strides: int or tuple of 2 ints, the window strides.
        padding: "valid" or "same" (case-insensitive), as in `keras.layers.MaxPooling2D`.
        include_batch_in_index: bool, also count the batch position in the index. Defaults to False.

    Returns:
        A tuple `(values, argmax)`: the pooled values, with the input's dtype, and their int32 indices, both of
        shape `(batch, pooled_height, pooled_width, channels)`.

    Example:

    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> values, argmax = keras_dlx.ops.max_pool_with_argmax(x, 2, 2)
    >>> np.asarray(keras.ops.convert_to_numpy(argmax))[0, :, :, 0].tolist()
    [[5, 7], [13, 15]]

    Reference:
        - [Zeiler & Fergus 2014, Visualizing and Understanding Convolutional
          Networks](https://arxiv.org/abs/1311.2901)
    """
    pool_size = args.int_tuple("pool_size", pool_size, 2)
    strides = args.int_tuple("strides", strides, 2)
    padding = args.one_of("padding", padding, ("valid", "same"))
    include_batch_in_index = args.boolean("include_batch_in_index", include_batch_in_index)
    inputs = ops.convert_to_tensor(inputs)
    if len(inputs.shape) != 4:
        raise ValueError(f"Invalid `inputs`: expected a 4D tensor (batch, height, width, channels). "
                         f"Received: inputs.shape={tuple(inputs.shape)}")
    batch, height, width, channels = ops.shape(inputs)
    if not all(isinstance(size, int) for size in (height, width, channels)):
        raise ValueError(f"Invalid `inputs`: height, width and channels must be known. "
                         f"Received: inputs.shape={tuple(inputs.shape)}")
    if padding == "valid" and (height < pool_size[0] or width < pool_size[1]):
        raise ValueError(f"Invalid `pool_size`: a 'valid' window must fit in the input "
                         f"(height, width)=({height}, {width}). Received: pool_size={pool_size}")
    out_h, top = _padding_before(height, pool_size[0], strides[0], padding)
    out_w, left = _padding_before(width, pool_size[1], strides[1], padding)
    padded = inputs
    if padding == "same":
        bottom = (out_h - 1) * strides[0] + pool_size[0] - height - top
        right = (out_w - 1) * strides[1] + pool_size[1] - width - left
        # -inf never wins a comparison with an input value, so a padded position is never selected.
        padded = ops.pad(inputs, [[0, 0], [top, max(bottom, 0)], [left, max(right, 0)], [0, 0]],
                         constant_values=float("-inf"))
    windows = []
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            windows.append(padded[:, i:i + (out_h - 1) * strides[0] + 1:strides[0],
                                  j:j + (out_w - 1) * strides[1] + 1:strides[1], :])
    # (batch, out_h, out_w, window, channels): argmax keeps the first maximum, in row-major window order.
    windows = ops.stack(windows, axis=3)
    position = ops.argmax(windows, axis=3)
    values = ops.squeeze(ops.take_along_axis(windows, ops.expand_dims(position, 3), axis=3), 3)
    # ops.* rather than operators: a JAX array on the left of a symbolic tensor would not dispatch to Keras.
    position = ops.cast(position, "int32")
    y = ops.add(ops.reshape(ops.arange(out_h, dtype="int32") * strides[0] - top, (1, out_h, 1, 1)),
                ops.floor_divide(position, pool_size[1]))
    x = ops.add(ops.reshape(ops.arange(out_w, dtype="int32") * strides[1] - left, (1, 1, out_w, 1)),
                ops.mod(position, pool_size[1]))
    if include_batch_in_index:
        y = ops.add(y, ops.reshape(ops.arange(batch, dtype="int32") * height, (-1, 1, 1, 1)))
    c = ops.reshape(ops.arange(channels, dtype="int32"), (1, 1, 1, channels))
    argmax = ops.add(ops.multiply(ops.add(ops.multiply(y, width), x), channels), c)
    return values, argmax

