"""Sample-quality metrics: FID, KID, IS, precision/recall, mode counts, bits/dim.

The math (``statistics``) is numpy/scipy; feature extractors (``extractors``) map
images in [-1, 1] to features and class logits; ``evaluate`` ties them together.

Example:
    >>> from keras_gan_zoo import metrics
    >>> metrics.evaluate(model, real_images, metrics=("fid", "kid"), extractor="fashion_mnist")
"""

import importlib

from keras_gan_zoo.metrics.evaluate import (
    METRICS,
    clear_caches,
    compute_statistics,
    default_extractor,
    evaluate,
    real_statistics,
)
from keras_gan_zoo.metrics.extractors import (
    CroppedExtractor,
    FeatureExtractor,
    InceptionV3Extractor,
    get_extractor,
    list_extractors,
)
from keras_gan_zoo.metrics.statistics import (
    FeatureStatistics,
    bits_per_dim,
    class_distribution,
    fid_from_statistics,
    frechet_distance,
    inception_score,
    kernel_distance,
    nats_to_bits,
    precision_recall,
)
from keras_gan_zoo.metrics import video  # per-step next-frame scores (video_gan)

# keras_gan_zoo.metrics.domain imports lazily (it builds on the classes above).
_DOMAIN = ("DomainClassifierExtractor", "domain_classifier", "load_domain_classifier")


def __getattr__(name):
    if name in _DOMAIN:
        return getattr(importlib.import_module("keras_gan_zoo.metrics.domain"), name)
    if name == "translation":  # measuring translators against their baselines
        return importlib.import_module("keras_gan_zoo.metrics.translation")
    raise AttributeError(f"module 'keras_gan_zoo.metrics' has no attribute {name!r}")


__all__ = [
    "METRICS",
    "CroppedExtractor",
    "DomainClassifierExtractor",
    "FeatureExtractor",
    "FeatureStatistics",
    "InceptionV3Extractor",
    "bits_per_dim",
    "class_distribution",
    "clear_caches",
    "compute_statistics",
    "default_extractor",
    "domain_classifier",
    "evaluate",
    "fid_from_statistics",
    "frechet_distance",
    "get_extractor",
    "inception_score",
    "kernel_distance",
    "list_extractors",
    "load_domain_classifier",
    "nats_to_bits",
    "precision_recall",
    "real_statistics",
    "translation",
    "video",
]
