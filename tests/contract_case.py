"""One layer-contract case: `case(layer_cls, kwargs, input_shape, id, **options)` (tables in tests/cases*.py)."""

import pytest


def case(layer_cls, kwargs, input_shape, id, **options):
    return pytest.param(layer_cls, kwargs, input_shape, options, id=id)
