"""Equalized learning rate (Karras et al. 2018, ProGAN section 4.1).

Adam and RMSProp normalize each parameter's update by its own gradient scale, so a
weight's *relative* speed of learning depends on its magnitude: with He
initialization, layers with a large fan-in (small weights) learn relatively faster.
ProGAN stores every weight as w ~ N(0, 1) and multiplies it at run time by the He
constant c = gain / sqrt(fan_in): the effective weight w * c has He's scale at
initialization while every stored parameter lives on the same scale, so every layer
learns at the same relative speed.

StyleGAN (section 2 and appendix C) adds a learning-rate multiplier for the mapping
network (0.01): the stored weight is w ~ N(0, 1 / lr_multiplier) and the run-time
scale is c * lr_multiplier. The effective weight at initialization is unchanged; a
step of size delta on the stored weight moves the effective weight by
delta * lr_multiplier, and the gradient with respect to the stored weight is itself
lr_multiplier times smaller, so plain SGD is slowed by lr_multiplier^2 and Adam by
lr_multiplier. The bias is stored as `bias_init / lr_multiplier` and multiplied by
lr_multiplier at run time, so its effective initial value is `bias_init`.

Gain conventions. ProGAN and StyleGAN put sqrt(2) (the leaky-ReLU/ReLU gain) into c:
the default `gain=sqrt(2)`; their output layers (toRGB, the logit, StyleGAN's style
affine) use `gain=1`. StyleGAN2 uses `gain=1` everywhere and multiplies the output of
each leaky ReLU by sqrt(2) instead; pass `gain=1.0` for that convention.

Under a mixed policy the stored weights are float32 variables; the scaled weight,
the convolution and the output are in the compute dtype.
"""

import math

import keras

from keras_gan_zoo.layers._args import check_bool, check_choice, check_int, check_number, \
    kernel_pair

__all__ = ["EqualizedConv2D", "EqualizedConv2DTranspose", "EqualizedDense", "he_scale"]


def he_scale(fan_in, gain=math.sqrt(2.0), lr_multiplier=1.0):
    """The run-time weight multiplier `gain / sqrt(fan_in) * lr_multiplier`."""
    return float(gain) / math.sqrt(fan_in) * float(lr_multiplier)


