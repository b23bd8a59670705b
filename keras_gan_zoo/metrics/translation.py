"""Measuring image-to-image translators against real images and the obvious baselines.

What the translation checkpoints' cards report (issue 15), computed on arrays so that
a translator, a baseline and a plain copy of the input are measured the same way:

- :func:`translation_scores`: FID of translated images against real images of the
  target domain in the features of a domain classifier (the code of
  :mod:`keras_gan_zoo.metrics.evaluate`: ``compute_statistics`` +
  ``fid_from_statistics``), the share of translated images the classifier assigns to a
  target class (two-domain models: sneaker -> ankle boot), the share assigned to the
  same class as their ground truth (paired data), and L1 / PSNR / SSIM against the
  ground truth where one exists (:func:`pixel_scores`: ``tf.image.psnr`` /
  ``tf.image.ssim`` with ``max_val=2``, SSIM on the images shifted to [0, 2]);
- the baselines: :func:`identity` (output = input; pix2pix, CycleGAN, DiscoGAN) and
  :func:`bicubic_upsample` (super-resolution), or any other translator (SRGAN's
  SRResNet) through :func:`evaluate_translator`'s ``baselines``;
- :func:`translation_test_data`: a translation dataset's split as arrays, in file order;
- :func:`translation_grid`: a PNG of example rows, input | output | target (| ...).

Example:
    >>> from keras_gan_zoo.metrics import translation
    >>> model = kgz.applications.load_generator("pix2pix_fashion_mnist_edges")
    >>> translation.evaluate_translator(model, "fashion_mnist_edges")
    {'fid': ..., 'extractor': 'fashion_mnist', 'directions': {'a_to_b': {'model': {...},
     'identity': {...}}}, ...}
"""

import numpy as np
import tensorflow as tf

from keras_gan_zoo.metrics import statistics as S
from keras_gan_zoo.metrics.evaluate import compute_statistics
from keras_gan_zoo.metrics.extractors import resolve_extractor

__all__ = [
    "TARGET_CLASSES",
    "TranslationReference",
    "bicubic_upsample",
    "evaluate_translator",
    "identity",
    "pixel_scores",
    "translation_grid",
    "translation_scores",
    "translation_test_data",
]

#: The classifier class of each domain of the zoo's two-domain datasets (Fashion-MNIST
#: sneaker 7, ankle boot 9): what a translation into that domain should be classified as.
TARGET_CLASSES = {"fashion_mnist_sneaker_boot": {"a": 7, "b": 9}}

#: The extractor (domain classifier) each translation dataset is measured with.
DATASET_EXTRACTORS = {"fashion_mnist_edges": "fashion_mnist",
                      "fashion_mnist_sneaker_boot": "fashion_mnist",
                      "fashion_mnist_sr": "fashion_mnist"}

_ROUND = 4


def _as_images(images, what):
    array = np.asarray(images.numpy() if isinstance(images, tf.Tensor) else images,
                       dtype="float32")
    if array.ndim != 4:
        raise ValueError(f"{what} must be a batch (N, H, W, C); got shape {array.shape}.")
    if len(array) == 0:
        raise ValueError(f"{what} is empty.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} has non-finite values.")
    return array


def identity(images):
    """The identity baseline: the output is the input (a copy, float32)."""
    return np.array(images, dtype="float32", copy=True)


def bicubic_upsample(images, size):
    """The bicubic baseline of super-resolution: ``tf.image.resize(images, size,
    "bicubic")`` clipped to [-1, 1] (bicubic overshoots at edges), float32 numpy.

    Args:
        images: (N, h, w, C) low-resolution images in [-1, 1].
        size: (H, W) of the output, or an int scale factor.
    """
    images = _as_images(images, "images")
    if isinstance(size, (int, np.integer)):
        size = (images.shape[1] * int(size), images.shape[2] * int(size))
    out = tf.image.resize(images, tuple(int(s) for s in size), method="bicubic")
    return np.clip(out.numpy(), -1.0, 1.0).astype("float32")


