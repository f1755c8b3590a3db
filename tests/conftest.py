import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")


def pytest_collection_modifyitems(config, items):
    # The JAX run (tests/test_backends.py) deselects these with -m; this covers a file run by hand on JAX.
    if keras.backend.backend() == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"tensorflow_only: not run on the {keras.backend.backend()} backend")
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)
