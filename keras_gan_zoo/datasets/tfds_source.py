"""TensorFlow Datasets as a source: used only when the data is already prepared.

``tensorflow_datasets`` is imported lazily, and only when the TFDS data directory
has a folder for the dataset, so an offline machine never waits on a download or
a network lookup.
"""

import os

import tensorflow as tf

__all__ = ["data_dirs", "find_prepared_builder", "load_split"]


def data_dirs(data_dir=None):
    """TFDS data directory: ``data_dir``, else $TFDS_DATA_DIR, else ~/tensorflow_datasets."""
    if data_dir is not None:
        return [os.fspath(data_dir)]
    env = os.environ.get("TFDS_DATA_DIR")
    return [env] if env else [os.path.expanduser(os.path.join("~", "tensorflow_datasets"))]


def _has_folder(tfds_name, dirs):
    for d in dirs:
        if "://" in d:  # gs://, s3://: let TFDS look
            return True
        if os.path.isdir(os.path.join(d, tfds_name)):
            return True
    return False


def find_prepared_builder(tfds_name, data_dir=None, download=False):
    """Returns ``(builder, None)`` if ``tfds_name`` is prepared, else ``(None, reason)``.

    Never raises: any exception from TFDS becomes the reason. With ``download=True``
    the dataset is downloaded and prepared when it is missing (needs internet).
    """
    dirs = data_dirs(data_dir)
    if not download and not _has_folder(tfds_name, dirs):
        return None, f"TFDS: '{tfds_name}' is not prepared in {' or '.join(dirs)}"
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        return None, "TFDS: tensorflow-datasets is not installed (pip install tensorflow-datasets)"
    try:
        # The directory checked above is the one read (not TFDS's import-time default).
        builder = tfds.builder(tfds_name, data_dir=dirs[0])
        if not builder.is_prepared():
            if not download:
                return None, f"TFDS: '{tfds_name}' is not prepared in {builder.data_dir}"
            builder.download_and_prepare()
        return builder, None
    except Exception as exc:  # noqa: BLE001 -- any failure means "fall back"
        return None, f"TFDS: '{tfds_name}' could not be opened ({type(exc).__name__}: {exc})"


def load_split(builder, split, limit=None, shuffle=True, seed=None):
    """Reads a prepared split as ``(uint8 image, int32 label)`` examples.

    Returns:
      ``(dataset, num_examples)``. Datasets without a ``label`` feature get label 0.
    """
    import tensorflow_datasets as tfds

    total = builder.info.splits[split].num_examples
    split_arg = split if limit is None else f"{split}[:{limit}]"
    num_examples = total if limit is None else min(limit, total)
    read_config = tfds.ReadConfig(shuffle_seed=seed, try_autocache=False)
    ds = builder.as_dataset(split=split_arg, shuffle_files=shuffle, read_config=read_config)

    def to_pair(example):
        label = example["label"] if "label" in example else tf.constant(0)
        return example["image"], tf.cast(label, tf.int32)

    return ds.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE), num_examples
