import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gan_zoo.utils import files as files_lib
from keras_gan_zoo.utils.images import atomic_write_bytes
from keras_gan_zoo.utils.images import make_grid
from keras_gan_zoo.utils.images import save_grid
from keras_gan_zoo.utils.images import save_png
from keras_gan_zoo.utils.images import to_uint8


def _const_batch(values, h=3, w=4, c=1):
    """Batch of constant images, image i filled with values[i]."""
    return np.stack(
        [np.full((h, w, c), v, dtype=np.float32) for v in values]
    )


def _temp_files(directory):
    return [f for f in os.listdir(directory) if f.endswith(".tmp")]


# ---------------------------------------------------------------- to_uint8


def test_to_uint8_mapping_rounds_half_up():
    x = np.array([[-1.0, 0.0, 1.0, -0.5, 0.5]], dtype=np.float32)
    out = to_uint8(x)
    assert out.dtype == np.uint8
    # floor((x + 1) * 127.5 + 0.5): -1 -> 0, 0 -> 128 (127.5 rounds up), 1 -> 255
    np.testing.assert_array_equal(out, [[0, 128, 255, 64, 191]])


def test_to_uint8_clips_out_of_range_and_non_finite():
    x = np.array([[-3.0, 2.0, np.nan, np.inf, -np.inf]], dtype=np.float64)
    np.testing.assert_array_equal(to_uint8(x), [[0, 255, 0, 255, 0]])


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_to_uint8_accepts_tensors_of_any_float_dtype(dtype):
    x = tf.constant([[[-1.0], [0.0], [1.0]]], dtype=dtype)
    out = to_uint8(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 0], [[0, 128, 255]])


def test_to_uint8_accepts_bfloat16_numpy():
    x = tf.constant([-1.0, 1.0], dtype=tf.bfloat16).numpy().reshape(1, 2)
    np.testing.assert_array_equal(to_uint8(x), [[0, 255]])


def test_to_uint8_passes_uint8_through():
    x = np.array([[0, 7, 255]], dtype=np.uint8)
    out = to_uint8(x)
    np.testing.assert_array_equal(out, x)
    assert out is not x


@pytest.mark.parametrize("shape", [(5,), (1, 2, 3, 4, 1), ()])
def test_to_uint8_rejects_wrong_rank(shape):
    with pytest.raises(ValueError, match="rank"):
        to_uint8(np.zeros(shape, np.float32))


def test_to_uint8_rejects_integer_dtype():
    with pytest.raises(ValueError, match="int64"):
        to_uint8(np.zeros((2, 2), np.int64))


# ---------------------------------------------------------------- make_grid


def test_make_grid_layout_and_padding():
    # 5 images of 3x4, nrow=3 -> 2 rows x 3 cols, last cell empty.
    values = [-1.0, -0.5, 0.0, 0.5, 1.0]
    expected = to_uint8(np.array([values]))[0]
    grid = make_grid(_const_batch(values), nrow=3, padding=2, pad_value=77)
    assert grid.dtype == np.uint8
    assert grid.shape == (2 * (3 + 2) + 2, 3 * (4 + 2) + 2, 1)
    for i, v in enumerate(expected):
        row, col = divmod(i, 3)
        top, left = 2 + row * 5, 2 + col * 6
        tile = grid[top : top + 3, left : left + 4]
        assert (tile == v).all(), (i, tile[..., 0])
    # Empty 6th cell, borders and gutters are padding.
    assert (grid[7:10, 14:18] == 77).all()
    assert (grid[:2] == 77).all() and (grid[-2:] == 77).all()
    assert (grid[:, :2] == 77).all() and (grid[:, -2:] == 77).all()
    assert (grid[5:7] == 77).all()  # gutter between the two rows
    assert (grid[:, 6:8] == 77).all()  # gutter between columns 0 and 1
    # Exactly the pixels outside the 5 tiles are padding.
    assert (grid == 77).sum() == grid.size - 5 * 3 * 4


def test_make_grid_default_nrow_is_ceil_sqrt():
    grid = make_grid(_const_batch([0.0] * 5, h=2, w=2), padding=1)
    # ceil(sqrt(5)) = 3 per row -> 2 rows
    assert grid.shape == (2 * 3 + 1, 3 * 3 + 1, 1)
    grid = make_grid(_const_batch([0.0] * 4, h=2, w=2), padding=0)
    assert grid.shape == (4, 4, 1)


def test_make_grid_nrow_larger_than_batch_uses_batch_size():
    grid = make_grid(_const_batch([0.0, 1.0], h=2, w=2), nrow=8, padding=0)
    assert grid.shape == (2, 4, 1)
    np.testing.assert_array_equal(grid[0, :, 0], [128, 128, 255, 255])


def test_make_grid_rgb_keeps_channels():
    batch = np.zeros((2, 2, 2, 3), np.float32)
    batch[0, ..., 0] = 1.0  # red
    batch[1, ..., 2] = 1.0  # blue
    grid = make_grid(batch, nrow=2, padding=1, pad_value=0)
    assert grid.shape == (4, 7, 3)
    np.testing.assert_array_equal(grid[1, 1], [255, 128, 128])
    np.testing.assert_array_equal(grid[1, 4], [128, 128, 255])
    np.testing.assert_array_equal(grid[0, 0], [0, 0, 0])


