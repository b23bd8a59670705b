"""The zoo's models, one file per architecture, plus the families' base classes."""

from keras_gan_zoo.models.acgan import ACGAN, acgan_discriminator, acgan_generator
from keras_gan_zoo.models.adversarial import AdversarialModel
from keras_gan_zoo.models.cgan import CGAN, cgan_discriminator, cgan_generator
from keras_gan_zoo.models.dcgan import DCGAN, dcgan_discriminator, dcgan_generator
from keras_gan_zoo.models.gan import GAN, Maxout, gan_discriminator, gan_generator
from keras_gan_zoo.models.infogan import InfoGAN, infogan_discriminator, infogan_generator
from keras_gan_zoo.models.lsgan import LSGAN
from keras_gan_zoo.models.wgan import WGAN
from keras_gan_zoo.models.wgan_gp import WGANGP

__all__ = [
    "AdversarialModel",
    "CGAN",
    "DCGAN",
    "cgan_discriminator",
    "cgan_generator",
    "GAN",
    "Maxout",
    "dcgan_discriminator",
    "dcgan_generator",
    "gan_discriminator",
    "gan_generator",
    "LSGAN",
    "WGAN",
    "WGANGP",
    "ACGAN",
    "acgan_discriminator",
    "acgan_generator",
    "InfoGAN",
    "infogan_discriminator",
    "infogan_generator",
]
