"""Adaptive instance normalization with a learned style (StyleGAN section 2).

AdaIN(x_i, y) = y_{s,i} * (x_i - mu(x_i)) / sigma(x_i) + y_{b,i}

for each feature map x_i of each example: the map is normalized to zero mean and
unit variance over its pixels (instance normalization), then scaled and shifted by
the style y = (y_s, y_b), a learned affine transform ("A" in the paper's figure 1)
of the intermediate latent w. As in the official code (`style_mod`, `instance_norm`):

- the affine is an equalized dense layer with gain 1, 2C outputs;
- the scale's bias is initialized to 1 (the official code adds 1 to a zero-initialized
  bias, which is the same function), the shift's to 0, so at initialization with
  w = 0 the layer is plain instance normalization;
- sigma = sqrt(mean((x - mu)^2) + 1e-8).

The statistics are computed in float32; the output is in the compute dtype.
"""

import keras

from keras_gan_zoo.layers._args import check_number
from keras_gan_zoo.layers.equalized import EqualizedDense

__all__ = ["AdaIN", "instance_norm"]


def instance_norm(x, epsilon=1e-8):
    """(B, H, W, C) -> each example's channels at zero mean and unit variance over pixels
    (computed in float32, returned in x's dtype)."""
    ops = keras.ops
    y = ops.cast(x, "float32")
    y = y - ops.mean(y, axis=(1, 2), keepdims=True)
    y = y * ops.rsqrt(ops.mean(ops.square(y), axis=(1, 2), keepdims=True) + epsilon)
    return ops.cast(y, x.dtype)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class AdaIN(keras.layers.Layer):
    """Instance normalization followed by a per-example, per-channel scale and shift
    computed from a style vector w.

    Args:
        epsilon: added to the variance.
        lr_multiplier: learning-rate multiplier of the style affine (1 in StyleGAN).

    Inputs: `[x, w]`, x (B, H, W, C) images, w (B, D) the intermediate latent.
    Output: (B, H, W, C).

    Example:
        >>> x = NoiseInjection()(x)
        >>> x = keras.layers.LeakyReLU(0.2)(x)
        >>> x = AdaIN()([x, w])      # StyleGAN's layer epilogue

    Reference:
        Karras et al., A Style-Based Generator Architecture for Generative Adversarial
        Networks, arXiv:1812.04948, section 2, eq. 1; Huang and Belongie, Arbitrary Style
        Transfer in Real-time with Adaptive Instance Normalization, arXiv:1703.06868.
    """

    def __init__(self, epsilon=1e-8, lr_multiplier=1.0, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = check_number("AdaIN", "epsilon", epsilon, positive=False, minimum=0)
        self.lr_multiplier = check_number("AdaIN", "lr_multiplier", lr_multiplier)
        self.style_scale = None
        self.style_shift = None

    @staticmethod
    def _split(shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2:
            raise ValueError(f"AdaIN expects two inputs [x, w]; got {shapes!r}.")
        return shapes

    def build(self, input_shape):
        x_shape, w_shape = self._split(input_shape)
        if len(x_shape) != 4 or x_shape[-1] is None:
            raise ValueError("AdaIN expects x of shape (batch, height, width, channels) with "
                             f"known channels; got {tuple(x_shape)}.")
        if len(w_shape) != 2 or w_shape[-1] is None:
            raise ValueError(f"AdaIN expects w of shape (batch, features); got {tuple(w_shape)}.")
        channels = int(x_shape[-1])
        self.style_scale = EqualizedDense(channels, gain=1.0, bias_init=1.0,
                                          lr_multiplier=self.lr_multiplier,
                                          dtype=self.dtype_policy, name="style_scale")
        self.style_shift = EqualizedDense(channels, gain=1.0, bias_init=0.0,
                                          lr_multiplier=self.lr_multiplier,
                                          dtype=self.dtype_policy, name="style_shift")
        self.style_scale.build(tuple(w_shape))
        self.style_shift.build(tuple(w_shape))

    def styles(self, w):
        """(scale, shift), each (B, C): the style of w."""
        return self.style_scale(w), self.style_shift(w)

    def call(self, inputs):
        x, w = self._split(inputs)
        scale, shift = self.styles(w)
        x = instance_norm(x, self.epsilon)
        return x * scale[:, None, None, :] + shift[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return tuple(self._split(input_shape)[0])

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon,
                "lr_multiplier": self.lr_multiplier}
