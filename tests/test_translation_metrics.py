"""Measuring translators (keras_gan_zoo.metrics.translation) and publishing their runs:
pixel scores, the baselines, the class share, the grid, the card's table, and the
translation recipe end to end into a copy of the repo."""

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish, registry
from keras_gan_zoo.metrics import translation
from keras_gan_zoo.metrics.extractors import FeatureExtractor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class BrightnessExtractor(FeatureExtractor):
    """A fast stand-in for the domain classifier: features are the mean of each image
    quadrant, and the class is 1 for a bright image (mean > 0), else 0."""

    def __init__(self):
        super().__init__("brightness", (8, 8, 1), feature_dim=4, num_classes=2)

    def _forward(self, images):
        quadrants = tf.stack([tf.reduce_mean(images[:, i:i + 4, j:j + 4], axis=[1, 2, 3])
                              for i in (0, 4) for j in (0, 4)], axis=1)
        bright = tf.reduce_mean(images, axis=[1, 2, 3])
        return quadrants, tf.stack([-bright, bright], axis=1) * 10.0


def _images(n, mean, seed, size=8):
    rng = np.random.default_rng(seed)
    return np.clip(mean + 0.2 * rng.standard_normal((n, size, size, 1)), -1, 1).astype(
        "float32")


class Copier:
    """A 'translator' that copies its input, both ways."""

    directions = ("a_to_b", "b_to_a")

    def translate(self, images, direction="a_to_b", batch_size=64):
        return np.array(images, dtype="float32")


class Inverter(Copier):
    """A translator that maps a dark image to a bright one and back (x -> -x)."""

    def translate(self, images, direction="a_to_b", batch_size=64):
        return -np.array(images, dtype="float32")


# ------------------------------------------------------------------------ pixel scores
def test_identity_on_identical_images_is_perfect():
    images = _images(12, 0.0, 0, size=16)
    scores = translation.pixel_scores(translation.identity(images), images)
    assert scores["l1"] == 0.0 and math.isinf(scores["psnr"]) and scores["ssim"] == 1.0


def test_pixel_scores_use_the_range_of_minus_one_to_one():
    targets = _images(6, 0.0, 1, size=16) * 0.5
    outputs = targets + 0.2  # every pixel off by 0.2: MSE 0.04, max_val 2
    scores = translation.pixel_scores(outputs, targets)
    assert scores["l1"] == pytest.approx(0.2, abs=1e-6)
    assert scores["psnr"] == pytest.approx(10 * math.log10(4 / 0.04), abs=1e-3)  # 20 dB
    assert 0 < scores["ssim"] < 1
    with pytest.raises(ValueError, match="same shape"):
        translation.pixel_scores(outputs[:, :8, :8], targets)
    with pytest.raises(ValueError, match="non-finite"):
        translation.pixel_scores(outputs * np.nan, targets)


def test_bicubic_baseline_keeps_constant_images_and_clips_the_overshoot():
    flat = np.full((2, 4, 4, 1), 0.3, "float32")
    up = translation.bicubic_upsample(flat, 4)
    assert up.shape == (2, 16, 16, 1) and np.allclose(up, 0.3, atol=1e-5)
    step = np.full((1, 4, 4, 1), -1.0, "float32")
    step[:, :, 2:] = 1.0  # bicubic overshoots a full-range step: clipped to [-1, 1]
    raw = tf.image.resize(step, (16, 16), method="bicubic").numpy()
    assert raw.max() > 1.0 and raw.min() < -1.0
    up = translation.bicubic_upsample(step, (16, 16))
    assert up.max() == 1.0 and up.min() == -1.0
    np.testing.assert_allclose(up, np.clip(raw, -1, 1))


# --------------------------------------------------------------- FID and class shares
def test_fid_and_class_share_of_a_translation():
    dark, bright = _images(200, -0.5, 2), _images(200, 0.5, 3)
    extractor = BrightnessExtractor()
    copied = translation.translation_scores(dark, bright, target_class=1, extractor=extractor)
    assert copied["target_class_share"] == 0.0 and copied["fid"] > 0.5
    assert copied["num_images"] == copied["num_real"] == 200
    translated = translation.translation_scores(-dark, bright, target_class=1,
                                                extractor=extractor)
    assert translated["target_class_share"] == 1.0 and translated["fid"] < 0.05
    same = translation.translation_scores(bright, bright, targets=bright,
                                          extractor=extractor)
    assert abs(same["fid"]) < 1e-3 and same["class_match"] == 1.0
    assert same["l1"] == 0.0 and math.isinf(same["psnr"])


