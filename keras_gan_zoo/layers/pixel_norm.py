"""Pixelwise feature-vector normalization (Karras et al. 2018, ProGAN section 4.2)."""

import keras

from keras_gan_zoo.layers._args import check_int, check_number

__all__ = ["PixelNorm"]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class PixelNorm(keras.layers.Layer):
    """Normalizes the feature vector of each pixel to unit mean square:

        b_{x,y} = a_{x,y} / sqrt(1/N * sum_j (a^j_{x,y})^2 + epsilon),  epsilon = 1e-8

    (ProGAN eq. in section 4.2, N the number of feature maps). ProGAN's generator
    applies it after every convolution, StyleGAN to z before the mapping network.
    No trainable parameters. The mean square is taken in float32 under a mixed
    policy (squares of half-precision activations overflow above 256); the output
    is in the compute dtype.

    Args:
        axis: the feature axis (-1: channels of NHWC images, features of vectors).
        epsilon: added to the mean square.

    Example:
        >>> x = PixelNorm()(keras.layers.LeakyReLU(0.2)(EqualizedConv2D(512, 3)(x)))

    Reference:
        Karras et al., Progressive Growing of GANs for Improved Quality, Stability, and
        Variation, arXiv:1710.10196, section 4.2.
    """

    def __init__(self, axis=-1, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_int("PixelNorm", "axis", axis, minimum=-(2**31))
        self.epsilon = check_number("PixelNorm", "epsilon", epsilon, positive=False, minimum=0)

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"PixelNorm: axis {self.axis} is not a feature axis of inputs of "
                             f"shape {tuple(input_shape)} (the batch axis 0 is not allowed).")

    def call(self, inputs):
        ops = keras.ops
        x = ops.cast(inputs, "float32")
        x = x * ops.rsqrt(ops.mean(ops.square(x), axis=self.axis, keepdims=True) + self.epsilon)
        return ops.cast(x, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
