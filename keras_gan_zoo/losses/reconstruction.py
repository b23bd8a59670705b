"""Reconstruction distances between images: the pixel terms of the translators.

Each casts both sides to float32 (mixed precision safe) and returns a float32
scalar, the mean over every element of the local batch: weighted by the replica's
batch share (`GenerativeModel.minimize`) it sums to the global-batch mean.
"""

import tensorflow as tf

__all__ = ["l1_distance", "squared_distance"]


def _pair(x, y):
    return tf.cast(x, tf.float32), tf.cast(y, tf.float32)


def l1_distance(x, y):
    """Mean absolute difference `E|x - y|` (pix2pix's L1, CycleGAN's cycle and
    identity terms, BiCycleGAN's pixel term).

    Example:
        >>> l1 = l1_distance(generator(source), target)
    """
    x, y = _pair(x, y)
    return tf.reduce_mean(tf.abs(x - y))


def squared_distance(x, y):
    """Mean squared difference `E(x - y)^2` (DiscoGAN's reconstruction term, SRGAN's
    pixel loss).

    Example:
        >>> mse = squared_distance(generator_b_to_a(generator_a_to_b(a)), a)
    """
    x, y = _pair(x, y)
    return tf.reduce_mean(tf.square(x - y))
