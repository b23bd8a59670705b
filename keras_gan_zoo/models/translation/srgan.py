"""SRResNet and SRGAN: single-image super-resolution.

Ledig, Theis, Huszar, Caballero, Cunningham, Acosta, Aitken, Tejani, Totz, Wang,
Shi 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative
Adversarial Network", CVPR 2017, arXiv:1609.04802.

- generator (SRResNet): k9n64 conv + PReLU, `num_blocks` (16) residual blocks
  [k3n64, BN, PReLU, k3n64, BN, +], k3n64 + BN added to the first conv's output,
  log2(scale) sub-pixel upsampling blocks [k3n256, PixelShuffle x2, PReLU], k9 conv
  to the image channels, tanh;
- `srresnet`: the generator trained alone on the pixel MSE, Adam(1e-4, 0.9): the
  paper's SRResNet and its initialization of SRGAN;
- `srgan`: that generator against a discriminator (k3n64 LReLU, then seven k3 conv +
  BN + LReLU with 64-64-128-128-256-256-512-512 filters, strides 2 on every second,
  Dense 1024, LReLU 0.2, Dense 1), with the perceptual loss: a content loss in a
  feature network plus 1e-3 x the non-saturating adversarial loss. Adam(beta_1 0.9)
  at 1e-4 for 1e5 updates and 1e-5 after;
- the content network is pluggable: `"vgg19"` (the paper's VGG54, needs Keras's
  ImageNet weights), `"fashion_mnist"` / `"mnist"` (the shipped domain classifiers'
  last convolutional block, offline), or `None` (pixel MSE: the paper's SRGAN-MSE).
"""

import math

import keras
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.layers import PixelShuffle
from keras_gan_zoo.models.base import Unsaved
from keras_gan_zoo.models.blocks import dcgan_batch_norm
from keras_gan_zoo.models.translation.base import TranslationModel, check_int, check_non_negative
from keras_gan_zoo.registry import register_model

SCALES = (2, 4, 8)
VGG_FEATURE_SCALE = 1 / 12.75  # the paper's rescaling of the VGG feature maps
CONTENT_NETWORKS = ("vgg19", "fashion_mnist", "mnist", None)


def _prelu(name):
    return keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25),
                              shared_axes=[1, 2], name=name)


def srresnet_generator(image_shape, scale=4, base_filters=64, num_blocks=16,
                       name="generator"):
    """SRGAN's generator: low-resolution (B, h, w, C) in [-1, 1] -> (B, h s, w s, C).

    Args:
        image_shape: (h, w, channels) of the low-resolution input.
        scale: upscaling factor, 2, 4 or 8 (one sub-pixel block per factor of 2).
        base_filters: filters of the residual trunk (64).
        num_blocks: residual blocks (16).
    """
    inputs = keras.Input(image_shape, name="low_resolution")
    h = keras.layers.Conv2D(base_filters, 9, padding="same", name="head")(inputs)
    h = head = _prelu("head_act")(h)
    for i in range(num_blocks):
        r = keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False,
                                name=f"res{i}a")(h)
        r = _prelu(f"res{i}a_act")(dcgan_batch_norm(f"res{i}a_bn")(r))
        r = keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False,
                                name=f"res{i}b")(r)
        h = keras.layers.Add(name=f"res{i}_add")([h, dcgan_batch_norm(f"res{i}b_bn")(r)])
    h = keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False, name="trunk")(h)
    h = keras.layers.Add(name="trunk_add")([head, dcgan_batch_norm("trunk_bn")(h)])
    for i in range(int(math.log2(scale))):
        h = keras.layers.Conv2D(base_filters * 4, 3, padding="same", name=f"up{i}")(h)
        h = _prelu(f"up{i}_act")(PixelShuffle(2, name=f"up{i}_shuffle")(h))
    h = keras.layers.Conv2D(image_shape[-1], 9, padding="same", name="out")(h)
    outputs = keras.layers.Activation("tanh", dtype="float32", name="tanh")(h)
    return keras.Model(inputs, outputs, name=name)


