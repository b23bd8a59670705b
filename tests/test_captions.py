"""Tests of keras_gan_zoo.datasets.captions: the captioned Fashion-MNIST (real offline IDX
files of the Debian package dataset-fashion-mnist), attributes read from synthetic images,
the caption vocabulary and its check, and caption_folder on files written here."""

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gan_zoo import datasets
from keras_gan_zoo.datasets import captions as C

NAME = "fashion_mnist_captions"


pytestmark = pytest.mark.usefixtures("offline_datasets_only")


def _epoch(ds):
    """One epoch of a batched dataset as numpy arrays (captions as str)."""
    parts = list(ds.as_numpy_iterator())
    images = np.concatenate([p[0] for p in parts])
    captions = [c.decode() for p in parts for c in p[1]]
    return images, captions


def _canvas():
    return np.full((28, 28), -1.0, np.float32)


# ---------------------------------------------------------------------------
# the named dataset


def test_catalog_entries():
    assert datasets.list_datasets("captions") == [NAME, "fashion_mnist_captions_32"]
    assert NAME not in datasets.list_datasets()  # the default lists image datasets
    info = datasets.info(NAME)
    assert info["image_shape"] == (28, 28, 1) and info["kind"] == "captions"
    assert info["base"] == "fashion_mnist" and info["content_box"] is None
    assert datasets.info("fashion_mnist_captions_32")["content_box"] == (2, 2, 28, 28)


def test_load_shapes_dtypes_and_captions_belong_to_their_images():
    ds = datasets.load(NAME, batch_size=8, shuffle=False, seed=0, limit=32)
    assert ds.element_spec == (tf.TensorSpec((8, 28, 28, 1), tf.float32),
                               tf.TensorSpec((8,), tf.string))
    images, captions = _epoch(ds)
    data = datasets.caption_arrays(NAME, limit=32)
    assert images.shape == (32, 28, 28, 1) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    np.testing.assert_allclose(images, data.images / 127.5 - 1.0, atol=1e-6)
    for caption, own in zip(captions, data.captions):
        assert caption in own
    assert ds.vocabulary == datasets.caption_vocabulary() and ds.num_examples == 32
    assert "fashion-mnist" in ds.source


def test_with_labels_and_padded_variant_match_the_base():
    base = datasets.load(NAME, batch_size=8, seed=5, limit=16, with_labels=True)
    padded = datasets.load("fashion_mnist_captions_32", batch_size=8, seed=5, limit=16,
                           with_labels=True)
    assert padded.element_spec[0].shape == (8, 32, 32, 1)
    assert base.element_spec[2] == tf.TensorSpec((8,), tf.int32)
    for (im, cap, lab), (im32, cap32, lab32) in zip(base, padded):
        np.testing.assert_array_equal(
            tf.pad(im, [[0, 0], [2, 2], [2, 2], [0, 0]], constant_values=-1.0), im32)
        np.testing.assert_array_equal(cap, cap32)
        np.testing.assert_array_equal(lab, lab32)
        names = [C.CLASS_CAPTION_NAMES[int(label)] for label in lab.numpy()]
        assert all(name in caption.decode() for caption, name in zip(cap.numpy(), names))


def test_same_seed_same_epochs_new_caption_each_epoch():
    def two_epochs(seed):
        ds = datasets.load(NAME, batch_size=16, seed=seed, limit=64)
        return [_epoch(ds) for _ in range(2)]

    first, again = two_epochs(7), two_epochs(7)
    for (im_a, cap_a), (im_b, cap_b) in zip(first, again):
        np.testing.assert_array_equal(im_a, im_b)
        assert cap_a == cap_b
    assert first[0][1] != first[1][1]  # reshuffled and redrawn each epoch
    assert two_epochs(8)[0][1] != first[0][1]


def test_each_epoch_draws_one_of_the_five_captions():
    ds = datasets.load(NAME, batch_size=4, shuffle=False, seed=1, limit=4)
    data = datasets.caption_arrays(NAME, limit=4)
    drawn = [set() for _ in range(4)]
    for _ in range(30):
        for i, caption in enumerate(_epoch(ds)[1]):
            drawn[i].add(caption)
    for seen, own in zip(drawn, data.captions):
        assert seen <= set(own)
        assert len(seen) >= 4  # 30 draws of 5 captions: all but a rare one are seen


