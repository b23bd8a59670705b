"""`keras-gan-zoo train` for translators (pix2pix, CycleGAN, SRResNet) on the real
Fashion-MNIST translation datasets, and the TranslationGrid callback.

Each CLI run trains a model of 4 base filters for 2 steps of 16 examples (--limit,
--steps-per-epoch), in-process.
"""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli

FAST = ["--limit", "64", "--batch-size", "16", "--steps-per-epoch", "2", "--precision", "fp32",
        "--verbose", "0", "--set", "base_filters=4"]


def _grid_size(columns, rows, examples_per_row=4, size=28, padding=2):
    """(width, height) of a translation grid of 28x28 tiles."""
    tiles = columns * examples_per_row
    return (tiles * size + (tiles + 1) * padding, rows * size + (rows + 1) * padding)


def _train(model, dataset, out, epochs, *extra):
    return cli.main(["train", model, "--dataset", dataset, "--epochs", str(epochs),
                     "--out", str(out), *FAST, *extra])


def test_pix2pix_trains_from_the_cli_and_resumes(tmp_path, capsys):
    out = tmp_path / "p2p"
    assert _train("pix2pix", "fashion_mnist_edges", out, 1) == 0
    printed = capsys.readouterr().out
    assert "edges -> fashion" in printed and "input | output | target" in printed
    state = json.loads((out / "model.keras.json").read_text())
    assert state["epochs"] == 1 and state["dtype_policy"] == "float32"
    model = keras.models.load_model(out / "model.keras")
    assert type(model).__name__ == "Pix2Pix"
    assert model.image_shape == (28, 28, 1) and model.base_filters == 4
    assert tuple(model.domain_names) == ("edges", "fashion")
    assert (out / "samples" / "epoch_0001.png").is_file()
    # 8 test examples, 4 per row, input | output | target
    assert Image.open(out / "samples" / "latest.png").size == _grid_size(3, 2)

    assert _train("pix2pix", "fashion_mnist_edges", out, 2) == 0
    assert "Resuming Pix2Pix" in capsys.readouterr().out
    model = keras.models.load_model(out / "model.keras")
    assert int(model.generator_optimizer.iterations) == 4
    assert json.loads((out / "model.keras.json").read_text())["epochs"] == 2
    assert (out / "samples" / "epoch_0002.png").is_file()
    history = [json.loads(line) for line in (out / "history.json").read_text().splitlines()]
    assert [h["epochs"] for h in history] == [[0], [1]] and "l1" in history[0]

    assert _train("pix2pix", "fashion_mnist_edges", out, 2) == 0
    assert "already has 2 epochs" in capsys.readouterr().out


def test_cyclegan_trains_both_directions_and_resumes(tmp_path, capsys):
    out = tmp_path / "cyclegan"
    assert _train("cyclegan", "fashion_mnist_sneaker_boot", out, 1, "--set", "num_blocks=1") == 0
    assert "sneaker <-> ankle_boot" in capsys.readouterr().out
    model = keras.models.load_model(out / "model.keras")
    assert tuple(model.domain_names) == ("sneaker", "ankle_boot")
    assert model.image_shape == (28, 28, 1) and model.num_blocks == 1
    # input | output | translated back; a -> b rows then b -> a rows
    assert Image.open(out / "samples" / "latest.png").size == _grid_size(3, 4)

    assert _train("cyclegan", "fashion_mnist_sneaker_boot", out, 2) == 0
    assert "Resuming CycleGAN" in capsys.readouterr().out
    model = keras.models.load_model(out / "model.keras")
    assert int(model.generator_optimizer.iterations) == 4
    assert (out / "samples" / "epoch_0002.png").is_file()


def test_srresnet_takes_the_datasets_scale(tmp_path, capsys):
    out = tmp_path / "sr"
    assert _train("srresnet", "fashion_mnist_sr", out, 1, "--scale", "2",
                  "--set", "num_blocks=1") == 0
    model = keras.models.load_model(out / "model.keras")
    assert model.scale == 2 and model.image_shape == (14, 14, 1)
    assert model.target_shape == (28, 28, 1)
    assert tuple(model.domain_names) == ("low_res", "high_res")
    assert Image.open(out / "samples" / "latest.png").size == _grid_size(3, 2)
    capsys.readouterr()
    # a resume at another scale, or as another model, is refused
    assert _train("srresnet", "fashion_mnist_sr", out, 2, "--scale", "4") == 2
    assert "upscales x2; got --scale 4" in capsys.readouterr().err
    assert _train("srgan", "fashion_mnist_sr", out, 2) == 2
    assert "checkpoint of SRResNet, not of SRGAN" in capsys.readouterr().err


@pytest.mark.parametrize("model, dataset, expected", [
    ("pix2pix", "fashion_mnist", "fashion_mnist_edges"),  # an image dataset
    ("pix2pix", "fashion_mnist_sneaker_boot", "fashion_mnist_edges"),  # unaligned
    ("cyclegan", "fashion_mnist_sr", "fashion_mnist_sneaker_boot"),  # super-resolution
    ("srgan", "fashion_mnist_edges", "fashion_mnist_sr"),
    ("dcgan_tiny", "fashion_mnist_edges", "fashion_mnist"),  # a generator on pairs
])
def test_mismatched_model_and_dataset_is_a_clear_error(tmp_path, capsys, model, dataset,
                                                       expected):
    assert cli.main(["train", model, "--dataset", dataset, "--out", str(tmp_path / "run"),
                     "--verbose", "0"]) == 2
    error = capsys.readouterr().err
    assert repr(dataset) in error and expected in error
    assert not (tmp_path / "run").exists()


