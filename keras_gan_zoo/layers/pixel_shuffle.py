"""PixelShuffle: sub-pixel upsampling, channels rearranged into space (SRGAN)."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class PixelShuffle(keras.layers.Layer):
    """(B, H, W, C x r^2) -> (B, H r, W r, C): each group of r^2 channels becomes an
    r x r block of pixels (Shi et al. 2016, "sub-pixel convolution").

    A convolution to C x r^2 channels followed by this layer upsamples without the
    checkerboard of a strided transposed convolution; SRGAN's generator upsamples this
    way. `tf.nn.depth_to_space` orders the channels of a block differently from
    PyTorch's `pixel_shuffle`; a learned convolution before it absorbs the difference.

    Args:
        factor: the upscaling factor r (int >= 2).

    Example:
        >>> PixelShuffle(2)(tf.zeros((1, 7, 7, 256))).shape
        TensorShape([1, 14, 14, 64])

    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an
        Efficient Sub-Pixel Convolutional Neural Network", CVPR 2016, arXiv:1609.05158.
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 2:
            raise ValueError(f"factor must be an int >= 2; got {factor!r}.")
        self.factor = factor

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is not None and channels % self.factor**2:
            raise ValueError(f"PixelShuffle({self.factor}) needs channels divisible by "
                             f"{self.factor**2}; got {channels}.")
        super().build(input_shape)

    def call(self, inputs):
        return tf.nn.depth_to_space(inputs, self.factor)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        r = self.factor
        return (batch, None if height is None else height * r,
                None if width is None else width * r, channels // r**2)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
