"""Dilated (atrous) convolution that also accepts strides, with a warning for gridding stacks."""

import warnings

import keras

from keras_dlx.layers.convolution.base_conv import BaseConv


class GriddingWarning(UserWarning):
    """A stack of dilated convolutions whose combined receptive field has holes."""


def receptive_field_holes(dilation_rates, kernel_size):
    """Offsets inside a stack's receptive field that no path reaches (one spatial axis).

    A stack of stride-1 convolutions with kernel sizes ``k_i`` and rates ``r_i`` reads input offsets
    ``sum_i t_i * r_i`` with ``0 <= t_i < k_i``. Gridding (Wang et al. 2018, "Understanding Convolution for
    Semantic Segmentation") is exactly the case where this set is not a contiguous range: e.g. rates (2, 2, 2)
    read only even offsets, while the hybrid-dilated rates (1, 2, 5) with 3-tap kernels reach every offset.

    Args:
        dilation_rates: sequence of ints, the rates in order.
        kernel_size: an int, or a sequence of ints of the same length as `dilation_rates`.

    Returns:
        The sorted list of unreachable offsets; empty means the stack does not grid.
    """
    sizes = [kernel_size] * len(dilation_rates) if isinstance(kernel_size, int) else list(kernel_size)
    reached = {0}
    for rate, size in zip(dilation_rates, sizes):
        reached = {r + t * rate for r in reached for t in range(size)}
    return sorted(set(range(max(reached) + 1)) - reached)


_warned = set()


def _upstream_stack(tensor):
    """(rate, kernel_size) per axis of the stride-1 convolutions feeding `tensor`, through shape-preserving layers."""
    stack = []
    while True:
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            break
        layer = history.operation
        node = layer._inbound_nodes[history.node_index]
        if len(node.input_tensors) != 1:
            break
        if hasattr(layer, "dilation_rate") and hasattr(layer, "kernel_size"):
            # Strides and upsampling (ResizeConv2D's `size`) change the grid the rates are measured on.
            regrids = [getattr(layer, "strides", (1,)), getattr(layer, "size", (1,))]
            if any(v != 1 for values in regrids for v in values):
                break
            stack.append((tuple(layer.dilation_rate), tuple(layer.kernel_size)))
        elif tuple(node.input_tensors[0].shape[1:]) != tuple(node.output_tensors[0].shape[1:]):
            break
        tensor = node.input_tensors[0]
    return stack[::-1]


class DilatedConvND(BaseConv):
    """Shared implementation of `DilatedConv1D/2D/3D`: dilation 2 by default, gridding check on symbolic calls."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=2,
                 **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, keras.KerasTensor) and all(s == 1 for s in self.strides):
            self._check_gridding(_upstream_stack(inputs))
        return super().__call__(inputs, *args, **kwargs)

    def _check_gridding(self, stack):
        stack = stack + [(self.dilation_rate, self.kernel_size)]
        dilated = [rates for rates, _ in stack if any(r > 1 for r in rates)]
        if len(dilated) < 2:
            return
        for axis in range(self.rank):
            rates = tuple(rates[axis] for rates, _ in stack)
            sizes = tuple(sizes[axis] for _, sizes in stack)
            holes = receptive_field_holes(rates, sizes)
            if holes and (rates, sizes) not in _warned:
                _warned.add((rates, sizes))
                warnings.warn(
                    f"Layer '{self.name}' ends a stack of dilated convolutions with rates {rates} (kernel sizes "
                    f"{sizes}) along spatial axis {axis}: its receptive field misses offsets {holes[:8]}"
                    f"{'...' if len(holes) > 8 else ''} (gridding). Rates without a common factor whose "
                    "growth the kernel can cover, such as (1, 2, 5) for 3-tap kernels, avoid it (hybrid "
                    "dilated convolution, Wang et al. 2018).", GriddingWarning, stacklevel=3)
                return


_DOC = """{rank}D dilated (atrous) convolution that also works with `strides > 1`.

    A dilated convolution spaces its kernel taps `dilation_rate` apart, widening the receptive field without
    extra weights: `y[i] = sum_t x[i * s + t * d] w[t]` (Yu & Koltun 2016, "Multi-Scale Context Aggregation by
    Dilated Convolutions"; Chen et al., DeepLab). Keras refuses `strides > 1` with `dilation_rate > 1`; this layer
    computes it exactly (TensorFlow "same"/"valid" padding semantics) by decimating the input by
    `gcd(strides, dilation_rate)` first, so `strides=2, dilation_rate=2` costs no more than an undilated conv.

    When the layer is called on a symbolic tensor produced by other stride-1 convolutions (through
    shape-preserving layers such as BatchNormalization or activations), it checks the stack's combined receptive
    field and warns once, with a `GriddingWarning`, if it has holes (see `receptive_field_holes`).

    Args:
        filters: int, number of output channels.
        kernel_size: int or tuple of {rank} ints.
        strides: int or tuple of {rank} ints. Defaults to 1.
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` or `"channels_first"`; defaults to `keras.config.image_data_format()`.
        dilation_rate: int or tuple of {rank} ints. Defaults to 2.
        groups: int dividing both channel counts, as in `keras.layers.Conv{rank}D`. Defaults to 1.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in `keras.layers.Conv{rank}D`.

    Input shape:
        {rank_plus_2}D tensor `{layout}` (channels_last) or with channels after batch (channels_first).

    Output shape:
        {rank_plus_2}D tensor with `filters` channels; spatial sizes `ceil(n / s)` for "same",
        `ceil((n - (k - 1) * d) / s)` for "valid".

    Example:

    >>> layer = keras_dlx.layers.DilatedConv{rank}D(8, 3, strides=2, dilation_rate=2, padding="same")
    >>> layer(keras.ops.ones({example_shape})).shape
    {example_out}

    Reference:
        - [Yu & Koltun 2016](https://arxiv.org/abs/1511.07122)
        - [Wang et al. 2018](https://arxiv.org/abs/1702.08502) (hybrid dilated convolution)
    """


def _doc(rank, example_shape, example_out):
    layout = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
              3: "(batch, depth, height, width, channels)"}[rank]
    return _DOC.format(rank=rank, rank_plus_2=rank + 2, layout=layout, example_shape=example_shape,
                       example_out=example_out)


@keras.saving.register_keras_serializable(package="keras_dlx")
class DilatedConv1D(DilatedConvND):
    __doc__ = _doc(1, "(2, 16, 3)", "(2, 8, 8)")
    rank = 1


@keras.saving.register_keras_serializable(package="keras_dlx")
class DilatedConv2D(DilatedConvND):
    __doc__ = _doc(2, "(2, 16, 16, 3)", "(2, 8, 8, 8)")
    rank = 2


@keras.saving.register_keras_serializable(package="keras_dlx")
class DilatedConv3D(DilatedConvND):
    __doc__ = _doc(3, "(2, 8, 8, 8, 3)", "(2, 4, 4, 4, 8)")
    rank = 3
