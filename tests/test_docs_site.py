"""The documentation site builds with `mkdocs build --strict` (Material theme, API reference by mkdocstrings), and
its API reference covers every public name of keras_dlx.layers and keras_dlx.applications."""

import importlib
import os
import re
import subprocess
import sys

import pytest

from keras_dlx import applications, layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _api_page(name):
    return open(os.path.join(ROOT, "docs", "api", name), encoding="utf-8").read()


def test_api_reference_names_every_public_layer_and_application():
    documented = set(re.findall(r"^::: [\w.]+\.(\w+)$", _api_page("layers.md"), re.MULTILINE))
    missing = sorted(set(layers.__all__) - documented - {"LRN"})  # LRN: an alias, said in the page's text
    assert not missing, f"docs/api/layers.md lacks {missing}"
    page = _api_page("applications.md")
    documented = set(re.findall(r"^::: [\w.]+\.(\w+)$", page, re.MULTILINE))
    # The registry's named constructors are listed by a build hook (docs/hooks.py) at the placeholder.
    named = {n for n in applications.__all__ if "registered as" in (getattr(applications, n).__doc__ or "")}
    assert "<!-- named-constructors -->" in page
    missing = sorted(set(applications.__all__) - documented - named)
    assert not missing, f"docs/api/applications.md lacks {missing}"


# Each namespace's page of the API reference (docs/api/<page>) and the module whose __all__ it must cover.
NAMESPACE_PAGES = [("activations.md", "keras_dlx.activations"), ("losses.md", "keras_dlx.losses"),
                   ("metrics.md", "keras_dlx.metrics"), ("optimizers.md", "keras_dlx.optimizers"),
                   ("optimizers.md", "keras_dlx.callbacks"), ("ops.md", "keras_dlx.ops"),
                   ("ops.md", "keras_dlx.ops.image")]


@pytest.mark.parametrize("page, module", NAMESPACE_PAGES, ids=[m for _, m in NAMESPACE_PAGES])
def test_api_reference_names_every_public_name_of_each_namespace(page, module):
    namespace = importlib.import_module(module)
    documented = set(re.findall(rf"^::: {re.escape(module)}\.(\w+)$", _api_page(page), re.MULTILINE))
    missing = sorted(set(namespace.__all__) - documented - {"image"})  # ops.image: a module, with its own list
    assert not missing, f"docs/api/{page} lacks {missing}"
    nav = open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8").read()
    assert f"api/{page}" in nav


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert os.path.exists(tmp_path / "site" / "api" / "layers" / "index.html")
