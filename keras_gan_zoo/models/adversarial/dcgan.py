"""DCGAN: deep convolutional GAN (Radford, Metz & Chintala 2015).

Faithful to the paper: strided (transposed) convolutions instead of pooling, batch
norm in both networks except the generator's output and the discriminator's input
layer, ReLU in G with tanh output, LeakyReLU(0.2) in D, weights ~ N(0, 0.02),
Adam(2e-4, beta_1=0.5), non-saturating loss.

Sizes: any square image whose side halves to a small base (the 4x4 of the paper,
or 7x7 for 28x28 MNIST-sized images): 16, 28, 32, 48, 64, 128, ... Gray or colour.

Differences from the paper, on purpose:
- latents ~ N(0, 1) instead of U(-1, 1) (`latent_distribution="uniform"` restores it);
- batch norm is synchronized across replicas (`keras.layers.BatchNormalization(
  synchronized=True)`): on one device it is ordinary batch norm, under
  `tf.distribute` it normalizes over the global batch, so training on N replicas
  is the same computation as training on one device.
"""

import keras

from keras_gan_zoo import losses
from keras_gan_zoo.layers import MinibatchDiscrimination
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.blocks import (MINIBATCH_KERNEL_DIM, check_minibatch_discrimination,
                                         dcgan_batch_norm, dcgan_init, square_image_stages)
from keras_gan_zoo.registry import register_model


def dcgan_up_stages(x, stages, width):
    """The DCGAN generator's hidden stages on `x` (side `base`, `width` channels): `stages - 1`
    stride-2 transposed convolutions `up1, up2, ...`, each halving the channels, with batch
    norm and ReLU; the output layer is the caller's. Shared with GRAN's decoder."""
    for stage in range(1, stages):
        width //= 2
        x = keras.layers.Conv2DTranspose(width, 4, 2, padding="same", use_bias=False,
                                         kernel_initializer=dcgan_init(), name=f"up{stage}")(x)
        x = dcgan_batch_norm(f"up{stage}_bn")(x)
        x = keras.layers.ReLU()(x)
    return x


