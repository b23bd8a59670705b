"""FIR filtering and resampling of images (StyleGAN2's `upfirdn2d`).

StyleGAN (section 2, following Zhang 2019 "Making convolutional networks
shift-invariant again") low-pass filters every up- and down-sampling with the
separable binomial filter [1, 3, 3, 1] (normalized to sum 1) to reduce aliasing;
StyleGAN2 keeps it for its skip generator and residual discriminator.

`upfirdn2d(x, kernel, up, down, pad)` is the one primitive, with the official
semantics (NHWC here):

1. up-sample by inserting `up - 1` zeros after each pixel (height and width);
2. zero-pad by `pad = (before, after)` pixels on both axes;
3. convolve (a true convolution: the kernel is flipped) with the 2-D filter,
   "valid";
4. keep every `down`-th pixel.

The filter is the outer product of a 1-D kernel with itself, normalized to sum 1
(times `up**2` when up-sampling, so a constant image keeps its value). It is applied
per channel with a depthwise convolution; no custom op, so it runs on CPU.

The three layers are the padding recipes of the official code:

- `Upsample2D(factor)`: (H, W) -> (factor H, factor W); pads
  ((p + 1) // 2 + factor - 1, p // 2), p = len(kernel) - factor.
  `kernel=(1, 1)` is nearest-neighbour up-sampling.
- `Downsample2D(factor)`: (H, W) -> (H / factor, W / factor); pads
  ((p + 1) // 2, p // 2). `kernel=(1, 1)` is average pooling.
- `Blur2D(padding)`: filter only. StyleGAN2's down-sampling 3x3 convolution is
  `Blur2D(padding=(2, 2))` then a stride-2 "valid" convolution
  (pads (p + 1) // 2, p // 2 with p = len(kernel) - 2 + 3 - 1);
  `padding="same"` keeps the size (pads (k // 2, (k - 1) // 2), as StyleGAN2-ADA's
  `filter2d`).

Interior pixels of a constant image keep their value; near the border the zero
padding darkens them, as in the official code.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.layers._args import check_choice, check_int

__all__ = ["Blur2D", "Downsample2D", "Upsample2D", "fir_filter", "upfirdn2d"]

DEFAULT_KERNEL = (1, 3, 3, 1)


def _kernel_1d(kernel, owner):
    try:
        k = np.asarray(kernel, dtype="float64")
    except (TypeError, ValueError):
        k = None
    if k is None or k.ndim != 1 or k.size < 1 or not np.all(np.isfinite(k)) or k.sum() <= 0:
        raise ValueError(f"{owner}: kernel must be a non-empty 1-D sequence of finite numbers "
                         f"with a positive sum (e.g. (1, 3, 3, 1)); got {kernel!r}.")
    return tuple(float(v) for v in k)


def fir_filter(kernel=DEFAULT_KERNEL, gain=1.0):
    """The 2-D filter (k, k) float32: outer(kernel, kernel), normalized to sum `gain`."""
    k = np.asarray(_kernel_1d(kernel, "fir_filter"), dtype="float64")
    k2 = np.outer(k, k)
    return (k2 / k2.sum() * gain).astype("float32")


def _pair_padding(pad, owner):
    if isinstance(pad, (int, np.integer)) and not isinstance(pad, bool):
        pad = (pad, pad)
    if (not isinstance(pad, (tuple, list)) or len(pad) != 2
            or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0
                       for p in pad)):
        raise ValueError(f"{owner}: padding must be an int >= 0, a pair (before, after) of "
                         f"them, or 'same'; got {pad!r}.")
    return (int(pad[0]), int(pad[1]))


def upfirdn2d(x, kernel=DEFAULT_KERNEL, up=1, down=1, pad=(0, 0), gain=1.0):
    """Up-sample, pad, FIR-filter and down-sample (B, H, W, C) images.

    Args:
        x: (B, H, W, C) tensor.
        kernel: 1-D separable kernel; the 2-D filter is its outer product normalized
            to sum `gain`.
        up, down: integer factors, the same for both axes.
        pad: (before, after) zero padding of both axes, after up-sampling.
        gain: sum of the filter (`up**2` to keep constants when up-sampling).

    Output size per axis: (H * up + before + after - len(kernel)) // down + 1.
    """
    up = check_int("upfirdn2d", "up", up)
    down = check_int("upfirdn2d", "down", down)
    p0, p1 = _pair_padding(pad, "upfirdn2d")
    x = tf.convert_to_tensor(x)
    if x.shape.rank != 4:
        raise ValueError(f"upfirdn2d expects (batch, height, width, channels) images; got "
                         f"shape {tuple(x.shape)}.")
    channels = x.shape[-1]
    if channels is None:
        raise ValueError("upfirdn2d needs a known number of channels.")
    if up > 1:
        shape = tf.shape(x)
        b, h, w = shape[0], shape[1], shape[2]
        x = tf.reshape(x, tf.stack([b, h, 1, w, 1, channels]))
        x = tf.pad(x, [[0, 0], [0, 0], [0, up - 1], [0, 0], [0, up - 1], [0, 0]])
        x = tf.reshape(x, tf.stack([b, h * up, w * up, channels]))
    if p0 or p1:
        x = tf.pad(x, [[0, 0], [p0, p1], [p0, p1], [0, 0]])
    k = fir_filter(kernel, gain)[::-1, ::-1]  # convolution, as upfirdn2d: flip the filter
    taps = np.tile(k[:, :, None, None], (1, 1, channels, 1))
    return tf.nn.depthwise_conv2d(x, tf.constant(taps, dtype=x.dtype),
                                  strides=[1, down, down, 1], padding="VALID")


def _out_size(size, up, down, pad, k):
    if size is None:
        return None
    return (size * up + pad[0] + pad[1] - k) // down + 1


class _FIRLayer(keras.layers.Layer):
    """Shared config and shape logic of the FIR layers."""

    up = 1
    down = 1

    def __init__(self, kernel=DEFAULT_KERNEL, **kwargs):
        super().__init__(**kwargs)
        self.kernel = _kernel_1d(kernel, type(self).__name__)

    def _pad(self):
        raise NotImplementedError

    def _gain(self):
        return float(self.up ** 2)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} expects images (batch, height, width, "
                             f"channels) with known channels; got shape {tuple(input_shape)}.")
        k = len(self.kernel)
        for side in input_shape[1:3]:
            if side is not None and _out_size(side, self.up, self.down, self._pad(), k) < 1:
                raise ValueError(f"{type(self).__name__}: images of shape "
                                 f"{tuple(input_shape)} are too small for a {k}-tap kernel.")

    def call(self, inputs):
        return upfirdn2d(inputs, self.kernel, up=self.up, down=self.down, pad=self._pad(),
                         gain=self._gain())

    def compute_output_shape(self, input_shape):
        k, pad = len(self.kernel), self._pad()
        return (input_shape[0], _out_size(input_shape[1], self.up, self.down, pad, k),
                _out_size(input_shape[2], self.up, self.down, pad, k), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "kernel": list(self.kernel)}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class Blur2D(_FIRLayer):
    """Low-pass filters images with a normalized separable FIR kernel.

    Args:
        kernel: 1-D kernel; the filter is outer(kernel, kernel) / sum. (1, 3, 3, 1) by
            default (StyleGAN2); (1, 2, 1) is StyleGAN's blur.
        padding: "same" (keeps the size: (k // 2, (k - 1) // 2)), an int, or
            (before, after) zero padding of both axes.

    Example:
        >>> x = Blur2D(padding=(2, 2))(x)                          # 16x16 -> 17x17
        >>> x = EqualizedConv2D(64, 3, strides=2, padding="valid")(x)  # 17x17 -> 8x8

    Reference:
        Karras et al., A Style-Based Generator Architecture for GANs, arXiv:1812.04948,
        section 2; Karras et al., Analyzing and Improving the Image Quality of StyleGAN,
        arXiv:1912.04958 (`upfirdn2d` in the official code); Zhang, Making Convolutional
        Networks Shift-Invariant Again, arXiv:1904.11486.
    """

    def __init__(self, kernel=DEFAULT_KERNEL, padding="same", **kwargs):
        super().__init__(kernel=kernel, **kwargs)
        if isinstance(padding, str):
            check_choice("Blur2D", "padding", padding, ("same",))
            self.padding = padding
        else:
            self.padding = _pair_padding(padding, "Blur2D")

    def _pad(self):
        if self.padding == "same":
            k = len(self.kernel)
            return (k // 2, (k - 1) // 2)
        return self.padding

    def _gain(self):
        return 1.0

    def get_config(self):
        padding = self.padding if isinstance(self.padding, str) else list(self.padding)
        return {**super().get_config(), "padding": padding}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class Upsample2D(_FIRLayer):
    """Up-samples images by an integer factor with FIR filtering (StyleGAN2 `upsample_2d`).

    Zero insertion, then the filter with gain factor^2; (H, W) -> (factor H, factor W).

    Args:
        factor: integer up-sampling factor (>= 2).
        kernel: 1-D kernel, (1, 3, 3, 1) by default; (1, 1) gives nearest neighbour.

    Example:
        >>> Upsample2D()(tf.zeros((1, 8, 8, 3))).shape
        TensorShape([1, 16, 16, 3])

    Reference:
        Karras et al., Analyzing and Improving the Image Quality of StyleGAN,
        arXiv:1912.04958 (skip generator, figure 7; `upsample_2d` in the official code).
    """

    def __init__(self, factor=2, kernel=DEFAULT_KERNEL, **kwargs):
        super().__init__(kernel=kernel, **kwargs)
        self.factor = check_int("Upsample2D", "factor", factor, minimum=2)
        if len(self.kernel) < self.factor:
            raise ValueError(f"Upsample2D: a {len(self.kernel)}-tap kernel is too short for "
                             f"factor {self.factor}; use at least {self.factor} taps.")
        self.up = self.factor

    def _pad(self):
        p = len(self.kernel) - self.factor
        return ((p + 1) // 2 + self.factor - 1, p // 2)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class Downsample2D(_FIRLayer):
    """Down-samples images by an integer factor with FIR filtering (StyleGAN2
    `downsample_2d`): the filter, then every factor-th pixel; (H, W) -> (H / factor,
    W / factor) for sides divisible by the factor.

    Args:
        factor: integer down-sampling factor (>= 2).
        kernel: 1-D kernel, (1, 3, 3, 1) by default; (1, 1) gives average pooling.

    Example:
        >>> Downsample2D()(tf.zeros((1, 16, 16, 3))).shape
        TensorShape([1, 8, 8, 3])

    Reference:
        Karras et al., Analyzing and Improving the Image Quality of StyleGAN,
        arXiv:1912.04958 (residual discriminator, figure 7; `downsample_2d`).
    """

    def __init__(self, factor=2, kernel=DEFAULT_KERNEL, **kwargs):
        super().__init__(kernel=kernel, **kwargs)
        self.factor = check_int("Downsample2D", "factor", factor, minimum=2)
        if len(self.kernel) < self.factor:
            raise ValueError(f"Downsample2D: a {len(self.kernel)}-tap kernel is too short for "
                             f"factor {self.factor}; use at least {self.factor} taps.")
        self.down = self.factor

    def _pad(self):
        p = len(self.kernel) - self.factor
        return ((p + 1) // 2, p // 2)

    def _gain(self):
        return 1.0

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
