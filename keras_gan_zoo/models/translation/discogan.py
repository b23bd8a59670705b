"""DiscoGAN: cross-domain relations learned from unpaired images.

Kim, Cha, Kim, Lee, Kim 2017, "Learning to Discover Cross-Domain Relations with
Generative Adversarial Networks", ICML 2017, arXiv:1703.05192.

- two generators, a -> b and b -> a: an encoder of 4x4 stride-2 convolutions
  (C64 without norm, C128-C256-C512 with batch norm, LeakyReLU 0.2) down to 4x4 and
  a decoder of 4x4 stride-2 transposed convolutions (batch norm, ReLU) back up, no
  skip connections (the bottleneck is what relates the domains); tanh output;
- two discriminators: the same encoder and a 4x4 convolution from 4x4 to one
  logit; they also return the activations of their normalized layers for the
  feature-matching term;
- objective, as in the authors' code: each generator's GAN term is
  `0.1 x` non-saturating loss `+ 0.9 x` feature matching (squared distance of the
  batch means of the real and the translated images' discriminator features), the
  reconstruction term is the mean squared error of a -> b -> a (and b -> a -> b),
  and `rate` weighs them: `(1 - rate) x GAN + rate x reconstruction`, with a
  `starting_rate` of 0.01 for the first `curriculum_steps` (10,000) steps and 0.5
  after; the discriminators' loss is half the cross-entropy of real and fake;
- the authors update the discriminators on one step in `update_interval` (3) and the
  generators on the others; Adam(2e-4, 0.5) with an L2 weight penalty of 1e-5.

The paper's own text states the plain sum L_GAN + L_CONST for each direction:
`gan_weight=1, feature_matching_weight=0, starting_rate=0.5, rate=0.5` gives it
(halved), and `update_interval=None` updates both players on every step.
"""

import keras
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.blocks import dcgan_batch_norm, dcgan_init, pad_to_multiple
from keras_gan_zoo.models.replicas import global_batch_mean
from keras_gan_zoo.models.translation.base import (UnpairedTranslationModel, check_int,
                                                   check_non_negative)
from keras_gan_zoo.registry import register_model

BOTTLENECK_SIDE = 4  # both networks' encoders stop at 4x4, as at 64 px in the paper
MAX_FILTER_MULTIPLIER = 8  # C512 for base_filters=64


def encoder_levels(image_shape):
    """Stride-2 levels that take the shorter side (padded to 4 x a power of two) to
    4x4: 4 at 64 px (the paper's), 3 at 28 (padded to 32), 2 at 16."""
    side = min(image_shape[:2])
    levels, reach = 1, BOTTLENECK_SIDE * 2
    while reach < side:
        levels, reach = levels + 1, reach * 2
    return levels


def _filters(base_filters, level):
    return base_filters * min(2**level, MAX_FILTER_MULTIPLIER)


def _encoder(h, base_filters, levels, prefix):
    """C64-C128-...: 4x4 stride 2, batch norm from the second layer, LeakyReLU 0.2.
    Returns the output and the normalized layers' activations."""
    features = []
    for level in range(levels):
        h = keras.layers.Conv2D(_filters(base_filters, level), 4, strides=2, padding="same",
                                use_bias=False, kernel_initializer=dcgan_init(),
                                name=f"{prefix}{level}")(h)
        if level > 0:
            h = dcgan_batch_norm(f"{prefix}{level}_bn")(h)
        h = keras.layers.LeakyReLU(0.2, name=f"{prefix}{level}_act")(h)
        if level > 0:
            features.append(h)
    return h, features


