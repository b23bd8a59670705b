"""keras_gan_zoo: generative models for Keras 3 on TensorFlow.

Example:
    >>> import keras_gan_zoo as kgz
    >>> ds = kgz.datasets.load("fashion_mnist", batch_size=128)
    >>> model = kgz.create_model("dcgan", image_shape=(28, 28, 1))
    >>> model.compile()
    >>> model.fit(ds, epochs=20, callbacks=[kgz.callbacks.SampleGrid("samples/")])
    >>> images = model.generate(64, seed=0)
"""

import importlib
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "keras_gan_zoo trains with tf.GradientTape and needs the TensorFlow backend; "
        f"Keras is set to {keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow "
        "before importing keras."
    )

from keras_gan_zoo import (  # noqa: E402
    augment,
    callbacks,
    latent,
    layers,
    losses,
    models,
    precision,
    schedules,
    utils,
)
from keras_gan_zoo.registry import (  # noqa: E402
    create_model,
    list_models,
    register_model,
)

__version__ = "0.3.0"

_LAZY = ("applications", "datasets", "metrics")  # tensorflow_datasets / scipy: loaded on first use


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"keras_gan_zoo.{name}")
    raise AttributeError(f"module 'keras_gan_zoo' has no attribute {name!r}")


__all__ = [
    "applications",
    "augment",
    "callbacks",
    "create_model",
    "datasets",
    "latent",
    "layers",
    "list_models",
    "losses",
    "metrics",
    "models",
    "precision",
    "register_model",
    "utils",
]
