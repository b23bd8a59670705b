"""ProGAN: progressive growing of GANs (Karras, Aila, Laine & Lehtinen 2018).

Both networks start at 4x4 and grow by one resolution at a time; each new block is
faded in linearly while the previous resolution's output fades out. Trained as
WGAN-GP with a drift term, with equalized learning rate, pixelwise feature
normalization in the generator and a minibatch-stddev layer in the discriminator.

Static shapes (the official code's `structure='linear'`). Both networks are built
once at full resolution and take a level of detail `lod` as a second input: `lod =
max_lod` (= log2(side) - 2) is 4x4, `lod = 0` the full resolution, a fraction a fade
between two resolutions. The generator's toRGB output of every resolution is
upsampled (nearest neighbour) into the next one and blended with it, `(1 - t) *
rgb_r + t * up(previous)` with `t = clip(lod - level_r, 0, 1)`; the discriminator
blends its fromRGB inputs of consecutive resolutions the same way. One graph covers
every phase (no retracing at a phase boundary, XLA / TPU friendly); blocks above the
current resolution are computed and multiplied by 0 (at 32x32 their cost is small;
at 1024x1024 early phases pay for the whole network).

The schedule is driven from `fit` by the model's own counter of real images,
`images_seen` (int64, saved with the model, incremented by the GLOBAL batch of every
step, so partial final batches and replicas count exactly): `stable_images` at each
resolution, then `fade_images` to fade in the next (the paper: 800k each). `lod` is
computed in the graph from `images_seen` at the start of each step, the real images
are brought to that level of detail (the official `process_reals`: box-downscaled to
the current resolution, blended with the next coarser one during a fade, upscaled
back to full size), and the discriminator, the generator and the gradient penalty
all see the same `lod`. A model resumed from a `.keras` file is at the exact point of
the schedule where it was saved. Adam's state is reset whenever the phase changes
(the official `reset_opt_for_new_lod`), decided in the graph from a saved phase
variable. `fit`'s logs report `lod`.

Faithful to the paper and the official code (`networks.G_paper` / `D_paper`, `loss.
D_wgangp_acgan`, `train.py`): latent 512 with pixel norm, a dense 4x4 projection
(gain sqrt(2) / 4, one bias per channel), 3x3 convolutions with LeakyReLU(0.2) and
pixel norm after each, 1x1 linear toRGB; fromRGB 1x1 with LeakyReLU, two 3x3
convolutions and a 2x2 average pooling per resolution, a 4x4 block of minibatch
stddev (group 4), a 3x3 convolution, a dense layer and a linear logit; feature maps
`min(base_filters / 2**stage, max_filters)` (fmap_base 8192, fmap_max 512: 23.08M
parameters in each network at 1024x1024, the paper's 23.1M); WGAN-GP with lambda = 10
and drift `0.001 E[D(x)^2]`; Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8) for both;
an EMA of the generator with beta 0.999 (`ema_beta`, the official `G_smoothing`),
which `generate` and `export_generator` use.

Different on purpose (docs/models/progan.md): separate upsample / downsample layers
instead of the official fused ones at high resolution (same parameters); the
minibatch-stddev groups are consecutive examples rather than strided (so N replicas
compute what one device does); `lod` is updated every step, not every 4 minibatches;
no per-resolution batch sizes or learning rates; the generator update reuses the last
discriminator update's fakes (the zoo's base); images are clipped to [-1, 1] outside
training (the official generator is linear and clips when it writes images).
"""

import math
import numbers

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.layers import (ChannelBias, EqualizedConv2D, EqualizedDense, MinibatchStdDev,
                                  PixelNorm)
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.adversarial.wgan_gp import GradientPenaltyDraws
from keras_gan_zoo.models.blocks import (check_feature_maps, check_minibatch_stddev_batch,
                                         feature_maps, resolution_log2)
from keras_gan_zoo.models.optimizers import inner_optimizer
from keras_gan_zoo.models.replicas import global_rows
from keras_gan_zoo.registry import register_model

#: the paper's images per phase (appendix A.1): 800k to stabilize, 800k to fade in.
PAPER_PHASE_IMAGES = 800_000


