"""Image-to-image translation datasets: paired, unpaired and super-resolution pairs.

Every dataset here yields 2-tuples of float32 image batches in [-1, 1], the batch
structure that translators (pix2pix, CycleGAN, DiscoGAN, BiCycleGAN, SRGAN) take in
``model.fit(ds)``:

- paired ``(source, target)``: :func:`load` ``("fashion_mnist_edges")``, :func:`paired_folder`;
- unpaired ``(a, b)``: :func:`load` ``("fashion_mnist_sneaker_boot")``, TFDS ``cycle_gan_*``,
  :func:`unpaired_folder`;
- super-resolution ``(lr, hr)``: :func:`load` ``("fashion_mnist_sr")``,
  ``("skimage_photos_sr")``.

The returned datasets have a known length (``len(ds)`` batches per epoch) and carry
``domain_names`` (the human names of the two tuple elements), ``pairing``, ``source``
and ``class_names`` (None) attributes. See docs/datasets.md, "Translation datasets".
"""

import functools
import os

import numpy as np
import tensorflow as tf

from . import offline, pipeline, sources, tfds_source
from .catalog import get_spec
from .errors import DatasetUnavailableError
from .folder import decode_image_file, list_image_files

__all__ = [
    "EDGE_THRESHOLD",
    "SR_PHOTOS",
    "DEFAULT_SCALE",
    "DEFAULT_PATCH_SIZE",
    "edge_map",
    "downsample",
    "photo_crops",
    "paired_folder",
    "unpaired_folder",
    "load_translation",
]

AUTOTUNE = tf.data.AUTOTUNE

# Sobel gradient magnitude (on intensities in [0, 1]) at or above which a pixel is an edge.
# A clean step edge of height d has magnitude 4 * d at its two central pixels, so 1.0
# marks steps of at least a quarter of the full range (~64 grey levels).
EDGE_THRESHOLD = 1.0
DEFAULT_SCALE = 4
DEFAULT_PATCH_SIZE = 96  # SRGAN's HR crop size
FASHION_SNEAKER, FASHION_ANKLE_BOOT = 7, 9

# scikit-image sample photos (RGB) used by "skimage_photos_sr"; train and test are split by photo.
SR_PHOTOS = {
    "train": ("astronaut", "rocket", "hubble_deep_field", "immunohistochemistry"),
    "test": ("chelsea", "coffee"),
}


# ---------------------------------------------------------------------------
# the pair makers (pure TF, deterministic)


def edge_map(images, threshold=EDGE_THRESHOLD):
    """Binary edge map of images in [-1, 1]: dark lines (-1) on a white background (+1).

    Definition (exactly what ``load("fashion_mnist_edges")`` uses as source):

    1. intensities ``x = (images + 1) / 2`` in [0, 1] (RGB images are first converted
       with ``tf.image.rgb_to_grayscale``);
    2. ``gy, gx = tf.image.sobel_edges(x)``: the 3x3 Sobel operator (kernels
       ``[[-1,-2,-1],[0,0,0],[1,2,1]]`` and its transpose), REFLECT padding at the border;
    3. magnitude ``m = sqrt(gy**2 + gx**2)``;
    4. ``-1.0`` where ``m >= threshold`` (an edge), ``+1.0`` elsewhere.

    With the default threshold 1.0, a step of at least 1/4 of the full range
    (~64 grey levels) is an edge; Sobel marks a step with a line two pixels wide.
    No randomness: the same image always gives the same map.

    Args:
      images: float tensor or array ``(N, H, W, 1 or 3)`` in [-1, 1].
      threshold: positive float, on the Sobel magnitude of [0, 1] intensities
        (the largest possible magnitude is 4 * sqrt(2)).

    Returns:
      float32 tensor ``(N, H, W, 1)`` with values in {-1, +1}.
    """
    images = tf.convert_to_tensor(images)
    if not images.dtype.is_floating:
        raise TypeError(
            f"edge_map expects float images in [-1, 1], got dtype {images.dtype.name}."
        )
    if images.shape.rank != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"edge_map expects images of shape (N, H, W, 1 or 3), got shape {images.shape}."
        )
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold <= 0:
        raise ValueError(f"threshold must be a positive number, got {threshold!r}.")
    x = (tf.cast(images, tf.float32) + 1.0) / 2.0
    if x.shape[-1] == 3:
        x = tf.image.rgb_to_grayscale(x)
    gradients = tf.image.sobel_edges(x)  # (N, H, W, 1, 2): dy, dx
    magnitude = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=-1))
    return tf.where(magnitude >= float(threshold), -1.0, 1.0)


