"""Generator files carry the model state `generate` reads beside the network's weights:
ProGAN's images_seen (its level of detail) and the style-based models' w_avg."""

import h5py
import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish


def _fit_briefly(model, side):
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (32, side, side, 1)).astype("float32")
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    return model


def _ship(model, name, tmp_path):
    path = publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    return path, kgz.applications.build_from_weights(name, model.get_config(), path)


def test_a_shipped_progan_samples_at_the_level_of_detail_it_reached(tmp_path):
    model = _fit_briefly(kgz.create_model("progan_tiny"), 16)  # 32 images: lod 2 -> 1
    assert model.lod == 1.0
    path, shipped = _ship(model, "progan", tmp_path)
    assert int(shipped.images_seen.numpy()) == 32 and shipped.lod == model.lod
    # The EMA weights ship as the generator's (float16 kernels: close, not equal).
    np.testing.assert_allclose(shipped.generate(8, seed=1), model.generate(8, seed=1),
                               atol=0.02)
    with h5py.File(path, "r") as f:
        assert f[publish.SAMPLING_STATE_GROUP]["images_seen"][()] == 32


def test_a_shipped_style_based_model_keeps_w_avg(tmp_path):
    model = _fit_briefly(kgz.create_model("stylegan_tiny"), 16)
    model.w_avg.assign(np.linspace(-1, 1, model.w_avg.shape[0]).astype("float32"))
    _, shipped = _ship(model, "stylegan", tmp_path)
    np.testing.assert_array_equal(shipped.w_avg.numpy(), model.w_avg.numpy())
    np.testing.assert_allclose(shipped.generate(8, seed=1, psi=0.5),
                               model.generate(8, seed=1, psi=0.5), atol=0.02)


def test_a_file_without_the_state_is_refused(tmp_path):
    model = kgz.create_model("progan_tiny")
    path = publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    with h5py.File(path, "a") as f:
        del f[publish.SAMPLING_STATE_GROUP]
    with pytest.raises(ValueError, match="no 'sampling_state' group.*images_seen"):
        kgz.applications.build_from_weights("progan", model.get_config(), path)
