"""ACGAN: auxiliary classifier GAN (Odena, Olah & Shlens 2017).

The generator takes a class label with the noise; the discriminator does NOT see the
label: it has two heads on one convolutional trunk, the usual real/fake logit and an
auxiliary classifier over the classes. Both networks are trained on the class
log-likelihood as well:

    L_S = E[log P(S = real | x_real)] + E[log P(S = fake | x_fake)]
    L_C = E[log P(C = c | x_real)]    + E[log P(C = c | x_fake)]
    D maximises L_S + L_C;  G maximises L_C - L_S (here: the non-saturating form)

so `d_loss` = binary cross-entropy + `d_class` (class cross-entropy on real AND fake
images) and `g_loss` = non-saturating loss + `g_class` (class cross-entropy on its own
samples). `d_class` and `g_class` are reported by fit under their own names.

Networks: the DCGAN networks of `dcgan.py` (strided convolutions, synchronized batch
norm, N(0, 0.02) weights), reused by calling `dcgan_generator` / `dcgan_discriminator`:
the generator sees `concat(z, one_hot(label))`, the discriminator's flattened trunk
feeds both the DCGAN logit and a new `num_classes`-way dense head.

Differences from the paper, on purpose:
- DCGAN-sized networks for 28x28 / 32x32 / 64x64 images instead of the paper's
  ImageNet 128x128 networks (and no dropout in the discriminator, so runs on N
  replicas equal runs on one device);
- latents ~ N(0, 1) (the zoo's default; `latent_distribution="uniform"` for U(-1, 1));
- the non-saturating generator loss -log D(G(z)) instead of maximising log(1 - D).
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.adversarial.dcgan import dcgan_discriminator, dcgan_generator
from keras_gan_zoo.models.blocks import one_hot
from keras_gan_zoo.registry import register_model


def acgan_generator(latent_dim, num_classes, image_shape, base_filters=64):
    """G(z, c): the DCGAN generator applied to `concat(z, one_hot(c))`.

    Args:
        latent_dim: size of z.
        num_classes: number of classes.
        image_shape: (side, side, channels), a size `dcgan_generator` supports.
        base_filters: ngf of the DCGAN generator.

    Returns:
        A `keras.Model` `[z (B, latent_dim), labels (B,) int32] -> images (B, *image_shape)`.
    """
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    x = keras.layers.Concatenate(name="z_and_class")([z, one_hot(num_classes)(labels)])
    body = dcgan_generator(latent_dim + num_classes, tuple(image_shape), base_filters)
    body = keras.Model(body.input, body.output, name="dcgan_generator")
    return keras.Model([z, labels], body(x), name="generator")


def acgan_discriminator(image_shape, num_classes, base_filters=64):
    """D(x) -> [real/fake logit (B, 1), class logits (B, num_classes)].

    The DCGAN discriminator with a second dense head on its flattened trunk (the
    auxiliary classifier). Both outputs are float32.
    """
    body = dcgan_discriminator(tuple(image_shape), base_filters)
    flat = [layer for layer in body.layers if isinstance(layer, keras.layers.Flatten)][-1]
    class_logits = keras.layers.Dense(
        num_classes, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        dtype="float32", name="class_logits")(flat.output)
    return keras.Model(body.input, [body.get_layer("logit").output, class_logits],
                       name="discriminator")


def class_cross_entropy(class_logits, labels):
    """Mean sparse softmax cross-entropy (float32) of int labels under class logits."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, "int32"), logits=tf.cast(class_logits, "float32")))


@register_model("acgan", tiny=dict(image_shape=(16, 16, 1), num_classes=3, latent_dim=8,
                                   base_filters=4))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ACGAN(AdversarialModel):
    """Auxiliary classifier GAN: class-conditional G, D with a class head.

    Batches are `(images, labels)` (e.g. `kgz.datasets.load(name, with_labels=True)`);
    `generate(n, labels=...)` needs labels.

    Args:
        latent_dim: size of z (100).
        image_shape: (side, side, channels), e.g. (28, 28, 1); any side
            `dcgan_generator` supports (16, 28, 32, 64, ...).
        num_classes: number of classes (10 for MNIST).
        base_filters: ngf = ndf of the DCGAN networks (64).
        class_weight: weight of the class cross-entropy terms (1, as in the paper).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `latent_distribution`, `seed`).

    Example:
        >>> model = kgz.create_model("acgan", image_shape=(28, 28, 1), num_classes=10)
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("mnist", with_labels=True, batch_size=100), epochs=30)
        >>> sevens = model.generate(16, seed=0, labels=7)
        >>> predicted = model.classify(real_images)      # the auxiliary classifier

    Reference:
        Odena, Olah & Shlens, Conditional Image Synthesis with Auxiliary Classifier GANs,
        arXiv:1610.09585.
    """

    def __init__(self, latent_dim=100, image_shape=(28, 28, 1), num_classes=10, base_filters=64,
                 class_weight=1.0, **kwargs):
        image_shape = tuple(image_shape)
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2; got {num_classes!r}.")
        if not float(class_weight) >= 0.0:
            raise ValueError(f"class_weight must be >= 0; got {class_weight!r}.")
        super().__init__(
            generator=acgan_generator(latent_dim, num_classes, image_shape, base_filters),
            discriminator=acgan_discriminator(image_shape, num_classes, base_filters),
            latent_dim=latent_dim,
            num_classes=num_classes,
            **kwargs,
        )
        self.base_filters = base_filters
        self.class_weight = float(class_weight)
        self.add_tracker("d_class")
        self.add_tracker("g_class")

    def discriminator_inputs(self, images, labels=None):
        """Images only: the discriminator never sees the labels (it predicts them)."""
        return images

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    def discriminator_objective(self, real_images, fake_images, labels, latents=None):
        """Adversarial loss, plus `d_class`: class cross-entropy on real and fake images.

        The fake images were generated with the real batch's labels (the base draws
        them so), which are therefore their classes.
        """
        real_logits, real_classes = self.call_discriminator(real_images, training=True)
        fake_logits, fake_classes = self.call_discriminator(fake_images, training=True)
        loss = self.discriminator_loss(real_logits, fake_logits)
        d_class = self.class_weight * (class_cross_entropy(real_classes, labels)
                                       + class_cross_entropy(fake_classes, labels))
        return loss, {"d_class": d_class,
                      **self.discriminator_penalties(real_images, fake_images)}

    def generator_objective(self, fake_images, latents, labels, real_images=None):
        """Non-saturating loss (or feature matching), plus `g_class`: class
        cross-entropy of its own samples."""
        fake_logits, fake_classes = self.call_discriminator(fake_images, training=True)
        g_class = self.class_weight * class_cross_entropy(fake_classes, labels)
        loss = self.generator_adversarial_loss(fake_images, labels, real_images,
                                               fake_logits=fake_logits)
        return loss, {"g_class": g_class}

    def classify(self, images, batch_size=256):
        """Class probabilities (N, num_classes) of images in [-1, 1] by the auxiliary head.

        Example:
            >>> accuracy = (model.classify(x_test).argmax(-1) == y_test).mean()
        """
        images = np.asarray(keras.ops.convert_to_numpy(images))
        self._check_images(images, "classify")
        out = []
        for i in range(0, len(images), batch_size):
            _, logits = self.call_discriminator(images[i:i + batch_size], training=False)
            out.append(keras.ops.convert_to_numpy(tf.nn.softmax(tf.cast(logits, "float32"))))
        return np.concatenate(out, axis=0)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "class_weight": self.class_weight,
        }
