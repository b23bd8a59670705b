"""VAE-GAN: a VAE whose reconstruction error is measured by a GAN's discriminator
(Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a
learned similarity metric", arXiv:1512.09300).

Three networks: the encoder q(z|x), the decoder, which is also the GAN's generator,
and the discriminator. With x~ = Dec(z), z ~ q(z|x), and x_p = Dec(z_p), z_p ~ N(0, I),
one step computes (the paper's algorithm 1, all gradients from one forward pass):

    L_prior = KL(q(z|x) || N(0, I))
    L_llike = 0.5 ||Dis_l(x) - Dis_l(x~)||^2     Gaussian NLL in the features of
                                                 the discriminator's last conv layer
    L_GAN   = BCE(D(x), 1) + BCE(D([x~; x_p]), 0)
    encoder       <- grad(L_prior + L_llike)
    decoder       <- grad(gamma * L_llike + BCE(D([x~; x_p]), 1))
    discriminator <- grad(L_GAN)

The discriminator sees the real batch, the reconstructions and the prior samples
in one call (as the authors' code does), so batch norm normalizes them together.
Differences from the paper, on purpose: the decoder's adversarial term is the
non-saturating `-log D(fake)` (the paper writes the minimax L_GAN) and the fake
terms are averaged over reconstructions and prior samples (the authors' code
weights real and generated halves equally).

The authors' code also balances the two players with an equilibrium rule, which
`equilibrium=` turns on (off by default, as in the paper's text): with the mean
costs `real = -log D(x)` and `fake = -log(1 - D(fake))` of the step (over the global
batch), the discriminator is not updated when either is below `equilibrium -
margin` (it is winning), the decoder is not updated when either is above
`equilibrium + margin` (it is losing), and both are updated when both rules fire.
Their values: equilibrium 0.68 (about ln 2, the cost of a discriminator at chance),
margin 0.4. A skipped update is a real skip (`base.apply_if`): no weight, slot or
step counter moves. `d_update_rate` and `g_update_rate` report the fraction of
steps that updated each network.

The model is an `AdversarialModel` (generator = decoder): its optimizers,
fp16 loss scaling, noise sampling, `generate`, `export_generator` and resume
machinery are the adversarial base's; a third optimizer drives the encoder. Under
`mixed_float16`, a step where any of the three gradients is not finite updates
none of the networks (the base's rule, extended to the encoder).
"""

import keras
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.autoencoding.base import (
    AutoencoderMethods,
    conv_decoder,
    conv_encoder,
)
from keras_gan_zoo.models.replicas import global_batch_mean
from keras_gan_zoo.models.autoencoding.vae import kl_divergence
from keras_gan_zoo.models.blocks import square_image_stages
from keras_gan_zoo.registry import register_model


def vaegan_discriminator(image_shape, base_filters=32, hidden_units=512):
    """Larsen's discriminator: 5x5 conv (ReLU), stride-2 5x5 convs with batch norm,
    a dense layer, one logit. Returns `[logits, features]`, the features being the
    last convolution's output (Dis_l, before its batch norm), float32."""
    stages, _, _ = square_image_stages(image_shape, "VAEGAN")
    images = keras.Input(tuple(image_shape), name="images")
    x = keras.layers.ReLU()(keras.layers.Conv2D(base_filters, 5, padding="same",
                                                name="conv0")(images))
    for stage in range(1, stages + 1):
        x = keras.layers.Conv2D(base_filters * 2**stage, 5, 2, padding="same", use_bias=False,
                                name=f"down{stage}")(x)
        features = x
        x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True,
                                            name=f"down{stage}_bn")(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(hidden_units, use_bias=False, name="hidden")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True,
                                        name="hidden_bn")(x)
    logits = keras.layers.Dense(1, dtype="float32", name="logit")(keras.layers.ReLU()(x))
    features = keras.layers.Activation("linear", dtype="float32", name="features")(features)
    return keras.Model(images, [logits, features], name="discriminator")


