"""Gridding: stacks of dilated convolutions whose combined receptive field has holes, and a model check for it."""

import collections
import warnings


class GriddingWarning(UserWarning):
    """A stack of dilated convolutions whose combined receptive field has holes."""


Gridding = collections.namedtuple("Gridding", ["layer", "axis", "dilation_rates", "kernel_sizes", "holes"])
Gridding.__doc__ = """One gridding stack: it ends at `layer` (a name); along spatial `axis`, the stride-1 convolutions
with these `dilation_rates` and `kernel_sizes` (in order) never read the input offsets `holes`."""


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


def _is_convolution(layer):
    return hasattr(layer, "dilation_rate") and hasattr(layer, "kernel_size")


def _regrids(layer):
    """Strides and upsampling (ResizeConv2D's `size`) change the grid the rates are measured on."""
    return any(v != 1 for name in ("strides", "size") for v in getattr(layer, name, (1,)))


def _single_input_and_output(layer):
    """`(input, output)` of a layer called once on one tensor, else None (shared or multi-input layers)."""
    try:
        inputs, output = layer.input, layer.output
    except (AttributeError, ValueError):
        return None
    return None if isinstance(inputs, (list, tuple, dict)) or isinstance(output, (list, tuple, dict)) \
        else (inputs, output)


def _stacks(model):
    """For each stride-1 convolution of a functional model: the chain of stride-1 convolutions feeding it,
    through shape-preserving layers (activations, normalizations), as a list of layers in order."""
    producers, wiring = {}, {}
    for layer in model.layers:
        io = _single_input_and_output(layer)
        if io is not None:
            wiring[id(layer)] = io
            producers[id(io[1])] = layer
    stacks = []
    for layer in model.layers:
        if not _is_convolution(layer) or _regrids(layer) or id(layer) not in wiring:
            continue
        chain, current = [layer], layer
        while True:
            upstream = producers.get(id(wiring[id(current)][0]))
            if upstream is None:
                break
            if _is_convolution(upstream):
                if _regrids(upstream):
                    break
                chain.append(upstream)
            elif tuple(wiring[id(upstream)][0].shape[1:]) != tuple(wiring[id(upstream)][1].shape[1:]):
                break
            current = upstream
        stacks.append(chain[::-1])
    return stacks


def check_gridding(model, warn=True):
    """Find the stacks of dilated convolutions in a functional model whose receptive field has holes.

    Walks each chain of stride-1 convolutions (any layer with `dilation_rate` and `kernel_size`: keras_dlx's and
    Keras's) connected through shape-preserving layers, and reports, per spatial axis, the chains with at least
    two dilated convolutions whose combined receptive field misses offsets (see `receptive_field_holes`). Only
    the longest chain is reported when a shorter one is part of it. Strides and upsampling end a chain.

    Args:
        model: a functional or sequential Keras model (built). Layers called more than once are not followed.
        warn: bool, also emit one `GriddingWarning` per finding. Defaults to True.

    Returns:
        A list of `Gridding(layer, axis, dilation_rates, kernel_sizes, holes)`; empty when nothing grids.

    Example:

    >>> inputs = keras.Input((32, 32, 4))
    >>> x = keras_dlx.layers.DilatedConv2D(4, 3, dilation_rate=2, padding="same")(inputs)
    >>> x = keras_dlx.layers.DilatedConv2D(4, 3, dilation_rate=4, padding="same")(x)
    >>> findings = keras_dlx.layers.check_gridding(keras.Model(inputs, x), warn=False)
    >>> len(findings), findings[0].dilation_rates  # one finding per spatial axis
    (2, (2, 4))
    """
    stacks = _stacks(model)
    inner = {id(layer) for chain in stacks for layer in chain[:-1]}
    findings = []
    for chain in stacks:
        last = chain[-1]
        if id(last) in inner or sum(any(r > 1 for r in layer.dilation_rate) for layer in chain) < 2:
            continue
        for axis in range(len(last.kernel_size)):
            rates = tuple(layer.dilation_rate[axis] for layer in chain)
            sizes = tuple(layer.kernel_size[axis] for layer in chain)
            holes = receptive_field_holes(rates, sizes)
            if holes:
                findings.append(Gridding(last.name, axis, rates, sizes, holes))
    if warn:
        for f in findings:
            warnings.warn(
                f"Layer '{f.layer}' ends a stack of dilated convolutions with rates {f.dilation_rates} (kernel sizes "
                f"{f.kernel_sizes}) along spatial axis {f.axis}: its receptive field misses offsets {f.holes[:8]}"
                f"{'...' if len(f.holes) > 8 else ''} (gridding). Rates without a common factor whose growth the "
                "kernel can cover, such as (1, 2, 5) for 3-tap kernels, avoid it (hybrid dilated convolution, "
                "Wang et al. 2018).", GriddingWarning, stacklevel=2)
    return findings
