"""What the weight-reparameterising wrappers (WeightNormalization, SpectralNormalization) check when they build."""

import keras


def build_wrapped(wrapper, input_shape):
    """Build `wrapper.layer` for `input_shape` and return its kernel variable; a ValueError for an input of the
    wrong rank (a wrapper that computes through `stateless_call` skips the wrapped layer's input_spec check) and
    for a layer without a `kernel`."""
    layer, kind = wrapper.layer, type(wrapper).__name__
    specs = layer.input_spec if isinstance(layer.input_spec, (list, tuple)) else [layer.input_spec]
    for spec in filter(None, specs):
        if (spec.ndim is not None and len(input_shape) != spec.ndim) or (
                spec.min_ndim is not None and len(input_shape) < spec.min_ndim):
            raise ValueError(
                f"Invalid input for {kind} '{wrapper.name}': the wrapped {layer.__class__.__name__} expects rank "
                f"{spec.ndim or f'>= {spec.min_ndim}'}. Received: input_shape={tuple(input_shape)}")
    if not layer.built:
        layer.build(input_shape)
    kernel = getattr(layer, "kernel", None)
    if not isinstance(kernel, keras.Variable):
        raise ValueError(
            f"Invalid `layer` for {kind} '{wrapper.name}': the wrapped layer must have a `kernel` weight (Dense or a "
            f"convolution). Received: layer={layer.__class__.__name__} '{layer.name}', whose weights are "
            f"{[w.name for w in layer.weights]}")
    return kernel