def test_class_name_alone_is_a_caption():
    data = datasets.caption_arrays(NAME, split="test", limit=300)
    assert data.captions.shape == (300, C.NUM_CAPTIONS)
    for label, captions in zip(data.labels, data.captions):
        assert captions[0] == C.CLASS_CAPTION_NAMES[label]
        assert len(set(captions)) == C.NUM_CAPTIONS
    for name in ("ankle boot", "trouser", "t-shirt"):
        assert datasets.check_caption(name) == name
    assert C.template_captions("ankle boot", "dark", "small", "tall") == (
        "ankle boot", "a dark ankle boot", "a small ankle boot", "a tall ankle boot",
        "a small dark tall ankle boot")
    assert C.template_captions(1, "medium", "medium") == (
        "trouser", "a grey trouser", "a medium-sized trouser", "a medium-sized grey trouser",
        "a trouser that is medium-sized and grey")
    assert C.template_captions("bag", "light", "large", "with a handle")[4] == \
        "a large light bag with a handle"


def test_thresholds_are_the_training_quantiles_and_every_value_is_common():
    data = datasets.caption_arrays(NAME)  # the 60,000 training images
    fitted = C.fit_thresholds(data.images, data.labels)
    assert fitted["brightness"] == C.BRIGHTNESS_THRESHOLDS
    assert fitted["size"] == C.SIZE_THRESHOLDS
    assert fitted["footwear_height"] == C.FOOTWEAR_HEIGHT_THRESHOLDS
    for label in range(10):
        in_class = data.labels == label
        for key, values in (("brightness", C.BRIGHTNESS_VALUES), ("size", C.SIZE_VALUES)):
            for value in values:
                share = np.mean(data.attributes[key][in_class] == value)
                assert 0.3 < share < 0.37, (label, key, value, share)
        for value in C.STYLE_VALUES.get(label, ()):
            assert np.mean(data.attributes["style"][in_class] == value) > 0.01, (label, value)


# ---------------------------------------------------------------------------
# attributes read from synthetic images


def test_bright_full_frame_is_large_and_light_and_dim_speck_small_and_dark():
    full = np.ones((10, 28, 28, 1), np.float32)
    attributes = datasets.image_attributes(full, np.arange(10))
    assert set(attributes["size"]) == {"large"} and set(attributes["brightness"]) == {"light"}
    speck = np.stack([_canvas()] * 10)
    speck[:, 12:16, 12:16] = 0.3 * 2 - 1  # intensity 0.3, 16 pixels
    attributes = datasets.image_attributes(speck, np.arange(10))
    assert set(attributes["size"]) == {"small"} and set(attributes["brightness"]) == {"dark"}
    empty = np.zeros((1, 28, 28), np.uint8)  # all background: measured as zeros
    assert datasets.image_attributes(empty, [3])["size"][0] == "small"


def test_statistics_are_exact_on_simple_shapes():
    square = _canvas()
    square[7:21, 7:21] = 1.0  # 14 x 14 of 28 x 28
    stats = C.image_statistics(square[None])
    assert stats["coverage"][0] == pytest.approx(0.25)
    assert stats["brightness"][0] == pytest.approx(1.0)
    assert stats["height_ratio"][0] == pytest.approx(1.0)
    as_bytes = C.image_statistics(np.round((square[None, ..., None] + 1) * 127.5).astype(np.uint8))
    assert as_bytes["coverage"][0] == pytest.approx(0.25)
    grey = _canvas()
    grey[:, :14] = 0.0  # intensity 0.5 on the left half
    assert C.image_statistics(grey[None])["brightness"][0] == pytest.approx(0.5)


def test_sleeves_from_the_width_profile():
    t_shape = _canvas()
    t_shape[2:10, 2:26] = 1.0   # shoulders and short sleeves, 24 wide
    t_shape[10:27, 8:20] = 1.0  # torso, 12 wide
    rectangle = _canvas()
    rectangle[2:27, 3:25] = 1.0  # sleeves down to the hem
    tank = _canvas()
    tank[1:27, 9:19] = 1.0  # 10 wide, 26 high
    images = np.stack([t_shape, rectangle, tank, tank, t_shape])
    labels = [C.T_SHIRT, C.PULLOVER, C.T_SHIRT, C.COAT, C.SHIRT]
    stats = C.image_statistics(images)
    assert stats["sleeve_ratio"][0] == pytest.approx(0.5)
    assert list(datasets.image_attributes(images, labels)["style"]) == [
        "short-sleeved", "long-sleeved", "sleeveless", "long-sleeved", "short-sleeved"]


