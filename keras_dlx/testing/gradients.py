"""Autodiff through a layer's stateless call, per backend, for the gradient check of the layer contract."""

import inspect

import keras
import numpy as np


def _training_kwargs(layer, training):
    # stateless_call forwards keyword arguments to `call` verbatim; only layers that take `training` get it.
    return {"training": training} if "training" in inspect.signature(layer.call).parameters else {}


def input_and_weight_gradients(layer, x, projection, training=False):
    """Gradients of `sum(layer(x) * projection)` with respect to `x` and every trainable variable.

    Uses `Layer.stateless_call`, so the weights are ordinary inputs of a pure function; returns NumPy arrays
    `(d_input, [d_weight, ...])` in the order of `layer.trainable_variables`.
    """
    trainable = [keras.ops.convert_to_tensor(keras.ops.convert_to_numpy(v)) for v in layer.trainable_variables]
    non_trainable = [keras.ops.convert_to_tensor(keras.ops.convert_to_numpy(v)) for v in layer.non_trainable_variables]

    projection_tensor = keras.ops.convert_to_tensor(projection)

    def loss(inputs, weights):
        out, _ = layer.stateless_call(weights, non_trainable, inputs, **_training_kwargs(layer, training))
        # ops.multiply, not `*`: a torch tensor times a NumPy array goes through NumPy, which autograd cannot follow.
        return keras.ops.sum(keras.ops.multiply(out, keras.ops.cast(projection_tensor, out.dtype)))

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch([xt] + trainable)
            value = loss(xt, trainable)
        grads = tape.gradient(value, [xt] + trainable)
    elif backend == "jax":
        import jax

        grads = jax.grad(lambda a, w: loss(a, w), argnums=(0, 1))(x, trainable)
        grads = [grads[0]] + list(grads[1])
    elif backend == "torch":
        import torch

        xt = torch.tensor(np.asarray(x), requires_grad=True)
        ws = [w.detach().clone().requires_grad_(True) for w in trainable]
        value = loss(xt, ws)
        grads = torch.autograd.grad(value, [xt] + ws, allow_unused=True)
    else:
        raise NotImplementedError(f"gradient check has no autodiff for backend {backend!r}")
    grads = [np.zeros(np.shape(v)) if g is None else keras.ops.convert_to_numpy(g)
             for g, v in zip(grads, [x] + trainable)]
    return grads[0], grads[1:]


def loss_function(layer, projection, training=False, absolute=False):
    """`(x, weights) -> sum(layer(x) * projection)` as a Python float, for the trainable weights given as arrays;
    with `absolute`, `sum(|layer(x) * projection|)`.

    Compiled once on JAX: the finite differences call it a few hundred times per layer, and JAX dispatching
    every op eagerly made them the slowest check there. TensorFlow runs it eagerly, as before.
    """
    non_trainable = [keras.ops.convert_to_tensor(keras.ops.convert_to_numpy(v)) for v in layer.non_trainable_variables]

    projection_tensor = keras.ops.convert_to_tensor(projection)

    def loss(x, weights):
        out, _ = layer.stateless_call(weights, non_trainable, x, **_training_kwargs(layer, training))
        product = keras.ops.multiply(out, keras.ops.cast(projection_tensor, out.dtype))
        return keras.ops.sum(keras.ops.abs(product) if absolute else product)

    if keras.backend.backend() == "jax":
        import jax

        loss = jax.jit(loss)
    # Tensors, not NumPy arrays: stateless_call skips the conversion of Layer.__call__, and a torch tensor does not
    # mix with an array in `x * y`.
    return lambda x, weights: float(keras.ops.convert_to_numpy(
        loss(keras.ops.convert_to_tensor(x), [keras.ops.convert_to_tensor(w) for w in weights])))
