"""Translation family: `TranslationModel` and the image-to-image translators, one file each."""

from keras_gan_zoo.models.translation.base import (SameSizeTranslationModel, TranslationModel,
                                                   UnpairedTranslationModel)
from keras_gan_zoo.models.translation.bicyclegan import (BiCycleGAN, latent_encoder,
                                                         latent_unet_generator)
from keras_gan_zoo.models.translation.cyclegan import CycleGAN, ImagePool, resnet_generator
from keras_gan_zoo.models.translation.discogan import (DiscoGAN, encoder_decoder_generator,
                                                       feature_discriminator)
from keras_gan_zoo.models.translation.pix2pix import Pix2Pix, patch_discriminator, unet_generator
from keras_gan_zoo.models.translation.recycle_gan import RecycleGAN
from keras_gan_zoo.models.translation.srgan import (SRGAN, SRResNet, build_content_network,
                                                    srgan_discriminator, srresnet_generator)
from keras_gan_zoo.models.translation.video_gan import VideoGAN

__all__ = [
    "TranslationModel", "SameSizeTranslationModel", "UnpairedTranslationModel", "Pix2Pix",
    "unet_generator", "patch_discriminator", "CycleGAN", "resnet_generator", "ImagePool",
    "DiscoGAN", "encoder_decoder_generator", "feature_discriminator", "BiCycleGAN",
    "latent_encoder", "latent_unet_generator", "SRResNet", "SRGAN", "srresnet_generator",
    "srgan_discriminator", "build_content_network", "VideoGAN", "RecycleGAN",
]
