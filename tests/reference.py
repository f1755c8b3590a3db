"""Independent NumPy references (naive loops over kernel taps) for the convolution family, channels_last."""

import keras
import numpy as np

from keras_dlx.testing.layer_contract import float64_end_to_end

# Tolerance of a float64 layer against a float64 NumPy reference. Off TensorFlow, Keras's 64-to-32-bit
# promotion (BIT64_TO_BIT32_DTYPE) computes keras.ops.tanh, mean, norm and var of a float64 input in float32,
# so there the comparison can only be float32-tight; a wrong formula is still off by far more.
FLOAT64 = dict(atol=1e-10) if float64_end_to_end() else dict(atol=2e-6, rtol=1e-5)
# Tolerance of a float64 layer made of ops that stay float64 on TensorFlow and JAX (convolutions, matmuls,
# powers): exact to 1e-10 there. Keras 3.15's PyTorch backend computes some of them in float32 for float64
# inputs, so on PyTorch this too is float32-tight.
EXACT64 = dict(atol=2e-6, rtol=1e-5) if keras.backend.backend() == "torch" else dict(atol=1e-10)


def value_and_grad(fn, x):
    """`fn(x)` and the gradient of its sum with respect to `x`, as NumPy arrays, on the current backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = fn(x)
            total = tf.reduce_sum(value)
        grad = tape.gradient(total, x)
    elif backend == "jax":
        import jax

        value = fn(x)
        grad = jax.grad(lambda a: keras.ops.sum(fn(a)))(x)
    else:
        import torch

        x = torch.tensor(x, requires_grad=True)
        value = fn(x)
        (grad,) = torch.autograd.grad(keras.ops.sum(value), [x])
    return keras.ops.convert_to_numpy(value), keras.ops.convert_to_numpy(grad)


def same_pads(length, k, s, d):
    """TensorFlow's "same" padding, from its definition: output ceil(n/s), leftover split low/high."""
    k_eff = (k - 1) * d + 1
    out = -(-length // s)
    total = max((out - 1) * s + k_eff - length, 0)
    return total // 2, total - total // 2


def conv(x, kernel, strides, padding="valid", dilation=None, groups=1):
    """Grouped N-D correlation: y[n, o..., f] = sum_{t, c in group(f)} xpad[n, o*s + t*d, c] w[t, c', f]."""
    rank = x.ndim - 2
    strides = (strides,) * rank if np.isscalar(strides) else tuple(strides)
    dilation = (1,) * rank if dilation is None else ((dilation,) * rank if np.isscalar(dilation) else tuple(dilation))
    ksize = kernel.shape[:rank]
    if padding == "same":
        pads = [same_pads(n, k, s, d) for n, k, s, d in zip(x.shape[1:-1], ksize, strides, dilation)]
        x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_sizes = [(n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(x.shape[1:-1], ksize, strides, dilation)]
    cin, filters = x.shape[-1], kernel.shape[-1]
    ci, fo = cin // groups, filters // groups
    y = np.zeros((x.shape[0], *out_sizes, filters))
    for tap in np.ndindex(*ksize):
        index = tuple(slice(t * d, t * d + (o - 1) * s + 1, s) for t, d, o, s in zip(tap, dilation, out_sizes, strides))
        patch = x[(slice(None),) + index]
        for g in range(groups):
            y[..., g * fo:(g + 1) * fo] += patch[..., g * ci:(g + 1) * ci] @ kernel[tap][:, g * fo:(g + 1) * fo]
    return y


def conv_transpose(x, kernel, strides, padding, output_padding=None, dilation=None, groups=1):
    """Grouped N-D transposed convolution by scattering: out[o*s + t*d - p] += x[o] w[t]^T (Keras sizes)."""
    rank = x.ndim - 2
    strides = (strides,) * rank if np.isscalar(strides) else tuple(strides)
    dilation = (1,) * rank if dilation is None else ((dilation,) * rank if np.isscalar(dilation) else tuple(dilation))
    ksize = kernel.shape[:rank]
    sizes, leads = [], []
    for axis, (n, k, s, d) in enumerate(zip(x.shape[1:-1], ksize, strides, dilation)):
        k_eff = (k - 1) * d + 1
        if output_padding is None:
            out = n * s if padding == "same" else n * s + max(k_eff - s, 0)
        else:
            op = output_padding if np.isscalar(output_padding) else output_padding[axis]
            out = (n - 1) * s + k_eff - 2 * (k_eff // 2 if padding == "same" else 0) + op
        sizes.append(out)
        leads.append(max((n - 1) * s + k_eff - out, 0) // 2 if padding == "same" else 0)
    filters_per_group, cin = kernel.shape[-2], kernel.shape[-1]
    ci = cin // groups
    y = np.zeros((x.shape[0], *sizes, filters_per_group * groups))
    for pos in np.ndindex(*x.shape[1:-1]):
        for tap in np.ndindex(*ksize):
            target = tuple(o * s + t * d - p for o, t, s, d, p in zip(pos, tap, strides, dilation, leads))
            if all(0 <= q < n for q, n in zip(target, sizes)):
                for g in range(groups):
                    contribution = x[(slice(None),) + pos + (slice(g * ci, (g + 1) * ci),)] @ \
                        kernel[tap][:, g * ci:(g + 1) * ci].T
                    y[(slice(None),) + target + (slice(g * filters_per_group, (g + 1) * filters_per_group),)] += \
                        contribution
    return y


def depthwise_conv(x, kernel, strides, padding="valid", dilation=None):
    """Depthwise conv as a grouped conv with groups == channels, output channel c*m + j."""
    rank = x.ndim - 2
    channels, multiplier = kernel.shape[-2:]
    grouped = kernel.reshape(kernel.shape[:rank] + (1, channels * multiplier))
    return conv(x, grouped, strides, padding, dilation, groups=channels)


def channel_shuffle(x, groups):
    c = x.shape[-1]
    return x.reshape(x.shape[:-1] + (groups, c // groups)).swapaxes(-1, -2).reshape(x.shape)