def pixel_scores(outputs, targets, batch_size=1000):
    """Mean L1, PSNR (dB) and SSIM of `outputs` against their ground truth `targets`.

    Images are in [-1, 1], so the dynamic range is 2: ``tf.image.psnr(.., max_val=2)``
    and ``tf.image.ssim(.., max_val=2)`` (its 11x11 Gaussian window, narrowed to the image
    for images smaller than 11x11), SSIM on the images shifted to [0, 2] (its luminance term is not
    shift-invariant and assumes non-negative intensities: this equals the usual SSIM of
    [0, 1] images). PSNR is averaged over images (each image's own MSE); an output
    identical to its target has PSNR ``inf``, so the mean is then ``inf``.

    Returns:
        ``{"l1", "psnr", "ssim"}`` as python floats.

    Raises:
        ValueError: the shapes differ.
    """
    outputs, targets = _as_images(outputs, "outputs"), _as_images(targets, "targets")
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets must have the same shape; got {outputs.shape} "
                         f"and {targets.shape}.")
    window = min(11, outputs.shape[1], outputs.shape[2])
    l1, psnr, ssim = [], [], []
    for start in range(0, len(outputs), batch_size):
        a = tf.constant(outputs[start:start + batch_size])
        b = tf.constant(targets[start:start + batch_size])
        l1.append(tf.reduce_mean(tf.abs(a - b), axis=[1, 2, 3]).numpy())
        psnr.append(tf.image.psnr(a, b, max_val=2.0).numpy())
        # SSIM's luminance term assumes non-negative intensities: on [-1, 1] images it
        # turns negative where the local means have opposite signs, so it is computed
        # on images + 1 in [0, 2] (the same as [0, 1] images with max_val 1).
        ssim.append(tf.image.ssim(a + 1.0, b + 1.0, max_val=2.0,
                                  filter_size=window).numpy())
    return {"l1": float(np.mean(np.concatenate(l1))),
            "psnr": float(np.mean(np.concatenate(psnr))),
            "ssim": float(np.mean(np.concatenate(ssim)))}


class TranslationReference:
    """The real images a translation is measured against, with their features computed
    once (a training monitor checks every epoch against the same reference).

    Args:
        real: real images of the target domain (N, H, W, C) in [-1, 1]: the FID's
            reference.
        extractor: a feature extractor or its name (``"fashion_mnist"``).
        targets: the ground truth of each translated image (paired data, SR), or None.
        target_class: the class a translation into this domain should be assigned, or
            None.
        batch_size: images per forward pass of the extractor.
    """

    def __init__(self, real, extractor="fashion_mnist", targets=None, target_class=None,
                 batch_size=256):
        self.extractor = resolve_extractor(extractor)
        self.real = _as_images(real, "real images")
        self.targets = None if targets is None else _as_images(targets, "targets")
        self.target_class = None if target_class is None else int(target_class)
        if self.target_class is not None and self.extractor.num_classes is None:
            raise ValueError("target_class needs an extractor with a classifier head; "
                             f"{self.extractor.name!r} has none.")
        self.batch_size = int(batch_size)
        self.real_statistics, real_logits = compute_statistics(
            self.real, self.extractor, None, batch_size=self.batch_size, keep_features=False)
        # the ground truth's classes, for the share of translations of the same class
        self.target_labels = None
        if self.targets is not None and self.extractor.num_classes is not None:
            if self.targets is self.real or np.array_equal(self.targets, self.real):
                logits = real_logits
            else:
                _, logits = compute_statistics(self.targets, self.extractor, None,
                                               batch_size=self.batch_size, keep_features=False)
            self.target_labels = np.argmax(logits, axis=-1)

    def scores(self, outputs, pixels=True):
        """:func:`translation_scores` of `outputs` against this reference."""
        outputs = _as_images(outputs, "outputs")
        stats, logits = compute_statistics(outputs, self.extractor, None,
                                           batch_size=self.batch_size, keep_features=False)
        result = {"fid": S.fid_from_statistics(stats, self.real_statistics),
                  "num_images": int(len(outputs)), "num_real": int(self.real_statistics.count)}
        if logits is not None:
            predicted = np.argmax(logits, axis=-1)
            if self.target_class is not None:
                result["target_class_share"] = float(np.mean(predicted == self.target_class))
            if self.target_labels is not None:
                if len(self.target_labels) != len(predicted):
                    raise ValueError(f"{len(predicted)} outputs for {len(self.target_labels)} "
                                     "ground-truth targets.")
                result["class_match"] = float(np.mean(predicted == self.target_labels))
        if pixels and self.targets is not None:
            result.update(pixel_scores(outputs, self.targets))
        return {key: (round(value, _ROUND) if isinstance(value, float) and np.isfinite(value)
                      else value) for key, value in result.items()}


