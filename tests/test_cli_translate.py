"""`keras-gan-zoo translate` and pretrained translators, on tiny trained pix2pix / CycleGAN.

The CLI's PNGs are compared with `model.translate` of the same inputs as the CLI reads
them (the PNG/JPEG decoded, in [-1, 1]), within one 8-bit step. Pretrained translators are
registered in a temporary copy of the registry's folder, their files served from a
directory origin (as tests/test_applications.py does for its test checkpoints).
"""

import json
import os
import shutil

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli
from keras_gan_zoo.applications import download, publish, registry
from keras_gan_zoo.utils.images import to_uint8

SIZE = 16  # the tiny variants translate 16x16x1 images


def _train(name, **overrides):
    model = kgz.create_model(name, seed=7, **overrides)
    model.compile()
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (16, SIZE, SIZE, 1)).astype("float32")
    b = np.clip(-a + rng.normal(0, 0.1, a.shape), -1, 1).astype("float32")
    model.fit(a, b, batch_size=8, epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`{name: (model, its .keras path)}` of a trained pix2pix_tiny and cyclegan_tiny."""
    root = tmp_path_factory.mktemp("checkpoints")
    models = {"pix2pix": _train("pix2pix_tiny", domain_names=("edges", "fashion")),
              "cyclegan": _train("cyclegan_tiny", domain_names=("sneaker", "ankle_boot"))}
    result = {}
    for name, model in models.items():
        path = root / f"{name}.keras"
        model.save(path)
        result[name] = (model, str(path))
    return result


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder of 16x16 images: grayscale PNGs, an RGB PNG and an RGB JPEG in a subfolder."""
    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(1)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)).save(root / f"{i}.png")
    os.makedirs(root / "sub")
    Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
        root / "sub" / "rgb.png")
    Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
        root / "sub" / "photo.jpg", quality=90)
    (root / "notes.txt").write_text("not an image")
    return root


def _read(path, size=None):
    """An input as the CLI reads it for a 1-channel model: grayscale in [-1, 1]."""
    image = Image.open(path).convert("L")
    if size is not None and image.size != size:
        image = image.resize(size, Image.Resampling.BICUBIC)
    return np.asarray(image, dtype="float32")[..., None] / 127.5 - 1.0


def _written(path):
    return np.asarray(Image.open(path), dtype=np.int32)[..., None]


def _assert_translations(model, pairs, direction="a_to_b"):
    """Each written PNG is `model.translate` of its input, within one 8-bit step."""
    sources = np.stack([_read(source) for source, _ in pairs])
    expected = to_uint8(model.translate(sources, direction=direction)).astype(np.int32)
    for (_, written), want in zip(pairs, expected):
        got = _written(written)
        assert got.shape == want.shape, written
        assert np.abs(got - want).max() <= 1, written


EXPECTED = {"0.png": "0.png", "1.png": "1.png", "2.png": "2.png", "3.png": "3.png",
            "sub/rgb.png": "sub/rgb.png", "sub/photo.jpg": "sub/photo.png"}


@pytest.mark.parametrize("name,direction", [("pix2pix", "a_to_b"), ("cyclegan", "a_to_b"),
                                            ("cyclegan", "b_to_a")])
def test_translate_a_folder_writes_model_translate_of_every_image(
        name, direction, trained, inputs, tmp_path, capsys):
    model, checkpoint = trained[name]
    out = tmp_path / "out"
    assert cli.main(["translate", checkpoint, "--input", str(inputs), "--out", str(out),
                     "--direction", direction, "--batch-size", "4", "--grid"]) == 0
    written = sorted(os.path.relpath(os.path.join(d, f), out)
                     for d, _, files in os.walk(out) for f in files)
    assert written == sorted([*EXPECTED.values(), "grid.png"])
    _assert_translations(model, [(inputs / src, out / dst) for src, dst in EXPECTED.items()],
                         direction)
    names = model.domain_names if direction == "a_to_b" else model.domain_names[::-1]
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith(f"translated 6 images {names[0]} -> {names[1]} ({direction})")
    # input | output pairs: 6 pairs, 2 per row -> 4 columns x 3 rows of 16x16 tiles
    assert Image.open(out / "grid.png").size == (4 * SIZE + 5 * 2, 3 * SIZE + 4 * 2)


