"""Translation datasets (keras_gan_zoo.datasets.translation) on real Fashion-MNIST (the IDX
files of the Debian package dataset-fashion-mnist), scikit-image's sample photos and image
folders written here with PIL."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gan_zoo import datasets
from keras_gan_zoo.datasets import DatasetUnavailableError, offline, translation

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
SNEAKER, ANKLE_BOOT = 7, 9


pytestmark = pytest.mark.usefixtures("offline_datasets_only")


@pytest.fixture(scope="module")
def fashion():
    return {split: offline.load_idx_split(FASHION_DIR, split) for split in ("train", "test")}


def _epoch(ds):
    """All pairs of one epoch, concatenated: ``(first elements, second elements)``."""
    parts = list(ds.as_numpy_iterator())
    return tuple(np.concatenate(p) for p in zip(*parts))


def _to_uint8(images):
    return np.rint((images + 1.0) * 127.5).astype(np.uint8)


def _numpy_sobel_magnitude(gray):
    """Independent Sobel: gray (N, H, W) in [0, 1], reflect padding -> magnitude (N, H, W)."""
    p = np.pad(gray.astype(np.float64), ((0, 0), (1, 1), (1, 1)), mode="reflect")
    h, w = gray.shape[1:]

    def window(dy, dx):
        return p[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    gy = (window(1, -1) + 2 * window(1, 0) + window(1, 1)
          - window(-1, -1) - 2 * window(-1, 0) - window(-1, 1))
    gx = (window(-1, 1) + 2 * window(0, 1) + window(1, 1)
          - window(-1, -1) - 2 * window(0, -1) - window(1, -1))
    return np.sqrt(gy**2 + gx**2)


# ---------------------------------------------------------------------------
# catalog


def test_catalog_knows_the_translation_datasets():
    names = datasets.list_datasets("translation")
    assert names == [
        "cycle_gan_apple2orange", "cycle_gan_horse2zebra", "cycle_gan_monet2photo",
        "cycle_gan_summer2winter_yosemite", "fashion_mnist_edges", "fashion_mnist_sneaker_boot",
        "fashion_mnist_sr", "skimage_photos_sr",
    ]
    assert not set(names) & set(datasets.list_datasets())  # the default lists image datasets
    assert set(names) <= set(datasets.list_datasets(None))
    edges = datasets.info("fashion_mnist_edges")
    assert edges["pairing"] == "paired" and edges["domain_names"] == ("edges", "fashion")
    assert edges["base"] == "fashion_mnist" and edges["sources"][0] == "tfds:fashion_mnist"
    assert "Sobel" in edges["description"]
    sb = datasets.info("fashion_mnist_sneaker_boot")
    assert sb["pairing"] == "unpaired" and sb["domain_names"] == ("sneaker", "ankle_boot")
    assert sb["num_examples"] == {"train": 6000, "test": 1000}
    assert datasets.info("fashion_mnist_sr")["pairing"] == "super_resolution"
    assert datasets.info("cycle_gan_horse2zebra")["tfds_name"] == "cycle_gan/horse2zebra"
    assert datasets.info("skimage_photos_sr")["sources"][0].startswith("skimage:")
    for name in names:
        assert datasets.info(name)["description"]


# ---------------------------------------------------------------------------
# fashion_mnist_edges


def test_edges_pairs_are_the_real_images_and_their_edge_maps(fashion):
    ds = datasets.load("fashion_mnist_edges", "test", batch_size=16, shuffle=False, limit=64)
    assert ds.element_spec == (
        tf.TensorSpec((16, 28, 28, 1), tf.float32),
        tf.TensorSpec((16, 28, 28, 1), tf.float32),
    )
    assert len(ds) == 4 and ds.domain_names == ("edges", "fashion") and ds.pairing == "paired"
    assert "IDX" in ds.source
    source, target = _epoch(ds)
    # target: the first 64 Fashion-MNIST test images, exactly x / 127.5 - 1
    np.testing.assert_array_equal(target, fashion["test"].images[:64] / np.float32(127.5) - 1)
    assert target.min() == -1.0 and target.max() == 1.0
    # source: binary, dark lines (-1) on white (+1), mostly white
    assert set(np.unique(source).tolist()) == {-1.0, 1.0}
    edge = source[..., 0] == -1.0
    assert 0.05 < edge.mean() < 0.5
    # edges sit exactly where the Sobel magnitude of the image reaches the threshold
    magnitude = _numpy_sobel_magnitude(fashion["test"].images[:64, ..., 0] / 255.0)
    expected = magnitude >= translation.EDGE_THRESHOLD
    undecided = np.abs(magnitude - translation.EDGE_THRESHOLD) < 1e-4  # float32 ties
    assert np.array_equal(edge[~undecided], expected[~undecided])
    # a flat neighbourhood is background; a strong object/background step is a line
    assert not edge[magnitude == 0].any()
    assert edge[magnitude > 2 * translation.EDGE_THRESHOLD].all()
    # the same function is public
    np.testing.assert_array_equal(datasets.edge_map(target).numpy(), source)


def test_edges_are_deterministic_and_stay_aligned_when_shuffled(fashion):
    def load(seed):
        return _epoch(datasets.load("fashion_mnist_edges", batch_size=20, seed=seed, limit=100))

    source, target = load(seed=1)
    again = load(seed=1)
    np.testing.assert_array_equal(source, again[0])
    np.testing.assert_array_equal(target, again[1])
    other = load(seed=2)[1]
    assert not np.array_equal(target, other)  # the seed changes the order...
    first_100 = {img.tobytes() for img in fashion["train"].images[:100]}
    restored = _to_uint8(target)
    assert {img.tobytes() for img in restored} == first_100  # ... not the contents
    assert not np.array_equal(restored, fashion["train"].images[:100])  # shuffled
    np.testing.assert_array_equal(datasets.edge_map(target).numpy(), source)  # pairs aligned


def test_edges_resize_and_edge_map_threshold():
    ds = datasets.load("fashion_mnist_edges", batch_size=8, shuffle=False, limit=8,
                       image_size=16)
    source, target = _epoch(ds)
    assert source.shape == target.shape == (8, 16, 16, 1)
    np.testing.assert_array_equal(datasets.edge_map(target).numpy(), source)
    # the threshold is on the Sobel magnitude of [0, 1] intensities: max 4 * sqrt(2)
    assert (datasets.edge_map(target, threshold=6.0).numpy() == 1.0).all()
    assert (datasets.edge_map(target, threshold=1e-6).numpy() == -1.0).mean() > (
        source == -1.0).mean()
    # RGB images: edges of their luminance, one channel
    rgb = np.repeat(target, 3, axis=-1)
    np.testing.assert_array_equal(datasets.edge_map(rgb).numpy(), source)


def test_edge_map_rejects_bad_input():
    with pytest.raises(TypeError, match="float images in \\[-1, 1\\], got dtype uint8"):
        datasets.edge_map(np.zeros((1, 8, 8, 1), np.uint8))
    with pytest.raises(ValueError, match=r"\(N, H, W, 1 or 3\), got shape \(8, 8, 1\)"):
        datasets.edge_map(np.zeros((8, 8, 1), np.float32))
    with pytest.raises(ValueError, match=r"\(N, H, W, 1 or 3\), got shape \(1, 8, 8, 2\)"):
        datasets.edge_map(np.zeros((1, 8, 8, 2), np.float32))
    for bad in (0, -1.0, True, "1"):
        with pytest.raises(ValueError, match="threshold must be a positive number"):
            datasets.edge_map(np.zeros((1, 8, 8, 1), np.float32), threshold=bad)


# ---------------------------------------------------------------------------
# fashion_mnist_sneaker_boot


def test_sneaker_boot_domains_have_the_right_classes_and_are_unaligned(fashion):
    train = fashion["train"]
    sneakers = train.images[train.labels == SNEAKER][:60]
    boots = train.images[train.labels == ANKLE_BOOT][:60]
    ds = datasets.load("fashion_mnist_sneaker_boot", batch_size=12, seed=0, limit=60)
    assert ds.domain_names == ("sneaker", "ankle_boot") and ds.pairing == "unpaired"
    assert len(ds) == 5 and ds.num_examples == (60, 60)
    assert ds.element_spec == (
        tf.TensorSpec((12, 28, 28, 1), tf.float32),
        tf.TensorSpec((12, 28, 28, 1), tf.float32),
    )
    a, b = _epoch(ds)
    assert a.min() >= -1 and a.max() <= 1 and b.min() >= -1 and b.max() <= 1
    a8, b8 = _to_uint8(a), _to_uint8(b)
    # each domain: exactly its first 60 images of the class, each once per epoch
    assert sorted(x.tobytes() for x in a8) == sorted(x.tobytes() for x in sneakers)
    assert sorted(x.tobytes() for x in b8) == sorted(x.tobytes() for x in boots)
    # unaligned: each domain is shuffled, with its own permutation
    index_a = {x.tobytes(): i for i, x in enumerate(sneakers)}
    index_b = {x.tobytes(): i for i, x in enumerate(boots)}
    perm_a = [index_a[x.tobytes()] for x in a8]
    perm_b = [index_b[x.tobytes()] for x in b8]
    assert perm_a != list(range(60)) and perm_b != list(range(60))
    assert perm_a != perm_b
    # deterministic for a seed, different for another
    again = _epoch(datasets.load("fashion_mnist_sneaker_boot", batch_size=12, seed=0, limit=60))
    np.testing.assert_array_equal(again[0], a)
    np.testing.assert_array_equal(again[1], b)
    other = _epoch(datasets.load("fashion_mnist_sneaker_boot", batch_size=12, seed=1, limit=60))
    assert not np.array_equal(other[0], a)


def test_sneaker_boot_full_test_split_length(fashion):
    ds = datasets.load("fashion_mnist_sneaker_boot", "test", batch_size=100, shuffle=False)
    assert len(ds) == 10 and ds.num_examples == (1000, 1000)
    a, b = next(iter(ds))
    labels = dict(zip((x.tobytes() for x in fashion["test"].images), fashion["test"].labels))
    assert {int(labels[x.tobytes()]) for x in _to_uint8(a.numpy())} == {SNEAKER}
    assert {int(labels[x.tobytes()]) for x in _to_uint8(b.numpy())} == {ANKLE_BOOT}


# ---------------------------------------------------------------------------
# super-resolution


@pytest.mark.parametrize("scale, lr_side", [(4, 7), (2, 14)])
def test_fashion_sr_lr_is_the_area_downsample_of_hr(fashion, scale, lr_side):
    ds = datasets.load("fashion_mnist_sr", "test", batch_size=10, seed=0, limit=30, scale=scale)
    assert ds.scale == scale and ds.domain_names == ("low_res", "high_res") and len(ds) == 3
    assert ds.element_spec == (
        tf.TensorSpec((10, lr_side, lr_side, 1), tf.float32),
        tf.TensorSpec((10, 28, 28, 1), tf.float32),
    )
    lr, hr = _epoch(ds)
    assert {x.tobytes() for x in _to_uint8(hr)} == {
        x.tobytes() for x in fashion["test"].images[:30]
    }
    area = tf.image.resize(hr, (28 // scale, 28 // scale), method="area").numpy()
    np.testing.assert_allclose(lr, area, atol=1e-6)
    blocks = hr.reshape(30, lr_side, scale, lr_side, scale, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(lr, blocks, atol=1e-5)  # each LR pixel: mean of its block
    assert lr.min() >= -1.0 and lr.max() <= 1.0


def test_fashion_sr_default_scale_is_4():
    ds = datasets.load("fashion_mnist_sr", batch_size=4, limit=4)
    assert ds.scale == 4 and ds.element_spec[0].shape == (4, 7, 7, 1)


def test_skimage_photos_sr_crops():
    skimage_data = pytest.importorskip("skimage.data")
    ds = datasets.load("skimage_photos_sr", "test", batch_size=4, shuffle=False,
                       patch_size=64, scale=4, drop_remainder=False)
    lr, hr = _epoch(ds)
    expected = sum((h // 64) * (w // 64) for h, w in (
        getattr(skimage_data, n)().shape[:2] for n in translation.SR_PHOTOS["test"]))
    assert hr.shape == (expected, 64, 64, 3) and lr.shape == (expected, 16, 16, 3)
    assert ds.num_examples == expected and len(ds) == -(-expected // 4)
    # the first crop: the top-left tile of the grid centered on chelsea (300 x 451)
    chelsea = skimage_data.chelsea()
    top, left = (300 - 4 * 64) // 2, (451 - 7 * 64) // 2
    np.testing.assert_array_equal(_to_uint8(hr[0]), chelsea[top : top + 64, left : left + 64])
    np.testing.assert_allclose(lr, tf.image.resize(hr, (16, 16), method="area"), atol=1e-6)
    # split by photo: no test crop is in train
    train = _epoch(datasets.load("skimage_photos_sr", batch_size=8, shuffle=False,
                                 patch_size=64, drop_remainder=False))[1]
    assert not {x.tobytes() for x in _to_uint8(train)} & {x.tobytes() for x in _to_uint8(hr)}
    default = datasets.load("skimage_photos_sr", batch_size=4, seed=0)
    assert default.element_spec[1].shape == (4, 96, 96, 3) and default.num_examples == 164
    assert datasets.info("skimage_photos_sr")["num_examples"]["train"] == 164


def test_super_resolution_argument_errors():
    with pytest.raises(ValueError, match="scale=3 does not divide the 28x28"):
        datasets.load("fashion_mnist_sr", scale=3)
    with pytest.raises(ValueError, match="scale must be an int >= 2.*got 1"):
        datasets.load("fashion_mnist_sr", scale=1)
    with pytest.raises(TypeError, match="scale must be an int >= 2.*float 2.0"):
        datasets.load("fashion_mnist_sr", scale=2.0)
    with pytest.raises(ValueError, match="patch_size applies to 'skimage_photos_sr' only"):
        datasets.load("fashion_mnist_sr", patch_size=14)
    with pytest.raises(ValueError, match="scale applies to the super-resolution datasets"):
        datasets.load("fashion_mnist_edges", scale=4)
    with pytest.raises(ValueError, match="scale and patch_size apply to the super-resolution"):
        datasets.load("fashion_mnist", scale=4)
    pytest.importorskip("skimage.data")
    with pytest.raises(ValueError, match="pass patch_size=... instead of image_size"):
        datasets.load("skimage_photos_sr", image_size=64)
    with pytest.raises(ValueError, match="scale=4 does not divide the 30x30"):
        datasets.load("skimage_photos_sr", patch_size=30)
    with pytest.raises(ValueError, match="patch_size=1000 is larger than every 'test' photo"):
        datasets.load("skimage_photos_sr", "test", patch_size=1000)
    with pytest.raises(TypeError, match="patch_size must be a positive int"):
        datasets.load("skimage_photos_sr", patch_size="96")


# ---------------------------------------------------------------------------
# load() errors and sources


def test_translation_load_errors(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match=r"yields \(edges, fashion\) image pairs, not class"):
        datasets.load("fashion_mnist_edges", with_labels=True)
    with pytest.raises(ValueError, match="valid splits: 'train', 'test'"):
        datasets.load("fashion_mnist_sneaker_boot", split="trainA")
    with pytest.raises(ValueError, match="fewer than batch_size=64"):
        datasets.load("fashion_mnist_sneaker_boot", batch_size=64, limit=10)
    with pytest.raises(ValueError, match="has no TFDS version"):
        datasets.load("skimage_photos_sr", source="tfds")
    with pytest.raises(DatasetUnavailableError, match="'cycle_gan/horse2zebra' is not prepared"):
        datasets.load("cycle_gan_horse2zebra")
    with pytest.raises(DatasetUnavailableError, match="has no offline source"):
        datasets.load("cycle_gan_horse2zebra", source="offline")
    with pytest.raises(DatasetUnavailableError, match="fashion_mnist'.*not prepared"):
        datasets.load("fashion_mnist_edges", source="tfds")
    monkeypatch.setenv("KERAS_GAN_ZOO_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(
        DatasetUnavailableError,
        match="'fashion_mnist_sr' is made from 'fashion_mnist', which is not available",
    ):
        datasets.load("fashion_mnist_sr")


def test_edges_from_a_prepared_tfds_fashion_mnist(tmp_path, fashion):
    tfds = pytest.importorskip("tensorflow_datasets")
    test = fashion["test"]

    class SmallFashionMNIST(tfds.builder_cls("fashion_mnist"), skip_registration=True):
        name = "fashion_mnist"

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(40), "test": self._generate_examples(60)}

        def _generate_examples(self, n):
            for i in range(n):
                yield i, {"image": np.array(test.images[i]), "label": int(test.labels[i])}

    SmallFashionMNIST(data_dir=str(tmp_path)).download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False)
    )
    ds = datasets.load("fashion_mnist_edges", "test", batch_size=20, data_dir=str(tmp_path),
                       shuffle=False)
    assert ds.source.startswith("fashion_mnist_edges: TFDS fashion_mnist") and len(ds) == 3
    source, target = _epoch(ds)
    assert {x.tobytes() for x in _to_uint8(target)} == {x.tobytes() for x in test.images[:60]}
    np.testing.assert_array_equal(datasets.edge_map(target).numpy(), source)


def test_cycle_gan_from_a_prepared_tfds_dataset(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    rng = np.random.default_rng(0)
    horses = rng.integers(0, 100, (3, 256, 256, 3), dtype=np.uint8)  # dark
    zebras = rng.integers(156, 256, (5, 256, 256, 3), dtype=np.uint8)  # bright

    class SmallCycleGAN(tfds.builder_cls("cycle_gan"), skip_registration=True):
        name = "cycle_gan"

        def _split_generators(self, dl_manager):
            return {
                "trainA": self._examples(horses, "A"), "trainB": self._examples(zebras, "B"),
                "testA": self._examples(horses[:1], "A"), "testB": self._examples(zebras[:1], "B"),
            }

        def _examples(self, images, label):
            for i, image in enumerate(images):
                yield i, {"image": image, "label": label}

    SmallCycleGAN(config="horse2zebra", data_dir=str(tmp_path)).download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False)
    )
    ds = datasets.load("cycle_gan_horse2zebra", batch_size=5, seed=0, data_dir=str(tmp_path))
    assert ds.source.startswith("TFDS cycle_gan/horse2zebra") and ds.num_examples == (3, 5)
    assert ds.domain_names == ("horse", "zebra") and len(ds) == 1
    assert ds.element_spec == (
        tf.TensorSpec((5, 256, 256, 3), tf.float32),
        tf.TensorSpec((5, 256, 256, 3), tf.float32),
    )
    a, b = _epoch(ds)
    assert a.max() < 0 and b.min() > 0  # a: horses (repeated to 5), b: the 5 zebras
    assert {x.tobytes() for x in _to_uint8(a)} == {x.tobytes() for x in horses}
    assert sorted(x.tobytes() for x in _to_uint8(b)) == sorted(x.tobytes() for x in zebras)
    small = datasets.load("cycle_gan_horse2zebra", "test", batch_size=1, image_size=32,
                          data_dir=str(tmp_path), source="tfds")
    assert small.element_spec[0].shape == (1, 32, 32, 3) and len(small) == 1


# ---------------------------------------------------------------------------
# folders


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _pair_folders(root, n=6):
    """a/<name>.png grayscale 8x8 of value 10*i, b/<name>.png RGB 16x12 of value 10*i + 5."""
    for i in range(n):
        sub = "nested/" if i % 2 else ""
        _save(root / "edges" / f"{sub}im{i}.png", np.full((8, 8), 10 * i, np.uint8))
        ext = "jpeg" if i == 0 else "png"  # extensions may differ between partners
        _save(root / "photos" / f"{sub}im{i}.{ext}", np.full((16, 12, 3), 10 * i + 5, np.uint8))
    return root / "edges", root / "photos"


def test_paired_folder_matches_by_name_and_keeps_pairs_aligned(tmp_path):
    a_dir, b_dir = _pair_folders(tmp_path)
    ds = datasets.paired_folder(a_dir, b_dir, channels=(1, 3), batch_size=3, seed=0)
    assert ds.element_spec == (
        tf.TensorSpec((3, 8, 8, 1), tf.float32),
        tf.TensorSpec((3, 16, 12, 3), tf.float32),
    )
    assert len(ds) == 2 and ds.domain_names == ("edges", "photos")
    assert ds.pair_names == ("im0", "im2", "im4", "nested/im1", "nested/im3", "nested/im5")
    a, b = _epoch(ds)
    a_val = _to_uint8(a)[:, 0, 0, 0].astype(int)
    b_val = _to_uint8(b)[:, 0, 0, 0].astype(int)
    assert sorted(a_val.tolist()) == [0, 10, 20, 30, 40, 50]
    assert a_val.tolist() != [0, 10, 20, 30, 40, 50]  # shuffled
    assert np.all(np.abs(b_val - (a_val + 5)) <= 1)  # partners stay together (1: JPEG)
    # image_size: crop + resize both folders; cache=False shuffles file names instead
    small = datasets.paired_folder(a_dir, b_dir, image_size=4, batch_size=6, cache=False,
                                   seed=0, domain_names=("src", "dst"))
    assert small.element_spec[1].shape == (6, 4, 4, 3) and small.domain_names == ("src", "dst")
    a, b = _epoch(small)
    assert np.all(np.abs(_to_uint8(b)[:, 0, 0, 0].astype(int)
                         - _to_uint8(a)[:, 0, 0, 0].astype(int) - 5) <= 1)


def test_paired_folder_errors(tmp_path):
    a_dir, b_dir = _pair_folders(tmp_path)
    _save(a_dir / "only_in_a.png", np.zeros((8, 8), np.uint8))
    _save(b_dir / "deep" / "only_in_b.png", np.zeros((16, 12, 3), np.uint8))
    with pytest.raises(ValueError, match=r"1 \('only_in_a'\) name\(s\) of a_dir .* 1 "
                                         r"\('deep/only_in_b'\) name\(s\) of b_dir"):
        datasets.paired_folder(a_dir, b_dir, batch_size=1)
    (a_dir / "only_in_a.png").unlink()
    (b_dir / "deep" / "only_in_b.png").unlink()
    _save(a_dir / "im2.jpg", np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="a_dir: two images have the name 'im2'"):
        datasets.paired_folder(a_dir, b_dir, batch_size=1)
    (a_dir / "im2.jpg").unlink()
    _save(a_dir / "im2.png", np.zeros((9, 8), np.uint8))  # overwrite with another size
    with pytest.raises(ValueError, match=r"a_dir: with image_size=None every image must have "
                                         r"the same size.*9x8"):
        datasets.paired_folder(a_dir, b_dir, batch_size=1)
    assert len(datasets.paired_folder(a_dir, b_dir, image_size=8, batch_size=1)) == 6
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"b_dir: No images found in folder .*empty.*\.png"):
        datasets.paired_folder(a_dir, empty)
    with pytest.raises(ValueError, match=r"a_dir: Image folder .*missing.* does not exist"):
        datasets.paired_folder(tmp_path / "missing", b_dir)
    with pytest.raises(ValueError, match="fewer than batch_size=7"):
        datasets.paired_folder(a_dir, b_dir, image_size=8, batch_size=7)
    with pytest.raises(ValueError, match="channels must be 1 .* or a pair"):
        datasets.paired_folder(a_dir, b_dir, channels=(1, 4))
    with pytest.raises(ValueError, match="domain_names must be two distinct"):
        datasets.paired_folder(a_dir, b_dir, image_size=8, domain_names=("x", "x"))
    with pytest.raises(TypeError, match="batch_size must be a positive int"):
        datasets.paired_folder(a_dir, b_dir, batch_size=2.0)


def test_unpaired_folder_repeats_the_smaller_domain(tmp_path):
    for i in range(3):
        _save(tmp_path / "a" / f"x{i}.png", np.full((6, 6, 3), 10 * i, np.uint8))
    for i in range(5):
        _save(tmp_path / "b" / f"y{i}.png", np.full((6, 6, 3), 100 + 10 * i, np.uint8))
    ds = datasets.unpaired_folder(tmp_path / "a", tmp_path / "b", batch_size=5, seed=3)
    assert len(ds) == 1 and ds.num_examples == (3, 5) and ds.domain_names == ("a", "b")
    a, b = _epoch(ds)
    a_val = _to_uint8(a)[:, 0, 0, 0].tolist()
    b_val = _to_uint8(b)[:, 0, 0, 0].tolist()
    assert sorted(b_val) == [100, 110, 120, 130, 140]  # the larger domain: each once
    assert set(a_val) == {0, 10, 20} and len(a_val) == 5  # the smaller one: all, repeated
    assert sorted(a_val)[:3] != [0, 0, 0]
    again = _epoch(datasets.unpaired_folder(tmp_path / "a", tmp_path / "b", batch_size=5,
                                            seed=3))
    np.testing.assert_array_equal(again[0], a)
    np.testing.assert_array_equal(again[1], b)
    with pytest.raises(ValueError, match="b_dir: Image folder"):
        datasets.unpaired_folder(tmp_path / "a", tmp_path / "nope")
    with pytest.raises(ValueError, match="fewer than batch_size=6"):
        datasets.unpaired_folder(tmp_path / "a", tmp_path / "b", batch_size=6)


# ---------------------------------------------------------------------------
# a translator trains on it


def test_pix2pix_fits_on_fashion_mnist_edges():
    import keras_gan_zoo as kgz

    ds = datasets.load("fashion_mnist_edges", batch_size=4, seed=0, limit=8, image_size=16)
    model = kgz.create_model("pix2pix_tiny")
    model.compile()
    history = model.fit(ds, epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