def encoder_decoder_generator(image_shape, output_channels=None, base_filters=64,
                              name="generator"):
    """DiscoGAN's generator: (B, H, W, C) in [-1, 1] -> (B, H, W, output_channels).

    Args:
        image_shape: (height, width, channels); sides are reflect-padded to 4 x a power
            of two (28 -> 32) and the output cropped back.
        output_channels: channels of the output; default the input's.
        base_filters: filters of the first layer (64).
    """
    output_channels = output_channels or image_shape[-1]
    levels = encoder_levels(image_shape)
    inputs = keras.Input(image_shape, name="images")
    h, crop = pad_to_multiple(inputs, image_shape, BOTTLENECK_SIDE * 2**levels)
    h, _ = _encoder(h, base_filters, levels, "down")
    for level in reversed(range(levels - 1)):
        h = keras.layers.Conv2DTranspose(_filters(base_filters, level), 4, strides=2,
                                         padding="same", use_bias=False,
                                         kernel_initializer=dcgan_init(), name=f"up{level}")(h)
        h = dcgan_batch_norm(f"up{level}_bn")(h)
        h = keras.layers.ReLU(name=f"up{level}_act")(h)
    h = keras.layers.Conv2DTranspose(output_channels, 4, strides=2, padding="same",
                                     use_bias=False, kernel_initializer=dcgan_init(),
                                     name="out")(h)
    outputs = crop(keras.layers.Activation("tanh", dtype="float32", name="tanh")(h))
    return keras.Model(inputs, outputs, name=name)


def feature_discriminator(image_shape, base_filters=64, name="discriminator"):
    """DiscoGAN's discriminator: images -> `[logits (B, 1), *features]`, the
    activations of every batch-normalized layer (float32) for feature matching."""
    levels = encoder_levels(image_shape)
    inputs = keras.Input(image_shape, name="images")
    h, _ = pad_to_multiple(inputs, image_shape, BOTTLENECK_SIDE * 2**levels)
    h, features = _encoder(h, base_filters, levels, "conv")
    logits = keras.layers.Conv2D(1, BOTTLENECK_SIDE, padding="valid", use_bias=False,
                                 kernel_initializer=dcgan_init(), dtype="float32",
                                 name="logit")(h)
    logits = keras.layers.Flatten(dtype="float32", name="logits")(logits)
    return keras.Model(inputs, [logits, *features], name=name)


def feature_matching(real_features, fake_features):
    """Sum over layers of the mean squared difference between the global-batch means
    of real and fake activations (the authors' `get_fm_loss`)."""
    total = tf.zeros((), "float32")
    for real, fake in zip(real_features, fake_features):
        real_mean = global_batch_mean(tf.cast(real, "float32"))
        fake_mean = global_batch_mean(tf.cast(fake, "float32"))
        total += tf.reduce_mean(tf.square(real_mean - fake_mean))
    return total