# ------------------------------------------------------------------------ layers
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class LodFade(keras.layers.Layer):
    """The fade between two resolutions at a level of detail (ProGAN's `lerp_clip`).

    `[high, low, lod] -> (1 - t) * high + t * low` with `t = clip(lod - level, 0, 1)`
    per example: `high` is the output of the resolution at `level` (0 = full size),
    `low` the coarser resolution's, brought to the same size. `t` is exactly 0 or 1
    outside the fade, so the other input then has no effect at all.

    Args:
        level: the level of detail of `high` (log2(full side / its side)).

    Input: `[high, low, lod]`, `high` and `low` of the same shape (B, ...), `lod` (B,).
    The fade weight is computed in float32 whatever the dtype policy.
    """

    def __init__(self, level, **kwargs):
        kwargs.pop("autocast", None)
        super().__init__(autocast=False, **kwargs)
        if isinstance(level, bool) or not isinstance(level, numbers.Integral) or level < 0:
            raise ValueError(f"LodFade: level must be an int >= 0; got {level!r}.")
        self.level = int(level)

    def call(self, inputs):
        high, low, lod = inputs
        dtype = self.compute_dtype
        t = tf.clip_by_value(tf.cast(lod, "float32") - float(self.level), 0.0, 1.0)
        t = tf.reshape(t, [-1] + [1] * (len(high.shape) - 1))
        return (tf.cast(1.0 - t, dtype) * tf.cast(high, dtype)
                + tf.cast(t, dtype) * tf.cast(low, dtype))

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "level": self.level}


# ---------------------------------------------------------------------- networks
def _tag(res):
    return f"{2 ** res}x{2 ** res}"


def _act_norm(x, name, pixel_norm=True):
    x = keras.layers.LeakyReLU(negative_slope=0.2, name=f"{name}_lrelu")(x)
    return PixelNorm(name=f"{name}_pixel_norm")(x) if pixel_norm else x


def progan_generator(latent_dim, image_shape, base_filters=8192, max_filters=512):
    """The generator of the paper (official `G_paper`, `structure='linear'`).

    Inputs `[z, lod]`: latents (B, latent_dim) and the level of detail (B,). Output:
    (B, side, side, channels) float32, linear (not squashed): the toRGB output of each
    resolution faded into the next by `LodFade` (nearest-neighbour upsampling).

    Args:
        latent_dim: size of z (512 in the paper).
        image_shape: (side, side, channels), side a power of two >= 8.
        base_filters: fmap_base (8192); `max_filters`: fmap_max (512). The block at
            resolution 2**r has `feature_maps(r - 1)` channels.
    """
    r_max = resolution_log2(image_shape, "ProGAN")
    channels = image_shape[-1]

    def nf(stage):
        return feature_maps(stage, base_filters, max_filters)

    z = keras.Input((latent_dim,), name="z")
    lod = keras.Input((), name="lod")
    x = PixelNorm(name="latent_norm")(z)
    # gain sqrt(2)/4 as the official code ("to match the original Theano
    # implementation"); its bias is per channel, after the reshape.
    x = EqualizedDense(nf(1) * 16, gain=math.sqrt(2.0) / 4.0, use_bias=False,
                       name="dense_4x4")(x)
    x = keras.layers.Reshape((4, 4, nf(1)), name="reshape_4x4")(x)
    x = _act_norm(ChannelBias(name="dense_bias_4x4")(x), "dense_4x4")
    x = _act_norm(EqualizedConv2D(nf(1), 3, name="conv_4x4")(x), "conv_4x4")
    images = EqualizedConv2D(channels, 1, gain=1.0, dtype="float32", name="to_rgb_4x4")(x)
    for res in range(3, r_max + 1):
        tag = _tag(res)
        x = keras.layers.UpSampling2D(2, name=f"upsample_{tag}")(x)
        x = _act_norm(EqualizedConv2D(nf(res - 1), 3, name=f"conv0_{tag}")(x), f"conv0_{tag}")
        x = _act_norm(EqualizedConv2D(nf(res - 1), 3, name=f"conv1_{tag}")(x), f"conv1_{tag}")
        rgb = EqualizedConv2D(channels, 1, gain=1.0, dtype="float32", name=f"to_rgb_{tag}")(x)
        images = keras.layers.UpSampling2D(2, dtype="float32", name=f"upsample_rgb_{tag}")(
            images)
        images = LodFade(r_max - res, dtype="float32", name=f"fade_{tag}")([rgb, images, lod])
    return keras.Model([z, lod], images, name="generator")


