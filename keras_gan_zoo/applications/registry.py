"""The registry of pretrained checkpoints: one JSON record per checkpoint, read on demand.

``weights/<name>.json`` sits beside the checkpoint's generator file and records:

- ``architecture``: the zoo model name (``kgz.create_model``) and ``config``, the
  model's ``get_config()``: ``load_generator`` builds ``cls.from_config(config)``;
- ``dataset`` the model was trained on, and a ``description``;
- ``files``: ``"generator"``, the generator's ``.weights.h5`` with float16 kernels
  (what ``load_generator`` loads; packaged with the wheel when ``packaged``), and
  ``"model"``, the full ``.keras`` checkpoint with the optimizer state (what
  ``load_model`` loads, served by the origin only), each with ``sha256`` and ``size``;
- ``metrics``: measured on the shipped generator file by
  :func:`keras_gan_zoo.applications.publish.measure` (FID / KID / IS / classes found, with
  the extractor and the numbers of generated and real images); for an autoregressive
  model, its test NLL; for a next-frame model (``video_gan``), PSNR / SSIM / sharpness at
  every future step beside its baselines', headed by ``psnr_step1`` and ``mean_psnr``
  (:func:`keras_gan_zoo.applications.publish.measure_next_frame`);
- ``training``: epochs, steps, batch, precision, time, what stopped it and the best epoch;
- ``recipe``: the command that produced the checkpoint; ``card``: its model page, whose
  *Training record* holds the run's curve and provenance.

The numbers use the zoo's domain-classifier features, not Inception: they compare
checkpoints of this zoo with each other, not with published FIDs. The records are written
by ``applications/publish_run.py`` (:func:`keras_gan_zoo.applications.publish.write_entry`).
"""

import collections.abc
import copy
import difflib
import fnmatch
import functools
import json
import os

__all__ = ["PRETRAINED", "RECORDS_DIR", "clear_cache", "get_entry", "list_pretrained",
           "read_record", "record_path", "validate_entry"]

#: The folder of the records (and of the packaged generator files).
RECORDS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
#: Keys every record has.
REQUIRED_KEYS = ("architecture", "card", "config", "dataset", "description", "files",
                 "metrics", "recipe", "training")
#: The files of a checkpoint, and what the registry records of each.
FILE_KINDS = ("generator", "model")
FILE_KEYS = ("file", "packaged", "sha256", "size")
_SUFFIX = ".json"


def validate_entry(entry, where):
    """Raises a ValueError naming `where` unless `entry` has every key of a record."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: a pretrained record is a JSON object; got "
                         f"{type(entry).__name__}.")
    missing = [key for key in REQUIRED_KEYS if key not in entry]
    if missing:
        raise ValueError(f"{where}: a pretrained record needs the keys {missing} "
                         f"(expected {list(REQUIRED_KEYS)}; it has {sorted(entry)}).")
    files = entry["files"]
    for kind in FILE_KINDS:
        spec = files.get(kind) if isinstance(files, dict) else None
        lacking = list(FILE_KEYS) if not isinstance(spec, dict) else [
            key for key in FILE_KEYS if key not in spec]
        if lacking:
            raise ValueError(f"{where}: files[{kind!r}] needs the keys {lacking} "
                             f"(expected {list(FILE_KEYS)} for each of {list(FILE_KINDS)}).")


def record_path(name, directory=None):
    """The path of record `name` in `directory` (default :data:`RECORDS_DIR`)."""
    return os.path.join(directory or RECORDS_DIR, name + _SUFFIX)


def read_record(path):
    """The validated record stored at `path` (not cached).

    Raises:
        ValueError: the file is not JSON or lacks a key; the message names the file.
    """
    with open(path, encoding="utf-8") as f:
        try:
            entry = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not a JSON pretrained record ({error}).") from None
    validate_entry(entry, path)
    return entry


@functools.lru_cache(maxsize=None)
def _names(directory):
    return tuple(sorted(file[:-len(_SUFFIX)] for file in os.listdir(directory)
                        if file.endswith(_SUFFIX)))


@functools.lru_cache(maxsize=None)
def _record(path):
    return read_record(path)


def clear_cache():
    """Forgets the names and records read so far (after writing a record in this process)."""
    _names.cache_clear()
    _record.cache_clear()


def list_pretrained(pattern="*"):
    """Names of the pretrained checkpoints matching a shell-style `pattern`.

    Example:
        >>> list_pretrained("*fashion_mnist")
        ['acgan_fashion_mnist', 'autoencoder_fashion_mnist', 'cgan_fashion_mnist', ...]
    """
    return [name for name in _names(RECORDS_DIR) if fnmatch.fnmatch(name, pattern)]


def get_entry(name):
    """A deep copy of the record `name` (plus its ``"name"``).

    Raises:
        ValueError: an unknown name (the message lists the known ones), or a damaged
            record (the message names its file).
    """
    known = _names(RECORDS_DIR)
    if not isinstance(name, str) or name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown pretrained model {name!r}.{hint} "
                         f"Known pretrained models: {', '.join(known)}.")
    return {"name": name, **copy.deepcopy(_record(record_path(name)))}


class _Records(collections.abc.Mapping):
    """Read-only ``{name: record}`` view of the registry; records are read when asked."""

    def __getitem__(self, name):
        if name not in self:
            raise KeyError(name)
        return copy.deepcopy(_record(record_path(name)))

    def __contains__(self, name):
        return name in _names(RECORDS_DIR)

    def __iter__(self):
        return iter(_names(RECORDS_DIR))

    def __len__(self):
        return len(_names(RECORDS_DIR))

    def __repr__(self):
        return f"<pretrained records in {RECORDS_DIR}: {', '.join(self)}>"


#: Every record by name, read-only (``dict(PRETRAINED)`` reads them all).
PRETRAINED = _Records()
