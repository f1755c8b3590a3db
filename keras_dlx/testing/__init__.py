"""Test helpers for keras_dlx layers and your own: the layer contract."""

from keras_dlx.testing.layer_contract import run_layer_test  # noqa: F401
