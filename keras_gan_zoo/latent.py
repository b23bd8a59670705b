"""Latent-space tools: interpolation, vector arithmetic and walk strips.

They work on numpy latents and on any model with `latent_dim` and
`generate(n, latents=..., **conditions)` (every generator of the zoo).

* `lerp` / `slerp`: linear and spherical interpolation between two latents. For
  Gaussian latents slerp is the better path (White 2016, "Sampling Generative
  Networks", arXiv:1609.04468): the midpoint of a straight line between two samples
  of N(0, I) has a norm about 1/sqrt(2) of theirs, a region the generator rarely saw
  in training; slerp keeps the norm.
* `arithmetic`: the DCGAN paper's "smiling woman - neutral woman + neutral man"
  (Radford et al. 2015, section 6.3, arXiv:1511.06434): averaging the latents of a
  few samples per concept before combining them makes the result stable.
* `walk_strip`: generated images for a sequence of latents, as a one-row PNG.

Example:
    >>> import keras_gan_zoo as kgz
    >>> model = keras.models.load_model("runs/dcgan/model.keras")
    >>> z = model._latents_numpy(2, seed=0)
    >>> path = kgz.latent.interpolate(z[0], z[1], steps=10)   # (10, latent_dim)
    >>> kgz.latent.walk_strip(model, path, "walk.png")
"""

import collections
import numbers

import numpy as np

from keras_gan_zoo.utils import save_grid

__all__ = ["Arithmetic", "arithmetic", "interpolate", "lerp", "slerp", "walk_strip"]

INTERPOLATIONS = ("slerp", "lerp")

# Below this angle (radians) between the two vectors slerp is lerp to float64 precision
# and sin(omega) in its denominator loses accuracy, so lerp is used.
_PARALLEL_ANGLE = 1e-6


def _pair(a, b, where):
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    if a.ndim == 0 or a.shape != b.shape:
        raise ValueError(
            f"{where}: a and b must be latent vectors of the same shape (..., latent_dim); "
            f"got shapes {a.shape} and {b.shape}."
        )
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(f"{where}: a and b must be finite.")
    return a, b


def _times(t, where):
    """t as a float64 array; scalar t gives a 0-d array."""
    t = np.asarray(t, dtype="float64")
    if t.ndim > 1:
        raise ValueError(f"{where}: t must be a number or a 1-D sequence; got shape {t.shape}.")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{where}: t must be finite.")
    return t


def _with_time_axis(a, b, t):
    """Broadcasts (..., d) vectors against t: scalar t keeps the shape, t of shape (s,)
    adds a leading axis of size s."""
    shape = t.shape + (1,) * a.ndim
    return t.reshape(shape), a[None] if t.ndim else a, b[None] if t.ndim else b


def lerp(a, b, t):
    """Linear interpolation `a + t (b - a)`.

    Args:
        a, b: latents of the same shape (latent_dim,) (or a batch (n, latent_dim)).
        t: a number (0 gives a, 1 gives b; others extrapolate) or a 1-D sequence.

    Returns:
        float32 array: the shape of `a` for a number t, `(len(t), *a.shape)` for a
        sequence.

    Example:
        >>> lerp(np.zeros(2), np.ones(2), 0.5)
        array([0.5, 0.5], dtype=float32)
    """
    a, b = _pair(a, b, "lerp")
    t, a, b = _with_time_axis(a, b, _times(t, "lerp"))
    return (a + t * (b - a)).astype("float32")


def slerp(a, b, t):
    """Spherical linear interpolation along the great circle from `a` to `b`.

    `sin((1 - t) w) / sin(w) * a + sin(t w) / sin(w) * b`, w the angle between a and
    b (Shoemake 1985; White 2016 for GAN latents). Between unit vectors every point
    is a unit vector; between vectors of different norms the norm changes smoothly.
    Vectors closer to parallel than 1e-6 rad are interpolated linearly (the two
    paths coincide there and the formula's sin(w) denominator vanishes). Opposite
    vectors have no unique great circle: they are interpolated linearly too (through
    the origin), so avoid them.

    Args:
        a, b: latents of the same shape (latent_dim,), or batches (n, latent_dim)
            interpolated row by row.
        t: a number in [0, 1] or a 1-D sequence of them.

    Returns:
        float32 array: the shape of `a` for a number t, `(len(t), *a.shape)` for a
        sequence.

    Example:
        >>> slerp(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 0.5)
        array([0.70710677, 0.70710677], dtype=float32)
    """
    a, b = _pair(a, b, "slerp")
    t = _times(t, "slerp")
    norm_a = np.linalg.norm(a, axis=-1, keepdims=True)
    norm_b = np.linalg.norm(b, axis=-1, keepdims=True)
    if np.any(norm_a == 0) or np.any(norm_b == 0):
        # No direction to rotate from: the straight line is the only sensible path.
        return lerp(a, b, t)
    cos = np.clip(np.sum(a * b, axis=-1, keepdims=True) / (norm_a * norm_b), -1.0, 1.0)
    omega = np.arccos(cos)
    degenerate = (omega < _PARALLEL_ANGLE) | (omega > np.pi - _PARALLEL_ANGLE)
    sin_omega = np.where(degenerate, 1.0, np.sin(omega))
    tt, a_, b_ = _with_time_axis(a, b, t)
    spherical = (np.sin((1.0 - tt) * omega) * a_ + np.sin(tt * omega) * b_) / sin_omega
    linear = a_ + tt * (b_ - a_)
    return np.where(degenerate, linear, spherical).astype("float32")