def srgan_discriminator(image_shape, base_filters=64, dense_units=1024,
                        name="discriminator"):
    """SRGAN's discriminator: high-resolution images -> one float32 logit each."""
    inputs = keras.Input(image_shape, name="images")
    h = keras.layers.Conv2D(base_filters, 3, padding="same", name="conv0")(inputs)
    h = keras.layers.LeakyReLU(0.2, name="conv0_act")(h)
    for i in range(1, 8):
        filters = base_filters * 2 ** (i // 2)
        h = keras.layers.Conv2D(filters, 3, strides=1 + i % 2, padding="same", use_bias=False,
                                name=f"conv{i}")(h)
        h = keras.layers.LeakyReLU(0.2, name=f"conv{i}_act")(dcgan_batch_norm(f"conv{i}_bn")(h))
    h = keras.layers.Flatten(name="flatten")(h)
    h = keras.layers.LeakyReLU(0.2, name="dense_act")(
        keras.layers.Dense(dense_units, name="dense")(h))
    logits = keras.layers.Dense(1, dtype="float32", name="logits")(h)
    return keras.Model(inputs, logits, name=name)


def build_content_network(name, image_shape):
    """A frozen feature network for the content loss: images in [-1, 1] of
    `image_shape` -> feature maps, and the paper's rescaling of them.

    Args:
        name: `"vgg19"` (block5_conv4 of ImageNet VGG19, the paper's VGG54; the weights
            must be in Keras's cache or downloadable), `"fashion_mnist"` / `"mnist"`
            (relu4, the last convolutional block of the shipped domain classifier;
            images converted to 28x28 gray).
        image_shape: (height, width, channels) of the high-resolution images.

    Returns:
        `(network, scale)`; the network's weights are not trainable.
    """
    inputs = keras.Input(image_shape, name="images")
    if name == "vgg19":
        try:
            vgg = keras.applications.VGG19(include_top=False, weights="imagenet",
                                           input_shape=(*image_shape[:2], 3))
        except Exception as error:  # no network and no cached file
            raise ValueError(
                "content_network='vgg19' needs Keras's ImageNet VGG19 weights "
                "(vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 in ~/.keras/models/), "
                f"which could not be loaded ({type(error).__name__}: {error}); use "
                "content_network='fashion_mnist' or None offline.") from error
        rgb = inputs if image_shape[-1] == 3 else keras.layers.Concatenate(name="to_rgb")(
            [inputs] * 3)
        pixels = keras.layers.Rescaling(127.5, offset=127.5, name="to_255")(rgb)
        bgr = keras.layers.Lambda(keras.applications.vgg19.preprocess_input,
                                  name="vgg_preprocess")(pixels)
        features = keras.Model(vgg.inputs, vgg.get_layer("block5_conv4").output)(bgr)
        scale = VGG_FEATURE_SCALE
    else:
        from keras_gan_zoo.metrics.domain import load_domain_classifier

        classifier = load_domain_classifier(name)
        h = inputs
        if image_shape[-1] == 3:
            h = keras.layers.Lambda(lambda x: tf.image.rgb_to_grayscale(x), name="gray")(h)
        if tuple(image_shape[:2]) != (28, 28):
            h = keras.layers.Resizing(28, 28, interpolation="bilinear", name="resize")(h)
        trunk = keras.Model(classifier.inputs, classifier.get_layer("relu4").output,
                            name=f"{name}_relu4")
        features = trunk(h)
        scale = 1.0
    network = keras.Model(inputs, features, name="content_network")
    network.trainable = False
    return network, scale


class _SuperResolution(TranslationModel):
    """Shapes, checks and config shared by SRResNet and SRGAN: `image_shape` is the
    low-resolution input, `target_shape` the x`scale` output."""

    def __init__(self, image_shape=(24, 24, 3), scale=4, base_filters=64, num_blocks=16,
                 domain_names=None, seed=None, **kwargs):
        image_shape = tuple(image_shape)
        if scale not in SCALES or isinstance(scale, bool):
            raise ValueError(f"scale must be one of {SCALES}; got {scale!r}.")
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels) of the "
                             f"low-resolution images; got {image_shape!r}.")
        super().__init__(image_shape=image_shape,
                         target_shape=(image_shape[0] * scale, image_shape[1] * scale,
                                       image_shape[2]),
                         domain_names=domain_names or ("low_resolution", "high_resolution"),
                         seed=seed, **kwargs)
        self.scale = scale
        self.base_filters = check_int(base_filters, "base_filters")
        self.num_blocks = check_int(num_blocks, "num_blocks", minimum=0)
        self.generator = srresnet_generator(self.image_shape, scale, self.base_filters,
                                            self.num_blocks)
        self.add_tracker("psnr")

    def translator(self, direction):
        return self.generator

    def call(self, images, training=False):
        return self.generator(images, training=training)

    def batch_fields(self):
        """`(low, high)` pairs: `image_shape` inputs and their x`scale` originals."""
        return (("low", "images"), ("high", "target_images"))

    @staticmethod
    def psnr(sr, hr):
        """Mean PSNR (dB) of images in [-1, 1] (a range of 2)."""
        return tf.reduce_mean(tf.image.psnr(tf.cast(sr, "float32"), hr, max_val=2.0))

    def get_config(self):
        config = super().get_config()
        config.pop("target_shape")
        return {**config, "scale": self.scale, "base_filters": self.base_filters,
                "num_blocks": self.num_blocks}


