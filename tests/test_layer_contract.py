"""Every layer configuration in tests/cases.py passes the keras_dlx layer contract."""

import pytest

from keras_dlx.testing import run_layer_test
from tests.cases import ALL


@pytest.mark.slow
@pytest.mark.parametrize("layer_cls, kwargs, input_shape, options", ALL)
def test_layer_contract(layer_cls, kwargs, input_shape, options):
    run_layer_test(layer_cls, kwargs, input_shape, **options)
