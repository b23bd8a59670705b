"""Evaluate a generator: features of real and generated images -> FID, KID, IS, P/R, modes.

Example:
    >>> from keras_gan_zoo import metrics
    >>> real = metrics.real_statistics("fashion_mnist", "test", "fashion_mnist", 10000)
    >>> metrics.evaluate(model, real, metrics=("fid", "kid", "modes"))
    {'fid': ..., 'kid': ..., 'kid_std': ..., 'classes_found': ..., 'class_entropy': ...}
"""

import inspect

import numpy as np
import tensorflow as tf

from keras_gan_zoo.metrics import statistics as S
from keras_gan_zoo.metrics.extractors import _EXTRACTORS, CroppedExtractor
from keras_gan_zoo.metrics.extractors import resolve_extractor as _resolve_extractor

__all__ = [
    "default_extractor",
    "METRICS",
    "clear_caches",
    "compute_statistics",
    "evaluate",
    "real_statistics",
]

#: metric names accepted by :func:`evaluate` and the keys each one adds to the result.
METRICS = {
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "is": ("is", "is_std"),
    "pr": ("precision", "recall"),
    "modes": ("classes_found", "class_entropy"),
}

_REAL_CACHE = {}  # (dataset, split, extractor key, num_samples, seed, batch) -> FeatureStatistics


#: datasets for which the zoo ships a domain classifier (offline feature extractor).
DOMAIN_EXTRACTORS = ("fashion_mnist", "mnist")


def default_extractor(dataset):
    """The extractor a dataset is measured with by default: its shipped domain
    classifier when there is one (works offline), else ImageNet InceptionV3.

    A padded dataset (one with a :func:`keras_gan_zoo.datasets.content_box`, such as
    ``"fashion_mnist_32"``: Fashion-MNIST padded 28 -> 32) is measured on its content:
    the default extractor of its base dataset on the unpadded box of every image
    (a :class:`CroppedExtractor`, one per dataset and process). Every measurement that
    names a dataset (``MetricMonitor``, ``kgz.applications.measure``, ``evaluate`` and
    ``real_statistics`` with a dataset name, ``keras-gan-zoo evaluate``, the recipes)
    takes its extractor from here, so a model trained on the padded images is compared,
    crop for crop, with the base dataset's images.

    Example:
        >>> default_extractor("fashion_mnist")
        'fashion_mnist'
        >>> str(default_extractor("fashion_mnist_32"))
        'fashion_mnist, center 28x28 of 32x32'
    """
    from keras_gan_zoo import datasets

    try:
        info = datasets.info(dataset)
    except (ValueError, TypeError):  # not a zoo dataset name
        info = None
    box = info and info["content_box"]
    base = info["base"] if box else dataset
    name = base if base in DOMAIN_EXTRACTORS else "inception_v3"
    if not box:
        return name
    key = ("content", info["name"])
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = CroppedExtractor(name, box, info["image_shape"][:2])
    return _EXTRACTORS[key]


def clear_caches():
    """Forgets the cached extractors and real statistics of this process."""
    _EXTRACTORS.clear()
    _REAL_CACHE.clear()


