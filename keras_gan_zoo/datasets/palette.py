"""Palette quantisation: K colours fitted by k-means, images as colour indices.

A 256-way softmax per channel lets an RGB model spread probability over colours
that, averaged, give grey-brown samples. With a palette the model makes ONE 1-of-K
choice per pixel among K colours clustered from the training pixels (as in the
colour-quantised images of van den Oord et al. and of ImageGPT's 512-colour
palette), so every sampled pixel is a real, vivid training colour.

Images are float arrays in [-1, 1] (the zoo's convention), palettes float32 arrays
(K, C) in [-1, 1].

Example:
    >>> from keras_gan_zoo.datasets import palette
    >>> colours = palette.fit_palette(train_images, 16, seed=0)     # (16, 3)
    >>> idx = palette.to_indices(images, colours)                   # (N, H, W) int32
    >>> back = palette.from_indices(idx, colours)                   # (N, H, W, 3)
"""

import numpy as np

__all__ = ["fit_palette", "to_indices", "from_indices", "quantize", "check_palette"]


def check_palette(palette, channels=None):
    """`palette` as a float32 (K, C) array in [-1, 1], or a ValueError saying why not."""
    array = np.asarray(palette, dtype="float32")
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(
            f"A palette is a (K, channels) array of K >= 2 colours in [-1, 1]; got shape "
            f"{array.shape}."
        )
    if channels is not None and array.shape[1] != channels:
        raise ValueError(
            f"The palette has {array.shape[1]} channels per colour; the images have "
            f"{channels}."
        )
    if not np.all(np.isfinite(array)) or array.min() < -1.0 or array.max() > 1.0:
        raise ValueError("Palette colours must be finite values in [-1, 1].")
    return array


def _pixels(images):
    images = np.asarray(images)
    if images.ndim < 2 or not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            f"Expected float images (..., channels) in [-1, 1]; got {images.dtype} of shape "
            f"{images.shape}."
        )
    return images.reshape(-1, images.shape[-1]).astype("float32")


def _nearest(pixels, centres, chunk=65536):
    """Index of the nearest centre (squared Euclidean) for each pixel row."""
    out = np.empty(len(pixels), "int32")
    c2 = np.sum(centres**2, axis=1)
    for i in range(0, len(pixels), chunk):
        p = pixels[i : i + chunk]
        distances = c2[None, :] - 2.0 * p @ centres.T  # + |p|^2, the same for every centre
        out[i : i + chunk] = np.argmin(distances, axis=1)
    return out


def _kmeans(pixels, k, rng, iterations):
    """One k-means run (k-means++ start, Lloyd iterations): (centres, inertia)."""
    centres = [pixels[rng.integers(len(pixels))]]
    d2 = np.sum((pixels - centres[0]) ** 2, axis=1)
    for _ in range(1, k):  # each new centre drawn with probability ~ squared distance
        centres.append(pixels[rng.choice(len(pixels), p=d2 / d2.sum())])
        d2 = np.minimum(d2, np.sum((pixels - centres[-1]) ** 2, axis=1))
    centres = np.stack(centres)
    assign = None
    for _ in range(iterations):
        new = _nearest(pixels, centres)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            members = pixels[assign == j]
            if len(members):
                centres[j] = members.mean(axis=0)
            else:  # an empty cluster takes the pixel farthest from its centre
                far = np.argmax(np.sum((pixels - centres[assign]) ** 2, axis=1))
                centres[j] = pixels[far]
    inertia = float(np.sum((pixels - centres[_nearest(pixels, centres)]) ** 2))
    return centres, inertia


def fit_palette(images, k, *, seed=0, n_init=4, iterations=100, max_pixels=200_000):
    """Fits K colours to the pixels of `images` with k-means (k-means++ starts).

    Args:
        images: float array (..., C) in [-1, 1], e.g. a batch (N, H, W, C).
        k: number of colours (>= 2).
        seed: seed of the pixel subsample and of the k-means++ starts.
        n_init: k-means runs from different starts; the lowest inertia wins.
        iterations: Lloyd iterations per run (it stops once assignments settle).
        max_pixels: pixels used (a uniform subsample of larger inputs).

    Returns:
        float32 (k, C) colours in [-1, 1], sorted by luminance (then by channels), so
        the same data and seed always give the same palette in the same order.
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 2:
        raise ValueError(f"k must be an int >= 2; got {k!r}.")
    pixels = _pixels(images)
    rng = np.random.default_rng(seed)
    if len(pixels) > max_pixels:
        pixels = pixels[rng.choice(len(pixels), max_pixels, replace=False)]
    distinct = np.unique(pixels, axis=0)
    if len(distinct) <= k:  # fewer colours than asked: they are the palette
        if len(distinct) < 2:
            raise ValueError("The images have a single colour; a palette needs >= 2.")
        centres = distinct
    else:
        runs = [_kmeans(pixels, k, rng, iterations) for _ in range(max(1, int(n_init)))]
        centres = min(runs, key=lambda run: run[1])[0]
    centres = np.clip(centres, -1.0, 1.0).astype("float32")
    order = np.lexsort(tuple(centres.T[::-1]) + (centres.mean(axis=1),))
    return centres[order]


def to_indices(images, palette):
    """Index of the nearest palette colour for every pixel: int32 (...,) of images."""
    palette = check_palette(palette)
    images = np.asarray(images)
    if images.shape[-1:] != palette.shape[1:]:
        raise ValueError(
            f"Images with {images.shape[-1] if images.ndim else 0} channels and a palette "
            f"of {palette.shape[1]}-channel colours do not match."
        )
    return _nearest(_pixels(images), palette).reshape(images.shape[:-1])


def from_indices(indices, palette):
    """Colours of palette indices: float32 (..., C) in [-1, 1]."""
    palette = check_palette(palette)
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"Palette indices must be integers; got {indices.dtype}.")
    if indices.size and (indices.min() < 0 or indices.max() >= len(palette)):
        raise ValueError(
            f"Palette indices must be in [0, {len(palette)}); got "
            f"[{indices.min()}, {indices.max()}]."
        )
    return palette[indices]


def quantize(images, palette):
    """Each pixel replaced by its nearest palette colour (what a palette model sees)."""
    return from_indices(to_indices(images, palette), palette)