def progan_discriminator(image_shape, base_filters=8192, max_filters=512, mbstd_group_size=4):
    """The discriminator of the paper (official `D_paper`, `structure='linear'`).

    Inputs `[images, lod]`: (B, side, side, channels) and the level of detail (B,).
    Output: float32 logits (B, 1), linear (a Wasserstein critic). The fromRGB input of
    each resolution is faded into the features coming from the resolution above it.

    Args:
        image_shape: (side, side, channels), side a power of two >= 8.
        base_filters, max_filters: fmap_base / fmap_max, as for the generator.
        mbstd_group_size: group size of the minibatch-stddev layer (4); 0 disables it.
    """
    r_max = resolution_log2(image_shape, "ProGAN")

    def nf(stage):
        return feature_maps(stage, base_filters, max_filters)

    def from_rgb(img, res):
        tag = _tag(res)
        return _act_norm(EqualizedConv2D(nf(res - 1), 1, name=f"from_rgb_{tag}")(img),
                         f"from_rgb_{tag}", pixel_norm=False)

    images = keras.Input(tuple(image_shape), name="images")
    lod = keras.Input((), name="lod")
    img = images
    x = from_rgb(img, r_max)
    for res in range(r_max, 2, -1):
        tag = _tag(res)
        x = _act_norm(EqualizedConv2D(nf(res - 1), 3, name=f"conv0_{tag}")(x),
                      f"conv0_{tag}", pixel_norm=False)
        x = _act_norm(EqualizedConv2D(nf(res - 2), 3, name=f"conv1_{tag}")(x),
                      f"conv1_{tag}", pixel_norm=False)
        x = keras.layers.AveragePooling2D(2, name=f"downsample_{tag}")(x)
        img = keras.layers.AveragePooling2D(2, name=f"downsample_rgb_{tag}")(img)
        x = LodFade(r_max - res, name=f"fade_{tag}")([x, from_rgb(img, res - 1), lod])
    if mbstd_group_size:
        x = MinibatchStdDev(mbstd_group_size, grouping="consecutive",
                            name="minibatch_stddev_4x4")(x)
    x = _act_norm(EqualizedConv2D(nf(1), 3, name="conv_4x4")(x), "conv_4x4", pixel_norm=False)
    x = keras.layers.Flatten(name="flatten_4x4")(x)
    x = _act_norm(EqualizedDense(nf(0), name="dense_4x4")(x), "dense_4x4", pixel_norm=False)
    logits = EqualizedDense(1, gain=1.0, dtype="float32", name="logit")(x)
    return keras.Model([images, lod], logits, name="discriminator")


# --------------------------------------------------------------------- schedule
def lod_at_images(images, max_lod, stable_images, fade_images):
    """The level of detail after `images` real images (the official TrainingSchedule).

    Phase k (k = 0, 1, ...) lasts `stable_images + fade_images` images: `lod = max_lod -
    k` while it stabilizes, then falls linearly by 1 while the next resolution fades
    in; never below 0. A float32 value, as the graph computes it.
    """
    phase, within = divmod(int(images), stable_images + fade_images)
    lod = float(max_lod) - float(phase) - max(within - stable_images, 0) / float(fade_images)
    return float(np.float32(max(lod, 0.0)))


def _lod_graph(images, max_lod, stable_images, fade_images):
    """`lod_at_images` in TensorFlow ops, from an int64 count (same float64 arithmetic)."""
    images = tf.cast(images, "int64")
    period = tf.constant(stable_images + fade_images, "int64")
    phase = images // period
    fading = tf.maximum(images - phase * period - stable_images, 0)
    lod = (tf.constant(float(max_lod), "float64") - tf.cast(phase, "float64")
           - tf.cast(fading, "float64") / float(fade_images))
    return tf.cast(tf.maximum(lod, 0.0), "float32")


def _phase_key(lod):
    """floor(lod) + ceil(lod): changes exactly when the official code resets Adam
    (`floor` or `ceil` of the lod changed), int64."""
    return tf.cast(tf.floor(lod) + tf.math.ceil(lod), "int64")


