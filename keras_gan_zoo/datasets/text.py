"""Text for the character-level models: corpora, vocabularies, windows of ids.

The default offline corpus, ``python_docs``, is the documentation that every
CPython installation ships in ``pydoc_data.topics`` (the Language Reference
sections ``help()`` shows, ~465,000 characters of English prose and code on
Python 3.11): no download, no package to install. Any UTF-8 text file works too.

Example:
  >>> text = load_text("python_docs")             # or load_text("my_book.txt")
  >>> vocabulary = build_vocabulary(text)          # sorted distinct characters
  >>> train, test = split_text(text, holdout=0.1)  # the last 10% is held out
  >>> ds = char_dataset(train, vocabulary, seq_length=100, batch_size=64, seed=0)
  >>> next(iter(ds)).shape                         # int32 ids
  TensorShape([64, 101])
"""

import os
import re

import numpy as np
import tensorflow as tf

from . import pipeline

__all__ = ["load_text", "python_docs_text", "sentences", "build_vocabulary", "encode_text",
           "split_text", "char_dataset"]


def python_docs_text():
    """CPython's own documentation topics (``pydoc_data.topics``), joined in key order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip("\n") for key in sorted(topics)) + "\n"


_TEXTS = {"python_docs": python_docs_text}


def load_text(name_or_path, split=None, holdout=0.1, encoding="utf-8"):
    """Returns a text corpus as a str: a catalog name (``"python_docs"``) or a file path.

    Args:
      name_or_path: ``list_datasets("text")`` or a UTF-8 text file.
      split: None for the whole text, ``"train"`` or ``"test"`` for
        :func:`split_text` (the last ``holdout`` fraction is the test split).

    Raises:
      ValueError: neither a known corpus nor a readable file, or an empty text.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"Expected a corpus name or a file path; got {type(name_or_path).__name__}.")
    key = os.fspath(name_or_path)
    if key in _TEXTS:
        text = _TEXTS[key]()
    elif os.path.isfile(key):
        with open(key, encoding=encoding) as f:
            text = f.read()
    else:
        raise ValueError(f"{key!r} is neither a text corpus ({', '.join(sorted(_TEXTS))}) nor "
                         "an existing text file.")
    if not text:
        raise ValueError(f"The text {key!r} is empty.")
    if split is None:
        return text
    if split not in ("train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test'; got {split!r}.")
    return split_text(text, holdout)[0 if split == "train" else 1]


def sentences(text, min_chars=40, max_chars=110):
    """Plain English sentences of ``text`` (letters, spaces, commas; a final period).

    What the offline speech corpus speaks: code and symbols are left out.
    Duplicates are dropped; the order of first appearance is kept.
    """
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())):
            if (min_chars <= len(sentence) <= max_chars
                    and re.fullmatch(r"[A-Z][A-Za-z ,;'-]+[.]", sentence)):
                found.append(sentence)
    return list(dict.fromkeys(found))


def build_vocabulary(text):
    """The sorted distinct characters of ``text``, as one string."""
    if not isinstance(text, str) or not text:
        raise ValueError("build_vocabulary needs a non-empty str.")
    return "".join(sorted(set(text)))


def encode_text(text, vocabulary):
    """Maps each character to its index in ``vocabulary`` (int32 numpy).

    Raises:
      ValueError: characters missing from the vocabulary (named in the message).
    """
    if not isinstance(text, str):
        raise TypeError(f"Expected a str; got {type(text).__name__}.")
    index = {ch: i for i, ch in enumerate(vocabulary)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise ValueError(f"Characters not in the vocabulary: {''.join(missing)!r} "
                         f"(vocabulary has {len(vocabulary)} characters: {vocabulary!r}).")
    return np.fromiter((index[ch] for ch in text), np.int32, len(text))


def split_text(text, holdout=0.1):
    """``(train, test)``: the last ``holdout`` fraction of ``text`` is the test split."""
    if not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout must be in (0, 1); got {holdout!r}.")
    cut = int(round(len(text) * (1.0 - holdout)))
    return text[:cut], text[cut:]


def char_dataset(text, vocabulary, seq_length=100, batch_size=64, *, shuffle=True, seed=None,
                 drop_remainder=True, start_epoch=None):
    """Windows of ``seq_length + 1`` character ids as a batched ``tf.data.Dataset``.

    Consecutive windows overlap by one character (stride ``seq_length``), so every
    character but the first is a prediction target exactly once per epoch.

    ``start_epoch``: None (one epoch, reshuffled by tf.data at each iteration) or the
    first epoch of an endless stream whose epoch orders are functions of (seed, epoch)
    (see ``keras_gan_zoo.datasets.load``).

    Returns:
      A prefetched dataset of int32 ``(B, seq_length + 1)`` with ``num_windows`` and
      ``batches_per_epoch``.
    """
    if not isinstance(seq_length, (int, np.integer)) or seq_length < 1:
        raise ValueError(f"seq_length must be a positive int; got {seq_length!r}.")
    batch_size = pipeline.check_batch_size(batch_size)
    seed = pipeline.check_seed(seed)
    start_epoch = pipeline.check_start_epoch(start_epoch, seed)
    ids = encode_text(text, vocabulary)
    count = (len(ids) - 1) // seq_length
    if count < 1:
        raise ValueError(f"The text has {len(ids)} characters: too short for one window of "
                         f"{seq_length + 1}.")
    starts = np.arange(count) * seq_length
    windows = ids[starts[:, None] + np.arange(seq_length + 1)[None, :]]
    pipeline.check_not_empty(count, batch_size, drop_remainder,
                             f"text ({count} windows of {seq_length + 1} characters)")
    ds = tf.data.Dataset.from_tensor_slices(windows)
    ds = pipeline.shuffle_and_batch(
        ds, num_examples=count, example_bytes=1, batch_size=batch_size,  # buffer: all
        shuffle=shuffle, seed=seed, drop_remainder=drop_remainder, start_epoch=start_epoch)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.num_windows = count
    ds.batches_per_epoch = pipeline.batches_per_epoch(count, batch_size, drop_remainder)
    return ds
