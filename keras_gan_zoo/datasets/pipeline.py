"""Argument checks and the tf.data tail shared by every loader.

Every source produces ``(uint8 image, int32 label)`` examples; :func:`finish` caches,
shuffles, batches, scales to float32 [-1, 1] and prefetches them.
"""

import numbers
import os

import tensorflow as tf

__all__ = [
    "check_batch_size",
    "check_limit",
    "check_image_size",
    "check_seed",
    "check_cache",
    "resize_uint8",
    "pad_uint8",
    "finish",
    "check_start_epoch",
    "epoch_key",
    "epoch_order",
    "by_epoch",
    "batches_per_epoch",
]

AUTOTUNE = tf.data.AUTOTUNE
# Shuffle buffers hold whole examples: full-dataset buffers for the small sets,
# bounded to about this many bytes for big ones (CelebA, large image folders).
SHUFFLE_BUFFER_BYTES = 512 * 2**20
MIN_SHUFFLE_BUFFER = 1_000


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_batch_size(batch_size):
    """Returns ``batch_size`` as int; TypeError if not an int, ValueError if < 1."""
    if not _is_int(batch_size):
        raise TypeError(
            f"batch_size must be a positive int, got {type(batch_size).__name__} {batch_size!r}."
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}.")
    return int(batch_size)


def check_channels(channels):
    """Returns ``channels`` (1: grayscale, 3: RGB) as int; ValueError otherwise."""
    if not _is_int(channels) or channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}.")
    return int(channels)


def check_limit(limit):
    """Returns ``limit`` (None or a positive int)."""
    if limit is None:
        return None
    if not _is_int(limit):
        raise TypeError(
            f"limit must be None or a positive int, got {type(limit).__name__} {limit!r}."
        )
    if limit < 1:
        raise ValueError(f"limit must be None or a positive int, got {limit}.")
    return int(limit)


def check_image_size(image_size, allow_none=True):
    """Normalizes ``image_size`` (an int or a ``(height, width)`` pair) to a tuple."""
    if image_size is None and allow_none:
        return None
    if _is_int(image_size):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or not all(_is_int(v) and v > 0 for v in image_size)
    ):
        raise ValueError(
            f"image_size must be a (height, width) pair of positive ints"
            f"{' or None' if allow_none else ''}, got {image_size!r}."
        )
    return (int(image_size[0]), int(image_size[1]))


def check_seed(seed):
    """Returns ``seed`` (None or an int)."""
    if seed is not None and not _is_int(seed):
        raise TypeError(f"seed must be None or an int, got {type(seed).__name__} {seed!r}.")
    return None if seed is None else int(seed)


def check_cache(cache):
    """``True`` (memory), ``False`` (no cache) or a file path prefix for ``Dataset.cache``."""
    if isinstance(cache, bool):
        return cache
    if isinstance(cache, (str, os.PathLike)):
        path = os.fspath(cache)
        if not path:
            raise ValueError("cache must be True, False or a non-empty file path prefix, got ''.")
        return path
    raise TypeError(f"cache must be True, False or a file path prefix, got {type(cache).__name__}.")


def resize_uint8(image, size, max_value=255):
    """Bilinear, antialiased resize of a uint8 image; returns uint8 in [0, 255].

    Images whose full scale is ``max_value`` (e.g. 16 for sklearn digits) are first
    rescaled to [0, 255] so no precision is lost when rounding back to bytes.
    """
    x = tf.cast(image, tf.float32)
    if max_value != 255:
        x = x * (255.0 / float(max_value))
    x = tf.image.resize(x, size, method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(x), 0.0, 255.0), tf.uint8)


def pad_uint8(image, padding):
    """Pads an (H, W, C) image by ``padding`` pixels of value 0 on each side (0 maps to
    -1, the black background of (Fashion-)MNIST)."""
    return tf.pad(image, [[padding, padding], [padding, padding], [0, 0]])


