"""`keras_dlx.utils.registration.register`: registration for `.keras` loading, and argument errors that name the
object under construction."""

import keras
import pytest

from keras_dlx import layers
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


def test_constructor_errors_name_the_class_and_the_layer():
    with pytest.raises(ValueError, match=r"Invalid `groups` for GroupConv2D 'my_conv': expected a positive "
                                         r"integer\. Received: groups=0"):
        layers.GroupConv2D(8, 3, groups=0, name="my_conv")
    # Unnamed, and raised before Keras named it: the name Keras would give, in snake case.
    with pytest.raises(ValueError, match=r"for GroupConv2D 'group_conv2d"):
        layers.GroupConv2D(8, 3, groups=0)


def test_a_layer_that_builds_a_cell_names_itself():
    with pytest.raises(ValueError, match=r"Invalid `implementation` for PeepholeLSTM 'rnn'.*implementation=0"):
        layers.PeepholeLSTM(4, implementation=0, name="rnn")


def test_registered_class_keeps_its_signature_config_and_registration():
    @register
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = args.positive_float("factor", factor)

        def call(self, x):
            return x * self.factor

    assert keras.saving.get_registered_name(Scale) == "keras_dlx>Scale"
    # Keras's automatic config reads the constructor's signature through the wrapper.
    assert Scale(3.0).get_config()["factor"] == 3.0
    assert Scale.from_config(Scale(3.0).get_config()).factor == 3.0
    with pytest.raises(ValueError, match=r"Invalid `factor` for Scale 'scale.*factor=-1"):
        Scale(-1)
    # Errors other than argument errors pass through unchanged (Keras's own, for an unknown keyword).
    with pytest.raises(ValueError, match="^Unrecognized keyword arguments passed to Scale"):
        Scale(unknown=1)
