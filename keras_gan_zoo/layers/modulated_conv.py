"""Modulated (and demodulated) convolution (StyleGAN2 section 2.2).

StyleGAN2 replaces AdaIN by scaling the convolution weights themselves. With a
style s (one scale per input channel, from w by a learned affine whose bias starts
at 1) and weights w_{ijk} (input i, output j, tap k):

    modulation:    w'_{ijk}  = s_i * w_{ijk}                                  (eq. 1)
    demodulation:  w''_{ijk} = w'_{ijk} / sqrt(sum_{i,k} (w'_{ijk})^2 + eps)   (eq. 3)

so that, for inputs of unit variance, each output map has unit (expected) variance
again. Each example of the batch has its own weights. The official code offers two
equivalent implementations: a grouped convolution over per-example weights
("fused_modconv"), and scaling the activations instead of the weights:

    conv(x, w'')_j = d_j * conv(x * s, w)_j,   d_j = 1 / sqrt(sum_i s_i^2 sum_k w_{ijk}^2 + eps)

This layer uses the second (StyleGAN2's `fused_modconv=False` path, the one it
trains with): one ordinary convolution with the shared weights, so it runs on CPU
and under any strategy, with no per-example weights materialized. The demodulation
coefficients are computed in float32 from (B, in) x (in, out) sums.

`up=2` up-samples before the convolution with the FIR filter (`Upsample2D`, kernel
[1, 3, 3, 1]). The official code uses a stride-2 transposed convolution followed by
the same filter; zero insertion, a filter and a convolution are all linear and
shift-commuting, so the two are the same family of functions (the convolution
kernel is flipped, which is a re-parametrization), at the cost of convolving at the
higher resolution.

The weights are equalized (`EqualizedConv2D`'s scale with gain 1). Under a mixed
policy the convolution runs in the compute dtype.
"""

import keras

from keras_gan_zoo.layers._args import check_bool, check_choice, check_int, check_number, \
    kernel_pair
from keras_gan_zoo.layers.equalized import EqualizedDense, he_scale
from keras_gan_zoo.layers.fir import DEFAULT_KERNEL, Upsample2D, _kernel_1d

