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
* W-space tools of the style-based models (`stylegan`; Karras et al. 2019,
  arXiv:1812.04948): `style_mixing_grid` (the paper's figure 3), `truncation_sweep`
  (figure 8) and `interpolate_w` (a straight line in W). They need a model with a
  mapping network (`map`, `synthesize`, `num_ws`) and take integer seeds: seed s is the
  latent `generate(1, seed=s)` draws.

Example:
    >>> import keras_gan_zoo as kgz
    >>> model = keras.models.load_model("runs/dcgan/model.keras")
    >>> z = model.random_latents(2, seed=0)
    >>> path = kgz.latent.interpolate(z[0], z[1], steps=10)   # (10, latent_dim)
    >>> kgz.latent.walk_strip(model, path, "walk.png")
"""

import collections
import numbers

import numpy as np

from keras_gan_zoo.utils import save_grid

__all__ = ["Arithmetic", "WInterpolation", "arithmetic", "interpolate", "interpolate_w", "lerp",
           "slerp", "style_mixing_grid", "truncation_sweep", "walk_strip"]

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
        >>> z = model.random_latents(2, seed=0)
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
        >>> z = model.random_latents(64, seed=0)
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
        >>> z = model.random_latents(2, seed=0)
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


# ---------------------------------------------------------------- W space (StyleGAN)
WInterpolation = collections.namedtuple("WInterpolation", ["ws", "images"])
WInterpolation.__doc__ = """Result of `interpolate_w`: `ws` (steps, num_ws, w_dim) and their
`images` (steps, H, W, C) in [-1, 1]."""


def _style_model(model, where):
    """Refuses models without a mapping network (no W space)."""
    if not all(hasattr(model, name) for name in ("map", "synthesize", "num_ws", "w_avg")):
        raise ValueError(
            f"{where} needs a style-based model with a mapping network (stylegan: "
            f"`map(z)` -> ws, `synthesize(ws)`); {type(model).__name__} has no W space. "
            "For other generators interpolate their latents: `interpolate` / `walk_strip`.")


def _seeds(seeds, name, where):
    """A non-empty list of int seeds."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        raise ValueError(f"{where}: {name} must be a list of int seeds (one image each); got "
                         f"the single seed {seeds!r}: wrap it in a list.")
    try:
        seeds = list(seeds)
    except TypeError:
        raise ValueError(f"{where}: {name} must be a list of int seeds; got {seeds!r}.") from None
    if not seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                            and s >= 0 for s in seeds):
        raise ValueError(f"{where}: {name} must be a non-empty list of int seeds >= 0; "
                         f"got {seeds!r}.")
    return [int(s) for s in seeds]


def _seed_ws(model, seeds, psi, truncation_cutoff, use_ema):
    """The ws of seed-drawn latents (seed s: the latent of `generate(1, seed=s)`)."""
    latents = np.concatenate([model.random_latents(1, s) for s in seeds], axis=0)
    return model.map(latents, psi=psi, truncation_cutoff=truncation_cutoff, use_ema=use_ema)


def _layer_range(model, crossover, where):
    """`(start, stop)`: the style layers taken from the column sources."""
    num_ws = int(model.num_ws)
    if crossover is None:  # the paper's "coarse styles": resolutions 4x4 and 8x8
        return 0, min(4, num_ws - 1)
    if isinstance(crossover, (int, np.integer)) and not isinstance(crossover, bool):
        start, stop = 0, int(crossover)
    elif (isinstance(crossover, (tuple, list)) and len(crossover) == 2
          and all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                  for c in crossover)):
        start, stop = int(crossover[0]), int(crossover[1])
    else:
        start, stop = None, None
    if start is None or not 0 <= start < stop <= num_ws:
        raise ValueError(
            f"{where}: crossover must be None (the coarse styles, layers [0, 4)), an int c "
            f"in [1, {num_ws}] (layers [0, c) from the column sources) or a pair (start, "
            f"stop) with 0 <= start < stop <= {num_ws}; got {crossover!r}.")
    return start, stop


def _save(images, path, nrow):
    if path is not None:
        save_grid(images.reshape(-1, *images.shape[-3:]), path, nrow=nrow)


