"""Every ```python block of README.md and docs/ runs, as a new user would run it (a page's blocks in order, in one
fresh process, in an empty directory, TensorFlow backend)."""

import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


# Pages whose blocks another test runs, with the fixture they need.
RUN_ELSEWHERE = {
    "docs/migration_from_addons.md": "tests/test_migration_guide.py runs them on an Addons-format .h5 file",
}


def _pages():
    paths = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"),
                                                                 recursive=True))
    return [p for p in paths if BLOCK.search(open(p, encoding="utf-8").read())
            and os.path.relpath(p, ROOT) not in RUN_ELSEWHERE]


PAGES = _pages()


def test_the_pages_have_examples():
    assert any(p.endswith("README.md") for p in PAGES) and len(PAGES) >= 4


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[os.path.relpath(p, ROOT) for p in PAGES])
def test_python_blocks_run(page, tmp_path):
    blocks = BLOCK.findall(open(page, encoding="utf-8").read())
    code = "\n\n".join(blocks)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_CONFIG", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"{os.path.relpath(page, ROOT)}:\n{result.stderr[-3000:]}"
