"""CGAN: conditional GAN (Mirza & Osindero 2014).

Both networks see the class label. Faithful to the paper's MNIST model: the
generator maps z (100, U(-1, 1)) to 200 ReLU units and the one-hot label to 1000
ReLU units, concatenates them into a 1200-unit ReLU layer and outputs the image;
the discriminator maps the image to a maxout layer of 240 units x 5 pieces and the
label to 50 units x 5 pieces, concatenates them into a maxout layer of 240 units x
4 pieces and outputs one logit; dropout 0.5 on the discriminator's hidden layers.

Differences from the paper, on purpose:
- tanh output and images in [-1, 1] (the zoo's convention) instead of a sigmoid;
- Adam(2e-4, beta_1=0.5) instead of SGD with momentum (as for `gan`, the paper's
  SGD schedule is tuned for [0, 1] images and pylearn2 details);
- the non-saturating generator loss.

Example:
    >>> model = kgz.create_model("cgan", image_shape=(28, 28, 1), num_classes=10)
    >>> model.compile()
    >>> model.fit(kgz.datasets.load("mnist", with_labels=True, batch_size=100), epochs=50)
    >>> sevens = model.generate(16, seed=0, labels=7)

Reference:
    Mirza & Osindero, Conditional Generative Adversarial Nets, arXiv:1411.1784.
"""

import math

import keras

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial import AdversarialModel
from keras_gan_zoo.models.gan import Maxout
from keras_gan_zoo.registry import register_model


def cgan_generator(latent_dim, num_classes, image_shape, z_units=200, label_units=1000,
                   hidden_units=1200):
    """G(z, y): separate ReLU projections of z and one-hot y, joined, then the image."""
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = keras.layers.Lambda(lambda y: keras.ops.one_hot(y, num_classes),
                                  output_shape=(num_classes,), name="one_hot")(labels)
    h_z = keras.layers.Dense(z_units, activation="relu", name="z_proj")(z)
    h_y = keras.layers.Dense(label_units, activation="relu", name="label_proj")(one_hot)
    x = keras.layers.Concatenate()([h_z, h_y])
    x = keras.layers.Dense(hidden_units, activation="relu", name="joint")(x)
    x = keras.layers.Dense(math.prod(image_shape), name="to_pixels")(x)
    x = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    images = keras.layers.Reshape(image_shape, dtype="float32")(x)
    return keras.Model([z, labels], images, name="generator")


def cgan_discriminator(image_shape, num_classes, image_units=240, label_units=50,
                       joint_units=240, pieces=5, joint_pieces=4, dropout=0.5):
    """D(x, y): maxout projections of x and one-hot y, joined by a maxout layer."""
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = keras.layers.Lambda(lambda y: keras.ops.one_hot(y, num_classes),
                                  output_shape=(num_classes,), name="one_hot")(labels)
    h_x = Maxout(image_units, pieces, name="image_maxout")(keras.layers.Flatten()(images))
    h_y = Maxout(label_units, pieces, name="label_maxout")(one_hot)
    x = keras.layers.Concatenate()([h_x, h_y])
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    x = Maxout(joint_units, joint_pieces, name="joint_maxout")(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    logits = keras.layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model([images, labels], logits, name="discriminator")


@register_model(
    "cgan",
    tiny=dict(image_shape=(16, 16, 1), num_classes=3, latent_dim=8, z_units=8,
              label_units=8, hidden_units=16, d_units=8, dropout=0.0),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class CGAN(AdversarialModel):
    """Conditional GAN: generator and discriminator both take the class label.

    Args:
        latent_dim: size of z (100).
        image_shape: (height, width, channels), e.g. (28, 28, 1).
        num_classes: number of classes (10 for MNIST).
        z_units, label_units, hidden_units: generator widths (200, 1000, 1200).
        d_units: discriminator image maxout units (240; the joint layer has the
            same width, the label branch a fifth of it, as 50 is of 240 in the paper).
        dropout: discriminator dropout (0.5).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `latent_distribution`, `seed`).
    """

    def __init__(self, latent_dim=100, image_shape=(28, 28, 1), num_classes=10, z_units=200,
                 label_units=1000, hidden_units=1200, d_units=240, dropout=0.5,
                 latent_distribution="uniform", **kwargs):
        image_shape = tuple(image_shape)
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
        super().__init__(
            generator=cgan_generator(latent_dim, num_classes, image_shape, z_units, label_units,
                                     hidden_units),
            discriminator=cgan_discriminator(image_shape, num_classes, d_units,
                                             max(2, round(d_units * 50 / 240)), d_units,
                                             dropout=dropout),
            latent_dim=latent_dim,
            num_classes=num_classes,
            latent_distribution=latent_distribution,
            **kwargs,
        )
        self.z_units = z_units
        self.label_units = label_units
        self.hidden_units = hidden_units
        self.d_units = d_units
        self.dropout = dropout

    supports_label_smoothing = True

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits, real_label=self.real_label)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "z_units": self.z_units,
            "label_units": self.label_units,
            "hidden_units": self.hidden_units,
            "d_units": self.d_units,
            "dropout": self.dropout,
        }
