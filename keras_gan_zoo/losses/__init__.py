"""Adversarial losses and discriminator regularizers.

All losses take discriminator logits / critic outputs, cast them to float32
and return a float32 scalar: the mean over the local batch.
"""

from keras_gan_zoo.losses.adversarial import ADVERSARIAL_LOSSES
from keras_gan_zoo.losses.adversarial import get
from keras_gan_zoo.losses.adversarial import hinge_d_loss
from keras_gan_zoo.losses.adversarial import hinge_g_loss
from keras_gan_zoo.losses.adversarial import least_squares_d_loss
from keras_gan_zoo.losses.adversarial import least_squares_g_loss
from keras_gan_zoo.losses.adversarial import minimax_d_loss
from keras_gan_zoo.losses.adversarial import minimax_g_loss
from keras_gan_zoo.losses.adversarial import nonsaturating_d_loss
from keras_gan_zoo.losses.adversarial import nonsaturating_g_loss
from keras_gan_zoo.losses.adversarial import wasserstein_d_loss
from keras_gan_zoo.losses.adversarial import wasserstein_g_loss
from keras_gan_zoo.losses.penalties import clip_weights
from keras_gan_zoo.losses.penalties import gradient_penalty
from keras_gan_zoo.losses.penalties import r1_penalty

__all__ = [
    "ADVERSARIAL_LOSSES",
    "clip_weights",
    "get",
    "gradient_penalty",
    "hinge_d_loss",
    "hinge_g_loss",
    "least_squares_d_loss",
    "least_squares_g_loss",
    "minimax_d_loss",
    "minimax_g_loss",
    "nonsaturating_d_loss",
    "nonsaturating_g_loss",
    "r1_penalty",
    "wasserstein_d_loss",
    "wasserstein_g_loss",
]
