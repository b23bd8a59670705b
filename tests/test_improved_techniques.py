"""Salimans et al. 2016's improved techniques: each option's effect on losses and gradients.

label smoothing, feature matching and historical averaging are options of every
adversarial model (`AdversarialModel`); minibatch discrimination is a layer that
DCGAN and GAN insert before their logit.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import losses
from keras_gan_zoo.layers import MinibatchDiscrimination
from keras_gan_zoo.models import DCGAN, AdversarialModel


def images(n=8, seed=0, shape=(16, 16, 1)):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def softplus(x):
    return np.logaddexp(0.0, x)


def copy_networks(source, target):
    target.generator.set_weights(source.generator.get_weights())
    target.discriminator.set_weights(source.discriminator.get_weights())


# ------------------------------------------------------------ label smoothing
@pytest.mark.parametrize("name", ["dcgan_tiny", "gan_tiny", "cgan_tiny"])
def test_label_smoothing_changes_the_d_loss_as_the_formula_says(name):
    real = np.array([[-1.5], [0.2], [2.0], [4.0]], "float32")
    fake = np.array([[-3.0], [0.0], [1.0], [-0.5]], "float32")
    plain = kgz.create_model(name)
    smoothed = kgz.create_model(name, label_smoothing=0.1)
    assert plain.real_label == 1.0 and smoothed.real_label == pytest.approx(0.9)
    # -[t log s(r) + (1 - t) log(1 - s(r))] = softplus(r) - t r;  fakes: softplus(f).
    expected = np.mean(softplus(real) - 0.9 * real) + np.mean(softplus(fake))
    got = float(smoothed.discriminator_loss(tf.constant(real), tf.constant(fake)))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    unsmoothed = float(plain.discriminator_loss(tf.constant(real), tf.constant(fake)))
    np.testing.assert_allclose(got - unsmoothed, 0.1 * real.mean(), rtol=1e-5)


def test_label_smoothing_reaches_the_training_objective():
    plain = kgz.create_model("dcgan_tiny", seed=0)
    smoothed = kgz.create_model("dcgan_tiny", seed=0, label_smoothing=0.25)
    copy_networks(plain, smoothed)
    real, fake = tf.constant(images(8, 1)), tf.constant(images(8, 2))
    loss_plain, _ = plain.discriminator_objective(real, fake, None)
    loss_smoothed, _ = smoothed.discriminator_objective(real, fake, None)
    real_logits = smoothed.call_discriminator(real, training=True).numpy()
    np.testing.assert_allclose(float(loss_smoothed) - float(loss_plain),
                               0.25 * real_logits.mean(), rtol=1e-4, atol=1e-7)


class LeastSquares(DCGAN):
    """A DCGAN with a least-squares loss: label smoothing does not apply to it."""

    supports_label_smoothing = False

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.least_squares_d_loss(real_logits, fake_logits)


def test_label_smoothing_is_refused_where_it_does_not_apply():
    tiny = dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=8)
    with pytest.raises(ValueError, match="does not support label_smoothing.*sigmoid"):
        LeastSquares(label_smoothing=0.1, **tiny)
    assert LeastSquares(label_smoothing=0.0, **tiny).real_label == 1.0
    for bad in (1.0, -0.1, True, "0.1"):
        with pytest.raises(ValueError, match=r"label_smoothing must be a number in \[0, 1\)"):
            kgz.create_model("dcgan_tiny", label_smoothing=bad)


# ----------------------------------------------------------- feature matching
def test_feature_matching_g_loss_is_the_squared_difference_of_mean_features():
    model = kgz.create_model("gan_tiny", seed=0, feature_matching=True)
    assert model.feature_layer == "maxout2"  # the layer feeding the logit
    real, latents = images(8, 3), model.random_latents(8, seed=4)
    fake = model.call_generator(tf.constant(latents), training=True)
    loss, terms = model.generator_objective(fake, latents, None, real_images=tf.constant(real))
    assert terms == {}

    d = model.discriminator  # gan_tiny has no dropout or batch norm: training is inference
    features = keras.Model(d.input, d.get_layer("maxout2").output)
    f_real = features(real).numpy().astype("float64")
    f_fake = features(fake).numpy().astype("float64")
    expected = np.sum((f_real.mean(axis=0) - f_fake.mean(axis=0)) ** 2)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    assert float(loss) != pytest.approx(float(model.generator_loss(d(fake))))


def test_feature_matching_gradient_reaches_the_generator_only_through_features():
    model = kgz.create_model("dcgan_tiny", seed=0, feature_matching=True)
    latents = tf.constant(model.random_latents(8, seed=1))
    real = tf.constant(images(8, 5))
    with tf.GradientTape() as tape:
        fake = model.call_generator(latents, training=True)
        loss, _ = model.generator_objective(fake, latents, None, real_images=real)
    g_grads = tape.gradient(loss, model.generator.trainable_variables + [real])
    assert all(g is not None for g in g_grads[:-1])
    assert max(float(tf.reduce_max(tf.abs(g))) for g in g_grads[:-1]) > 0
    assert g_grads[-1] is None  # the real side is a constant
    with pytest.raises(ValueError, match="real images"):
        model.generator_objective(fake, latents, None)


def test_feature_matching_layer_choice_and_errors():
    with_mbd = kgz.create_model("dcgan_tiny", minibatch_discrimination=3, feature_matching=True)
    # Before minibatch discrimination, as in the authors' code.
    feature_layer = with_mbd.discriminator.get_layer(with_mbd.feature_layer)
    assert isinstance(feature_layer, keras.layers.Flatten)
    named = kgz.create_model("dcgan_tiny", feature_matching="down1_bn")
    assert named.feature_layer == "down1_bn"
    assert named.call_features(tf.constant(images(2))).shape == (2, 4 * 4 * 8)
    assert named.get_config()["feature_matching"] == "down1_bn"
    with pytest.raises(ValueError, match="no such layer.*down0"):
        kgz.create_model("dcgan_tiny", feature_matching="nope")
    with pytest.raises(ValueError, match="feature_matching must be None"):
        kgz.create_model("dcgan_tiny", feature_matching=3)
    # The feature sub-model shares the discriminator's layers and is not saved twice.
    assert [layer.name for layer in named.layers] == ["generator", "discriminator"]


def test_feature_matching_trains_and_reports_its_loss_as_g_loss():
    model = kgz.create_model("cgan_tiny", seed=0, feature_matching=True)
    model.compile()
    x, y = images(16, 6), (np.arange(16) % 3).astype("int32")
    history = model.fit(x, y, batch_size=8, verbose=0).history
    assert set(history) == {"d_loss", "g_loss"}
    assert 0 <= history["g_loss"][0] < 50


# ------------------------------------------------------- historical averaging
def test_historical_averaging_penalty_and_its_gradient():
    w, lr = 0.5, 0.05
    plain = kgz.create_model("dcgan_tiny", seed=0)
    averaged = kgz.create_model("dcgan_tiny", seed=0, historical_averaging=w)
    copy_networks(plain, averaged)
    for model in (plain, averaged):
        model.compile(generator_optimizer=keras.optimizers.SGD(lr),
                      discriminator_optimizer=keras.optimizers.SGD(lr))
    x = images(8, 7)
    d_vars = averaged.discriminator.trainable_variables
    g_vars = averaged.generator.trainable_variables
    snapshot = lambda variables: [v.numpy().astype("float64") for v in variables]  # noqa: E731
    d0, g0 = snapshot(d_vars), snapshot(g_vars)

    first = averaged.fit(x, batch_size=8, verbose=0, shuffle=False).history
    plain.fit(x, batch_size=8, verbose=0, shuffle=False)
    assert first["hist_avg_d"] == [0.0] and first["hist_avg_g"] == [0.0]
    # A zero penalty has a zero gradient: the first update is the plain one.
    for a, b in zip(plain.discriminator.get_weights(), averaged.discriminator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
    d1, g1 = snapshot(d_vars), snapshot(g_vars)

    second = averaged.fit(x, batch_size=8, verbose=0, shuffle=False).history
    plain.fit(x, batch_size=8, verbose=0, shuffle=False)
    # At step 2 the mean of past parameters is (theta0 + theta1) / 2.
    hand = lambda now, before: w * sum(  # noqa: E731
        np.sum((a - (a + b) / 2) ** 2) for a, b in zip(now, before))
    np.testing.assert_allclose(second["hist_avg_d"][0], hand(d1, d0), rtol=1e-4)
    np.testing.assert_allclose(second["hist_avg_g"][0], hand(g1, g0), rtol=1e-4)
    assert second["hist_avg_d"][0] > 0
    # Its gradient 2 w (theta1 - mean) = w (theta1 - theta0) moved D's SGD update.
    for v, p, a, b in zip(averaged.discriminator.trainable_weights,
                          plain.discriminator.trainable_weights, d1, d0):
        np.testing.assert_allclose(v.numpy() - p.numpy(), -lr * w * (a - b), atol=2e-6)

    # The running means hold theta0..theta2 (3 parameter sets).
    state = averaged._historical["d"]
    assert int(state.count) == 3
    d2 = snapshot(d_vars)
    for mean, a, b, c in zip(state.means, d0, d1, d2):
        np.testing.assert_allclose(mean.numpy(), (a + b + c) / 3, atol=1e-6)


def test_historical_averaging_skipped_float16_step_is_not_averaged():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = kgz.create_model("dcgan_tiny", seed=0, historical_averaging=1.0)
    model.compile(
        generator_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3)),
        discriminator_optimizer=keras.optimizers.LossScaleOptimizer(
            keras.optimizers.Adam(1e-3), initial_scale=2.0**60))
    before = [v.numpy() for v in model.discriminator.trainable_variables]
    model.fit(images(8), batch_size=8, verbose=0)
    for key in ("d", "g"):
        assert int(model._historical[key].count) == 1  # initialised, no update folded in
    for mean, value in zip(model._historical["d"].means, before):
        np.testing.assert_array_equal(mean.numpy(), value)


def test_historical_averaging_validation():
    for bad in (-1.0, True, "1"):
        with pytest.raises(ValueError, match="historical_averaging must be a weight >= 0"):
            kgz.create_model("dcgan_tiny", historical_averaging=bad)
    model = kgz.create_model("dcgan_tiny", historical_averaging=0.0)
    assert not any("hist_avg" in w.path for w in model.weights)
    assert [m.name for m in model.metrics] == ["d_loss", "g_loss"]


# --------------------------------------------------- minibatch discrimination
def test_minibatch_discrimination_identical_vs_distinct_examples():
    layer = MinibatchDiscrimination(num_kernels=6, kernel_dim=3)
    same = np.tile(np.random.default_rng(0).normal(size=(1, 10)), (5, 1)).astype("float32")
    out = layer(same).numpy()
    assert out.shape == (5, 16)
    np.testing.assert_array_equal(out[:, :10], same)  # the features pass through
    np.testing.assert_allclose(out[:, 10:], 4.0)  # n - 1: every other example is identical

    distinct = np.random.default_rng(1).normal(size=(5, 10)).astype("float32")
    similarity = layer(distinct).numpy()[:, 10:]
    assert np.all(similarity < 4.0) and np.all(similarity >= 0.0)

    # The formula, by hand: o_b(x_i) = sum_{j != i} exp(-||M_ib - M_jb||_1).
    m = (distinct.astype("float64") @ layer.kernel.numpy()).reshape(5, 6, 3)
    dist = np.abs(m[:, None] - m[None, :]).sum(-1)
    expected = (np.exp(-dist) * (1 - np.eye(5))[..., None]).sum(axis=1)
    np.testing.assert_allclose(similarity, expected, rtol=1e-5, atol=1e-6)
    assert np.all(layer(distinct[:1]).numpy()[:, 10:] == 0.0)  # alone in its batch


def test_minibatch_discrimination_is_serializable_and_checks_its_input():
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=2, name="mbd")
    inputs = keras.Input((7,))
    model = keras.Model(inputs, layer(inputs))
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(2).normal(size=(3, 7)).astype("float32")
    np.testing.assert_allclose(clone(x), model(x), rtol=1e-6)
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(restored, MinibatchDiscrimination)
    assert (restored.num_kernels, restored.kernel_dim) == (4, 2)
    with pytest.raises(ValueError, match="flat features.*Flatten"):
        MinibatchDiscrimination(2)(keras.Input((4, 4, 1)))
    with pytest.raises(ValueError, match="num_kernels must be a positive int"):
        MinibatchDiscrimination(0)


@pytest.mark.parametrize("name", ["dcgan_tiny", "gan_tiny"])
def test_model_with_minibatch_discrimination_fits_and_round_trips(name, tmp_path):
    model = kgz.create_model(name, seed=0, minibatch_discrimination=4)
    layer = model.discriminator.get_layer("minibatch_discrimination")
    assert isinstance(layer, MinibatchDiscrimination) and layer.num_kernels == 4
    assert model.discriminator.get_layer("logit").input.shape[-1] == layer.input.shape[-1] + 4
    model.compile()
    x = images(16, 8)
    history = model.fit(x, batch_size=8, verbose=0, shuffle=False).history
    assert all(np.isfinite(v).all() for v in history.values())
    path = str(tmp_path / "mbd.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.get_config() == model.get_config()
    assert restored.get_config()["minibatch_discrimination"] == 4
    np.testing.assert_array_equal(restored.generate(4, seed=1), model.generate(4, seed=1))
    np.testing.assert_array_equal(restored.discriminator(x[:8]), model.discriminator(x[:8]))
    with pytest.raises(ValueError, match="minibatch_discrimination must be an int >= 0"):
        kgz.create_model(name, minibatch_discrimination=-1)


# --------------------------------------------------------------- all together
def test_all_options_round_trip_and_resume_exactly(tmp_path):
    options = dict(label_smoothing=0.1, feature_matching=True, historical_averaging=0.01,
                   minibatch_discrimination=3)
    model = kgz.create_model("dcgan_tiny", seed=0, **options)
    model.compile()
    x = images(16, 9)
    model.fit(x, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "all.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    for key, value in options.items():
        assert restored.get_config()[key] == value
    assert isinstance(restored.discriminator.get_layer(restored.feature_layer),
                      keras.layers.Flatten)
    for key in ("d", "g"):
        ours, theirs = model._historical[key], restored._historical[key]
        assert int(theirs.count) == int(ours.count) == 3
        for a, b in zip(ours.means, theirs.means):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    first = model.fit(x, batch_size=8, verbose=0, shuffle=False).history
    again = restored.fit(x, batch_size=8, verbose=0, shuffle=False).history
    assert first == again
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_options_under_mirrored_strategy_match_one_device(mirrored_strategy):
    """Feature matching's means are over the global batch; the penalties are replicated."""
    options = dict(seed=7, label_smoothing=0.1, feature_matching=True, historical_averaging=0.1)
    single = kgz.create_model("dcgan_tiny", **options)
    x = images(8, 10)
    latents = np.random.default_rng(5).standard_normal((8, single.latent_dim)).astype("float32")
    with mirrored_strategy.scope():
        mirrored = kgz.create_model("dcgan_tiny", **options)
        mirrored.set_weights(single.get_weights())
        mirrored.compile()
    single.compile()
    batch = tf.data.Dataset.from_tensor_slices({"images": x, "latents": latents}).batch(8)
    h_single = single.fit(batch, epochs=2, verbose=0).history
    h_mirrored = mirrored.fit(batch, epochs=2, verbose=0).history
    for key in h_single:
        np.testing.assert_allclose(h_single[key], h_mirrored[key], rtol=1e-4, atol=1e-6)
    assert h_single["hist_avg_d"][1] > 0
    for a, b in zip(single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_base_class_defaults_and_config():
    config = kgz.create_model("dcgan_tiny").get_config()
    assert (config["label_smoothing"], config["feature_matching"],
            config["historical_averaging"]) == (0.0, None, 0.0)
    assert AdversarialModel.supports_label_smoothing is False
    assert DCGAN.supports_label_smoothing is True
