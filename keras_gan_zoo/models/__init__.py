"""The zoo's models, one file per architecture, plus the families' base classes."""

from keras_gan_zoo.models.acgan import ACGAN, acgan_discriminator, acgan_generator
from keras_gan_zoo.models.adversarial import AdversarialModel
from keras_gan_zoo.models.base import GenerativeModel
from keras_gan_zoo.models.cgan import CGAN, cgan_discriminator, cgan_generator
from keras_gan_zoo.models.dcgan import DCGAN, dcgan_discriminator, dcgan_generator
from keras_gan_zoo.models.gan import GAN, Maxout, gan_discriminator, gan_generator
from keras_gan_zoo.models.infogan import InfoGAN, infogan_discriminator, infogan_generator
from keras_gan_zoo.models.lsgan import LSGAN
from keras_gan_zoo.models.wgan import WGAN
from keras_gan_zoo.models.wgan_gp import WGANGP
from keras_gan_zoo.models.lapgan import LAPGAN
from keras_gan_zoo.models.autoregressive import AutoregressiveModel
from keras_gan_zoo.models.pixelcnn import PixelCNN, pixelcnn_network
from keras_gan_zoo.models.gated_pixelcnn import GatedPixelCNN, gated_pixelcnn_network
from keras_gan_zoo.models.pixelrnn import PixelRNN, pixelrnn_network
from keras_gan_zoo.models.autoencoding import AutoencodingModel
from keras_gan_zoo.models.autoencoder import Autoencoder, fit_gaussian_mixture
from keras_gan_zoo.models.vae import VAE
from keras_gan_zoo.models.vae_gan import VAEGAN
from keras_gan_zoo.models.sequence import SequenceModel
from keras_gan_zoo.models.wavenet import WaveNet, mu_law_decode, mu_law_encode
from keras_gan_zoo.models.char_rnn import CharRNN

__all__ = [
    "AutoregressiveModel",
    "PixelCNN",
    "pixelcnn_network",
    "GatedPixelCNN",
    "gated_pixelcnn_network",
    "PixelRNN",
    "pixelrnn_network",
    "AdversarialModel",
    "GenerativeModel",
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
    "LAPGAN",
    "AutoencodingModel",
    "Autoencoder",
    "fit_gaussian_mixture",
    "VAE",
    "VAEGAN",
    "SequenceModel",
    "WaveNet",
    "mu_law_encode",
    "mu_law_decode",
    "CharRNN",
]
