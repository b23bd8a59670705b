"""Video GAN: next-frame prediction with a multi-scale generator and discriminator.

Mathieu, Couprie, LeCun 2015, "Deep multi-scale video prediction beyond mean square
error", ICLR 2016, arXiv:1511.05440.

- the task as translation: the `k` context frames, stacked along the channels, are the
  source (`image_shape == (H, W, k C)`), the next frame the target (`target_shape ==
  (H, W, C)`); `translate` predicts one frame, `predict_frames` feeds predictions back;
- generator: `num_scales` (4) scales from H / 2^(S-1) to H; scale s sees the context
  average-pooled to its size and, above the coarsest, the bilinear upsampling u(Y_{s-1})
  of the coarser prediction, and predicts the residual: Y_s = u(Y_{s-1}) + G'_s(X_s,
  u(Y_{s-1})) (the coarsest: tanh(G'_0(X_0))). Convolutions with ReLU, the paper's
  feature maps (multiples of 128) and kernel sizes, the finest `num_scales` of its table;
- discriminator: one network per scale judging (context, next frame) at that scale:
  convolutions with ReLU (each followed by 2x2 max-pooling), then dense layers with ReLU
  and one logit; the paper's feature maps / kernels / dense sizes;
- objective (the reference code's weights): G minimizes `adversarial_weight` (0.05) x
  the non-saturating GAN loss (mean over scales) + `lp_weight` (1) x the l_p loss
  (p = `lp_exponent`, 2) + `gdl_weight` (1) x the gradient difference loss (alpha =
  `gdl_alpha`, 1), both summed over pixels and scales; D the sigmoid cross-entropy of
  real / predicted next frames (mean over scales). Adam(4e-5) for G, SGD(0.02) for D.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.base import Unsaved
from keras_gan_zoo.models.translation.base import (TranslationModel, check_int,
                                                   check_non_negative)
from keras_gan_zoo.registry import register_model

__all__ = ["VideoGAN", "multiscale_generator", "multiscale_discriminator", "lp_loss",
           "gradient_difference_loss", "stack_frames", "unstack_frames", "downsample_frames",
           "frame_factor", "next_frame_pairs", "next_frame_dataset", "load_videos"]

#: The paper's generators, coarsest first (feature maps in units of `base_filters` = 128,
#: kernel sizes: one more than feature maps, the last convolution outputs the frame).
GENERATOR_SCALES = (
    ((1, 2, 1), (3, 3, 3, 3)),
    ((1, 2, 1), (5, 3, 3, 5)),
    ((1, 2, 4, 2, 1), (5, 3, 3, 3, 5)),
    ((1, 2, 4, 2, 1), (7, 5, 5, 5, 5, 7)),
)
#: The paper's discriminators, coarsest first: conv feature maps (units of
#: `discriminator_filters` = 64), their kernels, dense layers (units of `dense_units` = 512).
DISCRIMINATOR_SCALES = (
    ((1,), (3,), (1, 0.5)),
    ((1, 2, 2), (3, 3, 3), (2, 1)),
    ((2, 4, 4), (5, 5, 5), (2, 1)),
    ((2, 4, 8, 2), (7, 7, 5, 5), (2, 1)),
)
MAX_SCALES = len(GENERATOR_SCALES)


# ----------------------------------------------------------------- frames
def stack_frames(frames):
    """(N, k, H, W, C) -> (N, H, W, k C): frame t in channels [t C, (t + 1) C).

    Example:
        >>> source = stack_frames(videos[:, :4])      # what VideoGAN.translate takes
    """
    frames = tf.convert_to_tensor(frames)
    shape = tf.shape(frames)
    moved = tf.transpose(frames, [0, 2, 3, 1, 4])
    static = frames.shape
    channels = None if static[1] is None or static[4] is None else static[1] * static[4]
    out = tf.reshape(moved, tf.stack([shape[0], shape[2], shape[3], shape[1] * shape[4]]))
    out.set_shape([static[0], static[2], static[3], channels])
    return out


def unstack_frames(stacked, num_frames):
    """(N, H, W, k C) -> (N, k, H, W, C), the inverse of `stack_frames`."""
    stacked = tf.convert_to_tensor(stacked)
    shape = tf.shape(stacked)
    frames = tf.reshape(stacked, tf.stack([shape[0], shape[1], shape[2], num_frames, -1]))
    return tf.transpose(frames, [0, 3, 1, 2, 4])


def downsample_frames(frames, factor):
    """Average-pools the last three axes (H, W, C) of frames by an int `factor`."""
    factor = check_int(factor, "factor")
    if factor == 1:
        return tf.convert_to_tensor(frames)
    frames = tf.convert_to_tensor(frames)
    shape = tf.shape(frames)
    flat = tf.reshape(frames, tf.concat([[-1], shape[-3:]], 0))
    pooled = tf.nn.avg_pool2d(flat, factor, factor, "VALID")
    return tf.reshape(pooled, tf.concat([shape[:-3], tf.shape(pooled)[1:]], 0))


def next_frame_pairs(videos, context_frames):
    """All (context, next frame) windows of videos, as numpy arrays for `fit`.

    Args:
        videos: (N, T, H, W, C) frames in [-1, 1], T > `context_frames`.
        context_frames: k, the frames of each context.

    Returns:
        `(sources (M, H, W, k C), targets (M, H, W, C))`, M = N (T - k), window by window
        of each video in order.
    """
    videos = np.asarray(videos, "float32")
    k = check_int(context_frames, "context_frames")
    if videos.ndim != 5 or videos.shape[1] <= k:
        raise ValueError(f"videos must be (N, T, H, W, C) with T > context_frames={k}; "
                         f"got shape {videos.shape}.")
    windows = np.stack([videos[:, t:t + k + 1] for t in range(videos.shape[1] - k)], axis=1)
    windows = windows.reshape(-1, *windows.shape[2:])
    return np.asarray(stack_frames(windows[:, :k])), np.ascontiguousarray(windows[:, k])


def next_frame_dataset(name="moving_mnist", split="train", context_frames=4, batch_size=32,
                       frame_size=None, seed=None, limit=None, shuffle=True,
                       drop_remainder=True, start_epoch=None):
    """A video dataset of `kgz.datasets.load` as (context, next frame) batches for `fit`.

    Each video is rendered with k + 1 frames (every training epoch draws new motion), so
    one sequence gives one pair: source (B, H, W, k C) = its first k frames stacked on the
    channels, target (B, H, W, C) = frame k + 1.

    Args:
        name: a video dataset (`kgz.datasets.list_datasets("video")`), e.g. `"moving_mnist"`.
        split: `"train"` or `"test"`.
        context_frames: k.
        batch_size: pairs per batch.
        frame_size: average-pool the 64x64 frames to this side (a divisor of 64), or None.
        seed: seed of the training sequences (as `kgz.datasets.load`).
        limit: sequences per epoch (default all: 10,000 train, 1,000 test).
        shuffle: new sequences every training epoch (as `kgz.datasets.load`).
        drop_remainder: drop a last partial batch.
        start_epoch: None, or the first epoch of an endless epoch-indexed stream (each
            epoch's sequences rendered from `(seed, epoch)`; see `kgz.datasets.load`).

    Example:
        >>> ds = next_frame_dataset("moving_mnist", context_frames=4, batch_size=16)
        >>> model = kgz.create_model("video_gan", context_frames=4, base_filters=16,
        ...                          discriminator_filters=16, dense_units=128)
    """
    from keras_gan_zoo import datasets

    k = check_int(context_frames, "context_frames")
    info = datasets.info(name)
    if info["kind"] != "video":
        raise ValueError(f"next_frame_dataset needs a video dataset "
                         f"({datasets.list_datasets('video')}); {name!r} is {info['kind']}.")
    factor = frame_factor(info["image_shape"][0], frame_size)
    videos = datasets.load(name, split, batch_size=batch_size, seed=seed, limit=limit,
                           shuffle=shuffle, drop_remainder=drop_remainder, num_frames=k + 1,
                           start_epoch=start_epoch)

    def to_pair(video):
        video = downsample_frames(video, factor)
        return stack_frames(video[:, :k]), video[:, k]

    pairs = videos.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
    pairs.num_examples = videos.num_examples
    pairs.batches_per_epoch = videos.batches_per_epoch
    pairs.source = videos.source
    pairs.frame_size = videos.frame_size // factor
    pairs.domain_names = ("context", "next_frame")
    return pairs


def load_videos(name="moving_mnist", split="test", num_sequences=None, num_frames=None,
                frame_size=None):
    """The first sequences of a video dataset's split as numpy, in order (the test split
    renders the same ones every time): what a next-frame model is measured and shown on.

    Args:
        name: a video dataset (`kgz.datasets.list_datasets("video")`).
        split: `"train"` or `"test"`.
        num_sequences: sequences (default: the whole split).
        num_frames: frames per sequence (default: the dataset's).
        frame_size: average-pool the frames to this side (a divisor of the dataset's), or
            None.

    Returns:
        float32 (N, T, H, W, C) in [-1, 1].

    Example:
        >>> videos = load_videos("moving_mnist", "test", 100, num_frames=14, frame_size=32)
    """
    from keras_gan_zoo import datasets

    info = datasets.info(name)
    count = check_int(info["num_examples"][split] if num_sequences is None else num_sequences,
                      "num_sequences")
    factor = frame_factor(info["image_shape"][0], frame_size)
    videos = datasets.load(name, split, batch_size=min(100, count), limit=count,
                           shuffle=False, drop_remainder=False, num_frames=num_frames)
    return np.concatenate([np.asarray(downsample_frames(v, factor)) for v in videos])[:count]


def frame_factor(size, frame_size):
    """The average-pooling factor from a dataset's `size`-pixel frames to `frame_size`
    (None: 1); a ValueError unless `frame_size` divides `size`."""
    if frame_size is None:
        return 1
    frame_size = check_int(frame_size, "frame_size")
    if size % frame_size:
        raise ValueError(f"frame_size must divide the dataset's {size}-pixel frames; "
                         f"got {frame_size}.")
    return size // frame_size


# ----------------------------------------------------------------- losses
def lp_loss(predicted, target, p=2.0):
    """The l_p loss: sum over pixels of |target - predicted|^p, mean over the batch.

    Example:
        >>> l2 = lp_loss(prediction, next_frame, p=2)
    """
    x = tf.cast(predicted, tf.float32) - tf.cast(target, tf.float32)
    error = tf.square(x) if p == 2 else tf.pow(tf.abs(x), p)
    return tf.reduce_mean(tf.reduce_sum(error, axis=[1, 2, 3]))


def gradient_difference_loss(predicted, target, alpha=1.0):
    """The gradient difference loss (GDL, Mathieu et al. eq. 5): sum over neighbouring
    pixel pairs of | |dY| - |dY_hat| |^alpha along both image axes, mean over the batch.

    Example:
        >>> gdl = gradient_difference_loss(prediction, next_frame, alpha=1)
    """
    predicted, target = tf.cast(predicted, tf.float32), tf.cast(target, tf.float32)
    total = 0.0
    for axis in (1, 2):
        length = tf.shape(target)[axis]
        grads = []
        for image in (target, predicted):
            after = tf.gather(image, tf.range(1, length), axis=axis)
            before = tf.gather(image, tf.range(0, length - 1), axis=axis)
            grads.append(tf.abs(after - before))
        diff = tf.abs(grads[0] - grads[1])
        term = diff if alpha == 1 else tf.pow(diff, alpha)
        total += tf.reduce_sum(term, axis=[1, 2, 3])
    return tf.reduce_mean(total)


# ----------------------------------------------------------------- networks
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ResidualFrame(keras.layers.Layer):
    """`previous + residual`, clipped to [-1, 1] in the forward pass only (the gradient
    passes as through the sum, so a pixel pushed out of range still learns)."""

    def call(self, previous, residual):
        frame = tf.cast(previous, self.compute_dtype) + tf.cast(residual, self.compute_dtype)
        return frame + tf.stop_gradient(tf.clip_by_value(frame, -1.0, 1.0) - frame)


def _scale_factors(num_scales):
    return [2 ** (num_scales - 1 - s) for s in range(num_scales)]


def multiscale_generator(frame_shape, context_frames=4, num_scales=4, base_filters=128,
                         name="generator"):
    """The multi-scale generator: stacked context (B, H, W, k C) -> the predicted next
    frame at every scale, coarsest first: [(B, H / 2^(S-1), W / 2^(S-1), C), ..., (B, H,
    W, C)], float32 in [-1, 1].

    Args:
        frame_shape: (H, W, C) of one frame; H and W divisible by 2^(num_scales - 1).
        context_frames: k.
        num_scales: 1 to 4; the finest `num_scales` of the paper's four generators.
        base_filters: the paper's 128 (feature maps 128-256-512).
    """
    height, width, channels = frame_shape
    inputs = keras.Input((height, width, context_frames * channels), name="context")
    prediction, outputs = None, []
    for s, factor in enumerate(_scale_factors(num_scales)):
        maps, kernels = GENERATOR_SCALES[MAX_SCALES - num_scales + s]
        h = context = inputs if factor == 1 else keras.layers.AveragePooling2D(
            factor, name=f"scale{s}_context")(inputs)
        if prediction is not None:
            upsampled = keras.layers.UpSampling2D(2, interpolation="bilinear", dtype="float32",
                                                  name=f"scale{s}_upsample")(prediction)
            h = keras.layers.Concatenate(name=f"scale{s}_input")([context, upsampled])
        for i, (multiplier, kernel) in enumerate(zip(maps, kernels)):
            h = keras.layers.Conv2D(base_filters * multiplier, kernel, padding="same",
                                    activation="relu", name=f"scale{s}_conv{i}")(h)
        residual = keras.layers.Conv2D(channels, kernels[-1], padding="same", dtype="float32",
                                       name=f"scale{s}_out")(h)
        if prediction is None:
            prediction = keras.layers.Activation("tanh", dtype="float32",
                                                 name=f"scale{s}_tanh")(residual)
        else:
            prediction = ResidualFrame(dtype="float32", name=f"scale{s}_frame")(upsampled,
                                                                               residual)
        outputs.append(prediction)
    return keras.Model(inputs, outputs, name=name)


def multiscale_discriminator(frame_shape, context_frames=4, num_scales=4,
                             discriminator_filters=64, dense_units=512, name="discriminator"):
    """One discriminator per scale: inputs [(B, h_s, w_s, (k + 1) C)] (context and next
    frame stacked, coarsest first) -> one float32 logit (B, 1) per scale.

    Args:
        frame_shape: (H, W, C) of one frame.
        context_frames: k.
        num_scales: 1 to 4; the finest `num_scales` of the paper's four discriminators.
        discriminator_filters: the paper's 64 (feature maps 64 to 512).
        dense_units: the paper's 512 (dense layers 1024-512, 512-256 at the coarsest).
    """
    height, width, channels = frame_shape
    inputs, outputs = [], []
    for s, factor in enumerate(_scale_factors(num_scales)):
        maps, kernels, dense = DISCRIMINATOR_SCALES[MAX_SCALES - num_scales + s]
        x = keras.Input((height // factor, width // factor, (context_frames + 1) * channels),
                        name=f"scale{s}_sequence")
        h = x
        for i, (multiplier, kernel) in enumerate(zip(maps, kernels)):
            h = keras.layers.Conv2D(discriminator_filters * multiplier, kernel, padding="same",
                                    activation="relu", name=f"scale{s}_conv{i}")(h)
            h = keras.layers.MaxPooling2D(2, padding="same", name=f"scale{s}_pool{i}")(h)
        h = keras.layers.Flatten(name=f"scale{s}_flatten")(h)
        for j, multiplier in enumerate(dense):
            h = keras.layers.Dense(max(1, int(dense_units * multiplier)), activation="relu",
                                   name=f"scale{s}_dense{j}")(h)
        outputs.append(keras.layers.Dense(1, dtype="float32", name=f"scale{s}_logit")(h))
        inputs.append(x)
    return keras.Model(inputs, outputs, name=name)


def _check_exponent(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 1:
        raise ValueError(f"{what} must be a number >= 1; got {value!r}.")
    return float(value)


# ----------------------------------------------------------------- the model
@register_model("video_gan", tiny=dict(frame_shape=(16, 16, 1), context_frames=2,
                                       num_scales=2, base_filters=4, discriminator_filters=4,
                                       dense_units=8))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class VideoGAN(TranslationModel):
    """Next-frame prediction (Mathieu et al. 2015): a multi-scale generator trained with a
    multi-scale adversarial loss, an l_p loss and the gradient difference loss.

    A translator from k context frames stacked on the channels (`image_shape == (H, W,
    k C)`) to the next frame (`target_shape == frame_shape`); batches are `(context,
    next_frame)` pairs (`next_frame_dataset`, `next_frame_pairs`).

    Args:
        frame_shape: (H, W, C) of one frame; H, W divisible by 2^(num_scales - 1).
        context_frames: k, the frames the prediction is conditioned on (4).
        num_scales: scales of the generator and discriminator, 1 to 4 (4).
        base_filters: generator feature-map unit (128: maps 128-256-512).
        discriminator_filters: discriminator feature-map unit (64).
        dense_units: discriminator dense unit (512: layers 1024-512).
        adversarial_weight: weight of the adversarial loss (0.05); 0 trains no
            discriminator (the l_p + GDL baseline).
        lp_weight: weight of the l_p loss (1).
        lp_exponent: p (2).
        gdl_weight: weight of the gradient difference loss (1).
        gdl_alpha: alpha of the GDL (1).
        domain_names: names of the source and target (default `("context", "next_frame")`).
        seed: integer seed; `None` draws one.

    Example:
        >>> ds = next_frame_dataset("moving_mnist", context_frames=4, batch_size=16)
        >>> model = kgz.create_model("video_gan", frame_shape=(64, 64, 1), context_frames=4,
        ...                          base_filters=16)
        >>> model.compile()                       # Adam(4e-5) for G, SGD(0.02) for D
        >>> model.fit(ds, epochs=5)
        >>> future = model.predict_frames(videos[:, :4], n_future=8)   # (N, 8, 64, 64, 1)

    Reference:
        Mathieu, Couprie, LeCun, "Deep multi-scale video prediction beyond mean square
        error", ICLR 2016, arXiv:1511.05440.
    """

    optimizer_networks = {"generator_optimizer": ("generator",),
                          "discriminator_optimizer": ("discriminator",)}

    def __init__(self, frame_shape=(64, 64, 1), context_frames=4, num_scales=4,
                 base_filters=128, discriminator_filters=64, dense_units=512,
                 adversarial_weight=0.05, lp_weight=1.0, lp_exponent=2.0, gdl_weight=1.0,
                 gdl_alpha=1.0, domain_names=None, seed=None, **kwargs):
        for key in ("image_shape", "target_shape", "target_channels"):
            if key in kwargs:
                raise TypeError(f"VideoGAN takes frame_shape= and context_frames= (its "
                                f"image_shape is (H, W, context_frames * C)); got {key}=.")
        frame = tuple(frame_shape) if isinstance(frame_shape, (list, tuple)) else None
        if frame is None or len(frame) != 3 or not all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                for d in frame):
            raise ValueError(f"frame_shape must be (height, width, channels) of positive ints; "
                             f"got {frame_shape!r}.")
        frame = tuple(int(d) for d in frame)
        k = check_int(context_frames, "context_frames")
        num_scales = check_int(num_scales, "num_scales")
        if num_scales > MAX_SCALES:
            raise ValueError(f"num_scales must be in [1, {MAX_SCALES}]; got {num_scales}.")
        multiple = 2 ** (num_scales - 1)
        if frame[0] % multiple or frame[1] % multiple:
            raise ValueError(f"frame_shape {frame} needs a height and width divisible by "
                             f"2^(num_scales - 1) = {multiple} (num_scales={num_scales}).")
        super().__init__(image_shape=(frame[0], frame[1], k * frame[2]), target_shape=frame,
                         domain_names=domain_names or ("context", "next_frame"), seed=seed,
                         **kwargs)
        self.frame_shape = frame
        self.context_frames = k
        self.num_scales = num_scales
        self.base_filters = check_int(base_filters, "base_filters")
        self.discriminator_filters = check_int(discriminator_filters, "discriminator_filters")
        self.dense_units = check_int(dense_units, "dense_units")
        self.adversarial_weight = check_non_negative(adversarial_weight, "adversarial_weight")
        self.lp_weight = check_non_negative(lp_weight, "lp_weight")
        self.lp_exponent = _check_exponent(lp_exponent, "lp_exponent")
        self.gdl_weight = check_non_negative(gdl_weight, "gdl_weight")
        self.gdl_alpha = _check_exponent(gdl_alpha, "gdl_alpha")
        scales = multiscale_generator(frame, k, num_scales, self.base_filters)
        # `generator` (saved, exported) outputs the finest scale; the same layers with
        # every scale's output train it.
        self.generator = keras.Model(scales.inputs, scales.outputs[-1], name="generator")
        self._pyramid = Unsaved(network=scales)
        self.discriminator = multiscale_discriminator(frame, k, num_scales,
                                                      self.discriminator_filters,
                                                      self.dense_units)
        names = ["g_loss", "lp", "gdl", "psnr"]
        if self.adversarial:
            names = ["d_loss", *names, "g_adv"]
        for name in names:
            self.add_tracker(name)
        self.built = True

    @property
    def adversarial(self):
        """False when `adversarial_weight == 0`: the discriminator is not trained."""
        return self.adversarial_weight > 0

    @property
    def scale_factors(self):
        """Downsampling factor of each scale, coarsest first (e.g. 8, 4, 2, 1)."""
        return _scale_factors(self.num_scales)

    def translator(self, direction):
        return self.generator

    def default_optimizers(self):
        """Adam(4e-5) for the generator, SGD(0.02) for the discriminator (the reference
        code's; the paper's SGD rates 0.04 / 0.02 belong to its loss normalization)."""
        return {"generator_optimizer": keras.optimizers.Adam(4e-5),
                "discriminator_optimizer": keras.optimizers.SGD(0.02)}

    def call(self, source, training=False):
        return self.generator(source, training=training)

    # ------------------------------------------------------------ training
    def predict_scales(self, source, training=False):
        """The prediction at every scale, coarsest first (float32 tensors)."""
        return list(self._pyramid.network(source, training=training))

    def pyramid(self, images):
        """`images` average-pooled to every scale, coarsest first."""
        images = tf.cast(images, tf.float32)
        return [downsample_frames(images, f) for f in self.scale_factors]

    def judge(self, contexts, frames, training=False):
        """The discriminators' logits, one (B, 1) per scale, of next `frames` after
        `contexts` (both lists over scales, coarsest first)."""
        pairs = [tf.concat([c, tf.cast(f, c.dtype)], axis=-1) for c, f in zip(contexts, frames)]
        return list(self.discriminator(pairs, training=training))

    def generator_losses(self, predictions, targets):
        """`(lp, gdl)` summed over scales."""
        lp = tf.add_n([lp_loss(p, t, self.lp_exponent) for p, t in zip(predictions, targets)])
        gdl = tf.add_n([gradient_difference_loss(p, t, self.gdl_alpha)
                        for p, t in zip(predictions, targets)])
        return lp, gdl

    def train_step(self, data):
        source, target, n = self.training_images(data)
        contexts, targets = self.pyramid(source), self.pyramid(target)
        values = {}
        with tf.GradientTape() as g_tape:
            predictions = self.predict_scales(source, training=True)
            d_applied = None
            if self.adversarial:
                with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                    real = self.judge(contexts, targets, training=True)
                    fake = self.judge(contexts, [tf.stop_gradient(p) for p in predictions],
                                      training=True)
                    d_loss = tf.add_n([losses.nonsaturating_d_loss(r, f)
                                       for r, f in zip(real, fake)]) / self.num_scales
                d_applied = self.minimize(d_tape, {"discriminator_optimizer": d_loss},
                                          n)["discriminator_optimizer"]
                g_adv = tf.add_n([losses.nonsaturating_g_loss(logits) for logits in
                                  self.judge(contexts, predictions, training=True)])
                g_adv = g_adv / self.num_scales
                values.update(d_loss=d_loss, g_adv=g_adv)
            lp, gdl = self.generator_losses(predictions, targets)
            g_loss = self.lp_weight * lp + self.gdl_weight * gdl
            if self.adversarial:
                g_loss += self.adversarial_weight * g_adv
        # A generator step computed against a discriminator that overflowed is skipped.
        self.minimize(g_tape, {"generator_optimizer": g_loss}, n, apply_when=d_applied)
        psnr = tf.reduce_mean(tf.image.psnr(predictions[-1], targets[-1], max_val=2.0))
        return self.finish_step({**values, "g_loss": g_loss, "lp": lp, "gdl": gdl,
                                 "psnr": psnr})

    # ------------------------------------------------------------ prediction
    def predict_frames(self, context, n_future=1, batch_size=64):
        """Predicts `n_future` frames auto-regressively: each prediction becomes the last
        context frame of the next step.

        Args:
            context: (N, k, H, W, C) frames in [-1, 1] (or one sequence (k, H, W, C)),
                k = `context_frames`, (H, W, C) = `frame_shape`.
            n_future: frames to predict, an int >= 1.
            batch_size: sequences per forward pass.

        Returns:
            numpy float32 (N, n_future, H, W, C) in [-1, 1] ((n_future, H, W, C) for one
            sequence).

        Example:
            >>> future = model.predict_frames(videos[:, :4], n_future=10)
        """
        if isinstance(n_future, bool) or not isinstance(n_future, (int, np.integer)) \
                or n_future < 1:
            raise ValueError(f"n_future must be an int >= 1; got {n_future!r}.")
        expected = (self.context_frames, *self.frame_shape)
        frames = keras.ops.convert_to_numpy(context) if tf.is_tensor(context) else \
            np.asarray(context)
        single = frames.ndim == 4 and frames.shape == expected
        if single:
            frames = frames[None]
        if frames.ndim != 5 or tuple(frames.shape[1:]) != expected:
            shape = ", ".join(map(str, expected))
            raise ValueError(
                f"predict_frames: expected context of shape (batch, {shape}): "
                f"{self.context_frames} context frames of frame_shape {self.frame_shape}; got "
                f"shape {frames.shape}.")
        if not np.issubdtype(frames.dtype, np.floating):
            raise ValueError(f"predict_frames: expected float frames in [-1, 1]; got dtype "
                             f"{frames.dtype}. Scale uint8 pixels with `x / 127.5 - 1`.")
        frames = frames.astype("float32")
        if frames.size and (frames.min() < -1.001 or frames.max() > 1.001):
            raise ValueError(f"predict_frames: expected frames in [-1, 1]; got values in "
                             f"[{frames.min():.3g}, {frames.max():.3g}].")
        predicted = []
        for _ in range(int(n_future)):
            source = np.asarray(stack_frames(frames))
            frame = self.translate(source, batch_size=batch_size)
            predicted.append(frame)
            frames = np.concatenate([frames[:, 1:], frame[:, None]], axis=1)
        out = np.stack(predicted, axis=1)
        return out[0] if single else out

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        for key in ("image_shape", "target_shape"):
            config.pop(key)
        return {**config, "frame_shape": list(self.frame_shape),
                "context_frames": self.context_frames, "num_scales": self.num_scales,
                "base_filters": self.base_filters,
                "discriminator_filters": self.discriminator_filters,
                "dense_units": self.dense_units, "adversarial_weight": self.adversarial_weight,
                "lp_weight": self.lp_weight, "lp_exponent": self.lp_exponent,
                "gdl_weight": self.gdl_weight, "gdl_alpha": self.gdl_alpha}
