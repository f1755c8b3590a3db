"""The one decorator of every public keras_dlx class: `.keras` registration, and errors that name the object."""

import functools
import inspect
import re

import keras

from keras_dlx.utils.arguments import InvalidArgumentError


def register(cls):
    """Register `cls` for `.keras` loading (package "keras_dlx") and name it in its argument errors.

    An `InvalidArgumentError` raised while an instance is constructed gains the class and, when known, the
    object's name: "Invalid `groups` for GroupConv2D 'group_conv2d': expected ... Received: groups=0". A
    layer whose constructor builds a sublayer from its arguments names itself, not the sublayer.
    """
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except InvalidArgumentError as error:
            # The outermost object under construction names itself: a layer that builds a cell from its own
            # arguments reports the layer, not the cell.
            raise error.for_owner(_describe(self, kwargs)) from None

    # Keras reads the constructor's arguments (for its automatic config) with both inspect.signature, which
    # follows __wrapped__, and inspect.getfullargspec, which does not: give both the original signature.
    __init__.__signature__ = inspect.signature(init)
    cls.__init__ = __init__
    return keras.saving.register_keras_serializable(package="keras_dlx")(cls)


def _describe(obj, kwargs):
    try:
        name = obj.name
    except AttributeError:  # the error came before the base class's constructor set the name
        name = kwargs.get("name")
    if not isinstance(name, str) or not name:
        # As Keras names an unnamed layer: the class name in snake case.
        name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", type(obj).__name__)
        name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return f"{type(obj).__name__} '{name}'"
