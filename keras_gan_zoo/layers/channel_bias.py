"""A learned bias per channel, as a layer of its own.

ProGAN adds the bias of its 4x4 projection after reshaping a bias-free dense layer
(`apply_bias`); StyleGAN adds a convolution's bias after the blur that follows its
up-sampling. Both need the bias apart from the layer whose output it shifts.
"""

import keras

__all__ = ["ChannelBias"]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ChannelBias(keras.layers.Layer):
    """Adds a bias per channel (the last axis), initialized to 0.

    The bias is a float32 weight cast to the compute dtype.

    Example:
        >>> x = keras.layers.Reshape((4, 4, 512))(EqualizedDense(8192, use_bias=False)(z))
        >>> x = ChannelBias()(x)

    Reference:
        Karras et al., Progressive Growing of GANs, arXiv:1710.10196 (`apply_bias`).
    """

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"ChannelBias needs a known number of channels; got shape "
                             f"{tuple(input_shape)}.")
        self.bias = self.add_weight(name="bias", shape=(int(input_shape[-1]),),
                                    initializer="zeros")

    def call(self, inputs):
        return inputs + keras.ops.cast(self.bias, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
