"""Reference outputs of TensorFlow Addons 0.23, recorded by tests/fixtures/addons/make_fixtures.sh."""

import os

import numpy as np

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "addons")


def load(family):
    """The arrays of tests/fixtures/addons/<family>.npz, as a dict of NumPy arrays."""
    with np.load(os.path.join(FIXTURES, f"{family}.npz"), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