__all__ = ["ModulatedConv2D"]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ModulatedConv2D(keras.layers.Layer):
    """A convolution whose weights are scaled per example by a style from w, with
    optional demodulation and 2x up-sampling ("same" padding, stride 1).

    Args:
        filters: output channels.
        kernel_size: odd int or (kh, kw); 3 in StyleGAN2 (1 for toRGB).
        demodulate: normalize each example's output channels (False for toRGB).
        up: 1, or 2 to up-sample (FIR, `resample_kernel`) before convolving.
        resample_kernel: 1-D FIR kernel of the up-sampling.
        use_bias: add a bias (the official code adds it after the noise; addition
            commutes, so `NoiseInjection` after this layer is the same).
        activation: a Keras activation applied last, or None.
        gain: He gain of the weights (1 as in StyleGAN2).
        lr_multiplier: learning-rate multiplier of the weights and the bias.
        epsilon: added to the sum of squares of the demodulation.

    Inputs: `[x, w]`, x (B, H, W, in) images, w (B, D) the intermediate latent.
    Output: (B, up H, up W, filters).

    Example:
        >>> x = ModulatedConv2D(256, 3, up=2)([x, w])          # 8x8 -> 16x16
        >>> x = NoiseInjection(per_channel=False)(x, seed=seed)
        >>> x = keras.layers.LeakyReLU(0.2)(x) * math.sqrt(2)
        >>> rgb = ModulatedConv2D(3, 1, demodulate=False)([x, w])

    Reference:
        Karras et al., Analyzing and Improving the Image Quality of StyleGAN,
        arXiv:1912.04958, section 2.2, eq. 1-3 and figure 2.
    """

    def __init__(self, filters, kernel_size=3, demodulate=True, up=1,
                 resample_kernel=DEFAULT_KERNEL, use_bias=True, activation=None, gain=1.0,
                 lr_multiplier=1.0, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        owner = "ModulatedConv2D"
        self.filters = check_int(owner, "filters", filters)
        self.kernel_size = kernel_pair(owner, "kernel_size", kernel_size)
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"ModulatedConv2D needs odd kernel sizes ('same' padding); got "
                             f"{self.kernel_size}.")
        self.demodulate = check_bool(owner, "demodulate", demodulate)
        if isinstance(up, bool):
            raise ValueError(f"ModulatedConv2D: up must be 1 or 2; got {up!r}.")
        self.up = check_choice(owner, "up", up, (1, 2))
        self.resample_kernel = _kernel_1d(resample_kernel, owner)
        self.use_bias = check_bool(owner, "use_bias", use_bias)
        self.activation = keras.activations.get(activation)
        self.gain = check_number(owner, "gain", gain)
        self.lr_multiplier = check_number(owner, "lr_multiplier", lr_multiplier)
        self.epsilon = check_number(owner, "epsilon", epsilon, positive=False, minimum=0)
        self.upsample = None
        if self.up == 2:
            self.upsample = Upsample2D(2, self.resample_kernel, dtype=self.dtype_policy,
                                       name="upsample")
        self.affine = None
        self.fan_in = None

    @staticmethod
    def _split(shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2:
            raise ValueError(f"ModulatedConv2D expects two inputs [x, w]; got {shapes!r}.")
        return shapes

    def build(self, input_shape):
        x_shape, w_shape = self._split(input_shape)
        if len(x_shape) != 4 or x_shape[-1] is None:
            raise ValueError("ModulatedConv2D expects x of shape (batch, height, width, "
                             f"channels) with known channels; got {tuple(x_shape)}.")
        if len(w_shape) != 2 or w_shape[-1] is None:
            raise ValueError("ModulatedConv2D expects w of shape (batch, features); got "
                             f"{tuple(w_shape)}.")
        channels = int(x_shape[-1])
        kh, kw = self.kernel_size
        self.fan_in = kh * kw * channels
        # The style: one scale per input channel, bias 1 (StyleGAN2's affine "A").
        self.affine = EqualizedDense(channels, gain=1.0, bias_init=1.0, dtype=self.dtype_policy,
                                     name="affine")
        self.affine.build(tuple(w_shape))
        self.kernel = self.add_weight(
            name="kernel", shape=(kh, kw, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        if self.upsample is not None:
            self.upsample.build(tuple(x_shape))

    @property
    def kernel_scale(self):
        """Run-time multiplier of the stored kernel: gain / sqrt(fan_in) * lr_multiplier."""
        return he_scale(self.fan_in, self.gain, self.lr_multiplier)

    def styles(self, w):
        """The per-example input-channel scales s, (B, in_channels)."""
        return self.affine(w)

    def demodulation(self, styles, kernel):
        """d (B, filters) in float32: 1 / sqrt(sum_{i,k} (s_i w_ijk)^2 + eps)."""
        ops = keras.ops
        s2 = ops.square(ops.cast(styles, "float32"))
        w2 = ops.sum(ops.square(ops.cast(kernel, "float32")), axis=(0, 1))  # (in, out)
        return ops.rsqrt(ops.matmul(s2, w2) + self.epsilon)

    def call(self, inputs):
        ops = keras.ops
        x, w = self._split(inputs)
        s = self.styles(w)
        kernel = self.kernel * self.kernel_scale
        x = x * ops.cast(s, x.dtype)[:, None, None, :]
        if self.upsample is not None:
            x = self.upsample(x)
        y = ops.conv(x, kernel, strides=1, padding="same")
        if self.demodulate:
            y = y * ops.cast(self.demodulation(s, kernel), y.dtype)[:, None, None, :]
        if self.use_bias:
            y = y + self.bias * self.lr_multiplier
        if self.activation is not None:
            y = self.activation(y)
        return y

    def compute_output_shape(self, input_shape):
        x_shape, _ = self._split(input_shape)
        b, h, w, _ = x_shape
        return (b, None if h is None else h * self.up, None if w is None else w * self.up,
                self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "demodulate": self.demodulate,
            "up": self.up,
            "resample_kernel": list(self.resample_kernel),
            "use_bias": self.use_bias,
            "activation": keras.activations.serialize(self.activation)
            if self.activation is not None else None,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "epsilon": self.epsilon,
        }