def dcgan_down_stages(x, stages, base_filters, normalization="batch"):
    """The DCGAN discriminator's stages on images `x`: stride-2 convolutions `down0, down1,
    ...` from `base_filters` channels, doubling, LeakyReLU(0.2), normalized after every one
    but the first (`"batch"`, `"layer"` or `"none"`: see `dcgan_discriminator`). Shared with
    GRAN's encoder and GAN-CLS's discriminator."""
    width = base_filters
    for stage in range(stages):
        x = keras.layers.Conv2D(width, 4, 2, padding="same",
                                use_bias=stage == 0 or normalization == "none",
                                kernel_initializer=dcgan_init(), name=f"down{stage}")(x)
        if stage > 0 and normalization == "batch":
            x = dcgan_batch_norm(f"down{stage}_bn")(x)
        elif stage > 0 and normalization == "layer":
            x = keras.layers.LayerNormalization(axis=(1, 2, 3), epsilon=1e-5,
                                                name=f"down{stage}_ln")(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        width *= 2
    return x


def dcgan_generator(latent_dim, image_shape, base_filters=64):
    """DCGAN generator: project and reshape, then stride-2 transposed convolutions.

    Args:
        latent_dim: size of z.
        image_shape: (side, side, channels).
        base_filters: channels of the last hidden stage (ngf); doubles per stage
            towards the input, as in the paper (1024 at 4x4 for 64x64, ngf=128).
    """
    stages, base, channels = square_image_stages(image_shape, "DCGAN")
    width = base_filters * 2 ** (stages - 1)
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(base * base * width, use_bias=False, kernel_initializer=dcgan_init(),
                           name="project")(z)
    x = keras.layers.Reshape((base, base, width))(x)
    x = dcgan_batch_norm("project_bn")(x)  # per channel, as after the paper's 1x1 -> 4x4 deconv
    x = keras.layers.ReLU()(x)
    x = dcgan_up_stages(x, stages, width)
    x = keras.layers.Conv2DTranspose(channels, 4, 2, padding="same",
                                     kernel_initializer=dcgan_init(), name="to_image")(x)
    images = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(z, images, name="generator")


_NORMALIZATIONS = ("batch", "layer", "none")


def dcgan_discriminator(image_shape, base_filters=64, normalization="batch",
                        minibatch_discrimination=0):
    """DCGAN discriminator: stride-2 convolutions, LeakyReLU(0.2), one logit.

    Args:
        image_shape: (side, side, channels).
        base_filters: channels of the first convolution (ndf), doubling per stage.
        normalization: after every convolution but the first: `"batch"` (the
            paper's synchronized batch norm), `"layer"` (layer norm over H, W, C of
            each example, the WGAN-GP paper's recommendation for a critic whose
            gradient penalty is per example) or `"none"` (convolutions with biases).
        minibatch_discrimination: number of `MinibatchDiscrimination` kernels
            inserted before the logit (Salimans et al. 2016); 0 = none.
    """
    if normalization not in _NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {_NORMALIZATIONS}; "
            f"got {normalization!r}."
        )
    stages, _, _ = square_image_stages(image_shape, "DCGAN")
    images = keras.Input(tuple(image_shape), name="images")
    x = dcgan_down_stages(images, stages, base_filters, normalization)
    x = keras.layers.Flatten()(x)
    if minibatch_discrimination:
        x = MinibatchDiscrimination(minibatch_discrimination, MINIBATCH_KERNEL_DIM,
                                    name="minibatch_discrimination")(x)
    logits = keras.layers.Dense(1, kernel_initializer=dcgan_init(), dtype="float32",
                                name="logit")(x)
    return keras.Model(images, logits, name="discriminator")


@register_model("dcgan", tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=8))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class DCGAN(AdversarialModel):
    """Deep convolutional GAN.

    Args:
        latent_dim: size of z (100 in the paper).
        image_shape: (side, side, channels); 28x28x1 for (Fashion-)MNIST, 64x64x3
            for the paper's LSUN / faces.
        base_filters: ngf = ndf (64 in common implementations; the paper's 64x64
            generator corresponds to 128).
        minibatch_discrimination: number of minibatch-discrimination kernels before
            the discriminator's logit (Salimans et al. 2016; 100 in their code);
            0 = off, the DCGAN paper's discriminator.
        **kwargs: `AdversarialModel` arguments (`d_steps`, `latent_distribution`,
            `seed`, `name`, and the improved techniques `label_smoothing`,
            `feature_matching`, `historical_averaging`).

    Example:
        >>> model = keras_gan_zoo.create_model("dcgan", image_shape=(28, 28, 1))
        >>> model.compile()
        >>> model.fit(keras_gan_zoo.datasets.load("fashion_mnist"), epochs=10)

    Reference:
        Radford et al., Unsupervised Representation Learning with Deep Convolutional
        Generative Adversarial Networks, arXiv:1511.06434.
    """

    supports_label_smoothing = True

    def __init__(self, latent_dim=100, image_shape=(64, 64, 3), base_filters=64,
                 minibatch_discrimination=0, **kwargs):
        image_shape = tuple(image_shape)
        minibatch_discrimination = check_minibatch_discrimination(minibatch_discrimination)
        super().__init__(
            generator=dcgan_generator(latent_dim, image_shape, base_filters),
            discriminator=dcgan_discriminator(
                image_shape, base_filters, minibatch_discrimination=minibatch_discrimination),
            latent_dim=latent_dim,
            **kwargs,
        )
        self.base_filters = base_filters
        self.minibatch_discrimination = minibatch_discrimination

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits, real_label=self.real_label)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "minibatch_discrimination": self.minibatch_discrimination,
        }
