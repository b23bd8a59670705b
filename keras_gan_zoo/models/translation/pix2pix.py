"""pix2pix: paired image-to-image translation with a conditional GAN.

Isola, Zhu, Zhou, Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks", arXiv:1611.07004.

- generator: a U-Net (encoder C64-C128-C256-C512-..., decoder with skip connections
  to the mirrored encoder layer), 4x4 convolutions of stride 2, batch norm (not on
  the first encoder layer nor the bottleneck), LeakyReLU 0.2 down, ReLU up, dropout
  0.5 on the first three decoder layers (the paper's only noise), tanh output. The
  encoder goes down to 1x1 as in the paper: an input whose side is not a power of two
  is padded (reflect) to one and the output cropped back, so 28x28 Fashion-MNIST
  runs through a 32x32 U-Net;
- discriminator: a PatchGAN on the (source, target) pair concatenated on channels,
  C64-C128-C256-C512 with a 1-channel map of per-patch logits. Its depth scales with
  the image: 3 strided layers (70x70 patches, the paper's) from 128 px, 2 (34x34)
  from 64 px, 1 (16x16) below;
- objective: the GAN loss on (source, translation) plus `l1_weight` (100) x L1 to the
  target; D's loss halved (as in the authors' code); Adam(2e-4, beta_1=0.5) for both.
"""

import math

import keras
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.blocks import check_norm, dcgan_init, norm_layer, pad_to_multiple
from keras_gan_zoo.models.translation.base import SameSizeTranslationModel
from keras_gan_zoo.registry import register_model

MAX_FILTER_MULTIPLIER = 8  # C512 for base_filters=64, as in the paper


def _filters(base_filters, level):
    return base_filters * min(2**level, MAX_FILTER_MULTIPLIER)


def unet_depth(image_shape):
    """Stride-2 levels that take the shorter side (padded to a power of two) to 1."""
    return max(1, math.ceil(math.log2(min(image_shape[:2]))))


def patch_receptive_field(num_layers):
    """Receptive field (pixels) of a PatchGAN with `num_layers` strided layers."""
    field = 1
    for stride in reversed([2] * num_layers + [1, 1]):  # + the two stride-1 convs
        field = (field - 1) * stride + 4
    return field


def default_patch_layers(image_shape):
    """The PatchGAN depth for an image size: 70x70 patches from 128 px (the paper's
    at 256), 34x34 from 64 px, 16x16 below."""
    side = min(image_shape[:2])
    return 3 if side >= 128 else 2 if side >= 64 else 1


def unet_generator(image_shape, output_channels=None, base_filters=64, dropout=0.5,
                   dropout_layers=3, norm="batch", name="generator"):
    """The pix2pix U-Net: (B, H, W, C) in [-1, 1] -> (B, H, W, output_channels) in [-1, 1].

    Args:
        image_shape: (height, width, channels) of the input.
        output_channels: channels of the output; default the input's.
        base_filters: filters of the first layer (64 in the paper).
        dropout: dropout rate of the first `dropout_layers` decoder layers (0 = none).
        dropout_layers: how many decoder layers (from the bottleneck) drop out.
        norm: `"batch"` (pix2pix, synchronized across replicas) or `"instance"`
            (BiCycleGAN's default).
    """
    check_norm(norm)
    output_channels = output_channels or image_shape[-1]
    depth = unet_depth(image_shape)
    inputs = keras.Input(image_shape, name="source")
    h, crop = pad_to_multiple(inputs, image_shape, 2**depth)
    conv = dict(kernel_size=4, strides=2, padding="same", kernel_initializer=dcgan_init())
    skips = []
    for level in range(depth):
        if level > 0:
            h = keras.layers.LeakyReLU(0.2, name=f"down{level}_act")(h)
        h = keras.layers.Conv2D(_filters(base_filters, level), use_bias=level in (0, depth - 1),
                                name=f"down{level}", **conv)(h)
        if 0 < level < depth - 1:
            h = norm_layer(norm, f"down{level}_bn")(h)
        skips.append(h)
    for step, level in enumerate(range(depth - 2, -1, -1)):
        h = keras.layers.ReLU(name=f"up{level}_act")(h)
        h = keras.layers.Conv2DTranspose(_filters(base_filters, level), use_bias=False,
                                         name=f"up{level}", **conv)(h)
        h = norm_layer(norm, f"up{level}_bn")(h)
        if dropout and step < dropout_layers:
            h = keras.layers.Dropout(dropout, name=f"up{level}_dropout")(h)
        h = keras.layers.Concatenate(name=f"skip{level}")([h, skips[level]])
    h = keras.layers.ReLU(name="out_act")(h)
    h = keras.layers.Conv2DTranspose(output_channels, name="out", **conv)(h)
    outputs = crop(keras.layers.Activation("tanh", dtype="float32", name="tanh")(h))
    return keras.Model(inputs, outputs, name=name)