def equilibrium_updates(real_cost, fake_cost, equilibrium, margin):
    """The authors' equilibrium rule: `(update_discriminator, update_decoder)`, two
    scalar bools, from the step's mean discriminator costs on real and generated
    images (see the module docstring)."""
    low, high = equilibrium - margin, equilibrium + margin
    update_d = tf.logical_not(tf.logical_or(real_cost < low, fake_cost < low))
    update_g = tf.logical_not(tf.logical_or(real_cost > high, fake_cost > high))
    neither = tf.logical_not(tf.logical_or(update_d, update_g))
    return tf.logical_or(update_d, neither), tf.logical_or(update_g, neither)


@register_model("vae_gan", tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=4,
                                     hidden_units=16))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class VAEGAN(AutoencoderMethods, AdversarialModel):
    """VAE-GAN: encoder, decoder/generator and discriminator, three optimizers.

    Args:
        latent_dim: size of z (128 in the paper).
        image_shape: (side, side, channels), a side that halves to >= 4.
        base_filters: width unit: the discriminator starts at it, the encoder and
            decoder at twice it (the paper's 64x64 nets are 32 / 64).
        hidden_units: dense units of the encoder and discriminator (default
            `16 * base_filters`; the paper: 2048 and 512).
        gamma: weight of the feature-space reconstruction in the decoder's loss
            against the adversarial term (the paper's gamma).
        equilibrium: `None` (every network updates every step) or the cost around
            which the equilibrium rule above balances the players (the authors':
            0.68).
        margin: the rule's half-width (the authors': 0.4); used with `equilibrium`.
        **kwargs: `AdversarialModel` arguments: `seed`, `name`, `label_smoothing`,
            the decoder EMA (`ema_beta` / `ema_half_life_images`: `generate` and
            `export_generator` use it; `decode` / `reconstruct` use the trained
            decoder, the encoder's partner). `d_steps`, `feature_matching`,
            `historical_averaging`, a uniform `latent_distribution`, `num_classes`
            and `diff_augment` are not supported.

    Example:
        >>> model = kgz.create_model("vae_gan", image_shape=(28, 28, 1))
        >>> model.compile()     # RMSprop(3e-4) for the three networks, as the paper
        >>> model.fit(kgz.datasets.load("fashion_mnist", batch_size=64), epochs=5)
        >>> recon = model.reconstruct(images); samples = model.generate(64, seed=0)

    Reference:
        Larsen et al., Autoencoding beyond pixels using a learned similarity metric,
        arXiv:1512.09300.
    """

    family = "autoencoding"
    optimizer_networks = {"encoder_optimizer": ("encoder",),
                          "generator_optimizer": ("generator",),
                          "discriminator_optimizer": ("discriminator",)}
    batch_extras = ("latents", "noise")  # fixed prior samples z_p / reparameterisation eps
    supports_label_smoothing = True
    # Its own train_step, where D's features measure the reconstruction: no DiffAugment.
    supports_diff_augment = False
    supports_lazy_regularization = False  # its own train_step: no R1 / path length

    def __init__(self, latent_dim=128, image_shape=(64, 64, 3), base_filters=32,
                 hidden_units=None, gamma=1e-2, equilibrium=None, margin=0.4, **kwargs):
        unsupported = {"d_steps": 1, "feature_matching": None, "historical_averaging": 0.0,
                       "latent_distribution": "normal", "num_classes": None}
        for key, default in unsupported.items():
            if kwargs.get(key, default) not in (default, False if default is None else default):
                raise ValueError(f"VAEGAN does not support {key}={kwargs[key]!r} "
                                 f"(only {default!r}).")
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not gamma >= 0:
            raise ValueError(f"gamma must be a number >= 0; got {gamma!r}.")
        if equilibrium is not None and (isinstance(equilibrium, bool) or not isinstance(
                equilibrium, (int, float)) or not equilibrium > 0):
            raise ValueError(f"equilibrium must be None or a cost > 0; got {equilibrium!r}.")
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin >= 0:
            raise ValueError(f"margin must be a number >= 0; got {margin!r}.")
        image_shape = tuple(image_shape)
        hidden_units = hidden_units or 16 * base_filters
        encoder = conv_encoder(image_shape, [("mean", latent_dim), ("log_var", latent_dim)],
                               2 * base_filters, kernel_size=5, hidden=hidden_units,
                               batch_norm=True, activation="relu")
        decoder = conv_decoder(latent_dim, image_shape, image_shape[-1], 2 * base_filters,
                               kernel_size=5, batch_norm=True, activation="tanh",
                               name="generator")
        super().__init__(generator=decoder,
                         discriminator=vaegan_discriminator(image_shape, base_filters,
                                                            hidden_units),
                         latent_dim=latent_dim, **kwargs)
        self.encoder = encoder
        self.base_filters, self.hidden_units, self.gamma = base_filters, hidden_units, float(gamma)
        self.equilibrium = None if equilibrium is None else float(equilibrium)
        self.margin = float(margin)
        self.add_tracker("kl")
        self.add_tracker("reconstruction")
        if self.equilibrium is not None:
            self.add_tracker("d_update_rate")
            self.add_tracker("g_update_rate")

    @property
    def decoder(self):
        """The decoder, which is the generator."""
        return self.generator

    # --------------------------------------------------------------- compile
    def default_optimizers(self):
        """RMSprop(3e-4) for the encoder, the decoder and the discriminator (the paper's)."""
        return {arg: keras.optimizers.RMSprop(3e-4) for arg in self.optimizer_networks}

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "base_filters": self.base_filters, "hidden_units": self.hidden_units,
                "gamma": self.gamma, "equilibrium": self.equilibrium, "margin": self.margin}

    # ------------------------------------------------------------- training
    def _extra(self, extras, key, batch, draw):
        value = extras.get(key)
        if value is None:
            return self.sample_latent(batch, draw=draw)
        if tuple(value.shape[1:]) != (self.latent_dim,):
            raise ValueError(f"{key} must have shape (batch, {self.latent_dim}); "
                             f"got {tuple(value.shape)}.")
        return tf.cast(value, "float32")

    def train_step(self, data):
        batch = self.unpack_batch(data)
        self.check_batch(batch, "train_step")
        real = batch["images"]
        n = tf.shape(real)[0]
        prior_z = self._extra(batch, "latents", n, draw=0)
        eps = self._extra(batch, "noise", n, draw=1)
        with tf.GradientTape(persistent=True) as tape:
            mean, log_var = self.encoder(real, training=True)
            z = mean + tf.exp(0.5 * log_var) * eps
            fakes = self.generator(tf.concat([z, prior_z], axis=0), training=True)
            logits, features = self.discriminator(
                tf.concat([tf.cast(real, fakes.dtype), fakes], axis=0), training=True)
            real_logits, fake_logits = logits[:n], logits[n:]
            diff = features[n:2 * n] - features[:n]
            reconstruction = tf.reduce_mean(
                0.5 * tf.reduce_sum(tf.reshape(tf.square(diff), [n, -1]), axis=1))
            kl = tf.reduce_mean(kl_divergence(mean, log_var))
            d_loss = losses.nonsaturating_d_loss(real_logits, fake_logits,
                                                 real_label=self.real_label)
            g_loss = self.gamma * reconstruction + losses.nonsaturating_g_loss(fake_logits)
            e_loss = kl + reconstruction
        apply_when, logs = None, {}
        if self.equilibrium is not None:
            # -log D(x) and -log(1 - D(fake)), averaged over the global batch so that
            # every replica takes the same decision.
            real_cost = global_batch_mean(tf.nn.softplus(-tf.stop_gradient(real_logits)))
            fake_cost = global_batch_mean(tf.nn.softplus(tf.stop_gradient(fake_logits)))
            update_d, update_g = equilibrium_updates(real_cost, fake_cost, self.equilibrium,
                                                     self.margin)
            apply_when = {"discriminator_optimizer": update_d, "generator_optimizer": update_g}
            logs = {"d_update_rate": tf.cast(update_d, "float32"),
                    "g_update_rate": tf.cast(update_g, "float32")}
        # One step for the three networks: under loss scaling, a non-finite gradient of
        # any of them (on any replica) skips all three.
        applied = self.minimize(tape, {"encoder_optimizer": e_loss,
                                       "generator_optimizer": g_loss,
                                       "discriminator_optimizer": d_loss}, n,
                                apply_when=apply_when)
        del tape
        self._zoo.step_batch_size = n  # the generator EMA's half-life counts images
        self.after_generator_update(applied["generator_optimizer"])
        return self.finish_step({"d_loss": d_loss, "g_loss": g_loss, "kl": kl,
                                 "reconstruction": reconstruction, **logs})
