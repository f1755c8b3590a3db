"""Run an example script inside the test process, as `python examples/NAME ARGS...` would run it.

A new interpreter per example spends 10-20 s importing TensorFlow and keras_dlx again; in-process runs share
this session's. Examples that configure the runtime itself (logical devices, op determinism) keep their
subprocess tests.
"""

import os
import runpy
import sys

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def run_example(tmp_path, monkeypatch, capsys, name, *argv):
    """Run examples/`name` with `argv` in `tmp_path`; its standard output. A non-zero exit fails the test."""
    path = os.path.join(EXAMPLES, name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [path, *map(str, argv)])
    monkeypatch.syspath_prepend(EXAMPLES)  # the examples import their shared modules (detection_training)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_:
        assert exit_.code in (None, 0), f"{name} exited with {exit_.code}: {capsys.readouterr()}"
    return capsys.readouterr().out
