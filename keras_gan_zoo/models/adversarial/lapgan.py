"""LAPGAN: a Laplacian pyramid of adversarial networks (Denton et al. 2015).

An image I is split into a Laplacian pyramid: a coarse image I_0 (at most 8x8 by
default) and band-pass residuals h_k = I_k - u(I_{k-1}) at each finer level k,
where I_k = d^(K-k)(I) are the images of the Gaussian pyramid, d halves and u
doubles the resolution. Each level has its own GAN:

- level 0: an unconditional GAN on the coarse images, G_0(z_0) -> I_0;
- level k > 0: a conditional GAN whose generator G_k(z_k, l_k) makes the
  residual h_k given the upsampled coarser image l_k = u(I_{k-1}); the image of
  level k is l_k + h_k. D_k judges (residual, l_k) pairs, adding l_k to the
  residual before its first convolution, as in the paper.

Training (as in the paper) trains every level on the real pyramid of the batch:
G_k is conditioned on the REAL coarse image, and the levels have disjoint
parameters, so the summed loss of one update trains them independently.
Sampling runs coarse to fine: I_0 = G_0(z_0), then I_k = u(I_{k-1}) + G_k(z_k,
u(I_{k-1})). `model.generator` is that whole chain, one Keras model from the
concatenated latent [z_0, z_1 plane, ..., z_K plane] to the final image; it is
what `generate`, `export_generator` and `SampleGrid` use.

Faithful to the paper: the pyramid structure and its training; the coarsest level
is the first at or below 8x8 (28 -> 14 -> 7, 32 -> 16 -> 8, 64 -> 32 -> 16 -> 8);
fully connected level-0 nets (G_0: two ReLU layers of 1200 units, D_0: two ReLU
layers of 600 units with dropout); convolutional G_k with 3 layers (7x7, 7x7,
5x5; 128 channels; ReLU; linear residual output) taking the noise as an extra
input plane next to l_k (a 4th "colour plane" for RGB), and D_k with 2
convolutional layers (5x5, the second strided; 128 channels; ReLU) then
dropout and a logit; z_0 ~ U(-1, 1)^100; cross-entropy GAN loss.

Different on purpose:
- d averages 2x2 blocks and u is bilinear (half-pixel centres); the paper blurs
  with a Gaussian before decimating. Both pyramids are exactly invertible by
  construction (the residual is defined by the same u).
- The generators' hidden layers are batch-normalized (`batch_norm=True`, over
  the global batch with float64 statistics that do not depend on how the batch is
  split across replicas: `GlobalBatchNormalization`); without it the coarse MLP
  GAN collapsed to one garment in our short CPU runs.
- Each level's image is clipped to [-1, 1] when sampling (real images of every
  level lie there, so this only removes out-of-range overshoot).
- Convolutions pad "same" (the reference code's D used valid convolutions,
  which tiny levels cannot afford).
- Adam(2e-4, beta_1=0.5) and the non-saturating generator loss instead of SGD
  with a momentum schedule and early stopping on a Parzen-window estimate.
- The levels are trained jointly, one summed update per step, rather than as
  separate runs; the result is the same because no parameter is shared.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.replicas import num_replicas
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.base import Unsaved
from keras_gan_zoo.registry import register_model

#: the paper stops halving when the coarse image is at most this many pixels across.
MAX_COARSE_SIDE = 8


# ----------------------------------------------------------------- pyramid ops
def downsample(images):
    """d(.): halves the resolution by averaging 2x2 blocks (float32)."""
    images = keras.ops.cast(images, "float32")
    return keras.ops.average_pool(images, pool_size=2, strides=2, padding="valid")


def upsample(images):
    """u(.): doubles the resolution with bilinear interpolation (float32)."""
    images = keras.ops.cast(images, "float32")
    shape = keras.ops.shape(images)
    return keras.ops.image.resize(images, (shape[1] * 2, shape[2] * 2),
                                  interpolation="bilinear")


def gaussian_pyramid(images, num_levels):
    """[I_0 (coarsest), ..., I_{K} = images] with I_{k-1} = d(I_k), float32."""
    levels = [keras.ops.cast(images, "float32")]
    for _ in range(num_levels - 1):
        levels.insert(0, downsample(levels[0]))
    return levels


def laplacian_pyramid(images, num_levels):
    """[I_0, h_1, ..., h_K]: the coarse image, then residuals h_k = I_k - u(I_{k-1}).

    Args:
        images: (batch, H, W, C); H and W divisible by 2^(num_levels - 1).
        num_levels: levels of the pyramid (the coarse image counts as one).

    Example:
        >>> coarse, *residuals = laplacian_pyramid(images, 3)   # 7x7, 14x14, 28x28
        >>> reconstruct([coarse, *residuals])                   # == images
    """
    gaussian = gaussian_pyramid(images, num_levels)
    return [gaussian[0]] + [
        fine - upsample(coarse) for coarse, fine in zip(gaussian[:-1], gaussian[1:])
    ]


def reconstruct(pyramid):
    """Inverts `laplacian_pyramid`: I_k = u(I_{k-1}) + h_k, coarse to fine."""
    image = keras.ops.cast(pyramid[0], "float32")
    for residual in pyramid[1:]:
        image = upsample(image) + keras.ops.cast(residual, "float32")
    return image


def num_pyramid_levels(image_shape, max_coarse_side=MAX_COARSE_SIDE):
    """Levels when halving until the larger side is at most `max_coarse_side`."""
    height, width = image_shape[0], image_shape[1]
    levels = 1
    while max(height, width) > max_coarse_side and height % 2 == 0 and width % 2 == 0:
        height, width = height // 2, width // 2
        levels += 1
    return levels


def _check_image_shape(image_shape):
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                   for d in image_shape)
    ):
        raise ValueError(
            f"image_shape must be (height, width, channels) positive ints; got {image_shape!r}."
        )
    return tuple(image_shape)


def level_shapes(image_shape, num_levels):
    """Image shapes of the pyramid's levels, coarse to fine."""
    height, width, channels = image_shape
    factor = 2 ** (num_levels - 1)
    if height % factor or width % factor:
        raise ValueError(
            f"LAPGAN with num_levels={num_levels} needs height and width divisible by "
            f"{factor}; got image_shape {tuple(image_shape)}."
        )
    return tuple(
        (height // 2 ** (num_levels - 1 - k), width // 2 ** (num_levels - 1 - k), channels)
        for k in range(num_levels)
    )


# ------------------------------------------------------------------ layers
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SplitLatents(keras.layers.Layer):
    """Splits the concatenated latent into z_0 and one noise plane per finer level."""

    def __init__(self, coarse_dim, plane_shapes, **kwargs):
        super().__init__(**kwargs)
        self.coarse_dim = int(coarse_dim)
        self.plane_shapes = [tuple(int(d) for d in s) for s in plane_shapes]

    def call(self, latents):
        outputs = [latents[:, : self.coarse_dim]]
        start = self.coarse_dim
        for height, width in self.plane_shapes:
            stop = start + height * width
            outputs.append(keras.ops.reshape(latents[:, start:stop], (-1, height, width, 1)))
            start = stop
        return outputs

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        return [(batch, self.coarse_dim)] + [(batch, h, w, 1) for h, w in self.plane_shapes]

    def get_config(self):
        return {**super().get_config(), "coarse_dim": self.coarse_dim,
                "plane_shapes": [list(s) for s in self.plane_shapes]}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ClipImages(keras.layers.Layer):
    """Clips images to [-1, 1], the range of every level of a real pyramid."""

    def call(self, images):
        return keras.ops.clip(images, -1.0, 1.0)

    def compute_output_shape(self, input_shape):
        return input_shape


# ---------------------------------------------------------------- networks
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class GlobalBatchNormalization(keras.layers.BatchNormalization):
    """Batch norm over the GLOBAL batch whose statistics do not depend on its split.

    Like `keras.layers.BatchNormalization(synchronized=True)`, the mean and variance
    are those of the global batch under a `tf.distribute` strategy (sums all-reduced
    across replicas). Unlike it, each example's sums of x and x^2 (over height and
    width) are taken in float32 by themselves, the same computation whatever batch the
    example sits in, and only their sum over the batch, the one part whose order
    depends on the split, is accumulated in float64; mean and variance are formed in
    float64 and rounded to float32 once. So the statistics come out the same whether
    the batch is summed on one device or as per-replica partial sums, instead of
    differing in the last bits with the summation order, for about the cost of
    Keras' own one-pass E[x^2] - E[x]^2.

    Why LAPGAN needs it: its many ReLU units (every level's discriminator has no
    normalization) make training a chaotic function of those last bits. In the
    MirroredStrategy equality test, a pre-activation of -1.3e-7 on one device was
    +7.8e-8 on two replicas; the flipped ReLU changed the finest generator's gradient
    by ~1.5% and Adam turned that into weight differences of 1.5e-4. With statistics
    independent of the split, such flips no longer come from the batch norm.

    Masks fall back to Keras' implementation.
    """

    def _moments(self, inputs, mask):
        if mask is not None:
            return super()._moments(inputs, mask)
        inner = [axis for axis in self._reduction_axes if axis != 0]
        x = tf.cast(inputs, tf.float32)

        def batch_sum(values):
            per_example = tf.reduce_sum(values, axis=inner) if inner else values
            return tf.reduce_sum(tf.cast(per_example, tf.float64), axis=0)

        count = tf.cast(tf.reduce_prod(tf.gather(tf.shape(x), self._reduction_axes)),
                        tf.float64)
        total, squares = batch_sum(x), batch_sum(tf.square(x))
        if num_replicas() > 1:
            context = tf.distribute.get_replica_context()
            total, squares, count = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                                       [total, squares, count])
        mean = total / count
        variance = tf.maximum(squares / count - tf.square(mean), 0.0)
        mean, variance = tf.cast(mean, tf.float32), tf.cast(variance, tf.float32)
        return tf.cast(mean, inputs.dtype), tf.cast(variance, inputs.dtype)


