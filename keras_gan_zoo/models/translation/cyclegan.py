"""CycleGAN: unpaired image-to-image translation with cycle consistency.

Zhu, Park, Isola, Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", arXiv:1703.10593.

- two generators, a -> b and b -> a: Johnson et al.'s ResNet (c7s1-64, d128, d256,
  `num_blocks` residual blocks of 256 filters, u128, u64, c7s1-C), reflection
  padding, instance norm without affine terms, tanh output. 9 blocks at 256 px,
  6 at 128 (the paper's), 3 below;
- two PatchGAN discriminators (the pix2pix one, unconditional, instance norm),
  `discriminator_a` judges domain a, `discriminator_b` domain b;
- objective: least-squares GAN losses, `cycle_weight` (10) x L1 of a -> b -> a and
  b -> a -> b, `identity_weight` (0.5) x `cycle_weight` x L1 of each generator on
  its own output domain; each discriminator's loss halved; Adam(2e-4, 0.5), one
  optimizer for both generators and one for both discriminators, as in the authors'
  code; `LinearDecay` for the paper's 100 + 100 epochs;
- the discriminators see translations drawn from a pool of the last `pool_size`
  (50) generated images (Shrivastava et al. 2017), kept in the model's weights: a
  saved model resumes with its pool.

One train step computes both players' gradients from one forward pass. The
authors update the generators first, then the discriminators on the fakes of that
same forward pass, with their weights from before the step; neither gradient
depends on the other update, so the two orders train alike. Under float16 loss
scaling an overflow in either gradient skips the whole step.
"""

import keras
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.blocks import dcgan_init, instance_norm, pad_to_multiple
from keras_gan_zoo.models.replicas import global_rows, num_replicas
from keras_gan_zoo.models.translation.base import (UnpairedTranslationModel, check_int,
                                                   check_non_negative)
from keras_gan_zoo.models.translation.pix2pix import default_patch_layers, patch_discriminator
from keras_gan_zoo.layers import ReflectionPadding2D
from keras_gan_zoo.registry import register_model
from keras_gan_zoo.schedules import LinearDecay

DOWNSAMPLINGS = 2  # d128, d256


def default_num_blocks(image_shape):
    """Residual blocks for an image size: 9 from 256 px, 6 from 128 (the paper's), 3
    below (a 28x28 image is 7x7 after the two downsamplings)."""
    side = min(image_shape[:2])
    return 9 if side >= 256 else 6 if side >= 128 else 3


