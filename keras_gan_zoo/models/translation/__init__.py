"""Translation family: `TranslationModel` and the image-to-image translators, one file each."""

from keras_gan_zoo.models.translation.base import TranslationModel
from keras_gan_zoo.models.translation.cyclegan import CycleGAN, ImagePool, resnet_generator
from keras_gan_zoo.models.translation.pix2pix import Pix2Pix, patch_discriminator, unet_generator

__all__ = ["TranslationModel", "Pix2Pix", "unet_generator", "patch_discriminator", "CycleGAN",
           "resnet_generator", "ImagePool"]
