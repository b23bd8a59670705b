"""Model-specific numerics of the autoencoding family: the VAE's KL term and
likelihoods (IWAE), the autoencoder's Gaussian mixture, interpolation, VAE-GAN."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli
from keras_gan_zoo.models.autoencoding import vae_gan
from keras_gan_zoo.models.autoencoding.autoencoder import fit_gaussian_mixture
from keras_gan_zoo.models.autoencoding.vae import discretized_logistic_log_prob, kl_divergence


def images_for(model, n=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *model.image_shape)).astype("float32")


def digits(n=16):
    """Real 8x8 digits upsampled to 16x16, in [-1, 1]."""
    images = next(iter(kgz.datasets.load("digits", batch_size=n, shuffle=False)))
    return tf.image.resize(images, (16, 16), method="nearest").numpy()


# ------------------------------------------------------------------- VAE
def test_kl_matches_the_closed_form_and_a_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(3, 5)).astype("float32")
    log_var = rng.normal(scale=0.5, size=(3, 5)).astype("float32")
    var = np.exp(log_var.astype("float64"))
    closed = 0.5 * np.sum(mean**2 + var - 1 - np.log(var), axis=1)
    np.testing.assert_allclose(kl_divergence(mean, log_var).numpy(), closed, rtol=1e-5)
    # E_q[log q(z) - log p(z)] by sampling agrees with it.
    z = mean + np.sqrt(var) * rng.standard_normal((200_000, 3, 5))
    log_q = -0.5 * ((z - mean) ** 2 / var + np.log(var))
    log_p = -0.5 * z**2
    np.testing.assert_allclose(np.mean(np.sum(log_q - log_p, -1), 0), closed, atol=0.03)


def test_reported_kl_and_loss_are_the_closed_form_terms_weighted_by_beta():
    model = kgz.create_model("vae_tiny", seed=1, beta=4.0, binarization="threshold")
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # the step changes nothing
    x = images_for(model, 8)
    history = model.fit(x, batch_size=8, epochs=1, verbose=0).history
    mean, log_var = (t.numpy().astype("float64") for t in model.encoder(x))
    expected_kl = np.mean(0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1))
    np.testing.assert_allclose(history["kl"][0], expected_kl, rtol=1e-5)
    np.testing.assert_allclose(history["loss"][0],
                               history["reconstruction"][0] + 4.0 * history["kl"][0], rtol=1e-5)


def _constant_decoder_vae(mean_bias=0.0, log_var_bias=0.0, logit=-0.7):
    """A VAE whose decoder ignores z (zero kernels): p(x) is known exactly."""
    model = kgz.create_model("vae_tiny", seed=0, binarization="threshold")
    for layer in model.decoder.layers:
        for w in layer.weights:
            w.assign(np.zeros(w.shape, "float32"))
    model.decoder.get_layer("to_image").bias.assign([logit])
    for head, bias in (("mean", mean_bias), ("log_var", log_var_bias)):
        layer = model.encoder.get_layer(head)
        layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
        layer.bias.assign(np.full(layer.bias.shape, bias, "float32"))
    return model


def test_log_likelihood_of_a_known_tiny_case():
    x = digits(4)
    binary = (x + 1) / 2 > 0.5
    logit = -0.7
    exact = np.sum(np.where(binary, -np.log1p(np.exp(-logit)), -np.log1p(np.exp(logit))),
                   axis=(1, 2, 3))
    # q(z|x) = p(z): every importance weight is p(x), for any k.
    model = _constant_decoder_vae(logit=logit)
    np.testing.assert_allclose(model.log_likelihood(x, k=1), exact, rtol=1e-5)
    np.testing.assert_allclose(model.log_likelihood(x, k=37, max_decodes=16), exact, rtol=1e-5)
    # A mismatched q (wider than p, so the weights are bounded): a lower bound that
    # converges to log p(x) as k grows.
    model = _constant_decoder_vae(mean_bias=0.5, log_var_bias=0.4, logit=logit)
    k1 = model.log_likelihood(np.repeat(x, 50, axis=0), k=1).reshape(4, 50).mean(axis=1)
    assert np.all(k1 < exact - 0.2)
    np.testing.assert_allclose(model.log_likelihood(x, k=20000), exact, atol=0.03)


def test_iwae_with_k_1_is_the_elbo_and_tightens_with_k():
    x = digits(2)
    model = kgz.create_model("vae_tiny", seed=3, binarization="threshold")  # z matters
    repeated = np.repeat(x, 200, axis=0)  # 200 independent estimates of each image
    k1 = model.log_likelihood(repeated, k=1, seed=5).reshape(2, 200)
    elbo = model.elbo(x, samples=4000, seed=5)
    # The k = 1 estimate is the single-sample ELBO: its mean is the ELBO.
    standard_error = k1.std(axis=1) / np.sqrt(200)
    assert np.all(np.abs(k1.mean(axis=1) - elbo) < 4 * standard_error), (k1.mean(1), elbo)
    # A mismatched q (KL(q || p) = 0.68 nats): E[IWAE_k] rises towards log p(x) with k.
    model = _constant_decoder_vae(mean_bias=0.5, log_var_bias=0.4)
    k1 = model.log_likelihood(repeated, k=1, seed=5)
    assert abs(k1.mean() - model.elbo(x, samples=10).mean()) < 4 * k1.std() / np.sqrt(400)
    means = [model.log_likelihood(repeated, k=k, seed=5).mean() for k in (1, 3, 100)]
    assert means[0] < means[1] - 0.2 and means[1] < means[2] - 0.05, means


def test_discretized_logistic_is_a_distribution_over_256_levels():
    levels = (np.arange(256, dtype="float32") / 127.5 - 1.0)[:, None]
    for mean, log_scale in ((0.0, -2.0), (-0.95, -4.0), (0.9, -7.0), (0.3, 1.0)):
        log_p = discretized_logistic_log_prob(levels, tf.constant(mean), tf.constant(log_scale))
        assert np.all(np.isfinite(log_p.numpy()))
        np.testing.assert_allclose(np.exp(log_p.numpy().astype("float64")).sum(), 1.0, atol=2e-3)


@pytest.mark.parametrize("likelihood", ["gaussian", "logistic"])
def test_continuous_likelihoods_train_and_report_finite_nats(likelihood):
    model = kgz.create_model("vae_tiny", seed=2, likelihood=likelihood)
    model.compile()
    x = digits(16)
    history = model.fit(x, batch_size=8, epochs=2, verbose=0).history
    assert history["reconstruction"][-1] < history["reconstruction"][0]
    ll = model.log_likelihood(x[:4], k=8)
    assert ll.shape == (4,) and np.all(np.isfinite(ll))
    assert model.generate(2, seed=0).shape == (2, 16, 16, 1)


def test_binarization_dynamic_resamples_and_threshold_is_fixed():
    model = kgz.create_model("vae_tiny", seed=0)
    model.compile()
    x = digits(8)
    first, again = model._targets(tf.constant(x)), model._targets(tf.constant(x))
    np.testing.assert_array_equal(first.numpy(), again.numpy())  # same step, same draw
    model.step_counter.assign_add(1)
    assert not np.array_equal(first.numpy(), model._targets(tf.constant(x)).numpy())
    np.testing.assert_allclose(first.numpy().mean(), ((x + 1) / 2).mean(), atol=0.05)
    binary = model.binarize(x, seed=0)
    assert set(np.unique(binary)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(model.binarize(binary, seed=1), binary)  # idempotent
    fixed = kgz.create_model("vae_tiny", binarization="threshold")
    np.testing.assert_array_equal(fixed.binarize(x), np.where(x > 0, 1.0, -1.0))
    with pytest.raises(ValueError, match=r"likelihood must be one of"):
        kgz.create_model("vae_tiny", likelihood="poisson")
    with pytest.raises(ValueError, match=r"k must be a positive int"):
        model.log_likelihood(x, k=0)


# ---------------------------------------------------------- autoencoder
def test_em_recovers_a_known_two_component_mixture():
    rng = np.random.default_rng(0)
    cov_a = np.array([[1.0, 0.6], [0.6, 0.8]])
    cov_b = np.array([[0.3, -0.1], [-0.1, 0.2]])
    n_a, n_b = 3000, 1000
    x = np.concatenate([rng.multivariate_normal([-3.0, 1.0], cov_a, n_a),
                        rng.multivariate_normal([2.0, -2.0], cov_b, n_b)])
    gmm = fit_gaussian_mixture(x[rng.permutation(len(x))], 2, seed=1)
    order = np.argsort(gmm.means[:, 0])  # component a has the smaller first coordinate
    assert gmm.converged
    np.testing.assert_allclose(gmm.weights[order], [0.75, 0.25], atol=0.02)
    np.testing.assert_allclose(gmm.means[order], [[-3.0, 1.0], [2.0, -2.0]], atol=0.06)
    np.testing.assert_allclose(gmm.covariances[order[0]], cov_a, atol=0.08)
    np.testing.assert_allclose(gmm.covariances[order[1]], cov_b, atol=0.04)
    with pytest.raises(ValueError, match=r"at least 3 points"):
        fit_gaussian_mixture(x[:2], 3)


def test_generate_needs_the_latent_density_which_survives_save_and_load(tmp_path):
    model = kgz.create_model("autoencoder_tiny", seed=0, density_on_epoch_end=False)
    model.compile()
    x = digits(32)
    model.fit(x, batch_size=16, epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match=r"fit_latent_density"):
        model.generate(4, seed=0)
    assert model.generate(2, latents=np.zeros((2, 4), "float32")).shape == (2, 16, 16, 1)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(8)
    gmm = model.fit_latent_density(dataset, components=3)  # a new number of components
    assert gmm.means.shape == (3, 4) and model.density_components == 3
    codes = model.encode(x)
    np.testing.assert_allclose(model.density.means.numpy(), gmm.means, rtol=1e-5, atol=1e-6)
    samples = model.generate(4, seed=0)
    assert samples.shape == (4, 16, 16, 1)
    model.save(tmp_path / "ae.keras")
    restored = keras.models.load_model(tmp_path / "ae.keras")
    assert restored.get_config()["density_components"] == 3
    np.testing.assert_array_equal(restored.generate(4, seed=0), samples)
    np.testing.assert_allclose(restored.density.log_prob(codes), model.density.log_prob(codes))
    assert len(restored.weights) == len(model.weights)


def test_fit_refits_the_density_each_epoch_by_default():
    model = kgz.create_model("autoencoder_tiny", seed=0)
    model.compile()
    model.fit(tf.data.Dataset.from_tensor_slices(digits(32)).batch(8), epochs=1, verbose=0)
    assert float(model.density.fitted.numpy()) == 1.0
    assert model.generate(3, seed=1).shape == (3, 16, 16, 1)


def test_interpolation_between_real_images_goes_through_kgz_latent(tmp_path, monkeypatch):
    model = kgz.create_model("vae_tiny", seed=0)
    x = digits(2)
    calls = []
    original = kgz.latent.interpolate
    monkeypatch.setattr(kgz.latent, "interpolate",
                        lambda *a, **k: calls.append(k) or original(*a, **k))
    path, images = model.interpolate(x[0], x[1], steps=6, method="slerp")
    assert calls == [{"method": "slerp"}]
    codes = model.encode(x)
    np.testing.assert_allclose(path, original(codes[0], codes[1], 6, method="slerp"))
    np.testing.assert_allclose(images[[0, -1]], model.reconstruct(x), atol=1e-5)
    strip = model.interpolation_strip(x[0], x[1], tmp_path / "walk.png", steps=5)
    assert Image.open(strip).size == (5 * (16 + 2) + 2, 16 + 4)


# ------------------------------------------------------------- VAE-GAN
def test_vae_gan_three_optimizers_and_its_options():
    model = kgz.create_model("vae_gan_tiny", seed=0, label_smoothing=0.1)
    logits, features = model.discriminator(tf.zeros((2, 16, 16, 1)))
    assert logits.shape == (2, 1) and features.shape == (2, 4, 4, 16)
    assert model.decoder is model.generator
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match=r"three optimizer instances"):
        model.compile(encoder_optimizer=shared, generator_optimizer=shared)
    model.compile()
    assert all(isinstance(o, keras.optimizers.RMSprop) for o in model.named_optimizers().values())
    history = model.fit(digits(16), batch_size=8, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "kl", "reconstruction"}
    with pytest.raises(ValueError, match=r"does not support d_steps=2"):
        kgz.create_model("vae_gan_tiny", d_steps=2)
    with pytest.raises(ValueError, match=r"does not support latent_distribution"):
        kgz.create_model("vae_gan_tiny", latent_distribution="uniform")


def test_the_encoder_learns_only_from_kl_and_feature_reconstruction():
    """With the same noise, the encoder's step does not depend on gamma nor on the
    adversarial term, while the decoder's does."""
    x = digits(8)
    rng = np.random.default_rng(0)
    batch = {"images": x, "noise": rng.standard_normal((8, 4)).astype("float32"),
             "latents": rng.standard_normal((8, 4)).astype("float32")}
    after, start = {}, None
    for gamma in (0.0, 10.0):
        model = kgz.create_model("vae_gan_tiny", seed=0, gamma=gamma)
        start = start or model.get_weights()
        model.set_weights(start)
        model.compile(encoder_optimizer="sgd", generator_optimizer="sgd",
                      discriminator_optimizer="sgd")
        model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(8), epochs=1, verbose=0)
        after[gamma] = model
    for a, b in zip(after[0.0].encoder.weights, after[10.0].encoder.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    for a, b in zip(after[0.0].discriminator.weights, after[10.0].discriminator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert any(not np.allclose(a.numpy(), b.numpy()) for a, b in
               zip(after[0.0].generator.trainable_weights, after[10.0].generator.trainable_weights))


@pytest.mark.parametrize("real, fake, expected", [
    (0.70, 0.65, (True, True)),     # both near the equilibrium: both players move
    (0.10, 0.70, (False, True)),    # D wins on real images: only the decoder moves
    (0.70, 1.20, (True, False)),    # D wins on fakes' side (decoder losing): only D moves
    (0.10, 1.50, (True, True)),     # both rules fire: both move (the authors' fallback)
    (0.28, 1.08, (True, True)),     # on the bounds: no rule fires
])
def test_the_equilibrium_rule(real, fake, expected):
    update_d, update_g = vae_gan.equilibrium_updates(tf.constant(real), tf.constant(fake),
                                                     0.68, 0.4)
    assert (bool(update_d), bool(update_g)) == expected


def test_equilibrium_skips_are_real_skips():
    """Costs far below the equilibrium freeze D completely (weights, Adam slots, its
    step counter) while the encoder and decoder train; the update rates say so."""
    model = kgz.create_model("vae_gan_tiny", seed=0, equilibrium=100.0, margin=0.4)
    model.compile(encoder_optimizer="adam", generator_optimizer="adam",
                  discriminator_optimizer="adam")
    nets = {"encoder": model.encoder, "generator": model.generator,
            "discriminator": model.discriminator}
    before = {k: [w.numpy().copy() for w in n.trainable_weights] for k, n in nets.items()}
    history = model.fit(digits(16), batch_size=8, epochs=1, verbose=0).history
    assert history["d_update_rate"] == [0.0] and history["g_update_rate"] == [1.0]
    for k, net in nets.items():
        moved = any(not np.array_equal(a, w.numpy()) for a, w in
                    zip(before[k], net.trainable_weights))
        assert moved == (k != "discriminator"), k
    assert int(model.discriminator_optimizer.iterations) == 0
    assert int(model.generator_optimizer.iterations) == 2
    clone = vae_gan.VAEGAN.from_config(model.get_config())
    assert (clone.equilibrium, clone.margin) == (100.0, 0.4)
    with pytest.raises(ValueError, match=r"equilibrium must be None or a cost > 0"):
        kgz.create_model("vae_gan_tiny", equilibrium=-50.0)
    with pytest.raises(ValueError, match=r"margin must be a number >= 0"):
        kgz.create_model("vae_gan_tiny", equilibrium=0.68, margin=-1)


@pytest.mark.parametrize("margin, d_updates", [(10.0, [1.0, 1.0]), (0.4, [0.0, 0.0])])
def test_equilibrium_rule_under_mirrored_strategy_matches_one_device(margin, d_updates,
                                                                     mirrored_strategy):
    """With the rule on, 2 replicas x 4 examples reach the same weights as 1 device x 8
    examples: the discriminator updated every step (equilibrium 0.68, margin 10: the
    update branch of `apply_if`) or never (equilibrium 100, margin 0.4: the skip branch,
    taken in the cross-replica context). Plain SGD, so that float rounding that differs
    between the two set-ups is not amplified (RMSprop and Adam divide by the gradient's
    own scale); the initial weights come from a fixed global seed, not from test order."""
    rng = np.random.default_rng(3)
    batch = {"images": digits(8), "noise": rng.standard_normal((8, 4)).astype("float32"),
             "latents": rng.standard_normal((8, 4)).astype("float32")}
    data = tf.data.Dataset.from_tensor_slices(batch).batch(8)
    equilibrium = 0.68 if margin > 1 else 100.0
    optimizers = dict(encoder_optimizer="sgd", generator_optimizer="sgd",
                      discriminator_optimizer="sgd")
    keras.utils.set_random_seed(0)
    single = kgz.create_model("vae_gan_tiny", seed=0, equilibrium=equilibrium, margin=margin)
    with mirrored_strategy.scope():
        mirrored = kgz.create_model("vae_gan_tiny", seed=0, equilibrium=equilibrium,
                                    margin=margin)
        mirrored.set_weights(single.get_weights())
        mirrored.compile(**optimizers)
    single.compile(**optimizers)
    d_before = [w.numpy().copy() for w in single.discriminator.trainable_weights]
    logs = [model.fit(data, epochs=2, verbose=0).history for model in (single, mirrored)]
    assert logs[0]["d_update_rate"] == logs[1]["d_update_rate"] == d_updates
    for a, b in zip(single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    d_moved = any(not np.array_equal(a, w.numpy()) for a, w in
                  zip(d_before, single.discriminator.trainable_weights))
    assert d_moved == (d_updates[0] == 1.0)


# ------------------------------------------------------------------ CLI
@pytest.mark.parametrize("name", ["autoencoder_tiny", "vae_tiny"])
def test_cli_trains_and_samples(name, tmp_path):
    out = tmp_path / name
    assert cli.main(["train", name, "--dataset", "mnist", "--limit", "64", "--batch-size", "32",
                     "--epochs", "1", "--out", str(out), "--verbose", "0"]) == 0
    assert (out / "samples" / "latest.png").exists()
    grid = tmp_path / "grid.png"
    assert cli.main(["sample", str(out / "model.keras"), "--out", str(grid), "--num", "4"]) == 0
    assert grid.exists()
