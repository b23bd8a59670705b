"""CGAN: conditional GAN (Mirza & Osindero 2014).

Both networks see the class label, fed in as an extra input ("we perform the
conditioning by feeding y into both the discriminator and generator as additional
input layer"). Two architectures:

- `architecture="conv"` (default): the DCGAN networks of `dcgan.py` with the label
  concatenated to the inputs, as conditional DCGANs do: the generator sees
  `concat(z, one_hot(y))`, the discriminator the image with `num_classes` extra
  channels, plane c constant 1 for class c and 0 elsewhere.
- `architecture="mlp"`: the paper's MNIST model. The generator maps z (100,
  U(-1, 1)) to 200 ReLU units and the one-hot label to 1000 ReLU units, concatenates
  them into a 1200-unit ReLU layer and outputs the image; the discriminator maps the
  image to a maxout layer of 240 units x 5 pieces and the label to 50 units x 5
  pieces, concatenates them into a maxout layer of 240 units x 4 pieces and outputs
  one logit; dropout 0.5 on the discriminator's hidden layers. Initialization and
  max-norm constraints are those of the authors' pylearn2 configurations (as in
  `gan.py`): weights U(-0.05, 0.05) in G and U(-0.005, 0.005) in D, every unit's
  incoming weights held to a norm of at most 1.9365.

Why the default is "conv": with Keras' default Glorot initialization and no max-norm,
the paper's MLP discriminator won within a few epochs (d_loss 0.11 at epoch 10 on the
4,500 offline digits), and a discriminator that rejects fakes by their quality alone
never needs the label: 9.5% of the conditional samples were classified as asked
(chance level). With the reference initialization and max-norm the MLP uses the label
a little (21.9%, FID 225 after 50 epochs, 164 s); the convolutional networks reach
95.5% and FID 6.8 after 50 epochs, 317 s (docs/models/cgan.md has the measurements).

Differences from the paper, on purpose:
- tanh output and images in [-1, 1] (the zoo's convention) instead of a sigmoid;
- Adam(2e-4, beta_1=0.5) instead of SGD with momentum (as for `gan`, the paper's
  SGD schedule is tuned for [0, 1] images and pylearn2 details);
- the non-saturating generator loss;
- the convolutional default (above).

Example:
    >>> model = kgz.create_model("cgan", image_shape=(28, 28, 1), num_classes=10)
    >>> model.compile()
    >>> model.fit(kgz.datasets.load("mnist", with_labels=True, batch_size=64), epochs=20)
    >>> sevens = model.generate(16, seed=0, labels=7)
    >>> paper = kgz.create_model("cgan", architecture="mlp")   # the paper's MLP

Reference:
    Mirza & Osindero, Conditional Generative Adversarial Nets, arXiv:1411.1784.
"""

import math

import keras

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.acgan import acgan_generator
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.adversarial.dcgan import dcgan_discriminator
from keras_gan_zoo.models.blocks import (one_hot, reference_dense, reference_maxout,
                                         square_image_stages)
from keras_gan_zoo.registry import register_model

ARCHITECTURES = ("conv", "mlp")


def cgan_generator(latent_dim, num_classes, image_shape, z_units=200, label_units=1000,
                   hidden_units=1200):
    """The paper's G(z, y): ReLU projections of z and one-hot y, joined, then the image."""
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    h_z = reference_dense(z_units, 0.05, "z_proj", "relu")(z)
    h_y = reference_dense(label_units, 0.05, "label_proj", "relu")(one_hot(num_classes)(labels))
    x = keras.layers.Concatenate()([h_z, h_y])
    x = reference_dense(hidden_units, 0.05, "joint", "relu")(x)
    x = reference_dense(math.prod(image_shape), 0.05, "to_pixels")(x)
    x = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    images = keras.layers.Reshape(image_shape, dtype="float32")(x)
    return keras.Model([z, labels], images, name="generator")


