"""Adversarial losses, discriminator regularizers and reconstruction distances.

All losses take discriminator logits / critic outputs (or two images for the
distances), cast them to float32 and return a float32 scalar: the mean over the
local batch.
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
from keras_gan_zoo.losses.penalties import compute_in_float32
from keras_gan_zoo.losses.penalties import gradient_penalty
from keras_gan_zoo.losses.penalties import path_length_penalty
from keras_gan_zoo.losses.penalties import path_lengths
from keras_gan_zoo.losses.penalties import r1_penalty
from keras_gan_zoo.losses.reconstruction import l1_distance
from keras_gan_zoo.losses.reconstruction import squared_distance

__all__ = [
    "ADVERSARIAL_LOSSES",
    "clip_weights",
    "compute_in_float32",
    "get",
    "gradient_penalty",
    "hinge_d_loss",
    "hinge_g_loss",
    "l1_distance",
    "least_squares_d_loss",
    "least_squares_g_loss",
    "minimax_d_loss",
    "minimax_g_loss",
    "nonsaturating_d_loss",
    "nonsaturating_g_loss",
    "path_length_penalty",
    "path_lengths",
    "r1_penalty",
    "squared_distance",
    "wasserstein_d_loss",
    "wasserstein_g_loss",
]