def style_mixing_grid(model, row_seeds, col_seeds, crossover=None, psi=1.0,
                      truncation_cutoff=None, noise_mode="const", use_ema=True, path=None):
    """The style-mixing figure of StyleGAN (Karras et al. 2019, figure 3).

    Each cell mixes two sources: the styles of layers [start, stop) come from the
    column's source, the others from the row's. With the default, the coarse styles
    (4x4 and 8x8: pose, face shape) come from the column, so a column shares them and a
    row shares the finer ones; `crossover=(4, 8)` copies the middle styles,
    `(8, num_ws)` the fine ones (colours, micro-structure).

    Args:
        model: a style-based model (`stylegan`).
        row_seeds, col_seeds: lists of int seeds, one source image each (seed s is
            the latent of `model.generate(1, seed=s)`).
        crossover: None (layers [0, 4), or [0, num_ws - 1) for fewer layers), an int
            c (layers [0, c)) or a pair (start, stop): the layers from the column.
        psi, truncation_cutoff: the truncation trick of the sources (`model.map`).
        noise_mode: the noise of every image (`model.synthesize`; "const" by default).
        use_ema: the EMA generator (default) or the trained one.
        path: optional PNG path for the grid (one image per cell, white corner).

    Returns:
        float32 array (len(row_seeds) + 1, len(col_seeds) + 1, H, W, C) in [-1, 1]:
        `[0, 1:]` the column sources, `[1:, 0]` the row sources, `[1 + i, 1 + j]` the
        mix of row i with column j, `[0, 0]` white. Cell (i, j) is
        `model.synthesize(mix_styles(ws_col[j], ws_row[i], crossover))` for an int
        crossover (`keras_gan_zoo.models.adversarial.style_base.mix_styles`).

    Example:
        >>> grid = style_mixing_grid(model, [1, 2, 3], [10, 11, 12, 13], path="mix.png")
        >>> grid.shape                                 # (4, 5, H, W, C)
    """
    where = "style_mixing_grid"
    _style_model(model, where)
    rows = _seeds(row_seeds, "row_seeds", where)
    cols = _seeds(col_seeds, "col_seeds", where)
    start, stop = _layer_range(model, crossover, where)
    ws_rows = _seed_ws(model, rows, psi, truncation_cutoff, use_ema)
    ws_cols = _seed_ws(model, cols, psi, truncation_cutoff, use_ema)
    mixed = np.repeat(ws_rows[:, None], len(cols), axis=1)       # (R, C, L, D)
    mixed[:, :, start:stop] = ws_cols[None, :, start:stop]
    ws = np.concatenate([ws_cols, ws_rows, mixed.reshape(-1, *ws_rows.shape[1:])], axis=0)
    images = model.synthesize(ws, noise_mode=noise_mode, use_ema=use_ema)
    r, c = len(rows), len(cols)
    grid = np.ones((r + 1, c + 1, *images.shape[1:]), "float32")
    grid[0, 1:] = images[:c]
    grid[1:, 0] = images[c:c + r]
    grid[1:, 1:] = images[c + r:].reshape(r, c, *images.shape[1:])
    _save(grid, path, c + 1)
    return grid


def truncation_sweep(model, seeds, psis=(1.0, 0.7, 0.5, 0.0, -0.5, -1.0),
                     truncation_cutoff=None, noise_mode="const", use_ema=True, path=None):
    """The truncation trick at several strengths (StyleGAN figure 8).

    `psi = 1` is the untruncated image, `psi = 0` the image of `w_avg` (the same for
    every seed), negative psi the "opposite" of the image across `w_avg`.

    Args:
        model: a style-based model (`stylegan`).
        seeds: list of int seeds, one row each.
        psis: the truncation strengths, one column each (the paper's 1, 0.7, 0.5, 0,
            -0.5, -1 by default).
        truncation_cutoff: truncate only the layers below it (None: all).
        noise_mode, use_ema: as in `style_mixing_grid`.
        path: optional PNG path (one row per seed).

    Returns:
        float32 array (len(seeds), len(psis), H, W, C) in [-1, 1].

    Example:
        >>> sweep = truncation_sweep(model, [0, 1, 2], path="truncation.png")
    """
    where = "truncation_sweep"
    _style_model(model, where)
    seeds = _seeds(seeds, "seeds", where)
    try:
        psis = [float(p) for p in psis]
    except (TypeError, ValueError):
        raise ValueError(f"{where}: psis must be a list of numbers; got {psis!r}.") from None
    if not psis or not all(np.isfinite(psis)):
        raise ValueError(f"{where}: psis must be a non-empty list of finite numbers; "
                         f"got {psis!r}.")
    latents = np.concatenate([model.random_latents(1, s) for s in seeds], axis=0)
    columns = [model.map(latents, psi=p, truncation_cutoff=truncation_cutoff,
                         use_ema=use_ema) for p in psis]
    ws = np.stack(columns, axis=1).reshape(-1, *columns[0].shape[1:])   # seed-major
    images = model.synthesize(ws, noise_mode=noise_mode, use_ema=use_ema)
    sweep = images.reshape(len(seeds), len(psis), *images.shape[1:])
    _save(sweep, path, len(psis))
    return sweep


def interpolate_w(model, seed_a, seed_b, steps, psi=1.0, truncation_cutoff=None,
                  noise_mode="const", use_ema=True, path=None):
    """A straight line in W between the ws of two seeds, and its images.

    W is where StyleGAN's perceptual path length is short (section 4.1 of the paper):
    linear interpolation there changes the image more smoothly than in Z.

    Args:
        model: a style-based model (`stylegan`).
        seed_a, seed_b: int seeds of the two ends.
        steps: number of points (>= 2), ends included.
        psi, truncation_cutoff: the truncation trick of the ends.
        noise_mode, use_ema: as in `style_mixing_grid`.
        path: optional one-row PNG strip.

    Returns:
        `WInterpolation(ws, images)`: ws (steps, num_ws, w_dim) =
        `ws_a + t (ws_b - ws_a)` for t evenly spaced in [0, 1], and their images
        (steps, H, W, C).

    Example:
        >>> walk = interpolate_w(model, 3, 7, steps=8, path="w_walk.png")
    """
    where = "interpolate_w"
    _style_model(model, where)
    a, b = _seeds([seed_a, seed_b], "seed_a and seed_b", where)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"{where}: steps must be an int >= 2; got {steps!r}.")
    ends = _seed_ws(model, [a, b], psi, truncation_cutoff, use_ema)
    t = np.linspace(0.0, 1.0, int(steps), dtype="float32")[:, None, None]
    ws = (ends[0] + t * (ends[1] - ends[0])).astype("float32")
    images = model.synthesize(ws, noise_mode=noise_mode, use_ema=use_ema)
    _save(images, path, len(images))
    return WInterpolation(ws, images)
