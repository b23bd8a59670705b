"""The CLI on the text and video models: `sample --caption` (gan_cls), `sample` and
`interpolate` on a sentence VAE, `predict` on a next-frame model (video_gan)."""

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli
from contract_helpers import SEED


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Untrained tiny models saved as `.keras` files: the CLI's job is plumbing."""
    folder = tmp_path_factory.mktemp("checkpoints")
    paths = {}
    for name in ("gan_cls_tiny", "sentence_vae_tiny", "video_gan_tiny", "dcgan_tiny"):
        model = kgz.create_model(name, seed=SEED)
        model.compile()
        paths[name] = str(folder / f"{name}.keras")
        model.save(paths[name])
    return paths


def test_sample_draws_one_row_per_caption(checkpoints, tmp_path, capsys):
    model = kgz.create_model("gan_cls_tiny", seed=SEED)
    words = model.get_config()["vocabulary"]
    first, second = words[-1], f"{words[-2]} {words[-1]}"
    grid = tmp_path / "captions.png"
    assert cli.main(["sample", checkpoints["gan_cls_tiny"], "--caption", first, "--caption",
                     second, "--num", "6", "--out", str(grid)]) == 0
    h, w = model.image_shape[:2]
    # 2 rows (captions) of 3 images, 2 pixels of padding around each tile.
    assert Image.open(grid).size == (3 * (w + 2) + 2, 2 * (h + 2) + 2)
    assert cli.main(["sample", checkpoints["gan_cls_tiny"], "--out", str(grid)]) == 2
    assert "--caption" in capsys.readouterr().err
    assert cli.main(["sample", checkpoints["gan_cls_tiny"], "--caption", "zebra unicorn",
                     "--out", str(grid)]) == 2
    assert "zebra" in capsys.readouterr().err
    assert cli.main(["sample", checkpoints["dcgan_tiny"], "--caption", first,
                     "--out", str(grid)]) == 2
    assert "does not draw from captions" in capsys.readouterr().err


def test_sample_and_interpolate_write_sentences(checkpoints, tmp_path, capsys):
    model = keras.models.load_model(checkpoints["sentence_vae_tiny"])
    out = tmp_path / "sentences.txt"
    assert cli.main(["sample", checkpoints["sentence_vae_tiny"], "--num", "3", "--seed", "1",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == out.read_text().splitlines() == model.generate(3, seed=1, greedy=True)
    assert cli.main(["sample", checkpoints["sentence_vae_tiny"], "--num", "2",
                     "--temperature", "0.7"]) == 0
    assert capsys.readouterr().out.splitlines() == model.generate(2, seed=0, temperature=0.7)
    words = [w for w in model.get_config()["vocabulary"] if not w.startswith("<")]
    first, second = " ".join(words[:3]), " ".join(words[3:6])
    assert cli.main(["interpolate", checkpoints["sentence_vae_tiny"], "--between", first,
                     second, "--steps", "4"]) == 0
    assert capsys.readouterr().out.splitlines() == model.interpolate(first, second, steps=4)
    assert cli.main(["sample", checkpoints["sentence_vae_tiny"], "--out",
                     str(tmp_path / "x.png")]) == 2
    assert ".txt" in capsys.readouterr().err
    assert cli.main(["interpolate", checkpoints["dcgan_tiny"], "--between", "a", "b"]) == 2
    assert "not a sentence VAE" in capsys.readouterr().err


def test_predict_writes_truth_and_prediction_rows_and_scores_them(checkpoints, tmp_path,
                                                                 capsys):
    model = kgz.create_model("video_gan_tiny", seed=SEED)
    figure = tmp_path / "prediction.png"
    assert cli.main(["predict", checkpoints["video_gan_tiny"], "--future", "3", "--num", "2",
                     "--out", str(figure)]) == 0
    lines = capsys.readouterr().out.splitlines()
    h, w = model.frame_shape[:2]
    frames = model.context_frames + 3
    # 2 sequences x (truth row + prediction row), k + 3 frames per row.
    assert Image.open(figure).size == (frames * (w + 2) + 2, 4 * (h + 2) + 2)
    assert lines[0] == str(figure) and "copy last frame psnr" in lines[1]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3"]
    # A user's video (uint8, one sequence of exactly k frames): prediction rows only.
    clip = np.random.default_rng(0).integers(0, 256, (model.context_frames, h, w, 1),
                                              dtype=np.uint8)
    np.save(tmp_path / "clip.npy", clip)
    assert cli.main(["predict", checkpoints["video_gan_tiny"], "--input",
                     str(tmp_path / "clip.npy"), "--future", "2", "--out", str(figure)]) == 0
    assert Image.open(figure).size == ((model.context_frames + 2) * (w + 2) + 2, h + 4)
    np.save(tmp_path / "bad.npy", clip[0])
    assert cli.main(["predict", checkpoints["video_gan_tiny"], "--input",
                     str(tmp_path / "bad.npy")]) == 2
    assert "(N, T, H, W, C)" in capsys.readouterr().err
    assert cli.main(["predict", checkpoints["dcgan_tiny"]]) == 2
    assert "does not predict frames" in capsys.readouterr().err