@register_model("discogan", tiny=dict(image_shape=(16, 16, 1), base_filters=4,
                                      update_interval=None))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class DiscoGAN(UnpairedTranslationModel):
    """DiscoGAN (Kim et al. 2017): two encoder-decoder translators trained on unpaired
    images with GAN, feature-matching and reconstruction losses.

    Batches are `(a, b)`: images of domain a and of domain b, not aligned.

    Args:
        image_shape: (height, width, channels) of domain a's images.
        target_channels: channels of domain b's images; default a's.
        base_filters: filters of the first layer of every network (64).
        gan_weight: weight of the non-saturating GAN term within the GAN part (0.1).
        feature_matching_weight: weight of feature matching within it (0.9).
        starting_rate: the reconstruction weight `rate` for the first
            `curriculum_steps` steps (0.01).
        rate: the reconstruction weight after them (0.5).
        curriculum_steps: steps of the starting rate (10,000).
        update_interval: the discriminators update on one step in this many, the
            generators on the others (3); `None` updates both every step.
        weight_decay: L2 penalty of every weight, added to the gradient as PyTorch's
            Adam does (1e-5); 0 turns it off.
        domain_names: human names of domains a and b.
        seed: integer seed; `None` draws one.

    Example:
        >>> data = kgz.datasets.load("fashion_mnist_sneaker_boot", batch_size=64)
        >>> model = kgz.create_model("discogan", image_shape=(28, 28, 1),
        ...                          domain_names=("sneaker", "ankle_boot"))
        >>> model.compile()
        >>> model.fit(data, epochs=20)
        >>> boots = model.translate(sneakers)

    Reference:
        Kim et al., "Learning to Discover Cross-Domain Relations with Generative
        Adversarial Networks", ICML 2017, arXiv:1703.05192.
    """

    def __init__(self, image_shape=(64, 64, 3), target_channels=None, base_filters=64,
                 gan_weight=0.1, feature_matching_weight=0.9, starting_rate=0.01, rate=0.5,
                 curriculum_steps=10_000, update_interval=3, weight_decay=1e-5,
                 domain_names=None, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, target_channels=target_channels,
                         domain_names=domain_names, seed=seed, **kwargs)
        self.base_filters = check_int(base_filters, "base_filters")
        self.gan_weight = check_non_negative(gan_weight, "gan_weight")
        self.feature_matching_weight = check_non_negative(feature_matching_weight,
                                                          "feature_matching_weight")
        for value, what in ((starting_rate, "starting_rate"), (rate, "rate")):
            if check_non_negative(value, what) > 1:
                raise ValueError(f"{what} must be in [0, 1]; got {value!r}.")
        self.starting_rate, self.rate = float(starting_rate), float(rate)
        self.curriculum_steps = check_int(curriculum_steps, "curriculum_steps", minimum=0)
        self.update_interval = None if update_interval is None else check_int(
            update_interval, "update_interval (or None)", minimum=2)
        self.weight_decay = check_non_negative(weight_decay, "weight_decay")
        a, b = self.image_shape, self.target_shape
        self.generator_a_to_b = encoder_decoder_generator(a, b[-1], self.base_filters,
                                                          name="generator_a_to_b")
        self.generator_b_to_a = encoder_decoder_generator(b, a[-1], self.base_filters,
                                                          name="generator_b_to_a")
        self.discriminator_a = feature_discriminator(a, self.base_filters, "discriminator_a")
        self.discriminator_b = feature_discriminator(b, self.base_filters, "discriminator_b")
        for name in ("d_loss", "g_loss", "g_gan", "feature_matching", "reconstruction"):
            self.add_tracker(name)
        self.built = True

    def reconstruction_rate(self):
        """This step's `rate`: `starting_rate` during the curriculum, `rate` after."""
        return tf.where(self.step_counter < self.curriculum_steps, self.starting_rate,
                        self.rate)

    def _weight_penalty(self, argument):
        """`weight_decay / 2 x sum(w^2)` over the networks of one optimizer: its
        gradient is PyTorch Adam's coupled `weight_decay x w`."""
        if not self.weight_decay:
            return tf.zeros(())
        return 0.5 * self.weight_decay * tf.add_n(
            [tf.reduce_sum(tf.square(tf.cast(v, "float32")))
             for v in self.optimizer_variables(argument)])

    def train_step(self, data):
        real_a, real_b, n = self.training_images(data)
        with tf.GradientTape(persistent=True) as tape:
            fake_b, fake_a, cycled_a, cycled_b = self.round_trip(real_a, real_b)
            reconstruction = (losses.squared_distance(cycled_a, real_a)
                              + losses.squared_distance(cycled_b, real_b))
            g_gan, matching, d_loss = tf.zeros(()), tf.zeros(()), tf.zeros(())
            for discriminator, real, fake in ((self.discriminator_a, real_a, fake_a),
                                              (self.discriminator_b, real_b, fake_b)):
                real_logits, *real_features = discriminator(real, training=True)
                fake_logits, *fake_features = discriminator(fake, training=True)
                g_gan += losses.nonsaturating_g_loss(fake_logits)
                matching += feature_matching(real_features, fake_features)
                d_loss += 0.5 * losses.nonsaturating_d_loss(real_logits, fake_logits)
            rate = self.reconstruction_rate()
            g_loss = ((1.0 - rate) * (self.gan_weight * g_gan
                                      + self.feature_matching_weight * matching)
                      + rate * reconstruction)
            g_total = g_loss + self._weight_penalty("generator_optimizer")
            d_total = d_loss + self._weight_penalty("discriminator_optimizer")
        when = None
        if self.update_interval is not None:
            d_turn = self.every(self.update_interval)
            when = {"discriminator_optimizer": d_turn,
                    "generator_optimizer": tf.logical_not(d_turn)}
        self.minimize(tape, {"generator_optimizer": g_total, "discriminator_optimizer": d_total},
                      n, apply_when=when)
        return self.finish_step({"d_loss": d_loss, "g_loss": g_loss, "g_gan": g_gan,
                                 "feature_matching": matching,
                                 "reconstruction": reconstruction})

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "gan_weight": self.gan_weight,
                "feature_matching_weight": self.feature_matching_weight,
                "starting_rate": self.starting_rate, "rate": self.rate,
                "curriculum_steps": self.curriculum_steps,
                "update_interval": self.update_interval, "weight_decay": self.weight_decay}
