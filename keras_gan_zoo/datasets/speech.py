"""Speech corpora for the audio models: espeak-ng offline, TFDS online.

``espeak_speech`` is real synthetic speech made on this machine: Debian's
``espeak-ng`` speaks plain English sentences taken from CPython's documentation
(:func:`keras_gan_zoo.datasets.text.sentences`) in four voices, the speakers of
global conditioning. Utterances are resampled from espeak's 22,050 Hz to the
requested rate (8 kHz by default) and cached as 16-bit PCM in one ``.npz`` file,
named by a hash of the sentences, voices, rate and espeak version. Every fifth
sentence is held out: the test split has the same voices saying other sentences.

``speech_commands`` and ``vctk`` are read from TensorFlow Datasets when they are
prepared on this machine (TFDS never downloads unless ``download=True``).
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from .audio import read_wav, resample
from .catalog import CATALOG
from .errors import DatasetUnavailableError

__all__ = ["ESPEAK_VOICES", "espeak_available", "espeak_corpus", "load_waveforms", "audio_names"]

# espeak-ng voice+variant: the four speakers of `espeak_speech` (label = index).
ESPEAK_VOICES = ("en-us", "en-us+f3", "en-gb+m3", "en-gb-scotland+f2")
ESPEAK_SENTENCES = 120  # the first 120 plain sentences of the Python docs
ESPEAK_RATE = 8000
CACHE_ENV = "KERAS_GAN_ZOO_CACHE"


def audio_names():
    return sorted(name for name, spec in CATALOG.items() if spec.kind == "audio")


def _cache_dir(cache_dir=None):
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENV) or os.path.join(
            os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"),
            "keras_gan_zoo")
    return os.path.abspath(os.path.expanduser(os.fspath(cache_dir)))


def espeak_available():
    """The path of the ``espeak-ng`` program, or None."""
    return shutil.which("espeak-ng")


def _espeak_version(program):
    done = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def espeak_corpus(sample_rate=ESPEAK_RATE, num_sentences=ESPEAK_SENTENCES, voices=ESPEAK_VOICES,
                  cache_dir=None, words_per_minute=160):
    """Builds (or reads from the cache) the espeak-ng speech corpus.

    Args:
      sample_rate: target rate in Hz (espeak speaks at 22,050 Hz; resampled).
      num_sentences: how many sentences of the Python docs to speak.
      voices: espeak-ng voices, one speaker each.
      cache_dir: cache directory (default ``$KERAS_GAN_ZOO_CACHE`` or
        ``~/.keras/keras_gan_zoo``).
      words_per_minute: espeak-ng's speed (``-s``).

    Returns:
      A dict of numpy arrays: ``audio`` (all utterances, int16, concatenated),
      ``offsets`` (start of each utterance, with the total length appended),
      ``speaker`` and ``sentence`` (int32 per utterance), plus ``sentences``,
      ``voices`` and ``sample_rate``.

    Raises:
      DatasetUnavailableError: espeak-ng is not installed.
    """
    from .text import python_docs_text, sentences as plain_sentences

    program = espeak_available()
    if program is None:
        raise DatasetUnavailableError(
            "Dataset 'espeak_speech' needs the espeak-ng program, which is not installed.\n"
            "To fix: apt-get install espeak-ng (Debian/Ubuntu), or use "
            "keras_gan_zoo.datasets.audio_folder(path) with your own WAV files.")
    texts = plain_sentences(python_docs_text())[:num_sentences]
    key = json.dumps([texts, list(voices), int(sample_rate), int(words_per_minute),
                      _espeak_version(program)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    directory = _cache_dir(cache_dir)
    path = os.path.join(directory, f"espeak_speech_{sample_rate}hz_{digest}.npz")
    if os.path.isfile(path):
        with np.load(path) as data:
            return {k: data[k] for k in data.files}

    pieces, speaker, sentence = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "utterance.wav")
        for s, text in enumerate(texts):
            for v, voice in enumerate(voices):
                subprocess.run([program, "-v", voice, "-s", str(words_per_minute), "-w", wav,
                                text], check=True, capture_output=True)
                audio, rate = read_wav(wav)
                audio = resample(audio, rate, sample_rate)
                pieces.append(np.round(np.clip(audio, -1, 1) * 32767).astype(np.int16))
                speaker.append(v)
                sentence.append(s)
    lengths = np.array([len(p) for p in pieces], np.int64)
    corpus = {
        "audio": np.concatenate(pieces), "offsets": np.concatenate([[0], np.cumsum(lengths)]),
        "speaker": np.array(speaker, np.int32), "sentence": np.array(sentence, np.int32),
        "sentences": np.array(texts), "voices": np.array(voices),
        "sample_rate": np.array(sample_rate),
    }
    from keras_gan_zoo.utils import atomic_output

    with atomic_output(path, suffix=".npz") as tmp_path:
        with open(tmp_path, "wb") as f:
            np.savez(f, **corpus)
    return corpus


def _espeak_waveforms(split, sample_rate, limit, cache_dir):
    corpus = espeak_corpus(sample_rate=sample_rate or ESPEAK_RATE, cache_dir=cache_dir)
    held_out = corpus["sentence"] % 5 == 4
    chosen = np.flatnonzero(held_out if split == "test" else ~held_out)
    if limit is not None:
        chosen = chosen[:limit]
    offsets, audio = corpus["offsets"], corpus["audio"]
    waveforms = [audio[offsets[i]:offsets[i + 1]].astype(np.float32) / 32768.0 for i in chosen]
    return waveforms, corpus["speaker"][chosen], int(corpus["sample_rate"])


def _tfds_waveforms(spec, split, sample_rate, limit, data_dir, download):
    from . import tfds_source

    builder, reason = tfds_source.find_prepared_builder(spec.tfds_name, data_dir, download)
    if builder is None:
        return None, reason
    import tensorflow_datasets as tfds

    split_arg = split if limit is None else f"{split}[:{limit}]"
    ds = builder.as_dataset(split=split_arg, shuffle_files=False)
    audio_key = "audio" if "audio" in builder.info.features else "speech"
    label_key = next((k for k in ("speaker", "label") if k in builder.info.features), None)
    rate = int(getattr(builder.info.features[audio_key], "sample_rate", None) or spec.sample_rate)
    scale = 32768.0 if builder.info.features[audio_key].dtype.is_integer else 1.0
    waveforms, labels = [], []
    for example in tfds.as_numpy(ds):
        audio = np.asarray(example[audio_key], np.float32).reshape(len(example[audio_key]), -1)
        audio = audio.mean(axis=1) / scale
        waveforms.append(audio if not sample_rate else resample(audio, rate, sample_rate))
        labels.append(int(example[label_key]) if label_key else 0)
    return (waveforms, np.array(labels, np.int32), int(sample_rate or rate)), None


def load_waveforms(spec, split, sample_rate=None, limit=None, source="auto", data_dir=None,
                   download=False, cache_dir=None):
    """Waveforms (list of float32), labels, sample rate and origin of an audio dataset."""
    if source not in ("auto", "tfds", "offline"):
        raise ValueError(f"source must be 'auto', 'tfds' or 'offline'; got {source!r}.")
    if sample_rate is not None and (not isinstance(sample_rate, (int, np.integer))
                                    or sample_rate < 1):
        raise ValueError(f"sample_rate must be None or a positive int; got {sample_rate!r}.")
    tried = []
    if spec.tfds_name and source in ("auto", "tfds"):
        found, reason = _tfds_waveforms(spec, split, sample_rate, limit, data_dir, download)
        if found is not None:
            return (*found, f"TFDS {spec.tfds_name}")
        tried.append(reason)
    if "espeak" in spec.offline and source in ("auto", "offline"):
        waveforms, labels, rate = _espeak_waveforms(split, sample_rate, limit, cache_dir)
        return waveforms, labels, rate, f"espeak-ng {', '.join(ESPEAK_VOICES)}"
    lines = [f"Dataset {spec.name!r} (split {split!r}) is not available on this machine "
             f"(source={source!r})."]
    if source == "offline" and not spec.offline:
        lines.append(f"{spec.name!r} has no offline source: it is read from TensorFlow "
                     "Datasets only.")
    lines += ["Tried:"] + [f"  - {r}" for r in tried] if tried else []
    lines.append("To fix, do one of:")
    if spec.tfds_name:
        lines.append(f"  - prepare it with TFDS on a machine with internet: python -c \"import "
                     f"tensorflow_datasets as tfds; tfds.builder('{spec.tfds_name}')."
                     f"download_and_prepare()\", then copy ~/tensorflow_datasets/"
                     f"{spec.tfds_name} here (or set TFDS_DATA_DIR, or pass data_dir=); with "
                     "internet on this machine, load_audio(..., download=True) does it")
    lines.append("  - use the offline corpus: load_audio('espeak_speech') (apt-get install "
                 "espeak-ng), or your own WAV files: audio_folder(path)")
    raise DatasetUnavailableError("\n".join(lines))
