"""Bouncing-object videos (Moving MNIST, Srivastava et al. 2015) rendered offline.

Every sequence holds ``num_objects`` small grayscale images (MNIST digits, Fashion-MNIST
articles) moving in a square frame: each object starts at a uniformly random position
with a uniformly random direction, moves at a constant speed and bounces off the frame
edges (mirror reflection); objects are composited with ``max``. Frames are float32 in
[-1, 1] with the black background at -1.

- :func:`bouncing_trajectories`: the top-left positions of the objects, frame by frame;
- :func:`moving_digits`: sequences ``(N, T, H, W, 1)`` from any array of object images;
- :func:`paired_moving_digits`: two videos sharing their trajectories, one object set each;
- :func:`keras_gan_zoo.datasets.load` ``("moving_mnist" | "moving_fashion" |
  "moving_mnist_to_fashion" | "moving_mnist_to_fashion_paired")``: the same rendered
  lazily in ``tf.data`` (see docs/datasets.md, "Video datasets").

Randomness is a numpy ``SeedSequence``: the trajectories come from its first spawned
child, the choice of images of each object set from the next ones. So the same seed gives
the same trajectories to :func:`bouncing_trajectories`, :func:`moving_digits` and
:func:`paired_moving_digits`, and the first ``n`` sequences do not depend on how many are
rendered.
"""

import dataclasses
import math
import numbers

import numpy as np
import tensorflow as tf
from numpy.lib.stride_tricks import sliding_window_view

from . import pipeline
from .translation import _base_arrays, _finish

__all__ = [
    "DEFAULT_NUM_FRAMES",
    "DEFAULT_FRAME_SIZE",
    "DEFAULT_NUM_OBJECTS",
    "STEP_FRACTION",
    "SEQUENCES_PER_EPOCH",
    "bouncing_trajectories",
    "moving_digits",
    "paired_moving_digits",
    "load_video",
]

AUTOTUNE = tf.data.AUTOTUNE

DEFAULT_NUM_FRAMES = 20  # Srivastava et al.: 10 frames in, 10 predicted
DEFAULT_FRAME_SIZE = 64
DEFAULT_NUM_OBJECTS = 2
# Default speed: a tenth of the distance an object can travel across the frame per frame
# (Srivastava et al.'s step length 0.1): 0.1 * (64 - 28) = 3.6 pixels for MNIST in 64x64.
STEP_FRACTION = 0.1
# Sequences rendered per epoch by load(); `limit` lowers it.
SEQUENCES_PER_EPOCH = {"train": 10_000, "test": 1_000}
# load() renders this many sequences per call of the numpy renderer, then unbatches them.
CHUNK_SIZE = 32
# Entropy tags keeping load()'s random streams apart.
_TRAIN_FRESH, _TRAIN_FIXED, _TEST, _TRAIN_EPOCH = 1, 2, 3, 4


# ---------------------------------------------------------------------------
# argument checks


def _check_count(value, name, minimum=1):
    if not pipeline._is_int(value):
        raise TypeError(f"{name} must be an int >= {minimum}, got {type(value).__name__} "
                        f"{value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}.")
    return int(value)


def _check_object_size(object_size):
    pair = (object_size, object_size) if pipeline._is_int(object_size) else object_size
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(pipeline._is_int(v) and v >= 1 for v in pair)):
        raise ValueError(f"object_size must be a positive int or a (height, width) pair of them, "
                         f"got {object_size!r}.")
    return int(pair[0]), int(pair[1])


def _check_fits(object_hw, frame_size):
    if max(object_hw) >= frame_size:
        raise ValueError(
            f"frame_size={frame_size} is too small for objects of {object_hw[0]}x{object_hw[1]} "
            f"pixels: the frame must be larger than the objects so that they can move "
            f"(e.g. frame_size=64 for 28x28 digits)."
        )


def _check_speed(speed, object_hw, frame_size):
    """Pixels per frame: ``speed``, or STEP_FRACTION of the travel range when None."""
    if speed is None:
        return STEP_FRACTION * (frame_size - max(object_hw))
    if isinstance(speed, bool) or not isinstance(speed, numbers.Real):
        raise TypeError(f"speed must be None or a positive number of pixels per frame, got "
                        f"{type(speed).__name__} {speed!r}.")
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"speed must be a positive, finite number of pixels per frame, got "
                         f"{speed!r}.")
    return float(speed)