def test_make_grid_grayscale_stays_one_channel_and_accepts_tensor():
    grid = make_grid(tf.zeros((3, 4, 4, 1), tf.bfloat16), padding=0)
    assert grid.shape == (8, 8, 1)


@pytest.mark.parametrize(
    "batch, match",
    [
        (np.zeros((4, 4, 1), np.float32), r"\(N, H, W, C\).*rank 3"),
        (np.zeros((1, 4, 4, 4, 1), np.float32), "rank 5"),
        (np.zeros((2, 4, 4, 2), np.float32), "1 \\(grayscale\\) or 3 \\(RGB\\).*got 2"),
        (np.zeros((2, 4, 4, 4), np.float32), "got 4 channels"),
        (np.zeros((0, 4, 4, 3), np.float32), "empty batch"),
    ],
)
def test_make_grid_errors(batch, match):
    with pytest.raises(ValueError, match=match):
        make_grid(batch)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"nrow": 0}, "nrow"),
        ({"padding": -1}, "padding"),
        ({"pad_value": 256}, "pad_value"),
        ({"nrow": 2.5}, "nrow"),
    ],
)
def test_make_grid_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_grid(np.zeros((2, 2, 2, 1), np.float32), **kwargs)


# ---------------------------------------------------------------- save_png


def test_save_png_round_trip_rgb(tmp_path):
    rng = np.random.default_rng(0)
    grid = rng.integers(0, 256, size=(10, 12, 3), dtype=np.uint8)
    path = tmp_path / "nested" / "dir" / "grid.png"
    out = save_png(grid, path)
    assert out == str(path)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(im), grid)
    assert _temp_files(path.parent) == []


def test_save_png_grayscale_is_mode_L(tmp_path):
    grid = np.arange(20, dtype=np.uint8).reshape(4, 5, 1)
    path = save_png(grid, tmp_path / "g.png")
    with Image.open(path) as im:
        assert im.mode == "L"
        np.testing.assert_array_equal(np.asarray(im), grid[..., 0])


def test_save_png_float_batch_goes_through_make_grid(tmp_path):
    batch = _const_batch([-1.0, 1.0], h=2, w=2, c=3)
    path = save_png(batch, tmp_path / "b.png")
    with Image.open(path) as im:
        np.testing.assert_array_equal(np.asarray(im), make_grid(batch))


def test_save_png_float_single_image(tmp_path):
    path = save_png(np.zeros((3, 3, 1), np.float32), tmp_path / "s.png")
    with Image.open(path) as im:
        assert im.mode == "L" and (np.asarray(im) == 128).all()


def test_save_png_rejects_bad_channels(tmp_path):
    with pytest.raises(ValueError, match="got 2 channels"):
        save_png(np.zeros((4, 4, 2), np.uint8), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_save_grid(tmp_path):
    batch = _const_batch([0.0] * 6, h=2, w=2)
    path = save_grid(batch, tmp_path / "grid.png", nrow=2)
    with Image.open(path) as im:
        np.testing.assert_array_equal(np.asarray(im)[..., None], make_grid(batch, nrow=2))
        assert im.size == (2 * 4 + 2, 3 * 4 + 2)  # (width, height)


def test_save_png_overwrites_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "a.png"
    save_png(np.zeros((2, 2, 1), np.uint8), path)
    save_png(np.full((2, 2, 1), 9, np.uint8), path)
    with Image.open(path) as im:
        assert (np.asarray(im) == 9).all()
    assert sorted(os.listdir(tmp_path)) == ["a.png"]


def test_failed_encode_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    save_png(np.zeros((2, 2, 1), np.uint8), path)
    before = path.read_bytes()

    def boom(self, *args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(OSError, match="disk on fire"):
        save_png(np.full((2, 2, 1), 9, np.uint8), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["a.png"]


@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
def test_failed_write_keeps_previous_file_and_no_temp(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "a.png"
    save_png(np.zeros((2, 2, 1), np.uint8), path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        # The temp file exists and is (partially) written at this point.
        assert len(_temp_files(tmp_path)) == 1
        raise OSError("interrupted")

    monkeypatch.setattr(files_lib.os, fail_at, boom)
    with pytest.raises(OSError, match="interrupted"):
        save_png(np.full((2, 2, 1), 9, np.uint8), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["a.png"]


def test_atomic_write_bytes(tmp_path):
    path = tmp_path / "sub" / "blob.bin"
    assert atomic_write_bytes(path, b"abc") == str(path)
    assert path.read_bytes() == b"abc"
    atomic_write_bytes(str(path), bytearray(b"xy"))
    assert path.read_bytes() == b"xy"
    assert os.listdir(path.parent) == ["blob.bin"]


def test_atomic_write_bytes_file_mode(tmp_path):
    path = tmp_path / "m.bin"
    atomic_write_bytes(path, b"1")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    os.chmod(path, 0o640)
    atomic_write_bytes(path, b"2")
    assert os.stat(path).st_mode & 0o777 == 0o640  # mode of the replaced file kept


def test_atomic_write_bytes_rejects_str(tmp_path):
    with pytest.raises(TypeError, match="bytes"):
        atomic_write_bytes(tmp_path / "x", "text")
