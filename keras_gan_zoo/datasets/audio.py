"""Audio as ``tf.data``: WAV files, resampling, fixed-length segments, named corpora.

``load_audio(name)`` reads a named audio dataset (the offline ``espeak_speech``
corpus, or a TFDS dataset already prepared on this machine); ``audio_folder(path)``
reads your own WAV files. Both yield float32 waveform segments in [-1, 1] of shape
``(batch, segment_length)``, with int32 speaker/class labels when asked for.

Example:
  >>> ds = load_audio("espeak_speech", batch_size=8, segment_length=4096,
  ...                 sample_rate=8000, with_labels=True, seed=0)   # doctest: +SKIP
  >>> audio, speakers = next(iter(ds))          # (8, 4096) float32, (8,) int32
  >>> ds = audio_folder("recordings/", sample_rate=16000, segment_length=16000)  # doctest: +SKIP
  >>> write_wav("out.wav", audio[0].numpy(), 8000)                  # doctest: +SKIP
"""

import os
import wave

import numpy as np
import tensorflow as tf

from . import pipeline

__all__ = ["AUDIO_EXTENSIONS", "read_wav", "write_wav", "resample", "segments_dataset",
           "audio_folder", "load_audio"]

AUDIO_EXTENSIONS = (".wav",)


# ----------------------------------------------------------------- WAV files
def read_wav(path):
    """Reads a PCM WAV file (8/16/24/32-bit) as mono float32 in [-1, 1].

    Returns:
      ``(audio, sample_rate)``: a 1-D float32 array (channels averaged) and an int.

    Raises:
      ValueError: not a PCM WAV file (the message names the file).
    """
    path = os.fspath(path)
    try:
        with wave.open(path, "rb") as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path!r} is not a PCM WAV file readable by Python's wave "
                         f"module: {exc}") from exc
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        data = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8) / 8388608.0
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.float64) / 2147483648.0
    else:
        raise ValueError(f"{path!r}: unsupported sample width of {width} bytes.")
    data = np.asarray(data, np.float32).reshape(-1, channels).mean(axis=1)
    return data.astype(np.float32), int(rate)