def resnet_generator(image_shape, output_channels=None, base_filters=64, num_blocks=9,
                     name="generator"):
    """Johnson et al.'s ResNet translator (CycleGAN's `resnet_9blocks` at 9 blocks):
    (B, H, W, C) in [-1, 1] -> (B, H, W, output_channels) in [-1, 1].

    Args:
        image_shape: (height, width, channels) of the input; a side that is not a
            multiple of 4 is reflect-padded to one and the output cropped back.
        output_channels: channels of the output; default the input's.
        base_filters: filters of the first layer (64).
        num_blocks: residual blocks at a quarter of the resolution (9 / 6).

    Reference:
        Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
        Super-Resolution", ECCV 2016, arXiv:1603.08155.
    """
    output_channels = output_channels or image_shape[-1]
    inputs = keras.Input(image_shape, name="images")
    h, crop = pad_to_multiple(inputs, image_shape, 2**DOWNSAMPLINGS)
    init = dcgan_init()

    def conv(h, filters, kernel, layer, strides=1, pad=None, use_bias=False):
        if pad:
            h = ReflectionPadding2D(pad, name=f"{layer}_pad")(h)
        return keras.layers.Conv2D(filters, kernel, strides=strides,
                                   padding="valid" if pad else "same", use_bias=use_bias,
                                   kernel_initializer=init, name=layer)(h)

    def norm_relu(h, layer):
        return keras.layers.ReLU(name=f"{layer}_act")(instance_norm(f"{layer}_norm")(h))

    h = norm_relu(conv(h, base_filters, 7, "c7s1", pad=3), "c7s1")
    for i in range(DOWNSAMPLINGS):
        layer = f"down{i}"
        h = norm_relu(conv(h, base_filters * 2 ** (i + 1), 3, layer, strides=2), layer)
    filters = base_filters * 2**DOWNSAMPLINGS
    for i in range(num_blocks):
        layer = f"res{i}"
        r = norm_relu(conv(h, filters, 3, f"{layer}a", pad=1), f"{layer}a")
        r = instance_norm(f"{layer}b_norm")(conv(r, filters, 3, f"{layer}b", pad=1))
        h = keras.layers.Add(name=f"{layer}_add")([h, r])
    for i in reversed(range(DOWNSAMPLINGS)):
        layer = f"up{i}"
        h = keras.layers.Conv2DTranspose(base_filters * 2**i, 3, strides=2, padding="same",
                                         use_bias=False, kernel_initializer=init,
                                         name=layer)(h)
        h = norm_relu(h, layer)
    h = conv(h, output_channels, 7, "out", pad=3, use_bias=True)
    outputs = crop(keras.layers.Activation("tanh", dtype="float32", name="tanh")(h))
    return keras.Model(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ImagePool(keras.layers.Layer):
    """A history of generated images for the discriminators (Shrivastava et al. 2017,
    arXiv:1612.07828; CycleGAN's `ImagePool`).

    Until the pool is full each image is stored and passed on; then each image,
    with probability 1/2, replaces a random stored one and the stored one is passed
    on instead, else it passes through. The pool is a (non-trainable) weight, so it
    is saved with the model. Under `tf.distribute` every replica runs the pool on the
    whole global batch (all-gathered) with the same random draws and takes its own
    rows: the pool stays identical on all replicas and equal to one device's.

    Args:
        pool_size: images kept (50 in the paper; 0 passes every image through).
        image_shape: (height, width, channels) of the images.
    """

    def __init__(self, pool_size, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = check_int(pool_size, "pool_size", minimum=0)
        self.image_shape = tuple(image_shape)
        self.images = self.add_weight(shape=(max(self.pool_size, 1), *self.image_shape),
                                      initializer="zeros", trainable=False, dtype="float32",
                                      aggregation="only_first_replica", name="images")
        self.stored = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                      dtype="int32", aggregation="only_first_replica",
                                      name="stored")
        self.built = True

    def query(self, images, seed):
        """Images for the discriminator, one per input, from `seed` (the same on every
        replica); updates the pool."""
        images = tf.cast(tf.stop_gradient(images), "float32")
        if self.pool_size == 0:
            return images
        offset, _ = global_rows(tf.shape(images)[0])
        local = tf.shape(images)[0]
        if num_replicas() > 1:
            images = tf.distribute.get_replica_context().all_gather(images, axis=0)
        total = tf.shape(images)[0]
        swap = tf.random.stateless_uniform((total,), seed) > 0.5
        slots = tf.random.stateless_uniform((total,), tf.random.experimental.stateless_fold_in(
            seed, 1), maxval=self.pool_size, dtype="int32")

        def body(i, pool, stored, out):
            image = images[i]
            filling = stored < self.pool_size
            slot = tf.where(filling, stored, slots[i])
            replace = tf.logical_or(filling, swap[i])
            old = pool[slot]
            chosen = tf.where(tf.logical_and(swap[i], tf.logical_not(filling)), old, image)
            pool = tf.where(replace, tf.tensor_scatter_nd_update(pool, [[slot]], image[None]),
                            pool)
            out = tf.tensor_scatter_nd_update(out, [[i]], chosen[None])
            return i + 1, pool, stored + tf.cast(filling, "int32"), out

        _, pool, stored, out = tf.while_loop(
            lambda i, *_: i < total, body,
            (tf.constant(0), tf.convert_to_tensor(self.images), tf.convert_to_tensor(self.stored),
             tf.zeros_like(images)))
        self.images.assign(pool)
        self.stored.assign(stored)
        return out[offset:offset + local]

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "image_shape": list(self.image_shape)}


