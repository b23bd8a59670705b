"""LSGAN, WGAN and WGAN-GP: the numerics each paper prescribes.

The contract tests (tests/test_contract.py) cover fit, resume, export, precision,
MirroredStrategy and input errors of the tiny variants; here: the losses' constants,
weight clipping, the gradient penalty's value through the model, its float16 loss
scaling, its per-example interpolation weights on 2 replicas, and n_critic.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import losses
from keras_gan_zoo.models import LSGAN, WGAN, WGANGP, dcgan_discriminator

SMALL = dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=8)


def images(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")


def latents(n, dim=8, seed=1):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


def one_batch(x, z):
    """A dataset of one dict batch: fixed images and fixed latents."""
    return tf.data.Dataset.from_tensor_slices({"images": x, "latents": z}).batch(len(x))


def linear_critic(w):
    """D(x) = <w, x> + 0: grad_x D = w everywhere, so the GP is (||w|| - 1)^2."""
    critic = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Flatten(),
                               keras.layers.Dense(1, dtype="float32")], name="critic")
    critic.layers[-1].kernel.assign(w.reshape(-1, 1))
    return critic


# ----------------------------------------------------------------- dcgan critic
def test_dcgan_discriminator_normalization_options():
    batch = dcgan_discriminator((16, 16, 1), 4)
    assert [l.name for l in batch.layers if isinstance(l, keras.layers.BatchNormalization)] \
        == ["down1_bn"]
    assert batch.get_layer("down1").use_bias is False
    assert batch.count_params() == dcgan_discriminator((16, 16, 1), 4, "batch").count_params()

    layer = dcgan_discriminator((16, 16, 1), 4, normalization="layer")
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in layer.layers)
    norm = layer.get_layer("down1_ln")
    assert isinstance(norm, keras.layers.LayerNormalization)
    assert tuple(norm.axis) == (1, 2, 3)
    # Layer norm is per example: an example's output does not depend on the others.
    x = images(4)
    alone = layer(x[:1], training=True).numpy()
    np.testing.assert_allclose(layer(x, training=True).numpy()[:1], alone, rtol=1e-5, atol=1e-6)

    plain = dcgan_discriminator((16, 16, 1), 4, normalization="none")
    assert not any(isinstance(l, (keras.layers.BatchNormalization,
                                  keras.layers.LayerNormalization)) for l in plain.layers)
    assert plain.get_layer("down1").use_bias is True
    with pytest.raises(ValueError, match="normalization must be one of"):
        dcgan_discriminator((16, 16, 1), 4, normalization="instance")


# ------------------------------------------------------------------------ LSGAN
def test_lsgan_constants_reach_the_losses():
    real, fake = np.array([[0.5], [-2.0]], "float32"), np.array([[1.5], [0.0], [-1.0]], "float32")
    chi2 = LSGAN(a=-1.0, b=1.0, c=0.0, **SMALL)
    expected_d = 0.5 * np.mean((real - 1.0) ** 2) + 0.5 * np.mean((fake + 1.0) ** 2)
    np.testing.assert_allclose(float(chi2.discriminator_loss(real, fake)), expected_d, rtol=1e-6)
    np.testing.assert_allclose(float(chi2.generator_loss(fake)), 0.5 * np.mean(fake**2),
                               rtol=1e-6)
    default = LSGAN(**SMALL)
    assert (default.a, default.b, default.c) == (0.0, 1.0, 1.0)
    np.testing.assert_allclose(float(default.generator_loss(fake)),
                               0.5 * np.mean((fake - 1.0) ** 2), rtol=1e-6)
    assert LSGAN.from_config(chi2.get_config()).get_config() == chi2.get_config()
    with pytest.raises(ValueError, match="must differ"):
        LSGAN(a=1.0, b=1.0, **SMALL)
    with pytest.raises(ValueError, match="c must be a number"):
        LSGAN(c="one", **SMALL)


def test_lsgan_train_step_uses_its_constants():
    """The d_loss fit reports is eq. 2 with the model's a, b on the pre-update networks."""
    x, z = images(8), latents(8)
    model = kgz.create_model("lsgan_tiny", a=-1.0, b=1.0, c=0.0, seed=0)
    model.compile()
    fake = model.generator(z, training=True)
    real_out = model.discriminator(x, training=True).numpy()
    fake_out = model.discriminator(fake, training=True).numpy()
    expected = 0.5 * np.mean((real_out - 1.0) ** 2) + 0.5 * np.mean((fake_out + 1.0) ** 2)
    zero_one = 0.5 * np.mean((real_out - 1.0) ** 2) + 0.5 * np.mean(fake_out**2)
    assert abs(expected - zero_one) > 0.1  # the constants make a visible difference
    history = model.fit(one_batch(x, z), verbose=0).history
    np.testing.assert_allclose(history["d_loss"][0], expected, rtol=1e-5)


