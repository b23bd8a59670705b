"""Captioned images for text-to-image models (GAN-CLS, Reed et al. 2016, arXiv:1605.05396).

``load("fashion_mnist_captions")`` yields ``(images, captions)``: Fashion-MNIST images
in [-1, 1] with one of five template captions per image, drawn at random each epoch
(deterministic for a ``seed`` and TF's global seed, which ``keras.utils.set_random_seed``
sets, as for every seeded TF op). The captions name the class and attributes read from
the pixels with simple image statistics (:func:`image_statistics`):

- brightness, the mean intensity of the article's pixels: dark / medium / light
  (written "dark", "grey", "light");
- size, the fraction of the frame the article covers: small / medium / large
  (written "small", "medium-sized", "large");
- a style per class: the sleeves of tops, the height of footwear, the handle of bags.

Brightness and size are split at the tertiles of each class's training images, so
"a large sandal" is large for a sandal and each value is common in every class.
Fashion-MNIST stores the articles bright on black (its intensities are negated
photographs); "light" describes the image as stored, the one a model generates.

:func:`caption_folder` reads your own pairs of image and ``.txt`` caption files.
:func:`caption_vocabulary` lists every word the templates can write, and
:func:`check_caption` rejects a caption with any other word, naming it.

Example:
  >>> from keras_gan_zoo.datasets import load
  >>> ds = load("fashion_mnist_captions", batch_size=64, seed=0)
  >>> images, captions = next(iter(ds))   # (64, 28, 28, 1) float32, (64,) tf.string
  >>> captions[0].numpy()
  b'a large bag'
"""

import dataclasses
import difflib
import functools
import logging
import os

import numpy as np
import tensorflow as tf

from . import pipeline
from .catalog import get_spec
from .folder import decode_image_file, list_image_files

__all__ = [
    "CLASS_CAPTION_NAMES",
    "NUM_CAPTIONS",
    "INK_LEVEL",
    "BRIGHTNESS_VALUES",
    "SIZE_VALUES",
    "STYLE_VALUES",
    "BRIGHTNESS_THRESHOLDS",
    "SIZE_THRESHOLDS",
    "FOOTWEAR_HEIGHT_QUANTILES",
    "FOOTWEAR_HEIGHT_THRESHOLDS",
    "SHORT_SLEEVE_RATIO",
    "SLEEVELESS_ASPECT",
    "HANDLE_FRACTION",
    "CaptionedImages",
    "STATISTICS",
    "image_statistics",
    "fit_thresholds",
    "image_attributes",
    "template_captions",
    "image_captions",
    "caption_vocabulary",
    "check_caption",
    "caption_arrays",
    "caption_folder",
    "load_captions",
]

logger = logging.getLogger(__name__)
AUTOTUNE = tf.data.AUTOTUNE

# The Fashion-MNIST classes as the captions write them (labels 0..9).
CLASS_CAPTION_NAMES = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)
T_SHIRT, TROUSER, PULLOVER, DRESS, COAT, SANDAL, SHIRT, SNEAKER, BAG, ANKLE_BOOT = range(10)
NUM_CAPTIONS = 5

# A pixel belongs to the article when its intensity in [0, 1] is at least this.
INK_LEVEL = 0.1

BRIGHTNESS_VALUES = ("dark", "medium", "light")
SIZE_VALUES = ("small", "medium", "large")
# How a value is written in a caption ("a medium medium pullover" would not read).
_BRIGHTNESS_WORDS = {"dark": "dark", "medium": "grey", "light": "light"}
_SIZE_WORDS = {"small": "small", "medium": "medium-sized", "large": "large"}

# The style of each class, in caption words; trousers and dresses have none (see
# docs/datasets.md: no measure separated their styles robustly).
STYLE_VALUES = {
    T_SHIRT: ("sleeveless", "short-sleeved", "long-sleeved"),
    PULLOVER: ("short-sleeved", "long-sleeved"),
    COAT: ("short-sleeved", "long-sleeved"),
    SHIRT: ("sleeveless", "short-sleeved", "long-sleeved"),
    SANDAL: ("flat", "high-heeled"),
    SNEAKER: ("low-top", "high-top"),
    ANKLE_BOOT: ("short", "tall"),
    BAG: ("without a handle", "with a handle"),
}
# Styles written after the class name ("a bag with a handle"); the others come before it.
_STYLES_AFTER_NAME = frozenset({BAG})

