"""`keras-gan-zoo train` for the text and video models: gan_cls on captioned images,
sentence_vae on a text file, video_gan and recycle_gan on rendered videos.

Each model trains one epoch, resumes to a second, and must end with the arrays (weights
and optimizer state) of an uninterrupted two-epoch run, bit for bit: the epoch-indexed
streams of the caption, sentence and video datasets give a resumed run the batches an
uninterrupted one sees. Tiny variants, a few steps each, in-process.
"""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli
from contract_helpers import assert_same_keras_files

COMMON = ["--precision", "fp32", "--verbose", "0", "--seed", "1"]
#: per tiny variant: its options and the file every epoch writes into OUT/samples/.
CASES = {
    "gan_cls_tiny": (["--limit", "48", "--batch-size", "16"], "png"),
    "sentence_vae_tiny": (["--text", "{text}", "--batch-size", "8"], "txt"),
    "video_gan_tiny": (["--limit", "8", "--batch-size", "4", "--set", "frame_shape=(16,16,1)"],
                       "png"),
    "recycle_gan_tiny": (["--limit", "8", "--batch-size", "4",
                          "--set", "image_shape=(16,16,1)"], "png"),
}


@pytest.fixture(scope="module")
def verse_file(tmp_path_factory):
    """200 lines of the verse corpus, one per line (a user's own text file)."""
    path = tmp_path_factory.mktemp("text") / "verse.txt"
    path.write_text("\n".join(kgz.datasets.verse_lines("train")[:200]) + "\n")
    return str(path)


def _train(name, out, epochs, verse_file):
    options, _ = CASES[name]
    options = [option.format(text=verse_file) for option in options]
    return cli.main(["train", name, *options, *COMMON, "--epochs", str(epochs),
                     "--out", str(out)])


@pytest.mark.parametrize("name", sorted(CASES))
def test_trains_and_resumes_like_an_uninterrupted_run(name, tmp_path, capsys, verse_file):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert _train(name, whole, 2, verse_file) == 0
    assert _train(name, resumed, 1, verse_file) == 0
    capsys.readouterr()
    assert _train(name, resumed, 2, verse_file) == 0
    assert "Resuming" in capsys.readouterr().out
    assert_same_keras_files(whole / "model.keras", resumed / "model.keras")
    assert json.loads((resumed / "model.keras.json").read_text())["epochs"] == 2
    suffix = CASES[name][1]
    for epoch in (1, 2):
        assert (resumed / "samples" / f"epoch_{epoch:04d}.{suffix}").is_file()
    history = [json.loads(line) for line in (resumed / "history.json").read_text().splitlines()]
    assert [h["epochs"] for h in history] == [[0], [1]]


def test_gan_cls_grid_has_a_row_per_class_name(tmp_path, verse_file):
    out = tmp_path / "gan_cls"
    assert _train("gan_cls_tiny", out, 1, verse_file) == 0
    model = keras.models.load_model(out / "model.keras")
    assert model.image_shape == (28, 28, 1)  # built for the dataset's images
    # 10 class names (rows) x 8 samples, 2 pixels of padding around each 28x28 tile
    assert Image.open(out / "samples" / "latest.png").size == (8 * 30 + 2, 10 * 30 + 2)


def test_video_models_train_on_pooled_frames_and_show_test_videos(tmp_path, capsys,
                                                                  verse_file):
    out = tmp_path / "video"
    assert _train("video_gan_tiny", out, 1, verse_file) == 0
    printed = capsys.readouterr().out
    assert "moving_mnist" in printed and "context | prediction" in printed
    model = keras.models.load_model(out / "model.keras")
    k = model.context_frames
    # 4 test videos x (truth row, prediction row) of k + (k + 1) frames of 16x16
    assert Image.open(out / "samples" / "latest.png").size == ((2 * k + 1) * 18 + 2,
                                                               8 * 18 + 2)
    out = tmp_path / "recycle"
    assert _train("recycle_gan_tiny", out, 1, verse_file) == 0
    printed = capsys.readouterr().out
    model = keras.models.load_model(out / "model.keras")
    assert tuple(model.domain_names) == ("digits", "fashion")
    assert "digits frames | translated" in printed
    # 2 directions x 4 test videos x (input, translated) rows of 2 (k + 1) frames
    frames = 2 * (model.context_frames + 1)
    assert Image.open(out / "samples" / "latest.png").size == (frames * 18 + 2, 16 * 18 + 2)


