"""Every named application constructor, by lower-case name and task: `list_models(task)`, `get_model(name, **kwargs)`.

Tasks: "classification" (the image classifiers, keras.applications' arguments plus `features_only`) and
"detection" (the `Detector` subclasses: `num_classes`, `input_shape`, `backbone`, ...), "gan" (`GAN`s:
`image_shape`, `latent_dim`, ...) and "vae" (`VAE`s: `latent_dim`, `input_shape`, ...).
"""

from keras_dlx.utils import arguments as args

TASKS = ("classification", "detection", "gan", "vae")
_MODELS = {}
_MIN_SIZES = {}
_TASKS = {}


def register(name, min_size=32, task="classification"):
    """Decorator: list a named constructor under `name`; `min_size`: its smallest input rows/cols; `task`: one of
    `TASKS`."""
    if task not in TASKS:
        args.invalid("task", task, "one of " + ", ".join(TASKS))

    def decorate(constructor):
        _MODELS[name] = constructor
        _MIN_SIZES[name] = min_size
        _TASKS[name] = task
        return constructor

    return decorate


def min_input_size(name):
    """The smallest square input the registered model `name` accepts (32 for most, as in keras.applications)."""
    get_constructor(name)
    return _MIN_SIZES[name.lower()]


def list_models(task="classification"):
    """The registered names of `task` ("classification", "detection"; None: every task), sorted:
    `list_models()` -> `["alexnet", "googlenet", ...]`, `list_models("detection")` -> `["ssdlite", ...]`."""
    if task is not None and task not in TASKS:
        args.invalid("task", task, "None or one of " + ", ".join(TASKS))
    return sorted(name for name in _MODELS if task is None or _TASKS[name] == task)


def model_task(name):
    """The task of the registered model `name`: "classification" or "detection"."""
    get_constructor(name)
    return _TASKS[name.lower()]


def get_model(name, **kwargs):
    """Build the registered model `name` (case-insensitive) with the constructor's keyword arguments."""
    return get_constructor(name)(**kwargs)


def get_constructor(name):
    """The registered constructor `name` (case-insensitive)."""
    key = name.lower() if isinstance(name, str) else name
    if key not in _MODELS:
        args.invalid("name", name, "one of " + ", ".join(list_models(task=None)))
    return _MODELS[key]


def named(registry_name, public_name, family, min_size=32, **fixed):
    """A small named constructor that only chooses arguments of `family` (timm's style), registered.

    It keeps the keras.applications signature; other keyword arguments go to `family` as they are.
    """

    def constructor(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", name=None, **kwargs):
        return family(include_top=include_top, weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                      pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                      name=name or registry_name, **fixed, **kwargs)

    constructor.__name__ = constructor.__qualname__ = public_name
    chosen = ", ".join(f"{k}={v!r}" for k, v in fixed.items())
    constructor.__doc__ = (f"`{family.__name__}({chosen}, ...)`, registered as {registry_name!r}; the other "
                           f"arguments as `{family.__name__}`.")
    return register(registry_name, min_size)(constructor)
