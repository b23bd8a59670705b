"""GAN: the original multilayer-perceptron GAN (Goodfellow et al. 2014).

Follows the paper's MNIST model (its released pylearn2 configuration): a generator
of two 1200-unit ReLU layers, a discriminator of two 240-unit maxout layers (5
pieces) with dropout (0.2 on the input, 0.5 on hidden layers), latents U(-1, 1) of
size 100, weights initialised U(-0.05, 0.05) in G and U(-0.005, 0.005) in D, and
every unit's incoming weights held to a norm of at most 1.9365 (max_col_norm).

Differences from the paper, on purpose:
- the generator ends in tanh (images in [-1, 1], the zoo's convention) instead of a
  sigmoid;
- the non-saturating generator loss -log D(G(z)) is the default, as the paper
  recommends in practice (section 3); `loss="minimax"` trains on the minimax
  objective log(1 - D(G(z))) of equation 1 exactly;
- the default optimizer is Adam(2e-4, beta_1=0.5) for both networks. The paper's
  SGD (learning rate 0.1 decayed by 1.000004 per step, momentum 0.5) is
  `optimizer="paper_sgd"`; in our runs on [-1, 1] MNIST it diverged within 10
  epochs (discriminator loss in the hundreds, in float32 and bfloat16 alike),
  while Adam trains stably. The paper also raises momentum to 0.7 over training,
  which `paper_sgd` does not.
"""

import math

import keras

from keras_gan_zoo import losses
from keras_gan_zoo.layers import MinibatchDiscrimination
from keras_gan_zoo.models.blocks import (MINIBATCH_KERNEL_DIM, check_minibatch_discrimination,
                                         reference_dense, reference_maxout)
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.registry import register_model

GAN_LOSSES = ("nonsaturating", "minimax")
GAN_OPTIMIZERS = ("adam", "paper_sgd")


def gan_generator(latent_dim, image_shape, hidden_units=1200):
    """Two ReLU layers of `hidden_units`, tanh output reshaped to `image_shape`."""
    z = keras.Input((latent_dim,), name="z")
    x = reference_dense(hidden_units, 0.05, "hidden1", "relu")(z)
    x = reference_dense(hidden_units, 0.05, "hidden2", "relu")(x)
    x = reference_dense(math.prod(image_shape), 0.05, "to_pixels")(x)
    x = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    images = keras.layers.Reshape(image_shape, dtype="float32")(x)
    return keras.Model(z, images, name="generator")


def gan_discriminator(image_shape, hidden_units=240, pieces=5, dropout=0.5,
                      input_dropout=0.2, minibatch_discrimination=0):
    """Two maxout layers with dropout and one logit (after `minibatch_discrimination`
    minibatch-discrimination kernels, if > 0)."""
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Flatten()(images)
    if input_dropout:
        x = keras.layers.Dropout(input_dropout)(x)
    for i in (1, 2):
        x = reference_maxout(hidden_units, pieces, f"maxout{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    if minibatch_discrimination:
        x = MinibatchDiscrimination(minibatch_discrimination, MINIBATCH_KERNEL_DIM,
                                    name="minibatch_discrimination")(x)
    logits = reference_dense(1, 0.005, "logit", dtype="float32")(x)
    return keras.Model(images, logits, name="discriminator")


@register_model(
    "gan",
    tiny=dict(image_shape=(16, 16, 1), latent_dim=8, g_hidden_units=32, d_hidden_units=16,
              pieces=2, dropout=0.0, input_dropout=0.0),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class GAN(AdversarialModel):
    """The original GAN with MLP generator and maxout discriminator.

    Args:
        latent_dim: size of z (100).
        image_shape: (height, width, channels), e.g. (28, 28, 1).
        g_hidden_units: units of the generator's two ReLU layers (1200).
        d_hidden_units: units of the discriminator's two maxout layers (240).
        pieces: maxout pieces (5).
        dropout: dropout rate after each maxout layer (0.5).
        input_dropout: dropout rate on the discriminator's input (0.2).
        loss: `"nonsaturating"` (default) or `"minimax"` (equation 1 of the paper).
        optimizer: `"adam"` (default, Adam(2e-4, 0.5)) or `"paper_sgd"` (SGD 0.1,
            momentum 0.5, decay 1.000004 per step) for a bare `compile()`.
        minibatch_discrimination: number of minibatch-discrimination kernels before
            the logit (Salimans et al. 2016); 0 = off, the paper's discriminator.
        **kwargs: `AdversarialModel` arguments (`d_steps`, `latent_distribution`, `seed`,
            and the improved techniques `label_smoothing`, `feature_matching`,
            `historical_averaging`).

    Example:
        >>> model = keras_gan_zoo.create_model("gan", image_shape=(28, 28, 1))
        >>> model.compile()   # Adam(2e-4, beta_1=0.5); optimizer="paper_sgd" for SGD

    Reference:
        Goodfellow et al., Generative Adversarial Networks, arXiv:1406.2661.
    """

    supports_label_smoothing = True

    def __init__(
        self,
        latent_dim=100,
        image_shape=(28, 28, 1),
        g_hidden_units=1200,
        d_hidden_units=240,
        pieces=5,
        dropout=0.5,
        input_dropout=0.2,
        loss="nonsaturating",
        optimizer="adam",
        latent_distribution="uniform",
        minibatch_discrimination=0,
        **kwargs,
    ):
        if optimizer not in GAN_OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {GAN_OPTIMIZERS}; got {optimizer!r}.")
        if loss not in GAN_LOSSES:
            raise ValueError(f"loss must be one of {GAN_LOSSES}; got {loss!r}.")
        minibatch_discrimination = check_minibatch_discrimination(minibatch_discrimination)
        image_shape = tuple(image_shape)
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
        super().__init__(
            generator=gan_generator(latent_dim, image_shape, g_hidden_units),
            discriminator=gan_discriminator(image_shape, d_hidden_units, pieces, dropout,
                                            input_dropout, minibatch_discrimination),
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            **kwargs,
        )
        self.g_hidden_units = g_hidden_units
        self.d_hidden_units = d_hidden_units
        self.pieces = pieces
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.loss_name = loss
        self.optimizer_name = optimizer
        self.minibatch_discrimination = minibatch_discrimination

    def default_optimizers(self):
        if self.optimizer_name == "adam":
            return super().default_optimizers()

        def sgd():
            schedule = keras.optimizers.schedules.ExponentialDecay(
                0.1, decay_steps=1, decay_rate=1 / 1.000004
            )
            return keras.optimizers.SGD(schedule, momentum=0.5)

        return {"generator_optimizer": sgd(), "discriminator_optimizer": sgd()}

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.minimax_d_loss(real_logits, fake_logits, real_label=self.real_label)

    def generator_loss(self, fake_logits):
        if self.loss_name == "minimax":
            return losses.minimax_g_loss(fake_logits)
        return losses.nonsaturating_g_loss(fake_logits)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "g_hidden_units": self.g_hidden_units,
            "d_hidden_units": self.d_hidden_units,
            "pieces": self.pieces,
            "dropout": self.dropout,
            "input_dropout": self.input_dropout,
            "loss": self.loss_name,
            "optimizer": self.optimizer_name,
            "minibatch_discrimination": self.minibatch_discrimination,
        }
