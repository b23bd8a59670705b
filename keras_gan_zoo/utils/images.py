"""Image helpers: [-1, 1] floats -> uint8, sample grids, atomic PNG writes.

These helpers are backend-free (numpy + PIL); tensors of any backend are
accepted wherever a batch of images is expected.
"""

import io
import math

import numpy as np

from keras_gan_zoo.utils.files import atomic_write_bytes

__all__ = [
    "atomic_write_bytes",
    "image_to_array",
    "make_grid",
    "png_bytes",
    "save_grid",
    "save_png",
    "to_uint8",
]


def _as_numpy(images):
    """Returns `images` (numpy array, tensor or nested list) as a numpy array."""
    if isinstance(images, np.ndarray):
        return images
    if hasattr(images, "numpy"):  # eager tf.Tensor / tf.Variable
        return np.asarray(images.numpy())
    return np.asarray(images)


def _is_float_dtype(dtype):
    # numpy floats have kind "f"; ml_dtypes (bfloat16, float8_*) have kind "V".
    return dtype.kind == "f" or (dtype.kind == "V" and "float" in dtype.name)


def to_uint8(images):
    """Maps float images in [-1, 1] to uint8 in [0, 255].

    The mapping is `floor((x + 1) * 127.5 + 0.5)` (round half up), so
    -1 -> 0, 0 -> 128 and 1 -> 255. Values outside [-1, 1] are clipped;
    NaN maps to 0 and +/-inf to 255/0, so a diverged model still yields an
    image. uint8 input is returned unchanged (as a copy).

    Args:
        images: numpy array or tensor of shape (H, W), (H, W, C) or
            (N, H, W, C), any float dtype (float16/32/64, bfloat16).

    Returns:
        A uint8 numpy array of the same shape.

    Raises:
        ValueError: for a rank other than 2, 3 or 4, or a non-float dtype.

    Example:
        >>> to_uint8(np.array([[-1.0, 0.0, 1.0]]))
        array([[  0, 128, 255]], dtype=uint8)
    """
    array = _as_numpy(images)
    if array.ndim not in (2, 3, 4):
        raise ValueError(
            "to_uint8 expects images of rank 2 (H, W), 3 (H, W, C) or "
            f"4 (N, H, W, C); got rank {array.ndim} with shape {array.shape}."
        )
    if array.dtype == np.uint8:
        return array.copy()
    if not _is_float_dtype(array.dtype):
        raise ValueError(
            "to_uint8 expects float images in [-1, 1] (or uint8 images); "
            f"got dtype {array.dtype}."
        )
    array = array.astype(np.float32)
    array = np.nan_to_num(array, nan=-1.0, posinf=1.0, neginf=-1.0)
    array = np.floor((np.clip(array, -1.0, 1.0) + 1.0) * 127.5 + 0.5)
    return np.clip(array, 0, 255).astype(np.uint8)


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"`{name}` must be an int >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {value}.")
    return int(value)


def make_grid(images, nrow=None, padding=2, pad_value=255):
    """Tiles a batch of images into one uint8 image.

    The layout follows `torchvision.utils.make_grid`: `nrow` images per row,
    `padding` pixels of `pad_value` between tiles and around the border,
    empty cells of the last row filled with `pad_value`. The grid has shape
    `(rows * (H + padding) + padding, cols * (W + padding) + padding, C)`
    with `cols = min(nrow, N)` and `rows = ceil(N / cols)`.

    Args:
        images: batch of shape (N, H, W, C), C in {1, 3}, float values in
            [-1, 1] (numpy or tensor, any float dtype) or already uint8.
        nrow: images per row; defaults to `ceil(sqrt(N))`.
        padding: pixels between tiles and around the border (>= 0).
        pad_value: uint8 value (0-255) of the padding pixels.

    Returns:
        A uint8 numpy array of shape (grid_H, grid_W, C); grayscale input
        stays one channel.

    Raises:
        ValueError: for rank != 4, channels not in {1, 3}, an empty batch,
            or invalid `nrow` / `padding` / `pad_value`.

    Example:
        >>> grid = make_grid(np.zeros((10, 28, 28, 1)), nrow=5)
        >>> grid.shape
        (62, 152, 1)
    """
    array = _as_numpy(images)
    if array.ndim != 4:
        raise ValueError(
            "make_grid expects a batch of shape (N, H, W, C); got rank "
            f"{array.ndim} with shape {array.shape}."
        )
    n, h, w, c = array.shape
    if c not in (1, 3):
        raise ValueError(
            "make_grid expects 1 (grayscale) or 3 (RGB) channels; got "
            f"{c} channels in shape {array.shape}."
        )
    if n == 0:
        raise ValueError(
            f"make_grid got an empty batch (shape {array.shape}); "
            "expected at least one image."
        )
    if nrow is None:
        nrow = math.ceil(math.sqrt(n))
    nrow = _check_int("nrow", nrow, 1)
    padding = _check_int("padding", padding, 0)
    pad_value = _check_int("pad_value", pad_value, 0)
    if pad_value > 255:
        raise ValueError(f"`pad_value` must be in [0, 255]; got {pad_value}.")

    tiles = to_uint8(array)
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full(
        (rows * (h + padding) + padding, cols * (w + padding) + padding, c),
        pad_value,
        dtype=np.uint8,
    )
    for i in range(n):
        row, col = divmod(i, cols)
        top = padding + row * (h + padding)
        left = padding + col * (w + padding)
        grid[top : top + h, left : left + w] = tiles[i]
    return grid


