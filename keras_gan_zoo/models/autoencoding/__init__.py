"""Autoencoding family: `AutoencodingModel` and the encoder/decoder models, one file each."""

from keras_gan_zoo.models.autoencoding.base import AutoencodingModel
from keras_gan_zoo.models.autoencoding.autoencoder import Autoencoder, fit_gaussian_mixture
from keras_gan_zoo.models.autoencoding.vae import VAE
from keras_gan_zoo.models.autoencoding.vae_gan import VAEGAN

__all__ = ["AutoencodingModel", "Autoencoder", "fit_gaussian_mixture", "VAE", "VAEGAN"]
