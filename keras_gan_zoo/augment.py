"""DiffAugment: differentiable augmentation of what a discriminator sees.

Zhao et al. 2020 (arXiv:2006.10738) augment both the real and the generated images,
with the same random family of transforms, every time the discriminator sees them:
in the discriminator's update and in the generator's. The transforms are
differentiable in the images, so the generator's gradient flows back through them.
`AdversarialModel(diff_augment="color,translation,cutout")` applies them in training
(docs/design.md, "DiffAugment"); this module holds the transforms.

Policies (comma-separated, applied in the order written, each at most once):

- `color`: per image, brightness `x + b`, b ~ U(-0.5, 0.5); saturation
  `(x - mean_c x) * s + mean_c x`, s ~ U(0, 2), the mean over the channels of each
  pixel; contrast `(x - mean x) * c + mean x`, c ~ U(0.5, 1.5), the mean over the
  whole image. On a 1-channel image the saturation is the identity (each pixel is
  its own channel mean), so gray images get brightness and contrast only.
- `translation`: per image, an integer shift of up to 1/8 of the height and of the
  width in each direction (dy in [-H//8, H//8], dx in [-W//8, W//8], uniform), the
  uncovered border filled with zeros.
- `cutout`: per image, a rectangle of (H//2, W//2) pixels set to zero; its centre is
  uniform over the image, so a rectangle near a border is clipped by it.

The images are in [-1, 1], as in the authors' code (their TF and PyTorch references
train StyleGAN2 and BigGAN on [-1, 1] images and apply these constants there), so a
zero fill is mid-gray and brightness moves by at most a quarter of the range. Values
are not clipped afterwards (neither are the authors').

Randomness is stateless: every random value comes from `tf.random.stateless_*` with a
sub-seed of `seed`, one per random variable (so `"color"` draws the same colour
parameters alone as within `"color,translation"`). The same seed gives the same
augmentation; a model passes `noise_seed(...)`, which makes resumed runs and
N replicas reproduce one device. `rows=(offset, total)` draws the parameters for a
batch of `total` images and uses those of rows `offset ..`: a replica augmenting its
share of the global batch draws what one device draws for the same examples.

Dtypes: float16 and bfloat16 images are augmented in float32 and cast back (the
means and products of a 16-bit image would round visibly); float32 and float64 in
their own dtype. The output has the input's shape and dtype.
"""

import numbers

import tensorflow as tf

#: the policy names, in the order of the authors' default policy.
POLICIES = ("color", "translation", "cutout")

#: the authors' policy for training from few images (their CIFAR-10 / FFHQ runs).
DEFAULT_POLICY = "color,translation,cutout"

# Each random variable folds its own constant into the seed: its draws do not depend
# on which other policies are on.
_BRIGHTNESS, _SATURATION, _CONTRAST = 1, 2, 3
_SHIFT_Y, _SHIFT_X, _CUTOUT_Y, _CUTOUT_X = 4, 5, 6, 7


def parse_policy(policy):
    """The names of `policy` as a tuple (empty for `None` or `""`).

    Raises a `ValueError` for anything but `None` or a comma-separated string of
    names from `POLICIES`, each at most once (spaces around the names are allowed).
    """
    if policy is None:
        return ()
    if not isinstance(policy, str):
        raise ValueError(
            f"A DiffAugment policy must be None or a comma-separated string of "
            f"{', '.join(POLICIES)} (e.g. {DEFAULT_POLICY!r}); got {policy!r}."
        )
    names = tuple(name.strip() for name in policy.split(",")) if policy.strip() else ()
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(
            f"Unknown DiffAugment polic{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(repr(n) for n in unknown)} in {policy!r}; valid names are "
            f"{', '.join(repr(n) for n in POLICIES)}, comma-separated (e.g. "
            f"{DEFAULT_POLICY!r})."
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"DiffAugment policy {policy!r} names {', '.join(map(repr, repeated))} more "
            "than once; each policy is applied at most once."
        )
    return names


def normalize_policy(policy):
    """`policy` as its canonical string (`"color,cutout"`), or `None` when empty."""
    names = parse_policy(policy)
    return ",".join(names) if names else None


def _seed(seed):
    """`seed` (an int, or 2 ints / an int tensor of shape (2,)) as an int64 (2,) tensor."""
    if seed is None:
        raise ValueError(
            "diff_augment needs seed=: an int or an int64 tensor of shape (2,) "
            "(the randomness is stateless; a model passes its noise_seed)."
        )
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return tf.constant([int(seed), 0], "int64")
    seed = tf.convert_to_tensor(seed)
    if not seed.dtype.is_integer or (seed.shape.rank is not None
                                     and seed.shape.as_list() != [2]):
        raise ValueError(
            f"seed must be an int or an integer tensor of shape (2,); got "
            f"{seed.dtype.name} of shape {tuple(seed.shape)}."
        )
    return tf.cast(seed, "int64")


def _uniform(seed, variable, rows, minval, maxval, dtype="float32"):
    """Per-image uniform draws (this batch's rows of the drawn batch), shape (B,)."""
    offset, total, count = rows
    values = tf.random.stateless_uniform(
        tf.reshape(total, [1]), tf.random.experimental.stateless_fold_in(seed, variable),
        minval=minval, maxval=maxval, dtype=dtype)
    return values[offset:offset + count]


