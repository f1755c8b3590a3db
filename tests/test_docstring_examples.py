"""Every `>>>` example in a keras_dlx docstring runs and prints what it shows (doctest, TensorFlow backend)."""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest

import keras_dlx
import keras_dlx.applications


def _modules():
    names = []
    for package in (keras_dlx, keras_dlx.applications):
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return sorted(set(names))


def _examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            # A class re-exported by a package is found again there: keep the defining module's copy.
            if test.examples:
                found.setdefault((test.filename, test.lineno), test)
    return sorted(found.values(), key=lambda t: t.name)


EXAMPLES = _examples()


def test_there_are_examples_to_run():
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize("example", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_docstring_example(example):
    keras.utils.set_random_seed(0)
    # The defining module's names (as doctest gives them), plus what every example may assume.
    example.globs.update({"keras": keras, "keras_dlx": keras_dlx, "np": np, "layers": keras_dlx.layers,
                          "applications": keras_dlx.applications})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    runner.run(example, out=failures.append)
    assert runner.failures == 0, "".join(failures)
