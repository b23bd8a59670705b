"""CycleGAN's own numerics: the networks' sizes against the authors', the image pool,
the linear-decay schedule, reflection padding and the loss terms.

The family contract (fit, resume, export, precision, MirroredStrategy == one
device) runs on `cyclegan_tiny` in tests/test_contract_translation.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SEED, max_abs_diff, weights
from keras_gan_zoo.layers import ReflectionPadding2D
from keras_gan_zoo.models.translation import CycleGAN, ImagePool, resnet_generator
from keras_gan_zoo.models.translation.cyclegan import default_num_blocks
from keras_gan_zoo.models.translation.pix2pix import patch_discriminator
from keras_gan_zoo.schedules import LinearDecay


def unpaired(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (n, *model.image_shape)).astype("float32")
    b = rng.uniform(-1, 1, (n, *model.target_shape)).astype("float32")
    return a, b


# ------------------------------------------------------------------ networks
def test_networks_match_the_authors_parameter_counts():
    # The authors' resnet_9blocks / n_layers=3 PatchGAN at 256x256x3 with instance
    # norm: 11,378,179 and 2,764,737 parameters, biases included. Ours drops the
    # bias of every convolution that an affine-free instance norm follows (the norm
    # subtracts it again): 5,248 (generator) and 896 (discriminator) fewer.
    generator = resnet_generator((256, 256, 3), num_blocks=9)
    assert generator.count_params() == 11_378_179 - 5_248
    discriminator = patch_discriminator((256, 256, 3), 0, 64, 3, norm="instance")
    assert discriminator.count_params() == 2_764_737 - 896
    assert generator.output_shape == (None, 256, 256, 3)


@pytest.mark.parametrize("shape", [(28, 28, 1), (30, 22, 3)])
def test_the_generator_keeps_any_image_size(shape):
    generator = resnet_generator(shape, base_filters=4, num_blocks=1)
    out = generator(np.zeros((2, *shape), "float32"))
    assert out.shape == (2, *shape) and out.dtype == tf.float32


def test_default_sizes_follow_the_paper():
    assert [default_num_blocks((s, s, 3)) for s in (28, 128, 256, 512)] == [3, 6, 9, 9]
    model = CycleGAN(image_shape=(128, 128, 3), base_filters=4)
    assert model.num_blocks == 6 and model.patch_layers == 3


def test_reflection_padding_mirrors_without_repeating_the_border():
    x = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)
    layer = ReflectionPadding2D(((1, 2), (3, 0)))
    expected = np.pad(x, [(0, 0), (1, 2), (3, 0), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(layer(x).numpy(), expected)
    assert layer.compute_output_shape((None, 4, 5, 3)) == (None, 7, 8, 3)
    again = ReflectionPadding2D.from_config(layer.get_config())
    np.testing.assert_array_equal(again(x).numpy(), expected)
    np.testing.assert_array_equal(ReflectionPadding2D(1)(x).numpy(),
                                  np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect"))
    for bad in (-1, (1, 2, 3), "1", True, ((1,), (1, 1))):
        with pytest.raises(ValueError, match="padding"):
            ReflectionPadding2D(bad)


# ---------------------------------------------------------------- image pool
def query(pool, images, step):
    return pool.query(tf.constant(images), tf.constant([SEED, step], "int64")).numpy()


def test_the_pool_stores_the_first_images_and_passes_them_on():
    pool = ImagePool(3, (1, 1, 1))
    first = np.array([1.0, 2.0], "float32").reshape(2, 1, 1, 1)
    np.testing.assert_array_equal(query(pool, first, 0), first)
    assert int(pool.stored.numpy()) == 2
    np.testing.assert_array_equal(pool.images.numpy()[:2], first)


def test_a_full_pool_returns_old_images_and_keeps_the_new_ones():
    pool = ImagePool(4, (1, 1, 1))
    history = np.arange(1, 5, dtype="float32").reshape(4, 1, 1, 1)
    query(pool, history, 0)
    seen_old, seen_new = 0, 0
    for step in range(1, 30):
        new = np.full((2, 1, 1, 1), 100.0 + step, "float32")
        before = set(pool.images.numpy().ravel())
        out = query(pool, new, step).ravel()
        after = set(pool.images.numpy().ravel())
        for value in out:
            if value == 100.0 + step:
                seen_new += 1
            else:  # a stored image, which the new one replaced in the pool
                assert value in before and 100.0 + step in after
                seen_old += 1
        assert int(pool.stored.numpy()) == 4 and len(pool.images.numpy()) == 4
    # Each image is swapped with probability 1/2: 58 draws.
    assert 15 < seen_old < 43 and seen_old + seen_new == 58


def test_the_pool_draws_are_a_function_of_the_seed():
    images = np.random.default_rng(0).uniform(-1, 1, (6, 2, 2, 1)).astype("float32")
    pools = [ImagePool(2, (2, 2, 1)) for _ in range(3)]
    outs = [query(pool, images, 5) for pool in pools[:2]] + [query(pools[2], images, 6)]
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.array_equal(pools[0].images.numpy(), pools[2].images.numpy()) or not \
        np.array_equal(outs[0], outs[2])


def test_an_empty_pool_passes_every_image_through():
    pool = ImagePool(0, (2, 2, 1))
    images = np.ones((3, 2, 2, 1), "float32")
    np.testing.assert_array_equal(query(pool, images, 0), images)
    with pytest.raises(ValueError, match="pool_size"):
        ImagePool(-1, (2, 2, 1))


def test_the_pool_is_saved_with_the_model(tmp_path):
    model = kgz.create_model("cyclegan_tiny", seed=SEED)
    model.compile()
    model.fit(*unpaired(model, 8), batch_size=4, epochs=1, verbose=0)
    stored = int(model.pool_a.stored.numpy())
    assert stored == 4  # the tiny pool holds 4 and is full after 8 images
    path = tmp_path / "cyclegan.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    for name in ("pool_a", "pool_b"):
        np.testing.assert_array_equal(getattr(restored, name).images.numpy(),
                                      getattr(model, name).images.numpy())
        assert int(getattr(restored, name).stored.numpy()) == stored
    assert np.abs(model.pool_b.images.numpy()).max() > 0


# ----------------------------------------------------------------- schedule
def test_linear_decay_holds_then_falls_to_zero():
    schedule = LinearDecay(2e-4, constant_steps=100, decay_steps=50)
    rates = [float(schedule(step)) for step in (0, 99, 100, 125, 150, 400)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0], rtol=1e-6, atol=1e-12)
    constant = LinearDecay(1e-3, 10, 0)
    assert float(constant(10_000)) == pytest.approx(1e-3)
    again = LinearDecay.from_config(schedule.get_config())
    assert float(again(125)) == pytest.approx(1e-4)
    for kwargs in (dict(initial_learning_rate=0), dict(constant_steps=-1),
                   dict(decay_steps=1.5), dict(constant_steps=True)):
        with pytest.raises(ValueError):
            LinearDecay(**{**dict(initial_learning_rate=1e-3, constant_steps=1,
                                  decay_steps=1), **kwargs})


def test_decaying_optimizers_resume_their_schedule(tmp_path):
    model = kgz.create_model("cyclegan_tiny", seed=SEED)
    model.compile(**model.decaying_optimizers(steps_per_epoch=2, constant_epochs=1,
                                              decay_epochs=2))
    a, b = unpaired(model, 8)
    model.fit(a, b, batch_size=4, epochs=2, shuffle=False, verbose=0)  # 4 steps: half-way
    for optimizer in model.named_optimizers().values():
        assert float(optimizer.learning_rate) == pytest.approx(1e-4)
    path = tmp_path / "decaying.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    for optimizer in restored.named_optimizers().values():
        assert float(optimizer.learning_rate) == pytest.approx(1e-4)
    model.fit(a, b, batch_size=4, epochs=1, shuffle=False, verbose=0)
    restored.fit(a, b, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert max_abs_diff(weights(model), weights(restored)) == 0.0
    for optimizer in restored.named_optimizers().values():
        assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.decaying_optimizers(steps_per_epoch=0)


# -------------------------------------------------------------------- losses
def test_the_generator_loss_adds_its_terms_with_the_papers_weights():
    model = kgz.create_model("cyclegan_tiny", seed=SEED, cycle_weight=10.0,
                             identity_weight=0.5)
    model.compile()
    logs = model.fit(*unpaired(model, 4), batch_size=4, epochs=1, verbose=0).history
    g_gan, cycle, identity = logs["g_gan"][0], logs["cycle"][0], logs["identity"][0]
    assert cycle > 0 and identity > 0
    assert logs["g_loss"][0] == pytest.approx(g_gan + 10.0 * cycle + 5.0 * identity, rel=1e-5)


def test_the_cycle_term_is_the_l1_of_both_round_trips():
    model = kgz.create_model("cyclegan_tiny", seed=SEED, identity_weight=0.0)
    a, b = unpaired(model, 4)
    expected = (np.mean(np.abs(model.translate(model.translate(a), direction="b_to_a") - a))
                + np.mean(np.abs(model.translate(model.translate(b, direction="b_to_a")) - b)))
    # SGD with a zero rate: the step reports the losses of the initial weights.
    model.compile(generator_optimizer=keras.optimizers.SGD(0.0),
                  discriminator_optimizer=keras.optimizers.SGD(0.0))
    logs = model.fit(a, b, batch_size=4, epochs=1, verbose=0).history
    assert logs["identity"][0] == 0.0
    assert logs["cycle"][0] == pytest.approx(expected, rel=1e-4)


def test_domains_with_different_channels_need_no_identity_loss():
    with pytest.raises(ValueError, match="identity_weight"):
        CycleGAN(image_shape=(16, 16, 1), target_channels=3, base_filters=4, num_blocks=1)
    model = CycleGAN(image_shape=(16, 16, 1), target_channels=3, base_filters=4, num_blocks=1,
                     identity_weight=0.0, pool_size=2, seed=SEED)
    model.compile()
    model.fit(*unpaired(model, 4), batch_size=2, epochs=1, verbose=0)
    assert model.translate(np.zeros((1, 16, 16, 1), "float32")).shape == (1, 16, 16, 3)
    assert model.translate(np.zeros((1, 16, 16, 3), "float32"),
                           direction="b_to_a").shape == (1, 16, 16, 1)
    assert CycleGAN.from_config(model.get_config()).get_config() == model.get_config()


@pytest.mark.parametrize("kwargs, match", [
    (dict(base_filters=0), "base_filters"),
    (dict(num_blocks=-1), "num_blocks"),
    (dict(patch_layers=6), "patch_layers"),
    (dict(cycle_weight=-1), "cycle_weight"),
    (dict(pool_size=2.5), "pool_size"),
    (dict(domain_names=("boot", "boot")), "domain_names"),
])
def test_bad_arguments_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CycleGAN(image_shape=(16, 16, 1), **kwargs)
