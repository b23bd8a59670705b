"""Adversarial family: `AdversarialModel` and the GANs built on it, one file each."""

from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.adversarial.dcgan import DCGAN, dcgan_discriminator, dcgan_generator
from keras_gan_zoo.models.adversarial.gan import GAN, gan_discriminator, gan_generator
from keras_gan_zoo.models.adversarial.acgan import ACGAN, acgan_discriminator, acgan_generator
from keras_gan_zoo.models.adversarial.cgan import CGAN, cgan_discriminator, cgan_generator
from keras_gan_zoo.models.adversarial.gan_cls import GANCLS
from keras_gan_zoo.models.adversarial.infogan import (InfoGAN, infogan_discriminator,
                                                      infogan_generator)
from keras_gan_zoo.models.adversarial.lsgan import LSGAN
from keras_gan_zoo.models.adversarial.wgan import WGAN
from keras_gan_zoo.models.adversarial.wgan_gp import WGANGP
from keras_gan_zoo.models.adversarial.lapgan import LAPGAN
from keras_gan_zoo.models.adversarial.gran import GRAN, gran_generator
from keras_gan_zoo.models.adversarial.progan import (ProGAN, progan_discriminator,
                                                     progan_generator)
from keras_gan_zoo.models.adversarial.style_base import StyleBasedGAN, mapping_network
from keras_gan_zoo.models.adversarial.stylegan import (StyleGAN, stylegan_discriminator,
                                                       stylegan_synthesis)
from keras_gan_zoo.models.adversarial.stylegan2 import (StyleGAN2, stylegan2_discriminator,
                                                        stylegan2_synthesis)

__all__ = ["AdversarialModel", "DCGAN", "dcgan_discriminator", "dcgan_generator", "GAN",
           "gan_discriminator", "gan_generator", "ACGAN", "acgan_discriminator",
           "acgan_generator", "CGAN", "cgan_discriminator", "cgan_generator", "InfoGAN",
           "infogan_discriminator", "infogan_generator", "LSGAN", "WGAN", "WGANGP", "LAPGAN",
           "ProGAN", "progan_discriminator", "progan_generator", "StyleBasedGAN",
           "mapping_network", "StyleGAN", "stylegan_discriminator", "stylegan_synthesis",
           "StyleGAN2", "stylegan2_discriminator", "stylegan2_synthesis", "GANCLS", "GRAN",
           "gran_generator"]