def test_a_model_that_copies_its_input_scores_as_the_identity_baseline():
    dark, bright = _images(100, -0.5, 4), _images(100, 0.5, 5)
    plan = {"fashion_mnist_sneaker_boot": {"a": 0, "b": 1}}
    extractor = BrightnessExtractor()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(translation, "TARGET_CLASSES", plan)
        copier = translation.evaluate_translator(Copier(), "fashion_mnist_sneaker_boot",
                                                 extractor=extractor, data=(dark, bright))
        inverter = translation.evaluate_translator(Inverter(), "fashion_mnist_sneaker_boot",
                                                   extractor=extractor, data=(dark, bright))
    assert set(copier["directions"]) == {"a_to_b", "b_to_a"}
    for direction, scores in copier["directions"].items():
        assert scores["model"] == scores["identity"]  # a copy is the identity baseline
        assert scores["model"]["target_class_share"] == 0.0  # a dark "b" is still class 0
        assert "l1" not in scores["model"]  # unpaired: no ground truth
    for direction, scores in inverter["directions"].items():
        assert scores["model"]["target_class_share"] == 1.0
        assert scores["model"]["fid"] < scores["identity"]["fid"]
    assert copier["fid"] == pytest.approx(np.mean(
        [s["model"]["fid"] for s in copier["directions"].values()]), abs=1e-4)
    assert copier["num_images"] == 100 and copier["extractor"] == "brightness"


def test_super_resolution_is_measured_against_bicubic_and_another_translator():
    high = _images(40, 0.0, 6, size=16)
    low = tf.image.resize(high, (4, 4), method="area").numpy()
    srresnet = kgz.create_model("srresnet_tiny", seed=0)
    result = translation.evaluate_translator(
        srresnet, "fashion_mnist_sr", extractor=BrightnessExtractor(), data=(low, high),
        baselines={"bicubic": lambda x, _: translation.bicubic_upsample(x, (16, 16)),
                   "srresnet": srresnet, "ground truth": lambda x, _: high})
    scores = result["directions"]["a_to_b"]
    assert set(scores) == {"model", "bicubic", "srresnet", "ground truth"}
    assert scores["srresnet"] == scores["model"]  # the same network measured twice
    assert math.isinf(scores["ground truth"]["psnr"]) and scores["ground truth"]["l1"] == 0
    assert scores["bicubic"]["psnr"] > scores["model"]["psnr"]  # an untrained SRResNet


def test_test_data_of_the_unpaired_dataset_keeps_each_domain():
    sneakers, boots = translation.translation_test_data("fashion_mnist_sneaker_boot",
                                                        num_images=50)
    assert sneakers.shape == boots.shape == (50, 28, 28, 1)
    assert not np.array_equal(sneakers, boots)
    low, high = translation.translation_test_data("fashion_mnist_sr", num_images=20, scale=4)
    assert low.shape == (20, 7, 7, 1) and high.shape == (20, 28, 28, 1)


# ------------------------------------------------------------------------------ grid
def test_translation_grid_puts_examples_side_by_side(tmp_path):
    low = _images(4, -0.5, 7, size=4)
    outputs, targets = _images(4, 0.0, 8, size=16), _images(4, 0.5, 9, size=16)
    path = translation.translation_grid([low, outputs, targets], tmp_path / "grid.png",
                                        examples_per_row=2)
    grid = np.asarray(Image.open(path))
    assert grid.shape[:2] == (2 * 18 + 2, 6 * 18 + 2)  # 2 rows of 2 examples x 3 columns
    first = grid[2:18, 2:18].astype(float) / 127.5 - 1  # the first input, upsampled x4
    np.testing.assert_allclose(first[::4, ::4, ...].squeeze(), low[0, ..., 0], atol=0.01)
    with pytest.raises(ValueError, match="same number"):
        translation.translation_grid([low, outputs[:3]], tmp_path / "bad.png")


# ------------------------------------------------------------------- the card's table
def _translator_entry():
    scores = {"fid": 10.0, "target_class_share": 0.9, "num_images": 1000, "num_real": 1000}
    identity = {"fid": 200.0, "target_class_share": 0.01, "num_images": 1000,
                "num_real": 1000}
    return {
        "architecture": "cyclegan", "config": {"domain_names": ["sneaker", "ankle_boot"]},
        "dataset": "fashion_mnist_sneaker_boot",
        "files": {"generator": {"file": "g.weights.h5", "sha256": "0" * 64, "size": 10,
                                "packaged": True},
                  "model": {"file": "m.keras", "sha256": "1" * 64, "size": 20,
                            "packaged": False}},
        "metrics": {"fid": 12.0, "extractor": "fashion_mnist", "num_images": 1000,
                    "real": "fashion_mnist_sneaker_boot/test",
                    "directions": {"a_to_b": {"model": scores, "identity": identity},
                                   "b_to_a": {"model": {**scores, "fid": 14.0},
                                              "identity": identity}}},
        "training": {"epochs": 3, "steps": 30, "batch_size": 8, "train_examples": 240,
                     "dtype_policy": "float32", "train_seconds": 10.0},
        "recipe": "python applications/cyclegan_fashion_mnist.py",
    }


