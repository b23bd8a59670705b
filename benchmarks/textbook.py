"""The textbook baseline the benchmarks compare against.

`TextbookDCGAN` is the keras.io "DCGAN overriding `train_step`" pattern in float32,
built on the zoo's own DCGAN networks so that only the training step differs: a
discriminator tape on `concat(fake, real)`, then a second generator forward pass
on new noise and a generator tape, Adam(2e-4, beta_1=0.5) for both.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gan_zoo.models.adversarial.dcgan import dcgan_discriminator, dcgan_generator  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 100


class TextbookDCGAN(keras.Model):
    """The keras.io two-tape DCGAN train_step (fp32), on the zoo's networks."""

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self):
        super().compile()
        self.d_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        z = keras.random.normal((batch_size, LATENT_DIM), seed=self.seed_generator)
        fake_images = self.generator(z, training=True)
        combined = tf.concat([fake_images, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined, training=True))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        z = keras.random.normal((batch_size, LATENT_DIM), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(tf.zeros((batch_size, 1)), logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    def generate(self, n, seed=None, batch_size=256):
        """n images in [-1, 1] from N(0, 1) latents (the same API as the zoo's models)."""
        z = np.random.default_rng(seed).standard_normal((n, LATENT_DIM)).astype("float32")
        return np.concatenate([
            np.asarray(self.generator(z[i:i + batch_size], training=False), "float32")
            for i in range(0, n, batch_size)])


def textbook_dcgan():
    """A compiled float32 TextbookDCGAN at Fashion-MNIST's 28x28x1."""
    keras.mixed_precision.set_global_policy("float32")
    model = TextbookDCGAN(dcgan_generator(LATENT_DIM, IMAGE_SHAPE), dcgan_discriminator(IMAGE_SHAPE))
    model.compile()
    return model