# Per class: (lower, upper) tertiles of the training images' brightness and coverage,
# as fit_thresholds() computes them on the 60,000 Fashion-MNIST training images.
# value < lower: dark / small; lower <= value < upper: medium; value >= upper: light / large.
BRIGHTNESS_THRESHOLDS = {
    T_SHIRT: (0.5226, 0.7259), TROUSER: (0.6312, 0.7515), PULLOVER: (0.5267, 0.742),
    DRESS: (0.5978, 0.761), COAT: (0.6555, 0.7704), SANDAL: (0.4714, 0.5692),
    SHIRT: (0.4623, 0.6886), SNEAKER: (0.5344, 0.6335), BAG: (0.6261, 0.7294),
    ANKLE_BOOT: (0.6578, 0.7384),
}
SIZE_THRESHOLDS = {
    T_SHIRT: (0.5166, 0.5663), TROUSER: (0.3048, 0.3329), PULLOVER: (0.5765, 0.6429),
    DRESS: (0.3533, 0.426), COAT: (0.5434, 0.602), SANDAL: (0.2066, 0.2844),
    SHIRT: (0.5497, 0.6224), SNEAKER: (0.2615, 0.3048), BAG: (0.4872, 0.5816),
    ANKLE_BOOT: (0.3992, 0.4656),
}

# Footwear height (bounding-box height / width), split at these quantiles of each
# class's training images: half the sandals are high-heeled, half the ankle boots
# tall, and a quarter of the sneakers high-top (where high tops start to show).
FOOTWEAR_HEIGHT_QUANTILES = {SANDAL: 0.5, SNEAKER: 0.75, ANKLE_BOOT: 0.5}
FOOTWEAR_HEIGHT_THRESHOLDS = {SANDAL: 0.5357, SNEAKER: 0.5357, ANKLE_BOOT: 0.75}

# Fixed thresholds, at the valley of each measure's training histogram (bimodal, unlike
# brightness and size, so a valley separates the styles better than a quantile):
# Tops: the median width of the rows at 60-90 % of the garment's height over the widest
# row of its upper third. Short sleeves stick out above a narrower torso (0.55-0.75);
# long sleeves hang beside the torso down to the hem (1.0-1.15); the T-shirt/top
# histogram is low from 0.8 to 1.0 (where tank tops and 3/4 sleeves lie).
SHORT_SLEEVE_RATIO = 0.8
# T-shirt/top and Shirt without short sleeves: that hem width over the garment's height.
# Tank tops and sleeveless blouses are narrow (0.45-0.64), long-sleeved tops wide
# (0.68-1.0): below 0.65 is sleeveless. Pullovers and coats are never called
# sleeveless: their narrow ones are long coats and slim pullovers, with sleeves.
SLEEVELESS_ASPECT = 0.65
# Bags: the rows above the body (the first row with at least half the ink of the
# fullest row) as a fraction of the bag's height. Handles and straps make 0.1-0.5, bags
# without them 0-0.1.
HANDLE_FRACTION = 0.1

# The measurements of image_statistics, in its order.
STATISTICS = ("brightness", "coverage", "sleeve_ratio", "hem_aspect", "height_ratio",
              "handle_fraction")
_STATISTICS_CHUNK = 8192  # images measured at once (bounds the memory of the float copies)


# ---------------------------------------------------------------------------
# image statistics -> attributes


def _intensities(images):
    """Images as float32 ``(N, H, W)`` intensities in [0, 1]: uint8 0..255, or float in
    [-1, 1] (the datasets' range); one channel (``(N, H, W)`` or ``(N, H, W, 1)``)."""
    array = np.asarray(images)
    if array.ndim == 4:
        if array.shape[-1] != 1:
            raise ValueError(
                f"images must have one channel, shape (N, H, W) or (N, H, W, 1); got shape "
                f"{array.shape}.")
        array = array[..., 0]
    if array.ndim != 3:
        raise ValueError(
            f"images must have shape (N, H, W) or (N, H, W, 1); got shape {array.shape}.")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"images must be uint8 (0..255) or float in [-1, 1]; got dtype "
                        f"{array.dtype}.")
    if not np.isfinite(array).all():
        raise ValueError("float images must be finite values in [-1, 1]; got NaN or inf.")
    if array.size and (array.min() < -1.0 - 1e-6 or array.max() > 1.0 + 1e-6):
        raise ValueError(f"float images must lie in [-1, 1]; got values in "
                         f"[{array.min():.3g}, {array.max():.3g}].")
    return (array.astype(np.float32) + 1.0) / 2.0


