"""DiscoGAN's own numerics: network sizes against the authors', the alternating
updates, the curriculum of the reconstruction rate, feature matching and the L2
penalty. The family contract runs on `discogan_tiny` (which updates both players
every step) in tests/test_contract_translation.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SEED, assert_same_weights, max_abs_diff, weights
from keras_gan_zoo.models.translation import DiscoGAN
from keras_gan_zoo.models.translation.discogan import (encoder_decoder_generator,
                                                       encoder_levels, feature_discriminator,
                                                       feature_matching)


def unpaired(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, *model.image_shape)).astype("float32"),
            rng.uniform(-1, 1, (n, *model.target_shape)).astype("float32"))


def trainable_count(network):
    return sum(int(np.prod(v.shape)) for v in network.trainable_variables)


def test_networks_match_the_authors_at_64_pixels():
    # The authors' Generator() / Discriminator() at 64x64x3: every conv without bias.
    generator = encoder_decoder_generator((64, 64, 3))
    assert trainable_count(generator) == 5_513_856
    discriminator = feature_discriminator((64, 64, 3))
    assert trainable_count(discriminator) == 2_765_568
    logits, *features = discriminator.output_shape
    assert logits == (None, 1)
    assert features == [(None, 16, 16, 128), (None, 8, 8, 256), (None, 4, 4, 512)]


def test_encoders_stop_at_four_pixels():
    assert [encoder_levels((s, s, 1)) for s in (8, 16, 28, 32, 64, 128)] == [1, 2, 3, 3, 4, 5]
    generator = encoder_decoder_generator((28, 28, 1), base_filters=4)
    assert generator.output_shape == (None, 28, 28, 1)
    assert feature_discriminator((28, 28, 1), 4).output_shape[0] == (None, 1)


def test_feature_matching_compares_batch_means():
    real = [tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.ones((2, 3))]
    fake = [tf.constant([[0.0, 0.0], [2.0, 2.0]]), tf.ones((2, 3))]
    # means (2, 3) vs (1, 1): ((1)^2 + (2)^2) / 2 = 2.5; the second layer matches.
    assert float(feature_matching(real, fake)) == pytest.approx(2.5)


def test_updates_alternate_one_discriminator_step_in_three():
    model = kgz.create_model("discogan_tiny", seed=SEED, update_interval=3)
    model.compile()
    a, b = unpaired(model, 12)
    d_before, g_before = weights(model.discriminator_a), weights(model.generator_a_to_b)
    model.fit(a[:4], b[:4], batch_size=4, epochs=1, verbose=0)  # step 0: discriminators
    assert max_abs_diff(d_before, weights(model.discriminator_a)) > 0
    assert max_abs_diff(g_before, weights(model.generator_a_to_b)) == 0.0
    model.fit(a[4:], b[4:], batch_size=4, epochs=1, verbose=0, shuffle=False)  # steps 1, 2
    iterations = {k: int(o.iterations.numpy()) for k, o in model.named_optimizers().items()}
    assert iterations == {"discriminator_optimizer": 1, "generator_optimizer": 2}
    assert max_abs_diff(g_before, weights(model.generator_a_to_b)) > 0


def test_the_reconstruction_rate_follows_the_curriculum():
    model = kgz.create_model("discogan_tiny", seed=SEED, curriculum_steps=2,
                             starting_rate=0.01, rate=0.5)
    assert float(model.reconstruction_rate()) == pytest.approx(0.01)
    model.step_counter.assign(2)
    assert float(model.reconstruction_rate()) == pytest.approx(0.5)


def test_the_generator_loss_weighs_its_terms_as_the_authors():
    model = kgz.create_model("discogan_tiny", seed=SEED, curriculum_steps=100,
                             starting_rate=0.25, weight_decay=0.0)
    model.compile()
    logs = {k: v[0] for k, v in
            model.fit(*unpaired(model), batch_size=4, epochs=1, verbose=0).history.items()}
    expected = (0.75 * (0.1 * logs["g_gan"] + 0.9 * logs["feature_matching"])
                + 0.25 * logs["reconstruction"])
    assert logs["g_loss"] == pytest.approx(expected, rel=1e-5)
    assert logs["feature_matching"] > 0 and logs["reconstruction"] > 0


def test_weight_decay_is_the_coupled_l2_gradient():
    # With SGD(1) and every loss weight zero, one step moves each generator weight by
    # exactly -weight_decay * w: PyTorch Adam's coupled penalty, not AdamW's.
    model = kgz.create_model("discogan_tiny", seed=SEED, gan_weight=0.0,
                             feature_matching_weight=0.0, starting_rate=0.0, rate=0.0,
                             weight_decay=0.01)
    model.compile(generator_optimizer=keras.optimizers.SGD(1.0),
                  discriminator_optimizer=keras.optimizers.SGD(0.0))
    before = weights(model.generator_a_to_b)
    model.fit(*unpaired(model), batch_size=4, epochs=1, verbose=0)
    for w0, w1 in zip(before, weights(model.generator_a_to_b)):
        np.testing.assert_allclose(w1, w0 * (1 - 0.01), rtol=1e-5, atol=1e-7)


def test_alternating_updates_on_two_replicas_equal_one_device(mirrored_strategy):
    def build():
        model = kgz.create_model("discogan_tiny", seed=SEED, update_interval=2)
        model.compile(generator_optimizer=keras.optimizers.SGD(0.1),
                      discriminator_optimizer=keras.optimizers.SGD(0.1))
        return model

    one = build()
    with mirrored_strategy.scope():
        two = build()
        two.set_weights(one.get_weights())
    data = tf.data.Dataset.from_tensor_slices(unpaired(one, 8)).batch(4)  # steps 0 (D), 1 (G)
    for model in (one, two):
        model.fit(data, epochs=1, verbose=0)
    assert_same_weights(one, two)
    assert {k: int(o.iterations.numpy()) for k, o in two.named_optimizers().items()} == {
        "discriminator_optimizer": 1, "generator_optimizer": 1}


def test_config_round_trip_and_errors():
    model = DiscoGAN(image_shape=(16, 16, 1), target_channels=3, base_filters=4,
                     update_interval=None, domain_names=("sneaker", "ankle_boot"))
    config = model.get_config()
    assert config["target_channels"] == 3 and config["update_interval"] is None
    assert DiscoGAN.from_config(config).get_config() == config
    assert model.translate(np.zeros((2, 16, 16, 1), "float32")).shape == (2, 16, 16, 3)
    for kwargs, match in ((dict(update_interval=1), "update_interval"),
                          (dict(rate=1.5), "rate"), (dict(gan_weight=-1), "gan_weight"),
                          (dict(curriculum_steps=-1), "curriculum_steps"),
                          (dict(base_filters=0), "base_filters"),
                          (dict(target_channels=0), "target_channels")):
        with pytest.raises(ValueError, match=match):
            DiscoGAN(image_shape=(16, 16, 1), **kwargs)
