"""The layer contract: one helper that checks everything a Keras layer owes its users.

Every public keras_dlx layer passes `run_layer_test`; you can run it on your own layers too:

    from keras_dlx.testing import run_layer_test
    run_layer_test(MyLayer, {"units": 8}, input_shape=(2, 5, 3))
"""

import copy
import os
import tempfile

import keras
import numpy as np

from keras_dlx.testing import gradients
from keras_dlx.utils.dtypes import keeps_float64

MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _random(shape, seed, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype("float32")


def _fresh(layer_cls, init_kwargs, **extra):
    kwargs = init_kwargs() if callable(init_kwargs) else init_kwargs
    return layer_cls(**{**kwargs, **extra})


def _functional(layer, input_shape):
    inputs = keras.Input(shape=input_shape[1:], batch_size=None)
    return keras.Model(inputs, layer(inputs))


def check_shapes(layer_cls, init_kwargs, input_shape, expected_output_shape=None, x=None):
    """1. build + eager call + symbolic call; `compute_output_shape` equals what the layer returns."""
    layer = _fresh(layer_cls, init_kwargs)
    x = _random(input_shape, 0) if x is None else x
    y = layer(x)
    assert layer.built, f"{layer_cls.__name__} is not built after its first call"
    eager = tuple(y.shape)
    declared = tuple(layer.compute_output_shape(tuple(input_shape)))
    assert eager == declared, f"compute_output_shape {declared} != eager output shape {eager}"
    if expected_output_shape is not None:
        assert eager == tuple(expected_output_shape), f"output shape {eager} != expected {expected_output_shape}"
    symbolic_layer = _fresh(layer_cls, init_kwargs)
    symbolic = tuple(_functional(symbolic_layer, input_shape).output.shape)
    declared_none = tuple(symbolic_layer.compute_output_shape((None,) + tuple(input_shape[1:])))
    assert symbolic == declared_none, f"symbolic output shape {symbolic} != compute_output_shape {declared_none}"
    assert symbolic[1:] == eager[1:], f"symbolic output shape {symbolic} != eager {eager} (beyond the batch)"
    return layer, x, y


def _random_valued(weights):
    """The weights that look randomly initialised: mostly distinct values (a constant or a block pattern such as
    LSTM's unit forget bias has few)."""
    values = {}
    for v in weights:
        value = _numpy(v)
        if value.size >= 4 and len(np.unique(value)) > value.size // 2:
            values[v.path] = value
    return values


def check_distinct_initial_weights(layer_cls, init_kwargs, layer, x):
    """2. No two randomly initialised weights of the same shape are equal, and two builds differ.

    One unseeded Keras 3 initializer returns the same values at every call: shared by several `add_weight`
    calls (or sublayers) it makes their weights identical, e.g. the query, key and value kernels of attention.
    """
    first = _random_valued(layer.weights)
    names = sorted(first)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if first[a].shape == first[b].shape:
                assert not np.array_equal(first[a], first[b]), \
                    f"{a} and {b} start with identical values (one unseeded initializer shared by both?)"
    again = _fresh(layer_cls, init_kwargs)
    again(x)
    for before, after in zip(layer.weights, again.weights):
        if before.path in first:
            assert not np.array_equal(_numpy(after), first[before.path]), \
                f"{before.path} has the same initial values in two builds of an unseeded layer"


def _check_registered(layer_cls):
    """`.keras` files find the class without custom_objects: keras_dlx's layers under `keras_dlx>`, a user's layer
    under any `register_keras_serializable` package; Keras's own layers need no registration."""
    registered = keras.saving.get_registered_name(layer_cls)
    if layer_cls.__module__.startswith("keras_dlx."):
        assert registered.startswith("keras_dlx>"), f"{layer_cls.__name__} is not registered (name {registered!r})"
    elif not layer_cls.__module__.startswith("keras."):
        assert ">" in registered, (f"{layer_cls.__name__} is not registered: decorate it with "
                                   f"@keras.saving.register_keras_serializable(package=...)")


def check_serialization(layer, layer_cls, x, atol=1e-6):
    """3. get_config -> from_config and a `.keras` save/load give identical outputs, without custom_objects."""
    config = layer.get_config()
    clone = layer_cls.from_config(copy.deepcopy(config))  # some from_config (Keras's Wrapper) pop keys
    clone(x)  # built, like `layer`: wrappers serialize their inner layer's build config
    assert clone.get_config() == config, "get_config does not round-trip through from_config"
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_numpy(clone(x)), _numpy(layer(x)), atol=atol,
                               err_msg="from_config clone with copied weights gives different outputs")
    _check_registered(layer_cls)
    model = _functional(layer, x.shape)
    expected = model.predict(x, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=atol,
                               err_msg=".keras save/load round trip changes the outputs")