def _brightness(x, seed, rows):
    b = _uniform(seed, _BRIGHTNESS, rows, -0.5, 0.5)
    return x + tf.cast(b, x.dtype)[:, None, None, None]


def _saturation(x, seed, rows):
    if x.shape[-1] == 1:
        return x  # one channel: every pixel is its own channel mean
    s = _uniform(seed, _SATURATION, rows, 0.0, 2.0)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    return (x - mean) * tf.cast(s, x.dtype)[:, None, None, None] + mean


def _contrast(x, seed, rows):
    c = _uniform(seed, _CONTRAST, rows, 0.5, 1.5)
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * tf.cast(c, x.dtype)[:, None, None, None] + mean


def _shift(x, shift, axis):
    """Moves each image's content by `shift[b]` pixels along `axis` (1 or 2), zeros in."""
    size = tf.shape(x)[axis]
    source = tf.range(size)[None, :] - shift[:, None]          # (B, size)
    inside = tf.logical_and(source >= 0, source < size)
    x = tf.gather(x, tf.clip_by_value(source, 0, size - 1), axis=axis, batch_dims=1)
    mask = tf.cast(inside, x.dtype)
    mask = mask[:, :, None, None] if axis == 1 else mask[:, None, :, None]
    return x * mask


def _translation(x, seed, rows):
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    max_y, max_x = h // 8, w // 8
    dy = _uniform(seed, _SHIFT_Y, rows, -max_y, max_y + 1, dtype="int32")
    dx = _uniform(seed, _SHIFT_X, rows, -max_x, max_x + 1, dtype="int32")
    return _shift(_shift(x, dy, 1), dx, 2)


def _cutout(x, seed, rows):
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    cut_h, cut_w = h // 2, w // 2
    # The authors' centre range: [0, size + 1 - cut % 2), the top-left corner
    # centre - cut // 2; the rectangle is clipped by the image.
    top = _uniform(seed, _CUTOUT_Y, rows, 0, h + 1 - cut_h % 2, dtype="int32") - cut_h // 2
    left = _uniform(seed, _CUTOUT_X, rows, 0, w + 1 - cut_w % 2, dtype="int32") - cut_w // 2
    r = tf.range(h)[None, :]
    c = tf.range(w)[None, :]
    in_rows = tf.logical_and(r >= top[:, None], r < (top + cut_h)[:, None])     # (B, H)
    in_cols = tf.logical_and(c >= left[:, None], c < (left + cut_w)[:, None])   # (B, W)
    cut = tf.logical_and(in_rows[:, :, None], in_cols[:, None, :])
    return x * tf.cast(tf.logical_not(cut), x.dtype)[..., None]


_FUNCTIONS = {
    "color": (_brightness, _saturation, _contrast),
    "translation": (_translation,),
    "cutout": (_cutout,),
}


def diff_augment(images, policy=DEFAULT_POLICY, seed=None, rows=None):
    """DiffAugment of a batch of images, differentiable in `images`.

    Args:
        images: (batch, height, width, channels) float images in [-1, 1]; any float
            dtype (16-bit ones are computed in float32), static or dynamic batch size.
        policy: comma-separated names from `POLICIES` (`"color"`, `"translation"`,
            `"cutout"`), applied in the order written; `None` or `""` returns
            `images` unchanged.
        seed: the stateless seed: an int64 tensor of shape (2,) (a model's
            `noise_seed(...)`) or an int. Required: the same seed gives the same
            augmentation.
        rows: `None`, or `(offset, total)`: the random parameters are drawn for a
            batch of `total` images and `images` gets those of rows `offset`,
            `offset + 1`, ... (a replica's slice of the global batch, see
            `keras_gan_zoo.models.replicas.global_rows`).

    Returns:
        The augmented images, of the shape and dtype of `images`.

    Example:
        >>> seed = tf.constant([0, 1], "int64")
        >>> augmented = diff_augment(images, "color,translation,cutout", seed)

    Reference:
        Zhao et al., Differentiable Augmentation for Data-Efficient GAN Training,
        arXiv:2006.10738.
    """
    names = parse_policy(policy)
    if not names:
        return images
    seed = _seed(seed)
    images = tf.convert_to_tensor(images)
    if not images.dtype.is_floating or images.shape.rank != 4:
        raise ValueError(
            f"diff_augment expects float images of shape (batch, height, width, "
            f"channels); got {images.dtype.name} of shape {tuple(images.shape)}."
        )
    count = tf.shape(images)[0]
    if rows is None:
        rows = (tf.zeros((), "int32"), count, count)
    else:
        offset, total = rows
        rows = (tf.cast(offset, "int32"), tf.cast(total, "int32"), count)
    x = images
    if images.dtype in (tf.float16, tf.bfloat16):
        x = tf.cast(images, "float32")
    for name in names:
        for function in _FUNCTIONS[name]:
            x = function(x, seed, rows)
    return tf.cast(x, images.dtype)