@register_model("cyclegan", tiny=dict(image_shape=(16, 16, 1), base_filters=4, num_blocks=1,
                                      pool_size=4))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class CycleGAN(UnpairedTranslationModel):
    """CycleGAN (Zhu et al. 2017): two translators trained on unpaired images of
    two domains with least-squares GAN losses and cycle consistency.

    Batches are `(a, b)`: images of domain a and of domain b, not aligned
    (`kgz.datasets.load("fashion_mnist_sneaker_boot")`, `unpaired_folder`).

    Args:
        image_shape: (height, width, channels) of domain a's images.
        target_channels: channels of domain b's images; default a's. Different
            channels need `identity_weight=0` (the identity loss feeds b to a -> b).
        base_filters: filters of the first layer of every network (64).
        num_blocks: residual blocks of the generators; default by image size
            (`default_num_blocks`: 9 from 256 px, 6 from 128, 3 below).
        patch_layers: strided layers of the PatchGANs; default by image size (3 =
            70x70 patches from 128 px).
        cycle_weight: lambda of the cycle losses (10).
        identity_weight: the identity loss weight relative to `cycle_weight` (0.5).
        pool_size: generated images kept for the discriminators (50; 0 = none).
        domain_names: human names of domains a and b, e.g. `("sneaker", "ankle_boot")`.
        seed: integer seed of the pool's draws; `None` draws one.

    Example:
        >>> data = kgz.datasets.load("fashion_mnist_sneaker_boot", batch_size=1)
        >>> model = kgz.create_model("cyclegan", image_shape=(28, 28, 1),
        ...                          domain_names=data.domain_names)
        >>> model.compile(**model.decaying_optimizers(steps_per_epoch=len(data)))
        >>> model.fit(data, epochs=200)
        >>> boots = model.translate(sneakers)
        >>> sneakers_again = model.translate(boots, direction="b_to_a")

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017, arXiv:1703.10593.
    """

    def __init__(self, image_shape=(256, 256, 3), target_channels=None, base_filters=64,
                 num_blocks=None, patch_layers=None, cycle_weight=10.0, identity_weight=0.5,
                 pool_size=50, domain_names=None, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, target_channels=target_channels,
                         domain_names=domain_names, seed=seed, **kwargs)
        self.base_filters = check_int(base_filters, "base_filters")
        self.num_blocks = check_int(
            default_num_blocks(self.image_shape) if num_blocks is None else num_blocks,
            "num_blocks", minimum=0)
        self.patch_layers = default_patch_layers(self.image_shape) if patch_layers is None \
            else patch_layers
        if isinstance(self.patch_layers, bool) or not isinstance(self.patch_layers, int) or not (
                1 <= self.patch_layers <= 5):
            raise ValueError(f"patch_layers must be an int in [1, 5]; got {patch_layers!r}.")
        self.cycle_weight = check_non_negative(cycle_weight, "cycle_weight")
        self.identity_weight = check_non_negative(identity_weight, "identity_weight")
        if self.identity_weight and self.target_channels != self.image_shape[-1]:
            raise ValueError(
                f"identity_weight={identity_weight} feeds domain b's images to the a -> b "
                f"generator, so both domains need the same channels (a has "
                f"{self.image_shape[-1]}, b {self.target_channels}); pass identity_weight=0.")
        self.pool_size = check_int(pool_size, "pool_size", minimum=0)
        a, b = self.image_shape, self.target_shape
        self.generator_a_to_b = resnet_generator(a, b[-1], self.base_filters, self.num_blocks,
                                                 name="generator_a_to_b")
        self.generator_b_to_a = resnet_generator(b, a[-1], self.base_filters, self.num_blocks,
                                                 name="generator_b_to_a")
        self.discriminator_a = patch_discriminator(a, 0, self.base_filters, self.patch_layers,
                                                   norm="instance", name="discriminator_a")
        self.discriminator_b = patch_discriminator(b, 0, self.base_filters, self.patch_layers,
                                                   norm="instance", name="discriminator_b")
        self.pool_a = ImagePool(self.pool_size, a, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, b, name="pool_b")
        for name in ("d_loss", "g_loss", "g_gan", "cycle", "identity"):
            self.add_tracker(name)
        self.built = True

    def decaying_optimizers(self, steps_per_epoch, constant_epochs=100, decay_epochs=100,
                            learning_rate=2e-4):
        """The paper's optimizers with its schedule, for `compile(**...)`:
        Adam(beta_1=0.5) at `learning_rate` for `constant_epochs`, then linearly to 0
        over `decay_epochs` (`kgz.schedules.LinearDecay`)."""
        steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch")
        schedule = dict(initial_learning_rate=learning_rate,
                        constant_steps=check_int(constant_epochs, "constant_epochs", 0)
                        * steps_per_epoch,
                        decay_steps=check_int(decay_epochs, "decay_epochs", 0)
                        * steps_per_epoch)
        return {arg: keras.optimizers.Adam(LinearDecay(**schedule), beta_1=0.5)
                for arg in self.optimizer_networks}

    def train_step(self, data):
        real_a, real_b, n = self.training_images(data)
        with tf.GradientTape(persistent=True) as tape:
            fake_b, fake_a, cycled_a, cycled_b = self.round_trip(real_a, real_b)
            # The authors' LSGAN generator term, E[(D(G(x)) - 1)^2] (no 1/2).
            g_gan = (losses.squared_distance(self.discriminator_b(fake_b, training=True), 1.0)
                     + losses.squared_distance(self.discriminator_a(fake_a, training=True), 1.0))
            cycle = losses.l1_distance(cycled_a, real_a) + losses.l1_distance(cycled_b, real_b)
            g_loss = g_gan + self.cycle_weight * cycle
            identity = tf.zeros(())
            if self.identity_weight:
                identity = (
                    losses.l1_distance(self.generator_a_to_b(real_b, training=True), real_b)
                    + losses.l1_distance(self.generator_b_to_a(real_a, training=True), real_a))
                g_loss += self.identity_weight * self.cycle_weight * identity
            pooled_b = self.pool_b.query(fake_b, self.noise_seed(0, per_replica=False))
            pooled_a = self.pool_a.query(fake_a, self.noise_seed(1, per_replica=False))
            # Each D: (E[(D(real) - 1)^2] + E[D(pooled fake)^2]) / 2, as the authors'.
            d_loss = (losses.least_squares_d_loss(self.discriminator_b(real_b, training=True),
                                                  self.discriminator_b(pooled_b, training=True))
                      + losses.least_squares_d_loss(self.discriminator_a(real_a, training=True),
                                                    self.discriminator_a(pooled_a,
                                                                         training=True)))
        self.minimize(tape, {"generator_optimizer": g_loss, "discriminator_optimizer": d_loss}, n)
        return self.finish_step({"d_loss": d_loss, "g_loss": g_loss, "g_gan": g_gan,
                                 "cycle": cycle, "identity": identity})

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "num_blocks": self.num_blocks, "patch_layers": self.patch_layers,
                "cycle_weight": self.cycle_weight, "identity_weight": self.identity_weight,
                "pool_size": self.pool_size}