def _batch_norm(name):
    return GlobalBatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True, name=name)


def lapgan_coarse_generator(latent_dim, image_shape, units=1200, batch_norm=True):
    """G_0: z_0 -> coarse image; two ReLU layers of `units`, tanh output.

    With `batch_norm`, each hidden layer is batch-normalized before its ReLU.
    """
    z = keras.Input((latent_dim,), name="z0")
    x = z
    for i in (1, 2):
        x = keras.layers.Dense(units, use_bias=not batch_norm, name=f"hidden{i}")(x)
        if batch_norm:
            x = _batch_norm(f"hidden{i}_bn")(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Dense(math.prod(image_shape), name="to_pixels")(x)
    x = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    images = keras.layers.Reshape(image_shape, dtype="float32", name="image")(x)
    return keras.Model(z, images, name="g_level0")


def lapgan_coarse_discriminator(image_shape, units=600, dropout=0.5):
    """D_0: coarse image -> logit; two ReLU layers of `units` with dropout."""
    images = keras.Input(image_shape, name="image")
    x = keras.layers.Flatten()(images)
    for i in (1, 2):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    logits = keras.layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(images, logits, name="d_level0")


def lapgan_level_generator(image_shape, filters=128, level=1, batch_norm=True):
    """G_k(z_k, l_k) -> residual h_k: three 'same' convolutions (7x7, 7x7, 5x5).

    The noise plane z_k (H, W, 1) is concatenated to l_k as an extra channel.
    The residual is linear (band-pass values are not bounded to [-1, 1]). With
    `batch_norm`, the hidden convolutions are batch-normalized before their ReLU.
    """
    height, width, channels = image_shape
    noise = keras.Input((height, width, 1), name="noise")
    condition = keras.Input(image_shape, name="condition")
    x = keras.layers.Concatenate(name="noise_plane")([condition, noise])
    for i in (1, 2):
        x = keras.layers.Conv2D(filters, 7, padding="same", use_bias=not batch_norm,
                                name=f"conv{i}")(x)
        if batch_norm:
            x = _batch_norm(f"conv{i}_bn")(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(channels, 5, padding="same", name="to_residual")(x)
    residual = keras.layers.Activation("linear", dtype="float32", name="residual")(x)
    return keras.Model([noise, condition], residual, name=f"g_level{level}")


def lapgan_level_discriminator(image_shape, filters=128, dropout=0.5, level=1):
    """D_k(h, l_k) -> logit: adds l_k to the residual, then two 5x5 convolutions."""
    residual = keras.Input(image_shape, name="residual")
    condition = keras.Input(image_shape, name="condition")
    x = keras.layers.Add(name="add_condition")([residual, condition])
    x = keras.layers.Conv2D(filters, 5, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.Conv2D(filters, 5, strides=2, padding="same", activation="relu",
                            name="conv2")(x)
    x = keras.layers.Flatten()(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    logits = keras.layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model([residual, condition], logits, name=f"d_level{level}")


def lapgan_networks(image_shape, num_levels, coarse_latent_dim=100, coarse_units=1200,
                    coarse_d_units=600, level_filters=128, dropout=0.5, batch_norm=True):
    """Builds the whole sampling chain and the joint discriminator.

    Returns:
        `(generator, pyramid_generator, discriminator)`: `generator` maps the
        concatenated latent to the final image; `pyramid_generator` (the same
        layers) to the list of every level's image, coarse to fine; `discriminator`
        takes `[I_0, h_1, l_1, ..., h_K, l_K]` and returns one logit per level.
    """
    shapes = level_shapes(image_shape, num_levels)
    latent_dim = coarse_latent_dim + sum(h * w for h, w, _ in shapes[1:])
    z = keras.Input((latent_dim,), name="z")
    parts = SplitLatents(coarse_latent_dim, [s[:2] for s in shapes[1:]], dtype="float32",
                         name="split_latents")(z)
    image = lapgan_coarse_generator(coarse_latent_dim, shapes[0], coarse_units,
                                    batch_norm)(parts[0])
    images = [image]
    for k in range(1, num_levels):
        condition = keras.layers.UpSampling2D(2, interpolation="bilinear", dtype="float32",
                                              name=f"upsample{k}")(image)
        residual = lapgan_level_generator(shapes[k], level_filters, k,
                                          batch_norm)([parts[k], condition])
        image = keras.layers.Add(dtype="float32", name=f"add_residual{k}")([condition, residual])
        image = ClipImages(dtype="float32", name=f"clip{k}")(image)
        images.append(image)
    generator = keras.Model(z, image, name="generator")
    pyramid_generator = keras.Model(z, images, name="pyramid_generator")

    d_inputs = [keras.Input(shapes[0], name="level0_image")]
    d_outputs = [lapgan_coarse_discriminator(shapes[0], coarse_d_units, dropout)(d_inputs[0])]
    for k in range(1, num_levels):
        residual = keras.Input(shapes[k], name=f"level{k}_residual")
        condition = keras.Input(shapes[k], name=f"level{k}_condition")
        d_inputs += [residual, condition]
        d_outputs.append(
            lapgan_level_discriminator(shapes[k], level_filters, dropout, k)([residual, condition])
        )
    discriminator = keras.Model(d_inputs, d_outputs, name="discriminator")
    return generator, pyramid_generator, discriminator


# ------------------------------------------------------------------- model
@register_model(
    "lapgan",
    tiny=dict(image_shape=(16, 16, 1), num_levels=3, coarse_latent_dim=8, coarse_units=16,
              coarse_d_units=8, level_filters=4, dropout=0.0),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class LAPGAN(AdversarialModel):
    """Laplacian pyramid GAN: a coarse GAN plus one conditional GAN per finer level.

    The latent of `generate`, `export_generator` and `model.generator` is the
    concatenation `[z_0 (coarse_latent_dim), z_1 (H_1*W_1), ..., z_K (H*W)]`: the
    coarse GAN's vector, then one noise plane per finer level, flattened row-major.
    `model.latent_dim` is its total size (28x28 with 3 levels: 100 + 196 + 784).

    Args:
        image_shape: (height, width, channels), e.g. (28, 28, 1) or (32, 32, 3).
        num_levels: pyramid levels including the coarse one; `None` halves until
            the image is at most 8 pixels across (28 -> 14 -> 7: 3 levels).
        coarse_latent_dim: size of z_0 (100).
        coarse_units: hidden units of G_0 (1200).
        coarse_d_units: hidden units of D_0 (600).
        level_filters: channels of the convolutional G_k and D_k (128).
        dropout: dropout rate of every discriminator (0.5).
        batch_norm: batch-normalize the generators' hidden layers (over the global
            batch, `GlobalBatchNormalization`). Not in the paper's CIFAR-10 nets; on by default
            because without it the coarse MLP GAN collapsed in our short CPU runs.
        latent_distribution: `"uniform"` (U(-1, 1), the paper's) or `"normal"`.
        latent_dim: optional; if given it must equal the total latent size (it is
            in the config so that `from_config` checks it).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `seed`, `name`).

    Example:
        >>> model = keras_gan_zoo.create_model("lapgan", image_shape=(28, 28, 1))
        >>> model.compile()
        >>> model.fit(keras_gan_zoo.datasets.load("fashion_mnist"), epochs=5)
        >>> images = model.generate(16, seed=0)                 # (16, 28, 28, 1)
        >>> coarse, middle, fine = model.generate_pyramid(16, seed=0)

    Reference:
        Denton, Chintala, Szlam & Fergus, Deep Generative Image Models using a
        Laplacian Pyramid of Adversarial Networks, arXiv:1506.05751.
    """

    supports_label_smoothing = True  # every level's D uses sigmoid cross-entropy
    supports_diff_augment = False  # its D sees pyramid levels, not images

    def __init__(self, image_shape=(28, 28, 1), num_levels=None, coarse_latent_dim=100,
                 coarse_units=1200, coarse_d_units=600, level_filters=128, dropout=0.5,
                 batch_norm=True, latent_distribution="uniform", latent_dim=None, **kwargs):
        image_shape = _check_image_shape(image_shape)
        if kwargs.get("feature_matching") not in (None, False):
            raise ValueError(
                "LAPGAN does not support feature_matching: its discriminator is one network "
                "per pyramid level, with no single feature layer to match. Use "
                "label_smoothing or historical_averaging, or feature_matching=None."
            )
        if num_levels is None:
            num_levels = num_pyramid_levels(image_shape)
        if isinstance(num_levels, bool) or not isinstance(num_levels, int) or num_levels < 2:
            raise ValueError(
                f"num_levels must be an int >= 2 (a coarse level and at least one residual "
                f"level) or None; got {num_levels!r}. Images that do not halve at least once "
                f"(e.g. odd sizes) cannot form a pyramid."
            )
        for name, value in (("coarse_latent_dim", coarse_latent_dim),
                            ("coarse_units", coarse_units),
                            ("coarse_d_units", coarse_d_units),
                            ("level_filters", level_filters)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}.")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
        shapes = level_shapes(image_shape, num_levels)
        total = coarse_latent_dim + sum(h * w for h, w, _ in shapes[1:])
        if latent_dim is not None and latent_dim != total:
            raise ValueError(
                f"LAPGAN's latent_dim is the size of the concatenated latent of all levels, "
                f"{coarse_latent_dim} + noise planes = {total} for image_shape "
                f"{image_shape} with {num_levels} levels; got latent_dim={latent_dim!r}. "
                "Set coarse_latent_dim for the size of z_0."
            )
        generator, pyramid_generator, discriminator = lapgan_networks(
            image_shape, num_levels, coarse_latent_dim, coarse_units, coarse_d_units,
            level_filters, dropout, bool(batch_norm))
        super().__init__(generator=generator, discriminator=discriminator, latent_dim=total,
                         latent_distribution=latent_distribution, **kwargs)
        self.num_levels = num_levels
        self.coarse_latent_dim = coarse_latent_dim
        self.coarse_units = coarse_units
        self.coarse_d_units = coarse_d_units
        self.level_filters = level_filters
        self.dropout = float(dropout)
        self.batch_norm = bool(batch_norm)
        self._shapes = shapes
        # The pyramid model shares every layer with `generator`; a closure keeps it out
        # of Keras' attribute tracking so its weights are saved once, with `generator`.
        self._pyramid_fn = lambda z: pyramid_generator(z, training=False)
        for prefix in ("d", "g"):
            for k in range(num_levels):
                self.add_tracker(f"{prefix}_level{k}")

    # ------------------------------------------------------------ pyramid
    @property
    def level_shapes(self):
        """Image shape of every level, coarse to fine."""
        return [tuple(s) for s in self._shapes]

    def decompose(self, images):
        """Real pyramid of a batch: `(levels, conditions)`, float32.

        `levels` is `[I_0, h_1, ..., h_K]` (coarse image, then residuals);
        `conditions` is `[l_1, ..., l_K]` with `l_k = u(I_{k-1})`, so that
        `I_k = l_k + h_k`.
        """
        gaussian = gaussian_pyramid(images, self.num_levels)
        conditions = [upsample(coarse) for coarse in gaussian[:-1]]
        residuals = [fine - cond for fine, cond in zip(gaussian[1:], conditions)]
        return [gaussian[0], *residuals], conditions

    def _sizes(self):
        return [math.prod(s) for s in self._shapes]

    def _pack(self, levels, conditions):
        """One (batch, n) float32 tensor of levels and conditions.

        The base's training step treats the fake batch as one tensor (it stops
        gradients on it for the discriminator update); this packs the structure.
        """
        flat = [keras.ops.reshape(keras.ops.cast(t, "float32"), (-1, math.prod(t.shape[1:])))
                for t in (*levels, *conditions)]
        return keras.ops.concatenate(flat, axis=1)

    def _unpack(self, packed):
        sizes = self._sizes()
        shapes = [*self._shapes, *self._shapes[1:]]
        splits = np.cumsum([*sizes, *sizes[1:]])[:-1].tolist()
        parts = keras.ops.split(packed, splits, axis=1)
        tensors = [keras.ops.reshape(p, (-1, *s)) for p, s in zip(parts, shapes)]
        return tensors[: self.num_levels], tensors[self.num_levels:]

    def _discriminate(self, levels, conditions, training):
        inputs = [levels[0]]
        for residual, condition in zip(levels[1:], conditions):
            inputs += [residual, condition]
        return self.discriminator(inputs, training=training)

    def call_discriminator(self, images, labels=None, training=False):
        """Per-level logits of images: D_0 on the coarse image, D_k on (h_k, l_k)."""
        levels, conditions = self.decompose(images)
        return self._discriminate(levels, conditions, training)

    def r1_logits(self, images, labels=None):
        """Every level's logits side by side, (B, num_levels): R1 (`r1_gamma=`)
        penalizes the input gradient of their sum, the whole pyramid's."""
        logits = self.call_discriminator(images, labels, training=True)
        return tf.concat([tf.reshape(tf.cast(l, "float32"), [tf.shape(l)[0], -1])
                          for l in logits], axis=1)

    # ----------------------------------------------------------- training
    def level_generator(self, level):
        """The sub-network G_level (a `keras.Model` inside `generator`)."""
        return self.generator.get_layer(f"g_level{level}")

    def level_discriminator(self, level):
        """The sub-network D_level (a `keras.Model` inside `discriminator`)."""
        return self.discriminator.get_layer(f"d_level{level}")

    def split_latents(self, latents):
        """[z_0, noise plane 1, ..., noise plane K] of concatenated latents."""
        return self.generator.get_layer("split_latents")(latents)

    def training_fakes(self, real_images, latents, labels):
        """Fakes of every level, conditioned on the real pyramid of the batch.

        Returns one packed tensor holding `[G_0(z_0), G_1(z_1, l_1), ...,
        G_K(z_K, l_K)]` and the real conditions `[l_1, ..., l_K]`.
        """
        levels, conditions = self.decompose(real_images)
        parts = self.split_latents(latents)
        fakes = [self.level_generator(0)(parts[0], training=True)]
        for k in range(1, self.num_levels):
            fakes.append(self.level_generator(k)([parts[k], conditions[k - 1]], training=True))
        return self._pack(fakes, conditions)

    def discriminator_objective(self, real_images, fake_images, labels, latents=None):
        """Sum of the levels' losses, each reported as `d_level<k>`."""
        real_levels, real_conditions = self.decompose(real_images)
        fake_levels, fake_conditions = self._unpack(fake_images)
        real_logits = self._discriminate(real_levels, real_conditions, True)
        fake_logits = self._discriminate(fake_levels, fake_conditions, True)
        terms = {
            f"d_level{k}": losses.nonsaturating_d_loss(r, f, real_label=self.real_label)
            for k, (r, f) in enumerate(zip(real_logits, fake_logits))
        }
        return tf.zeros((), "float32"), terms

    def generator_objective(self, fake_images, latents, labels, real_images=None):
        """Sum of the levels' non-saturating losses, each reported as `g_level<k>`."""
        fake_levels, conditions = self._unpack(fake_images)
        fake_logits = self._discriminate(fake_levels, conditions, True)
        terms = {f"g_level{k}": losses.nonsaturating_g_loss(f)
                 for k, f in enumerate(fake_logits)}
        return tf.zeros((), "float32"), terms

    # ----------------------------------------------------------- sampling
    def generate_pyramid(self, n, seed=None, latents=None, batch_size=256, use_ema=True):
        """Samples every level's images, coarse to fine.

        Args:
            n: number of samples.
            seed: seed of the latents; the same seed as `generate` gives the same
                samples, and the last level equals `generate(n, seed)`.
            latents: explicit latents (n, latent_dim) instead of a seed.
            batch_size: samples per call.
            use_ema: with a generator EMA, sample from the EMA weights (default, as
                `generate`) or, with False, from the trained generator.

        Returns:
            A list of `num_levels` float32 arrays in [-1, 1], shapes
            `level_shapes` (e.g. 7x7, 14x14, 28x28).
        """
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive int; got {n!r}.")
        latents = self._latents_for(n, latents, seed)
        network = self._sampling_generator(use_ema)
        pyramid = self._pyramid_fn if network is self.generator else self._pyramid_of(network)
        chunks = [[] for _ in range(self.num_levels)]
        for i in range(0, n, batch_size):
            for level, images in enumerate(pyramid(latents[i : i + batch_size])):
                chunks[level].append(
                    keras.ops.convert_to_numpy(keras.ops.cast(images, "float32")))
        return [np.concatenate(c, axis=0) for c in chunks]

    def _pyramid_of(self, network):
        """`pyramid(z)` of a copy of the generator (the EMA generator): the coarse
        image (the input of its `upsample1`) and every `clip<k>` output, sharing the
        copy's layers. Built once per copy."""
        cached = getattr(self, "_copy_pyramid", None)
        if cached is None or cached.network is not network:
            levels = [network.get_layer("upsample1").input]
            levels += [network.get_layer(f"clip{k}").output for k in range(1, self.num_levels)]
            model = keras.Model(network.input, levels, name="pyramid_generator")
            cached = self._copy_pyramid = Unsaved(
                network=network, fn=lambda z: model(z, training=False))
        return cached.fn

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "num_levels": self.num_levels,
            "coarse_latent_dim": self.coarse_latent_dim,
            "coarse_units": self.coarse_units,
            "coarse_d_units": self.coarse_d_units,
            "level_filters": self.level_filters,
            "dropout": self.dropout,
            "batch_norm": self.batch_norm,
        }