def patch_discriminator(image_shape, conditioning_channels=0, base_filters=64,
                        num_layers=3, norm="batch", name="discriminator"):
    """A PatchGAN: per-patch real/fake logits (B, H', W', 1), float32.

    Args:
        image_shape: shape of the judged images (the target domain).
        conditioning_channels: channels of a conditioning image concatenated to the
            input (pix2pix: the source); 0 for an unconditional D (CycleGAN).
        base_filters: filters of the first layer (64).
        num_layers: strided layers; the patch is `patch_receptive_field(num_layers)`
            pixels (3: 70x70).
        norm: `"batch"` (pix2pix, synchronized across replicas) or `"instance"`
            (CycleGAN). A convolution followed by a norm has no bias (the norm
            cancels it).
    """
    check_norm(norm)
    channels = image_shape[-1] + conditioning_channels
    inputs = keras.Input((*image_shape[:2], channels), name="pair")
    conv = dict(kernel_size=4, padding="same", kernel_initializer=dcgan_init())
    h = keras.layers.Conv2D(base_filters, strides=2, name="conv0", **conv)(inputs)
    h = keras.layers.LeakyReLU(0.2, name="conv0_act")(h)
    for level in range(1, num_layers + 1):
        stride = 2 if level < num_layers else 1
        h = keras.layers.Conv2D(_filters(base_filters, level), strides=stride, use_bias=False,
                                name=f"conv{level}", **conv)(h)
        h = norm_layer(norm, f"conv{level}_norm")(h)
        h = keras.layers.LeakyReLU(0.2, name=f"conv{level}_act")(h)
    logits = keras.layers.Conv2D(1, strides=1, dtype="float32", name="patch_logits", **conv)(h)
    return keras.Model(inputs, logits, name=name)


@register_model("pix2pix", tiny=dict(image_shape=(16, 16, 1), base_filters=4, dropout=0.0))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class Pix2Pix(SameSizeTranslationModel):
    """pix2pix (Isola et al. 2017): a U-Net translator trained with a conditional
    PatchGAN and an L1 loss on paired (source, target) images.

    Args:
        image_shape: (height, width, channels) of the source images.
        target_channels: channels of the target images; default the source's.
        base_filters: filters of the first layer of both networks (64).
        patch_layers: strided layers of the PatchGAN; default by image size
            (`default_patch_layers`: 3 = 70x70 patches from 128 px).
        l1_weight: weight of the L1 term (lambda = 100).
        dropout: dropout of the first three decoder layers (0.5); 0 turns it off.
        domain_names: human names of the source and target domains.
        seed: integer seed; `None` draws one.

    Example:
        >>> model = kgz.create_model("pix2pix", image_shape=(28, 28, 1),
        ...                          domain_names=("edges", "fashion"))
        >>> model.compile()                                  # Adam(2e-4, 0.5) for both
        >>> model.fit(kgz.datasets.load("fashion_mnist_edges", batch_size=16), epochs=10)
        >>> clothes = model.translate(edges)

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017, arXiv:1611.07004.
    """

    optimizer_networks = {"generator_optimizer": ("generator",),
                          "discriminator_optimizer": ("discriminator",)}

    def __init__(self, image_shape=(256, 256, 3), target_channels=None, base_filters=64,
                 patch_layers=None, l1_weight=100.0, dropout=0.5, domain_names=None,
                 seed=None, **kwargs):
        super().__init__(image_shape=image_shape, target_channels=target_channels,
                         domain_names=domain_names, seed=seed, **kwargs)
        if isinstance(base_filters, bool) or not isinstance(base_filters, int) or base_filters < 1:
            raise ValueError(f"base_filters must be a positive int; got {base_filters!r}.")
        if patch_layers is None:
            patch_layers = default_patch_layers(self.image_shape)
        if isinstance(patch_layers, bool) or not isinstance(patch_layers, int) or not (
                1 <= patch_layers <= 5):
            raise ValueError(f"patch_layers must be an int in [1, 5]; got {patch_layers!r}.")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
        if float(l1_weight) < 0:
            raise ValueError(f"l1_weight must be >= 0; got {l1_weight!r}.")
        self.base_filters = base_filters
        self.patch_layers = patch_layers
        self.l1_weight = float(l1_weight)
        self.dropout = float(dropout)
        self.generator = unet_generator(self.image_shape, self.target_channels, base_filters,
                                        self.dropout)
        self.discriminator = patch_discriminator(self.target_shape, self.image_shape[-1],
                                                 base_filters, patch_layers)
        for name in ("d_loss", "g_loss", "g_gan", "l1"):
            self.add_tracker(name)
        self.built = True

    @property
    def patch_size(self):
        """The receptive field of one PatchGAN logit, in pixels."""
        return patch_receptive_field(self.patch_layers)

    def translator(self, direction):
        return self.generator

    def default_optimizers(self):
        return {arg: keras.optimizers.Adam(2e-4, beta_1=0.5) for arg in self.optimizer_networks}

    def call(self, source, training=False):
        return self.generator(source, training=training)

    def judge(self, source, images, training=False):
        """PatchGAN logits (B, H', W', 1) of `images` as translations of `source`."""
        return self.discriminator(keras.ops.concatenate([source, images], axis=-1),
                                  training=training)

    def train_step(self, data):
        source, target, n = self.training_images(data)
        with tf.GradientTape() as g_tape:
            fake = self.generator(source, training=True)
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                real_logits = self.judge(source, target, training=True)
                fake_logits = self.judge(source, tf.stop_gradient(fake), training=True)
                d_loss = 0.5 * losses.nonsaturating_d_loss(real_logits, fake_logits)
            d_applied = self.minimize(d_tape, {"discriminator_optimizer": d_loss},
                                      n)["discriminator_optimizer"]
            g_gan = losses.nonsaturating_g_loss(self.judge(source, fake, training=True))
            l1 = losses.l1_distance(fake, target)
            g_loss = g_gan + self.l1_weight * l1
        # A generator step computed against a discriminator that overflowed is skipped.
        self.minimize(g_tape, {"generator_optimizer": g_loss}, n, apply_when=d_applied)
        return self.finish_step({"d_loss": d_loss, "g_loss": g_loss, "g_gan": g_gan, "l1": l1})

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "patch_layers": self.patch_layers, "l1_weight": self.l1_weight,
                "dropout": self.dropout}
