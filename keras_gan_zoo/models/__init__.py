"""The zoo's models: one sub-package per family, one file per architecture.

    models/base.py           GenerativeModel: networks, optimizers, loss scaling,
                             tf.distribute, checks, export (what every family shares)
    models/blocks.py         network blocks that several models use
    models/adversarial/      AdversarialModel and the GANs (GAN-CLS text-to-image, GRAN)
    models/autoencoding/     AutoencodingModel, the autoencoder, VAE, VAE-GAN
    models/autoregressive/   AutoregressiveModel, PixelCNN, Gated PixelCNN, PixelRNN
    models/sequence/         SequenceModel, WaveNet, char-RNN, sentence VAE
    models/translation/      TranslationModel, pix2pix, CycleGAN, DiscoGAN, BiCycleGAN,
                             SRResNet, SRGAN, next-frame video GAN, Recycle-GAN
"""

from keras_gan_zoo.models.base import GenerativeModel
from keras_gan_zoo.models.adversarial import *  # noqa: F401,F403
from keras_gan_zoo.models.adversarial import __all__ as _adversarial
from keras_gan_zoo.models.autoencoding import *  # noqa: F401,F403
from keras_gan_zoo.models.autoencoding import __all__ as _autoencoding
from keras_gan_zoo.models.autoregressive import *  # noqa: F401,F403
from keras_gan_zoo.models.autoregressive import __all__ as _autoregressive
from keras_gan_zoo.models.sequence import *  # noqa: F401,F403
from keras_gan_zoo.models.sequence import __all__ as _sequence
from keras_gan_zoo.models.translation import *  # noqa: F401,F403
from keras_gan_zoo.models.translation import __all__ as _translation
from keras_gan_zoo.layers import Maxout  # noqa: F401  (was models.Maxout)

__all__ = ["GenerativeModel", "Maxout", *_adversarial, *_autoencoding, *_autoregressive,
           *_sequence, *_translation]
