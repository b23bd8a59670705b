"""Model-specific behaviour: architectures, loss selection, d_steps, hooks, latents."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import losses
from keras_gan_zoo.models import DCGAN, GAN


@pytest.mark.parametrize("shape, first_width", [((16, 16, 1), 128), ((28, 28, 1), 128),
                                                 ((32, 32, 3), 256), ((64, 64, 3), 512)])
def test_dcgan_sizes(shape, first_width):
    model = DCGAN(image_shape=shape, latent_dim=10, base_filters=64)
    assert model.generator.output_shape == (None, *shape)
    assert model.discriminator.output_shape == (None, 1)
    assert model.generator.get_layer("project_bn").output.shape[-1] == first_width
    images = model.generate(2, seed=0)
    assert images.shape == (2, *shape) and np.all(np.abs(images) <= 1)


@pytest.mark.parametrize("shape, message", [((28, 32, 1), "square"), ((7, 7, 1), "halves"),
                                            ((28, 28), "height, width, channels")])
def test_dcgan_rejects_unsupported_shapes(shape, message):
    with pytest.raises(ValueError, match=message):
        DCGAN(image_shape=shape)


def test_dcgan_batch_norm_is_synchronized():
    model = kgz.create_model("dcgan_tiny")
    norms = [layer for net in (model.generator, model.discriminator) for layer in net.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.synchronized for layer in norms)


def test_gan_loss_selection_and_paper_optimizer():
    logits = tf.constant([[-2.0], [0.5], [3.0]])
    nonsat = kgz.create_model("gan_tiny")
    minimax = kgz.create_model("gan_tiny", loss="minimax")
    np.testing.assert_allclose(nonsat.generator_loss(logits),
                               np.mean(np.log1p(np.exp([2.0, -0.5, -3.0]))), rtol=1e-6)
    np.testing.assert_allclose(minimax.generator_loss(logits),
                               -np.mean(np.log1p(np.exp([-2.0, 0.5, 3.0]))), rtol=1e-6)
    with pytest.raises(ValueError, match="loss must be one of"):
        GAN(loss="hinge")

    paper = kgz.create_model("gan_tiny", optimizer="paper_sgd")
    paper.compile()
    assert isinstance(paper.generator_optimizer, keras.optimizers.SGD)
    assert paper.generator_optimizer.momentum == 0.5
    schedule = paper.generator_optimizer._learning_rate
    np.testing.assert_allclose(float(schedule(1000)), 0.1 / 1.000004**1000, rtol=1e-5)
    default = kgz.create_model("gan_tiny")
    default.compile()
    assert isinstance(default.discriminator_optimizer, keras.optimizers.Adam)


def test_gan_max_norm_constraint_holds_after_updates():
    model = kgz.create_model("gan_tiny", seed=0)
    model.compile(generator_optimizer=keras.optimizers.SGD(50.0),
                  discriminator_optimizer=keras.optimizers.SGD(50.0))
    x = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    model.fit(x, batch_size=8, verbose=0)
    for net in (model.generator, model.discriminator):
        for weight in net.trainable_weights:
            if weight.path.endswith("kernel"):
                norms = np.linalg.norm(weight.numpy(), axis=0)
                assert norms.max() <= 1.9365 + 1e-4, weight.path


def test_uniform_latents_and_generate_latents_argument():
    model = kgz.create_model("gan_tiny", seed=0)  # GAN defaults to U(-1, 1)
    z = model.random_latents(1000, seed=0)
    assert z.min() >= -1 and z.max() <= 1 and z.std() < 0.7
    np.testing.assert_array_equal(model.generate(3, latents=z[:3]), model.generate(3, seed=0))


def test_d_steps_splits_the_batch():
    model = kgz.create_model("dcgan_tiny", d_steps=3, seed=0)
    model.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (12, 16, 16, 1)).astype("float32")
    model.fit(x, batch_size=12, epochs=2, verbose=0)
    assert int(model.discriminator_optimizer.iterations) == 6
    assert int(model.generator_optimizer.iterations) == 2
    with pytest.raises(ValueError, match="d_steps"):
        kgz.create_model("dcgan_tiny", d_steps=0)


def test_training_latents_depend_on_replica_and_step(mirrored_strategy):
    with mirrored_strategy.scope():
        model = kgz.create_model("dcgan_tiny", seed=3)
        model.compile()
    per_replica = mirrored_strategy.run(tf.function(lambda: model.sample_latent(4)))
    first, second = mirrored_strategy.experimental_local_results(per_replica)
    assert first.shape == (4, model.latent_dim)
    assert not np.allclose(first, second), "replicas must draw different latents"
    step0 = model.sample_latent(4)
    np.testing.assert_array_equal(step0, model.sample_latent(4))  # same step, same latents
    assert not np.allclose(step0, model.sample_latent(4, draw=1))
    model.step_counter.assign(1)
    assert not np.allclose(step0, model.sample_latent(4))


class PenalizedDCGAN(DCGAN):
    """A DCGAN with an R1 penalty, to exercise the penalty hook and its tracker."""

    def __init__(self, gamma=10.0, **kwargs):
        super().__init__(**kwargs)
        self.gamma = gamma
        self.add_tracker("r1")

    def discriminator_penalties(self, real_images, fake_images):
        return {"r1": 0.5 * self.gamma * losses.r1_penalty(self.discriminator, real_images)}


def test_penalty_hook_adds_to_d_loss_and_reports_its_term():
    model = PenalizedDCGAN(image_shape=(16, 16, 1), base_filters=4, latent_dim=8, seed=0)
    model.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    history = model.fit(x, batch_size=8, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "r1"}
    assert history["r1"][0] > 0
    with pytest.raises(ValueError, match="already exists"):
        model.add_tracker("r1")


def test_after_discriminator_update_hook_runs_each_d_step():
    class Clipped(DCGAN):
        def after_discriminator_update(self):
            losses.clip_weights(self.discriminator.trainable_variables, 0.001)

    model = Clipped(image_shape=(16, 16, 1), base_filters=4, latent_dim=8, d_steps=2, seed=0)
    model.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    model.fit(x, batch_size=8, verbose=0)
    for weight in model.discriminator.trainable_weights:
        assert np.abs(weight.numpy()).max() <= 0.001 + 1e-7