def downsample(hr, scale):
    """The low-resolution image of the super-resolution datasets.

    ``tf.image.resize(hr, (h // scale, w // scale), method="area")``: each LR pixel is
    the mean of a ``scale x scale`` block of ``hr`` (in [-1, 1] stays in [-1, 1]).
    """
    hr = tf.convert_to_tensor(hr, tf.float32)
    h, w = hr.shape[-3], hr.shape[-2]
    return tf.image.resize(hr, (h // scale, w // scale), method="area")


def _check_scale(scale, hr_size, what):
    if scale is None:
        scale = DEFAULT_SCALE
    if not pipeline._is_int(scale):
        raise TypeError(f"scale must be an int >= 2 (e.g. 2 or 4), got {type(scale).__name__} "
                        f"{scale!r}.")
    if scale < 2:
        raise ValueError(f"scale must be an int >= 2 (e.g. 2 or 4), got {scale}.")
    h, w = hr_size
    if h % scale or w % scale:
        raise ValueError(
            f"scale={scale} does not divide the {h}x{w} high-resolution images of {what}, so the "
            f"low-resolution images could not be exactly 1/{scale} of them; use a scale that "
            f"divides both sides (e.g. 2 or 4 for 28x28)."
        )
    return int(scale)


# ---------------------------------------------------------------------------
# tf.data tails shared by the named datasets and the folders


def _to_float(images):
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def _domain_seeds(seed):
    """Two different seeds derived from ``seed`` (None: both random)."""
    if seed is None:
        return None, None
    a, b = np.random.SeedSequence(seed).generate_state(2)
    return int(a), int(b)


def _cache(ds, cache, suffix=""):
    if not cache:
        return ds
    return ds.cache("" if cache is True else cache + suffix)


def _finish(ds, *, pairing, domain_names, origin, **attributes):
    batches = getattr(ds, "batches_per_epoch", None)
    ds = ds.prefetch(AUTOTUNE)
    ds.batches_per_epoch = batches
    ds.domain_names = tuple(domain_names)
    ds.pairing = pairing
    ds.source = origin
    ds.class_names = None
    for key, value in attributes.items():
        setattr(ds, key, value)
    return ds


def _paired_pipeline(
    ds, num_examples, example_bytes, make_pair, *, batch_size, shuffle, seed, drop_remainder,
    cache, start_epoch=None,
):
    """uint8 examples (an image or a tuple of images) -> cache -> shuffle -> batch -> pairs
    (an endless epoch-indexed stream from ``start_epoch`` if it is not None)."""
    ds = _cache(ds, cache)
    ds = pipeline.shuffle_and_batch(
        ds, num_examples=num_examples, example_bytes=example_bytes, batch_size=batch_size,
        shuffle=shuffle, seed=seed, drop_remainder=drop_remainder, start_epoch=start_epoch)

    def to_pair(*images):
        floats = tuple(_to_float(x) for x in images)
        return make_pair(*floats)

    ds = ds.map(to_pair, num_parallel_calls=AUTOTUNE)
    ds.batches_per_epoch = pipeline.batches_per_epoch(num_examples, batch_size, drop_remainder)
    return ds


def _unpaired_pipeline(
    domains, *, batch_size, shuffle, seed, drop_remainder, cache, start_epoch=None,
):
    """Two uint8 image datasets -> each cached and shuffled with its own seed -> zipped.

    ``domains`` is ``[(ds, num_examples, example_bytes), ...]`` for a and b. An epoch has
    ``max(len(a), len(b))`` examples: the shorter domain is repeated (reshuffled at each
    pass), as in junyanz's unaligned dataset, so every image of both domains is seen in
    every epoch. With ``start_epoch``: an endless stream of epochs from it, each domain's
    order (and that of each repetition of the shorter one) a function of (its seed,
    epoch, repetition).
    """
    seeds = _domain_seeds(seed)
    longest = max(n for _, n, _ in domains)
    cached = [(_cache(ds, cache, suffix), n, example_bytes)
              for (ds, n, example_bytes), suffix in zip(domains, ("_a", "_b"))]

    def one_epoch(epoch):
        parts = []
        for (ds, n, example_bytes), domain_seed in zip(cached, seeds):
            buffer = pipeline.shuffle_buffer_size(n, example_bytes)
            if epoch is None:
                if shuffle:
                    ds = ds.shuffle(buffer, seed=domain_seed, reshuffle_each_iteration=True)
                if n < longest:
                    ds = ds.repeat()
            elif n < longest:
                ds = tf.data.Dataset.range(2**62).flat_map(
                    lambda repetition, ds=ds, buffer=buffer, domain_seed=domain_seed:
                    pipeline.epoch_order(ds, buffer, domain_seed, epoch, repetition)
                    if shuffle else ds)
            elif shuffle:
                ds = pipeline.epoch_order(ds, buffer, domain_seed, epoch)
            parts.append(ds)
        return tf.data.Dataset.zip(tuple(parts)).batch(batch_size, drop_remainder=drop_remainder)

    if start_epoch is None:
        ds = one_epoch(None)
    else:
        ds = pipeline.by_epoch(start_epoch, one_epoch)
    ds = ds.map(lambda a, b: (_to_float(a), _to_float(b)), num_parallel_calls=AUTOTUNE)
    ds.batches_per_epoch = pipeline.batches_per_epoch(longest, batch_size, drop_remainder)
    return ds


# ---------------------------------------------------------------------------
# named datasets: load("fashion_mnist_edges" | "fashion_mnist_sneaker_boot" | "fashion_mnist_sr"
# | "skimage_photos_sr" | "cycle_gan_*")


def load_translation(
    spec, split, *, batch_size, shuffle, seed, drop_remainder, image_size, cache, source, limit,
    data_dir, download, scale, patch_size, start_epoch=None,
):
    """Called by :func:`keras_gan_zoo.datasets.load` (arguments already checked)."""
    common = dict(batch_size=batch_size, shuffle=shuffle, seed=seed,
                  drop_remainder=drop_remainder)
    if start_epoch is not None:
        common["start_epoch"] = start_epoch
    if spec.pairing != "super_resolution" and scale is not None:
        raise ValueError(
            f"scale applies to the super-resolution datasets (fashion_mnist_sr, "
            f"skimage_photos_sr), not to {spec.name!r} ({spec.pairing}); got scale={scale!r}."
        )
    if spec.name != "skimage_photos_sr" and patch_size is not None:
        raise ValueError(
            f"patch_size applies to 'skimage_photos_sr' only, not to {spec.name!r}; use "
            f"image_size to resize its images. Got patch_size={patch_size!r}."
        )
    if spec.name == "skimage_photos_sr":
        return _load_photo_sr(spec, split, scale, patch_size, image_size, source, limit, cache,
                              common)
    if spec.tfds_name and spec.tfds_name.startswith("cycle_gan/"):
        return _load_cycle_gan(spec, split, image_size, source, limit, cache, data_dir, download,
                               common)

    arrays = _base_arrays(spec, split, source, data_dir, download)
    channels = arrays.images.shape[-1]
    if spec.pairing == "unpaired":
        domains = []
        for label in (FASHION_SNEAKER, FASHION_ANKLE_BOOT):
            images = arrays.images[arrays.labels == label][:limit]
            ds, size = _image_source(images, image_size, arrays.max_value)
            domains.append((ds, len(images), size[0] * size[1] * channels))
        num_examples = max(n for _, n, _ in domains)
        pipeline.check_not_empty(num_examples, batch_size, drop_remainder,
                                 f"{spec.name} {split!r}")
        ds = _unpaired_pipeline(domains, cache=cache and image_size is not None, **common)
        return _finish(ds, pairing="unpaired", domain_names=spec.domain_names,
                       origin=f"{spec.name}: {arrays.origin} (classes 7 and 9)",
                       num_examples=(domains[0][1], domains[1][1]))

    images = arrays.images[:limit]
    pipeline.check_not_empty(len(images), batch_size, drop_remainder, f"{spec.name} {split!r}")
    ds, size = _image_source(images, image_size, arrays.max_value)
    extra = {}
    if spec.pairing == "paired":
        def make_pair(target):
            return edge_map(target), target
    else:
        scale = _check_scale(scale, size, spec.name)
        extra["scale"] = scale

        def make_pair(hr):
            return downsample(hr, scale), hr
    ds = _paired_pipeline(ds, len(images), size[0] * size[1] * channels, make_pair,
                          cache=cache and image_size is not None, **common)
    return _finish(ds, pairing=spec.pairing, domain_names=spec.domain_names,
                   origin=f"{spec.name}: {arrays.origin}", num_examples=len(images),
                   **extra)


def _image_source(images, image_size, max_value):
    """``(dataset of uint8 images, (height, width))``, resized when ``image_size`` is given."""
    ds = tf.data.Dataset.from_tensor_slices(images)
    if image_size is None:
        return ds, tuple(images.shape[1:3])
    ds = ds.map(lambda x: pipeline.resize_uint8(x, image_size, max_value),
                num_parallel_calls=AUTOTUNE)
    return ds, tuple(image_size)


def _base_arrays(spec, split, source, data_dir, download):
    """The whole split of ``spec.base`` (Fashion-MNIST) as :class:`offline.Arrays`."""

    base = get_spec(spec.base)
    tried = []
    if source in ("auto", "tfds") and base.tfds_name:
        builder, reason = tfds_source.find_prepared_builder(base.tfds_name, data_dir, download)
        if builder is not None:
            if split not in builder.info.splits:
                raise ValueError(
                    f"TFDS {base.tfds_name!r} has no split {split!r}; it has "
                    f"{', '.join(map(repr, sorted(builder.info.splits)))}."
                )
            ds, n = tfds_source.load_split(builder, split, None, shuffle=False)
            images, labels = (np.concatenate(part) for part in
                              zip(*ds.batch(10000).as_numpy_iterator()))
            return offline.Arrays(images, labels.astype(np.int32), 255,
                                  f"TFDS {base.tfds_name} ({builder.data_dir})")
        tried.append(reason)
    if source in ("auto", "offline"):
        arrays, reasons = sources.load_offline(base, split)
        tried.extend(reasons)
        if arrays is not None:
            return arrays
    raise DatasetUnavailableError(
        f"{spec.name!r} is made from {base.name!r}, which is not available.\n"
        + sources.unavailable_message(base, split, source, tried, data_dir)
    )


def _load_cycle_gan(spec, split, image_size, source, limit, cache, data_dir, download, common):

    tried = []
    builder = None
    if source in ("auto", "tfds"):
        builder, reason = tfds_source.find_prepared_builder(spec.tfds_name, data_dir, download)
        tried.append(reason)
    if builder is None:
        raise DatasetUnavailableError(
            sources.unavailable_message(spec, split, source, [r for r in tried if r], data_dir)
        )
    seeds = _domain_seeds(common["seed"])
    domains = []
    for suffix, domain_seed in zip(("A", "B"), seeds):
        name = split + suffix
        if name not in builder.info.splits:
            raise ValueError(f"TFDS {spec.tfds_name!r} has no split {name!r}; it has "
                             f"{', '.join(map(repr, sorted(builder.info.splits)))}.")
        ds, n = tfds_source.load_split(builder, name, limit,
                                       common["shuffle"] and "start_epoch" not in common,
                                       domain_seed)
        if image_size is None:
            # TFDS declares (None, None, 3); the catalog's size is checked, never reshaped.
            shape = spec.image_shape
            ds = ds.map(lambda image, label: tf.ensure_shape(image, shape),
                        num_parallel_calls=AUTOTUNE)
        else:
            shape = (*image_size, spec.image_shape[-1])
            ds = ds.map(lambda image, label: pipeline.resize_uint8(image, image_size),
                        num_parallel_calls=AUTOTUNE)
        domains.append((ds, n, int(np.prod(shape))))
    num_examples = max(n for _, n, _ in domains)
    pipeline.check_not_empty(num_examples, common["batch_size"], common["drop_remainder"],
                             f"{spec.name} {split!r}")
    ds = _unpaired_pipeline(domains, cache=cache, **common)
    return _finish(ds, pairing="unpaired", domain_names=spec.domain_names,
                   origin=f"TFDS {spec.tfds_name} ({builder.data_dir})",
                   num_examples=(domains[0][1], domains[1][1]))


@functools.lru_cache(maxsize=None)
def _photo(name):
    import skimage.data

    image = np.asarray(getattr(skimage.data, name)())
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(f"skimage.data.{name}() is not a uint8 RGB photo: {image.shape} "
                         f"{image.dtype}.")
    image.flags.writeable = False
    return image


def photo_crops(split, patch_size=DEFAULT_PATCH_SIZE):
    """Deterministic HR crops of the scikit-image sample photos of ``split``.

    Each photo of ``SR_PHOTOS[split]`` is cut into the non-overlapping
    ``patch_size x patch_size`` tiles of a grid centered on the photo (the remainder
    of each side is split between its two borders), in photo order, row by row.

    Returns:
      uint8 array ``(N, patch_size, patch_size, 3)``.
    """
    crops = []
    for name in SR_PHOTOS[split]:
        photo = _photo(name)
        h, w = photo.shape[:2]
        rows, cols = h // patch_size, w // patch_size
        top, left = (h - rows * patch_size) // 2, (w - cols * patch_size) // 2
        for r in range(rows):
            for c in range(cols):
                y, x = top + r * patch_size, left + c * patch_size
                crops.append(photo[y : y + patch_size, x : x + patch_size])
    if not crops:
        return np.zeros((0, patch_size, patch_size, 3), np.uint8)
    return np.stack(crops)


def _load_photo_sr(spec, split, scale, patch_size, image_size, source, limit, cache, common):
    if image_size is not None:
        raise ValueError(
            f"{spec.name!r} cuts crops of patch_size x patch_size from the photos; pass "
            f"patch_size=... instead of image_size (got image_size={image_size!r})."
        )
    if patch_size is None:
        patch_size = DEFAULT_PATCH_SIZE
    if not pipeline._is_int(patch_size):
        raise TypeError(f"patch_size must be a positive int, got {type(patch_size).__name__} "
                        f"{patch_size!r}.")
    if patch_size < 2:
        raise ValueError(f"patch_size must be an int >= 2, got {patch_size}.")
    scale = _check_scale(scale, (patch_size, patch_size), f"{spec.name} (patch_size)")
    try:
        import skimage.data  # noqa: F401
    except ImportError:
        raise DatasetUnavailableError(
            f"Dataset {spec.name!r} (split {split!r}) is not available on this machine: "
            f"scikit-image is not installed. To fix: pip install scikit-image (its sample "
            f"photos ship inside the package; nothing is downloaded)."
        ) from None
    crops = photo_crops(split, int(patch_size))[:limit]
    if len(crops) == 0:
        raise ValueError(
            f"patch_size={patch_size} is larger than every {split!r} photo of {spec.name!r} "
            f"({', '.join(SR_PHOTOS[split])}); no crop fits. Use a smaller patch_size."
        )
    pipeline.check_not_empty(len(crops), common["batch_size"], common["drop_remainder"],
                             f"{spec.name} {split!r} (patch_size={patch_size})")
    ds = tf.data.Dataset.from_tensor_slices(crops)

    def make_pair(hr):
        return downsample(hr, scale), hr

    ds = _paired_pipeline(ds, len(crops), crops[0].size, make_pair, cache=False, **common)
    return _finish(ds, pairing="super_resolution", domain_names=spec.domain_names,
                   origin=f"{spec.name}: skimage.data {', '.join(SR_PHOTOS[split])}",
                   scale=scale, patch_size=int(patch_size), num_examples=len(crops))


# ---------------------------------------------------------------------------
# your own folders


def _check_channels(channels):
    pair = channels if isinstance(channels, (tuple, list)) else (channels, channels)
    if len(pair) != 2 or any(c not in (1, 3) or isinstance(c, bool) for c in pair):
        raise ValueError(
            f"channels must be 1 (grayscale) or 3 (RGB), or a pair of them for folders a and b, "
            f"got {channels!r}."
        )
    return int(pair[0]), int(pair[1])


def _check_domain_names(domain_names, a_root, b_root):
    if domain_names is None:
        names = tuple(os.path.basename(os.path.normpath(r)) for r in (a_root, b_root))
        return names if all(names) and names[0] != names[1] else ("a", "b")
    names = tuple(domain_names) if isinstance(domain_names, (tuple, list)) else None
    if (names is None or len(names) != 2 or not all(isinstance(n, str) and n for n in names)
            or names[0] == names[1]):
        raise ValueError(
            f"domain_names must be two distinct non-empty strings, e.g. ('edges', 'shoes'); got "
            f"{domain_names!r}."
        )
    return names


def _native_size(files, role, image_size):
    """``image_size``, or the one size that every file in ``files`` has (read from headers)."""
    if image_size is not None:
        return image_size
    from PIL import Image

    sizes = {}
    for path in files:
        with Image.open(path) as image:
            width, height = image.size
        sizes.setdefault((height, width), path)
        if len(sizes) > 1:
            (s1, f1), (s2, f2) = sizes.items()
            raise ValueError(
                f"{role}: with image_size=None every image must have the same size, but "
                f"{f1!r} is {s1[0]}x{s1[1]} and {f2!r} is {s2[0]}x{s2[1]} (height x width). "
                f"Pass image_size=(height, width) to crop and resize them all."
            )
    return next(iter(sizes))


def _decoder(size, channels, crop_to_aspect_ratio, resize):
    def decode(path):
        image = decode_image_file(path, size if resize else None, channels, crop_to_aspect_ratio)
        image.set_shape([size[0], size[1], channels])
        return image
    return decode


def _folder_args(a_dir, b_dir, image_size, channels, batch_size, seed, cache, domain_names):
    a_root, a_files = list_image_files(a_dir, role="a_dir")
    b_root, b_files = list_image_files(b_dir, role="b_dir")
    image_size = pipeline.check_image_size(image_size)
    channels = _check_channels(channels)
    batch_size = pipeline.check_batch_size(batch_size)
    seed = pipeline.check_seed(seed)
    cache = pipeline.check_cache(cache)
    names = _check_domain_names(domain_names, a_root, b_root)
    return a_root, a_files, b_root, b_files, image_size, channels, batch_size, seed, cache, names


def _pair_key(root, path):
    return os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, "/")


def _keyed(root, files, role):
    keyed = {}
    for path in files:
        key = _pair_key(root, path)
        if key in keyed:
            raise ValueError(
                f"{role}: two images have the name {key!r} (without extension): "
                f"{keyed[key]!r} and {path!r}; pairs are matched by name, so names must be "
                f"unique in each folder."
            )
        keyed[key] = path
    return keyed


def paired_folder(
    a_dir,
    b_dir,
    image_size=None,
    channels=3,
    batch_size=128,
    shuffle=True,
    seed=None,
    drop_remainder=True,
    *,
    crop_to_aspect_ratio=True,
    cache=True,
    domain_names=None,
):
    """Your own aligned pairs: ``(a, b)`` batches from two folders matched by file name.

    ``a_dir/x/123.png`` pairs with ``b_dir/x/123.jpg``: the key is the path relative to
    the folder without its extension. Every image must have a partner. Images are
    decoded as in :func:`image_folder` (``.png``, ``.jpg``, ``.jpeg``, recursive, hidden
    files skipped, grayscale <-> RGB converted, alpha dropped); pairs are shuffled
    together.

    Args:
      a_dir, b_dir: the source and target folders (e.g. facades/A and facades/B).
      image_size: None keeps the images' size (then every image of a folder must have the
        same size, checked from the file headers; a and b may differ, e.g. LR / HR), or
        ``(height, width)`` / an int: center-crop to that aspect ratio (unless
        ``crop_to_aspect_ratio=False``) and resize (bilinear, antialiased), both folders.
      channels: 1 or 3, or a pair ``(channels_a, channels_b)``.
      batch_size, shuffle, seed, drop_remainder, cache: as in :func:`image_folder`.
      domain_names: names of a and b; default: the two folders' names.

    Returns:
      A prefetched ``tf.data.Dataset`` of ``(a, b)`` float32 batches in [-1, 1] with
      ``len(ds)`` batches per epoch and attributes ``domain_names``, ``pair_names``
      (the matched keys, sorted), ``file_paths`` (``(a_paths, b_paths)``, aligned).

    Raises:
      ValueError: a missing or empty folder, unmatched names (the first few are listed),
        a name used twice in one folder, mixed image sizes with ``image_size=None``, bad
        arguments.

    Example:
      >>> ds = paired_folder("facades/A", "facades/B", image_size=256)  # doctest: +SKIP
      >>> model.fit(ds)
    """
    (a_root, a_files, b_root, b_files, image_size, (ca, cb), batch_size, seed, cache,
     names) = _folder_args(a_dir, b_dir, image_size, channels, batch_size, seed, cache,
                           domain_names)
    a_keyed, b_keyed = _keyed(a_root, a_files, "a_dir"), _keyed(b_root, b_files, "b_dir")
    only_a = sorted(set(a_keyed) - set(b_keyed))
    only_b = sorted(set(b_keyed) - set(a_keyed))
    if only_a or only_b:
        def first(keys):
            shown = ", ".join(repr(k) for k in keys[:5])
            return f"{len(keys)} ({shown}{', ...' if len(keys) > 5 else ''})"
        raise ValueError(
            f"paired_folder matches images by name (relative path without extension), but "
            f"{first(only_a)} name(s) of a_dir {a_root!r} have no image in b_dir and "
            f"{first(only_b)} name(s) of b_dir {b_root!r} have none in a_dir. Every image needs "
            f"a partner of the same name."
        )
    keys = sorted(a_keyed)
    a_paths = [a_keyed[k] for k in keys]
    b_paths = [b_keyed[k] for k in keys]
    size_a = _native_size(a_paths, "a_dir", image_size)
    size_b = _native_size(b_paths, "b_dir", image_size)
    n = len(keys)
    pipeline.check_not_empty(n, batch_size, drop_remainder,
                             f"paired_folder({a_root!r}, {b_root!r})")
    decode_a = _decoder(size_a, ca, crop_to_aspect_ratio, image_size is not None)
    decode_b = _decoder(size_b, cb, crop_to_aspect_ratio, image_size is not None)
    ds = tf.data.Dataset.from_tensor_slices((np.array(a_paths), np.array(b_paths)))
    if shuffle and not cache:  # nothing kept between epochs: shuffle the names before decoding
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda a, b: (decode_a(a), decode_b(b)), num_parallel_calls=AUTOTUNE)
    example_bytes = size_a[0] * size_a[1] * ca + size_b[0] * size_b[1] * cb
    ds = _paired_pipeline(ds, n, example_bytes, lambda a, b: (a, b), batch_size=batch_size,
                          shuffle=shuffle and bool(cache), seed=seed,
                          drop_remainder=drop_remainder, cache=cache)
    return _finish(ds, pairing="paired", domain_names=names,
                   origin=f"paired folders {a_root}, {b_root}", pair_names=tuple(keys),
                   file_paths=(tuple(a_paths), tuple(b_paths)), num_examples=n)