def _masked_median(values, mask):
    """Row-wise median of ``values`` where ``mask`` (0 for rows with an empty mask)."""
    count = mask.sum(1)
    ordered = np.sort(np.where(mask, values, np.inf), axis=1)
    rows = np.arange(len(values))
    low = ordered[rows, np.maximum(count - 1, 0) // 2]
    high = ordered[rows, np.minimum(count // 2, values.shape[1] - 1)]
    median = (low + high) / 2.0  # the middle value for an odd count, else the middle two
    return np.where(count > 0, median, 0.0)


def _statistics_chunk(x):
    n, height, width = x.shape
    ink = x >= INK_LEVEL
    ink_pixels = ink.sum((1, 2))
    has_ink = ink_pixels > 0
    coverage = ink_pixels / float(height * width)
    brightness = np.where(has_ink, (x * ink).sum((1, 2)) / np.maximum(ink_pixels, 1), 0.0)

    row_has_ink, column_has_ink = ink.any(2), ink.any(1)
    top = row_has_ink.argmax(1)
    box_height = np.where(has_ink, height - row_has_ink[:, ::-1].argmax(1) - top, 0)
    left = column_has_ink.argmax(1)
    box_width = np.where(has_ink, width - column_has_ink[:, ::-1].argmax(1) - left, 0)

    # Width of each row: from its first to its last article pixel.
    first, last = ink.argmax(2), width - 1 - ink[:, :, ::-1].argmax(2)
    row_width = np.where(row_has_ink, last - first + 1, 0)
    # Position of each row in the bounding box, 0 at its top, 1 below its bottom.
    position = (np.arange(height)[None, :] - top[:, None]) / np.maximum(box_height, 1)[:, None]
    upper_third = (position >= 0) & (position < 1 / 3)
    hem_band = (position >= 0.6) & (position < 0.9)
    shoulder_width = np.where(upper_third, row_width, 0).max(1)
    hem_width = _masked_median(row_width, hem_band)

    row_ink = ink.sum(2)
    body_rows = row_ink >= 0.5 * np.maximum(row_ink.max(1, keepdims=True), 1)
    first_body_row = body_rows.argmax(1)
    safe_height = np.maximum(box_height, 1)
    return {
        "brightness": brightness,
        "coverage": coverage,
        "sleeve_ratio": hem_width / np.maximum(shoulder_width, 1),
        "hem_aspect": hem_width / safe_height,
        "height_ratio": box_height / np.maximum(box_width, 1),
        "handle_fraction": np.where(has_ink, (first_body_row - top) / safe_height, 0.0),
    }


def image_statistics(images):
    """The measurements the caption attributes are read from (vectorised numpy).

    A pixel is part of the article when its intensity in [0, 1] is at least
    ``INK_LEVEL`` (0.1); the bounding box is that of the article's pixels.

    Args:
      images: ``(N, H, W)`` or ``(N, H, W, 1)``, uint8 0..255 or float in [-1, 1].

    Returns:
      A dict of float64 ``(N,)`` arrays:
      ``brightness``: mean intensity (in [0, 1]) of the article's pixels;
      ``coverage``: fraction of the frame's pixels that belong to the article;
      ``sleeve_ratio``: median row width at 60-90 % of the box height over the widest
      row of its upper third; ``hem_aspect``: that median width over the box height;
      ``height_ratio``: box height over box width; ``handle_fraction``: rows above the
      first row holding at least half the ink of the fullest row, over the box height.
      An empty (all background) image gets zeros.

    Example:
      >>> stats = image_statistics(np.ones((1, 28, 28), np.float32))
      >>> float(stats["coverage"][0]), float(stats["brightness"][0])
      (1.0, 1.0)
    """
    x = _intensities(images)
    parts = [_statistics_chunk(x[i:i + _STATISTICS_CHUNK])
             for i in range(0, len(x), _STATISTICS_CHUNK)]
    return {key: np.concatenate([np.zeros(0)] + [p[key] for p in parts]).astype(np.float64)
            for key in STATISTICS}


def _check_labels(labels, n):
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {n} integer class labels, shape ({n},); got "
                         f"{labels.dtype} of shape {labels.shape}.")
    if n and (labels.min() < 0 or labels.max() >= len(CLASS_CAPTION_NAMES)):
        raise ValueError(f"labels must be Fashion-MNIST classes 0..9; got values in "
                         f"[{labels.min()}, {labels.max()}].")
    return labels.astype(np.int64)


def fit_thresholds(images, labels):
    """The quantile thresholds of the attributes, computed on ``images``.

    On the 60,000 Fashion-MNIST training images this gives the module's constants
    ``BRIGHTNESS_THRESHOLDS``, ``SIZE_THRESHOLDS`` (per class, the 1/3 and 2/3
    quantiles) and ``FOOTWEAR_HEIGHT_THRESHOLDS`` (``FOOTWEAR_HEIGHT_QUANTILES``),
    rounded to 4 decimals; the tests check that they match.

    Args:
      images: Fashion-MNIST-like images, as for :func:`image_statistics`.
      labels: their int class labels 0..9; every class must be present.

    Returns:
      ``{"brightness": {class: (lower, upper)}, "size": {...}, "footwear_height":
      {class: threshold}}``.
    """
    stats = image_statistics(images)
    labels = _check_labels(labels, len(stats["coverage"]))
    fitted = {"brightness": {}, "size": {}, "footwear_height": {}}
    for label in range(len(CLASS_CAPTION_NAMES)):
        in_class = labels == label
        if not in_class.any():
            raise ValueError(f"fit_thresholds needs images of every class; class {label} "
                             f"({CLASS_CAPTION_NAMES[label]}) has none.")
        for key, stat in (("brightness", "brightness"), ("size", "coverage")):
            lower, upper = np.quantile(stats[stat][in_class], [1 / 3, 2 / 3])
            fitted[key][label] = (round(float(lower), 4), round(float(upper), 4))
        if label in FOOTWEAR_HEIGHT_QUANTILES:
            value = np.quantile(stats["height_ratio"][in_class], FOOTWEAR_HEIGHT_QUANTILES[label])
            fitted["footwear_height"][label] = round(float(value), 4)
    return fitted


def _tertile_codes(values, labels, thresholds):
    """0 / 1 / 2: below the class's lower threshold / between / at or above the upper."""
    table = np.array([thresholds[c] for c in range(len(CLASS_CAPTION_NAMES))])
    return (values >= table[labels, 0]).astype(np.int64) + (values >= table[labels, 1])


def _style_codes(stats, labels):
    """Index of each image's style in ``STYLE_VALUES[label]`` (0 for trouser and dress)."""
    codes = np.zeros(len(labels), np.int64)
    long_sleeved, short_sleeved, sleeveless = "long-sleeved", "short-sleeved", "sleeveless"
    short = stats["sleeve_ratio"] < SHORT_SLEEVE_RATIO
    narrow = stats["hem_aspect"] < SLEEVELESS_ASPECT
    for label in (T_SHIRT, SHIRT, PULLOVER, COAT):
        values = STYLE_VALUES[label]
        in_class = labels == label
        codes[in_class] = values.index(long_sleeved)
        if sleeveless in values:
            codes[in_class & narrow] = values.index(sleeveless)
        codes[in_class & short] = values.index(short_sleeved)
    for label, threshold in FOOTWEAR_HEIGHT_THRESHOLDS.items():
        in_class = labels == label
        codes[in_class] = stats["height_ratio"][in_class] >= threshold  # (low, high)
    in_bag = labels == BAG
    codes[in_bag] = stats["handle_fraction"][in_bag] >= HANDLE_FRACTION  # (without, with)
    return codes


def _attribute_codes(images, labels):
    """``(labels, brightness codes, size codes, style codes)`` as int64 arrays."""
    stats = image_statistics(images)
    labels = _check_labels(labels, len(stats["coverage"]))
    return (labels, _tertile_codes(stats["brightness"], labels, BRIGHTNESS_THRESHOLDS),
            _tertile_codes(stats["coverage"], labels, SIZE_THRESHOLDS),
            _style_codes(stats, labels))


def _attributes_from_codes(labels, brightness, size, style):
    styles = np.full(len(labels), "", dtype=object)
    for label, values in STYLE_VALUES.items():
        in_class = labels == label
        styles[in_class] = np.array(values, dtype=object)[style[in_class]]
    return {"brightness": np.array(BRIGHTNESS_VALUES, dtype=object)[brightness],
            "size": np.array(SIZE_VALUES, dtype=object)[size], "style": styles}


def image_attributes(images, labels):
    """Reads brightness, size and style from Fashion-MNIST-like images.

    Rules (thresholds are the module constants; see docs/datasets.md):

    - ``brightness``: "dark" / "medium" / "light" by the class's tertiles of the mean
      intensity of the article's pixels;
    - ``size``: "small" / "medium" / "large" by the class's tertiles of the covered
      fraction of the frame;
    - ``style``: T-shirt/top and Shirt: "short-sleeved" if ``sleeve_ratio <
      SHORT_SLEEVE_RATIO``, else "sleeveless" if ``hem_aspect < SLEEVELESS_ASPECT``, else
      "long-sleeved"; Pullover, Coat: "short-sleeved" / "long-sleeved" by the sleeve
      ratio alone; Sandal "flat" / "high-heeled", Sneaker "low-top" / "high-top", Ankle
      boot "short" / "tall": ``height_ratio`` below / at or above the class's threshold;
      Bag: "with a handle" if ``handle_fraction >= HANDLE_FRACTION``, else "without a
      handle"; Trouser and Dress: "" (none).

    The thresholds were fit on 28x28 images; the frame of other sizes is measured the
    same way, relative to the image.

    Args:
      images: ``(N, H, W[, 1])`` uint8 or float in [-1, 1].
      labels: ``(N,)`` int Fashion-MNIST classes.

    Returns:
      A dict ``{"brightness", "size", "style"}`` of ``(N,)`` object arrays of str.

    Example:
      >>> bright_full_frame = np.ones((1, 28, 28, 1), np.float32)
      >>> attributes = image_attributes(bright_full_frame, [2])
      >>> attributes["size"][0], attributes["brightness"][0]
      ('large', 'light')
    """
    return _attributes_from_codes(*_attribute_codes(images, labels))


# ---------------------------------------------------------------------------
# captions and their vocabulary


def _class_index(class_name):
    if isinstance(class_name, (int, np.integer)) and not isinstance(class_name, bool):
        if 0 <= class_name < len(CLASS_CAPTION_NAMES):
            return int(class_name)
    elif isinstance(class_name, str) and class_name in CLASS_CAPTION_NAMES:
        return CLASS_CAPTION_NAMES.index(class_name)
    raise ValueError(f"class_name must be one of {', '.join(map(repr, CLASS_CAPTION_NAMES))} "
                     f"or a label 0..9; got {class_name!r}.")


def _with_article(phrase):
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def template_captions(class_name, brightness, size, style=""):
    """The five captions of an article with these attributes, in a fixed order.

    1. the class name alone ("ankle boot");
    2. brightness: "a dark ankle boot";
    3. size: "a large ankle boot";
    4. style ("a tall ankle boot", "a bag with a handle"); for trousers and dresses,
       which have no style, size and brightness ("a small grey dress");
    5. everything: "a large dark tall ankle boot"; for trousers and dresses "a dress
       that is small and grey".

    Args:
      class_name: one of ``CLASS_CAPTION_NAMES`` or a label 0..9.
      brightness: one of ``BRIGHTNESS_VALUES``; size: one of ``SIZE_VALUES``.
      style: one of ``STYLE_VALUES[label]``, or "" for trouser and dress.

    Returns:
      A tuple of ``NUM_CAPTIONS`` lower-case str.

    Example:
      >>> template_captions("pullover", "dark", "large", "long-sleeved")[4]
      'a large dark long-sleeved pullover'
    """
    label = _class_index(class_name)
    name = CLASS_CAPTION_NAMES[label]
    if brightness not in BRIGHTNESS_VALUES:
        raise ValueError(f"brightness must be one of {BRIGHTNESS_VALUES}; got {brightness!r}.")
    if size not in SIZE_VALUES:
        raise ValueError(f"size must be one of {SIZE_VALUES}; got {size!r}.")
    styles = STYLE_VALUES.get(label, ())
    if (style or "") not in (styles or ("",)):
        raise ValueError(f"style of a {name} must be one of {styles or ('',)}; got {style!r}.")
    tone, extent = _BRIGHTNESS_WORDS[brightness], _SIZE_WORDS[size]
    if not styles:
        return (name, _with_article(f"{tone} {name}"), _with_article(f"{extent} {name}"),
                _with_article(f"{extent} {tone} {name}"),
                _with_article(f"{name} that is {extent} and {tone}"))
    if label in _STYLES_AFTER_NAME:
        styled, full = f"{name} {style}", f"{extent} {tone} {name} {style}"
    else:
        styled, full = f"{style} {name}", f"{extent} {tone} {style} {name}"
    return (name, _with_article(f"{tone} {name}"), _with_article(f"{extent} {name}"),
            _with_article(styled), _with_article(full))


def _all_caption_sets():
    """Every ``(label, brightness, size, style)`` code and its captions, in a fixed order."""
    for label in range(len(CLASS_CAPTION_NAMES)):
        for b, brightness in enumerate(BRIGHTNESS_VALUES):
            for z, size in enumerate(SIZE_VALUES):
                for t, style in enumerate(STYLE_VALUES.get(label, ("",))):
                    yield (label, b, z, t), template_captions(label, brightness, size, style)


@functools.lru_cache(maxsize=1)
def _caption_set_table():
    """``(row of each code (10, 3, 3, 3) int32, captions of each row (R, 5) object)``,
    read-only."""
    rows = np.full((len(CLASS_CAPTION_NAMES), 3, 3, 3), -1, np.int32)
    table = []
    for row, (code, captions) in enumerate(_all_caption_sets()):
        rows[code] = row
        table.append(captions)
    table = np.array(table, dtype=object)
    rows.flags.writeable = table.flags.writeable = False
    return rows, table


def image_captions(images, labels):
    """All ``NUM_CAPTIONS`` captions of each image (for evaluation: every caption of an
    image is a correct description of it).

    Args:
      images: ``(N, H, W[, 1])`` uint8 or float in [-1, 1].
      labels: ``(N,)`` int Fashion-MNIST classes.

    Returns:
      An object array of str, shape ``(N, NUM_CAPTIONS)``; column 0 is the class name.

    Example:
      >>> image_captions(np.ones((1, 28, 28), np.float32), [9])[0, 0]
      'ankle boot'
    """
    rows, _ = _caption_rows(images, labels)
    return _caption_set_table()[1][rows]


def _caption_rows(images, labels):
    """The row of each image's captions in ``_caption_set_table()``, and its attributes."""
    codes = _attribute_codes(images, labels)
    rows = _caption_set_table()[0][codes]
    return rows, _attributes_from_codes(*codes)


def caption_vocabulary():
    """Every word the Fashion-MNIST caption templates can write, sorted.

    Words are the lower-case, whitespace-separated tokens of the captions: hyphenated
    words ("t-shirt", "long-sleeved") are single words. Build the model's tokenizer
    with the same splitting, so in-domain text has no out-of-vocabulary word:
    ``keras.layers.TextVectorization(standardize="lower", split="whitespace",
    vocabulary=list(caption_vocabulary()))`` or ``keras.layers.StringLookup(
    vocabulary=list(caption_vocabulary()), num_oov_indices=0)`` on split words.
    (Keras's default ``standardize="lower_and_strip_punctuation"`` would turn
    "t-shirt" into "tshirt".)

    Returns:
      A tuple of str.

    Example:
      >>> "long-sleeved" in caption_vocabulary()
      True
    """
    words = set()
    for _, captions in _all_caption_sets():
        for caption in captions:
            words.update(caption.split())
    return tuple(sorted(words))


def check_caption(caption, vocabulary=None):
    """Checks that every word of a user's caption is known to the model.

    The caption is lower-cased and split on whitespace (runs of spaces are one
    separator). A word outside ``vocabulary`` is an error, never dropped: a
    text-to-image model would otherwise draw something for a caption it did not read.

    Args:
      caption: a str, e.g. "a dark long-sleeved pullover".
      vocabulary: the known words; default :func:`caption_vocabulary`.

    Returns:
      The normalized caption: lower case, words joined by single spaces.

    Raises:
      TypeError: ``caption`` is not a str.
      ValueError: an empty caption, or words not in the vocabulary; the message names
        each unknown word with the closest known words (difflib).

    Example:
      >>> check_caption("A  Dark Pullover")
      'a dark pullover'
      >>> check_caption("a drak pullover")
      Traceback (most recent call last):
      ...
      ValueError: Caption 'a drak pullover' has 1 word not in the vocabulary: 'drak' (close:
      'dark'). Known words (33): ...
    """
    if not isinstance(caption, str):
        raise TypeError(f"caption must be a str; got {type(caption).__name__}: {caption!r}.")
    vocabulary = caption_vocabulary() if vocabulary is None else tuple(vocabulary)
    words = caption.lower().split()
    if not words:
        raise ValueError(f"Caption {caption!r} is empty; describe the image, e.g. "
                         f"'a dark long-sleeved pullover'.")
    known = set(vocabulary)
    unknown = list(dict.fromkeys(w for w in words if w not in known))
    if unknown:
        described = []
        for word in unknown:
            close = difflib.get_close_matches(word, vocabulary, n=3, cutoff=0.6)
            hint = f"close: {', '.join(map(repr, close))}" if close else "no close word"
            described.append(f"{word!r} ({hint})")
        plural = "word" if len(unknown) == 1 else "words"
        raise ValueError(
            f"Caption {caption!r} has {len(unknown)} {plural} not in the vocabulary: "
            f"{', '.join(described)}.\nKnown words ({len(vocabulary)}): "
            f"{', '.join(vocabulary)}.")
    return " ".join(words)


# ---------------------------------------------------------------------------
# the named dataset: load("fashion_mnist_captions" | "fashion_mnist_captions_32")


@dataclasses.dataclass(frozen=True)
class CaptionedImages:
    """One split of a captioned dataset in memory.

    Attributes:
      images: uint8 ``(N, H, W, 1)`` (padded for ``fashion_mnist_captions_32``).
      labels: int32 ``(N,)`` Fashion-MNIST classes.
      captions: object array of str ``(N, NUM_CAPTIONS)``, all captions of each image.
      attributes: ``{"brightness", "size", "style"}`` -> ``(N,)`` object arrays of str.
      origin: where the images came from.
    """

    images: np.ndarray
    labels: np.ndarray
    captions: np.ndarray
    attributes: dict
    origin: str


def _check_caption_spec(name):
    spec = get_spec(name)
    if spec.kind != "captions":
        from .catalog import list_datasets
        raise ValueError(f"{spec.name!r} is not a captioned dataset; captioned datasets: "
                         f"{', '.join(list_datasets('captions'))}.")
    return spec


def _captioned_split(spec, split, limit, source, data_dir, download):
    """``(images uint8 unpadded, labels, caption rows, attributes, origin)`` of a split."""
    from .translation import _base_arrays  # the whole Fashion-MNIST split, TFDS or IDX

    arrays = _base_arrays(spec, split, source, data_dir, download)
    images, labels = arrays.images[:limit], arrays.labels[:limit]
    rows, attributes = _caption_rows(images, labels)
    return images, labels.astype(np.int32), rows, attributes, arrays.origin


def caption_arrays(name="fashion_mnist_captions", split="train", *, limit=None,
                   source="auto", data_dir=None, download=False):
    """A captioned split in memory, with every caption and attribute of each image.

    For evaluation (does a generated image match any caption of its text?) and for
    looking at the data; :func:`load` gives the training pipeline.

    Args:
      name: ``list_datasets("captions")``.
      split, limit, source, data_dir, download: as in :func:`load`.

    Returns:
      :class:`CaptionedImages`.

    Example:
      >>> data = caption_arrays(split="test", limit=100)
      >>> list(data.captions[0])
      ['ankle boot', 'a dark ankle boot', 'a small ankle boot', 'a short ankle boot',
       'a small dark short ankle boot']
    """
    spec = _check_caption_spec(name)
    if not isinstance(split, str) or split not in spec.splits:
        raise ValueError(f"Unknown split {split!r} for dataset {spec.name!r}; valid splits: "
                         f"{', '.join(repr(s) for s in spec.splits)}.")
    limit = pipeline.check_limit(limit)
    from .loader import SOURCES

    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}; got {source!r}.")
    images, labels, rows, attributes, origin = _captioned_split(
        spec, split, limit, source, data_dir, download)
    if spec.padding:
        p = spec.padding
        images = np.pad(images, ((0, 0), (p, p), (p, p), (0, 0)))
    return CaptionedImages(images=images, labels=labels,
                           captions=_caption_set_table()[1][rows], attributes=attributes,
                           origin=origin)


def _two_seeds(seed):
    """A shuffle seed and a caption-choice seed derived from ``seed`` (None: both random)."""
    if seed is None:
        return None, None
    shuffle_seed, caption_seed = np.random.SeedSequence(seed).generate_state(2)
    return int(shuffle_seed), int(caption_seed)


def _caption_pipeline(ds, flat_captions, starts, counts, *, num_examples, example_bytes,
                      batch_size, shuffle, seed, drop_remainder, with_labels, cache,
                      start_epoch=None):
    """``(uint8 image, caption row, label)`` examples -> cache -> shuffle -> one caption of
    the row drawn per example and epoch -> batch -> float32 [-1, 1] -> prefetch. With
    ``start_epoch``: the endless epoch-indexed stream (``pipeline.by_epoch``), each
    epoch's order and caption draws a pure function of ``(seed, epoch)``."""
    flat_captions = tf.constant(flat_captions, tf.string)
    starts = tf.constant(starts, tf.int64)
    counts = tf.constant(counts, tf.int64)
    if cache:
        ds = ds.cache("" if cache is True else cache)
    shuffle_seed, caption_seed = _two_seeds(seed)

    def pick_caption(example, draw):
        image, row, label = example
        index = starts[row] + tf.math.floormod(draw, counts[row])
        return image, flat_captions[index], label

    if start_epoch is None:
        if shuffle:
            buffer = pipeline.shuffle_buffer_size(num_examples, example_bytes)
            ds = ds.shuffle(buffer, seed=shuffle_seed, reshuffle_each_iteration=True)
        draws = tf.data.Dataset.random(seed=caption_seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, draws)).map(pick_caption, num_parallel_calls=AUTOTUNE)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    else:
        buffer = pipeline.shuffle_buffer_size(num_examples, example_bytes)

        def one_epoch(epoch):
            examples = pipeline.epoch_order(ds, buffer, shuffle_seed, epoch) if shuffle else ds
            def pick_keyed(i, example):  # the i-th example's draw keyed by (seed, epoch, i)
                draw = tf.random.stateless_uniform([], pipeline.epoch_key(caption_seed, epoch, i),
                                                   minval=0, maxval=2**62, dtype=tf.int64)
                return pick_caption(example, draw)

            picked = examples.enumerate().map(pick_keyed, num_parallel_calls=AUTOTUNE)
            return picked.batch(batch_size, drop_remainder=drop_remainder)

        ds = pipeline.by_epoch(start_epoch, one_epoch)

    def to_float(images, captions, labels):
        images = tf.cast(images, tf.float32) / 127.5 - 1.0
        return (images, captions, labels) if with_labels else (images, captions)

    return ds.map(to_float, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def load_captions(spec, split, *, batch_size, shuffle, seed, drop_remainder, with_labels,
                  image_size, cache, source, limit, data_dir, download, start_epoch=None):
    """Called by :func:`keras_gan_zoo.datasets.load` for ``kind == "captions"`` (arguments
    already checked). Yields ``(images, captions)`` or ``(images, captions, labels)``."""
    images, labels, rows, attributes, origin = _captioned_split(
        spec, split, limit, source, data_dir, download)
    pipeline.check_not_empty(len(images), batch_size, drop_remainder, f"{spec.name} {split!r}")
    _, table = _caption_set_table()
    flat = [caption for captions in table for caption in captions]
    starts = np.arange(len(table), dtype=np.int64) * NUM_CAPTIONS
    counts = np.full(len(table), NUM_CAPTIONS, np.int64)

    ds = tf.data.Dataset.from_tensor_slices((images, rows, labels))
    height, width, channels = images.shape[1:]
    if spec.padding:
        ds = ds.map(lambda image, row, label: (pipeline.pad_uint8(image, spec.padding), row,
                                               label), num_parallel_calls=AUTOTUNE)
        height, width = height + 2 * spec.padding, width + 2 * spec.padding
    if image_size is not None:
        ds = ds.map(lambda image, row, label: (pipeline.resize_uint8(image, image_size), row,
                                               label), num_parallel_calls=AUTOTUNE)
        height, width = image_size
    ds = _caption_pipeline(
        ds, flat, starts, counts, num_examples=len(images),
        example_bytes=height * width * channels, batch_size=batch_size, shuffle=shuffle,
        seed=seed, drop_remainder=drop_remainder, with_labels=with_labels,
        cache=cache if (spec.padding or image_size is not None) else False,
        start_epoch=start_epoch)
    ds.batches_per_epoch = pipeline.batches_per_epoch(len(images), batch_size, drop_remainder)
    logger.info("keras_gan_zoo.datasets: %s %r from %s", spec.name, split, origin)
    ds.class_names = spec.class_names
    ds.source = f"{spec.name}: {origin}"
    ds.num_examples = len(images)
    ds.vocabulary = caption_vocabulary()
    ds.attributes = attributes
    return ds


# ---------------------------------------------------------------------------
# your own files: caption_folder


def _read_captions(path, encoding):
    try:
        with open(path, encoding=encoding) as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"Caption file {path!r} is not valid {encoding} text ({exc}).") from exc
    return [line.strip() for line in lines if line.strip()]