def shuffle_buffer_size(num_examples, example_bytes):
    """The whole dataset if it fits in ~512 MiB, else a bounded buffer."""
    bounded = max(MIN_SHUFFLE_BUFFER, SHUFFLE_BUFFER_BYTES // max(1, int(example_bytes)))
    if num_examples is None:
        return bounded
    return max(1, min(int(num_examples), bounded))


def check_not_empty(num_examples, batch_size, drop_remainder, what):
    """ValueError when ``drop_remainder`` would leave no batch at all."""
    if num_examples is not None and drop_remainder and num_examples < batch_size:
        raise ValueError(
            f"{what} has only {num_examples} example(s), fewer than batch_size={batch_size}; with "
            f"drop_remainder=True the dataset would be empty. Lower batch_size or pass "
            f"drop_remainder=False."
        )


# ---------------------------------------------------------------------------
# Epoch-indexed order (``start_epoch=``): the order of epoch e is a pure function of
# (seed, e), so a resumed run can rebuild "epoch e from batch b" in any process.
# tf.data's own reshuffling (``reshuffle_each_iteration=True``) draws the order of each
# pass from a generator that starts afresh in every process: a run resumed after epoch
# k would replay epoch 0's order for its epoch k + 1.

def check_start_epoch(start_epoch, seed):
    """Returns ``start_epoch`` (None or an int >= 0); an epoch-indexed order needs a seed."""
    if start_epoch is None:
        return None
    if not _is_int(start_epoch) or start_epoch < 0:
        raise ValueError(f"start_epoch must be None or an int >= 0, got {start_epoch!r}.")
    if seed is None:
        raise ValueError("start_epoch needs a seed: the order of every epoch is a function of "
                         "(seed, epoch). Pass seed=<int>.")
    return int(start_epoch)


def epoch_key(seed, epoch, salt):
    """The stateless seed (shape [2]) keyed by ``(seed, epoch, salt)``: one window of an
    epoch's order, or one example's random draw in that epoch."""
    key = tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_fold_in(key, tf.cast(salt, tf.int64))


def epoch_order(ds, buffer, seed, epoch, salt=0):
    """The examples of the finite dataset ``ds`` in the order of epoch ``epoch``.

    Consecutive windows of ``buffer`` examples (the whole dataset when it fits the
    shuffle buffer, as for every dataset the CLI trains on) are each permuted by
    ``tf.random.experimental.index_shuffle`` keyed by ``(seed, epoch, window, salt)``:
    no state, the same order in every process. A dataset larger than the buffer is
    shuffled within windows (which windows hold which examples does not change from
    epoch to epoch; their order within does).

    Args:
      ds: a finite, unbatched dataset (any structure of tensors).
      buffer: examples per window (>= 1).
      seed: int (or int64 scalar tensor).
      epoch: int or int64 scalar tensor.
      salt: distinguishes several orders of one epoch (an int or int64 tensor).
    """
    def permute(window, examples):
        n = tf.shape(tf.nest.flatten(examples)[0], out_type=tf.int64)[0]
        order = tf.random.experimental.index_shuffle(
            tf.range(n), epoch_key(seed, epoch, tf.cast(salt, tf.int64) * 1_000_003 + window),
            n - 1)
        return tf.data.Dataset.from_tensor_slices(
            tf.nest.map_structure(lambda t: tf.gather(t, order), examples))

    return ds.batch(int(buffer)).enumerate().flat_map(permute)


def by_epoch(start_epoch, make_epoch):
    """The endless dataset ``make_epoch(start_epoch)``, ``make_epoch(start_epoch + 1)``, ...

    ``make_epoch`` maps an int64 scalar tensor (the epoch) to the finite dataset of
    that epoch. The result declares infinite cardinality: train on it with
    ``steps_per_epoch`` (``batches_per_epoch``).
    """
    epochs = tf.data.Dataset.range(int(start_epoch), 2**62)
    ds = epochs.flat_map(make_epoch)
    return ds.apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))


def batches_per_epoch(num_examples, batch_size, drop_remainder):
    """Batches of one epoch of ``num_examples`` examples (None if unknown)."""
    if num_examples is None:
        return None
    full, rest = divmod(int(num_examples), int(batch_size))
    return full + (1 if rest and not drop_remainder else 0)


def shuffle_and_batch(ds, *, num_examples, example_bytes, batch_size, shuffle, seed,
                      drop_remainder, start_epoch=None):
    """shuffle -> batch: one pass reshuffled by tf.data at every iteration
    (``start_epoch=None``), or the endless epoch-indexed stream from ``start_epoch``."""
    buffer = shuffle_buffer_size(num_examples, example_bytes)
    if start_epoch is None:
        if shuffle:
            ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size, drop_remainder=drop_remainder)

    def one_epoch(epoch):
        examples = epoch_order(ds, buffer, seed, epoch) if shuffle else ds
        return examples.batch(batch_size, drop_remainder=drop_remainder)

    return by_epoch(start_epoch, one_epoch)


def finish(
    ds,
    *,
    num_examples,
    example_bytes,
    max_value,
    batch_size,
    shuffle,
    seed,
    drop_remainder,
    with_labels,
    cache,
    start_epoch=None,
):
    """cache -> shuffle -> batch -> scale to float32 [-1, 1] -> prefetch.

    Args:
      ds: dataset of ``(uint8 image (H, W, C), int32 label)``.
      num_examples: size of ``ds`` if known (sets the shuffle buffer).
      example_bytes: bytes of one image (bounds the shuffle buffer).
      max_value: the pixel value mapped to +1.
      cache: False, True (memory) or a file path prefix.
      start_epoch: None (one epoch, reshuffled at each iteration), or the first epoch
        of an endless epoch-indexed stream (see ``epoch_order``).
    """
    if not with_labels:
        ds = ds.map(lambda image, label: image)
    if cache:
        ds = ds.cache("" if cache is True else cache)
    ds = shuffle_and_batch(ds, num_examples=num_examples, example_bytes=example_bytes,
                           batch_size=batch_size, shuffle=shuffle, seed=seed,
                           drop_remainder=drop_remainder, start_epoch=start_epoch)
    half = tf.constant(float(max_value) / 2.0, tf.float32)

    def to_float(images):
        return tf.cast(images, tf.float32) / half - 1.0

    if with_labels:
        ds = ds.map(
            lambda images, labels: (to_float(images), tf.cast(labels, tf.int32)),
            num_parallel_calls=AUTOTUNE,
        )
    else:
        ds = ds.map(to_float, num_parallel_calls=AUTOTUNE)
    ds = ds.prefetch(AUTOTUNE)
    ds.batches_per_epoch = batches_per_epoch(num_examples, batch_size, drop_remainder)
    return ds
