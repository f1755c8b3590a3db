"""Backend-neutral convolution primitives shared by the convolution layers.

Every function here works on channels_last tensors; layers transpose channels_first inputs once at their boundary
(TensorFlow's CPU kernels only implement NHWC, so this is also what makes `channels_first` work everywhere).

TensorFlow refuses `strides > 1` together with `dilation_rate > 1`, has no CPU kernel for grouped convolution
(Keras falls back to XLA, about 50x slower than splitting) and has no CPU kernel for dilated transposed
convolution. The functions below rewrite those cases into exactly equivalent calls that every backend supports.
"""

import math

import keras
import numpy as np
from keras import ops


def conv_output_length(length, kernel_size, stride, dilation, padding):
    """Output length of a convolution, TensorFlow/Keras semantics; ``None`` stays ``None``."""
    if length is None:
        return None
    if padding == "same":
        return -(-length // stride)
    return max(-(-(length - (kernel_size - 1) * dilation) // stride), 0)


def conv_transpose_output_length(length, kernel_size, stride, dilation, padding, output_padding):
    """Output length of a transposed convolution, Keras semantics (``deconv_output_length``)."""
    if length is None:
        return None
    k = (kernel_size - 1) * dilation + 1
    if output_padding is None:
        return length * stride if padding == "same" else length * stride + max(k - stride, 0)
    pad = k // 2 if padding == "same" else 0
    return (length - 1) * stride + k - 2 * pad + output_padding


def _same_pads(length, kernel_size, stride, dilation):
    """TensorFlow's "same" padding (before, after) for one spatial axis; works on static and dynamic lengths."""
    k = (kernel_size - 1) * dilation + 1
    out = (length + stride - 1) // stride
    total = (out - 1) * stride + k - length
    total = max(total, 0) if isinstance(total, int) else ops.maximum(total, 0)
    return total // 2, total - total // 2


def _spatial_lengths(x):
    static = x.shape[1:-1]
    if all(s is not None for s in static):
        return [int(s) for s in static]
    dynamic = ops.shape(x)
    return [s if s is not None else dynamic[i + 1] for i, s in enumerate(static)]


def _pad_spatial(x, pads):
    widths = [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)]
    if all(isinstance(v, int) and v == 0 for p in pads for v in p):
        return x
    return ops.pad(x, widths)


def _stride_slice(x, steps):
    """Keep every ``steps[i]``-th position along spatial axis ``i``."""
    if all(s == 1 for s in steps):
        return x
    return x[(slice(None),) + tuple(slice(None, None, s) for s in steps) + (slice(None),)]


def merge_factor(groups, channels_per_group, min_channels=16):
    """How many groups one convolution call handles on TensorFlow.

    oneDNN runs convolutions of fewer than 16 channels poorly: on a 2-core CPU, eight 8->8 convolutions take
    about 0.65x a dense 64->64 one, while four block-diagonal 16->16 ones take 0.55x despite twice the FLOPs
    of the groups. So groups are merged, ``m`` at a time, into block-diagonal convolutions of at least
    ``min_channels`` input channels (``m`` the smallest divisor of ``groups`` that gets there).
    """
    for m in range(1, groups + 1):
        if groups % m == 0 and m * channels_per_group >= min_channels:
            return m
    return groups


def _block_diagonal(kernel, m):
    """``m`` groups' kernels side by side ``(..., a, m * b)`` -> one block-diagonal kernel ``(..., m * a, m * b)``.

    Group ``i``'s block ``kernel[..., :, i*b:(i+1)*b]`` lands at rows ``i*a:(i+1)*a``; the rest is zero, so the
    merged convolution computes exactly the ``m`` grouped ones (and gradients reach only the real weights).
    """
    if m == 1:
        return kernel
    rows, cols = kernel.shape[-2], kernel.shape[-1] // m
    mask = np.kron(np.eye(m), np.ones((rows, cols)))
    reps = [1] * (len(kernel.shape) - 2) + [m, 1]
    return ops.tile(kernel, reps) * ops.cast(mask, kernel.dtype)


def _grouped(fn, x, kernel, groups):
    """Grouped convolution: ``fn(x, kernel)`` per channel group, kernel layout ``(..., in // groups, out)``."""
    if groups == 1:
        return fn(x, kernel)
    if keras.backend.backend() in ("jax", "torch"):
        # XLA and PyTorch have efficient grouped kernels and infer the group count from the kernel shape.
        return fn(x, kernel)
    m = merge_factor(groups, kernel.shape[-2])
    xs = ops.split(x, groups // m, axis=-1)
    ks = [_block_diagonal(k, m) for k in ops.split(kernel, groups // m, axis=-1)]
    return ops.concatenate([fn(xi, ki) for xi, ki in zip(xs, ks)], axis=-1)


def strided_dilated(op, x, kernel_size, strides, padding, dilation_rate, equal_strides_only=False):
    """Run ``op(x, strides, padding, dilation_rate)`` for any combination of strides and dilation.

    With both ``strides`` and ``dilation_rate`` above one, output position ``i`` reads padded input positions
    ``i*s + t*d``. With ``g = gcd(s, d)`` those are all multiples of ``g``, so the input is decimated by ``g`` and
    convolved with stride ``s/g`` and dilation ``d/g``; for s == d (the common case) that is a plain convolution
    of the decimated input. When both are still above one (coprime, e.g. s=2, d=3), or when ``op`` only takes
    equal strides on all axes (``equal_strides_only``, TensorFlow's depthwise kernel) and they differ, the
    convolution runs at stride 1 and its output is decimated: exact, but ``s`` times more work per axis.
    """
    strides, dilation_rate = tuple(strides), tuple(dilation_rate)

    def unsupported(s, d):
        both = any(v > 1 for v in s) and any(v > 1 for v in d)
        return both or (equal_strides_only and len(set(s)) > 1)

    if not unsupported(strides, dilation_rate):
        return op(x, strides, padding, dilation_rate)
    if padding == "same":
        lengths = _spatial_lengths(x)
        x = _pad_spatial(x, [_same_pads(n, k, s, d)
                             for n, k, s, d in zip(lengths, kernel_size, strides, dilation_rate)])
    common = [math.gcd(s, d) for s, d in zip(strides, dilation_rate)]
    x = _stride_slice(x, common)
    strides = tuple(s // g for s, g in zip(strides, common))
    dilation_rate = tuple(d // g for d, g in zip(dilation_rate, common))
    if unsupported(strides, dilation_rate):
        return _stride_slice(op(x, (1,) * len(strides), "valid", dilation_rate), strides)
    return op(x, strides, "valid", dilation_rate)


def conv(x, kernel, strides, padding, dilation_rate, groups=1):
    """N-D convolution, channels_last, any combination of strides, dilation and groups.

    ``kernel`` has Keras's layout ``spatial + (in_channels // groups, filters)``.
    """
    rank = len(strides)

    def op(a, s, p, d):
        return _grouped(lambda xi, ki: ops.conv(xi, ki, strides=s, padding=p, dilation_rate=d,
                                                     data_format="channels_last"), a, kernel, groups)

    return strided_dilated(op, x, tuple(kernel.shape[:rank]), strides, padding, dilation_rate)


def depthwise_conv(x, kernel, strides, padding, dilation_rate):
    """Depthwise convolution (kernel ``spatial + (channels, multiplier)``) with strides and dilation together."""
    rank = len(strides)

    def op(a, s, p, d):
        return ops.depthwise_conv(a, kernel, strides=s, padding=p, dilation_rate=d, data_format="channels_last")

    return strided_dilated(op, x, tuple(kernel.shape[:rank]), strides, padding, dilation_rate,
                           equal_strides_only=keras.backend.backend() == "tensorflow")


def channel_shuffle(x, groups):
    """ShuffleNet channel shuffle on the last axis: (..., g, C/g) -> (..., C/g, g) -> (..., C)."""
    if groups == 1:
        return x
    channels = x.shape[-1]
    batch_shape = ops.shape(x)[:-1]
    y = ops.reshape(x, tuple(batch_shape) + (groups, channels // groups))
    y = ops.swapaxes(y, -1, -2)
    return ops.reshape(y, tuple(batch_shape) + (channels,))


def to_channels_last(x, data_format):
    return x if data_format == "channels_last" else ops.moveaxis(x, 1, -1)


def from_channels_last(x, data_format):
    return x if data_format == "channels_last" else ops.moveaxis(x, -1, 1)


def _insert_zeros(x, axis, stride):
    """Put ``stride - 1`` zeros between neighbours along ``axis`` (length n -> (n - 1) * stride + 1)."""
    if stride == 1:
        return x
    shape = list(ops.shape(x))
    x = ops.expand_dims(x, axis + 1)
    widths = [(0, 0)] * len(x.shape)
    widths[axis + 1] = (0, stride - 1)
    x = ops.pad(x, widths)
    shape[axis] = shape[axis] * stride
    x = ops.reshape(x, shape)
    index = [slice(None)] * len(shape)
    index[axis] = slice(0, shape[axis] - (stride - 1))
    return x[tuple(index)]


def _pad_or_crop(x, axis, before, after):
    """Zero-pad (positive amounts) or crop (negative amounts) both ends of a static ``axis``."""
    widths = [(0, 0)] * len(x.shape)
    widths[axis] = (max(before, 0), max(after, 0))
    if before > 0 or after > 0:
        x = ops.pad(x, widths)
    if before < 0 or after < 0:
        index = [slice(None)] * len(x.shape)
        index[axis] = slice(-min(before, 0), x.shape[axis] + min(after, 0))
        x = x[tuple(index)]
    return x


def needs_static_spatial_shape(dilation_rate):
    """Whether `conv_transpose` takes its exact rewrite, which needs static spatial sizes (TensorFlow, dilation)."""
    return any(d > 1 for d in dilation_rate) and keras.backend.backend() == "tensorflow"


def conv_transpose(x, kernel, strides, padding, output_padding, dilation_rate, groups=1):
    """N-D transposed convolution, channels_last, with groups and dilation.

    ``kernel`` has Keras's transposed layout ``spatial + (filters // groups, in_channels)``; group ``g`` maps
    input channels ``[g*ci, (g+1)*ci)`` to output channels ``[g*fo, (g+1)*fo)``.
    """
    rank = len(strides)
    kernel_size = tuple(kernel.shape[:rank])
    if not needs_static_spatial_shape(dilation_rate):
        def op(xi, ki):
            return ops.conv_transpose(xi, ki, strides=strides, padding=padding, output_padding=output_padding,
                                      dilation_rate=dilation_rate, data_format="channels_last")
        if groups == 1:
            return op(x, kernel)
        m = merge_factor(groups, kernel.shape[-1] // groups)
        xs = ops.split(x, groups // m, axis=-1)
        ks = [_block_diagonal(k, m) for k in ops.split(kernel, groups // m, axis=-1)]
        return ops.concatenate([op(xi, ki) for xi, ki in zip(xs, ks)], axis=-1)

    # TensorFlow has no CPU kernel for dilated transposed convolution. A transposed convolution scatters input
    # position o through tap t to output o*s + t*d - p (p: the forward convolution's leading pad), which equals a
    # stride-1 correlation of the zero-upsampled input with the spatially flipped kernel.
    lengths = [int(n) for n in x.shape[1:-1]]
    for axis, (n, k, s, d) in enumerate(zip(lengths, kernel_size, strides, dilation_rate), start=1):
        out = conv_transpose_output_length(n, k, s, d, padding,
                                           None if output_padding is None else output_padding[axis - 1])
        k_eff = (k - 1) * d + 1
        lead = max((n - 1) * s + k_eff - out, 0) // 2 if padding == "same" else 0
        x = _insert_zeros(x, axis, s)
        before = (k - 1) * d - lead
        x = _pad_or_crop(x, axis, before, out + (k - 1) * d - before - ((n - 1) * s + 1))
    filters_per_group, in_channels = kernel.shape[-2], kernel.shape[-1]
    flipped = ops.flip(kernel, axis=tuple(range(rank))) if rank > 1 else ops.flip(kernel, axis=0)
    flipped = ops.reshape(flipped, kernel_size + (filters_per_group, groups, in_channels // groups))
    flipped = ops.transpose(flipped, tuple(range(rank)) + (rank + 2, rank + 1, rank))
    forward_kernel = ops.reshape(flipped, kernel_size + (in_channels // groups, groups * filters_per_group))
    return conv(x, forward_kernel, (1,) * rank, "valid", dilation_rate, groups=groups)