def test_footwear_height_and_bag_handle():
    low = _canvas()
    low[18:27, 1:27] = 1.0  # 9 high, 26 long
    high = _canvas()
    high[4:27, 4:24] = 1.0  # 23 high, 20 long
    body = _canvas()
    body[11:27, 3:25] = 1.0
    handle = body.copy()
    handle[3, 9:19] = 1.0
    handle[4:11, 8] = handle[4:11, 19] = 1.0  # a loop over the body
    images = np.stack([low, high, low, high, low, high, body, handle, low, body])
    labels = [C.SNEAKER, C.SNEAKER, C.SANDAL, C.SANDAL, C.ANKLE_BOOT, C.ANKLE_BOOT,
              C.BAG, C.BAG, C.TROUSER, C.DRESS]
    assert list(datasets.image_attributes(images, labels)["style"]) == [
        "low-top", "high-top", "flat", "high-heeled", "short", "tall",
        "without a handle", "with a handle", "", ""]
    assert C.image_statistics(handle[None])["handle_fraction"][0] == pytest.approx(8 / 24)


def test_image_captions_of_synthetic_images():
    full = np.ones((2, 28, 28), np.float32)
    captions = datasets.image_captions(full, [C.PULLOVER, C.ANKLE_BOOT])
    assert captions.shape == (2, 5)
    assert list(captions[0]) == ["pullover", "a light pullover", "a large pullover",
                                 "a long-sleeved pullover", "a large light long-sleeved pullover"]
    assert captions[1, 1] == "a light ankle boot"


def test_attribute_input_errors():
    with pytest.raises(ValueError, match="one channel"):
        datasets.image_attributes(np.zeros((2, 28, 28, 3), np.uint8), [0, 1])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        datasets.image_attributes(np.full((1, 28, 28), 2.0, np.float32), [0])
    with pytest.raises(ValueError, match="labels must be 2 integer class labels"):
        datasets.image_attributes(np.zeros((2, 28, 28), np.uint8), [0])
    with pytest.raises(ValueError, match="classes 0..9"):
        datasets.image_attributes(np.zeros((1, 28, 28), np.uint8), [10])
    with pytest.raises(TypeError, match="uint8"):
        datasets.image_attributes(np.zeros((1, 28, 28), np.int32), [0])
    with pytest.raises(ValueError, match="style of a pullover must be one of"):
        C.template_captions("pullover", "dark", "large", "sleeveless")
    with pytest.raises(ValueError, match="class_name must be one of"):
        C.template_captions("T-shirt/top", "dark", "large", "sleeveless")
    with pytest.raises(ValueError, match="brightness must be one of"):
        C.template_captions("bag", "bright", "large", "with a handle")


# ---------------------------------------------------------------------------
# vocabulary and caption check


def test_vocabulary_covers_every_caption_and_keras_finds_no_oov():
    vocabulary = datasets.caption_vocabulary()
    assert list(vocabulary) == sorted(set(vocabulary))
    assert {"t-shirt", "ankle", "boot", "long-sleeved", "high-top", "grey"} <= set(vocabulary)
    every = [c for _, captions in C._all_caption_sets() for c in captions]
    real = list(datasets.caption_arrays(NAME, limit=500).captions.ravel())
    for caption in every + real:
        assert set(caption.split()) <= set(vocabulary), caption
        assert datasets.check_caption(caption) == caption
    vectorize = keras.layers.TextVectorization(
        standardize="lower", split="whitespace", vocabulary=list(vocabulary))
    ids = vectorize(tf.constant(every)).numpy()
    assert not (ids == 1).any()  # 1 is the OOV index, 0 the padding
    lookup = keras.layers.StringLookup(vocabulary=list(vocabulary), num_oov_indices=0)
    assert lookup(tf.constant(["a", "t-shirt"])).numpy().tolist() == [
        vocabulary.index("a"), vocabulary.index("t-shirt")]


def test_check_caption_names_unknown_words_and_close_ones():
    assert datasets.check_caption("  A Dark   Long-Sleeved Pullover ") == \
        "a dark long-sleeved pullover"
    with pytest.raises(ValueError, match=r"1 word not in the vocabulary: 'drak' "
                                         r"\(close: 'dark'"):
        datasets.check_caption("a drak pullover")
    with pytest.raises(ValueError) as err:
        datasets.check_caption("a red pulover with zebra stripes")
    message = str(err.value)
    for word in ("'red'", "'pulover'", "'zebra'", "'stripes'"):
        assert word in message
    assert "'pullover'" in message and "no close word" in message
    assert "t-shirt" in message  # the known words are listed
    with pytest.raises(ValueError, match="'purple'"):
        datasets.check_caption("purple", vocabulary=["red", "blue"])
    with pytest.raises(ValueError, match="empty"):
        datasets.check_caption("   ")
    with pytest.raises(TypeError, match="must be a str"):
        datasets.check_caption(["a", "bag"])