def _batch_seed(seed, index):
    """Seed of batch `index`: deterministic for an int seed, fresh entropy for None."""
    entropy = None if seed is None else [int(seed), int(index)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def _accepts_batch_size(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "batch_size" or p.kind == p.VAR_KEYWORD for p in params)


def _images_of(element):
    if isinstance(element, dict):
        if "images" not in element:
            raise ValueError(
                f"Dataset elements are dicts without an 'images' key (keys: {sorted(element)})."
            )
        return element["images"]
    if isinstance(element, (tuple, list)):
        return element[0]
    return element


def _sampled_batches(fn, num_samples, batch_size, seed, pass_batch_size):
    for index, start in enumerate(range(0, num_samples, batch_size)):
        n = min(batch_size, num_samples - start)
        kwargs = dict(batch_size=n) if pass_batch_size else {}
        images = fn(n, seed=_batch_seed(seed, index), **kwargs)
        if int(np.shape(images)[0]) != n:
            raise ValueError(f"The source returned {np.shape(images)[0]} images; asked for {n}.")
        yield images


def _dataset_batches(dataset, num_samples, batch_size):
    if isinstance(dataset, tf.data.Dataset):
        spec = _images_of(dataset.element_spec)
        if getattr(spec, "shape", None) is not None and spec.shape.rank == 3:
            dataset = dataset.batch(batch_size)  # unbatched images
    seen = 0
    for element in dataset:
        images = _images_of(element)
        if num_samples is not None:
            images = images[: num_samples - seen]
        seen += int(images.shape[0])
        yield images
        if num_samples is not None and seen >= num_samples:
            return
    if num_samples is not None and seen < num_samples:
        raise ValueError(
            f"The dataset ran out after {seen} images; num_samples={num_samples} were "
            "requested. Pass a smaller num_samples or a larger (or repeated) dataset."
        )
    if seen == 0:
        raise ValueError("The dataset is empty.")


def _array_batches(images, num_samples, batch_size):
    total = int(images.shape[0])
    if num_samples is None:
        num_samples = total
    if total < num_samples:
        raise ValueError(
            f"The image array has {total} images; num_samples={num_samples} were requested."
        )
    for start in range(0, num_samples, batch_size):
        yield images[start:min(num_samples, start + batch_size)]


def compute_statistics(source, extractor, num_samples, batch_size=256, seed=0,
                       keep_features=True):
    """Feature statistics (and logits) of images from a model, dataset, array or function.

    Images are processed batch by batch, never all at once.

    Args:
        source: a model with ``generate(n, seed=...)`` (called once per batch, with
            per-batch seeds derived from ``seed``); a ``tf.data.Dataset`` (or other
            iterable) of image batches, ``(images, labels)`` or dicts with ``"images"``
            (unbatched image datasets are batched); a numpy array / tensor of images
            (B, H, W, C); or a callable ``fn(n, seed) -> images``.
        extractor: a :class:`FeatureExtractor` or a name for :func:`get_extractor`.
        num_samples: number of images. None means "all" for datasets and arrays.
        batch_size: images per batch (for models, callables and arrays).
        seed: seed for models and callables (the same seed gives the same images).
        keep_features: keep the features (KID and precision/recall need them).

    Returns:
        ``(FeatureStatistics, logits)``: logits is an (N, K) float32 array, or None
        when the extractor has no classifier head.

    Raises:
        ValueError: the dataset or array has fewer than ``num_samples`` images.

    Example:
        >>> stats, logits = compute_statistics(model, "fashion_mnist", 10000)
    """
    extractor = _resolve_extractor(extractor)
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive; got {batch_size}.")
    if num_samples is not None:
        num_samples = int(num_samples)
        if num_samples < 1:
            raise ValueError(f"num_samples must be positive; got {num_samples}.")

    if hasattr(source, "generate") and callable(source.generate):
        if num_samples is None:
            raise ValueError("num_samples is required to sample from a model.")
        batches = _sampled_batches(source.generate, num_samples, batch_size, seed,
                                   _accepts_batch_size(source.generate))
    elif isinstance(source, (np.ndarray, tf.Tensor)):
        batches = _array_batches(source, num_samples, batch_size)
    elif isinstance(source, tf.data.Dataset):
        batches = _dataset_batches(source, num_samples, batch_size)
    elif callable(source):
        if num_samples is None:
            raise ValueError("num_samples is required to sample from a function.")
        batches = _sampled_batches(source, num_samples, batch_size, seed, False)
    elif hasattr(source, "__iter__") and not isinstance(source, (str, bytes)):
        batches = _dataset_batches(source, num_samples, batch_size)
    else:
        raise ValueError(
            "source must be a model with generate(), a tf.data.Dataset, an array of images "
            f"or a callable fn(n, seed); got {type(source).__name__}."
        )

    stats = S.FeatureStatistics(keep_features=keep_features)
    logits = []
    for images in batches:
        features, batch_logits = extractor(images)
        stats.update(features)
        if batch_logits is not None:
            logits.append(batch_logits)
    return stats, (np.concatenate(logits, axis=0) if logits else None)


def real_statistics(dataset_name, split="train", extractor=None, num_samples=10000,
                    seed=0, batch_size=256):
    """Feature statistics of a zoo dataset, cached in-process.

    Loads ``kgz.datasets.load(dataset_name, split=..., seed=seed, shuffle=True)``
    (so ``num_samples`` smaller than the split is a seeded random subset) and keeps
    the result keyed by the arguments (and the extractor object), so a monitor that
    evaluates every epoch computes the real features once.

    Args:
        dataset_name: a name of ``kgz.datasets.list_datasets()``.
        split: dataset split.
        extractor: a :class:`FeatureExtractor` or a name (default:
            :func:`default_extractor` of the dataset, which measures a padded dataset on
            its content).
        num_samples: number of real images (None: the whole split).
        seed: shuffle seed of the subset.
        batch_size: images per batch.

    Returns:
        A :class:`FeatureStatistics` with the features kept.

    Example:
        >>> real = real_statistics("fashion_mnist", "test", "fashion_mnist", 10000)
    """
    from keras_gan_zoo import datasets

    ext = _resolve_extractor(extractor or default_extractor(dataset_name))
    key = (dataset_name, split, ext, num_samples, seed, int(batch_size))
    if key not in _REAL_CACHE:
        dataset = datasets.load(dataset_name, split=split, batch_size=int(batch_size),
                                shuffle=True, seed=seed, drop_remainder=False)
        stats, _ = compute_statistics(dataset, ext, num_samples, batch_size=batch_size,
                                      seed=seed, keep_features=True)
        _REAL_CACHE[key] = stats
    return _REAL_CACHE[key]


def _check_metrics(metrics):
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = tuple(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(
            f"Unknown metric(s) {unknown}; valid metrics: {', '.join(METRICS)}."
            if unknown else f"No metrics requested; valid metrics: {', '.join(METRICS)}."
        )
    return metrics


def evaluate(model, real=None, metrics=("fid", "kid"), extractor=None,
             num_samples=10000, batch_size=256, seed=0, kid_subsets=100,
             kid_subset_size=1000, pr_k=3, real_split="train", is_splits=10,
             min_class_fraction=0.01):
    """Sample-quality metrics of a generator against real images.

    Args:
        model: a model with ``generate(n, seed=...)``, or any source of
            :func:`compute_statistics` (array, dataset, callable ``fn(n, seed)``).
        real: real images (a dataset / array / callable as in
            :func:`compute_statistics`), a precomputed :class:`FeatureStatistics`
            (e.g. from :func:`real_statistics`), or a zoo dataset name (then
            :func:`real_statistics` of ``real_split`` is used, cached). Not needed
            for "is" and "modes" alone.
        metrics: names among ``"fid"``, ``"kid"``, ``"is"``, ``"pr"``, ``"modes"``.
        extractor: a :class:`FeatureExtractor` or a name (``"inception_v3"``,
            ``"mnist"``, ``"fashion_mnist"``). Use the same one for real and fake.
            Default: :func:`default_extractor` of ``real`` when it is a dataset name
            (a padded dataset is measured on its content), else ``"fashion_mnist"``.
        num_samples: generated images (and real images unless ``real`` is statistics).
        batch_size: images per batch.
        seed: sampling seed (deterministic for an int).
        kid_subsets, kid_subset_size: KID subsets (see :func:`kernel_distance`).
        pr_k: k of precision/recall.
        real_split: split when ``real`` is a dataset name.
        is_splits: splits of the Inception Score (capped at num_samples).
        min_class_fraction: share of samples a class needs to count as found.

    Returns:
        A dict of python numbers with the keys of the requested metrics:
        fid -> ``fid``; kid -> ``kid``, ``kid_std``; is -> ``is``, ``is_std``;
        pr -> ``precision``, ``recall``; modes -> ``classes_found`` (int),
        ``class_entropy`` (nats, of the fake samples' predicted classes).

    Example:
        >>> evaluate(model, real_images, metrics=("fid", "kid"), num_samples=5000)

    Reference:
        FID arXiv:1706.08500, KID arXiv:1801.01401, IS arXiv:1606.03498,
        precision/recall arXiv:1904.06991.
    """
    metrics = _check_metrics(metrics)
    if extractor is None:
        extractor = default_extractor(real) if isinstance(real, str) else "fashion_mnist"
    ext = _resolve_extractor(extractor)
    needs_real = any(m in ("fid", "kid", "pr") for m in metrics)
    needs_features = any(m in ("kid", "pr") for m in metrics)
    needs_logits = any(m in ("is", "modes") for m in metrics)
    if needs_logits and ext.num_classes is None:
        raise ValueError(
            f"Metrics 'is' and 'modes' need an extractor with a classifier head; "
            f"{ext.name!r} has none."
        )

    real_stats = None
    if needs_real:
        if real is None:
            raise ValueError(f"Metrics {metrics} need real images (`real`).")
        if isinstance(real, S.FeatureStatistics):
            real_stats = real
        elif isinstance(real, str):
            real_stats = real_statistics(real, real_split, ext, num_samples, seed, batch_size)
        elif hasattr(real, "generate"):
            raise ValueError("`real` must be real images or statistics, not a model.")
        else:
            real_stats, _ = compute_statistics(real, ext, num_samples, batch_size=batch_size,
                                               seed=seed, keep_features=needs_features)
        if needs_features and not real_stats.keep_features:
            raise ValueError("KID and precision/recall need real statistics with "
                             "keep_features=True.")

    fake_stats, fake_logits = compute_statistics(model, ext, num_samples, batch_size=batch_size,
                                                 seed=seed, keep_features=needs_features)
    if real_stats is not None and real_stats.dim != fake_stats.dim:
        raise ValueError(
            f"Real features have dimension {real_stats.dim}, generated ones {fake_stats.dim}: "
            "the real statistics come from a different extractor."
        )

    results = {}
    if "fid" in metrics:
        results["fid"] = S.fid_from_statistics(real_stats, fake_stats)
    if "kid" in metrics:
        results["kid"], results["kid_std"] = S.kernel_distance(
            real_stats.features(), fake_stats.features(), num_subsets=kid_subsets,
            subset_size=kid_subset_size, seed=seed if seed is not None else 0)
    if "is" in metrics:
        splits = max(1, min(int(is_splits), fake_logits.shape[0]))
        results["is"], results["is_std"] = S.inception_score(fake_logits, splits=splits,
                                                             from_logits=True)
    if "pr" in metrics:
        results.update(S.precision_recall(real_stats.features(), fake_stats.features(), k=pr_k))
    if "modes" in metrics:
        dist = S.class_distribution(fake_logits, ext.num_classes, min_fraction=min_class_fraction)
        results["classes_found"] = dist["num_classes_found"]
        results["class_entropy"] = dist["entropy"]
    return results