def _check_seed(seed):
    if seed is not None and not pipeline._is_int(seed):
        raise TypeError(f"seed must be None or a non-negative int, got {type(seed).__name__} "
                        f"{seed!r}.")
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be None or a non-negative int, got {seed}.")
    return np.random.SeedSequence(None if seed is None else int(seed))


def _check_images(images, name="images"):
    """``(objects (N, h, w), max_value)``: uint8 kept as is, floats in [-1, 1] -> [0, 1]."""
    array = np.asarray(images)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[0] < 1 or min(array.shape[1:]) < 1:
        raise ValueError(
            f"{name} must be a non-empty array of grayscale images (N, height, width) or "
            f"(N, height, width, 1), got shape {np.shape(images)}."
        )
    if array.dtype == np.uint8:
        return array, 255
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise ValueError(f"integer {name} must hold values in [0, 255], got values in "
                             f"[{array.min()}, {array.max()}].")
        return array.astype(np.uint8), 255
    if np.issubdtype(array.dtype, np.floating):
        low, high = float(array.min()), float(array.max())
        if not (-1.0 <= low and high <= 1.0):
            raise ValueError(f"float {name} must be in [-1, 1] (the zoo's image range), got "
                             f"values in [{low:g}, {high:g}].")
        return ((array.astype(np.float32) + 1.0) / 2.0), 1
    raise TypeError(f"{name} must be uint8 (0..255) or float in [-1, 1], got dtype "
                    f"{array.dtype}.")


# ---------------------------------------------------------------------------
# trajectories and compositing


def _trajectories(seed_sequence, num_sequences, num_frames, object_hw, frame_size, num_objects,
                  speed):
    """float64 ``(N, T, K, 2)`` top-left (y, x) positions in ``[0, frame_size - object]``."""
    uniforms = np.random.default_rng(seed_sequence).random((num_sequences, num_objects, 3))
    travel = np.array([frame_size - object_hw[0], frame_size - object_hw[1]], np.float64)
    start = uniforms[..., :2] * travel  # (N, K, 2)
    angle = 2.0 * np.pi * uniforms[..., 2]
    velocity = speed * np.stack([np.sin(angle), np.cos(angle)], axis=-1)  # (N, K, 2)
    steps = np.arange(num_frames, dtype=np.float64)[None, :, None, None]
    unfolded = start[:, None] + steps * velocity[:, None]  # straight lines, no walls
    # Folding the straight line into [0, travel] is bouncing with mirror reflection:
    # a triangle wave of period 2 * travel.
    return travel - np.abs(np.mod(unfolded, 2.0 * travel) - travel)


def _composite(objects, positions, frame_size):
    """Max-composites ``objects`` (N, K, h, w) at integer ``positions`` (N, T, K, 2)."""
    num_sequences, num_frames = positions.shape[:2]
    height, width = objects.shape[-2:]
    frames = np.zeros((num_sequences, num_frames, frame_size, frame_size), objects.dtype)
    # windows[n, t, y, x] is the (height, width) view of frame (n, t) whose top-left is (y, x).
    windows = sliding_window_view(frames, (height, width), axis=(2, 3), writeable=True)
    n = np.arange(num_sequences)[:, None]
    t = np.arange(num_frames)[None, :]
    for k in range(objects.shape[1]):
        y, x = positions[:, :, k, 0], positions[:, :, k, 1]
        patch = objects[:, None, k]  # the same object in every frame of its sequence
        if k == 0:
            windows[n, t, y, x] = patch
        else:
            windows[n, t, y, x] = np.maximum(windows[n, t, y, x], patch)
    return frames


def _render(pools, num_sequences, seed_sequence, num_frames, frame_size, num_objects, speed):
    """One video per pool, all with the trajectories of ``seed_sequence``'s first child.

    ``pools`` are arrays ``(M, h, w)`` of the same object size. Returns a list of arrays
    ``(N, T, frame_size, frame_size)`` of the pools' dtype (background 0).
    """
    object_hw = pools[0].shape[1:]
    trajectory_seed, *pick_seeds = seed_sequence.spawn(1 + len(pools))
    positions = np.rint(_trajectories(trajectory_seed, num_sequences, num_frames, object_hw,
                                      frame_size, num_objects, speed)).astype(np.intp)
    videos = []
    for pool, pick_seed in zip(pools, pick_seeds):
        picks = np.random.default_rng(pick_seed).integers(
            0, len(pool), (num_sequences, num_objects))
        videos.append(_composite(pool[picks], positions, frame_size))
    return videos


