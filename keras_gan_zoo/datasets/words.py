"""Sentences as words: tokenization, word vocabularies, padded id batches.

The word-level counterpart of :mod:`keras_gan_zoo.datasets.text` (characters), for
sentence models such as ``sentence_vae``. A corpus is a list of sentences (one per
line of a file, or the generated ``"verse"`` corpus); each sentence is tokenized the
same way everywhere (:func:`tokenize`: lower case, words and punctuation marks), and
encoded as ``<bos> w_1 ... w_n <eos>`` padded with ``<pad>`` (id 0).

Vocabularies are lists of tokens that start with the four special tokens
``<pad>, <unk>, <bos>, <eos>`` (ids 0..3), then the words of the training split seen
at least ``min_count`` times, most frequent first. Words are mapped to ids with a Keras
``StringLookup``; a word outside the vocabulary becomes ``<unk>`` and is counted (or
raises, with ``unknown="error"``): never silently.

Example:
  >>> train = load_sentences("verse", "train")          # list of str
  >>> vocabulary = build_word_vocabulary(train, min_count=2)
  >>> ds = sentence_dataset(train, vocabulary, batch_size=32, seed=0)
  >>> next(iter(ds)).shape                               # (32, longest + 2) int32
  TensorShape([32, 13])
  >>> mine = text_lines("my_sentences.txt", split="train")
"""

import collections
import logging
import os
import re

import numpy as np
import tensorflow as tf

from . import pipeline

__all__ = ["PAD", "UNK", "BOS", "EOS", "SPECIAL_TOKENS", "PAD_ID", "UNK_ID", "BOS_ID",
           "EOS_ID", "UNKNOWN_POLICIES", "UnknownWordWarning", "tokenize", "detokenize",
           "build_word_vocabulary", "check_vocabulary", "encode_sentences", "decode_ids",
           "sentence_dataset", "text_lines", "load_sentences", "SENTENCE_SPLITS"]

logger = logging.getLogger(__name__)

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
#: what to do with a word outside the vocabulary: map it to <unk> and count it, or raise.
UNKNOWN_POLICIES = ("unk", "error")
SENTENCE_SPLITS = ("train", "validation", "test")

_TOKEN = re.compile(r"\w+(?:['\u2019-]\w+)*|[^\w\s]")
_BEFORE_PUNCTUATION = re.compile(r" ([,.;:!?])")


class UnknownWordWarning(UserWarning):
    """Words outside a model's vocabulary were replaced by ``<unk>``."""


def tokenize(sentence):
    """The tokens of a sentence: lower-case words (with inner ' or -) and punctuation marks.

    Example:
      >>> tokenize("The silver moon, rising!")
      ['the', 'silver', 'moon', ',', 'rising', '!']
    """
    if not isinstance(sentence, str):
        raise TypeError(f"Expected a sentence as a str; got {type(sentence).__name__}: "
                        f"{sentence!r}.")
    return _TOKEN.findall(sentence.lower())


def detokenize(tokens):
    """Joins tokens with spaces, none before ``, . ; : ! ?``."""
    return _BEFORE_PUNCTUATION.sub(r"\1", " ".join(tokens))


def _check_sentences(sentences, where):
    if isinstance(sentences, str):
        raise TypeError(f"{where}: expected a list of sentences (str); got one str. "
                        "Wrap it in a list.")
    sentences = list(sentences)
    if not sentences:
        raise ValueError(f"{where}: got no sentences.")
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise TypeError(f"{where}: sentence {i} is a {type(s).__name__}, not a str: {s!r}.")
    return sentences