def _first(items, count=5):
    shown = ", ".join(repr(item) for item in items[:count])
    return shown + (", ..." if len(items) > count else "")


def caption_folder(directory, image_size=(64, 64), channels=3, batch_size=128, shuffle=True,
                   seed=None, drop_remainder=True, *, crop_to_aspect_ratio=True, cache=True,
                   encoding="utf-8"):
    """Your own captioned images: ``photo.png`` + ``photo.txt`` -> ``(images, captions)``.

    Every image (``.png``, ``.jpg``, ``.jpeg``, searched recursively as by
    :func:`image_folder`) needs a text file of the same path and stem with the
    extension ``.txt``, holding one or more captions, one per line (blank lines and
    surrounding spaces are dropped, the text is otherwise kept as written). Each epoch
    one caption per image is drawn at random (deterministic for a ``seed``), as for
    ``load("fashion_mnist_captions")``. Text files without an image are ignored (a
    warning counts them).

    Args:
      directory: the folder.
      image_size, channels, batch_size, shuffle, seed, drop_remainder, crop_to_aspect_ratio, cache:
        as in :func:`image_folder`.
      encoding: of the caption files.

    Returns:
      A prefetched ``tf.data.Dataset`` of ``(images (B, H, W, channels) float32 in
      [-1, 1], captions (B,) tf.string)`` with attributes ``file_paths``, ``captions``
      (a tuple of tuples of str, aligned with ``file_paths``), ``vocabulary`` (the
      sorted lower-case words of all captions, for the model's tokenizer),
      ``num_examples`` and ``source``.

    Raises:
      ValueError: a missing folder or one without images, images without a caption
        file, empty caption files (the first few are named), bad arguments.

    Example:
      >>> # birds/001.jpg + birds/001.txt ("a small red bird\\na red bird with black wings")
      >>> ds = caption_folder("birds/", image_size=64, batch_size=32, seed=0)  # doctest: +SKIP
      >>> images, captions = next(iter(ds))
    """
    root, files = list_image_files(directory)
    image_size = pipeline.check_image_size(image_size, allow_none=False)
    channels = pipeline.check_channels(channels)
    batch_size = pipeline.check_batch_size(batch_size)
    seed = pipeline.check_seed(seed)
    cache = pipeline.check_cache(cache)

    text_paths = [os.path.splitext(path)[0] + ".txt" for path in files]
    missing = [t for t in text_paths if not os.path.isfile(t)]
    if missing:
        raise ValueError(
            f"caption_folder: {len(missing)} of the {len(files)} images in {root!r} have no "
            f"caption file; each image needs a .txt file of the same name next to it, with "
            f"one caption per line. Missing: {_first(missing)}.")
    captions = [_read_captions(path, encoding) for path in text_paths]
    empty = [path for path, lines in zip(text_paths, captions) if not lines]
    if empty:
        raise ValueError(
            f"caption_folder: {len(empty)} caption file(s) in {root!r} hold no caption (only "
            f"blank lines or nothing); write one caption per line: {_first(empty)}.")
    used = set(text_paths)
    orphans = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        orphans += [name for name in filenames if name.lower().endswith(".txt")
                    and not name.startswith(".") and os.path.join(dirpath, name) not in used]
    if orphans:
        logger.warning("caption_folder: %d .txt file(s) in %s have no image and are ignored: %s",
                       len(orphans), root, _first(sorted(orphans)))
    pipeline.check_not_empty(len(files), batch_size, drop_remainder, f"Caption folder {root!r}")

    counts = np.array([len(lines) for lines in captions], np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    flat = [caption for lines in captions for caption in lines]
    height, width = image_size

    def decode(path, row, label):
        return decode_image_file(path, image_size, channels, crop_to_aspect_ratio), row, label

    ds = tf.data.Dataset.from_tensor_slices(
        (np.array(files), np.arange(len(files), dtype=np.int32),
         np.zeros(len(files), np.int32)))
    ds = ds.map(decode, num_parallel_calls=AUTOTUNE)
    ds = _caption_pipeline(
        ds, flat, starts, counts, num_examples=len(files),
        example_bytes=height * width * channels, batch_size=batch_size, shuffle=shuffle,
        seed=seed, drop_remainder=drop_remainder, with_labels=False, cache=cache)
    ds.file_paths = tuple(files)
    ds.captions = tuple(tuple(lines) for lines in captions)
    ds.vocabulary = tuple(sorted({w for line in flat for w in line.lower().split()}))
    ds.num_examples = len(files)
    ds.source = f"caption folder {root}"
    ds.class_names = None
    return ds
