"""Model registry: `register_model`, `create_model`, `list_models`.

Adding a model to the zoo costs one decorator. Every registered model also gets a
tiny variant, `<name>_tiny`, built from a handful of overrides (16x16 images, a few
filters). The contract tests run every tiny variant, so a new model is covered by
the test suite without writing a test.

Example:
    >>> import keras_gan_zoo as kgz
    >>> kgz.list_models("*gan")
    ['acgan', 'bicyclegan', 'cgan', ...]
    >>> model = kgz.create_model("dcgan", image_shape=(28, 28, 1))
"""

import difflib
import fnmatch

_MODELS = {}  # name -> (cls, defaults, is_tiny, base_name)

TINY_SUFFIX = "_tiny"


def register_model(name, *, tiny=None, **defaults):
    """Class decorator that registers a model (and its tiny test variant).

    Args:
        name: registry name, lower case (e.g. `"dcgan"`).
        tiny: dict of constructor overrides for the tiny variant registered as
            `name + "_tiny"` (required: every model must be testable in seconds).
        **defaults: constructor arguments that `create_model(name)` passes unless
            overridden.

    Example:
        >>> @register_model("my_gan", tiny=dict(image_shape=(16, 16, 1)))
        ... class MyGAN(AdversarialModel): ...
    """
    if not isinstance(name, str) or not name or name != name.lower():
        raise ValueError(f"Model names are non-empty lower-case strings; got {name!r}.")
    if tiny is None:
        raise ValueError(
            f"register_model({name!r}) needs `tiny=` overrides for its test variant."
        )

    def decorator(cls):
        for key in (name, name + TINY_SUFFIX):
            if key in _MODELS and _MODELS[key][0] is not cls:
                raise ValueError(f"A model named {key!r} is already registered.")
        _MODELS[name] = (cls, dict(defaults), False, name)
        _MODELS[name + TINY_SUFFIX] = (cls, {**defaults, **tiny}, True, name)
        cls.registry_name = name
        return cls

    return decorator


def _unknown(name):
    known = sorted(_MODELS)
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown model {name!r}.{hint} Known models: {', '.join(known)}.")


def create_model(name, **overrides):
    """Builds a registered model.

    Args:
        name: a name from `list_models(include_tiny=True)`.
        **overrides: constructor arguments replacing the registered defaults.

    Returns:
        An uncompiled `keras.Model`; call `compile()` for the paper's optimizers.

    Example:
        >>> gan = create_model("dcgan", image_shape=(64, 64, 3), base_filters=64)
    """
    if name not in _MODELS:
        raise _unknown(name)
    cls, defaults, _, _ = _MODELS[name]
    return cls(**{**defaults, **overrides})


def model_class(name):
    """Returns the class registered under `name` (tiny variants included)."""
    if name not in _MODELS:
        raise _unknown(name)
    return _MODELS[name][0]


def model_defaults(name):
    """Returns a copy of the constructor defaults registered for `name`."""
    if name not in _MODELS:
        raise _unknown(name)
    return dict(_MODELS[name][1])


def list_models(pattern="*", include_tiny=False):
    """Lists registered model names matching a shell-style `pattern`.

    Args:
        pattern: `fnmatch` pattern, e.g. `"*gan"`.
        include_tiny: also list the `*_tiny` test variants.
    """
    return sorted(
        name
        for name, (_, _, is_tiny, _) in _MODELS.items()
        if (include_tiny or not is_tiny) and fnmatch.fnmatch(name, pattern)
    )


def list_tiny_models(family=None):
    """Names of the tiny test variants (what the contract tests iterate over).

    Args:
        family: only variants of this family (`"adversarial"`, `"autoencoding"`,
            `"autoregressive"`: the `family` attribute of the model's base class).
    """
    return sorted(
        name
        for name, (cls, _, is_tiny, _) in _MODELS.items()
        if is_tiny and (family is None or getattr(cls, "family", None) == family)
    )


def model_family(name):
    """The family (`cls.family`) of a registered model."""
    return getattr(model_class(name), "family", None)