class _Equalized(keras.layers.Layer):
    """Shared arguments, weights and config of the equalized layers."""

    def __init__(self, gain=math.sqrt(2.0), lr_multiplier=1.0, use_bias=True, bias_init=0.0,
                 activation=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.gain = check_number(owner, "gain", gain)
        self.lr_multiplier = check_number(owner, "lr_multiplier", lr_multiplier)
        self.use_bias = check_bool(owner, "use_bias", use_bias)
        self.bias_init = check_number(owner, "bias_init", bias_init, positive=False)
        self.activation = keras.activations.get(activation)
        self.fan_in = None

    def _add_kernel_and_bias(self, kernel_shape, fan_in, units):
        self.fan_in = int(fan_in)
        self.kernel = self.add_weight(
            name="kernel", shape=kernel_shape,
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(units,),
                initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))

    @property
    def kernel_scale(self):
        """The run-time multiplier of the stored kernel, gain / sqrt(fan_in) * lr_multiplier."""
        if self.fan_in is None:
            raise ValueError(f"{self.name} is not built yet: its fan-in is unknown.")
        return he_scale(self.fan_in, self.gain, self.lr_multiplier)

    def scaled_kernel(self):
        """The effective kernel (stored kernel times `kernel_scale`), in the compute dtype
        when called inside `call`."""
        return self.kernel * self.kernel_scale

    def _finish(self, outputs):
        if self.use_bias:
            outputs = outputs + self.bias * self.lr_multiplier
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def get_config(self):
        return {
            **super().get_config(),
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "use_bias": self.use_bias,
            "bias_init": self.bias_init,
            "activation": keras.activations.serialize(self.activation)
            if self.activation is not None else None,
        }


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class EqualizedDense(_Equalized):
    """A dense layer with an equalized learning rate (and an optional lr multiplier).

    Computes `activation(x @ (W * c) + b * lr_multiplier)` with W ~ N(0, 1/lr_multiplier)
    stored and c = gain / sqrt(fan_in) * lr_multiplier (see the module docstring).

    Args:
        units: output features.
        gain: the He gain in c; sqrt(2) (ProGAN / StyleGAN hidden layers) by default,
            1 for output layers and for StyleGAN2's convention.
        lr_multiplier: learning-rate multiplier (0.01 in StyleGAN's mapping network).
        use_bias: add a bias.
        bias_init: effective initial value of the bias (1 for a style scale).
        activation: a Keras activation applied last, or None.

    Input: (..., features). Output: (..., units).

    Example:
        >>> w = z
        >>> for _ in range(8):   # StyleGAN's mapping network
        ...     w = EqualizedDense(512, lr_multiplier=0.01, activation="leaky_relu")(w)

    Reference:
        Karras et al., Progressive Growing of GANs, arXiv:1710.10196, section 4.1;
        Karras et al., A Style-Based Generator Architecture for GANs, arXiv:1812.04948,
        appendix C (lr_multiplier).
    """

    def __init__(self, units, gain=math.sqrt(2.0), lr_multiplier=1.0, use_bias=True,
                 bias_init=0.0, activation=None, **kwargs):
        super().__init__(gain=gain, lr_multiplier=lr_multiplier, use_bias=use_bias,
                         bias_init=bias_init, activation=activation, **kwargs)
        self.units = check_int("EqualizedDense", "units", units)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError("EqualizedDense expects inputs of shape (..., features) with a "
                             f"known number of features; got shape {tuple(input_shape)}.")
        fan_in = int(input_shape[-1])
        self._add_kernel_and_bias((fan_in, self.units), fan_in, self.units)

    def call(self, inputs):
        return self._finish(keras.ops.matmul(inputs, self.scaled_kernel()))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class _EqualizedConv(_Equalized):
    """Arguments shared by the two equalized convolutions."""

    def __init__(self, filters, kernel_size, strides, padding, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.filters = check_int(owner, "filters", filters)
        self.kernel_size = kernel_pair(owner, "kernel_size", kernel_size)
        self.strides = kernel_pair(owner, "strides", strides)
        self.padding = check_choice(owner, "padding", padding, ("same", "valid"))

    def _channels(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} expects images (batch, height, width, "
                             f"channels) with known channels; got shape {tuple(input_shape)}.")
        return int(input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class EqualizedConv2D(_EqualizedConv):
    """A 2-D convolution with an equalized learning rate.

    Equal to `keras.layers.Conv2D` with kernel `W * c` and bias `b * lr_multiplier`,
    c = gain / sqrt(kh * kw * in_channels) * lr_multiplier; W ~ N(0, 1/lr_multiplier).
    Fused up/down-sampling is not built in: put `Upsample2D` before it, or `Blur2D` and
    `strides=2, padding="valid"` (StyleGAN2's down-sampling convolution).

    Args:
        filters: output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw).
        padding: "same" or "valid".
        gain, lr_multiplier, use_bias, bias_init, activation: as in `EqualizedDense`.

    Example:
        >>> x = EqualizedConv2D(128, 3, activation="leaky_relu")(x)
        >>> rgb = EqualizedConv2D(3, 1, gain=1.0)(x)    # ProGAN's toRGB

    Reference:
        Karras et al., Progressive Growing of GANs, arXiv:1710.10196, section 4.1.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="same", gain=math.sqrt(2.0),
                 lr_multiplier=1.0, use_bias=True, bias_init=0.0, activation=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, gain=gain,
                         lr_multiplier=lr_multiplier, use_bias=use_bias, bias_init=bias_init,
                         activation=activation, **kwargs)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        kh, kw = self.kernel_size
        self._add_kernel_and_bias((kh, kw, channels, self.filters), kh * kw * channels,
                                  self.filters)

    def call(self, inputs):
        outputs = keras.ops.conv(inputs, self.scaled_kernel(), strides=self.strides,
                                 padding=self.padding)
        return self._finish(outputs)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class EqualizedConv2DTranspose(_EqualizedConv):
    """A transposed 2-D convolution with an equalized learning rate (DCGAN-style
    up-sampling; ProGAN's `upscale2d_conv2d` for large resolutions).

    Equal to `keras.layers.Conv2DTranspose` with kernel `W * c`, W stored in Keras's
    layout (kh, kw, filters, in_channels). The fan-in is kh * kw * in_channels, as
    ProGAN computes it for its transposed convolution.

    Args:
        filters: output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw); 2 by default.
        padding: "same" (output = input * strides) or "valid".
        gain, lr_multiplier, use_bias, bias_init, activation: as in `EqualizedDense`.

    Example:
        >>> x = EqualizedConv2DTranspose(64, 4, strides=2)(x)   # 8x8 -> 16x16

    Reference:
        Karras et al., Progressive Growing of GANs, arXiv:1710.10196, section 4.1.
    """

    def __init__(self, filters, kernel_size, strides=2, padding="same", gain=math.sqrt(2.0),
                 lr_multiplier=1.0, use_bias=True, bias_init=0.0, activation=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, gain=gain,
                         lr_multiplier=lr_multiplier, use_bias=use_bias, bias_init=bias_init,
                         activation=activation, **kwargs)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        kh, kw = self.kernel_size
        self._add_kernel_and_bias((kh, kw, self.filters, channels), kh * kw * channels,
                                  self.filters)

    def call(self, inputs):
        outputs = keras.ops.conv_transpose(inputs, self.scaled_kernel(), strides=self.strides,
                                           padding=self.padding)
        return self._finish(outputs)