def test_sentence_vae_trains_on_the_text_file_and_reports_the_test_split(tmp_path, capsys,
                                                                        verse_file):
    out = tmp_path / "sentences"
    assert _train("sentence_vae_tiny", out, 1, verse_file) == 0
    printed = capsys.readouterr().out
    assert "180 sentences" in printed  # 90% of the 200 lines
    line = next(line for line in printed.splitlines() if line.startswith("Test ("))
    assert "NLL" in line and "perplexity" in line
    samples = (out / "samples" / "latest.txt").read_text().splitlines()
    model = keras.models.load_model(out / "model.keras")
    assert samples == model.generate(10, seed=1)
    lines = kgz.datasets.text_lines(verse_file, "train", seed=1)
    assert set(model.vocabulary) >= {w for w, n in _counts(lines).items() if n >= 2}


def _counts(sentences):
    counts = {}
    for sentence in sentences:
        for word in kgz.datasets.tokenize(sentence):
            counts[word] = counts.get(word, 0) + 1
    return counts


@pytest.mark.parametrize("name, dataset, expected", [
    ("video_gan", "fashion_mnist", "moving_mnist"),
    ("video_gan", "moving_mnist_to_fashion", "videos of one domain"),
    ("recycle_gan", "moving_mnist", "moving_mnist_to_fashion"),
    ("gan_cls", "fashion_mnist", "fashion_mnist_captions"),
    ("dcgan", "fashion_mnist_captions", "trains on images"),
    ("dcgan", "moving_mnist", "trains on images"),
    ("sentence_vae", "mnist", "--text FILE"),
])
def test_a_dataset_of_the_wrong_kind_is_refused_with_the_suitable_ones(
        name, dataset, expected, tmp_path, capsys):
    assert cli.main(["train", name, "--dataset", dataset, "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err
    assert expected in error and dataset in error
    assert not (tmp_path / "x" / "model.keras").exists()


def test_a_checkpoint_of_another_model_in_out_is_not_resumed(tmp_path, capsys, verse_file):
    out = tmp_path / "shared"
    assert _train("sentence_vae_tiny", out, 1, verse_file) == 0
    before = (out / "model.keras").read_bytes()
    capsys.readouterr()
    assert _train("video_gan_tiny", out, 2, verse_file) == 2
    error = capsys.readouterr().err
    assert "checkpoint of SentenceVAE, not of VideoGAN" in error and "--restart" in error
    assert (out / "model.keras").read_bytes() == before


def test_video_and_caption_streams_are_epoch_indexed():
    """Epoch e of a stream started at 0 equals the first epoch of one started at e."""
    def batches(ds, n):
        return [np.asarray(x[0] if isinstance(x, tuple) else x)
                for x in ds.take(n).as_numpy_iterator()]

    for name in ("moving_mnist", "moving_mnist_to_fashion"):
        kwargs = dict(batch_size=4, seed=2, limit=8, num_frames=3)
        stream = kgz.datasets.load(name, start_epoch=0, **kwargs)
        later = kgz.datasets.load(name, start_epoch=1, **kwargs)
        assert stream.batches_per_epoch == 2
        first = batches(stream, 4)
        assert not np.array_equal(first[0], first[2])  # every epoch new videos
        for a, b in zip(first[2:], batches(later, 2)):
            np.testing.assert_array_equal(a, b)
    kwargs = dict(batch_size=4, seed=3, limit=8)
    stream = list(kgz.datasets.load("fashion_mnist_captions", start_epoch=0, **kwargs)
                  .take(4).as_numpy_iterator())
    later = list(kgz.datasets.load("fashion_mnist_captions", start_epoch=1, **kwargs)
                 .take(2).as_numpy_iterator())
    for (images, captions), (images_b, captions_b) in zip(stream[2:], later):
        np.testing.assert_array_equal(images, images_b)
        assert captions.tolist() == captions_b.tolist()
    lines = kgz.datasets.verse_lines("train")[:40]
    vocabulary = kgz.datasets.build_word_vocabulary(lines, min_count=1)
    stream = kgz.datasets.sentence_dataset(lines, vocabulary, 8, seed=0, start_epoch=0)
    later = kgz.datasets.sentence_dataset(lines, vocabulary, 8, seed=0, start_epoch=1)
    assert stream.batches_per_epoch == 5
    for a, b in zip(batches(stream, 10)[5:], batches(later, 5)):
        np.testing.assert_array_equal(a, b)
