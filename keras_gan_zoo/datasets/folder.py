"""``image_folder(path)``: your own PNG/JPEG files as a batched ``tf.data.Dataset``."""

import os

import numpy as np
import tensorflow as tf

from . import pipeline

__all__ = [
    "image_folder",
    "IMAGE_EXTENSIONS",
    "find_images",
    "list_image_files",
    "decode_image_file",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def find_images(root):
    """Sorted paths of the images under ``root`` (recursive; hidden files and folders skipped)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in filenames:
            if not filename.startswith(".") and filename.lower().endswith(IMAGE_EXTENSIONS):
                found.append(os.path.join(dirpath, filename))
    return sorted(found)


def list_image_files(path, role=None):
    """``(root, sorted image paths)`` of ``path``; ValueError for a missing or empty folder.

    ``role`` (e.g. ``"a_dir"``) prefixes the messages, to say which argument was wrong.
    """
    root = os.fspath(path)
    accepted = ", ".join(IMAGE_EXTENSIONS)
    prefix = f"{role}: " if role else ""
    if not os.path.isdir(root):
        raise ValueError(
            f"{prefix}Image folder {root!r} does not exist or is not a directory; expected a "
            f"folder containing {accepted} files (searched recursively)."
        )
    files = find_images(root)
    if not files:
        raise ValueError(
            f"{prefix}No images found in folder {root!r}: searched recursively for files ending "
            f"in {accepted} (case-insensitive)."
        )
    return root, files


def decode_image_file(file_path, image_size, channels, crop_to_aspect_ratio=True):
    """Reads and decodes one PNG/JPEG file (a string tensor) to a uint8 ``(H, W, channels)``.

    Grayscale and RGB are converted into each other, alpha is dropped. With ``image_size``
    ``(height, width)``, the image is center-cropped to that aspect ratio (unless
    ``crop_to_aspect_ratio=False``) and resized (bilinear, antialiased); with ``None`` it
    keeps its size.
    """
    data = tf.io.read_file(file_path)
    image = tf.io.decode_image(data, channels=channels, expand_animations=False, dtype=tf.uint8)
    image.set_shape([None, None, channels])
    if image_size is None:
        return image
    height, width = image_size
    if crop_to_aspect_ratio:
        image = _center_crop_to_aspect(image, height, width)
    image = pipeline.resize_uint8(image, image_size)
    image.set_shape([height, width, channels])
    return image


def _center_crop_to_aspect(image, height, width):
    """Largest centered crop of ``image`` with aspect ratio ``height / width``."""
    shape = tf.shape(image)
    ih, iw = shape[0], shape[1]
    crop_h = tf.minimum(ih, tf.maximum(1, (iw * height) // width))
    crop_w = tf.minimum(iw, tf.maximum(1, (ih * width) // height))
    top = (ih - crop_h) // 2
    left = (iw - crop_w) // 2
    return image[top : top + crop_h, left : left + crop_w, :]


def image_folder(
    path,
    image_size=(64, 64),
    channels=3,
    batch_size=128,
    shuffle=True,
    seed=None,
    drop_remainder=True,
    with_labels=False,
    *,
    crop_to_aspect_ratio=True,
    cache=True,
):
    """Loads a folder of PNG/JPEG images (searched recursively) as float32 batches in [-1, 1].

    Each image is decoded to ``channels`` channels (grayscale <-> RGB converted,
    alpha dropped), center-cropped to the aspect ratio of ``image_size`` (a square
    for the default 64x64) and resized with bilinear, antialiased filtering. Files
    are read in sorted path order; hidden files and folders are skipped.

    Args:
      path: folder to search for ``.png``, ``.jpg``, ``.jpeg`` (any case).
      image_size: ``(height, width)`` or an int.
      channels: 1 (grayscale) or 3 (RGB).
      batch_size, shuffle, seed, drop_remainder: as in :func:`load`.
      with_labels: yield ``(images, labels)``; the class of an image is the name of
        the first-level subfolder it is in, classes numbered in alphabetical order.
      crop_to_aspect_ratio: False stretches the whole image to ``image_size`` instead.
      cache: True keeps decoded, resized images in memory, a string caches to that
        file prefix, False decodes every epoch.

    Returns:
      A prefetched ``tf.data.Dataset`` of ``(B, H, W, channels)`` float32 (or
      ``(images, int32 labels)``) with ``class_names`` (tuple or None) and
      ``file_paths`` attributes.

    Raises:
      ValueError: missing or empty folder, images directly in the folder when
        ``with_labels=True``, bad arguments.

    Example:
      >>> ds = image_folder("my_faces/", image_size=(64, 64), batch_size=32)  # doctest: +SKIP
      >>> # pets/cat/*.jpg, pets/dog/*.jpg
      >>> ds_labeled = image_folder("pets/", with_labels=True)  # doctest: +SKIP
      >>> ds_labeled.class_names
      ('cat', 'dog')
    """
    root = os.fspath(path)
    if not os.path.isdir(root):
        list_image_files(root)  # raises the "does not exist" ValueError
    image_size = pipeline.check_image_size(image_size, allow_none=False)
    channels = pipeline.check_channels(channels)
    batch_size = pipeline.check_batch_size(batch_size)
    seed = pipeline.check_seed(seed)
    cache = pipeline.check_cache(cache)

    root, files = list_image_files(root)

    class_names = None
    labels = np.zeros(len(files), dtype=np.int32)
    if with_labels:
        rel = [os.path.relpath(f, root).split(os.sep) for f in files]
        loose = [os.path.join(*parts) for parts in rel if len(parts) == 1]
        if loose:
            raise ValueError(
                f"with_labels=True takes the class of each image from its subfolder of {root!r}, "
                f"but {len(loose)} image(s) lie directly in it (e.g. {loose[:3]}). Move them into "
                f"class subfolders or pass with_labels=False."
            )
        class_names = tuple(sorted({parts[0] for parts in rel}))
        index = {name: i for i, name in enumerate(class_names)}
        labels = np.array([index[parts[0]] for parts in rel], dtype=np.int32)

    num_examples = len(files)
    pipeline.check_not_empty(num_examples, batch_size, drop_remainder, f"Image folder {root!r}")
    height, width = image_size

    def decode(file_path, label):
        return decode_image_file(file_path, image_size, channels, crop_to_aspect_ratio), label

    ds = tf.data.Dataset.from_tensor_slices((np.array(files), labels))
    if shuffle and not cache:
        # Nothing is kept between epochs: shuffle the (cheap) file names before decoding.
        ds = ds.shuffle(num_examples, seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    ds = pipeline.finish(
        ds,
        num_examples=num_examples,
        example_bytes=height * width * channels,
        max_value=255,
        batch_size=batch_size,
        shuffle=shuffle and bool(cache),
        seed=seed,
        drop_remainder=drop_remainder,
        with_labels=with_labels,
        cache=cache,
    )
    ds.class_names = class_names
    ds.file_paths = tuple(files)
    ds.source = f"image folder {root}"
    return ds