# ------------------------------------------------------------------------- WGAN
def test_wgan_clipping_holds_after_fit():
    model = WGAN(clip_value=0.01, seed=0, **SMALL)
    critic = model.discriminator.trainable_variables
    assert max(np.abs(v.numpy()).max() for v in critic) <= 0.01  # clipped from the start
    # A huge learning rate pushes every weight far outside [-c, c] before clipping.
    model.compile(generator_optimizer=keras.optimizers.RMSprop(0.5),
                  discriminator_optimizer=keras.optimizers.RMSprop(0.5))
    model.fit(images(40), batch_size=20, verbose=0)
    assert int(model.discriminator_optimizer.iterations) == 10
    largest = max(np.abs(v.numpy()).max() for v in critic)
    assert largest == pytest.approx(0.01)  # at the bound: clipping did the work
    for v in critic:
        assert np.all(np.abs(v.numpy()) <= 0.01), v.path

    wide = WGAN(clip_value=0.05, seed=0, **SMALL)
    assert wide.get_config()["clip_value"] == 0.05
    with pytest.raises(ValueError, match="clip_value"):
        WGAN(clip_value=0.0, **SMALL)


def test_paper_optimizers():
    wgan, gp, ls = WGAN(**SMALL), WGANGP(**SMALL), LSGAN(**SMALL)
    for model in (wgan, gp, ls):
        model.compile()
    for opt in (wgan.generator_optimizer, wgan.discriminator_optimizer):
        assert isinstance(opt, keras.optimizers.RMSprop)
        assert float(opt.learning_rate) == pytest.approx(5e-5)
    for opt in (gp.generator_optimizer, gp.discriminator_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert (float(opt.learning_rate), opt.beta_1, opt.beta_2) == pytest.approx((1e-4, 0, 0.9))
    assert (float(ls.generator_optimizer.learning_rate), ls.generator_optimizer.beta_1) \
        == pytest.approx((2e-4, 0.5))
    assert wgan.d_steps == 5 and gp.d_steps == 5 and ls.d_steps == 1
    assert gp.gp_weight == 10.0 and gp.normalization == "layer"


@pytest.mark.parametrize("name", ["wgan", "wgan_gp"])
def test_n_critic_updates_per_generator_update(name):
    model = kgz.create_model(name, seed=0, **SMALL)
    model.compile()
    assert model.d_steps == 5
    # Batches of 5 x 4: five critic updates on 4 images, one generator update.
    history = model.fit(images(40), batch_size=20, epochs=2, verbose=0).history
    assert int(model.generator_optimizer.iterations) == 4
    assert int(model.discriminator_optimizer.iterations) == 5 * 4
    assert all(np.isfinite(v).all() for v in history.values())


# ---------------------------------------------------------------------- WGAN-GP
def test_wgan_gp_refuses_batch_norm_critic():
    with pytest.raises(ValueError, match="'layer' or 'none'"):
        WGANGP(normalization="batch", **SMALL)
    with pytest.raises(ValueError, match="gp_weight"):
        WGANGP(gp_weight=-1.0, **SMALL)
    plain = WGANGP(normalization="none", **SMALL)
    assert not any(isinstance(l, keras.layers.LayerNormalization)
                   for l in plain.discriminator.layers)


def test_wgan_gp_penalty_on_a_linear_critic_through_the_model():
    w = np.random.default_rng(2).normal(0, 0.1, (16, 16, 1)).astype("float32")
    expected = 10.0 * (np.linalg.norm(w.astype("float64")) - 1.0) ** 2
    # One critic update per step, so the step's d_loss is that of the initial critic.
    model = kgz.create_model("wgan_gp_tiny", seed=0, d_steps=1)
    model.discriminator = linear_critic(w)
    model.compile()
    x, z = images(8), latents(8)
    terms = model.discriminator_penalties(tf.constant(x), model.generator(z))
    np.testing.assert_allclose(float(terms["gp"]), expected, rtol=1e-5)

    # Through fit: the gp tracker reports lambda * (||w|| - 1)^2 of the step's critic,
    # and d_loss = E[D(fake)] - E[D(real)] + gp.
    fake = model.generator(z, training=True).numpy()
    wasserstein = float(np.mean(fake.reshape(8, -1) @ w.reshape(-1))
                        - np.mean(x.reshape(8, -1) @ w.reshape(-1)))
    history = model.fit(one_batch(x, z), verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "gp"}
    np.testing.assert_allclose(history["gp"][0], expected, rtol=1e-5)
    np.testing.assert_allclose(history["d_loss"][0], wasserstein + expected, rtol=1e-4)


def test_gp_tracker_appears_in_history():
    model = kgz.create_model("wgan_gp_tiny", seed=0)
    model.compile()
    history = model.fit(images(16), batch_size=8, epochs=2, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "gp"}
    assert len(history["gp"]) == 2 and all(v > 0 for v in history["gp"])


def test_interpolation_weights_are_per_example_and_replica_independent(mirrored_strategy):
    single = kgz.create_model("wgan_gp_tiny", seed=3)
    single.compile()
    alpha = single.interpolation_weights(8).numpy()
    assert alpha.shape == (8,) and alpha.min() >= 0 and alpha.max() <= 1
    assert len(np.unique(alpha)) == 8
    np.testing.assert_array_equal(alpha, single.interpolation_weights(8).numpy())

    with mirrored_strategy.scope():
        mirrored = kgz.create_model("wgan_gp_tiny", seed=3)
        mirrored.compile()
    per_replica = mirrored_strategy.run(tf.function(lambda: mirrored.interpolation_weights(4)))
    first, second = mirrored_strategy.experimental_local_results(per_replica)
    # Replica r holds examples [4r, 4r + 4) of the global batch, and their alphas.
    np.testing.assert_array_equal(np.concatenate([first, second]), alpha)

    single.step_counter.assign(1)
    assert not np.allclose(single.interpolation_weights(8).numpy(), alpha)  # fresh per step
    other_seed = kgz.create_model("wgan_gp_tiny", seed=4)
    other_seed.compile()
    assert not np.allclose(other_seed.interpolation_weights(8).numpy(), alpha)


# ------------------------------------------------------- float16 loss scaling
def _twin_models():
    """The same WGAN-GP critic (layer norm) built under float32 and mixed_float16."""
    reference = kgz.create_model("wgan_gp_tiny", seed=5)
    reference.compile()
    keras.mixed_precision.set_global_policy("mixed_float16")
    half = kgz.create_model("wgan_gp_tiny", seed=5)
    half.set_weights(reference.get_weights())
    half.compile()
    return reference, half


def test_gp_under_mixed_float16_matches_float32():
    reference, half = _twin_models()
    assert isinstance(half.discriminator_optimizer, keras.optimizers.LossScaleOptimizer)
    x, z = images(8), latents(8)
    fake = reference.generator(z).numpy()
    want = float(reference.discriminator_penalties(tf.constant(x), tf.constant(fake))["gp"])
    real16 = tf.cast(x, half.discriminator.compute_dtype)  # as train_step feeds the critic
    got = half.discriminator_penalties(real16, tf.constant(fake))["gp"]
    assert got.dtype == tf.float32
    np.testing.assert_allclose(float(got), want, rtol=2e-2)

    # The inner gradient runs at the optimizer's scale per example of the global batch.
    scale = float(half.discriminator_optimizer.dynamic_scale)
    np.testing.assert_allclose(float(half.penalty_loss_scale(8)), scale / 8)
    assert reference.penalty_loss_scale(8) is None


def _underflowing_critic():
    """A float16 critic whose output is scaled by 1e-6 (and a float32 twin).

    Its gradient w.r.t. the conv features (1e-6 x dense weights of ~2e-3, ~2e-9) is
    far below float16's smallest subnormal (6e-8) and flushes to zero unscaled,
    while its input gradient (through conv weights of ~500) is ~1e-5 per pixel:
    small, but well inside float32.
    """
    def build(dtype):
        return keras.Sequential([
            keras.Input((16, 16, 1)),
            keras.layers.Conv2D(4, 4, 2, padding="same", dtype=dtype, name="conv"),
            keras.layers.LeakyReLU(0.2, dtype=dtype),
            keras.layers.Flatten(dtype=dtype),
            keras.layers.Dense(1, dtype="float32", name="dense"),
            keras.layers.Rescaling(1e-6, dtype="float32"),
        ])

    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 500.0, (4, 4, 1, 4)).astype("float32"), np.zeros(4, "float32"),
               rng.normal(0, 0.002, (256, 1)).astype("float32"), np.zeros(1, "float32")]
    critics = build("float32"), build("mixed_float16")
    for critic in critics:
        critic.set_weights(weights)
    return critics


