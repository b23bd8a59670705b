"""BiCycleGAN: multimodal image-to-image translation.

Zhu, Zhang, Pathak, Darrell, Efros, Wang, Shechtman 2017, "Toward Multimodal
Image-to-Image Translation", NeurIPS 2017, arXiv:1711.11586.

One source image, many plausible targets: the generator takes a latent code z
beside the image, and two cycles tie z to the output.

- cVAE-GAN (B -> z -> B'): the encoder E maps the real target to a Gaussian q(z|B),
  the generator rebuilds B from (A, z ~ q): `lambda_pixel` (10) x L1, a GAN loss on
  the rebuilt image (discriminator `discriminator_vae`), `lambda_kl` (0.01) x KL(q||N(0, I));
- cLR-GAN (z -> B' -> z'): a random z ~ N(0, I) gives an output judged by a second
  discriminator (`discriminator_lr`), and E must recover z from it:
  `lambda_latent` (0.5) x L1(mu(E(G(A, z))), z), back-propagated into G only;
- networks as the authors' defaults: the pix2pix U-Net with z tiled and concatenated
  to the input (`where_add="input"`), instance norm, no dropout; a ResNet encoder
  (`E_ResNet`: 4x4 stride-2 conv, residual blocks that halve the image, global
  average pool, two dense heads for mu and log-variance); PatchGANs with least-
  squares losses; Adam(2e-4, 0.5) for G, E and the discriminators; `nz=8`.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.blocks import check_norm, norm_layer
from keras_gan_zoo.models.replicas import global_rows
from keras_gan_zoo.models.translation.base import (SameSizeTranslationModel, check_int,
                                                   check_non_negative)
from keras_gan_zoo.models.translation.pix2pix import (default_patch_layers, patch_discriminator,
                                                      unet_generator)
from keras_gan_zoo.registry import register_model

MAX_ENCODER_MULTIPLIER = 4  # the authors' max_ndf


def default_encoder_blocks(image_shape):
    """Residual blocks of the encoder: each halves the image after the first 4x4
    stride-2 conv, until about 4 pixels remain (5 at 256 px and 4 at 128, the
    authors' `resnet_256` / `resnet_128`; 2 at 28)."""
    side, blocks = (min(image_shape[:2]) + 1) // 2, 0
    while side > 4 and blocks < 5:
        side, blocks = (side + 1) // 2, blocks + 1
    return max(blocks, 1)


def latent_encoder(image_shape, latent_dim=8, base_filters=64, num_blocks=None,
                   norm="instance", name="encoder"):
    """The authors' `E_ResNet`: images -> `[mu, log_variance]` of q(z | image), float32.

    Args:
        image_shape: (height, width, channels) of the target-domain images.
        latent_dim: dimensions of z (8).
        base_filters: filters of the first conv (64); blocks widen to 4x that.
        num_blocks: residual blocks; default by image size (`default_encoder_blocks`).
        norm: `"instance"` (the authors') or `"batch"`.
    """
    check_norm(norm)
    num_blocks = default_encoder_blocks(image_shape) if num_blocks is None else num_blocks
    inputs = keras.Input(image_shape, name="images")
    h = keras.layers.Conv2D(base_filters, 4, strides=2, padding="same", name="conv0")(inputs)
    for i in range(num_blocks):
        filters_in = base_filters * min(MAX_ENCODER_MULTIPLIER, i + 1)
        filters_out = base_filters * min(MAX_ENCODER_MULTIPLIER, i + 2)
        block = f"block{i}"
        r = keras.layers.LeakyReLU(0.2, name=f"{block}_act0")(norm_layer(norm, f"{block}_norm0")(h))
        r = keras.layers.Conv2D(filters_in, 3, padding="same", name=f"{block}_conv0")(r)
        r = keras.layers.LeakyReLU(0.2, name=f"{block}_act1")(norm_layer(norm, f"{block}_norm1")(r))
        r = keras.layers.Conv2D(filters_out, 3, padding="same", name=f"{block}_conv1")(r)
        r = keras.layers.AveragePooling2D(2, padding="same", name=f"{block}_pool")(r)
        shortcut = keras.layers.AveragePooling2D(2, padding="same", name=f"{block}_skip_pool")(h)
        shortcut = keras.layers.Conv2D(filters_out, 1, name=f"{block}_skip")(shortcut)
        h = keras.layers.Add(name=f"block{i}_add")([r, shortcut])
    h = keras.layers.LeakyReLU(0.2, name="out_act")(h)
    h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    mu = keras.layers.Dense(latent_dim, dtype="float32", name="mu")(h)
    log_variance = keras.layers.Dense(latent_dim, dtype="float32", name="log_variance")(h)
    return keras.Model(inputs, [mu, log_variance], name=name)


def latent_unet_generator(image_shape, output_channels, latent_dim=8, base_filters=64,
                          norm="instance", name="generator"):
    """`(images, z) -> images`: z tiled over the image, concatenated to it as
    `latent_dim` extra channels, through the pix2pix U-Net (no dropout)."""
    images = keras.Input(image_shape, name="images")
    latents = keras.Input((latent_dim,), name="latents")
    planes = keras.layers.Reshape((1, 1, latent_dim), name="latent_pixel")(latents)
    planes = keras.layers.UpSampling2D(tuple(image_shape[:2]), name="latent_planes")(planes)
    h = keras.layers.Concatenate(name="with_latents")([images, planes])
    unet = unet_generator((*image_shape[:2], image_shape[-1] + latent_dim), output_channels,
                          base_filters, dropout=0.0, norm=norm, name="unet")
    return keras.Model([images, latents], unet(h), name=name)


def kl_divergence(mu, log_variance):
    """KL(N(mu, exp(log_variance)) || N(0, I)), summed over z, mean over the batch."""
    return tf.reduce_mean(-0.5 * tf.reduce_sum(
        1.0 + log_variance - tf.square(mu) - tf.exp(log_variance), axis=-1))


@register_model("bicyclegan", tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=2))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class BiCycleGAN(SameSizeTranslationModel):
    """BiCycleGAN (Zhu et al. 2017b): a translator that takes a latent code, trained
    with the cVAE-GAN and cLR-GAN cycles on paired (source, target) images.

    Args:
        image_shape: (height, width, channels) of the source images.
        target_channels: channels of the target images; default the source's.
        latent_dim: dimensions of z (`nz`, 8).
        base_filters: filters of the first layer of every network (64).
        patch_layers: strided layers of the PatchGANs; default by image size.
        norm: `"instance"` (the authors' default) or `"batch"`.
        lambda_pixel: weight of the L1 reconstruction (10).
        lambda_latent: weight of the latent regression (0.5).
        lambda_kl: weight of the KL term (0.01).
        domain_names: human names of the source and target domains.
        seed: integer seed of the training noise; `None` draws one.

    Example:
        >>> model = kgz.create_model("bicyclegan", image_shape=(28, 28, 1),
        ...                          domain_names=("edges", "fashion"))
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("fashion_mnist_edges", batch_size=16), epochs=5)
        >>> one = model.translate(edges)                 # z = 0, the prior's mean
        >>> several = model.translate(edges, seed=1)     # z ~ N(0, I), one per image
        >>> styled = model.translate(edges, latents=model.encode(examples))

    Reference:
        Zhu et al., "Toward Multimodal Image-to-Image Translation", NeurIPS 2017,
        arXiv:1711.11586.
    """

    optimizer_networks = {"generator_optimizer": ("generator",),
                          "encoder_optimizer": ("encoder",),
                          "discriminator_optimizer": ("discriminator_vae", "discriminator_lr")}

    def __init__(self, image_shape=(256, 256, 3), target_channels=None, latent_dim=8,
                 base_filters=64, patch_layers=None, norm="instance", lambda_pixel=10.0,
                 lambda_latent=0.5, lambda_kl=0.01, domain_names=None, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, target_channels=target_channels,
                         domain_names=domain_names, seed=seed, **kwargs)
        self.latent_dim = check_int(latent_dim, "latent_dim")
        self.base_filters = check_int(base_filters, "base_filters")
        self.patch_layers = check_int(default_patch_layers(self.image_shape)
                                      if patch_layers is None else patch_layers, "patch_layers")
        if self.patch_layers > 5:
            raise ValueError(f"patch_layers must be an int in [1, 5]; got {patch_layers!r}.")
        self.norm = check_norm(norm)
        self.lambda_pixel = check_non_negative(lambda_pixel, "lambda_pixel")
        self.lambda_latent = check_non_negative(lambda_latent, "lambda_latent")
        self.lambda_kl = check_non_negative(lambda_kl, "lambda_kl")
        self.generator = latent_unet_generator(self.image_shape, self.target_channels,
                                               self.latent_dim, self.base_filters, norm)
        self.encoder = latent_encoder(self.target_shape, self.latent_dim, self.base_filters,
                                      norm=norm)
        self.discriminator_vae, self.discriminator_lr = (
            patch_discriminator(self.target_shape, 0, self.base_filters, self.patch_layers,
                                norm=norm, name=name)
            for name in ("discriminator_vae", "discriminator_lr"))
        for name in ("d_loss", "g_loss", "g_gan", "pixel", "kl", "latent"):
            self.add_tracker(name)
        self.built = True

    def translator(self, direction):
        return self.generator

    def default_optimizers(self):
        return {arg: keras.optimizers.Adam(2e-4, beta_1=0.5) for arg in self.optimizer_networks}

    def call(self, inputs, training=False):
        images, latents = inputs
        return self.generator([images, latents], training=training)

    # ------------------------------------------------------------------ latents
    def _global_normal(self, batch_size, draw):
        """N(0, I) draws for this replica's rows of the global batch (the same as one
        device's, however the batch is split)."""
        offset, total = global_rows(batch_size)
        noise = tf.random.stateless_normal(tf.stack([total, self.latent_dim]),
                                           self.noise_seed(draw, per_replica=False))
        return noise[offset:offset + batch_size]

    def encode(self, images, batch_size=64):
        """The means of q(z | image) of target-domain images: (N, latent_dim) numpy,
        latents that make `translate` reproduce their style."""
        images = self._images_numpy(images, "encode", self.target_shape)
        functions = self._translation.functions
        if "encode" not in functions:
            functions["encode"] = tf.function(lambda x: self.encoder(x, training=False)[0],
                                              reduce_retracing=True)
        run = functions["encode"]
        return self._batched(run, images, self._check_count(batch_size)).astype("float32")

    def _latents(self, n, seed, latents):
        if latents is not None:
            if seed is not None:
                raise ValueError("Pass seed= or latents=, not both.")
            latents = np.asarray(latents)
            if latents.shape != (n, self.latent_dim) or not np.issubdtype(latents.dtype,
                                                                            np.floating):
                raise ValueError(f"latents must be floats of shape ({n}, {self.latent_dim}) "
                                 f"(one per image); got {latents.dtype} {latents.shape}.")
            if not np.all(np.isfinite(latents)):
                raise ValueError("latents must be finite.")
            return latents.astype("float32")
        if seed is None:
            return np.zeros((n, self.latent_dim), "float32")
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(
            "float32")

    def translate(self, images, direction="a_to_b", seed=None, latents=None, batch_size=64):
        """Translates images, one output per image and latent code.

        Args:
            images: (N, H, W, C) (or one image) in [-1, 1] of `image_shape`.
            direction: `"a_to_b"` (the only one).
            seed: draws z ~ N(0, I) per image from this seed; with neither `seed` nor
                `latents`, z = 0 (the prior's mean: one deterministic output).
            latents: (N, latent_dim) codes, e.g. `encode(examples)`.
            batch_size: images per forward pass.
        """
        self.check_direction(direction)
        images = self._images_numpy(images, "translate(a_to_b)", self.image_shape)
        z = self._latents(len(images), seed, latents)
        if len(images) == 0:
            return np.zeros((0, *self.target_shape), "float32")
        run = self._translation.functions.get("latent")
        if run is None:
            run = tf.function(lambda pair: tf.cast(
                self.generator([pair[0], pair[1]], training=False), "float32"),
                reduce_retracing=True)
            self._translation.functions["latent"] = run
        batch_size = self._check_count(batch_size)
        out = [run((images[i:i + batch_size], z[i:i + batch_size])).numpy()
               for i in range(0, len(images), batch_size)]
        return np.clip(np.concatenate(out), -1.0, 1.0).astype("float32")

    def export_generator(self, path, format="saved_model", quantize=None):
        """A SavedModel with `serve(images)` (z = 0) and `serve_latents(images,
        latents)`, loadable without this package; `format=` / `quantize=` as in
        `TranslationModel.export_generator` (tflite, onnx)."""
        self._check_export(format, quantize)
        archive = keras.export.ExportArchive()
        archive.track(self.generator)
        generator = self.generator
        image_spec = tf.TensorSpec((None, *self.image_shape), tf.float32, name="images")
        latent_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="latents")

        def serve_latents(images, latents):
            out = generator([images, latents], training=False)
            return tf.clip_by_value(tf.cast(out, tf.float32), -1.0, 1.0)

        def serve(images):
            return serve_latents(images, tf.zeros([tf.shape(images)[0], self.latent_dim]))

        archive.add_endpoint("serve", serve, input_signature=[image_spec])
        archive.add_endpoint("serve_latents", serve_latents,
                             input_signature=[image_spec, latent_spec])
        return self._write_export(archive, path, format, quantize)

    # ------------------------------------------------------------------ training
    def train_step(self, data):
        real_a, real_b, n = self.training_images(data)
        with tf.GradientTape(persistent=True) as tape:
            # cVAE-GAN: B -> z -> B'.
            mu, log_variance = self.encoder(real_b, training=True)
            z_encoded = mu + tf.exp(0.5 * log_variance) * self._global_normal(n, 0)
            fake_encoded = self.generator([real_a, z_encoded], training=True)
            # cLR-GAN: z -> B' -> z'.
            z_random = self._global_normal(n, 1)
            fake_random = self.generator([real_a, z_random], training=True)
            mu_recovered, _ = self.encoder(fake_random, training=True)

            vae_real = self.discriminator_vae(real_b, training=True)
            vae_fake = self.discriminator_vae(fake_encoded, training=True)
            lr_real = self.discriminator_lr(real_b, training=True)
            lr_fake = self.discriminator_lr(fake_random, training=True)
            # The authors' least-squares terms: G wants 1, D wants real 1 and fake 0.
            g_gan = (losses.squared_distance(vae_fake, 1.0)
                     + losses.squared_distance(lr_fake, 1.0))
            d_loss = (losses.squared_distance(vae_real, 1.0)
                      + losses.squared_distance(vae_fake, 0.0)
                      + losses.squared_distance(lr_real, 1.0)
                      + losses.squared_distance(lr_fake, 0.0))
            pixel = losses.l1_distance(fake_encoded, real_b)
            kl = kl_divergence(mu, log_variance)
            latent = losses.l1_distance(mu_recovered, z_random)
            encoder_loss = g_gan + self.lambda_pixel * pixel + self.lambda_kl * kl
            # The latent regression trains G alone, as the authors' backward_G_alone.
            g_loss = encoder_loss + self.lambda_latent * latent
        self.minimize(tape, {"generator_optimizer": g_loss, "encoder_optimizer": encoder_loss,
                             "discriminator_optimizer": d_loss}, n)
        return self.finish_step({"d_loss": d_loss, "g_loss": g_loss, "g_gan": g_gan,
                                 "pixel": pixel, "kl": kl, "latent": latent})

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "base_filters": self.base_filters, "patch_layers": self.patch_layers,
                "norm": self.norm, "lambda_pixel": self.lambda_pixel,
                "lambda_latent": self.lambda_latent, "lambda_kl": self.lambda_kl}