def cgan_discriminator(image_shape, num_classes, image_units=240, label_units=50,
                       joint_units=240, pieces=5, joint_pieces=4, dropout=0.5):
    """The paper's D(x, y): maxout projections of x and one-hot y, joined by a maxout layer."""
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    h_x = reference_maxout(image_units, pieces, "image_maxout")(keras.layers.Flatten()(images))
    h_y = reference_maxout(label_units, pieces, "label_maxout")(one_hot(num_classes)(labels))
    x = keras.layers.Concatenate()([h_x, h_y])
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    x = reference_maxout(joint_units, joint_pieces, "joint_maxout")(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    logits = reference_dense(1, 0.005, "logit", dtype="float32")(x)
    return keras.Model([images, labels], logits, name="discriminator")


def cgan_conv_discriminator(image_shape, num_classes, base_filters=64):
    """D(x, y): the DCGAN discriminator on the image with one-hot label planes appended."""
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    height, width, channels = image_shape
    planes = keras.layers.Lambda(
        lambda y: keras.ops.tile(keras.ops.one_hot(y, num_classes)[:, None, None, :],
                                 (1, height, width, 1)),
        output_shape=(height, width, num_classes), name="label_planes")(labels)
    x = keras.layers.Concatenate(name="image_and_label")([images, planes])
    body = dcgan_discriminator((height, width, channels + num_classes), base_filters)
    body = keras.Model(body.input, body.output, name="dcgan_discriminator")
    return keras.Model([images, labels], body(x), name="discriminator")


@register_model(
    "cgan",
    tiny=dict(image_shape=(16, 16, 1), num_classes=3, latent_dim=8, base_filters=4),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class CGAN(AdversarialModel):
    """Conditional GAN: generator and discriminator both take the class label.

    Args:
        latent_dim: size of z (100).
        image_shape: (height, width, channels), e.g. (28, 28, 1); with "conv", a
            square size the DCGAN networks support (16, 28, 32, 64, ...).
        num_classes: number of classes (10 for MNIST).
        architecture: `"conv"` (default: DCGAN networks, label concatenated to the
            inputs) or `"mlp"` (the paper's fully connected MNIST model).
        base_filters: "conv" only: ngf = ndf of the DCGAN networks (64).
        z_units, label_units, hidden_units: "mlp" only: generator widths (200, 1000, 1200).
        d_units: "mlp" only: discriminator image maxout units (240; the joint layer
            has the same width, the label branch a fifth of it, as 50 is of 240).
        dropout: "mlp" only: discriminator dropout (0.5).
        latent_distribution: `None` picks the architecture's: `"normal"` for "conv"
            (as the zoo's DCGAN), `"uniform"` U(-1, 1) for "mlp" (the paper's).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `seed`, `label_smoothing`, ...).
    """

    supports_label_smoothing = True

    def __init__(self, latent_dim=100, image_shape=(28, 28, 1), num_classes=10,
                 architecture="conv", base_filters=64, z_units=200, label_units=1000,
                 hidden_units=1200, d_units=240, dropout=0.5, latent_distribution=None,
                 **kwargs):
        image_shape = tuple(image_shape)
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}; got {architecture!r}.")
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2; got {num_classes!r}.")
        if architecture == "conv":
            square_image_stages(image_shape, "DCGAN")
            generator = acgan_generator(latent_dim, num_classes, image_shape, base_filters)
            discriminator = cgan_conv_discriminator(image_shape, num_classes, base_filters)
        else:
            generator = cgan_generator(latent_dim, num_classes, image_shape, z_units,
                                       label_units, hidden_units)
            discriminator = cgan_discriminator(image_shape, num_classes, d_units,
                                               max(2, round(d_units * 50 / 240)), d_units,
                                               dropout=dropout)
        if latent_distribution is None:
            latent_distribution = "normal" if architecture == "conv" else "uniform"
        super().__init__(
            generator=generator,
            discriminator=discriminator,
            latent_dim=latent_dim,
            num_classes=num_classes,
            latent_distribution=latent_distribution,
            **kwargs,
        )
        self.architecture = architecture
        self.base_filters = base_filters
        self.z_units = z_units
        self.label_units = label_units
        self.hidden_units = hidden_units
        self.d_units = d_units
        self.dropout = dropout

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits, real_label=self.real_label)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "architecture": self.architecture,
            "base_filters": self.base_filters,
            "z_units": self.z_units,
            "label_units": self.label_units,
            "hidden_units": self.hidden_units,
            "d_units": self.d_units,
            "dropout": self.dropout,
        }