def build_word_vocabulary(sentences, min_count=1, max_size=None):
    """The vocabulary of a training split: special tokens, then words by frequency.

    Args:
      sentences: list of str (the training split only, so held-out words stay unknown).
      min_count: keep words seen at least this many times (rarer ones become <unk>).
      max_size: None, or the largest vocabulary (special tokens included).

    Returns:
      A list of str: ``[<pad>, <unk>, <bos>, <eos>, most frequent word, ...]``, ties in
      alphabetical order (deterministic).
    """
    sentences = _check_sentences(sentences, "build_word_vocabulary")
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"min_count must be a positive int; got {min_count!r}.")
    if max_size is not None and (isinstance(max_size, bool) or not isinstance(
            max_size, (int, np.integer)) or max_size <= len(SPECIAL_TOKENS)):
        raise ValueError(f"max_size must be None or an int > {len(SPECIAL_TOKENS)}; got "
                         f"{max_size!r}.")
    counts = collections.Counter(t for s in sentences for t in tokenize(s))
    words = sorted((w for w, c in counts.items() if c >= min_count),
                   key=lambda w: (-counts[w], w))
    if max_size is not None:
        words = words[:max_size - len(SPECIAL_TOKENS)]
    if not words:
        raise ValueError(f"No word occurs at least min_count={min_count} times in the "
                         f"{len(sentences)} sentences.")
    return [*SPECIAL_TOKENS, *words]


def check_vocabulary(vocabulary):
    """A vocabulary as a list of str starting with the special tokens (prepended when
    none is present); ValueError for duplicates, misplaced special tokens or a vocabulary
    without words."""
    if isinstance(vocabulary, str) or not isinstance(vocabulary, (list, tuple)):
        raise TypeError(
            "vocabulary must be a list of str tokens, e.g. "
            "keras_gan_zoo.datasets.build_word_vocabulary(train_sentences); got "
            f"{type(vocabulary).__name__}.")
    vocabulary = list(vocabulary)
    if not all(isinstance(t, str) and t for t in vocabulary):
        raise ValueError("vocabulary must hold non-empty str tokens.")
    if not any(t in SPECIAL_TOKENS for t in vocabulary):
        vocabulary = [*SPECIAL_TOKENS, *vocabulary]
    if tuple(vocabulary[:len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS or any(
            t in SPECIAL_TOKENS for t in vocabulary[len(SPECIAL_TOKENS):]):
        raise ValueError(f"vocabulary must start with {list(SPECIAL_TOKENS)} (ids 0..3) and "
                         f"not repeat them; got {vocabulary[:6]}...")
    if len(set(vocabulary)) != len(vocabulary):
        repeated = sorted(t for t, c in collections.Counter(vocabulary).items() if c > 1)
        raise ValueError(f"vocabulary repeats tokens: {repeated[:10]}.")
    if len(vocabulary) == len(SPECIAL_TOKENS):
        raise ValueError("vocabulary has no words beside the special tokens.")
    return vocabulary


def encode_sentences(sentences, vocabulary, max_length=None, unknown="unk"):
    """Sentences as padded ids ``<bos> w_1 .. w_n <eos> <pad> ..`` (a Keras StringLookup).

    Args:
      sentences: list of str (each with at least one token).
      vocabulary: a list from :func:`build_word_vocabulary`.
      max_length: None pads to the longest sentence; an int is the largest number of
        tokens allowed (a longer sentence is a ValueError) and the padded width - 2.
      unknown: ``"unk"`` maps words outside the vocabulary to ``<unk>`` (counted in the
        returned Counter); ``"error"`` raises a ValueError naming them.

    Returns:
      ``(ids, unknown_words)``: int32 ``(n, width)`` and a ``collections.Counter`` of the
      words that became ``<unk>``.
    """
    import keras

    sentences = _check_sentences(sentences, "encode_sentences")
    vocabulary = check_vocabulary(vocabulary)
    if unknown not in UNKNOWN_POLICIES:
        raise ValueError(f"unknown must be one of {UNKNOWN_POLICIES}; got {unknown!r}.")
    tokens = [tokenize(s) for s in sentences]
    empty = [i for i, t in enumerate(tokens) if not t]
    if empty:
        raise ValueError(f"Sentences without any word: indices {empty[:10]} (e.g. "
                         f"{sentences[empty[0]]!r}).")
    longest = max(len(t) for t in tokens)
    if max_length is not None:
        if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)) \
                or max_length < 1:
            raise ValueError(f"max_length must be None or a positive int; got {max_length!r}.")
        if longest > max_length:
            raise ValueError(f"A sentence has {longest} tokens, more than max_length="
                             f"{max_length}.")
        longest = int(max_length)
    flat = [t for ts in tokens for t in ts]
    lookup = keras.layers.StringLookup(vocabulary=vocabulary, mask_token=PAD, oov_token=UNK,
                                       num_oov_indices=1)
    flat_ids = np.asarray(lookup(tf.constant(flat))).astype("int32")
    unknown_words = collections.Counter(
        t for t, i in zip(flat, flat_ids) if i == UNK_ID and t != UNK)
    if unknown_words and unknown == "error":
        words = ", ".join(repr(w) for w, _ in unknown_words.most_common(10))
        raise ValueError(f"{sum(unknown_words.values())} word(s) not in the vocabulary of "
                         f"{len(vocabulary)} tokens: {words}. Pass unknown='unk' to map them "
                         "to <unk>.")
    ids = np.full((len(tokens), longest + 2), PAD_ID, "int32")
    start = 0
    for row, ts in enumerate(tokens):
        ids[row, 0] = BOS_ID
        ids[row, 1:len(ts) + 1] = flat_ids[start:start + len(ts)]
        ids[row, len(ts) + 1] = EOS_ID
        start += len(ts)
    return ids, unknown_words