def check_fit(layer_cls, init_kwargs, x, frozen_weights=()):
    """4. one `fit` step with and without jit_compile: every trainable weight changes, nothing is NaN."""
    for jit in (False, True):
        layer = _fresh(layer_cls, init_kwargs)
        model = _functional(layer, x.shape)
        target = _random(model.output.shape[1:], 1)[None].repeat(x.shape[0], 0)
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=jit)
        before = {v.path: _numpy(v).copy() for v in layer.trainable_variables}
        if not before:
            # A weightless layer (e.g. a shuffle) has nothing to fit; check its compiled forward pass instead.
            assert np.all(np.isfinite(model.predict(x, verbose=0))), f"NaN/Inf in predict (jit_compile={jit})"
            continue
        history = model.fit(x, target, batch_size=x.shape[0], epochs=1, verbose=0)
        loss = history.history["loss"][0]
        assert np.isfinite(loss), f"fit (jit_compile={jit}) gave loss {loss}"
        for v in layer.trainable_variables:
            after = _numpy(v)
            assert np.all(np.isfinite(after)), f"{v.path} has NaN/Inf after fit (jit_compile={jit})"
            if v.path.split("/")[-1] not in frozen_weights:
                assert not np.array_equal(after, before[v.path]), \
                    f"{v.path} did not change in one fit step (jit_compile={jit})"


# Input magnitudes a normalization layer must survive under mixed precision, with the input's dtype: float16
# activations up to 6e4 (the float16 maximum is 65504) and float32 inputs beyond it, which must not be cast
# to float16 on the way in (Keras's own normalization layers do not autocast their input).
LARGE_INPUTS = ((1e3, "float32"), (6e4, "float16"), (1e5, "float32"))


def check_mixed_precision(layer_cls, init_kwargs, x, large_inputs=False):
    """5. mixed_float16 / mixed_bfloat16: output dtype follows the policy, variables stay float32, all finite;
    with `large_inputs`, also for inputs of magnitude up to 1e5 (see `LARGE_INPUTS`)."""
    inputs = ((1.0, "float32"),) + (LARGE_INPUTS if large_inputs else ())
    for policy in MIXED_POLICIES:
        layer = _fresh(layer_cls, init_kwargs, dtype=policy)
        compute = keras.DTypePolicy(policy).compute_dtype
        for scale, dtype in inputs:
            # Unit-variance inputs reach 4-5 sigma: normalise their peak to the scale so 6e4 stays finite.
            scaled = x / np.max(np.abs(x)) * scale if scale > 1 else x
            y = layer(keras.ops.convert_to_tensor(scaled.astype(dtype)))
            assert keras.backend.standardize_dtype(y.dtype) == compute, \
                f"{policy}: output dtype {y.dtype} != compute dtype {compute}"
            values = _numpy(keras.ops.cast(y, "float32"))
            assert np.all(np.isfinite(values)), \
                f"{policy}: NaN/Inf in the output for a {dtype} input of magnitude {scale:g}"
        for v in layer.weights:
            dtype = keras.backend.standardize_dtype(v.dtype)
            # Flags and counters keep their own dtype; every floating-point variable must stay float32.
            assert dtype == "float32" or not dtype.startswith(("float", "bfloat")), \
                f"{policy}: variable {v.path} has dtype {v.dtype}, expected float32"


# Keras's type promotion maps 64-bit results to 32-bit on every backend but TensorFlow (BIT64_TO_BIT32_DTYPE in
# keras/src/backend/common/dtypes.py), to match JAX: there `keras.ops.tanh`, `norm`, `var` and BatchNormalization
# compute a float64 input in float32, so a float64 layer is float32-accurate somewhere inside. Central differences
# with a 1e-6 step then measure float32 rounding (~1e-7 / 1e-6), not the gradient.
STRICT_STEPS = (1e-6, 1e-7)
FLOAT32_STEPS = (1e-3, 3e-4)
FLOAT32_RTOL = 1e-2


def float64_end_to_end():
    """Whether Keras keeps float64 results float64 on this backend (TensorFlow does; JAX and PyTorch do not)."""
    return keeps_float64()


def _central_difference(loss, tensors, index, coord, eps):
    values = []
    for sign in (1, -1):
        moved = [t.copy() for t in tensors]
        moved[index][coord] += sign * eps
        values.append(loss(moved[0], moved[1:]))
    return (values[0] - values[1]) / (2 * eps)


def _agrees(numeric, analytic, rtol, atol):
    return abs(numeric - analytic) <= atol + rtol * max(abs(numeric), abs(analytic))


