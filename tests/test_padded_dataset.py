"""fashion_mnist_32 (Fashion-MNIST padded 28 -> 32 with the background) and the metrics
that measure it on its content: the center 28x28, against the Fashion-MNIST images."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import cli, datasets, metrics
from keras_gan_zoo.applications import publish
from keras_gan_zoo.metrics.domain import DomainClassifierExtractor

# A ProGAN of 32x32x1 images small enough to build in a second.
TINY_PROGAN_32 = dict(image_shape=(32, 32, 1), latent_dim=8, base_filters=32, max_filters=8,
                      stable_images=16, fade_images=16)


@pytest.fixture(autouse=True)
def _offline_fashion_mnist(monkeypatch, tmp_path_factory):
    """The IDX files of the Debian package, never a TFDS copy or a user's directory."""
    monkeypatch.delenv("KERAS_GAN_ZOO_FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path_factory.mktemp("empty_tfds")))


def _all(ds):
    parts = list(ds.as_numpy_iterator())
    return tuple(np.concatenate(p) for p in zip(*parts))


# ---------------------------------------------------------------------------- the dataset


def test_fashion_mnist_32_is_fashion_mnist_padded_with_the_background():
    kwargs = dict(split="test", batch_size=100, with_labels=True, limit=300, seed=7)
    padded = datasets.load("fashion_mnist_32", **kwargs)
    plain = datasets.load("fashion_mnist", **kwargs)
    assert padded.element_spec == (tf.TensorSpec((100, 32, 32, 1), tf.float32),
                                   tf.TensorSpec((100,), tf.int32))
    assert len(padded) == len(plain) == 3
    assert padded.class_names == plain.class_names and "fashion-mnist" in padded.source
    for epoch in range(2):  # the same shuffled order, epoch after epoch
        (x32, y32), (x28, y28) = _all(padded), _all(plain)
        np.testing.assert_array_equal(y32, y28)
        np.testing.assert_array_equal(x32[:, 2:30, 2:30], x28)
        border = np.ones((32, 32), bool)
        border[2:30, 2:30] = False
        assert np.all(x32[:, border] == -1.0)
    # Without labels and unshuffled: the first test images, in file order.
    first = next(iter(datasets.load("fashion_mnist_32", "test", batch_size=8, shuffle=False)))
    reference = next(iter(datasets.load("fashion_mnist", "test", batch_size=8, shuffle=False)))
    np.testing.assert_array_equal(
        first, tf.pad(reference, [[0, 0], [2, 2], [2, 2], [0, 0]], constant_values=-1.0))


def test_catalog_lists_and_describes_it():
    assert "fashion_mnist_32" in datasets.list_datasets()
    info = datasets.info("fashion_mnist_32")
    base = datasets.info("fashion_mnist")
    assert info["image_shape"] == (32, 32, 1)
    assert info["base"] == "fashion_mnist" and info["padding"] == 2
    assert info["content_box"] == datasets.content_box("fashion_mnist_32") == (2, 2, 28, 28)
    for key in ("num_classes", "class_names", "splits", "num_examples", "sources"):
        assert info[key] == base[key]
    assert datasets.content_box("fashion_mnist") is None
    assert base["padding"] == 0 and base["content_box"] is None


def test_unavailable_padded_dataset_names_its_base(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_GAN_ZOO_FASHION_MNIST_DIR", str(tmp_path))  # no IDX files
    with pytest.raises(datasets.DatasetUnavailableError) as error:
        datasets.load("fashion_mnist_32")
    assert "'fashion_mnist_32' is made from 'fashion_mnist'" in str(error.value)
    assert "apt-get install dataset-fashion-mnist" in str(error.value)


# ---------------------------------------------------------------------------- the metrics


def test_default_extractor_of_the_padded_dataset_crops_its_content():
    ext = metrics.default_extractor("fashion_mnist_32")
    assert isinstance(ext, metrics.CroppedExtractor)
    assert ext.box == (2, 2, 28, 28) and ext.image_size == (32, 32)
    assert str(ext) == "fashion_mnist, center 28x28 of 32x32"
    assert metrics.default_extractor("fashion_mnist_32") is ext  # one per process
    assert ext.feature_dim == 128 and ext.num_classes == 10
    # The other datasets keep theirs.
    assert metrics.default_extractor("fashion_mnist") == "fashion_mnist"
    assert metrics.default_extractor("mnist") == "mnist"
    assert metrics.default_extractor("cifar10") == "inception_v3"
    assert metrics.default_extractor("my_own_folder") == "inception_v3"
    with pytest.raises(ValueError, match="28x28 content of 32x32 images"):
        ext(np.zeros((2, 28, 28, 1), "float32"))


def test_fid_of_padded_real_images_measured_on_the_content_equals_the_unpadded_ones():
    reference = metrics.real_statistics("fashion_mnist", "train", "fashion_mnist", 1000, seed=0)

    def test_images(name):
        return datasets.load(name, "test", batch_size=250, shuffle=False, limit=1000,
                             drop_remainder=False)

    padded = metrics.evaluate(test_images("fashion_mnist_32"), reference, metrics=("fid",),
                              extractor=metrics.default_extractor("fashion_mnist_32"),
                              num_samples=1000)["fid"]
    unpadded = metrics.evaluate(test_images("fashion_mnist"), reference, metrics=("fid",),
                                extractor="fashion_mnist", num_samples=1000)["fid"]
    assert padded == pytest.approx(unpadded, rel=1e-6, abs=1e-6)
    # What the crop avoids: the padded images resized into the classifier's 28x28 input.
    resized = metrics.evaluate(test_images("fashion_mnist_32"), reference, metrics=("fid",),
                               extractor="fashion_mnist", num_samples=1000)["fid"]
    assert resized > 5 * unpadded + 5
    # The reference of the padded dataset is the Fashion-MNIST test images themselves.
    real32 = metrics.real_statistics("fashion_mnist_32", "test", num_samples=500)
    real28 = metrics.real_statistics("fashion_mnist", "test", "fashion_mnist", 500)
    np.testing.assert_allclose(real32.mean(), real28.mean(), atol=1e-6)
    np.testing.assert_allclose(real32.covariance(), real28.covariance(), atol=1e-6)


@pytest.fixture
def extractor_inputs(monkeypatch):
    """The shapes of the batches that reach the Fashion-MNIST classifier's input
    conversion (before any resize), with fresh caches so real images come through too."""
    seen = []
    original = DomainClassifierExtractor.prepare

    def spy(self, images):
        seen.append(tuple(int(s) for s in images.shape))
        return original(self, images)

    metrics.clear_caches()
    monkeypatch.setattr(DomainClassifierExtractor, "prepare", spy)
    yield seen
    metrics.clear_caches()


def _check_all_cropped(seen, at_least):
    assert seen and {shape[1:] for shape in seen} == {(28, 28, 1)}
    assert sum(shape[0] for shape in seen) >= at_least


def test_a_model_on_fashion_mnist_32_is_measured_on_cropped_samples(extractor_inputs, tmp_path,
                                                                      capsys):
    model = kgz.create_model("progan", **TINY_PROGAN_32)
    assert model.generate(2, seed=0).shape == (2, 32, 32, 1)

    # kgz.applications.measure (what the recipes record)
    measured = publish.measure(model, "fashion_mnist_32", num_samples=64, num_real=64)
    assert measured["extractor"] == "fashion_mnist, center 28x28 of 32x32"
    _check_all_cropped(extractor_inputs, 64 + 64)

    # MetricMonitor (the recipes' FID checks): generated and real both cropped
    extractor_inputs.clear()
    metrics.clear_caches()
    monitor = kgz.callbacks.MetricMonitor(["fid"], dataset="fashion_mnist_32", num_samples=64)
    monitor.set_model(model)
    assert np.isfinite(monitor.evaluate()["fid"])
    _check_all_cropped(extractor_inputs, 64 + 64)

    # metrics.evaluate given the dataset's name
    extractor_inputs.clear()
    metrics.clear_caches()
    assert np.isfinite(metrics.evaluate(model, "fashion_mnist_32", metrics=("fid", "modes"),
                                        num_samples=64, real_split="test")["fid"])
    _check_all_cropped(extractor_inputs, 64 + 64)

    # keras-gan-zoo evaluate of a 32x32 checkpoint: fashion_mnist_32 by default
    extractor_inputs.clear()
    path = str(tmp_path / "progan.keras")
    model.save(path)
    assert cli.main(["evaluate", path, "--metrics", "fid", "--num-samples", "64"]) == 0
    out = capsys.readouterr().out
    assert "vs fashion_mnist_32/test, extractor fashion_mnist, center 28x28 of 32x32" in out
    _check_all_cropped(extractor_inputs, 64)


# ---------------------------------------------------------------------------- the CLI


def test_cli_lists_and_trains_on_fashion_mnist_32(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    assert "fashion_mnist_32" in capsys.readouterr().out
    out = tmp_path / "progan"
    args = ["train", "progan", "--dataset", "fashion_mnist_32", "--limit", "64",
            "--batch-size", "32", "--epochs", "1", "--precision", "fp32", "--verbose", "0",
            "--out", str(out)]
    for key, value in TINY_PROGAN_32.items():
        if key != "image_shape":  # taken from the dataset
            args += ["--set", f"{key}={value}"]
    assert cli.main(args) == 0
    model = keras.models.load_model(out / "model.keras")
    assert tuple(model.image_shape) == (32, 32, 1)


def test_cli_train_of_a_power_of_two_model_on_28x28_names_the_padded_dataset(tmp_path, capsys):
    assert cli.main(["train", "stylegan", "--dataset", "fashion_mnist", "--limit", "64",
                     "--out", str(tmp_path / "run")]) == 2
    assert "--dataset fashion_mnist_32" in capsys.readouterr().err
