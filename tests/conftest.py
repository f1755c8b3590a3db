import os
import sys

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
    # The JAX rerun's test waits for the JAX process started after collection (below): it goes last, so that the
    # TensorFlow tests run meanwhile.
    items.sort(key=lambda item: item.nodeid == JAX_TEST)
    # The JAX run (tests/test_backends.py) deselects these with -m; this covers a file run by hand on JAX.
    if keras.backend.backend() == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"tensorflow_only: not run on the {keras.backend.backend()} backend")
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)


JAX_TEST = "tests/test_backends.py::test_backend_neutral_tests_pass_on_jax"


def pytest_collection_finish(session):
    # The JAX rerun is a separate pytest process: start it now, beside this run, rather than when its test comes.
    selected = any(item.nodeid == JAX_TEST for item in session.items)
    if session.config.option.collectonly or keras.backend.backend() != "tensorflow" or not selected:
        return
    try:
        import jax  # noqa: F401
    except ImportError:
        return  # the test skips itself
    from tests import test_backends

    test_backends.start_run("jax", test_backends.JAX_ENV)


def pytest_sessionfinish(session, exitstatus):
    if "tests.test_backends" in sys.modules:
        sys.modules["tests.test_backends"].stop_runs()
