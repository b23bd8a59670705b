"""LAPGAN's own numerics: the pyramid, coarse-to-fine sampling, per-level training.

The contract tests (fit, save/resume, export, precision, distribution, bad inputs)
run `lapgan_tiny` automatically; these check what is specific to the pyramid.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo.models.adversarial import lapgan as L


def tiny(**overrides):
    return kgz.create_model("lapgan_tiny", seed=3, **overrides)


def random_images(shape, n=6, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def real_fashion(n=256):
    dataset = kgz.datasets.load("fashion_mnist", split="test", batch_size=n, shuffle=False)
    return next(iter(dataset)).numpy()


def weights(net):
    return [v.numpy().copy() for v in net.trainable_variables]


def changed(before, after):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(before, after))


@pytest.mark.parametrize("shape,levels", [((16, 16, 1), 3), ((28, 28, 1), 3), ((32, 32, 3), 4)])
def test_pyramid_reconstructs_the_image(shape, levels):
    images = random_images(shape)
    pyramid = L.laplacian_pyramid(images, levels)
    assert [tuple(p.shape[1:3]) for p in pyramid] == [
        (shape[0] // 2 ** (levels - 1 - k),) * 2 for k in range(levels)]
    np.testing.assert_allclose(L.reconstruct(pyramid), images, atol=1e-6)
    # d averages 2x2 blocks.
    n, h, w, c = images.shape
    blocks = images.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))
    np.testing.assert_allclose(L.downsample(images), blocks, atol=1e-6)


def test_model_decomposition_matches_the_pyramid_functions():
    model = tiny()
    images = random_images(model.image_shape)
    levels, conditions = model.decompose(images)
    pyramid = L.laplacian_pyramid(images, 3)
    for ours, theirs in zip(levels, pyramid):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
    # I_k = l_k + h_k at every level; the finest is the image itself.
    np.testing.assert_allclose(conditions[-1] + levels[-1], images, atol=1e-6)
    np.testing.assert_allclose(conditions[0], L.upsample(levels[0]), atol=1e-6)


def test_level_sizes_halve_until_at_most_8():
    assert L.num_pyramid_levels((28, 28, 1)) == 3
    assert L.num_pyramid_levels((32, 32, 3)) == 3
    assert L.num_pyramid_levels((64, 64, 3)) == 4
    model = kgz.create_model("lapgan", image_shape=(28, 28, 1))
    assert model.level_shapes == [(7, 7, 1), (14, 14, 1), (28, 28, 1)]
    assert model.latent_dim == 100 + 14 * 14 + 28 * 28
    cifar = kgz.create_model("lapgan", image_shape=(32, 32, 3), level_filters=8)
    assert cifar.level_shapes == [(8, 8, 3), (16, 16, 3), (32, 32, 3)]
    assert tiny().level_shapes == [(4, 4, 1), (8, 8, 1), (16, 16, 1)]


def test_bad_configurations_raise():
    with pytest.raises(ValueError, match=r"divisible by 4"):
        kgz.create_model("lapgan", image_shape=(30, 30, 1), num_levels=3)
    with pytest.raises(ValueError, match=r"num_levels must be an int >= 2"):
        kgz.create_model("lapgan", image_shape=(7, 7, 1))
    with pytest.raises(ValueError, match=r"concatenated latent.*328"):
        tiny(latent_dim=8)
    with pytest.raises(ValueError, match=r"image_shape must be"):
        kgz.create_model("lapgan", image_shape=(28, 28))
    model = tiny()
    with pytest.raises(ValueError, match=r"latents must have shape \(2, 328\)"):
        model.generate_pyramid(2, latents=np.zeros((2, 8)))


def test_generate_pyramid_sizes_and_final_level_equals_generate():
    model = tiny()
    levels = model.generate_pyramid(5, seed=4, batch_size=2)
    assert [lv.shape for lv in levels] == [(5, 4, 4, 1), (5, 8, 8, 1), (5, 16, 16, 1)]
    assert all(lv.dtype == np.float32 and lv.min() >= -1 and lv.max() <= 1 for lv in levels)
    np.testing.assert_array_equal(levels[-1], model.generate(5, seed=4))

    # Each level is l_k + G_k(z_k, l_k) with l_k the upsampled previous level.
    latents = model.random_latents(5, 4)
    parts = model.split_latents(latents)
    np.testing.assert_allclose(levels[0], model.level_generator(0)(parts[0]), atol=1e-6)
    for k in (1, 2):
        condition = L.upsample(levels[k - 1])
        residual = model.level_generator(k)([parts[k], condition])
        expected = np.clip(condition + residual, -1, 1)
        np.testing.assert_allclose(levels[k], expected, atol=1e-5)


def test_the_latent_is_z0_then_one_noise_plane_per_level():
    model = tiny()
    latents = np.arange(model.latent_dim, dtype="float32")[None]
    z0, plane1, plane2 = (np.asarray(p) for p in model.split_latents(latents))
    assert z0.shape == (1, 8) and plane1.shape == (1, 8, 8, 1) and plane2.shape == (1, 16, 16, 1)
    np.testing.assert_array_equal(z0[0], np.arange(8))
    np.testing.assert_array_equal(plane1[0, :, :, 0], np.arange(8, 72).reshape(8, 8))
    np.testing.assert_array_equal(plane2[0, :, :, 0], np.arange(72, 328).reshape(16, 16))
    # Changing only the finest noise plane leaves the coarser levels alone.
    base = model.random_latents(3, 0)
    moved = base.copy()
    moved[:, 72:] += 1.0
    a, b = model.generate_pyramid(3, latents=base), model.generate_pyramid(3, latents=moved)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert np.abs(a[2] - b[2]).max() > 0


def test_discriminators_see_real_residuals_with_near_zero_mean():
    model = kgz.create_model("lapgan", image_shape=(28, 28, 1), coarse_units=16,
                             coarse_d_units=8, level_filters=4, dropout=0.0, seed=0)
    model.compile()
    real = real_fashion()
    seen = []
    original = model._discriminate

    def spy(levels, conditions, training):
        seen.append(([np.asarray(x) for x in levels], [np.asarray(c) for c in conditions]))
        return original(levels, conditions, training)

    model._discriminate = spy
    latents = model.random_latents(len(real), 0)
    fake = model.training_fakes(real, latents, None)
    model.discriminator_objective(real, fake, None)
    (real_levels, real_conditions), (fake_levels, fake_conditions) = seen
    assert abs(real.mean()) > 0.3  # Fashion-MNIST is mostly dark background
    for residual in real_levels[1:]:
        assert abs(residual.mean()) < 0.01
        assert residual.std() > 0.05  # not trivially zero: it carries the edges
    # D_0 sees the real coarse 7x7 images; fake pairs share the real conditions.
    np.testing.assert_allclose(real_levels[0], L.downsample(L.downsample(real)), atol=1e-6)
    for ours, theirs in zip(real_conditions, fake_conditions):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert fake_levels[1].shape == real_levels[1].shape == (len(real), 14, 14, 1)


def test_training_fakes_are_conditioned_on_the_real_coarse_images():
    model = tiny()
    real = random_images(model.image_shape, n=4)
    latents = model.random_latents(4, 1)
    levels, conditions = model._unpack(model.training_fakes(real, latents, None))
    parts = model.split_latents(latents)
    real_levels, real_conditions = model.decompose(real)
    for k in (1, 2):
        np.testing.assert_allclose(conditions[k - 1], real_conditions[k - 1], atol=1e-6)
        # Training mode, as in training_fakes (batch norm uses the batch's statistics).
        expected = model.level_generator(k)([parts[k], real_conditions[k - 1]], training=True)
        np.testing.assert_allclose(levels[k], expected, atol=1e-5)
    np.testing.assert_allclose(levels[0], model.level_generator(0)(parts[0], training=True),
                               atol=1e-6)


def test_training_changes_every_level_and_reports_per_level_losses():
    model = tiny()
    model.compile()
    generators = [weights(model.level_generator(k)) for k in range(3)]
    discriminators = [weights(model.level_discriminator(k)) for k in range(3)]
    history = model.fit(random_images(model.image_shape, n=16), batch_size=8, epochs=1,
                        verbose=0).history
    for k in range(3):
        assert changed(generators[k], weights(model.level_generator(k))) > 0, f"G_{k} unchanged"
        assert changed(discriminators[k], weights(model.level_discriminator(k))) > 0, \
            f"D_{k} unchanged"
    for name in ("d_level0", "d_level1", "d_level2", "g_level0", "g_level1", "g_level2"):
        assert np.isfinite(history[name][-1])
    d_sum = sum(history[f"d_level{k}"][-1] for k in range(3))
    g_sum = sum(history[f"g_level{k}"][-1] for k in range(3))
    assert history["d_loss"][-1] == pytest.approx(d_sum, rel=1e-5)
    assert history["g_loss"][-1] == pytest.approx(g_sum, rel=1e-5)


def test_call_discriminator_returns_one_logit_per_level():
    model = tiny()
    logits = model.call_discriminator(random_images(model.image_shape, n=3))
    assert [tuple(x.shape) for x in logits] == [(3, 1)] * 3


def test_config_round_trip():
    model = tiny()
    config = model.get_config()
    assert config["latent_dim"] == 328 and config["num_levels"] == 3
    clone = L.LAPGAN.from_config(config)
    assert clone.get_config() == config
    assert isinstance(keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model)), L.LAPGAN)


def test_label_smoothing_applies_to_every_level_and_feature_matching_is_refused():
    plain, smoothed = tiny(), tiny(label_smoothing=0.1)
    smoothed.set_weights(plain.get_weights())
    real = random_images(plain.image_shape, n=4)
    fake = plain.training_fakes(real, plain.random_latents(4, 0), None)
    _, plain_terms = plain.discriminator_objective(real, fake, None)
    _, smoothed_terms = smoothed.discriminator_objective(real, fake, None)
    real_logits = plain.call_discriminator(real)
    fake_levels, conditions = plain._unpack(fake)
    fake_logits = plain._discriminate(fake_levels, conditions, False)
    for k in range(3):
        expected = kgz.losses.nonsaturating_d_loss(real_logits[k], fake_logits[k],
                                                   real_label=0.9)
        assert float(smoothed_terms[f"d_level{k}"]) == pytest.approx(float(expected), rel=1e-5)
        assert float(smoothed_terms[f"d_level{k}"]) != float(plain_terms[f"d_level{k}"])
    with pytest.raises(ValueError, match=r"LAPGAN does not support feature_matching"):
        tiny(feature_matching=True)


@pytest.mark.parametrize("shape", [(8, 5, 5, 4), (8, 6)])
def test_global_batch_norm_statistics_do_not_depend_on_the_split(shape, mirrored_strategy):
    """One device and 2 replicas x half the batch give bit-identical float32 statistics
    (Keras' synchronized batch norm differs in the last bits with the summation order,
    which made lapgan_tiny miss the MirroredStrategy equality test now and then)."""
    rng = np.random.default_rng(0)
    with mirrored_strategy.scope():
        layer = L.GlobalBatchNormalization(name="bn")
        layer.build(shape)
    for trial in range(5):
        x = rng.normal(trial - 2.0, 0.5 + trial, shape).astype("float32")
        mean, variance = (keras.ops.convert_to_numpy(t) for t in layer._moments(x, None))
        axes = tuple(range(len(shape) - 1))
        np.testing.assert_allclose(mean, x.astype("float64").mean(axes), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(variance, x.astype("float64").var(axes), rtol=1e-5)
        halves = mirrored_strategy.experimental_distribute_values_from_function(
            lambda ctx: x[ctx.replica_id_in_sync_group * 4:(ctx.replica_id_in_sync_group + 1) * 4])
        per_replica = mirrored_strategy.run(tf.function(lambda a: layer._moments(a, None)),
                                            args=(halves,))
        for i, reference in enumerate((mean, variance)):
            for replica in mirrored_strategy.experimental_local_results(per_replica[i]):
                np.testing.assert_array_equal(replica.numpy(), reference)


def test_global_batch_norm_trains_and_infers_like_keras_batch_norm():
    ours = L.GlobalBatchNormalization(momentum=0.9, epsilon=1e-5)
    theirs = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    x = np.random.default_rng(1).normal(0.5, 2.0, (16, 3, 3, 5)).astype("float32")
    np.testing.assert_allclose(ours(x, training=True), theirs(x, training=True), atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.numpy(), theirs.moving_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.moving_variance.numpy(), theirs.moving_variance.numpy(),
                               rtol=1e-5)
    assert np.abs(ours.moving_mean.numpy()).max() > 0.01  # the moving statistics moved
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), atol=1e-5)
    restored = L.GlobalBatchNormalization.from_config(ours.get_config())
    assert type(restored) is L.GlobalBatchNormalization
    model = kgz.create_model("lapgan_tiny")
    norms = [layer for level in range(3) for layer in model.level_generator(level).layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 6 and all(type(n) is L.GlobalBatchNormalization for n in norms)