def unpaired_folder(
    a_dir,
    b_dir,
    image_size=None,
    channels=3,
    batch_size=128,
    shuffle=True,
    seed=None,
    drop_remainder=True,
    *,
    crop_to_aspect_ratio=True,
    cache=True,
    domain_names=None,
):
    """Two unaligned domains: ``(a, b)`` batches from two independently shuffled folders.

    For CycleGAN / DiscoGAN on your own images (e.g. horse2zebra's trainA and trainB).
    Each folder is read as in :func:`image_folder` and shuffled with its own seed
    (both derived from ``seed``). An epoch has ``max(len(a), len(b))`` examples, as in
    junyanz's unaligned dataset: the smaller folder is repeated, reshuffled at each pass,
    so every image of both folders is seen each epoch.

    Args: as :func:`paired_folder` (``image_size=None`` requires one size per folder).

    Returns:
      A prefetched ``tf.data.Dataset`` of ``(a, b)`` float32 batches in [-1, 1] with
      ``len(ds)`` batches per epoch and attributes ``domain_names``, ``file_paths``
      (``(a_paths, b_paths)``) and ``num_examples`` (``(len(a), len(b))``).

    Raises:
      ValueError: a missing or empty folder, mixed sizes with ``image_size=None``, bad
        arguments.
    """
    (a_root, a_files, b_root, b_files, image_size, channels, batch_size, seed, cache,
     names) = _folder_args(a_dir, b_dir, image_size, channels, batch_size, seed, cache,
                           domain_names)
    domains = []
    for files, role, ch, domain_seed in zip((a_files, b_files), ("a_dir", "b_dir"), channels,
                                            _domain_seeds(seed)):
        size = _native_size(files, role, image_size)
        ds = tf.data.Dataset.from_tensor_slices(np.array(files))
        if shuffle and not cache:
            ds = ds.shuffle(len(files), seed=domain_seed, reshuffle_each_iteration=True)
        ds = ds.map(_decoder(size, ch, crop_to_aspect_ratio, image_size is not None),
                    num_parallel_calls=AUTOTUNE)
        domains.append((ds, len(files), size[0] * size[1] * ch))
    n = max(len(a_files), len(b_files))
    pipeline.check_not_empty(n, batch_size, drop_remainder,
                             f"unpaired_folder({a_root!r}, {b_root!r})")
    ds = _unpaired_pipeline(domains, batch_size=batch_size, shuffle=shuffle and bool(cache),
                            seed=seed, drop_remainder=drop_remainder, cache=cache)
    return _finish(ds, pairing="unpaired", domain_names=names,
                   origin=f"unpaired folders {a_root}, {b_root}",
                   file_paths=(tuple(a_files), tuple(b_files)),
                   num_examples=(len(a_files), len(b_files)))
