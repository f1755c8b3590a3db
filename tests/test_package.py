"""The package installs as designed: keras_dlx.applications from the top-level applications/ folder, every layer
exported and registered, `.keras` files loading without custom_objects."""

import os
import shutil
import subprocess
import sys
import tempfile

import keras
import numpy as np
import pytest

import keras_dlx
from keras_dlx import layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import keras_dlx, keras_dlx.applications
from keras_dlx import applications
for info in pkgutil.walk_packages(keras_dlx.__path__, "keras_dlx."):
    importlib.import_module(info.name)
print(keras_dlx.__file__)
print(keras_dlx.applications.__file__)
"""


def run_python(code, cwd, env=None):
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()


def test_applications_import_from_the_installed_package_outside_the_checkout():
    # The test run uses the README's `pip install -e .`; from another directory the import goes through the
    # editable install's mapping, which must send keras_dlx.applications to the top-level applications/ folder.
    with tempfile.TemporaryDirectory() as cwd:
        package, applications = run_python(IMPORT_EVERYTHING, cwd)
    assert package == os.path.join(ROOT, "keras_dlx", "__init__.py")
    assert applications == os.path.join(ROOT, "applications", "__init__.py")


@pytest.mark.slow
def test_applications_import_after_a_regular_install():
    # `pip install .` builds a wheel: every subpackage must be listed in setup.cfg, applications/ included.
    with tempfile.TemporaryDirectory() as target, tempfile.TemporaryDirectory() as cwd, \
            tempfile.TemporaryDirectory() as copy:
        # Build from a clean copy: setuptools reuses ./build, where stale files could hide a packaging mistake.
        source = os.path.join(copy, "src")
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info",
                                                                    "__pycache__", ".hypothesis", ".pytest_cache"))
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                        "--target", target, source], check=True, capture_output=True, timeout=600)
        env = {**os.environ, "PYTHONPATH": target}
        package, applications = run_python(IMPORT_EVERYTHING, cwd, env)
        assert package == os.path.join(target, "keras_dlx", "__init__.py")
        assert applications == os.path.join(target, "keras_dlx", "applications", "__init__.py")


def test_every_public_layer_is_exported_registered_and_documented():
    exported = [getattr(layers, name) for name in layers.__all__]
    classes = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, keras.layers.Layer)]
    assert len(classes) >= 13
    for cls in classes:
        assert keras.saving.get_registered_name(cls) == f"keras_dlx>{cls.__name__}", cls
        doc = cls.__doc__ or ""
        for section in ("Args:", "Input shape:", "Output shape:", "Example:", "Reference:"):
            assert section in doc, f"{cls.__name__} docstring lacks {section}"


def test_saved_model_loads_in_a_fresh_process_after_import_keras_dlx():
    inputs = keras.Input((8, 8, 4))
    x = layers.GroupConv2D(8, 3, groups=2, shuffle=True)(inputs)
    x = layers.DepthwiseSeparableConv2D(8, 3)(x)
    model = keras.Model(inputs, layers.GroupConv2DTranspose(4, 3, strides=2, groups=2)(x))
    data = np.random.default_rng(0).standard_normal((2, 8, 8, 4)).astype("float32")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        np.save(os.path.join(tmp, "x.npy"), data)
        np.save(os.path.join(tmp, "y.npy"), model.predict(data, verbose=0))
        model.save(path)
        code = (f"import numpy as np, keras, keras_dlx\n"
                f"m = keras.saving.load_model({path!r}, safe_mode=True)\n"
                f"d = m.predict(np.load({os.path.join(tmp, 'x.npy')!r}), verbose=0)\n"
                f"np.testing.assert_allclose(d, np.load({os.path.join(tmp, 'y.npy')!r}), atol=1e-6)\n"
                f"print('ok')")
        assert run_python(code, tmp) == ["ok"]


def test_version():
    assert keras_dlx.__version__.count(".") == 2


BACKEND_NEUTRAL_IMPORT = """
import sys
import keras_dlx
from keras_dlx import applications, layers, testing
import keras
assert keras.backend.backend() == "jax", keras.backend.backend()
loaded = sorted(m for m in sys.modules if m == "tensorflow" or m.startswith("tensorflow."))
print(len(loaded), loaded[:3])
"""


def test_importing_keras_dlx_on_jax_does_not_import_tensorflow():
    # TensorFlow-only code (keras_dlx.distribute, the tf.data pipeline) is imported only when used.
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    count, *_ = run_python(BACKEND_NEUTRAL_IMPORT, ROOT, env)
    assert count == "0", "TensorFlow was imported under KERAS_BACKEND=jax"
