"""The keras-gan-zoo command, run in-process on a tiny model and real data."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
from PIL import Image

from keras_gan_zoo import cli

TRAIN = ["train", "dcgan_tiny", "--dataset", "fashion_mnist", "--limit", "256",
         "--batch-size", "64", "--precision", "fp32", "--verbose", "0"]


def test_list_names_models_and_datasets(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("dcgan", "gan", "fashion_mnist", "mnist", "moving_mnist_to_fashion_paired",
                 "fashion_mnist_captions_32"):
        assert name in out
    assert "dcgan_tiny" not in out
    assert cli.main(["list", "--tiny", "dc*"]) == 0
    assert "dcgan_tiny" in capsys.readouterr().out


def test_train_resume_sample_export(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main([*TRAIN, "--epochs", "1", "--out", str(out)]) == 0
    checkpoint = out / "model.keras"
    state = json.loads((out / "model.keras.json").read_text())
    assert state["epochs"] == 1 and state["dtype_policy"] == "float32"
    grid = np.asarray(Image.open(out / "samples" / "latest.png"))
    assert grid.ndim == 2 and grid.shape[0] > 28 * 8  # an 8x8 grid of 28x28 images
    assert (out / "samples" / "epoch_0001.png").is_file()

    # The same command with more epochs resumes from the checkpoint.
    assert cli.main([*TRAIN, "--epochs", "2", "--out", str(out)]) == 0
    assert "Resuming DCGAN" in capsys.readouterr().out
    model = keras.models.load_model(checkpoint)
    assert int(model.generator_optimizer.iterations) == 2 * (256 // 64)
    assert json.loads((out / "model.keras.json").read_text())["epochs"] == 2

    # Nothing left to do: says so and leaves the checkpoint alone.
    before = checkpoint.stat().st_mtime_ns
    assert cli.main([*TRAIN, "--epochs", "2", "--out", str(out)]) == 0
    assert "already has 2 epochs" in capsys.readouterr().out
    assert checkpoint.stat().st_mtime_ns == before
    assert not [p for p in os.listdir(out) if p.startswith(".model.keras.")]

    grid_path = tmp_path / "grid.png"
    assert cli.main(["sample", str(checkpoint), "--out", str(grid_path), "--num", "9"]) == 0
    assert Image.open(grid_path).size == (3 * 28 + 4 * 2, 3 * 28 + 4 * 2)

    export_dir = tmp_path / "generator"
    assert cli.main(["export", str(checkpoint), str(export_dir)]) == 0
    assert (export_dir / "saved_model.pb").is_file()


def test_train_with_overrides_and_restart(tmp_path):
    out = tmp_path / "run"
    args = [*TRAIN, "--epochs", "1", "--out", str(out), "--set", "base_filters=2",
            "--set", "latent_dim=4"]
    assert cli.main(args) == 0
    model = keras.models.load_model(out / "model.keras")
    assert model.base_filters == 2 and model.latent_dim == 4
    assert cli.main([*args, "--restart"]) == 0
    assert json.loads((out / "model.keras.json").read_text())["epochs"] == 1


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert cli.main(["train", "dcgna", "--out", str(tmp_path / "a"), "--limit", "64"]) == 2
    assert "Unknown model 'dcgna'" in capsys.readouterr().err
    assert cli.main(["train", "dcgan_tiny", "--dataset", "fashon_mnist",
                     "--out", str(tmp_path / "b")]) == 2
    assert "Did you mean 'fashion_mnist'" in capsys.readouterr().err
    try:
        cli.main(["sample", str(tmp_path / "missing.keras")])
    except SystemExit as stop:
        assert "no checkpoint" in str(stop)
    else:
        raise AssertionError("sample of a missing checkpoint should stop")


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "keras_gan_zoo.cli", "list", "gan"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "gan " in result.stdout


def test_train_conditional_model_uses_labels_and_class_rows(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "cgan_tiny", "--dataset", "fashion_mnist", "--limit", "128",
                     "--batch-size", "64", "--precision", "fp32", "--verbose", "0",
                     "--epochs", "1", "--out", str(out)]) == 0
    model = keras.models.load_model(out / "model.keras")
    assert model.num_classes == 10  # taken from the dataset
    grid = np.asarray(Image.open(out / "samples" / "latest.png"))
    assert grid.shape[0] == grid.shape[1] == 10 * 28 + 11 * 2  # one row per class