@register_model("srresnet", tiny=dict(image_shape=(4, 4, 1), scale=4, base_filters=4,
                                      num_blocks=1))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SRResNet(_SuperResolution):
    """SRResNet (Ledig et al. 2017): the SRGAN generator trained on the pixel MSE.

    The PSNR-oriented model of the paper, SRGAN's initialization, and the baseline an
    SRGAN card compares against. Batches are `(low, high)` pairs.

    Args:
        image_shape: (h, w, channels) of the low-resolution images.
        scale: 2, 4 (the paper's) or 8.
        base_filters: filters of the residual trunk (64).
        num_blocks: residual blocks (16).
        seed: integer seed; `None` draws one.

    Example:
        >>> data = kgz.datasets.load("fashion_mnist_sr", scale=4, batch_size=16)
        >>> srresnet = kgz.create_model("srresnet", image_shape=(7, 7, 1), scale=4)
        >>> srresnet.compile()                      # Adam(1e-4, beta_1=0.9), pixel MSE
        >>> srresnet.fit(data, epochs=10)
        >>> high = srresnet.translate(low)          # (N, 28, 28, 1)

    Reference:
        Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a Generative
        Adversarial Network", CVPR 2017, arXiv:1609.04802.
    """

    optimizer_networks = {"optimizer": ("generator",)}

    def __init__(self, image_shape=(24, 24, 3), scale=4, base_filters=64, num_blocks=16,
                 domain_names=None, seed=None, **kwargs):
        super().__init__(image_shape, scale, base_filters, num_blocks, domain_names, seed,
                         **kwargs)
        self.add_tracker("mse")
        self.built = True

    def default_optimizers(self):
        return {"optimizer": keras.optimizers.Adam(1e-4, beta_1=0.9)}

    def train_step(self, data):
        low, high, n = self.training_images(data)
        with tf.GradientTape() as tape:
            sr = self.generator(low, training=True)
            mse = losses.squared_distance(sr, high)
        self.minimize(tape, {"optimizer": mse}, n)
        return self.finish_step({"mse": mse, "psnr": self.psnr(sr, high)})