def test_scale_flag_errors(tmp_path, capsys):
    run = ["--out", str(tmp_path / "run"), "--verbose", "0"]
    assert cli.main(["train", "pix2pix", "--dataset", "fashion_mnist_edges", "--scale", "4",
                     *run]) == 2
    assert "--scale applies to the super-resolution datasets" in capsys.readouterr().err
    # without --dataset, a translator takes the Fashion-MNIST dataset of its kind
    assert cli.main(["train", "cyclegan", "--scale", "4", *run]) == 2
    assert "'fashion_mnist_sneaker_boot' is unpaired" in capsys.readouterr().err
    assert cli.main(["train", "srgan", "--dataset", "fashion_mnist_sr", "--scale", "4",
                     "--set", "scale=2", *run]) == 2
    assert "differ" in capsys.readouterr().err
    assert cli.main(["train", "dcgan_tiny", "--scale", "4", *run]) == 2
    assert "does not take it" in capsys.readouterr().err


def test_list_shows_the_translation_datasets(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    section = out.split("translation datasets")[1].split("pretrained")[0]
    for name in kgz.datasets.list_datasets("translation"):
        assert f"  {name} " in section
    assert "sneaker -> ankle_boot" in section and "low_res -> high_res" in section
    for takes in ("paired: bicyclegan, pix2pix", "unpaired: cyclegan, discogan",
                  "super-resolution: srgan, srresnet"):
        assert takes in section
    datasets = out.split("\ndatasets:")[1].split("translation datasets")[0]
    assert "fashion_mnist_edges" not in datasets


def test_srgan_help_says_vgg19_is_not_available_offline(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "VGG19" in capsys.readouterr().out


# ------------------------------------------------------------------- the callback

def _images(n, shape=(16, 16, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def _fit(model, callback, epochs=2):
    model.compile()
    model.fit(_images(8), _images(8, seed=1), batch_size=8, epochs=epochs, verbose=0,
              callbacks=[callback])


def test_translation_grid_writes_input_output_target(tmp_path):
    model = kgz.create_model("pix2pix_tiny", seed=0)
    grid = kgz.callbacks.TranslationGrid(tmp_path, images=_images(6), targets=_images(6, seed=2),
                                         examples_per_row=3)
    _fit(model, grid)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0001.png", "epoch_0002.png",
                                                          "latest.png"]
    assert grid.last_path == str(tmp_path / "epoch_0002.png")
    # 6 examples, 3 per row, 3 columns of 16x16 tiles, 2 px padding
    assert Image.open(tmp_path / "latest.png").size == (9 * 16 + 10 * 2, 2 * 16 + 3 * 2)
    columns = grid.columns()
    assert len(columns) == 3
    np.testing.assert_allclose(columns[1], model.translate(_images(6)), atol=1e-6)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # atomic writes


def test_translation_grid_both_directions_every_other_epoch(tmp_path):
    model = kgz.create_model("cyclegan_tiny", seed=0)
    grid = kgz.callbacks.TranslationGrid(tmp_path, images=(_images(4), _images(4, seed=3)),
                                         direction="both", every=2)
    # fit's calls of a 3-epoch run, without tracing CycleGAN's train step
    grid.set_model(model)
    grid.on_train_begin()
    for epoch in range(3):
        grid.on_epoch_end(epoch)
    grid.on_train_end()
    # epoch 2 on the cadence, epoch 3 when training ends
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0002.png", "epoch_0003.png",
                                                          "latest.png"]
    # 4 examples a -> b, then 4 b -> a, 4 per row: input | output | translated back
    assert Image.open(tmp_path / "latest.png").size == (12 * 16 + 13 * 2, 2 * 16 + 3 * 2)
    inputs, outputs, back = grid.columns()
    np.testing.assert_allclose(outputs[4:], model.translate(_images(4, seed=3),
                                                            direction="b_to_a"), atol=1e-6)
    np.testing.assert_allclose(back[:4], model.translate(outputs[:4], direction="b_to_a"),
                               atol=1e-6)


def test_translation_grid_errors(tmp_path):
    with pytest.raises(ValueError, match="direction must be"):
        kgz.callbacks.TranslationGrid(tmp_path, images=_images(2), direction="sideways")
    with pytest.raises(ValueError, match="must be a pair"):
        kgz.callbacks.TranslationGrid(tmp_path, images=_images(2), direction="both")
    with pytest.raises(ValueError, match="one image per input"):
        kgz.callbacks.TranslationGrid(tmp_path, images=_images(2), targets=_images(3))
    with pytest.raises(ValueError, match="float images"):
        kgz.callbacks.TranslationGrid(tmp_path, images=np.zeros((2, 16, 16, 1), "uint8"))
    model = kgz.create_model("pix2pix_tiny", seed=0)
    with pytest.raises(ValueError, match="translates a_to_b only"):
        _fit(model, kgz.callbacks.TranslationGrid(tmp_path, images=_images(2),
                                                  direction="b_to_a"), epochs=1)
    with pytest.raises(ValueError, match=r"shape \(16, 16, 1\)"):
        _fit(model, kgz.callbacks.TranslationGrid(tmp_path, images=_images(2, (8, 8, 1))),
             epochs=1)
    with pytest.raises(TypeError, match="SampleGrid"):
        _fit(kgz.create_model("dcgan_tiny"), kgz.callbacks.TranslationGrid(
            tmp_path, images=_images(2)), epochs=1)
