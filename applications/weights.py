"""The `weights=` argument: a keras_dlx weights file, a keras.applications weights file, or "imagenet".

Architectures that keras.applications also has name their *twin*: the keras.applications constructor and its
arguments, plus `pairs(model, twin)`, which lists for each Keras layer with weights the keras_dlx variables
that hold the same values, in the same order. A keras.applications file (or its ImageNet download) is read by
Keras into the twin, then copied variable by variable, checking every shape.
"""

import os
import re
import warnings
from dataclasses import dataclass, field

from keras_dlx.utils import arguments as args


@dataclass
class Twin:
    """The keras.applications model that has the same architecture and layer-by-layer weights."""

    constructor: object  # e.g. keras.applications.ResNet50
    pairs: object  # pairs(model, twin) -> [(keras_dlx variables, Keras layer)]
    kwargs: dict = field(default_factory=dict)

    @property
    def name(self):
        return self.constructor.__name__

    def build(self, weights, include_top, input_shape, classes, classifier_activation):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns about every container it cannot match; we raise instead
            return self.constructor(include_top=include_top, weights=weights, input_shape=input_shape,
                                    classes=classes, classifier_activation=classifier_activation, **self.kwargs)


def _short(error):
    """Keras's loading errors, without the variable's values it appends."""
    return str(error).split("Target variable:")[0].strip()


def transfer(model, twin_model, pairs):
    """Copy the twin's weights into `model`; a ValueError names the first layer that does not fit."""
    for variables, layer in pairs(model, twin_model):
        values = layer.get_weights()
        if len(values) != len(variables):
            raise ValueError(f"Invalid `weights`: layer '{layer.name}' of the file has {len(values)} arrays, "
                             f"{model.name} expects {len(variables)} ({[v.path for v in variables]})")
        for variable, value in zip(variables, values):
            if tuple(variable.shape) != value.shape:
                raise ValueError(f"Invalid `weights`: layer '{layer.name}' of the file has shape {value.shape} "
                                 f"where {model.name}'s '{variable.path}' has shape {tuple(variable.shape)}")
            variable.assign(value)


def _imagenet_twin(twin, build_kwargs):
    try:
        return twin.build("imagenet", **build_kwargs)
    except Exception as error:  # Keras raises a bare Exception on a failed download
        url = re.search(r"https?://\S+?\.h5", str(error))
        source = url.group(0) if url else "keras.applications' weights file"
        raise OSError(
            f"Could not get the ImageNet weights of keras.applications.{twin.name} from {source} ({error}). "
            f"Offline: download that file on a machine with network access and pass its local path as `weights=`, "
            f"or copy it into Keras's cache (~/.keras/models/), where it is found without a download.") from None


def load(model, weights, twin=None, **build_kwargs):
    """Fill `model` from `weights` (None: nothing to do).

    A path is first read as a keras_dlx weights file (`model.save_weights`); if that does not fit and the
    architecture has a keras.applications twin, as that twin's weights file. `build_kwargs` are the twin's
    `include_top`, `input_shape`, `classes` and `classifier_activation`.
    """
    if weights is None:
        return model
    if weights == "imagenet":
        transfer(model, _imagenet_twin(twin, build_kwargs), twin.pairs)
        return model
    if not os.path.exists(weights):
        args.invalid("weights", weights, "None, 'imagenet' or the path to an existing weights file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.load_weights(weights)
        return model
    except Exception as error:  # noqa: BLE001 - reported below with the twin's reason
        own_error = _short(error)
    if twin is None:
        raise ValueError(f"Invalid `weights`: {weights!r} does not fit {model.name}: {own_error}") from None
    try:
        twin_model = twin.build(weights, **build_kwargs)
    except Exception as error:  # noqa: BLE001
        raise ValueError(
            f"Invalid `weights`: {weights!r} fits neither {model.name} (as a keras_dlx file: {own_error}) nor "
            f"keras.applications.{twin.name} (as its weights file: {_short(error)})") from None
    transfer(model, twin_model, twin.pairs)
    return model


def unit_pairs(unit, twin_model, conv_name, norm_name=None):
    """A `ConvNormAct` against Keras's separate convolution and BatchNormalization layers."""
    pairs = [(unit.conv.weights, twin_model.get_layer(conv_name))]
    if unit.norm_layer is not None:
        pairs.append((unit.norm_layer.weights, twin_model.get_layer(norm_name)))
    return pairs
