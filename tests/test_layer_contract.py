"""Every layer configuration in tests/cases.py passes the keras_dlx layer contract."""

import keras
import numpy as np
import pytest

from keras_dlx.testing import run_layer_test
from keras_dlx.testing.layer_contract import check_distinct_initial_weights, check_mixed_precision
from tests.cases import ALL


@pytest.mark.slow
@pytest.mark.parametrize("layer_cls, kwargs, input_shape, options", ALL)
def test_layer_contract(layer_cls, kwargs, input_shape, options):
    run_layer_test(layer_cls, kwargs, input_shape, **options)


class SharedInitializerDense(keras.layers.Layer):
    """A deliberately broken layer: one unseeded initializer object for two kernels of the same shape."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.initializer = keras.initializers.GlorotUniform()

    def build(self, input_shape):
        self.a = self.add_weight(name="a", shape=(input_shape[-1], self.units), initializer=self.initializer)
        self.b = self.add_weight(name="b", shape=(input_shape[-1], self.units), initializer=self.initializer)

    def call(self, x):
        return x @ self.a + x @ self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class AutocastInstanceNorm(keras.layers.Layer):
    """A deliberately broken normalization: Keras casts its input to float16 first (7e4 -> inf)."""

    def call(self, x):
        x32 = keras.ops.cast(x, "float32")
        mean, var = keras.ops.moments(x32, axes=(1,), keepdims=True)
        return keras.ops.cast((x32 - mean) * keras.ops.rsqrt(var + 1e-3), self.compute_dtype)


def test_contract_catches_identical_initial_weights():
    with pytest.raises(AssertionError, match="identical values"):
        check_distinct_initial_weights(SharedInitializerDense, {}, *_built(SharedInitializerDense))


def test_contract_catches_a_fixed_seed_in_two_builds():
    seeded = lambda: dict(units=3, kernel_initializer=keras.initializers.GlorotUniform(seed=1))  # noqa: E731
    with pytest.raises(AssertionError, match="two builds"):
        check_distinct_initial_weights(keras.layers.Dense, seeded, *_built(keras.layers.Dense, seeded))


def test_contract_catches_float16_overflow_of_a_normalization_input():
    x = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    with pytest.raises(AssertionError, match="magnitude 100000"):
        check_mixed_precision(AutocastInstanceNorm, {}, x, large_inputs=True)
    check_mixed_precision(AutocastInstanceNorm, {}, x, large_inputs=False)


def _built(layer_cls, kwargs=None):
    kwargs = kwargs or {}
    layer = layer_cls(**(kwargs() if callable(kwargs) else kwargs))
    x = np.ones((2, 4), "float32")
    layer(x)
    return layer, x


def _covered_classes():
    """Classes the contract cases check: the case's class, and a layer or cell it wraps."""
    covered = set()
    for param in ALL:
        layer_cls, kwargs = param.values[0], param.values[1]
        covered.add(layer_cls)
        kwargs = kwargs() if callable(kwargs) else kwargs
        covered.update(type(v) for k, v in kwargs.items() if k in ("cell", "layer"))
    return covered


def test_every_exported_layer_has_a_contract_case():
    from keras_dlx import layers

    exported = {getattr(layers, name) for name in layers.__all__}
    exported = {c for c in exported if isinstance(c, type) and issubclass(c, keras.layers.Layer)}
    missing = sorted(c.__name__ for c in exported - _covered_classes())
    assert not missing, f"no contract case in tests/cases.py for {missing}"