def test_translate_a_single_png(trained, inputs, tmp_path, capsys):
    model, checkpoint = trained["cyclegan"]
    out = tmp_path / "single"
    assert cli.main(["translate", checkpoint, "--input", str(inputs / "sub" / "photo.jpg"),
                     "--out", str(out), "--direction", "b_to_a"]) == 0
    assert os.listdir(out) == ["photo.png"]
    _assert_translations(model, [(inputs / "sub" / "photo.jpg", out / "photo.png")], "b_to_a")
    assert "translated 1 image ankle_boot -> sneaker (b_to_a)" in capsys.readouterr().out


def test_wrong_size_is_an_error_unless_resize(trained, tmp_path, capsys):
    model, checkpoint = trained["pix2pix"]
    folder = tmp_path / "sizes"
    folder.mkdir()
    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)).save(folder / "ok.png")
    Image.fromarray(rng.integers(0, 256, (20, 24), dtype=np.uint8)).save(folder / "big.png")
    out = tmp_path / "out"
    assert cli.main(["translate", checkpoint, "--input", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "16x16" in err and "big.png is 24x20" in err and "--resize" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()  # checked before anything is written

    assert cli.main(["translate", checkpoint, "--input", str(folder), "--out", str(out),
                     "--resize"]) == 0
    assert "(1 resized)" in capsys.readouterr().out
    assert Image.open(out / "big.png").size == (SIZE, SIZE)
    big = _read(folder / "big.png", size=(SIZE, SIZE))
    want = to_uint8(model.translate(big[None]))[0].astype(np.int32)
    assert np.abs(_written(out / "big.png") - want).max() <= 1


def test_not_a_translator_and_wrong_direction_are_clean_errors(trained, inputs, tmp_path,
                                                               capsys):
    gan = kgz.create_model("dcgan_tiny", seed=0)
    gan.save(tmp_path / "dcgan.keras")
    out = str(tmp_path / "out")
    assert cli.main(["translate", str(tmp_path / "dcgan.keras"), "--input", str(inputs),
                     "--out", out]) == 2
    err = capsys.readouterr().err
    assert "is not a translator; use `keras-gan-zoo sample" in err

    _, checkpoint = trained["pix2pix"]
    assert cli.main(["sample", checkpoint, "--out", str(tmp_path / "x.png")]) == 2
    assert "is a translator" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()

    # pix2pix translates one way: the model's own ValueError, as a one-line CLI error.
    assert cli.main(["translate", checkpoint, "--input", str(inputs), "--out", out,
                     "--direction", "b_to_a"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-gan-zoo translate: error: Pix2Pix translates one way only")
    assert "Traceback" not in err and not os.path.exists(out)


def test_input_errors(trained, tmp_path, capsys):
    _, checkpoint = trained["pix2pix"]
    folder = tmp_path / "in"
    folder.mkdir()
    out = str(tmp_path / "out")
    assert cli.main(["translate", checkpoint, "--input", str(folder), "--out", out]) == 2
    assert "no images" in capsys.readouterr().err
    assert cli.main(["translate", checkpoint, "--input", str(tmp_path / "missing.png"),
                     "--out", out]) == 2
    assert "no such image file or folder" in capsys.readouterr().err
    image = Image.fromarray(np.zeros((SIZE, SIZE), np.uint8))
    image.save(folder / "a.png")
    image.save(folder / "a.jpg")
    assert cli.main(["translate", checkpoint, "--input", str(folder), "--out", out]) == 2
    assert "would both be written to" in capsys.readouterr().err
    os.remove(folder / "a.jpg")
    assert cli.main(["translate", checkpoint, "--input", str(folder), "--out", str(folder)]) == 2
    assert "choose another --out" in capsys.readouterr().err
    # An --out inside --input: its PNGs are not taken as inputs on a second run.
    inside = folder / "translated"
    for _ in range(2):
        assert cli.main(["translate", checkpoint, "--input", str(folder), "--out",
                         str(inside)]) == 0
        assert "translated 1 image " in capsys.readouterr().out
    assert os.listdir(inside) == ["a.png"]


# --------------------------------------------------------------------------- pretrained
@pytest.fixture
def register(tmp_path, monkeypatch):
    """``register(name, model)``: publishes `model`'s generator file and .keras into an
    origin directory and its record into a temporary copy of the registry's folder."""
    records, origin = tmp_path / "records", tmp_path / "origin"
    records.mkdir()
    origin.mkdir()
    for name in registry.list_pretrained():
        shutil.copyfile(registry.record_path(name), registry.record_path(name, records))
    monkeypatch.setattr(registry, "RECORDS_DIR", str(records))
    monkeypatch.setenv(download.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(download.ORIGIN_ENV, str(origin))

    def put(name, architecture, model, metrics):
        weights = publish.save_generator_weights(
            model, origin / f"{name}_generator.fp16.weights.h5")
        model.save(origin / f"{name}.keras")
        entry = {"architecture": architecture,
                 "config": json.loads(json.dumps(model.get_config())),
                 "dataset": "fashion_mnist", "metrics": metrics, "training": {},
                 "recipe": "a test", "description": "a test translator",
                 "card": f"docs/models/{architecture}.md",
                 "files": {"generator": publish.file_record(weights),
                           "model": publish.file_record(origin / f"{name}.keras")}}
        publish.write_entry(registry.record_path(name, records), entry)
        registry.clear_cache()
        return weights

    yield put
    registry.clear_cache()


def _half_precision_copy(model, checkpoint):
    """`model` (reloaded from `checkpoint`) with the kernels a generator file stores in
    float16 rounded to float16: what load_generator must reproduce exactly."""
    copy = keras.models.load_model(checkpoint)
    for network in publish.translator_networks(copy).values():
        for variable in network.weights:
            value = variable.numpy()
            if value.dtype == np.float32 and value.size >= publish.HALF_PRECISION_MIN_SIZE:
                variable.assign(value.astype(np.float16).astype(np.float32))
    return copy


def test_pretrained_translators_load_translate_and_run_from_the_cli(
        trained, inputs, register, tmp_path, capsys):
    sources = np.stack([_read(inputs / f"{i}.png") for i in range(4)])
    register("pix2pix_test", "pix2pix", trained["pix2pix"][0], {"psnr": 12.5})
    weights = register("cyclegan_test", "cyclegan", trained["cyclegan"][0],
                       {"a_to_b": {"fid": 3.25}, "b_to_a": {"fid": 4.5}})
    import h5py

    with h5py.File(weights, "r") as f:  # both generators, no discriminator
        assert {"a_to_b", "b_to_a"} <= set(f.keys())

    for name, architecture in (("pix2pix_test", "pix2pix"), ("cyclegan_test", "cyclegan")):
        model, checkpoint = trained[architecture]
        loaded = kgz.applications.load_generator(name)
        assert type(loaded) is type(model) and loaded.domain_names == model.domain_names
        half = _half_precision_copy(model, checkpoint)
        for direction in model.directions:
            got = loaded.translate(sources, direction=direction)
            np.testing.assert_allclose(got, half.translate(sources, direction=direction),
                                       atol=1e-5)
            np.testing.assert_allclose(got, model.translate(sources, direction=direction),
                                       atol=2e-2)
            out = tmp_path / name / direction
            assert cli.main(["translate", name, "--input", str(inputs), "--out", str(out),
                             "--direction", direction]) == 0
            _assert_translations(loaded, [(inputs / src, out / dst)
                                          for src, dst in EXPECTED.items()], direction)
    capsys.readouterr()

    assert cli.main(["list", "*_test"]) == 0
    listing = capsys.readouterr().out
    assert "pix2pix_test" in listing and "PSNR 12.50 dB" in listing
    assert "translates edges -> fashion" in listing
    assert "FID a_to_b 3.25, b_to_a 4.50" in listing
    assert "translates sneaker <-> ankle_boot" in listing
    assert cli.main(["sample", "cyclegan_test", "--out", str(tmp_path / "x.png")]) == 2
    assert "keras-gan-zoo translate cyclegan_test" in capsys.readouterr().err


def test_a_generator_file_without_every_direction_is_refused(trained, tmp_path):
    weights = publish.save_generator_weights(trained["pix2pix"][0],
                                             tmp_path / "p.fp16.weights.h5")
    config = trained["cyclegan"][0].get_config()
    with pytest.raises(ValueError, match=r"missing: \['b_to_a'\]"):
        kgz.applications.build_from_weights("cyclegan", config, weights)
    gan = kgz.create_model("dcgan_tiny", seed=0)
    plain = publish.save_generator_weights(gan, tmp_path / "g.fp16.weights.h5")
    with pytest.raises(ValueError, match="no translator groups"):
        kgz.applications.build_from_weights("pix2pix", trained["pix2pix"][0].get_config(),
                                            plain)
