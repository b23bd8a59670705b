"""BiCycleGAN's own numerics: latent codes in and out, the KL term, the latent
regression training the generator alone, the two-endpoint export and the diversity
score. The family contract runs on `bicyclegan_tiny` in
tests/test_contract_translation.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SEED, max_abs_diff, training_data, weights
from keras_gan_zoo.metrics.diversity import diversity_score, feature_network, perceptual_distance
from keras_gan_zoo.models.translation.bicyclegan import (BiCycleGAN, default_encoder_blocks,
                                                         kl_divergence, latent_encoder)


def test_the_kl_term_is_zero_for_the_prior_and_grows_away_from_it():
    zeros = tf.zeros((3, 8))
    assert float(kl_divergence(zeros, zeros)) == pytest.approx(0.0)
    # One dimension with mu = 2, var = 1: 0.5 * mu^2 = 2 per example.
    mu = tf.constant([[2.0] + [0.0] * 7] * 3)
    assert float(kl_divergence(mu, zeros)) == pytest.approx(2.0)


def test_the_encoder_halves_to_about_four_pixels():
    assert [default_encoder_blocks((s, s, 3)) for s in (16, 28, 64, 128, 256)] == [1, 2, 3, 4, 5]
    mu, log_variance = latent_encoder((28, 28, 1), latent_dim=8, base_filters=4).output_shape
    assert mu == (None, 8) and log_variance == (None, 8)


def test_translate_takes_seeds_or_latents():
    model = kgz.create_model("bicyclegan_tiny", seed=SEED)
    x, y = training_data(model, 3)
    prior_mean = model.translate(x)
    np.testing.assert_array_equal(prior_mean, model.translate(x, latents=np.zeros((3, 2))))
    one, again, other = (model.translate(x, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(one, again)
    assert max_abs_diff([one], [other]) > 1e-4 and max_abs_diff([one], [prior_mean]) > 1e-4
    codes = model.encode(y)
    assert codes.shape == (3, 2) and codes.dtype == np.float32
    assert model.translate(x, latents=codes).shape == (3, *model.target_shape)
    with pytest.raises(ValueError, match=r"latents must be floats of shape \(3, 2\)"):
        model.translate(x, latents=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="seed= or latents="):
        model.translate(x, seed=1, latents=codes)
    with pytest.raises(ValueError, match="finite"):
        model.translate(x, latents=np.full((3, 2), np.nan))


def test_the_latent_regression_trains_the_generator_alone():
    def step(lambda_latent):
        model = kgz.create_model("bicyclegan_tiny", seed=SEED, lambda_latent=lambda_latent)
        model.set_weights(reference.get_weights())
        model.compile(**{arg: keras.optimizers.SGD(0.1) for arg in model.optimizer_networks})
        model.fit(*training_data(model, 4), batch_size=4, epochs=1, shuffle=False, verbose=0)
        return model

    reference = kgz.create_model("bicyclegan_tiny", seed=SEED)
    without, with_latent = step(0.0), step(5.0)
    assert max_abs_diff(weights(without.encoder), weights(with_latent.encoder)) == 0.0
    assert max_abs_diff(weights(without.generator), weights(with_latent.generator)) > 1e-6


def test_the_losses_add_up_with_the_papers_weights():
    model = kgz.create_model("bicyclegan_tiny", seed=SEED)
    model.compile()
    logs = {k: v[0] for k, v in
            model.fit(*training_data(model, 4), batch_size=4, epochs=1, verbose=0)
            .history.items()}
    expected = logs["g_gan"] + 10 * logs["pixel"] + 0.01 * logs["kl"] + 0.5 * logs["latent"]
    assert logs["g_loss"] == pytest.approx(expected, rel=1e-5)


def test_the_export_serves_the_prior_mean_and_any_latent(tmp_path):
    model = kgz.create_model("bicyclegan_tiny", seed=SEED)
    x, _ = training_data(model, 3)
    z = np.random.default_rng(0).standard_normal((3, 2)).astype("float32")
    served = tf.saved_model.load(str(model.export_generator(tmp_path / "bicyclegan")))
    np.testing.assert_allclose(served.serve(x).numpy(), model.translate(x), atol=1e-5)
    np.testing.assert_allclose(served.serve_latents(x, z).numpy(),
                               model.translate(x, latents=z), atol=1e-5)


def test_the_diversity_score_is_zero_without_diversity_and_positive_with_it():
    images = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    mean, std = diversity_score(lambda x, seed: x, images, num_samples=3)
    assert mean == 0.0 and std == 0.0

    def noisy(x, seed):
        rng = np.random.default_rng(seed)
        return np.clip(x + rng.uniform(-0.5, 0.5, x.shape), -1, 1).astype("float32")

    assert diversity_score(noisy, images, num_samples=3)[0] > 0.01
    features = feature_network()
    a, b = features(images[:2]), features(-images[:2])
    np.testing.assert_allclose(perceptual_distance(a, b).numpy(),
                               perceptual_distance(b, a).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="num_samples"):
        diversity_score(noisy, images, num_samples=1)


def test_config_round_trip_and_errors():
    model = BiCycleGAN(image_shape=(16, 16, 1), target_channels=3, latent_dim=3, base_filters=4,
                       norm="batch", domain_names=("edges", "fashion"))
    assert BiCycleGAN.from_config(model.get_config()).get_config() == model.get_config()
    assert model.translate(np.zeros((1, 16, 16, 1), "float32"), seed=0).shape == (1, 16, 16, 3)
    for kwargs, match in ((dict(latent_dim=0), "latent_dim"), (dict(norm="layer"), "norm"),
                          (dict(lambda_kl=-1), "lambda_kl"), (dict(patch_layers=9),
                                                               "patch_layers")):
        with pytest.raises(ValueError, match=match):
            BiCycleGAN(image_shape=(16, 16, 1), **kwargs)
