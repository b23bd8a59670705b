"""Gated PixelCNN (van den Oord et al. 2016b, "Conditional Image Generation with
PixelCNN Decoders").

Two stacks replace PixelCNN's masked 3x3 convolutions, which leave a blind spot:

- the VERTICAL stack sees every pixel of the rows above: an (n//2 + 1) x n
  convolution over the current and earlier rows. Its features at row r hold rows
  <= r, so they enter the horizontal stack shifted down by one row (rows < r);
- the HORIZONTAL stack sees the pixels to the left in the current row: a 1 x n
  masked convolution (mask A in the first layer, B later, channel-masked for RGB),
  plus a 1x1 convolution of the shifted vertical features, then a 1x1 convolution
  and a residual connection.

Both stacks use gated units y = tanh(W_f * x + V_f h) * sigmoid(W_g * x + V_g h),
where h is an optional one-hot class (`num_classes`): V h is a learned per-class
bias of every gate (the paper's class-conditional PixelCNN). The output is the
horizontal stack through ReLU + 1x1 masked layers, as in PixelCNN.
"""

import keras

from keras_gan_zoo.layers.masked_conv import MaskedConv2D, ShiftDown
from keras_gan_zoo.models.autoregressive.base import AutoregressiveModel
from keras_gan_zoo.registry import register_model


def _gate(x):
    """tanh(first half) * sigmoid(second half) of the channels (a split, not a slice:
    slice gradients are slow on CPU)."""
    f, g = keras.ops.split(x, 2, axis=-1)
    return keras.ops.tanh(f) * keras.ops.sigmoid(g)


def _class_bias(labels, num_classes, width, name):
    """V h for a one-hot class h: a per-class vector, broadcast over the image."""
    bias = keras.layers.Embedding(num_classes, width, name=name)(labels)
    return keras.layers.Reshape((1, 1, width))(bias)


def gated_pixelcnn_network(image_shape, groups, units, filters=64, num_layers=10,
                           kernel_size=3, first_kernel_size=7, output_filters=256,
                           num_classes=None):
    """The Gated PixelCNN: images [, labels] -> logits (B, H, W, groups * units).

    Args:
        image_shape: (H, W, C) of the network input.
        groups, units: sub-pixels per pixel (channel masking) and logits per sub-pixel.
        filters: p, the feature maps of each stack.
        num_layers: gated layers.
        kernel_size, first_kernel_size: n of the later layers and of the first.
        output_filters: width of the hidden 1x1 output layer.
        num_classes: adds an int label input and per-class gate biases.
    """
    if filters < groups:
        raise ValueError(f"filters must be >= {groups} (one per channel group); got {filters}.")
    for n in (kernel_size, first_kernel_size):
        if n % 2 == 0:
            raise ValueError(f"kernel sizes must be odd; got {n}.")
    # Any height: sampling runs the network on the band of rows a pixel depends on.
    images = keras.Input((None, *image_shape[1:]), name="pixels")
    inputs = [images]
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
    v = h = images
    for i in range(num_layers):
        n = first_kernel_size if i == 0 else kernel_size
        # Vertical: rows r - n//2 .. r, columns c - n//2 .. c + n//2.
        v_pre = keras.layers.ZeroPadding2D(((n // 2, 0), (n // 2, n // 2)))(v)
        v_pre = keras.layers.Conv2D(2 * filters, (n // 2 + 1, n), name=f"v{i}_conv")(v_pre)
        # Vertical -> horizontal, shifted down one row so row r sees rows < r only.
        link = keras.layers.Conv2D(2 * filters, 1, name=f"v{i}_to_h")(ShiftDown()(v_pre))
        # Horizontal: the pixels to the left (and earlier channels), masked.
        h_pre = MaskedConv2D(2 * filters, (1, n), "A" if i == 0 else "B", groups,
                             output_blocks=2, name=f"h{i}_conv")(h)
        h_pre = h_pre + link
        if num_classes is not None:
            v_pre = v_pre + _class_bias(labels, num_classes, 2 * filters, f"v{i}_class")
            h_pre = h_pre + _class_bias(labels, num_classes, 2 * filters, f"h{i}_class")
        v = _gate(v_pre)
        h_out = MaskedConv2D(filters, 1, "B", groups, name=f"h{i}_out")(_gate(h_pre))
        h = h_out if i == 0 else h + h_out  # residual in the horizontal stack
    x = keras.layers.ReLU()(h)
    x = MaskedConv2D(output_filters, 1, "B", groups, name="output_hidden")(x)
    x = keras.layers.ReLU()(x)
    logits = MaskedConv2D(groups * units, 1, "B", groups, dtype="float32", name="logits")(x)
    return keras.Model(inputs, logits, name="gated_pixelcnn")


@register_model(
    "gated_pixelcnn",
    tiny=dict(image_shape=(8, 8, 1), filters=4, num_layers=2, output_filters=8, num_classes=3),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class GatedPixelCNN(AutoregressiveModel):
    """Gated PixelCNN: vertical + horizontal stacks (no blind spot), gated units.

    Args:
        image_shape: (height, width, channels).
        output: "categorical" (256-way softmax per channel), "bernoulli" or "palette".
        filters: p, feature maps per stack (paper: 384 on ImageNet/CIFAR-10).
        num_layers: gated layers (paper: 20).
        kernel_size: n of the stacks' convolutions after the first layer.
        first_kernel_size: n of the first layer (7, as PixelCNN's mask-A layer).
        output_filters: width of the hidden 1x1 output layer.
        num_classes: `None`, or the number of classes to condition on
            (`generate(n, labels=...)`; batches are (images, labels)).
        palette, palette_size, seed: see `AutoregressiveModel`.
        **kwargs: `keras.Model` arguments (`name`).

    Example:
        >>> model = kgz.create_model("gated_pixelcnn", image_shape=(28, 28, 1),
        ...                          output="bernoulli", num_classes=10)
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("mnist", batch_size=16, with_labels=True))
        >>> sevens = model.generate(8, seed=0, labels=7)

    Reference:
        van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves & Kavukcuoglu,
        Conditional Image Generation with PixelCNN Decoders, arXiv:1606.05328.
    """

    def __init__(self, image_shape=(32, 32, 3), output="categorical", filters=64,
                 num_layers=10, kernel_size=3, first_kernel_size=7, output_filters=256,
                 num_classes=None, palette=None, palette_size=16, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, output=output, palette=palette,
                         palette_size=palette_size, num_classes=num_classes, seed=seed,
                         **kwargs)
        self.filters = int(filters)
        self.num_layers = int(num_layers)
        self.kernel_size = int(kernel_size)
        self.first_kernel_size = int(first_kernel_size)
        self.output_filters = int(output_filters)
        self.network = gated_pixelcnn_network(
            self.image_shape, self.groups, self.units, self.filters, self.num_layers,
            self.kernel_size, self.first_kernel_size, self.output_filters, self.num_classes)
        self.built = True

    @property
    def receptive_rows(self):
        """Rows above a pixel in its context: the vertical stack's reach, plus the shift."""
        return self.first_kernel_size // 2 + (self.num_layers - 1) * (self.kernel_size // 2) + 1

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "num_layers": self.num_layers,
                "kernel_size": self.kernel_size, "first_kernel_size": self.first_kernel_size,
                "output_filters": self.output_filters, "num_classes": self.num_classes}