def translation_scores(outputs, real, targets=None, target_class=None,
                       extractor="fashion_mnist", batch_size=256):
    """What a translation is measured by: FID against `real`, the share assigned to
    `target_class`, the share of the same class as `targets`, L1 / PSNR / SSIM to
    `targets`.

    Args:
        outputs: translated images (N, H, W, C) in [-1, 1].
        real: real images of the target domain: the FID's reference.
        targets: the ground truth of each output (paired / super-resolution data), or None.
        target_class: the classifier class of the target domain, or None.
        extractor: the domain classifier (or any extractor) of the features.
        batch_size: images per forward pass.

    Returns:
        ``{"fid", "num_images", "num_real"}`` plus ``"target_class_share"`` (with
        `target_class`), ``"class_match"`` and ``"l1"``, ``"psnr"``, ``"ssim"`` (with
        `targets`); floats rounded to 4 decimals (an infinite PSNR stays ``inf``).
    """
    reference = TranslationReference(real, extractor, targets, target_class, batch_size)
    return reference.scores(outputs)


def _collect(dataset, limit):
    sources, targets = [], []
    count = 0
    for source, target in dataset:
        sources.append(source.numpy())
        targets.append(target.numpy())
        count += len(sources[-1])
        if limit is not None and count >= limit:
            break
    sources, targets = np.concatenate(sources), np.concatenate(targets)
    return (sources, targets) if limit is None else (sources[:limit], targets[:limit])


def translation_test_data(dataset, split="test", num_images=None, scale=None):
    """A translation dataset's split as two arrays, in file order (not shuffled).

    Returns:
        ``(a, b)``: the ``(source, target)`` pairs of a paired dataset, ``(low, high)``
        of super-resolution, the images of domains a and b of an unpaired one (then
        `num_images` of each; the split's two domains are unaligned).
    """
    from keras_gan_zoo import datasets

    kwargs = {"scale": scale} if scale is not None else {}
    ds = datasets.load(dataset, split=split, batch_size=500, shuffle=False,
                       drop_remainder=False, **kwargs)
    if getattr(ds, "pairing", None) == "unpaired":
        # the shorter domain repeats within an epoch: keep each domain's own images
        n_a, n_b = ds.num_examples
        a, b = _collect(ds, None)
        a, b = a[:n_a], b[:n_b]
        if num_images is not None:
            a, b = a[:num_images], b[:num_images]
        return a, b
    return _collect(ds, num_images)


def _direction_plan(model, dataset, a, b):
    """``{direction: (sources, real, targets, target_class)}`` for a model and data."""
    classes = TARGET_CLASSES.get(dataset, {})
    unpaired = len(getattr(model, "directions", ("a_to_b",))) == 2 and dataset in TARGET_CLASSES
    if unpaired:
        return {"a_to_b": (a, b, None, classes.get("b")),
                "b_to_a": (b, a, None, classes.get("a"))}
    return {"a_to_b": (a, b, b, None)}


def _translate(model, images, direction, batch_size):
    if callable(model) and not hasattr(model, "translate"):
        return np.asarray(model(images), dtype="float32")
    if len(getattr(model, "directions", ("a_to_b",))) == 2:
        return model.translate(images, direction=direction, batch_size=batch_size)
    return model.translate(images, batch_size=batch_size)