def _to_float(frames, max_value):
    """Frames of intensities in [0, max_value] -> float32 ``(..., 1)`` in [-1, 1], one array."""
    floats = np.multiply(frames[..., None], np.float32(2.0 / max_value), dtype=np.float32)
    floats -= np.float32(1.0)
    return floats


def _video_args(num_sequences, num_frames, frame_size, num_objects):
    return (_check_count(num_sequences, "num_sequences"), _check_count(num_frames, "num_frames"),
            _check_count(frame_size, "frame_size", 2), _check_count(num_objects, "num_objects"))


def bouncing_trajectories(
    num_sequences,
    num_frames=DEFAULT_NUM_FRAMES,
    frame_size=DEFAULT_FRAME_SIZE,
    object_size=28,
    num_objects=DEFAULT_NUM_OBJECTS,
    speed=None,
    seed=0,
):
    """Positions of objects bouncing in a square frame, frame by frame.

    Each object starts at a uniform position in ``[0, frame_size - object_size]`` (per
    axis) with a uniform direction in [0, 2 pi), moves ``speed`` pixels per frame in a
    straight line and is mirrored at the walls (the speed never changes). These are the
    trajectories :func:`moving_digits` renders for the same arguments and ``seed``
    (rounded to whole pixels there).

    Args:
      num_sequences: int >= 1.
      num_frames: int >= 1.
      frame_size: side of the square frame in pixels; larger than the objects.
      object_size: int or ``(height, width)`` of the objects (28 for (Fashion-)MNIST).
      num_objects: objects per sequence, int >= 1.
      speed: pixels per frame; None: ``STEP_FRACTION`` (0.1) of the travel range
        ``frame_size - object_size`` (3.6 for 28-pixel objects in 64x64 frames).
      seed: non-negative int, or None for fresh randomness.

    Returns:
      float64 array ``(num_sequences, num_frames, num_objects, 2)``: the (y, x) of each
      object's top-left corner.

    Example:
      >>> positions = bouncing_trajectories(4, num_frames=10, seed=0)
      >>> positions.shape
      (4, 10, 2, 2)
      >>> bool(positions.min() >= 0 and positions.max() <= 64 - 28)
      True
    """
    num_sequences, num_frames, frame_size, num_objects = _video_args(
        num_sequences, num_frames, frame_size, num_objects)
    object_hw = _check_object_size(object_size)
    _check_fits(object_hw, frame_size)
    speed = _check_speed(speed, object_hw, frame_size)
    trajectory_seed = _check_seed(seed).spawn(1)[0]
    return _trajectories(trajectory_seed, num_sequences, num_frames, object_hw, frame_size,
                         num_objects, speed)


def moving_digits(
    images,
    num_sequences,
    num_frames=DEFAULT_NUM_FRAMES,
    frame_size=DEFAULT_FRAME_SIZE,
    num_objects=DEFAULT_NUM_OBJECTS,
    speed=None,
    seed=0,
):
    """Moving-MNIST-style videos of images bouncing in a frame.

    Each sequence holds ``num_objects`` images drawn uniformly (with replacement) from
    ``images``, following :func:`bouncing_trajectories` (positions rounded to whole
    pixels) and composited with ``max`` on a black background.

    Args:
      images: grayscale objects ``(N, h, w)`` or ``(N, h, w, 1)``: uint8 in [0, 255]
        (e.g. ``read_idx`` output) or float in [-1, 1].
      num_sequences: int >= 1.
      num_frames: frames per sequence, int >= 1.
      frame_size: side of the square frames; larger than the objects.
      num_objects: objects per sequence, int >= 1.
      speed: pixels per frame, or None (see :func:`bouncing_trajectories`).
      seed: non-negative int, or None for fresh randomness.

    Returns:
      float32 array ``(num_sequences, num_frames, frame_size, frame_size, 1)`` in [-1, 1].

    Raises:
      ValueError: a count < 1, objects not smaller than the frame, values out of range.
      TypeError: non-integer counts, a non-numeric speed, images of another dtype.

    Example:
      >>> digits = np.zeros((5, 28, 28), np.uint8); digits[:, 10:18, 10:18] = 255
      >>> moving_digits(digits, 3, num_frames=10, seed=0).shape
      (3, 10, 64, 64, 1)
    """
    num_sequences, num_frames, frame_size, num_objects = _video_args(
        num_sequences, num_frames, frame_size, num_objects)
    objects, max_value = _check_images(images)
    _check_fits(objects.shape[1:], frame_size)
    speed = _check_speed(speed, objects.shape[1:], frame_size)
    (frames,) = _render([objects], num_sequences, _check_seed(seed), num_frames, frame_size,
                        num_objects, speed)
    return _to_float(frames, max_value)