def _to_image_array(array_or_images):
    """Returns a uint8 (H, W, C) array with C in {1, 3} ready for PNG."""
    array = _as_numpy(array_or_images)
    if array.ndim == 4:
        return make_grid(array)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise ValueError(
            "save_png expects a uint8 image (H, W, C), a float image "
            "(H, W, C) in [-1, 1] or a batch (N, H, W, C); got rank "
            f"{array.ndim} with shape {array.shape}."
        )
    if array.shape[-1] not in (1, 3):
        raise ValueError(
            "save_png expects 1 (grayscale) or 3 (RGB) channels; got "
            f"{array.shape[-1]} channels in shape {array.shape}."
        )
    if 0 in array.shape:
        raise ValueError(f"save_png got an empty image of shape {array.shape}.")
    return to_uint8(array)


def save_png(array_or_images, path):
    """Writes an image or a batch of images to a PNG file, atomically.

    Args:
        array_or_images: a uint8 image of shape (H, W, C) or (H, W) (e.g.
            from `make_grid`), a float image (H, W, C) in [-1, 1], or a batch
            (N, H, W, C) which is tiled with `make_grid` defaults. C in {1, 3};
            one channel is saved as grayscale (PIL mode "L").
        path: destination (str or os.PathLike); parent directories are
            created. The file is written via `atomic_write_bytes`.

    Returns:
        The destination path as a str.

    Raises:
        ValueError: for a bad shape, channel count or dtype.

    Example:
        >>> save_png(model.generate(16, seed=0), "samples/grid.png")
        'samples/grid.png'
    """
    return atomic_write_bytes(path, png_bytes(array_or_images))


def png_bytes(array_or_images):
    """Encodes an image or a batch of images as PNG, in memory.

    Args:
        array_or_images: as in `save_png` (a uint8 or [-1, 1] float image, or a
            batch tiled with `make_grid` defaults); one channel gives a grayscale PNG.

    Returns:
        The PNG file's bytes.

    Raises:
        ValueError: for a bad shape, channel count or dtype.

    Example:
        >>> png_bytes(np.zeros((28, 28, 1)))[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
    """
    from PIL import Image

    image = _to_image_array(array_or_images)
    if image.shape[-1] == 1:
        pil_image = Image.fromarray(np.ascontiguousarray(image[..., 0]))  # "L"
    else:
        pil_image = Image.fromarray(np.ascontiguousarray(image))  # "RGB"
    buffer = io.BytesIO()
    pil_image.save(buffer, format="PNG")
    return buffer.getvalue()


#: The PIL mode an image of each channel count is converted to (`image_to_array`).
_MODES = {1: "L", 3: "RGB"}


def image_to_array(image, shape):
    """A PIL image as a model input: float32 (H, W, C) in [-1, 1] of `shape`.

    The image is converted to grayscale (C = 1) or RGB (C = 3) and, when its size
    differs from `shape`'s, resized to it (bicubic, aspect ratio not kept).

    Args:
        image: a `PIL.Image.Image` of any mode PIL converts (PNG, JPEG, ...).
        shape: (height, width, channels) with channels 1 or 3.

    Returns:
        A float32 numpy array of `shape`.

    Raises:
        ValueError: channels other than 1 or 3, or an image PIL cannot decode
            (truncated or corrupt data).

    Example:
        >>> from PIL import Image
        >>> sketch = image_to_array(Image.new("RGB", (56, 56), "white"), (28, 28, 1))
        >>> sketch.shape, float(sketch.min())
        ((28, 28, 1), 1.0)
    """
    from PIL import Image

    height, width, channels = (int(d) for d in shape)
    if channels not in _MODES:
        raise ValueError(f"images of {channels} channels cannot be read; expected 1 "
                         "(grayscale) or 3 (RGB).")
    try:
        image = image.convert(_MODES[channels])
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.BICUBIC)
        array = np.asarray(image, dtype="float32")
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot decode the image: {error}") from None
    if array.ndim == 2:
        array = array[..., None]
    return array / 127.5 - 1.0


def save_grid(images, path, nrow=None, padding=2, pad_value=255):
    """Tiles a batch with `make_grid` and writes it with `save_png`.

    Args:
        images: batch (N, H, W, C), C in {1, 3}, values in [-1, 1].
        path: destination PNG path; parent directories are created.
        nrow: images per row; defaults to `ceil(sqrt(N))`.
        padding: pixels between tiles and around the border.
        pad_value: uint8 value of the padding pixels.

    Returns:
        The destination path as a str.

    Example:
        >>> save_grid(model.generate(64, seed=0), "samples/final.png", nrow=8)
        'samples/final.png'
    """
    grid = make_grid(images, nrow=nrow, padding=padding, pad_value=pad_value)
    return save_png(grid, path)
