"""Max unpooling: the values of a max pooling put back where their maxima came from."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.config import arguments as config_arguments
from keras_dlx.utils.registration import register


def _check_inputs(layer, updates_shape):
    args.input_rank(layer, updates_shape, 4, "(batch, height, width, channels)")
    if any(size is None for size in updates_shape[1:]):
        raise ValueError(f"Invalid input for layer '{layer.name}': height, width and channels of `updates` must be "
                         f"known. Received: input_shape={tuple(updates_shape)}")


def _unpool(layer, updates, mask, out_h, out_w):
    """Scatter `updates` to the (out_h, out_w) positions that `mask` indexes, as Addons reads them: the row and
    column from the index, the channel from the value's own position; values sharing an index are summed."""
    if tuple(mask.shape[1:]) != tuple(updates.shape[1:]):
        raise ValueError(f"Invalid input for layer '{layer.name}': `mask` must have the shape of `updates`. "
                         f"Received: updates.shape={tuple(updates.shape)}, mask.shape={tuple(mask.shape)}")
    channels = updates.shape[-1]
    batch = ops.shape(updates)[0]
    mask = ops.cast(mask, "int32")
    y = mask // (out_w * channels)
    x = (mask // channels) % out_w
    b = ops.reshape(ops.arange(batch, dtype="int32"), (-1, 1, 1, 1))
    c = ops.reshape(ops.arange(channels, dtype="int32"), (1, 1, 1, channels))
    flat = ops.reshape(((b * out_h + y) * out_w + x) * channels + c, (-1, 1))
    output = ops.scatter(flat, ops.reshape(updates, (-1,)), (batch * out_h * out_w * channels,))
    return ops.reshape(output, (batch, out_h, out_w, channels))


@register
class MaxUnpooling2D(keras.layers.Layer):
    """Unpooling of a 2D max pooling (TensorFlow Addons' `MaxUnpooling2D`), called as `layer(updates, mask)`.

    Scatters each pooled value back to the input position of its maximum, zeros elsewhere (Zeiler & Fergus
    2014; SegNet's decoder). `mask` holds flattened per-example indices `(y * width + x) * channels + c` into the
    unpooled output, as `keras_dlx.ops.max_pool_with_argmax` (and `tf.nn.max_pool_with_argmax` with
    `include_batch_in_index=False`) returns them. The output size is inferred from the pooled size, as Addons:

        "SAME":  (h * strides[0], w * strides[1])
        "VALID": ((h - 1) * strides[0] + pool_size[0], (w - 1) * strides[1] + pool_size[1])

    which is the pooled input's size only when the pooling tiled it exactly; otherwise the indices are read
    against the inferred width, as Addons does. Values that share an index (overlapping windows with the same
    maximum) are summed. Like Addons, the channel of a value is its own channel, not `index % channels`.

    Args:
        pool_size: int or tuple of 2 ints, the window of the max pooling. Defaults to (2, 2).
        strides: int or tuple of 2 ints, its strides. Defaults to (2, 2).
        padding: "SAME" or "VALID" (case-insensitive; stored upper-case as Addons), its padding. Defaults to
            "SAME".

    Input shape:
        `updates`: 4D tensor `(batch, height, width, channels)`, the pooled values; `mask`: integer tensor of
        the same shape, their argmax indices.

    Output shape:
        4D tensor `(batch, unpooled_height, unpooled_width, channels)`.

    Example:

    >>> x = keras.random.normal((2, 8, 8, 3))
    >>> values, argmax = keras_dlx.ops.max_pool_with_argmax(x, 2, 2, padding="same")
    >>> tuple(keras_dlx.layers.MaxUnpooling2D()(values, argmax).shape)
    (2, 8, 8, 3)

    Reference:
        - [Zeiler & Fergus 2014, Visualizing and Understanding Convolutional
          Networks](https://arxiv.org/abs/1311.2901)
        - [Badrinarayanan et al. 2017, SegNet](https://arxiv.org/abs/1511.00561)
    """

    def __init__(self, pool_size=(2, 2), strides=(2, 2), padding="SAME", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = args.int_tuple("pool_size", pool_size, 2)
        self.strides = args.int_tuple("strides", strides, 2)
        self.padding = args.one_of("padding", padding, ("same", "valid")).upper()

    def _output_size(self, height, width):
        if height is None or width is None:
            return None, None
        if self.padding == "SAME":
            return height * self.strides[0], width * self.strides[1]
        return ((height - 1) * self.strides[0] + self.pool_size[0],
                (width - 1) * self.strides[1] + self.pool_size[1])

    def build(self, updates_shape, mask_shape=None):
        _check_inputs(self, updates_shape)

    def call(self, updates, mask):
        _, height, width, _ = updates.shape
        return _unpool(self, updates, mask, *self._output_size(height, width))

    def compute_output_shape(self, updates_shape, mask_shape=None):
        out_h, out_w = self._output_size(updates_shape[1], updates_shape[2])
        return (updates_shape[0], out_h, out_w, updates_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("pool_size", "strides", "padding")))
        return config


@register
class MaxUnpooling2DV2(keras.layers.Layer):
    """Unpooling of a 2D max pooling to a given size (TensorFlow Addons' `MaxUnpooling2DV2`), `layer(updates, mask)`.

    As `MaxUnpooling2D`, but the unpooled size is given rather than inferred, so any pooling (odd sizes,
    overlapping windows) is undone exactly: each value goes back to the position its index
    `(y * width + x) * channels + c` names in an `output_size` map, zeros elsewhere; values that share an index
    are summed.

    Args:
        output_size: tuple of 4 ints, the unpooled shape (batch, height, width, channels), as Addons. Only
            height, width and channels are used: the batch size is the input's (Addons required the two to
            agree), so one layer serves any batch size.

    Input shape:
        `updates`: 4D tensor `(batch, height, width, channels)`, the pooled values; `mask`: integer tensor of
        the same shape, their argmax indices.

    Output shape:
        4D tensor `(batch, output_size[1], output_size[2], output_size[3])`.

    Example:

    >>> x = keras.random.normal((2, 7, 7, 3))
    >>> values, argmax = keras_dlx.ops.max_pool_with_argmax(x, 3, 2)
    >>> unpooled = keras_dlx.layers.MaxUnpooling2DV2((2, 7, 7, 3))(values, argmax)
    >>> tuple(unpooled.shape)
    (2, 7, 7, 3)

    Reference:
        - [Zeiler & Fergus 2014, Visualizing and Understanding Convolutional
          Networks](https://arxiv.org/abs/1311.2901)
    """

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = args.int_tuple("output_size", output_size, 4)

    def build(self, updates_shape, mask_shape=None):
        _check_inputs(self, updates_shape)
        if updates_shape[-1] != self.output_size[3]:
            raise ValueError(f"Invalid input for layer '{self.name}': `updates` must have output_size[3] = "
                             f"{self.output_size[3]} channels. Received: input_shape={tuple(updates_shape)}")

    def call(self, updates, mask):
        return _unpool(self, updates, mask, self.output_size[1], self.output_size[2])

    def compute_output_shape(self, updates_shape, mask_shape=None):
        return (updates_shape[0], *self.output_size[1:])

    def get_config(self):
        config = super().get_config()
        config.update(config_arguments(self, ("output_size",)))
        return config