def paired_moving_digits(
    images_a,
    images_b,
    num_sequences,
    num_frames=DEFAULT_NUM_FRAMES,
    frame_size=DEFAULT_FRAME_SIZE,
    num_objects=DEFAULT_NUM_OBJECTS,
    speed=None,
    seed=0,
):
    """Two videos with the same motion: objects of ``images_a`` and ``images_b`` on the
    same trajectories.

    Object k of sequence n moves identically in both videos; its image is drawn from
    ``images_a`` in the first and, independently, from ``images_b`` in the second. The
    first video equals ``moving_digits(images_a, ...)`` for the same arguments.

    Args:
      images_a, images_b: object images as in :func:`moving_digits`, of the same
        height and width.
      num_sequences, num_frames, frame_size, num_objects, speed, seed: as in
        :func:`moving_digits`.

    Returns:
      ``(a, b)``: two float32 arrays ``(num_sequences, num_frames, frame_size,
      frame_size, 1)`` in [-1, 1].

    Example:
      >>> a, b = paired_moving_digits(mnist_digits, fashion_items, 8)  # doctest: +SKIP
    """
    num_sequences, num_frames, frame_size, num_objects = _video_args(
        num_sequences, num_frames, frame_size, num_objects)
    objects_a, max_a = _check_images(images_a, "images_a")
    objects_b, max_b = _check_images(images_b, "images_b")
    if objects_a.shape[1:] != objects_b.shape[1:]:
        raise ValueError(
            f"images_a and images_b must have the same height and width to share "
            f"trajectories, got {objects_a.shape[1]}x{objects_a.shape[2]} and "
            f"{objects_b.shape[1]}x{objects_b.shape[2]}."
        )
    _check_fits(objects_a.shape[1:], frame_size)
    speed = _check_speed(speed, objects_a.shape[1:], frame_size)
    a, b = _render([objects_a, objects_b], num_sequences, _check_seed(seed), num_frames,
                   frame_size, num_objects, speed)
    return _to_float(a, max_a), _to_float(b, max_b)


# ---------------------------------------------------------------------------
# load("moving_mnist" | "moving_fashion" | "moving_mnist_to_fashion[_paired]")


def _chunk_keys(split, num_chunks, shuffle, seed, epoch=None):
    """One int64 entropy vector per chunk of CHUNK_SIZE sequences.

    train + shuffle: fresh random keys at every pass over the dataset (every epoch), a
    reproducible run of epochs for a fixed ``seed``; with ``epoch`` (an int64 scalar
    tensor, the epoch-indexed order of ``start_epoch``) the keys of that epoch, a pure
    function of ``(seed, epoch)``; train without shuffle: the same sequences every epoch,
    fixed by ``seed``; test: always the same sequences.
    """
    chunks = tf.data.Dataset.range(num_chunks)
    if split == "test":
        return chunks.map(lambda c: tf.stack([tf.constant(_TEST, tf.int64), c]))
    if shuffle and epoch is not None:
        return chunks.map(lambda c: tf.stack([tf.constant(_TRAIN_EPOCH, tf.int64),
                                              tf.constant(seed % 2**62, tf.int64), epoch, c]))
    if not shuffle:
        stream = (seed or 0) % 2**63
        return chunks.map(lambda c: tf.stack([tf.constant(_TRAIN_FIXED, tf.int64),
                                              tf.constant(stream, tf.int64), c]))
    fresh = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(num_chunks)
    return fresh.map(lambda value: tf.stack([tf.constant(_TRAIN_FRESH, tf.int64),
                                             tf.math.floormod(value, 2**62)]))


def _load_pools(spec, split, source, data_dir, download):
    """The uint8 object images ``(M, 28, 28)`` of each base of ``spec``, and their origins."""
    bases = spec.base if isinstance(spec.base, tuple) else (spec.base,)
    pools, origins = [], []
    for base in bases:
        arrays = _base_arrays(dataclasses.replace(spec, base=base), split, source, data_dir,
                              download)
        if arrays.max_value != 255:
            raise ValueError(f"{base!r} images have full scale {arrays.max_value}, expected 255.")
        pools.append(np.ascontiguousarray(arrays.images[..., 0]))
        origins.append(arrays.origin)
    return pools, origins