def interpolate(a, b, steps, method="slerp"):
    """`steps` latents from `a` to `b` inclusive, evenly spaced in t.

    Args:
        a, b: latents of shape (latent_dim,).
        steps: number of latents (>= 2); the first is a, the last b.
        method: `"slerp"` (default, for Gaussian latents) or `"lerp"`.

    Returns:
        float32 array of shape (steps, latent_dim).

    Example:
        >>> z = model._latents_numpy(2, seed=0)
        >>> path = interpolate(z[0], z[1], steps=8)
        >>> images = model.generate(8, latents=path)
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"interpolate: steps must be an int >= 2; got {steps!r}.")
    if method not in INTERPOLATIONS:
        raise ValueError(f"interpolate: method must be one of {INTERPOLATIONS}; got {method!r}.")
    a, b = _pair(a, b, "interpolate")
    if a.ndim != 1:
        raise ValueError(
            f"interpolate: a and b must be single latents of shape (latent_dim,); got {a.shape}."
        )
    t = np.linspace(0.0, 1.0, int(steps))
    return (slerp if method == "slerp" else lerp)(a, b, t)


Arithmetic = collections.namedtuple("Arithmetic", ["latents", "images"])
Arithmetic.__doc__ = """Result of `arithmetic`: `latents` (n, latent_dim) and their `images`
(n, H, W, C) in [-1, 1] (`None` when no model was given)."""


def _concept_mean(concept, latents, latent_dim, where):
    """Mean latent of one concept: int indices into `latents`, or latent vectors."""
    array = np.asarray(concept)
    if array.size == 0:
        raise ValueError(f"{where}: a concept is empty; give at least one latent or index.")
    if np.issubdtype(array.dtype, np.integer):
        if latents is None:
            raise ValueError(
                f"{where}: a concept of indices {array.tolist()} needs `latents=`, the "
                "batch of latents the indices refer to (e.g. the ones you generated from)."
            )
        if array.ndim != 1:
            raise ValueError(f"{where}: indices must be a 1-D list; got shape {array.shape}.")
        if array.min() < -len(latents) or array.max() >= len(latents):
            raise ValueError(
                f"{where}: index out of range for {len(latents)} latents: {array.tolist()}."
            )
        vectors = latents[array]
    elif np.issubdtype(array.dtype, np.floating):
        if array.ndim not in (1, 2):
            raise ValueError(
                f"{where}: a concept of latents must have shape (latent_dim,) or "
                f"(k, latent_dim); got {array.shape}."
            )
        vectors = array.astype("float64").reshape(-1, array.shape[-1])
    else:
        raise ValueError(
            f"{where}: a concept is a list of int indices into `latents` or an array of "
            f"float latents; got dtype {array.dtype}."
        )
    if vectors.shape[-1] != latent_dim:
        raise ValueError(
            f"{where}: expected latents of size {latent_dim}; got shape {vectors.shape}."
        )
    return vectors.mean(axis=0)


def _concepts(concepts, name):
    if isinstance(concepts, np.ndarray) or not isinstance(concepts, (list, tuple)):
        raise ValueError(
            f"arithmetic: {name} must be a list of concepts (each a list of indices or an "
            f"array of latents); got {type(concepts).__name__}. Wrap a single concept in a "
            "list: [concept]."
        )
    return list(concepts)


def arithmetic(model, positive, negative=(), latents=None, num_samples=1, noise=0.0,
               seed=None, **generate_kwargs):
    """Latent vector arithmetic: `sum(mean(P) for P in positive) - sum(mean(N) for N in negative)`.

    The DCGAN paper's "man with glasses - man without glasses + woman without
    glasses = woman with glasses" is
    `arithmetic(model, positive=[with_glasses_men, women], negative=[men], latents=z)`
    where each concept lists the indices (into the batch `z`) of a few samples that
    show it; the paper averages three per concept. As in the paper, `num_samples > 1`
    draws that many latents around the result, with uniform noise of +-`noise` added
    to each coordinate (0.25 in the paper's figure 7; the first sample is the exact
    result).

    Args:
        model: a generator model (`latent_dim`, `generate`), or `None` for the
            vector arithmetic alone (then the latent size comes from the concepts).
        positive: list of concepts added; a concept is a list of int indices into
            `latents` or a float array of latents, (latent_dim,) or (k, latent_dim).
        negative: list of concepts subtracted.
        latents: (n, latent_dim) batch the indices refer to.
        num_samples: number of latents returned (the result plus noisy variants).
        noise: half-width of the uniform noise added to the variants.
        seed: seed of that noise.
        **generate_kwargs: passed to `model.generate` (e.g. `labels=` of a
            conditional model).

    Returns:
        `Arithmetic(latents, images)`: float32 latents (num_samples, latent_dim) and
        the model's images for them (None without a model).

    Example:
        >>> z = model._latents_numpy(64, seed=0)
        >>> grid = model.generate(64, latents=z)           # look, pick indices per concept
        >>> result = kgz.latent.arithmetic(model, [[3, 17, 40], [5, 9, 22]], [[1, 8, 30]],
        ...                                latents=z, num_samples=9, noise=0.25, seed=0)
        >>> kgz.utils.save_grid(result.images, "arithmetic.png", nrow=9)

    Reference:
        Radford et al., Unsupervised Representation Learning with Deep Convolutional
        Generative Adversarial Networks, arXiv:1511.06434, section 6.3.
    """
    positive = _concepts(positive, "positive")
    negative = _concepts(negative, "negative")
    if not positive:
        raise ValueError("arithmetic: give at least one positive concept.")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples < 1:
        raise ValueError(f"arithmetic: num_samples must be a positive int; got {num_samples!r}.")
    if not isinstance(noise, numbers.Real) or isinstance(noise, bool) or noise < 0:
        raise ValueError(f"arithmetic: noise must be a number >= 0; got {noise!r}.")
    if latents is not None:
        latents = np.asarray(latents, dtype="float64")
        if latents.ndim != 2:
            raise ValueError(
                f"arithmetic: latents must have shape (n, latent_dim); got {latents.shape}."
            )
    if model is not None:
        latent_dim = int(model.latent_dim)
    elif latents is not None:
        latent_dim = latents.shape[1]
    else:
        first = np.asarray(positive[0])
        if not np.issubdtype(first.dtype, np.floating) or first.ndim == 0:
            raise ValueError("arithmetic: without a model, give latents= or float concepts.")
        latent_dim = first.shape[-1]
    if latents is not None and latents.shape[1] != latent_dim:
        raise ValueError(
            f"arithmetic: latents must have shape (n, {latent_dim}); got {latents.shape}."
        )
    result = sum(_concept_mean(c, latents, latent_dim, "arithmetic: positive")
                 for c in positive)
    for concept in negative:
        result = result - _concept_mean(concept, latents, latent_dim, "arithmetic: negative")
    out = np.repeat(result[None], int(num_samples), axis=0)
    if num_samples > 1 and noise:
        rng = np.random.default_rng(seed)
        out[1:] += rng.uniform(-noise, noise, out[1:].shape)
    out = out.astype("float32")
    images = None
    if model is not None:
        images = model.generate(len(out), latents=out, **generate_kwargs)
    return Arithmetic(out, images)


def walk_strip(model, latents, path, padding=2, **generate_kwargs):
    """Renders the images of a sequence of latents as a one-row PNG strip.

    Args:
        model: a generator model (`generate(n, latents=...)`).
        latents: (n, latent_dim), e.g. from `interpolate`.
        path: destination PNG; written atomically (`keras_gan_zoo.utils.save_grid`).
        padding: pixels between the images and around the strip.
        **generate_kwargs: passed to `model.generate` (e.g. `labels=` for a
            conditional model: one class for the whole strip or n classes).

    Returns:
        The destination path as a str. The PNG is `H + 2 padding` pixels high and
        `n (W + padding) + padding` wide.

    Example:
        >>> z = model._latents_numpy(2, seed=0)
        >>> walk_strip(model, interpolate(z[0], z[1], 10), "walk.png")
        'walk.png'
    """
    latents = np.asarray(latents, dtype="float32")
    if latents.ndim != 2 or len(latents) < 1:
        raise ValueError(
            f"walk_strip: latents must have shape (n, latent_dim) with n >= 1; "
            f"got {latents.shape}."
        )
    images = model.generate(len(latents), latents=latents, **generate_kwargs)
    return save_grid(images, path, nrow=len(latents), padding=padding)