def decode_ids(ids, vocabulary):
    """Sentences (str) of rows of ids: the tokens up to the first ``<eos>``, without
    ``<pad>`` / ``<bos>``, joined by :func:`detokenize`."""
    vocabulary = np.asarray(vocabulary, dtype=object)
    ids = np.asarray(ids)
    if ids.ndim == 1:
        ids = ids[None]
    out = []
    for row in ids:
        words = []
        for i in row:
            i = int(i)
            if i == EOS_ID:
                break
            if i not in (PAD_ID, BOS_ID):
                words.append(vocabulary[i])
        out.append(detokenize(words))
    return out


def sentence_dataset(sentences, vocabulary, batch_size=64, *, max_length=None, shuffle=True,
                     seed=None, drop_remainder=False, start_epoch=None):
    """Sentences as a batched ``tf.data.Dataset`` of int32 ids ``(B, width)``.

    With ``start_epoch`` (and a ``seed``), the endless stream of epochs ``start_epoch,
    start_epoch + 1, ...``, each epoch's order a function of ``(seed, epoch)``, as
    :func:`keras_gan_zoo.datasets.load` gives it (train with
    ``steps_per_epoch=ds.batches_per_epoch``).

    Words outside the vocabulary become ``<unk>`` (their count is logged and kept as
    ``ds.unknown_words``); with ``max_length``, longer sentences are left out (counted in
    ``ds.num_skipped``, with a warning). Every batch is padded to the same width
    (``max_length + 2``, or the longest sentence + 2).

    Returns:
      A prefetched dataset with ``num_examples``, ``unknown_words``, ``num_skipped`` and
      ``batches_per_epoch``.
    """
    sentences = _check_sentences(sentences, "sentence_dataset")
    batch_size = pipeline.check_batch_size(batch_size)
    seed = pipeline.check_seed(seed)
    start_epoch = pipeline.check_start_epoch(start_epoch, seed)
    skipped = 0
    if max_length is not None:
        kept = [s for s in sentences if len(tokenize(s)) <= max_length]
        skipped = len(sentences) - len(kept)
        if skipped:
            logger.warning("sentence_dataset: left out %d of %d sentences longer than "
                           "max_length=%d tokens.", skipped, len(sentences), max_length)
        sentences = _check_sentences(kept, f"sentence_dataset (max_length={max_length})")
    ids, unknown_words = encode_sentences(sentences, vocabulary, max_length)
    if unknown_words:
        logger.info("sentence_dataset: %d tokens (%d distinct words) not in the vocabulary "
                    "mapped to <unk>.", sum(unknown_words.values()), len(unknown_words))
    pipeline.check_not_empty(len(ids), batch_size, drop_remainder,
                             f"sentences ({len(ids)})")
    ds = tf.data.Dataset.from_tensor_slices(ids)
    if start_epoch is not None:
        ds = pipeline.shuffle_and_batch(ds, num_examples=len(ids), example_bytes=ids[0].nbytes,
                                        batch_size=batch_size, shuffle=shuffle, seed=seed,
                                        drop_remainder=drop_remainder, start_epoch=start_epoch)
    else:
        if shuffle:
            ds = ds.shuffle(len(ids), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.num_examples, ds.unknown_words, ds.num_skipped = len(ids), unknown_words, skipped
    ds.batches_per_epoch = pipeline.batches_per_epoch(len(ids), batch_size, drop_remainder)
    return ds


def _split_rows(count, split, holdout, seed):
    """Indices of `split` in a seeded permutation of `count` lines: test and validation
    each a `holdout` fraction (at least one line), train the rest."""
    if not 0.0 < holdout < 0.5:
        raise ValueError(f"holdout must be in (0, 0.5); got {holdout!r}.")
    held = max(1, int(round(count * holdout)))
    if count < 2 * held + 1:
        raise ValueError(f"{count} sentences are too few for train / validation / test "
                         f"splits with holdout={holdout}.")
    order = np.random.default_rng(seed).permutation(count)
    parts = {"test": order[count - held:], "validation": order[count - 2 * held:count - held],
             "train": order[:count - 2 * held]}
    return np.sort(parts[split])


def text_lines(path, split=None, holdout=0.05, seed=0, encoding="utf-8"):
    """Your own sentences: one per line of a UTF-8 text file.

    Surrounding spaces are stripped and blank lines dropped; the lines are tokenized
    by the models as :func:`tokenize` does.

    Args:
      path: a text file.
      split: None for every line in file order; ``"train"``, ``"validation"`` or
        ``"test"`` for a seeded random split (test and validation each a ``holdout``
        fraction, at least one line; train the rest), returned in file order.
      holdout: fraction of lines in each of the validation and test splits.
      seed: seed of the split.

    Raises:
      ValueError: a missing file, a file without any non-blank line, an unknown split.

    Example:
      >>> train = text_lines("my_sentences.txt", split="train")
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"Expected a file path; got {type(path).__name__}.")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"No such text file: {path!r} (expected a file with one sentence "
                         "per line).")
    if split is not None and split not in SENTENCE_SPLITS:
        raise ValueError(f"split must be None or one of {SENTENCE_SPLITS}; got {split!r}.")
    try:
        with open(path, encoding=encoding) as f:
            lines = [line.strip() for line in f]
    except UnicodeDecodeError as error:
        raise ValueError(f"{path!r} is not valid {encoding} text: {error}.") from None
    lines = [line for line in lines if line]
    if not lines:
        raise ValueError(f"The text file {path!r} has no sentence (no non-blank line).")
    if split is None:
        return lines
    return [lines[i] for i in _split_rows(len(lines), split, holdout, seed)]


def load_sentences(name_or_path, split="train", **kwargs):
    """Sentences of a named corpus (``list_datasets("sentences")``: ``"verse"``) or a
    text file (:func:`text_lines`), as a list of str.

    Args:
      name_or_path: ``"verse"`` or a path to a file with one sentence per line.
      split: ``"train"``, ``"validation"``, ``"test"`` (None: a file's every line).
      **kwargs: passed to :func:`keras_gan_zoo.datasets.verse.verse_lines` (``seed``,
        ``num_lines``) or :func:`text_lines` (``holdout``, ``seed``, ``encoding``).
    """
    from . import verse

    if isinstance(name_or_path, str) and name_or_path in verse.CORPORA:
        return verse.CORPORA[name_or_path](split, **kwargs)
    if isinstance(name_or_path, (str, os.PathLike)) and os.path.isfile(name_or_path):
        return text_lines(name_or_path, split, **kwargs)
    raise ValueError(f"{name_or_path!r} is neither a sentence corpus "
                     f"({', '.join(sorted(verse.CORPORA))}) nor an existing text file.")