def load_video(
    spec, split, *, batch_size, shuffle, seed, drop_remainder, image_size, source, limit,
    data_dir, download, scale, patch_size, num_frames, start_epoch=None,
):
    """Called by :func:`keras_gan_zoo.datasets.load` for ``kind="video"`` names; with
    ``start_epoch``, the endless stream of epochs ``start_epoch, start_epoch + 1, ...``,
    each rendered from ``(seed, epoch)`` (``batches_per_epoch`` batches each)."""
    if image_size is not None or scale is not None or patch_size is not None:
        raise ValueError(
            f"{spec.name!r} renders {spec.image_shape[0]}x{spec.image_shape[1]} frames; it takes "
            f"no image_size, scale or patch_size (got image_size={image_size!r}, scale={scale!r}, "
            f"patch_size={patch_size!r}). For other frame sizes call "
            f"keras_gan_zoo.datasets.moving_digits(images, ..., frame_size=...)."
        )
    num_frames = spec.num_frames if num_frames is None else _check_count(num_frames,
                                                                          "num_frames")
    num_sequences = SEQUENCES_PER_EPOCH[split] if limit is None else min(
        limit, SEQUENCES_PER_EPOCH[split])
    pipeline.check_not_empty(num_sequences, batch_size, drop_remainder, f"{spec.name} {split!r}")
    pools, origins = _load_pools(spec, split, source, data_dir, download)
    frame_size, num_objects = spec.image_shape[0], DEFAULT_NUM_OBJECTS
    speed = _check_speed(None, pools[0].shape[1:], frame_size)
    paired = spec.pairing == "paired"

    def render_chunk(key, size):
        entropy = [int(v) for v in key]
        settings = dict(num_sequences=int(size), num_frames=num_frames, frame_size=frame_size,
                        num_objects=num_objects, speed=speed)
        if paired or len(pools) == 1:
            videos = _render(pools, seed_sequence=np.random.SeedSequence(entropy), **settings)
        else:  # unpaired: each domain has its own trajectories and images
            videos = [_render([pool], seed_sequence=np.random.SeedSequence(entropy + [domain]),
                              **settings)[0] for domain, pool in enumerate(pools)]
        return tuple(video[..., None] for video in videos)

    num_chunks = -(-num_sequences // CHUNK_SIZE)
    sizes = [CHUNK_SIZE] * (num_sequences // CHUNK_SIZE)
    if num_sequences % CHUNK_SIZE:
        sizes.append(num_sequences % CHUNK_SIZE)
    shape = (None, num_frames, frame_size, frame_size, 1)

    def render(key, size):
        videos = tf.numpy_function(render_chunk, [key, size], [tf.uint8] * len(pools),
                                   stateful=False)
        for video in videos:
            video.set_shape(shape)
        return tuple(videos)

    def one_epoch(epoch=None):
        chunks = tf.data.Dataset.zip((
            _chunk_keys(split, num_chunks, shuffle, seed, epoch),
            tf.data.Dataset.from_tensor_slices(np.array(sizes, np.int64))))
        return chunks.map(render, num_parallel_calls=AUTOTUNE).unbatch().batch(
            batch_size, drop_remainder=drop_remainder)

    num_batches = pipeline.batches_per_epoch(num_sequences, batch_size, drop_remainder)
    if start_epoch is None:
        ds = one_epoch().apply(tf.data.experimental.assert_cardinality(num_batches))
    else:
        ds = pipeline.by_epoch(start_epoch, one_epoch)

    def to_float(*videos):
        floats = tuple(tf.cast(v, tf.float32) / 127.5 - 1.0 for v in videos)
        return floats if len(floats) > 1 else floats[0]

    ds = ds.map(to_float, num_parallel_calls=AUTOTUNE)
    origin = f"{spec.name}: rendered from {'; '.join(origins)}"
    attributes = dict(num_frames=num_frames, frame_size=frame_size, num_objects=num_objects,
                      speed=speed)
    ds.batches_per_epoch = num_batches
    if len(pools) == 2:
        return _finish(ds, pairing=spec.pairing, domain_names=spec.domain_names, origin=origin,
                       num_examples=num_sequences if paired else (num_sequences,) * 2,
                       **attributes)
    ds = ds.prefetch(AUTOTUNE)
    ds.batches_per_epoch = num_batches
    ds.class_names = None
    ds.source = origin
    ds.num_examples = num_sequences
    for key, value in attributes.items():
        setattr(ds, key, value)
    return ds
