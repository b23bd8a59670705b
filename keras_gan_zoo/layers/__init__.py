"""Layers shared by two or more models of the zoo."""

from keras_gan_zoo.layers.masked_conv import MaskedConv2D
from keras_gan_zoo.layers.maxout import Maxout
from keras_gan_zoo.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_gan_zoo.layers.pixel_shuffle import PixelShuffle
from keras_gan_zoo.layers.reflection_padding import ReflectionPadding2D

__all__ = ["MaskedConv2D", "Maxout", "MinibatchDiscrimination", "PixelShuffle",
           "ReflectionPadding2D"]
