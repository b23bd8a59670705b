import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gan_zoo.callbacks import SampleGrid
from keras_gan_zoo.utils.images import make_grid

LATENT_DIM = 4
IMAGE_SHAPE = (4, 4, 1)


class TinyGenerativeModel(keras.Model):
    """Dense generator z -> tanh image with the zoo's `generate` API."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="tanh")
        self.reshape = keras.layers.Reshape(IMAGE_SHAPE)
        self.generate_calls = []

    def call(self, z):
        return self.reshape(self.dense(z))

    def generate(self, n, seed=None, **conditions):
        self.generate_calls.append((n, seed, conditions))
        z = np.random.default_rng(seed).standard_normal((n, LATENT_DIM)).astype("float32")
        return keras.ops.convert_to_numpy(self(z, training=False))


def _fit(callback, epochs=3, model=None):
    keras.utils.set_random_seed(0)
    model = model or TinyGenerativeModel()
    # A large learning rate so that the weights visibly change every epoch.
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    rng = np.random.default_rng(0)
    z = rng.standard_normal((8, LATENT_DIM)).astype("float32")
    y = rng.uniform(-1, 1, (8,) + IMAGE_SHAPE).astype("float32")
    model.fit(z, y, batch_size=4, epochs=epochs, verbose=0, callbacks=[callback])
    return model


def _read(path):
    with Image.open(path) as im:
        return np.asarray(im)


def test_every_two_epochs_plus_final(tmp_path):
    directory = tmp_path / "samples"  # does not exist yet
    cb = SampleGrid(directory, num_samples=6, every=2, seed=3, nrow=3)
    model = _fit(cb, epochs=3)

    assert sorted(os.listdir(directory)) == [
        "epoch_0002.png",
        "epoch_0003.png",  # final grid: epoch 3 is not a multiple of 2
        "latest.png",
    ]
    assert cb.last_path == os.path.join(str(directory), "epoch_0003.png")
    assert (directory / "latest.png").read_bytes() == (
        directory / "epoch_0003.png"
    ).read_bytes()
    # Fixed latents: every call used the same n and seed.
    assert model.generate_calls == [(6, 3, {}), (6, 3, {})]

    # The file is exactly the grid of the model's samples for that seed.
    final = _read(directory / "epoch_0003.png")
    assert final.shape == (2 * 6 + 2, 3 * 6 + 2)  # grayscale, 2 rows x 3 cols
    np.testing.assert_array_equal(final[..., None], make_grid(model.generate(6, seed=3), nrow=3))
    # Training moved the weights between epochs 2 and 3.
    assert not np.array_equal(_read(directory / "epoch_0002.png"), final)


def test_same_seed_gives_identical_grids(tmp_path):
    model = TinyGenerativeModel()
    a = make_grid(model.generate(5, seed=0))
    b = make_grid(model.generate(5, seed=0))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, make_grid(model.generate(5, seed=1)))

    # Two callbacks with the same seed write byte-identical files.
    model.build((None, LATENT_DIM))
    paths = []
    for name in ("a", "b"):
        cb = SampleGrid(tmp_path / name, num_samples=5, seed=0)
        cb.set_model(model)
        paths.append(cb.write_grid(7))
    assert paths[0].endswith("epoch_0007.png")
    with open(paths[0], "rb") as f0, open(paths[1], "rb") as f1:
        assert f0.read() == f1.read()


def test_no_final_grid_when_disabled_or_on_cadence(tmp_path):
    _fit(SampleGrid(tmp_path / "off", num_samples=2, every=2, on_train_end=False))
    assert sorted(os.listdir(tmp_path / "off")) == ["epoch_0002.png", "latest.png"]

    cb = SampleGrid(tmp_path / "on", num_samples=2, every=1)
    model = _fit(cb, epochs=2)
    assert sorted(os.listdir(tmp_path / "on")) == [
        "epoch_0001.png",
        "epoch_0002.png",
        "latest.png",
    ]
    assert len(model.generate_calls) == 2  # no duplicate grid at train end


def test_generate_kwargs_and_custom_filename(tmp_path):
    cb = SampleGrid(
        tmp_path,
        num_samples=3,
        every=1,
        seed=None,
        filename="step-{epoch}.png",
        generate_kwargs={"labels": [0, 1, 2]},
    )
    model = _fit(cb, epochs=1)
    assert model.generate_calls == [(3, None, {"labels": [0, 1, 2]})]
    assert sorted(os.listdir(tmp_path)) == ["latest.png", "step-1.png"]


def test_model_without_generate_raises_type_error(tmp_path):
    model = keras.Sequential([keras.Input((LATENT_DIM,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    cb = SampleGrid(tmp_path / "s", num_samples=2)
    with pytest.raises(TypeError, match="Sequential"):
        model.fit(np.zeros((4, LATENT_DIM)), np.zeros((4, 1)), epochs=1, verbose=0, callbacks=[cb])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"every": 0}, "every"),
        ({"every": 1.5}, "every"),
        ({"num_samples": 0}, "num_samples"),
        ({"num_samples": True}, "num_samples"),
        ({"nrow": 0}, "nrow"),
        ({"filename": "grid_{step}.png"}, "filename"),
        ({"generate_kwargs": {"seed": 1}}, "seed"),
        ({"generate_kwargs": [1]}, "generate_kwargs"),
    ],
)
def test_argument_validation(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SampleGrid(tmp_path, **kwargs)