def write_wav(path, audio, sample_rate):
    """Writes mono audio in [-1, 1] as a 16-bit PCM WAV file (atomically).

    Args:
      path: destination file.
      audio: 1-D float array in [-1, 1] (values outside are clipped).
      sample_rate: samples per second (int).

    Returns:
      ``path`` as a str.
    """
    from keras_gan_zoo.utils import atomic_output

    audio = np.asarray(audio, np.float64)
    if audio.ndim != 1 or audio.size == 0:
        raise ValueError(f"write_wav expects one non-empty waveform of shape (time,); got "
                         f"shape {audio.shape}.")
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate < 1:
        raise ValueError(f"sample_rate must be a positive int; got {sample_rate!r}.")
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    path = os.fspath(path)
    with atomic_output(path, suffix=".wav") as tmp:
        with wave.open(tmp, "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(int(sample_rate))
            f.writeframes(pcm.tobytes())
    return path


def resample(audio, orig_rate, new_rate, taps=16):
    """Band-limited resampling: polyphase Kaiser-windowed sinc, ``taps`` zero crossings a side.

    The low-pass cut-off is the lower of the two Nyquist frequencies, so
    downsampling does not alias. Rates are ints; the ``up/down`` phases of their
    ratio are tabulated once.
    """
    audio = np.asarray(audio, np.float32)
    orig_rate, new_rate = int(orig_rate), int(new_rate)
    if orig_rate == new_rate:
        return audio
    g = np.gcd(orig_rate, new_rate)
    up, down = new_rate // g, orig_rate // g
    cutoff = min(1.0, up / down)  # in units of the input's Nyquist frequency
    half = int(np.ceil(taps / cutoff))
    offsets = np.arange(-half, half + 1)
    dist = (np.arange(up) / up)[:, None] - offsets[None, :]  # (phase, tap)
    beta = 8.6
    window = np.i0(beta * np.sqrt(np.clip(1.0 - (dist / (half + 1)) ** 2, 0.0, 1.0))) / np.i0(beta)
    table = (cutoff * np.sinc(dist * cutoff) * window).astype(np.float32)
    n_out = len(audio) * up // down
    padded = np.pad(audio, (half, half + 1))
    out = np.empty(n_out, np.float32)
    for start in range(0, n_out, 16384):
        n = np.arange(start, min(n_out, start + 16384), dtype=np.int64)
        base, phase = (n * down) // up, (n * down) % up
        idx = base[:, None] + offsets[None, :] + half
        out[start:start + len(n)] = np.einsum("nk,nk->n", padded[idx], table[phase])
    return out


# ------------------------------------------------------------------ segments
def _check_segment_length(segment_length):
    if not isinstance(segment_length, (int, np.integer)) or isinstance(segment_length, bool) \
            or segment_length < 2:
        raise ValueError(f"segment_length must be an int >= 2; got {segment_length!r}.")
    return int(segment_length)


def segments_dataset(waveforms, labels, segment_length, batch_size, *, shuffle=True,
                     seed=None, drop_remainder=True, with_labels=False, what="audio",
                     start_epoch=None):
    """Cuts waveforms into non-overlapping segments and batches them.

    Each waveform gives ``len // segment_length`` segments (the tail is dropped;
    a waveform shorter than one segment gives none).

    ``start_epoch``: None (one epoch, reshuffled by tf.data at each iteration) or the
    first epoch of an endless stream whose epoch orders are functions of (seed, epoch)
    (see ``keras_gan_zoo.datasets.load``).

    Returns:
      A prefetched ``tf.data.Dataset`` of float32 ``(B, segment_length)`` (or
      ``(audio, int32 labels)``) with ``num_segments`` and ``batches_per_epoch``.
    """
    segment_length = _check_segment_length(segment_length)
    batch_size = pipeline.check_batch_size(batch_size)
    seed = pipeline.check_seed(seed)
    start_epoch = pipeline.check_start_epoch(start_epoch, seed)
    pieces, piece_labels = [], []
    for audio, label in zip(waveforms, labels):
        count = len(audio) // segment_length
        if count:
            pieces.append(np.asarray(audio[:count * segment_length], np.float32)
                          .reshape(count, segment_length))
            piece_labels.append(np.full(count, label, np.int32))
    if not pieces:
        raise ValueError(f"{what}: no waveform is as long as segment_length={segment_length} "
                         "samples; pass a smaller segment_length.")
    segments = np.concatenate(pieces)
    segment_labels = np.concatenate(piece_labels)
    pipeline.check_not_empty(len(segments), batch_size, drop_remainder,
                             f"{what} ({len(segments)} segments of {segment_length})")
    ds = tf.data.Dataset.from_tensor_slices(
        (segments, segment_labels) if with_labels else segments)
    ds = pipeline.shuffle_and_batch(
        ds, num_examples=len(segments), example_bytes=1,  # buffer: all segments
        batch_size=batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder,
        start_epoch=start_epoch)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.num_segments = len(segments)
    ds.batches_per_epoch = pipeline.batches_per_epoch(len(segments), batch_size,
                                                      drop_remainder)
    return ds


def find_wavs(root):
    """Sorted paths of the WAV files under ``root`` (recursive; hidden entries skipped)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(os.path.join(dirpath, name) for name in filenames
                     if not name.startswith(".") and name.lower().endswith(AUDIO_EXTENSIONS))
    return sorted(found)


def audio_folder(path, sample_rate=None, segment_length=4096, batch_size=16, *,
                 with_labels=False, shuffle=True, seed=None, drop_remainder=True):
    """Loads a folder of WAV files (searched recursively) as float32 segments in [-1, 1].

    Args:
      path: folder with ``.wav`` files (PCM, any channels: averaged to mono).
      sample_rate: resample every file to this rate; None keeps the files' rate,
        which must then be the same for all.
      segment_length: samples per training example (see :func:`segments_dataset`).
      batch_size, shuffle, seed, drop_remainder: as in :func:`load`.
      with_labels: yield ``(audio, labels)``: a file's class (speaker) is the name
        of its first-level subfolder, classes numbered alphabetically.

    Returns:
      A ``tf.data.Dataset`` with ``class_names``, ``file_paths``, ``sample_rate``.
    """
    root = os.fspath(path)
    if not os.path.isdir(root):
        raise ValueError(f"Audio folder {root!r} does not exist or is not a directory; "
                         "expected a folder of .wav files (searched recursively).")
    files = find_wavs(root)
    if not files:
        raise ValueError(f"No .wav files found in folder {root!r} (searched recursively).")
    class_names, labels = None, np.zeros(len(files), np.int32)
    if with_labels:
        rel = [os.path.relpath(f, root).split(os.sep) for f in files]
        loose = [p[0] for p in rel if len(p) == 1]
        if loose:
            raise ValueError(
                f"with_labels=True takes the class of each file from its subfolder of {root!r}, "
                f"but {len(loose)} file(s) lie directly in it (e.g. {loose[:3]}).")
        class_names = tuple(sorted({p[0] for p in rel}))
        labels = np.array([class_names.index(p[0]) for p in rel], np.int32)
    waveforms, rates = [], set()
    for file in files:
        audio, rate = read_wav(file)
        rates.add(rate)
        waveforms.append(audio if sample_rate is None else resample(audio, rate, sample_rate))
    if sample_rate is None and len(rates) > 1:
        raise ValueError(f"Audio folder {root!r} mixes sample rates {sorted(rates)}; pass "
                         "sample_rate= to resample them to one.")
    ds = segments_dataset(waveforms, labels, segment_length, batch_size, shuffle=shuffle,
                          seed=seed, drop_remainder=drop_remainder, with_labels=with_labels,
                          what=f"Audio folder {root!r}")
    ds.class_names, ds.file_paths = class_names, tuple(files)
    ds.sample_rate = int(sample_rate or rates.pop())
    ds.source = f"audio folder {root}"
    return ds


# -------------------------------------------------------------- named corpora
def load_audio(name, split="train", batch_size=16, *, segment_length=4096, sample_rate=None,
               with_labels=False, shuffle=True, seed=None, drop_remainder=True, limit=None,
               source="auto", data_dir=None, download=False, cache_dir=None, start_epoch=None):
    """Loads a named audio dataset as float32 segments in [-1, 1].

    Sources: ``espeak_speech`` is built offline by espeak-ng speaking English
    sentences in several voices (cached after the first call); ``speech_commands``
    and ``vctk`` come from TFDS when prepared on this machine (``download=True``
    lets TFDS fetch them, which needs internet).

    Args:
      name: ``list_datasets("audio")``.
      split: a split of the dataset (``info(name)["splits"]``).
      batch_size, segment_length, shuffle, seed, drop_remainder: see
        :func:`segments_dataset`.
      sample_rate: resample to this rate (default: the dataset's own rate,
        8 kHz for ``espeak_speech``).
      with_labels: yield ``(audio, labels)`` with speaker/class ids.
      limit: use only the first ``limit`` utterances of the split.
      source: ``"auto"``, ``"tfds"`` or ``"offline"``.
      data_dir, download: TFDS data directory; let TFDS download.
      cache_dir: where the espeak corpus is cached (default
        ``$KERAS_GAN_ZOO_CACHE`` or ``~/.keras/keras_gan_zoo``).
      start_epoch: see :func:`keras_gan_zoo.datasets.load`.

    Returns:
      A ``tf.data.Dataset`` with ``sample_rate``, ``class_names`` and ``source``.

    Raises:
      DatasetUnavailableError: no source has it here; the message says what to do.
    """
    from . import speech
    from .catalog import get_spec

    spec = get_spec(name)
    if spec.kind != "audio":
        raise ValueError(f"{spec.name!r} is an {spec.kind} dataset; load_audio takes one of "
                         f"{', '.join(speech.audio_names())}.")
    if split not in spec.splits:
        raise ValueError(f"Unknown split {split!r} for dataset {spec.name!r}; valid splits: "
                         f"{', '.join(repr(s) for s in spec.splits)}.")
    limit = pipeline.check_limit(limit)
    waveforms, labels, rate, origin = speech.load_waveforms(
        spec, split, sample_rate=sample_rate, limit=limit, source=source, data_dir=data_dir,
        download=download, cache_dir=cache_dir)
    ds = segments_dataset(waveforms, labels, segment_length, batch_size, shuffle=shuffle,
                          seed=seed, drop_remainder=drop_remainder, with_labels=with_labels,
                          what=f"{spec.name} {split!r}", start_epoch=start_epoch)
    ds.sample_rate, ds.class_names, ds.source = rate, spec.class_names, origin
    return ds