# ---------------------------------------------------------------------------
# caption_folder


def _write_png(path, value, size=(20, 20)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size, value, np.uint8)).save(path)


def test_caption_folder_pairs_images_with_their_text(tmp_path, caplog):
    _write_png(tmp_path / "a.png", 0)
    (tmp_path / "a.txt").write_text("a black square\n\n  a dark square  \n")
    _write_png(tmp_path / "sub" / "b.png", 255, size=(30, 40))
    (tmp_path / "sub" / "b.txt").write_text("A White Square\n")
    (tmp_path / "notes.txt").write_text("no image for me\n")
    with caplog.at_level(logging.WARNING):
        ds = datasets.caption_folder(tmp_path, image_size=16, channels=1, batch_size=2,
                                     shuffle=False, seed=0)
    assert "notes.txt" in caplog.text
    assert ds.element_spec == (tf.TensorSpec((2, 16, 16, 1), tf.float32),
                               tf.TensorSpec((2,), tf.string))
    assert ds.captions == (("a black square", "a dark square"), ("A White Square",))
    assert ds.vocabulary == ("a", "black", "dark", "square", "white")
    drawn = set()
    for _ in range(12):
        images, captions = _epoch(ds)
        assert images[0].max() == -1.0 and images[1].min() == 1.0
        assert captions[0] in ds.captions[0] and captions[1] == "A White Square"
        drawn.add(captions[0])
    assert drawn == {"a black square", "a dark square"}
    same = datasets.caption_folder(tmp_path, image_size=16, channels=1, batch_size=2, seed=3)
    again = datasets.caption_folder(tmp_path, image_size=16, channels=1, batch_size=2, seed=3)
    assert [_epoch(same)[1] for _ in range(4)] == [_epoch(again)[1] for _ in range(4)]


def test_caption_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        datasets.caption_folder(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="No images found"):
        datasets.caption_folder(tmp_path)
    _write_png(tmp_path / "a.png", 10)
    _write_png(tmp_path / "b.png", 20)
    (tmp_path / "a.txt").write_text("a dark square\n")
    with pytest.raises(ValueError, match=r"1 of the 2 images .* no caption file.*b\.txt"):
        datasets.caption_folder(tmp_path, batch_size=1)
    (tmp_path / "b.txt").write_text("\n   \n")
    with pytest.raises(ValueError, match=r"hold no caption.*b\.txt"):
        datasets.caption_folder(tmp_path, batch_size=1)
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(ValueError, match="not valid utf-8"):
        datasets.caption_folder(tmp_path, batch_size=1)
    (tmp_path / "b.txt").write_text("a grey square\n")
    with pytest.raises(ValueError, match="fewer than batch_size=4"):
        datasets.caption_folder(tmp_path, batch_size=4)
    with pytest.raises(ValueError, match="channels must be 1"):
        datasets.caption_folder(tmp_path, channels=2, batch_size=1)
    with pytest.raises(ValueError, match="image_size"):
        datasets.caption_folder(tmp_path, image_size=(0, 4), batch_size=1)


# ---------------------------------------------------------------------------
# load's argument errors


def test_bad_arguments():
    with pytest.raises(ValueError, match="valid splits: 'train', 'test'"):
        datasets.load(NAME, split="validation")
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        datasets.load(NAME, batch_size=0)
    with pytest.raises(TypeError, match="limit must be None or a positive int"):
        datasets.load(NAME, limit=2.5)
    with pytest.raises(ValueError, match="scale and patch_size apply"):
        datasets.load(NAME, scale=2, limit=8, batch_size=4)
    with pytest.raises(ValueError, match="fewer than batch_size=16"):
        datasets.load(NAME, limit=8, batch_size=16)
    with pytest.raises(ValueError, match="not a captioned dataset"):
        datasets.caption_arrays("fashion_mnist")
    with pytest.raises(ValueError, match="valid splits"):
        datasets.caption_arrays(NAME, split="val")
    with pytest.raises(ValueError, match="source must be one of"):
        datasets.caption_arrays(NAME, source="internet")
    with pytest.raises(ValueError, match="source must be one of"):
        datasets.load(NAME, source="internet")
    with pytest.raises(ValueError, match="Did you mean 'fashion_mnist_captions'"):
        datasets.load("fashion_mnist_caption")
