"""ReflectionPadding2D: pad height and width by mirroring the border (translators)."""

import keras
import tensorflow as tf


def _pair(value, what):
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)):
        raise ValueError(f"{what} must be an int >= 0 or a pair of them; got {value!r}.")
    return tuple(value)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads (B, H, W, C) images by reflection, without repeating the border pixel
    (`tf.pad(mode="REFLECT")`, PyTorch's `nn.ReflectionPad2d`).

    Reflection keeps the statistics of the border that zero padding would darken;
    CycleGAN's ResNet generator pads every convolution this way, and the U-Net of
    pix2pix pads an image whose side is not a power of two.

    Args:
        padding: an int (all four sides), `(rows, cols)` (symmetric), or
            `((top, bottom), (left, right))`. Each must be smaller than the side.

    Example:
        >>> ReflectionPadding2D(3)(tf.zeros((1, 28, 28, 1))).shape
        TensorShape([1, 34, 34, 1])
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
                isinstance(p, (tuple, list)) for p in padding):
            rows, cols = _pair(padding[0], "padding rows"), _pair(padding[1], "padding cols")
        else:
            rows, cols = ((p, p) for p in _pair(padding, "padding"))
        self.padding = (rows, cols)

    def call(self, inputs):
        (top, bottom), (left, right) = self.padding
        return tf.pad(inputs, [[0, 0], [top, bottom], [left, right], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        batch, height, width, channels = input_shape
        return (batch, None if height is None else height + top + bottom,
                None if width is None else width + left + right, channels)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}
