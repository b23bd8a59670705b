"""PixelCNN (van den Oord, Kalchbrenner & Kavukcuoglu 2016).

A stack of masked convolutions that keeps the image's resolution: a 7x7 mask-A
convolution, residual blocks (ReLU, 1x1 conv to h, ReLU, 3x3 mask-B conv, ReLU,
1x1 conv back to 2h, plus the block's input; PixelRNN paper, figure 5 and table 1),
then two ReLU + 1x1 mask-B layers to the logits of every sub-pixel. Training
computes all conditionals in one pass; sampling runs the network once per sub-pixel
(`AutoregressiveModel`).

The masked 3x3 stack leaves a "blind spot" above-right of each pixel that no depth
removes (van den Oord et al. 2016b, figure 1); `gated_pixelcnn` fixes it.
"""

import keras

from keras_gan_zoo.layers.masked_conv import MaskedConv2D
from keras_gan_zoo.models.autoregressive.base import AutoregressiveModel
from keras_gan_zoo.registry import register_model


def pixelcnn_network(image_shape, groups, units, filters=128, num_layers=7, kernel_size=3,
                     first_kernel_size=7, output_filters=256):
    """The PixelCNN network: images (B, H, W, C) -> logits (B, H, W, groups * units).

    Args:
        image_shape: (H, W, C) of the network input.
        groups: sub-pixels per pixel modelled in order (channel masking).
        units: logits per sub-pixel.
        filters: 2h, the residual stream's width (h inside each block).
        num_layers: residual blocks.
        kernel_size: the blocks' masked convolution size.
        first_kernel_size: the first (mask A) convolution size.
        output_filters: width of the hidden 1x1 output layer.
    """
    if filters % 2 or filters // 2 < groups:
        raise ValueError(f"filters must be even and >= 2 * {groups}; got {filters}.")
    # Any height: sampling runs the network on the band of rows a pixel depends on.
    inputs = keras.Input((None, *image_shape[1:]), name="pixels")
    x = MaskedConv2D(filters, first_kernel_size, "A", groups, name="conv_a")(inputs)
    for i in range(num_layers):
        y = keras.layers.ReLU()(x)
        y = MaskedConv2D(filters // 2, 1, "B", groups, name=f"block{i}_in")(y)
        y = keras.layers.ReLU()(y)
        y = MaskedConv2D(filters // 2, kernel_size, "B", groups, name=f"block{i}_conv")(y)
        y = keras.layers.ReLU()(y)
        y = MaskedConv2D(filters, 1, "B", groups, name=f"block{i}_out")(y)
        x = keras.layers.Add(name=f"block{i}_residual")([x, y])
    x = keras.layers.ReLU()(x)
    x = MaskedConv2D(output_filters, 1, "B", groups, name="output_hidden")(x)
    x = keras.layers.ReLU()(x)
    logits = MaskedConv2D(groups * units, 1, "B", groups, dtype="float32", name="logits")(x)
    return keras.Model(inputs, logits, name="pixelcnn")


@register_model(
    "pixelcnn",
    tiny=dict(image_shape=(8, 8, 1), filters=8, num_layers=1, output_filters=8,
              first_kernel_size=5),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class PixelCNN(AutoregressiveModel):
    """PixelCNN: masked convolutions, one softmax (or sigmoid) per sub-pixel.

    Args:
        image_shape: (height, width, channels).
        output: "categorical" (256-way softmax per channel, R -> G -> B within a
            pixel), "bernoulli" (binarised images) or "palette" (1-of-K colours).
        filters: 2h, the width of the residual stream (paper: h = 128 on CIFAR-10).
        num_layers: residual blocks of 3x3 mask-B convolutions (paper: 15).
        kernel_size: size of the blocks' masked convolutions (paper: 3).
        first_kernel_size: size of the first, mask-A convolution (paper: 7).
        output_filters: width of the hidden 1x1 layer before the logits (paper: 1024
            for 256-way outputs).
        palette, palette_size, seed: see `AutoregressiveModel`.
        **kwargs: `keras.Model` arguments (`name`).

    The defaults (2h = 128, 7 blocks, 256 output features) are a CPU-sized model;
    the paper's CIFAR-10 network is `filters=256, num_layers=15, output_filters=1024`.

    Example:
        >>> model = kgz.create_model("pixelcnn", image_shape=(28, 28, 1), output="bernoulli")
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("mnist", batch_size=16), epochs=10)
        >>> samples = model.generate(16, seed=0)
        >>> halves = model.complete(test_images, visible_rows=14, seed=0)

    Reference:
        van den Oord, Kalchbrenner & Kavukcuoglu, Pixel Recurrent Neural Networks,
        arXiv:1601.06759 (PixelCNN: section 3.5).
    """

    def __init__(self, image_shape=(32, 32, 3), output="categorical", filters=128,
                 num_layers=7, kernel_size=3, first_kernel_size=7, output_filters=256,
                 palette=None, palette_size=16, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, output=output, palette=palette,
                         palette_size=palette_size, seed=seed, **kwargs)
        self.filters = int(filters)
        self.num_layers = int(num_layers)
        self.kernel_size = int(kernel_size)
        self.first_kernel_size = int(first_kernel_size)
        self.output_filters = int(output_filters)
        self.network = pixelcnn_network(
            self.image_shape, self.groups, self.units, self.filters, self.num_layers,
            self.kernel_size, self.first_kernel_size, self.output_filters)
        self.built = True

    @property
    def receptive_rows(self):
        """Rows above a pixel in its context: the mask-A layer's, then one per block."""
        return self.first_kernel_size // 2 + self.num_layers * (self.kernel_size // 2)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "num_layers": self.num_layers,
                "kernel_size": self.kernel_size, "first_kernel_size": self.first_kernel_size,
                "output_filters": self.output_filters}