def test_loss_scale_keeps_a_float16_penalty_from_underflowing():
    critic32, critic16 = _underflowing_critic()
    x = images(8)
    fake = images(8, seed=1)
    alpha = np.linspace(0.0, 1.0, 8).astype("float32")
    # target 0: the penalty is E[||grad||^2], which shows the small gradient itself.
    kwargs = dict(alpha=alpha, target=0.0)
    want = float(losses.gradient_penalty(critic32, x, fake, **kwargs))
    assert 1e-9 < want < 1e-5
    x16, fake16 = tf.cast(x, "float16"), tf.cast(fake, "float16")
    unscaled = float(losses.gradient_penalty(critic16, x16, fake16, **kwargs))
    assert unscaled < 0.01 * want  # float16 underflow: the gradient vanished
    with tf.GradientTape() as tape:
        scaled = losses.gradient_penalty(critic16, x16, fake16, loss_scale=2.0**15, **kwargs)
    assert np.isfinite(float(scaled))
    np.testing.assert_allclose(float(scaled), want, rtol=2e-2)
    grads = tape.gradient(scaled, critic16.trainable_variables)
    assert all(np.all(np.isfinite(g.numpy())) for g in grads if g is not None)

    # The model path: a float16 WGAN-GP with this critic uses its loss scale.
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = kgz.create_model("wgan_gp_tiny", seed=0)
    model.discriminator = critic16
    model.compile()
    gp = float(model.discriminator_penalties(x16, fake16)["gp"])
    reference = float(losses.gradient_penalty(critic32, x, fake,
                                              alpha=model.interpolation_weights(8)))
    # (||g|| - 1)^2 ~ 1 - 2 ||g||: the small gradient norm shows in the 5th digit, where
    # the unscaled float16 penalty is off and the loss-scaled one is not.
    unscaled_model = 10.0 * float(losses.gradient_penalty(
        critic16, x16, fake16, alpha=model.interpolation_weights(8)))
    assert abs(unscaled_model - 10.0 * reference) > 10 * abs(gp - 10.0 * reference)


def test_overflowing_scale_reports_the_penalty_and_poisons_its_gradient():
    _, critic16 = _underflowing_critic()
    x16, fake16 = tf.cast(images(8), "float16"), tf.cast(images(8, seed=1), "float16")
    alpha = np.full((8,), 0.5, "float32")
    unscaled = float(losses.gradient_penalty(critic16, x16, fake16, alpha=alpha))
    with tf.GradientTape() as tape:
        # 1e6 x 2^40 drives the float16 inner gradient to inf.
        value = losses.gradient_penalty(critic16, x16, fake16, alpha=alpha,
                                        loss_scale=2.0**40 * 1e6)
    assert float(value) == pytest.approx(unscaled)  # reported: finite, the penalty's value
    grads = dict(zip([v.path.split("/", 1)[1] for v in critic16.trainable_variables],
                     tape.gradient(value, critic16.trainable_variables)))
    # NaN wherever the penalty depends on a weight: a loss-scale optimizer skips the step.
    # (The conv bias only moves the LeakyReLU's kinks: its gradient is exactly 0.)
    assert np.isnan(grads["conv/kernel"].numpy()).all()
    assert np.isnan(grads["dense/kernel"].numpy()).all()