def check_gradients(layer_cls, init_kwargs, input_shape, training=False, samples=6, rtol=1e-4, atol=1e-6,
                    seed=0):
    """6. autodiff gradients w.r.t. the input and every weight match central finite differences in float64.

    Steps 1e-6, then 1e-7 (a ReLU kink within 1e-6 of the point, likely behind a normalization with a tiny
    variance that amplifies the step, breaks the first difference; a kink-free smaller step must then agree),
    within `rtol`/`atol`. Where Keras does not keep float64 end to end (see `float64_end_to_end`: JAX and
    PyTorch, where some ops compute float64 inputs in float32), a coordinate that fails the float64 steps gets a
    float32-sized check: steps 1e-3 and 3e-4, relative tolerance 1e-2 and an absolute tolerance that covers
    float32 rounding of the loss divided by the step. A wrong gradient path is off by far more than 1e-2; on
    TensorFlow only the float64 steps count.
    """
    layer = _fresh(layer_cls, init_kwargs, dtype="float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape)
    layer(x)
    # Non-zero weights everywhere (zero-initialised biases would hide a wrong gradient path).
    for v in layer.trainable_variables:
        v.assign(_numpy(v) + 0.1 * rng.standard_normal(v.shape))
    projection = rng.standard_normal(tuple(layer.compute_output_shape(tuple(input_shape))))
    d_input, d_weights = gradients.input_and_weight_gradients(layer, x, projection, training)
    weights = [_numpy(v).astype("float64") for v in layer.trainable_variables]
    names = ["input"] + [v.path for v in layer.trainable_variables]
    tensors = [x] + weights
    analytic = [d_input] + d_weights
    float32_steps = () if float64_end_to_end() else FLOAT32_STEPS
    # float32 rounding of each term of sum(layer(x) * R), bounded by their absolute sum.
    loss_scale = gradients.loss_function(layer, projection, training, absolute=True)(x, weights)
    loss = gradients.loss_function(layer, projection, training)
    for index, (name, tensor, grad) in enumerate(zip(names, tensors, analytic)):
        assert grad.shape == tensor.shape, f"gradient of {name} has shape {grad.shape}, expected {tensor.shape}"
        flat_count = tensor.size
        for flat in rng.choice(flat_count, size=min(samples, flat_count), replace=False):
            coord = np.unravel_index(flat, tensor.shape)
            numeric = []
            for eps in STRICT_STEPS + float32_steps:
                numeric.append(_central_difference(loss, tensors, index, coord, eps))
                if eps in STRICT_STEPS:
                    tolerances = rtol, atol
                else:
                    tolerances = FLOAT32_RTOL, max(atol, 4 * np.finfo("float32").eps * loss_scale / eps)
                if _agrees(numeric[-1], grad[coord], *tolerances):
                    break
            else:
                steps = ", ".join(f"{eps:g}" for eps in STRICT_STEPS + float32_steps)
                raise AssertionError(f"d loss / d {name}{list(coord)}: autodiff {grad[coord]:.8g} vs finite "
                                     f"differences {', '.join(f'{n:.8g}' for n in numeric)} (steps {steps})")


def check_channels_first(layer_cls, init_kwargs, x, atol=1e-5):
    """7. channels_first gives the transposed result of channels_last (same weights)."""
    last = _fresh(layer_cls, init_kwargs, data_format="channels_last")
    first = _fresh(layer_cls, init_kwargs, data_format="channels_first")
    y_last = _numpy(last(x))
    x_first = np.moveaxis(x, -1, 1)
    first(x_first)
    first.set_weights(last.get_weights())
    y_first = _numpy(first(x_first))
    np.testing.assert_allclose(np.moveaxis(y_first, 1, -1), y_last, atol=atol,
                               err_msg="channels_first output is not the transposed channels_last output")


def run_layer_test(layer_cls, init_kwargs, input_shape, *, expected_output_shape=None, normalization=False,
                   gradient_training=False, frozen_weights=(), skip=()):
    """Check the keras_dlx layer contract for one configuration of a layer.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments (without `dtype` or `data_format`, which the checks vary), or a
            function returning them, for arguments that must be fresh per instance (a wrapped layer).
        input_shape: a full input shape including the batch size, channels_last when the layer has a
            `data_format`.
        expected_output_shape: optional, checked against the eager output.
        normalization: also check mixed precision at input magnitudes 1e3, 6e4 (float16 input) and 1e5
            (float32 input): float16 overflow of x^2, or of the input itself when it is cast to float16.
        gradient_training: run the gradient check in training mode (e.g. batch statistics).
        frozen_weights: names of trainable weights allowed not to change in one fit step.
        skip: names of checks to skip ("serialization", "fit", "mixed_precision", "gradients",
            "channels_first"), each skip to be justified where it is used.

    Raises:
        AssertionError: naming the first broken promise.
    """
    layer, x, _ = check_shapes(layer_cls, init_kwargs, input_shape, expected_output_shape)
    check_distinct_initial_weights(layer_cls, init_kwargs, layer, x)
    if "serialization" not in skip:
        check_serialization(layer, layer_cls, x)
    if "fit" not in skip:
        check_fit(layer_cls, init_kwargs, x, frozen_weights)
    if "mixed_precision" not in skip:
        check_mixed_precision(layer_cls, init_kwargs, x, large_inputs=normalization)
    if "gradients" not in skip:
        check_gradients(layer_cls, init_kwargs, input_shape, training=gradient_training)
    if "channels_first" not in skip and "data_format" in layer.get_config():
        check_channels_first(layer_cls, init_kwargs, x)
