"""Recycle-GAN: unpaired video retargeting with spatiotemporal constraints.

Bansal, Ma, Ramanan, Sheikh 2018, "Recycle-GAN: Unsupervised Video Retargeting",
ECCV 2018, arXiv:1808.05174.

A CycleGAN-style pair of translators between two video domains x (a) and y (b),
trained on short clips, plus a temporal predictor per domain that predicts frame
t+1 from the `context_frames` (k = 2) frames before it, stacked along channels:

- generators `generator_a_to_b` (G_XY) and `generator_b_to_a` (G_YX): CycleGAN's
  ResNet (6 residual blocks from 128 px, as the authors' `resnet_6blocks`, 3 below);
- predictors `predictor_a` (P_X) and `predictor_b` (P_Y): the pix2pix U-Net on
  k x C input channels, instance norm, no dropout (the authors' `unet_256`);
- discriminators `discriminator_a` (D_X) and `discriminator_b` (D_Y): PatchGANs;
- objective on a clip (x_{t-1}, x_t, x_{t+1}) of each domain, in the authors' code's
  form: LSGAN terms on the translated frames G_XY(x_{t-1}), G_XY(x_t) and on the
  predicted translated frame P_Y(G_XY(x_{t-1}), G_XY(x_t)), summed over those frames;
  `recurrent_weight` (10) x L1(P_X(x_{t-1}, x_t), x_{t+1}); `recycle_weight` (10) x
  L1(G_YX(P_Y(G_XY(x_{t-1}), G_XY(x_t))), x_{t+1}); and the same from y. Optionally
  CycleGAN's cycle loss, `cycle_weight` x L1(G_YX(G_XY(x_s)), x_s) on the context
  frames (0 by default; 10 is the paper's "Recycle + Cycle" variant);
- generators and predictors share one Adam(2e-4, 0.5), the discriminators another,
  no image pool and no identity loss (the authors' `--pool_size 0 --identity 0`).

Translation is per frame: `translate(images)` maps frames, `translate_video(videos)`
maps every frame of a video (the predictors only shape training).
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.translation.base import (UnpairedTranslationModel, check_int,
                                                   check_non_negative)
from keras_gan_zoo.models.translation.cyclegan import resnet_generator
from keras_gan_zoo.models.translation.pix2pix import (default_patch_layers, patch_discriminator,
                                                      unet_generator)
from keras_gan_zoo.registry import register_model

_DOMAINS = ("a", "b")


def default_recycle_blocks(image_shape):
    """Residual blocks of the generators: 6 from 128 px (the authors' `resnet_6blocks`,
    also at 256 px), 3 below."""
    return 6 if min(image_shape[:2]) >= 128 else 3


def stack_frames(frames, num_frames):
    """`(B * num_frames, H, W, C)` frames, clip-major, -> `(B, H, W, num_frames * C)`:
    each clip's frames side by side on channels, oldest first (the predictors' input)."""
    shape = tf.shape(frames)
    clips = tf.reshape(frames, tf.concat([[-1, num_frames], shape[1:]], 0))
    clips = tf.transpose(clips, [0, 2, 3, 1, 4])
    return tf.reshape(clips, tf.concat([[-1], shape[1:3], [num_frames * shape[3]]], 0))


def _frames(clips, start, stop):
    """Frames `start:stop` of `(B, T, H, W, C)` clips as a batch `(B * (stop - start),
    H, W, C)`, clip-major."""
    part = clips[:, start:stop]
    return tf.reshape(part, tf.concat([[-1], tf.shape(part)[2:]], 0))


@register_model("recycle_gan", tiny=dict(image_shape=(16, 16, 1), base_filters=4, num_blocks=1,
                                         predictor_filters=4))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class RecycleGAN(UnpairedTranslationModel):
    """Recycle-GAN (Bansal et al. 2018): two frame translators trained on unpaired
    videos of two domains with recycle and recurrent (temporal prediction) losses.

    Batches are `(a, b)`: clips of `context_frames + 1` consecutive frames of each
    domain, `(batch, 3, H, W, C)` by default, not aligned
    (`kgz.datasets.load("moving_mnist_to_fashion", num_frames=3)`).

    Args:
        image_shape: (height, width, channels) of domain a's frames.
        target_channels: channels of domain b's frames; default a's.
        base_filters: filters of the first layer of the generators and
            discriminators (64).
        num_blocks: residual blocks of the generators; default 6 from 128 px, 3 below.
        patch_layers: strided layers of the PatchGANs; default by frame size.
        predictor_filters: filters of the first layer of the predictors' U-Nets (64).
        context_frames: frames the predictors see to predict the next one (k = 2).
        adversarial_weight: weight of the generators' LSGAN terms (1).
        recycle_weight: lambda of the recycle losses (10); 0 switches them off, and
            with them the adversarial term on the predicted frames.
        recurrent_weight: lambda of the predictors' own losses (10).
        cycle_weight: lambda of CycleGAN's cycle losses on the context frames (0; 10
            is the paper's "Recycle + Cycle" variant).
        domain_names: human names of domains a and b, e.g. `("digits", "fashion")`.
        seed: integer seed stored in the config (training draws no noise).

    Example:
        >>> data = kgz.datasets.load("moving_mnist_to_fashion", batch_size=8, num_frames=3)
        >>> model = kgz.create_model("recycle_gan", image_shape=(64, 64, 1),
        ...                          domain_names=data.domain_names)
        >>> model.compile()
        >>> model.fit(data, epochs=10)
        >>> fashion_video = model.translate_video(digit_video)          # (T, 64, 64, 1)
        >>> digits_again = model.translate_video(fashion_video, direction="b_to_a")

    Reference:
        Bansal et al., "Recycle-GAN: Unsupervised Video Retargeting", ECCV 2018,
        arXiv:1808.05174.
    """

    optimizer_networks = {
        "generator_optimizer": ("generator_a_to_b", "generator_b_to_a", "predictor_a",
                                "predictor_b"),
        "discriminator_optimizer": ("discriminator_a", "discriminator_b"),
    }

    def __init__(self, image_shape=(256, 256, 3), target_channels=None, base_filters=64,
                 num_blocks=None, patch_layers=None, predictor_filters=64, context_frames=2,
                 adversarial_weight=1.0, recycle_weight=10.0, recurrent_weight=10.0,
                 cycle_weight=0.0, domain_names=None, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, target_channels=target_channels,
                         domain_names=domain_names, seed=seed, **kwargs)
        self.base_filters = check_int(base_filters, "base_filters")
        self.num_blocks = check_int(
            default_recycle_blocks(self.image_shape) if num_blocks is None else num_blocks,
            "num_blocks", minimum=0)
        self.patch_layers = (default_patch_layers(self.image_shape) if patch_layers is None
                             else patch_layers)
        if isinstance(self.patch_layers, bool) or not isinstance(self.patch_layers, int) or not (
                1 <= self.patch_layers <= 5):
            raise ValueError(f"patch_layers must be an int in [1, 5]; got {patch_layers!r}.")
        self.predictor_filters = check_int(predictor_filters, "predictor_filters")
        self.context_frames = check_int(context_frames, "context_frames")
        self.adversarial_weight = check_non_negative(adversarial_weight, "adversarial_weight")
        self.recycle_weight = check_non_negative(recycle_weight, "recycle_weight")
        self.recurrent_weight = check_non_negative(recurrent_weight, "recurrent_weight")
        self.cycle_weight = check_non_negative(cycle_weight, "cycle_weight")
        if not (self.adversarial_weight or self.recycle_weight or self.recurrent_weight
                or self.cycle_weight):
            raise ValueError("adversarial_weight, recycle_weight, recurrent_weight and "
                             "cycle_weight are all 0: nothing would train the generators "
                             "or the predictors.")
        a, b = self.image_shape, self.target_shape
        k = self.context_frames
        self.generator_a_to_b = resnet_generator(a, b[-1], self.base_filters, self.num_blocks,
                                                 name="generator_a_to_b")
        self.generator_b_to_a = resnet_generator(b, a[-1], self.base_filters, self.num_blocks,
                                                 name="generator_b_to_a")
        self.predictor_a = unet_generator((*a[:2], k * a[-1]), a[-1], self.predictor_filters,
                                          dropout=0.0, norm="instance", name="predictor_a")
        self.predictor_b = unet_generator((*b[:2], k * b[-1]), b[-1], self.predictor_filters,
                                          dropout=0.0, norm="instance", name="predictor_b")
        self.discriminator_a = patch_discriminator(a, 0, self.base_filters, self.patch_layers,
                                                   norm="instance", name="discriminator_a")
        self.discriminator_b = patch_discriminator(b, 0, self.base_filters, self.patch_layers,
                                                   norm="instance", name="discriminator_b")
        for name in ("d_loss", "g_loss", "g_gan", "recycle", "recurrent", "cycle"):
            self.add_tracker(name)
        self.built = True

    @property
    def clip_length(self):
        """Frames per training clip: `context_frames` and the one after them (3)."""
        return self.context_frames + 1

    # ---------------------------------------------------------------- batches
    def batch_fields(self):
        """`(a, b)`: unaligned clips `(batch, clip_length, H, W, C)` of each domain."""
        return (("a", "clips"), ("b", "target_clips"))

    def check_field(self, kind, value, where):
        if kind in ("clips", "target_clips"):
            self._check_clips(value, where,
                              self.image_shape if kind == "clips" else self.target_shape)
        else:
            super().check_field(kind, value, where)

    def check_field_values(self, kind, array, where):
        super().check_field_values("images" if kind in ("clips", "target_clips") else kind,
                                   array, where)

    def _check_clips(self, clips, where, frame_shape):
        dtype = tf.as_dtype(clips.dtype)
        if not dtype.is_floating:
            raise ValueError(
                f"{where}: expected float images in [-1, 1]; got dtype {dtype.name}. "
                "Scale uint8 pixels with `x / 127.5 - 1` (keras_gan_zoo.datasets does).")
        shape = tuple(clips.shape)
        expected = (self.clip_length, *frame_shape)
        if len(shape) != 5 or tuple(shape[1:]) != expected:
            raise ValueError(
                f"{where}: expected images of shape (batch, {', '.join(map(str, expected))}): "
                f"clips of {self.clip_length} consecutive frames (context_frames="
                f"{self.context_frames}, then the frame to predict) for "
                f"{type(self).__name__}(image_shape={self.image_shape}); got shape {shape}. "
                f"Videos load as clips with kgz.datasets.load(..., "
                f"num_frames={self.clip_length}).")

    # --------------------------------------------------------------- training
    def optimizer_variables(self, argument):
        """As the base's, except that the generator optimizer leaves out the networks
        no switched-on term reaches: the predictors when `recycle_weight` and
        `recurrent_weight` are 0 (the CycleGAN twin), the generators when only the
        recurrent term is on."""
        if argument != "generator_optimizer":
            return super().optimizer_variables(argument)
        networks = []
        if self.adversarial_weight or self.recycle_weight or self.cycle_weight:
            networks += ["generator_a_to_b", "generator_b_to_a"]
        if self.recycle_weight or self.recurrent_weight:
            networks += ["predictor_a", "predictor_b"]
        return [v for name in networks for v in getattr(self, name).trainable_variables]

    def _networks(self, source):
        """`(translator, back, own predictor, other predictor, target discriminator)`
        of the direction that starts from domain `source`."""
        if source == "a":
            return (self.generator_a_to_b, self.generator_b_to_a, self.predictor_a,
                    self.predictor_b, self.discriminator_b)
        return (self.generator_b_to_a, self.generator_a_to_b, self.predictor_b,
                self.predictor_a, self.discriminator_a)

    def direction_terms(self, clips, target_clips, source="a"):
        """The loss terms of one direction on `(B, k + 1, H, W, C)` clips of domain
        `source` and of the other domain (call inside the tape): a dict of `g_gan`,
        `d_loss` (the target domain's discriminator), `recycle`, `recurrent` (the
        source domain's predictor) and `cycle`; a switched-off term is 0.

        Example:
            >>> terms = model.direction_terms(clips_a, clips_b, source="a")
        """
        translate, back, own_predictor, other_predictor, judge = self._networks(source)
        k = self.context_frames
        context = _frames(clips, 0, k)
        following = clips[:, k]
        zero = tf.zeros(())
        terms = {"recycle": zero, "recurrent": zero, "cycle": zero}
        fake = translate(context, training=True)
        fakes = [fake]
        if self.recurrent_weight:
            predicted = own_predictor(stack_frames(context, k), training=True)
            terms["recurrent"] = losses.l1_distance(predicted, following)
        if self.recycle_weight:
            predicted_fake = other_predictor(stack_frames(fake, k), training=True)
            fakes.append(predicted_fake)
            terms["recycle"] = losses.l1_distance(back(predicted_fake, training=True),
                                                  following)
        if self.cycle_weight:
            terms["cycle"] = losses.l1_distance(back(fake, training=True), context)
        # The authors' LSGAN terms, one per judged frame (k translated frames, and the
        # predicted one when the recycle path is on), each a mean over the batch,
        # summed: with equal group sizes, frames x the mean over all of them.
        judged = len(fakes) - 1 + k
        fake_logits = judge(tf.concat(fakes, 0), training=True)
        real_logits = judge(_frames(target_clips, 0, judged), training=True)
        terms["g_gan"] = (judged * losses.squared_distance(fake_logits, 1.0)
                          if self.adversarial_weight else zero)
        terms["d_loss"] = judged * losses.least_squares_d_loss(real_logits, fake_logits)
        return terms

    def train_step(self, data):
        clips_a, clips_b, n = self.training_images(data)
        with tf.GradientTape(persistent=True) as tape:
            from_a = self.direction_terms(clips_a, clips_b, "a")
            from_b = self.direction_terms(clips_b, clips_a, "b")
            values = {name: from_a[name] + from_b[name]
                      for name in ("g_gan", "recycle", "recurrent", "cycle", "d_loss")}
            g_loss = (self.adversarial_weight * values["g_gan"]
                      + self.recycle_weight * values["recycle"]
                      + self.recurrent_weight * values["recurrent"]
                      + self.cycle_weight * values["cycle"])
        self.minimize(tape, {"generator_optimizer": g_loss,
                             "discriminator_optimizer": values["d_loss"]}, n)
        return self.finish_step({"g_loss": g_loss, **values})

    # ------------------------------------------------------------- inference
    def translate_video(self, videos, direction="a_to_b", batch_size=64):
        """Retargets videos frame by frame: numpy float32 in [-1, 1], the input's shape.

        Args:
            videos: one video `(T, H, W, C)` or a batch `(N, T, H, W, C)` in [-1, 1],
                frames of `image_shape` (a -> b) or of domain b (b -> a).
            direction: `"a_to_b"` (default) or `"b_to_a"`.
            batch_size: frames per forward pass.

        Example:
            >>> fashion = model.translate_video(digits_video)   # (20, 64, 64, 1)
        """
        direction = self.check_direction(direction)
        where = f"translate_video({direction})"
        frame = self.input_shape_for(direction)
        array = keras.ops.convert_to_numpy(videos) if tf.is_tensor(videos) else np.asarray(videos)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(f"{where}: expected a numeric array of frames; got dtype "
                            f"{array.dtype}.")
        if array.ndim not in (4, 5) or tuple(array.shape[-3:]) != frame:
            raise ValueError(
                f"{where}: expected a video (frames, {', '.join(map(str, frame))}) or videos "
                f"(N, frames, {', '.join(map(str, frame))}); got shape {array.shape}.")
        frames = self._images_numpy(array.reshape(-1, *frame), where, frame)
        out = self.translate(frames, direction=direction, batch_size=batch_size)
        return out.reshape(array.shape[:-3] + out.shape[1:])

    def predict_next_frame(self, frames, domain="a"):
        """The domain's predictor on its last `context_frames` frames: the next frame.

        Args:
            frames: `(k, H, W, C)` or `(N, k, H, W, C)` frames of `domain` in [-1, 1],
                oldest first (k = `context_frames`).
            domain: `"a"` or `"b"`.

        Returns:
            numpy float32 `(H, W, C)` or `(N, H, W, C)` in [-1, 1].
        """
        if domain not in _DOMAINS:
            raise ValueError(f"domain must be one of {_DOMAINS}; got {domain!r}.")
        frame = self.image_shape if domain == "a" else self.target_shape
        k = self.context_frames
        array = keras.ops.convert_to_numpy(frames) if tf.is_tensor(frames) else np.asarray(frames)
        single = array.ndim == 4
        if array.ndim not in (4, 5) or tuple(array.shape[-4:]) != (k, *frame):
            raise ValueError(
                f"predict_next_frame({domain}): expected {k} context frames ({k}, "
                f"{', '.join(map(str, frame))}) or (N, {k}, {', '.join(map(str, frame))}); "
                f"got shape {array.shape}.")
        context = self._images_numpy(array.reshape(-1, *frame),
                                     f"predict_next_frame({domain})", frame)
        predictor = self.predictor_a if domain == "a" else self.predictor_b
        out = predictor(stack_frames(tf.constant(context), k), training=False)
        out = np.clip(keras.ops.convert_to_numpy(tf.cast(out, "float32")), -1.0, 1.0)
        return out[0] if single else out

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "num_blocks": self.num_blocks, "patch_layers": self.patch_layers,
                "predictor_filters": self.predictor_filters,
                "context_frames": self.context_frames,
                "adversarial_weight": self.adversarial_weight,
                "recycle_weight": self.recycle_weight,
                "recurrent_weight": self.recurrent_weight, "cycle_weight": self.cycle_weight}
