"""Masked convolutions (van den Oord et al. 2016, PixelRNN section 3.4).

An autoregressive image model predicts pixel i from pixels < i in raster order
(rows top to bottom, columns left to right, and within a pixel the colour channels
in order R, G, B). A masked convolution zeroes the kernel taps that would let the
output at a pixel see the pixel itself or any later one:

- taps in rows below the centre and right of the centre in the centre row are 0;
- at the centre tap, channels are split into `channel_groups` groups (R, G, B for
  an RGB model). Mask "A" (first layer, on the image) connects output group g to
  input groups < g only; mask "B" (every later layer, on features that are already
  causal) connects g to groups <= g.

With `channel_groups=1` mask A drops the centre tap entirely and mask B keeps it.

Groups are contiguous blocks of channels: channel k of n is in group
`floor(k * groups / n)`. `output_blocks=b` applies that within each of b equal
blocks of the output channels, for layers whose outputs are split afterwards
(gates of a gated unit: b=2; an LSTM's i, f, o, g: b=4), so every block keeps the
same group layout as the features it will be multiplied with.
"""

import keras
import numpy as np
import tensorflow as tf

__all__ = ["MaskedConv2D", "ShiftDown", "causal_mask", "channel_groups_of", "shift_down"]

MASK_TYPES = ("A", "B")


def channel_groups_of(num_channels, groups, blocks=1):
    """Group index (0..groups-1) of each of `num_channels` channels.

    Channels form `blocks` equal blocks; within a block, channel k of n is in group
    `floor(k * groups / n)`.
    """
    if num_channels % blocks:
        raise ValueError(
            f"{num_channels} channels do not split into {blocks} equal blocks."
        )
    size = num_channels // blocks
    if size < groups:
        raise ValueError(
            f"Each block needs at least one channel per group: {size} channels per "
            f"block for {groups} channel groups."
        )
    one = (np.arange(size) * groups) // size
    return np.tile(one, blocks)


def causal_mask(kernel_size, in_channels, out_channels, mask_type, groups=1, output_blocks=1):
    """The 0/1 kernel mask (kh, kw, in, out) of a masked convolution.

    Args:
        kernel_size: (kh, kw), both odd.
        in_channels, out_channels: channel counts of the convolution.
        mask_type: "A" (excludes the current sub-pixel) or "B" (includes it).
        groups: channel groups (colour channels modelled in order).
        output_blocks: equal blocks of the output channels, each grouped alike.
    """
    if mask_type not in MASK_TYPES:
        raise ValueError(f"mask_type must be 'A' or 'B'; got {mask_type!r}.")
    kh, kw = kernel_size
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"A masked convolution needs odd kernel sizes; got {kernel_size}.")
    mask = np.zeros((kh, kw, in_channels, out_channels), "float32")
    ch, cw = kh // 2, kw // 2
    mask[:ch] = 1.0  # rows above
    mask[ch, :cw] = 1.0  # left in the centre row
    g_in = channel_groups_of(in_channels, groups)
    g_out = channel_groups_of(out_channels, groups, output_blocks)
    if mask_type == "A":
        centre = g_in[:, None] < g_out[None, :]
    else:
        centre = g_in[:, None] <= g_out[None, :]
    mask[ch, cw] = centre.astype("float32")
    return mask


def shift_down(x):
    """(B, H, W, C) tensor -> the same map moved down one row (row 0 zeros).

    What turns a map of "rows <= r" into one of "rows < r" (Gated PixelCNN's
    vertical stack, the mirrored Diagonal LSTM). Split + concat rather than a
    strided slice, whose gradient is several times slower on CPU; any height.
    """
    kept, last = tf.split(x, [-1, 1], axis=1)
    return tf.concat([tf.zeros_like(last), kept], axis=1)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ShiftDown(keras.layers.Layer):
    """`shift_down` as a layer, for functional models."""

    def call(self, x):
        return shift_down(x)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class MaskedConv2D(keras.layers.Conv2D):
    """A `Conv2D` whose kernel is masked so outputs see only earlier (sub-)pixels.

    Args:
        filters: output channels.
        kernel_size: int or (kh, kw), odd sizes (e.g. 7 for the first layer, (1, 3)
            for a Row LSTM's input-to-state convolution).
        mask_type: "A" for the first layer (the image itself), "B" afterwards.
        channel_groups: number of colour channels modelled one after the other
            (3 for an RGB model whose sub-pixels are R, G, B; 1 for grey images or
            palette indices).
        output_blocks: the outputs are this many equal blocks, each with the group
            layout (2 for a gated unit's tanh and sigmoid halves, 4 for LSTM gates).
        **kwargs: `keras.layers.Conv2D` arguments; padding is always "same" and
            strides 1.

    Example:
        >>> x = MaskedConv2D(64, 7, mask_type="A", channel_groups=3)(images)
        >>> x = MaskedConv2D(64, 3, mask_type="B", channel_groups=3)(x)

    Reference:
        van den Oord et al., Pixel Recurrent Neural Networks, arXiv:1601.06759,
        section 3.4 and figure 4.
    """

    def __init__(self, filters, kernel_size, mask_type="B", channel_groups=1,
                 output_blocks=1, **kwargs):
        for key, bad in (("padding", "same"), ("strides", 1), ("dilation_rate", 1)):
            value = kwargs.pop(key, bad)
            if value not in (bad, (bad, bad), [bad, bad]):
                raise ValueError(f"MaskedConv2D keeps {key}={bad!r}; got {value!r}.")
        super().__init__(filters, kernel_size, padding="same", **kwargs)
        if mask_type not in MASK_TYPES:
            raise ValueError(f"mask_type must be 'A' or 'B'; got {mask_type!r}.")
        if not isinstance(channel_groups, int) or channel_groups < 1:
            raise ValueError(f"channel_groups must be a positive int; got {channel_groups!r}.")
        if not isinstance(output_blocks, int) or output_blocks < 1:
            raise ValueError(f"output_blocks must be a positive int; got {output_blocks!r}.")
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(
                f"MaskedConv2D needs odd kernel sizes; got {tuple(self.kernel_size)}."
            )
        self.mask_type = mask_type
        self.channel_groups = channel_groups
        self.output_blocks = output_blocks
        self._mask = None

    def build(self, input_shape):
        super().build(input_shape)
        self._mask = causal_mask(tuple(self.kernel_size), int(input_shape[-1]), self.filters,
                                 self.mask_type, self.channel_groups, self.output_blocks)

    @property
    def mask(self):
        """The numpy 0/1 mask (kh, kw, in, out) multiplied into the kernel."""
        return self._mask

    def convolution_op(self, inputs, kernel):
        masked = kernel * keras.ops.cast(self._mask, kernel.dtype)
        return super().convolution_op(inputs, masked)

    def get_config(self):
        config = super().get_config()
        for key in ("padding", "strides", "dilation_rate"):
            config.pop(key, None)
        config.update(mask_type=self.mask_type, channel_groups=self.channel_groups,
                      output_blocks=self.output_blocks)
        return config