def evaluate_translator(model, dataset, split="test", num_images=None, extractor=None,
                        baselines=None, batch_size=256, data=None, scale=None):
    """Measures a translator and its baselines on a translation dataset's split.

    Per direction (``a_to_b``; two-domain models also ``b_to_a``), each of the model
    and the baselines gets :func:`translation_scores` of its outputs: FID against the
    real images of the target domain (the paired targets / high-resolution images of
    the split, or the other domain's images), the share assigned to the target domain's
    class (:data:`TARGET_CLASSES`), the share of the same class as the ground truth and
    L1 / PSNR / SSIM (where there is a ground truth).

    Args:
        model: a translator (``translate``) or a callable ``images -> images``.
        dataset: ``"fashion_mnist_edges"``, ``"fashion_mnist_sneaker_boot"``,
            ``"fashion_mnist_sr"``, ...
        split: the split measured (all of it unless `num_images`).
        num_images: first N images (per domain for unpaired data), or None for all.
        extractor: default :data:`DATASET_EXTRACTORS` (the domain classifier).
        baselines: ``{name: fn}`` with ``fn(images, direction) -> images`` or a
            translator; default :func:`identity` for same-size translation and
            :func:`bicubic_upsample` for super-resolution.
        batch_size: images per forward pass.
        data: ``(a, b)`` arrays instead of loading the split
            (:func:`translation_test_data`).
        scale: the super-resolution factor (default: the model's ``scale``, or 4).

    Returns:
        ``{"fid": the model's (mean over directions), "extractor", "real", "num_images",
        "directions": {direction: {"model": scores, baseline: scores, ...}}}``.
    """
    extractor = extractor or DATASET_EXTRACTORS.get(dataset, "fashion_mnist")
    super_resolution = "_sr" in dataset or hasattr(model, "scale")
    if data is None:
        if super_resolution and scale is None:
            scale = getattr(model, "scale", 4)
        data = translation_test_data(dataset, split, num_images,
                                     scale=scale if super_resolution else None)
    a, b = data
    if baselines is None:
        if super_resolution:
            baselines = {"bicubic": lambda images, _: bicubic_upsample(images, b.shape[1:3])}
        else:
            baselines = {"identity": lambda images, _: identity(images)}
    result = {}
    for direction, (sources, real, targets, target_class) in _direction_plan(
            model, dataset, a, b).items():
        reference = TranslationReference(real, extractor, targets, target_class, batch_size)
        scores = {"model": reference.scores(_translate(model, sources, direction, batch_size))}
        for name, baseline in baselines.items():
            if hasattr(baseline, "translate"):
                outputs = _translate(baseline, sources, direction, batch_size)
            else:
                outputs = baseline(sources, direction)
            scores[name] = reference.scores(outputs)
        result[direction] = scores
    fids = [scores["model"]["fid"] for scores in result.values()]
    return {"fid": round(float(np.mean(fids)), _ROUND),
            "extractor": getattr(extractor, "name", None) or str(extractor),
            "real": f"{dataset}/{split}",
            "num_images": int(len(a)), "directions": result}


def translation_grid(columns, path, examples_per_row=4, padding=2):
    """Writes a PNG of example rows: for each example its images side by side (e.g.
    input | output | target), `examples_per_row` examples per grid row.

    Args:
        columns: a list of image batches (N, H, W, C) in [-1, 1], all with the same N,
            e.g. ``[inputs, outputs, targets]``; a batch of another size (an SR input)
            is resized to the largest (nearest neighbour) and grayscale is repeated to
            RGB when another column is RGB.
        path: the PNG to write.
        examples_per_row: examples per grid row.
        padding: pixels between tiles.

    Returns:
        The path (str).
    """
    from keras_gan_zoo.utils import save_grid

    if not columns:
        raise ValueError("translation_grid needs at least one column of images.")
    columns = [_as_images(column, f"column {i}") for i, column in enumerate(columns)]
    n = len(columns[0])
    if any(len(column) != n for column in columns):
        raise ValueError(f"Every column needs the same number of images; got "
                         f"{[len(c) for c in columns]}.")
    height = max(c.shape[1] for c in columns)
    width = max(c.shape[2] for c in columns)
    channels = max(c.shape[3] for c in columns)
    tiles = []
    for column in columns:
        if column.shape[1:3] != (height, width):
            column = tf.image.resize(column, (height, width), method="nearest").numpy()
        if column.shape[3] != channels:
            column = np.repeat(column, channels, axis=3)
        tiles.append(column)
    stacked = np.stack(tiles, axis=1).reshape(n * len(columns), height, width, channels)
    return save_grid(np.clip(stacked, -1.0, 1.0), path,
                     nrow=len(columns) * min(int(examples_per_row), n), padding=padding)
