"""Layers shared by two or more models of the zoo."""

from keras_gan_zoo.layers.adain import AdaIN
from keras_gan_zoo.layers.channel_bias import ChannelBias
from keras_gan_zoo.layers.equalized import EqualizedConv2D, EqualizedConv2DTranspose, \
    EqualizedDense
from keras_gan_zoo.layers.fir import Blur2D, Downsample2D, Upsample2D, upfirdn2d
from keras_gan_zoo.layers.masked_conv import MaskedConv2D
from keras_gan_zoo.layers.maxout import Maxout
from keras_gan_zoo.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_gan_zoo.layers.minibatch_stddev import MinibatchStdDev
from keras_gan_zoo.layers.modulated_conv import ModulatedConv2D
from keras_gan_zoo.layers.noise_injection import NoiseInjection
from keras_gan_zoo.layers.pixel_norm import PixelNorm
from keras_gan_zoo.layers.pixel_shuffle import PixelShuffle
from keras_gan_zoo.layers.reflection_padding import ReflectionPadding2D

__all__ = ["AdaIN", "Blur2D", "ChannelBias", "Downsample2D", "EqualizedConv2D", "EqualizedConv2DTranspose",
           "EqualizedDense", "MaskedConv2D", "Maxout", "MinibatchDiscrimination",
           "MinibatchStdDev", "ModulatedConv2D", "NoiseInjection", "PixelNorm", "PixelShuffle",
           "ReflectionPadding2D", "Upsample2D", "upfirdn2d"]
