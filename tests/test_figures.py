"""docs/figures/make_figures.py draws its figures (no training here), and every figure the docs show exists."""

import glob
import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "docs", "figures", "make_figures.py")


@pytest.fixture(scope="module")
def make_figures():
    import matplotlib  # noqa: F401  (in the [test] extra: the figures are tested, not skipped)
    spec = importlib.util.spec_from_file_location("make_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_png(path):
    with open(path, "rb") as f:
        return os.path.getsize(path) > 1000 and f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_lenet5_diagram_is_drawn_from_the_model(make_figures, tmp_path):
    path = make_figures.fig_lenet5(str(tmp_path))
    assert path == str(tmp_path / "arch_lenet5.png") and _is_png(path)


def test_benchmark_bar_charts_are_drawn(make_figures, tmp_path):
    for section in ("convolution", "recurrent"):
        path = make_figures.draw_benchmark(section, str(tmp_path / f"bench_{section}.png"))
        assert _is_png(path)


def test_benchmark_numbers_say_when_and_how_they_were_measured(make_figures):
    for section, data in make_figures.BENCHMARKS.items():
        for date, command in data["measured"].values():
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and command.startswith("python -m benchmarks."), section
        for name, runs, target in data["rows"]:
            assert set(runs) <= set(data["measured"]) and all(r > 0 for v in runs.values() for r in v), name


def test_every_figure_the_docs_show_exists():
    shown = set()
    for page in glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True):
        text = open(page, encoding="utf-8").read()
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]*figures/[^)\s]+\.png)\)", text):
            path = os.path.normpath(os.path.join(os.path.dirname(page), target))
            assert os.path.isfile(path), f"{os.path.relpath(page, ROOT)} shows {target}, which does not exist"
            shown.add(path)
    assert shown, "no page shows a figure"