@register_model("srgan", tiny=dict(image_shape=(4, 4, 1), scale=4, base_filters=4,
                                   num_blocks=1, discriminator_filters=4, dense_units=8,
                                   content_network="fashion_mnist"))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SRGAN(_SuperResolution):
    """SRGAN (Ledig et al. 2017): the SRResNet generator trained with a content loss in
    a feature network and an adversarial loss.

    Start it from a trained SRResNet (`initialize_from`), as the paper does. Batches
    are `(low, high)` pairs.

    Args:
        image_shape: (h, w, channels) of the low-resolution images.
        scale: 2, 4 (the paper's) or 8.
        base_filters: filters of the generator's residual trunk (64).
        num_blocks: residual blocks (16).
        discriminator_filters: filters of the discriminator's first layer (64).
        dense_units: units of the discriminator's hidden dense layer (1024).
        content_network: `"vgg19"` (paper), `"fashion_mnist"` / `"mnist"` (offline
            domain classifiers), or `None` (pixel MSE).
        content_scale: the feature maps' rescaling; default 1/12.75 for VGG19 (the
            paper's), 1 otherwise.
        adversarial_weight: weight of the adversarial loss (1e-3).
        seed: integer seed; `None` draws one.

    Example:
        >>> srgan = kgz.create_model("srgan", image_shape=(7, 7, 1), scale=4,
        ...                          content_network="fashion_mnist")
        >>> srgan.initialize_from(srresnet)          # the paper's initialization
        >>> srgan.compile()                          # Adam(beta_1=0.9): 1e-4, then 1e-5
        >>> srgan.fit(data, epochs=10)

    Reference:
        Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a Generative
        Adversarial Network", CVPR 2017, arXiv:1609.04802.
    """

    optimizer_networks = {"generator_optimizer": ("generator",),
                          "discriminator_optimizer": ("discriminator",)}

    def __init__(self, image_shape=(24, 24, 3), scale=4, base_filters=64, num_blocks=16,
                 discriminator_filters=64, dense_units=1024, content_network="vgg19",
                 content_scale=None, adversarial_weight=1e-3, domain_names=None, seed=None,
                 **kwargs):
        super().__init__(image_shape, scale, base_filters, num_blocks, domain_names, seed,
                         **kwargs)
        if content_network not in CONTENT_NETWORKS:
            raise ValueError(f"content_network must be one of {CONTENT_NETWORKS}; "
                             f"got {content_network!r}.")
        self.discriminator_filters = check_int(discriminator_filters, "discriminator_filters")
        self.dense_units = check_int(dense_units, "dense_units")
        self.content_network = content_network
        self.adversarial_weight = check_non_negative(adversarial_weight, "adversarial_weight")
        self.discriminator = srgan_discriminator(self.target_shape, self.discriminator_filters,
                                                 self.dense_units)
        features, default_scale = (None, 1.0) if content_network is None else (
            build_content_network(content_network, self.target_shape))
        self.content_scale = default_scale if content_scale is None else check_non_negative(
            content_scale, "content_scale")
        self._content = Unsaved(network=features)  # rebuilt from the config, not saved
        for name in ("d_loss", "g_loss", "g_gan", "content"):
            self.add_tracker(name)
        self.built = True

    def default_optimizers(self):
        """Adam(beta_1=0.9) at 1e-4 for 1e5 updates, then 1e-5 (the paper's SRGAN)."""
        return {arg: keras.optimizers.Adam(
            keras.optimizers.schedules.PiecewiseConstantDecay([100_000], [1e-4, 1e-5]),
            beta_1=0.9) for arg in self.optimizer_networks}

    def initialize_from(self, srresnet):
        """Copies the generator weights of a trained SRResNet (same sizes)."""
        if not isinstance(srresnet, _SuperResolution):
            raise TypeError(f"initialize_from takes an SRResNet (or SRGAN); got "
                            f"{type(srresnet).__name__}.")
        for key in ("image_shape", "scale", "base_filters", "num_blocks"):
            if getattr(srresnet, key) != getattr(self, key):
                raise ValueError(f"initialize_from needs the same {key}: this SRGAN has "
                                 f"{getattr(self, key)!r}, the source "
                                 f"{getattr(srresnet, key)!r}.")
        self.generator.set_weights(srresnet.generator.get_weights())
        return self

    def content_loss(self, sr, hr):
        """Mean squared distance of the rescaled features (pixels without a network)."""
        network = self._content.network
        if network is None:
            return losses.squared_distance(sr, hr)
        return self.content_scale**2 * losses.squared_distance(
            network(sr, training=False), network(hr, training=False))

    def train_step(self, data):
        low, high, n = self.training_images(data)
        with tf.GradientTape() as g_tape:
            sr = self.generator(low, training=True)
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                d_loss = losses.nonsaturating_d_loss(
                    self.discriminator(high, training=True),
                    self.discriminator(tf.stop_gradient(sr), training=True))
            d_applied = self.minimize(d_tape, {"discriminator_optimizer": d_loss},
                                      n)["discriminator_optimizer"]
            g_gan = losses.nonsaturating_g_loss(self.discriminator(sr, training=True))
            content = self.content_loss(sr, high)
            g_loss = content + self.adversarial_weight * g_gan
        self.minimize(g_tape, {"generator_optimizer": g_loss}, n, apply_when=d_applied)
        return self.finish_step({"d_loss": d_loss, "g_loss": g_loss, "g_gan": g_gan,
                                 "content": content, "psnr": self.psnr(sr, high)})

    def get_config(self):
        return {**super().get_config(), "discriminator_filters": self.discriminator_filters,
                "dense_units": self.dense_units, "content_network": self.content_network,
                "content_scale": self.content_scale,
                "adversarial_weight": self.adversarial_weight}
