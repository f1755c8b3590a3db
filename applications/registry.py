"""Every named application constructor, by lower-case name: `list_models()` and `get_model(name, **kwargs)`."""

from keras_dlx.utils import arguments as args

_MODELS = {}
_MIN_SIZES = {}


def register(name, min_size=32):
    """Decorator: list a named constructor under `name`; `min_size`: its smallest input rows/cols."""

    def decorate(constructor):
        _MODELS[name] = constructor
        _MIN_SIZES[name] = min_size
        return constructor

    return decorate


def min_input_size(name):
    """The smallest square input the registered model `name` accepts (32 for most, as in keras.applications)."""
    get_constructor(name)
    return _MIN_SIZES[name.lower()]


def list_models():
    """The registered names, sorted: `["alexnet", "googlenet", ...]`."""
    return sorted(_MODELS)


def get_model(name, **kwargs):
    """Build the registered model `name` (case-insensitive) with the constructor's keyword arguments."""
    return get_constructor(name)(**kwargs)


def get_constructor(name):
    """The registered constructor `name` (case-insensitive)."""
    key = name.lower() if isinstance(name, str) else name
    if key not in _MODELS:
        args.invalid("name", name, "one of " + ", ".join(list_models()))
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