def test_card_rows_and_table_of_a_translator():
    entry = _translator_entry()
    rows = publish.card_rows(entry)
    assert rows["FID (mean of both directions)"] == "**12.00**"
    assert rows["sneaker -> ankle_boot"].startswith("FID **10.00** (identity 200.00)")
    assert "assigned to the target class **90.0 %** (identity 1.0 %)" in rows[
        "sneaker -> ankle_boot"]
    assert rows["ankle_boot -> sneaker"].startswith("FID **14.00**")
    table = publish.translation_table({**entry, "name": "cyclegan_fashion_mnist"})
    lines = table.splitlines()
    assert lines[0] == publish.BASELINES_HEADING
    assert "| sneaker -> ankle_boot | **cyclegan_fashion_mnist** | **10.00** | **90.0 %** |" \
        in lines
    assert "| ankle_boot -> sneaker | identity | 200.00 | 1.0 % |" in lines
    entry["metrics"]["directions"]["a_to_b"]["identity"]["psnr"] = float("inf")
    assert "inf" in publish.translation_table(entry)


# ------------------------------------------------------- the recipe, then publish_run
def test_translation_recipe_runs_and_publishes_a_two_domain_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "run"
    command = [sys.executable, os.path.join(REPO, "applications", "cyclegan_fashion_mnist.py"),
               "--limit", "32", "--epochs", "2", "--batch_size", "8", "--base_filters", "4",
               "--num_blocks", "1", "--pool_size", "4", "--check_images", "100",
               "--grid_examples", "4", "--precision", "fp32", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = json.loads((out / "metrics.json").read_text())
    assert run["epochs"] == 2 and run["steps"] == 8 and run["model"] == "cyclegan"
    curve = run["stopping"]["fid_curve"]
    assert [point["epoch"] for point in curve] == [1, 2]
    assert {"fid", "fid_a_to_b", "fid_b_to_a", "target_class_share_a_to_b"} <= set(curve[0])
    evaluation = run["evaluation"]
    assert evaluation["whole_split"] and evaluation["num_images"] == 1000
    for direction in ("a_to_b", "b_to_a"):
        scores = evaluation["directions"][direction]
        assert set(scores) == {"model", "identity"}
        assert 0 <= scores["model"]["target_class_share"] <= 1
        # sneakers are not ankle boots: the identity's share is small, its FID large
        assert scores["identity"]["target_class_share"] < 0.1
        assert scores["identity"]["fid"] > 50
    grid = np.asarray(Image.open(out / "grid.png"))
    assert grid.shape[:2] == (1 * 30 + 2, 12 * 30 + 2)  # 4 examples x 3 columns, one row

    repo = tmp_path / "repo"
    weights = repo / "keras_gan_zoo/applications/weights"
    os.makedirs(weights)
    os.makedirs(repo / "docs/images")
    os.makedirs(repo / "docs/models")
    card = repo / "docs/models/cyclegan.md"
    card.write_text("# CycleGAN\n\n## Pretrained\n\n| | |\n| --- | --- |\n"
                    "| FID (mean of both directions) | old |\n| sneaker -> ankle_boot | old |\n"
                    "\n## Tiny variant\n\ntext\n")
    publish_command = [sys.executable, os.path.join(REPO, "applications", "publish_run.py"),
                       "--run", str(out), "--repo", str(repo), "--name", "translation_test",
                       "--card", "docs/models/cyclegan.md", "--description", "a test run",
                       "--provenance", "this test"]
    for _ in range(2):  # publishing again replaces the table, it does not add a second one
        published = subprocess.run(publish_command, capture_output=True, text=True,
                                   timeout=300)
        assert published.returncode == 0, published.stderr[-3000:]
    text = card.read_text()
    assert text.count(publish.BASELINES_HEADING) == 1 and text.count("### Training record") == 1
    assert text.index(publish.BASELINES_HEADING) < text.index("### Training record") \
        < text.index("## Tiny variant")
    assert "| sneaker -> ankle_boot | FID **" in text and "| old |" not in text
    assert "| FID (mean of both directions) | **" in text
    entry = registry.read_record(weights / "translation_test.json")
    assert entry["metrics"]["directions"] == evaluation["directions"]
    assert (repo / "docs/images/translation_test_pretrained.png").is_file()

    # the published file resolves through kgz.applications and translates both ways
    monkeypatch.setattr(registry, "RECORDS_DIR", str(weights))
    from keras_gan_zoo.applications import download
    monkeypatch.setattr(download, "PACKAGE_DIR", str(weights))
    monkeypatch.setenv("KERAS_GAN_ZOO_CACHE", str(tmp_path / "cache"))
    registry.clear_cache()
    try:
        model = kgz.applications.load_generator("translation_test")
        sneakers, boots = translation.translation_test_data("fashion_mnist_sneaker_boot",
                                                            num_images=4)
        assert model.translate(sneakers).shape == (4, 28, 28, 1)
        assert model.translate(boots, direction="b_to_a").shape == (4, 28, 28, 1)
    finally:
        registry.clear_cache()
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