def _upscale(x, factor):
    """Nearest-neighbour upscaling of (B, H, W, C) by an int factor (static shapes)."""
    if factor == 1:
        return x
    return tf.repeat(tf.repeat(x, factor, axis=1), factor, axis=2)


def _reset_if(condition, variables):
    """Sets `variables` to zero when the scalar bool `condition` (the same on every
    replica) holds. Optimizer slots are mirrored without an aggregation, so under
    MirroredStrategy the branch runs in the cross-replica context (`apply_if`'s way)."""

    def reset():
        for variable in variables:
            variable.assign(tf.zeros(variable.shape, variable.dtype))

    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        tf.cond(condition, reset, lambda: None)
        return

    def cross_replica(distribution, condition):
        tf.cond(distribution.experimental_local_results(condition)[0], reset, lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(condition,))


def _check_images_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum} (a number of real images; the "
                         f"paper uses {PAPER_PHASE_IMAGES:,}); got {value!r}.")
    return int(value)


# ------------------------------------------------------------------------- model
@register_model(
    "progan",
    # Phases of 16 images: the contract suite's two steps of 8 stay at 4x4 (no Adam
    # reset inside them); tests/test_progan.py runs the growth with shorter phases.
    tiny=dict(image_shape=(16, 16, 1), latent_dim=8, base_filters=32, max_filters=8,
              stable_images=16, fade_images=16),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ProGAN(GradientPenaltyDraws, AdversarialModel):
    """Progressive growing of GANs, trained as WGAN-GP with drift, grown by `fit`.

    Args:
        latent_dim: size of z (512 in the paper: min(fmap_base, fmap_max)).
        image_shape: (side, side, channels), side a power of two >= 8 (1024x1024x3 for
            CelebA-HQ; (32, 32, 1) for Fashion-MNIST padded by 2 pixels).
        base_filters: fmap_base, the official `nf(stage) = min(base_filters / 2**stage,
            max_filters)` (8192): the block at resolution 2**r has `nf(r - 1)` maps.
        max_filters: fmap_max (512).
        stable_images: real images shown at each resolution before the next one fades
            in (800k in the paper; the 4x4 start is one such phase).
        fade_images: real images over which each new resolution fades in (800k).
        gp_weight: lambda of the gradient penalty (10). Reported as `gp`.
        epsilon_drift: weight of the drift term `E[D(x)^2]` on the real logits (0.001).
            Reported as `drift`.
        mbstd_group_size: group size of the minibatch-stddev layer (4); 0 disables it.
            The batch of each discriminator update (per replica) must be a multiple of
            it or smaller.
        reset_optimizers: reset both optimizers' state (Adam's moments and iteration
            count) whenever a fade starts or ends, as the official code does
            (`reset_opt_for_new_lod`).
        **kwargs: `AdversarialModel` arguments (`seed`, `d_steps`, `name`, the EMA,
            lazy R1, DiffAugment, ...). Without `ema_beta` or `ema_half_life_images`
            the generator EMA of the official code is on: `ema_beta=0.999`
            (`ema_beta=None` turns it off).

    Example:
        >>> model = keras_gan_zoo.create_model("progan", image_shape=(32, 32, 1),
        ...                                    base_filters=1024, max_filters=128,
        ...                                    stable_images=60_000, fade_images=60_000)
        >>> model.compile()        # Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8)
        >>> model.fit(dataset, epochs=7)           # 4x4 -> 8x8 -> 16x16 -> 32x32
        >>> model.lod, model.current_resolution    # 0.0, 32
        >>> images = model.generate(16, seed=0)    # at the current lod

    Reference:
        Karras et al., Progressive Growing of GANs for Improved Quality, Stability, and
        Variation, arXiv:1710.10196 (ICLR 2018); the official TensorFlow code,
        github.com/tkarras/progressive_growing_of_gans.
    """

    #: export_generator(format=...) that cannot be written (keras_gan_zoo.export).
    export_unsupported = {
        "tflite": "with the exported dynamic batch, TFLite's converter loses the static "
                  "image height after the 8x8 block's up-sampling and then cannot "
                  "lower the next convolution to its CONV_2D builtin (it would need a "
                  "Flex op; a fixed batch converts, but exports keep the batch "
                  "dynamic). Use format='onnx' or 'saved_model'.",
    }

    def __init__(self, latent_dim=512, image_shape=(1024, 1024, 3), base_filters=8192,
                 max_filters=512, stable_images=PAPER_PHASE_IMAGES,
                 fade_images=PAPER_PHASE_IMAGES, gp_weight=10.0, epsilon_drift=0.001,
                 mbstd_group_size=4, reset_optimizers=True, **kwargs):
        image_shape = tuple(image_shape)
        r_max = check_feature_maps(image_shape, base_filters, max_filters, "ProGAN")
        stable_images = _check_images_count("stable_images", stable_images, 0)
        fade_images = _check_images_count("fade_images", fade_images, 1)
        for name, value, positive in (("gp_weight", gp_weight, True),
                                      ("epsilon_drift", epsilon_drift, False)):
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not (value > 0 if positive else value >= 0)
                    or not math.isfinite(value)):
                raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'}"
                                 f" number; got {value!r}.")
        if (isinstance(mbstd_group_size, bool) or not isinstance(mbstd_group_size,
                                                                 numbers.Integral)
                or mbstd_group_size < 0):
            raise ValueError(f"mbstd_group_size must be an int >= 0 (4 in the paper; 0 = no "
                             f"minibatch-stddev layer); got {mbstd_group_size!r}.")
        if not isinstance(reset_optimizers, bool):
            raise ValueError(f"reset_optimizers must be True or False; got "
                             f"{reset_optimizers!r}.")
        if kwargs.get("num_classes") is not None:
            raise ValueError("ProGAN is unconditional here (the official label conditioning "
                             f"is not implemented); got num_classes={kwargs['num_classes']!r}.")
        if "ema_beta" not in kwargs and kwargs.get("ema_half_life_images") is None:
            kwargs["ema_beta"] = 0.999  # the official G_smoothing
        super().__init__(
            generator=progan_generator(latent_dim, image_shape, base_filters, max_filters),
            discriminator=progan_discriminator(image_shape, base_filters, max_filters,
                                               mbstd_group_size),
            latent_dim=latent_dim,
            **kwargs,
        )
        self.base_filters = int(base_filters)
        self.max_filters = int(max_filters)
        self.stable_images = stable_images
        self.fade_images = fade_images
        self.gp_weight = float(gp_weight)
        self.epsilon_drift = float(epsilon_drift)
        self.mbstd_group_size = int(mbstd_group_size)
        self.reset_optimizers = reset_optimizers
        self.max_lod = r_max - 2
        self.images_seen = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="images_seen")
        # floor(lod) + ceil(lod) of the last step trained: where the optimizers were reset.
        self.growth_phase = self.add_weight(
            shape=(), dtype="int64", initializer=keras.initializers.Constant(2 * self.max_lod),
            trainable=False, aggregation="only_first_replica", name="growth_phase")
        self.add_tracker("gp")
        self.add_tracker("drift")

    def default_optimizers(self):
        return {arg: keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
                for arg in ("generator_optimizer", "discriminator_optimizer")}

    # ---------------------------------------------------------------- schedule
    def lod_at(self, images):
        """The level of detail after `images` real images (a float; `max_lod` at 0).

        Example:
            >>> model = keras_gan_zoo.create_model("progan", image_shape=(32, 32, 1),
            ...                                    stable_images=100, fade_images=50)
            >>> [model.lod_at(n) for n in (0, 100, 125, 150, 400, 10_000)]
            [3.0, 3.0, 2.5, 2.0, 1.0, 0.0]
        """
        if isinstance(images, bool) or not isinstance(images, numbers.Integral) or images < 0:
            raise ValueError(f"images must be an int >= 0; got {images!r}.")
        return lod_at_images(images, self.max_lod, self.stable_images, self.fade_images)

    def lod_tensor(self):
        """The current level of detail as a float32 scalar tensor, computed from
        `images_seen` (what a training step uses; inside a step it is the value at
        the start of the step)."""
        return _lod_graph(self.images_seen, self.max_lod, self.stable_images,
                          self.fade_images)

    @property
    def lod(self):
        """The current level of detail, `lod_at(images_seen)`: `max_lod` (4x4) at the
        start, 0 once the full resolution has faded in."""
        return self.lod_at(int(keras.ops.convert_to_numpy(self.images_seen)))

    @property
    def current_resolution(self):
        """The side being trained, `2**(log2(side) - floor(lod))` (during a fade the
        resolution fading in, as the official schedule reports it)."""
        return self.image_shape[0] // 2 ** int(math.floor(self.lod))

    def _check_lod(self, lod):
        if lod is None:
            return self.lod
        if (isinstance(lod, bool) or not isinstance(lod, numbers.Real)
                or not 0.0 <= float(lod) <= self.max_lod):
            raise ValueError(f"lod must be a number in [0, {self.max_lod}] (0 = "
                             f"{self.image_shape[0]}x{self.image_shape[0]}, {self.max_lod} = "
                             f"4x4) or None for the current one; got {lod!r}.")
        return float(lod)

    def _lod_vector(self, batch, lod=None):
        """`lod` (None: the current one) repeated for each example of `batch`."""
        lod = self.lod_tensor() if lod is None else tf.constant(lod, "float32")
        return tf.fill(tf.reshape(tf.shape(batch)[0], [1]), lod)

    def process_reals(self, images, lod=None):
        """Real images at a level of detail, full size (the official `process_reals`).

        At `lod = k + t`: the images box-downscaled by 2**k, blended with their 2x2 box
        averages by `t`, and upscaled back by 2**k (nearest neighbour). Computed with
        static shapes for any `lod` (the coarse-to-fine fade of the generator, on the
        box pyramid of the images). Returns float32 images.

        Args:
            images: (B, side, side, C) images.
            lod: a float or float32 scalar tensor; None: the current one.
        """
        lod = self.lod_tensor() if lod is None else tf.cast(lod, "float32")
        pyramid = [tf.cast(images, "float32")]
        for _ in range(self.max_lod):
            pyramid.append(tf.nn.avg_pool2d(pyramid[-1], 2, 2, "VALID"))
        out = pyramid[-1]
        for level in range(self.max_lod - 1, -1, -1):
            t = tf.clip_by_value(lod - float(level), 0.0, 1.0)
            out = (1.0 - t) * pyramid[level] + t * _upscale(out, 2)
        return out

    # -------------------------------------------------------------------- calls
    def call_generator(self, latents, labels=None, training=False, network=None, lod=None):
        """Runs the generator at `lod` (None: the current one). Outside training the
        images are clipped to [-1, 1] (the generator is linear, as the paper's)."""
        if labels is not None:
            raise ValueError("ProGAN is unconditional; it takes no labels.")
        network = self.generator if network is None else network
        latents = tf.convert_to_tensor(latents, "float32")
        images = network([latents, self._lod_vector(latents, lod)], training=training)
        return images if training else tf.clip_by_value(images, -1.0, 1.0)

    def discriminator_inputs(self, images, labels=None):
        return [images, self._lod_vector(images)]

    def call_discriminator(self, images, labels=None, training=False, lod=None):
        """Runs the discriminator on images at `lod` (None: the current one)."""
        images = tf.convert_to_tensor(images)
        return self.discriminator([images, self._lod_vector(images, lod)], training=training)

    def generate(self, n, seed=None, latents=None, labels=None, batch_size=256, use_ema=True,
                 lod=None):
        """Samples `n` full-size images in [-1, 1] at the current level of detail.

        A model in the middle of its growth produces what it is being trained to
        produce: at `lod = 2.5` on 32x32 images, a 4x4 / 8x8 blend upscaled to 32x32.

        Args:
            n, seed, latents, batch_size, use_ema: as `AdversarialModel.generate` (the
                EMA generator by default).
            labels: not accepted (unconditional).
            lod: a level of detail in [0, max_lod] instead of the current one.

        Example:
            >>> images = model.generate(16, seed=0)           # at model.lod
            >>> coarse = model.generate(16, seed=0, lod=model.max_lod)  # the 4x4 output
        """
        n = self._check_count(n)
        self._labels_numpy(n, labels)
        lod = self._check_lod(lod)
        latents = self._latents_for(n, latents, seed)
        network = self._sampling_generator(use_ema)
        chunks = [keras.ops.convert_to_numpy(self.call_generator(
            latents[i:i + batch_size], network=network, lod=lod))
            for i in range(0, n, batch_size)]
        return np.concatenate(chunks, axis=0)

    def export_generator(self, path, use_ema=True, lod=None, format="saved_model",
                         quantize=None):
        """Writes the generator as a TF SavedModel with a `serve(z)` signature.

        The level of detail is baked in as a constant: the current one at export time
        (or `lod=`), so `tf.saved_model.load(path).serve(z)` returns what `generate`
        returns now, float32 images in [-1, 1], without this package. Export again
        after more training to serve a later phase.

        Args:
            path: target directory (replaced if it exists).
            use_ema: export the EMA weights (default) or the trained generator's.
            lod: a level of detail in [0, max_lod] instead of the current one.
            format: "saved_model" (default), "tflite" or "onnx" (keras_gan_zoo.export;
                for the last two `path` is the file, or a directory that receives
                `generator[.quantize].tflite|onnx`).
            quantize: None, "float16" or "int8" (dynamic range), tflite / onnx only.

        Example:
            >>> model.export_generator("progan_generator")
            >>> images = tf.saved_model.load("progan_generator").serve(z)
        """
        self._check_export(format, quantize)
        lod = self._check_lod(lod)
        generator = self._sampling_generator(use_ema)

        def serve(latents):
            lods = tf.fill(tf.reshape(tf.shape(latents)[0], [1]), tf.constant(lod, "float32"))
            images = tf.cast(generator([latents, lods], training=False), tf.float32)
            return tf.clip_by_value(images, -1.0, 1.0)

        archive = keras.export.ExportArchive()
        archive.track(generator)
        archive.add_endpoint("serve", serve, input_signature=[
            tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")])
        return self._write_export(archive, path, format, quantize)

    # ----------------------------------------------------------------- training
    def check_batch_size(self, batch_size, where):
        super().check_batch_size(batch_size, where)
        check_minibatch_stddev_batch(batch_size, self.d_steps, self.mbstd_group_size, where)

    def _optimizer_state(self):
        """The variables `reset_optimizers` zeroes: every optimizer's iteration count
        and slots (not its learning rate, nor a loss scale)."""
        state = []
        for optimizer in self.named_optimizers().values():
            inner = inner_optimizer(optimizer)
            rate = getattr(inner, "_learning_rate", None)
            state.extend(v for v in inner.variables if v is not rate)
        return state

    def train_step(self, data):
        batch = dict(self.unpack_batch(data))
        self.check_batch(batch, "train_step")
        lod = self.lod_tensor()
        if self.reset_optimizers:
            phase = _phase_key(lod)
            _reset_if(tf.not_equal(phase, self.growth_phase), self._optimizer_state())
            self.growth_phase.assign(phase)
        batch["images"] = self.process_reals(batch["images"], lod)
        logs = super().train_step(batch)
        _, total = global_rows(tf.shape(batch["images"])[0])
        self.images_seen.assign_add(tf.cast(total, "int64"))
        return {**logs, "lod": lod}

    def discriminator_objective(self, real_images, fake_images, labels, latents=None):
        """WGAN-GP with drift (official `D_wgangp_acgan`): `E[D(G(z))] - E[D(x)] +
        gp_weight E[(||grad D(x_hat)|| - 1)^2] + epsilon_drift E[D(x)^2]`, all at the
        step's level of detail."""
        real_logits = self.call_discriminator(real_images, training=True)
        fake_logits = self.call_discriminator(fake_images, training=True)
        loss = losses.wasserstein_d_loss(real_logits, fake_logits)
        batch_size = tf.shape(real_images)[0]
        penalty = losses.gradient_penalty(
            lambda x, training=True: self.call_discriminator(x, training=training),
            real_images, fake_images, alpha=self.interpolation_weights(batch_size),
            loss_scale=self.penalty_loss_scale(batch_size))
        drift = tf.reduce_mean(tf.square(tf.cast(real_logits, "float32")))
        terms = {"gp": self.gp_weight * penalty, "drift": self.epsilon_drift * drift}
        return loss, {**terms, **self.discriminator_penalties(real_images, fake_images)}

    def generator_loss(self, fake_logits):
        return losses.wasserstein_g_loss(fake_logits)

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.wasserstein_d_loss(real_logits, fake_logits)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "max_filters": self.max_filters,
            "stable_images": self.stable_images,
            "fade_images": self.fade_images,
            "gp_weight": self.gp_weight,
            "epsilon_drift": self.epsilon_drift,
            "mbstd_group_size": self.mbstd_group_size,
            "reset_optimizers": self.reset_optimizers,
        }
