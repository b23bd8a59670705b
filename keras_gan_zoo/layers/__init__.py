"""Layers shared by two or more models of the zoo."""

from keras_gan_zoo.layers.minibatch_discrimination import MinibatchDiscrimination

__all__ = ["MinibatchDiscrimination"]
