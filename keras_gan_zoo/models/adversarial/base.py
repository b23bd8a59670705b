"""`AdversarialModel`: the training core every GAN in the zoo stands on.

An architecture supplies two networks and its two loss terms; this base (on
`GenerativeModel`, which owns the optimizers, loss scaling and the cross-replica
decisions) owns the rest: the paper defaults of both optimizers, `d_steps`
discriminator updates per generator update, penalties and lazy regularizers as
hooks, the after-generator-update hook (EMA), trackers, `generate`,
`export_generator`, configs and input checks.

One `train_step` (Goodfellow 2014, algorithm 1, with the fake batch reused):

    for each of the d_steps minibatches x_i of the incoming batch:
        z ~ p(z);  fake = G(z)
        update D on  L_D(D(x_i), D(fake)) + penalties (+ lazy regularizers on their steps)
    update G on L_G(D(fake)), back-propagating through the last fake batch
    after_generator_update(applied)

The generator's forward pass of the last discriminator step is recorded on the
generator's tape and reused for the generator update (as the PyTorch DCGAN example
does), instead of running G a second time as the keras.io tutorial does. The
generator update still sees the freshly updated discriminator.

Minibatches: example j of the batch goes to discriminator update j mod d_steps, so
every example is used (a batch of B gives minibatches of B // k or B // k + 1) and N
replicas train as one device when each replica's share divides by k. A batch (per
replica) smaller than d_steps is an error: some update would get no images.

Distribution: losses are weighted by each replica's share of the global batch
(`GenerativeModel.minimize`); each replica draws its own latents (the replica id is
folded into the seed).

Improved techniques (Salimans et al. 2016, arXiv:1606.03498) are constructor options
of every model: `label_smoothing` (one-sided, for sigmoid cross-entropy losses),
`feature_matching` (the generator matches the mean of an intermediate discriminator
layer on real data) and `historical_averaging` (a penalty pulling both networks
towards the running mean of their past parameters). Minibatch discrimination is a
layer (`keras_gan_zoo.layers.MinibatchDiscrimination`) that architectures insert.
DiffAugment (Zhao et al. 2020, arXiv:2006.10738) is one too: `diff_augment=` a policy
augments every real and fake image the discriminator sees in training
(`keras_gan_zoo.augment`).

Generator EMA (Karras et al.): `ema_beta=` or `ema_half_life_images=` keeps an
exponential moving average of the generator's weights in non-trainable float32
variables of the model (saved with it), updated in `after_generator_update` on the
steps whose generator update was applied. `generate`, `export_generator` and the
published generator files use it by default (`use_ema=False` opts out);
`model.generator` stays the trained network.

Lazy regularization (StyleGAN2, arXiv:1912.04958, appendix B): `r1_gamma=` adds R1 on
real images every `r1_every` steps, `pl_weight=` path-length regularization of the
generator every `pl_every` steps, each multiplied by its interval; both go through the
`discriminator_regularizers` / `generator_regularizers` hooks, which models extend.
Under `mixed_float16` their networks run in float32 (`losses.compute_in_float32`).

Mixed precision: under `mixed_float16` both optimizers are `LossScaleOptimizer`s. A
discriminator update whose gradients overflow on any replica is skipped on every
replica (and its scale halved); the generator update of the same step is skipped
too, without touching the generator's scale (a real skip, `apply_if`). A generator
overflow after finite discriminator updates skips the generator's update only: by
then the discriminator's update has been applied, as the alternating algorithm
prescribes. Logits and images are float32 at the networks' outputs.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.augment import diff_augment as apply_diff_augment
from keras_gan_zoo.augment import normalize_policy
from keras_gan_zoo.layers import MinibatchDiscrimination
from keras_gan_zoo.losses.penalties import (compute_in_float32, path_length_penalty,
                                            path_lengths, r1_penalty)
from keras_gan_zoo.models.base import GenerativeModel, Unsaved
from keras_gan_zoo.models.replicas import (all_reduce_sum, global_batch_mean, global_rows,
                                           num_replicas)

LATENT_DISTRIBUTIONS = ("normal", "uniform")

# DiffAugment's draws: `noise_seed(draw=_AUGMENT_STREAM + j)`, j = 2i (reals) and
# 2i + 1 (fakes) of discriminator update i, 2 * d_steps (reals, for feature matching)
# and 2 * d_steps + 1 (fakes) of the generator update. Far above the latents'
# draws (0 .. d_steps - 1) and WGAN-GP's interpolation weights (0x6770 + i).
_AUGMENT_STREAM = 0x0D1FA000

# Path-length regularization's noise images: `noise_seed(draw=_PATH_LENGTH_STREAM,
# per_replica=False)`, then the example's index in the global batch folded in.
_PATH_LENGTH_STREAM = 0x0D1FB000


def ema_beta_from_half_life(batch_size, half_life_images):
    """The EMA decay per step whose weights halve every `half_life_images` images.

    `0.5 ** (batch_size / half_life_images)` (Karras et al.'s `ema_kimg`; StyleGAN2
    uses 10k images): an image's weight in the average halves after
    `half_life_images` more images, whatever the batch size. Python numbers or
    tensors; the training step evaluates it in the graph on the global batch size.

    Example:
        >>> ema_beta_from_half_life(64, 10_000)   # 0.99557...
    """
    return 0.5 ** (batch_size / half_life_images)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class AdversarialModel(GenerativeModel):
    """Base class of adversarial models: a generator, a discriminator, two optimizers.

    Subclasses build the networks, pass them here and implement
    `discriminator_loss(real_logits, fake_logits)` and `generator_loss(fake_logits)`;
    optional hooks: `discriminator_penalties`, `after_discriminator_update`,
    `default_optimizers`, and for models with extra heads or terms (ACGAN, InfoGAN)
    `discriminator_objective` / `generator_objective`, which return a loss and a
    dict of named terms reported by their own trackers.

    Args:
        generator: `keras.Model` mapping latents (B, latent_dim) to images in [-1, 1];
            for a conditional model it takes `[latents, labels]`.
        discriminator: `keras.Model` mapping images to logits (B, 1); for a
            conditional model it takes `[images, labels]`.
        latent_dim: size of the latent vector.
        num_classes: `None` for an unconditional model; the number of classes of a
            conditional one, whose batches must then carry int labels.
        d_steps: discriminator updates per generator update (k in Goodfellow 2014,
            n_critic in WGAN). The incoming batch is split into `d_steps` strided
            minibatches (example j -> update j mod k), one per discriminator update, so
            every update sees fresh data and N replicas train as one device.
        latent_distribution: `"normal"` (N(0, 1)) or `"uniform"` (U(-1, 1)).
        seed: integer seed of the training noise (latents); `None` draws one.
            Stored in the config, so a reloaded model continues the same sequence.
        label_smoothing: one-sided label smoothing: the discriminator's target for
            real images is `1 - label_smoothing` (0.1 in Salimans et al.); fake
            targets stay 0. Only for models whose discriminator loss is a sigmoid
            cross-entropy (`supports_label_smoothing = True`: gan, dcgan, cgan);
            others raise a ValueError.
        feature_matching: `None` (off), `True` (the discriminator layer feeding its
            logit, skipping a `MinibatchDiscrimination` layer as the authors' code
            does) or a layer name of the discriminator. The generator then minimizes
            `||mean_x f(x) - mean_z f(G(z))||^2` over the global batch instead of its
            adversarial loss.
        historical_averaging: weight w of the penalty
            `w * ||theta - mean of past theta||^2` added to each network's loss
            (reported as `hist_avg_d` / `hist_avg_g`); 0 is off. The running means
            live in non-trainable variables saved with the model.
        diff_augment: `None` (off) or a DiffAugment policy (Zhao et al. 2020), a
            comma-separated string of `"color"`, `"translation"`, `"cutout"` (the
            authors' `"color,translation,cutout"`): every image the discriminator
            sees in training, real or fake, in its updates and in the generator's
            (feature matching included), is augmented with fresh random parameters,
            differentiably (`augment_images`; docs/design.md, "DiffAugment").
        ema_beta: `None` (off) or the decay in [0, 1) of an exponential moving
            average of the generator's weights (Karras et al.; e.g. 0.999):
            `ema = beta * ema + (1 - beta) * weights` after every applied generator
            update. Trainable weights are averaged; non-trainable ones (batch-norm
            moving statistics) are copied, as StyleGAN2 copies buffers. The first
            applied update copies the weights (the average of a one-point
            trajectory). `generate`, `export_generator` and published generator
            files use the EMA weights (`use_ema=False` opts out); `ema_generator()`
            returns them as a network; `model.generator` stays the trained network.
        ema_half_life_images: `None` (off) or a positive number of images after
            which an update's weight in the EMA halves (StyleGAN2: 10_000): each step
            uses `beta = 0.5 ** (global_batch / ema_half_life_images)`
            (`ema_beta_from_half_life`), the global batch being the real images of
            the step over all replicas. Exclusive with `ema_beta`.
        ema_rampup: `None` or a positive ratio (StyleGAN2: 0.05), with
            `ema_half_life_images` only: the half-life is
            `min(ema_half_life_images, images_seen * ema_rampup)`, so early in
            training, when the weights move fast, the EMA follows them closely.
        r1_gamma: gamma of the R1 penalty on real images, `gamma / 2 *
            E[||grad_x D(x)||^2]` (StyleGAN2's form; 10 for its FFHQ models, less
            for smaller images); 0 is off. Reported as `r1`: its weighted value
            times `r1_every` on the steps it runs, 0 on the others. A conditional
            discriminator takes the labels.
        r1_every: R1 runs on the steps where `step % r1_every == 0` (step 0 too),
            multiplied by `r1_every` (StyleGAN2: 16; 1 is the non-lazy penalty).
        pl_weight: weight of StyleGAN2's path-length regularization of the
            generator, `E[(||J_w^T y|| - a)^2]` with `y ~ N(0, I) / sqrt(H W)`
            and `a` the running mean of the lengths (StyleGAN2: 2); 0 is off.
            Reported as `pl`. `w` is the generator's latents unless a model
            overrides `path_length_inputs` / `path_length_images` (a style-based
            generator: its mapping's output). `a` is the variable `pl_mean`,
            saved with the model and updated only when the generator's update
            is applied.
        pl_every: path-length regularization runs every `pl_every` steps (step 0
            too), multiplied by `pl_every` (StyleGAN2: 4).
        pl_decay: weight of each regularized batch in the running mean `a`
            (StyleGAN2: 0.01), in (0, 1].
        pl_batch_shrink: the lengths are measured on every `pl_batch_shrink`-th
            example of the generator's batch (StyleGAN2: 2), at that fraction of
            the cost.

    Example:
        >>> model = kgz.create_model("dcgan", image_shape=(28, 28, 1),
        ...                          label_smoothing=0.1, feature_matching=True,
        ...                          historical_averaging=1e-4)
        >>> model = kgz.create_model("dcgan", image_shape=(28, 28, 1),
        ...                          ema_half_life_images=10_000)  # generator EMA
        >>> images = model.generate(16, seed=0)                  # EMA weights
        >>> raw = model.generate(16, seed=0, use_ema=False)      # the trained G

    Reference:
        Goodfellow et al., Generative Adversarial Networks, arXiv:1406.2661.
        Salimans et al., Improved Techniques for Training GANs, arXiv:1606.03498.
        Karras et al., Progressive Growing of GANs (generator EMA), arXiv:1710.10196.
        Karras et al., Analyzing and Improving the Image Quality of StyleGAN (EMA
        half-life in images, ramp-up), arXiv:1912.04958.
    """

    family = "adversarial"
    optimizer_networks = {"generator_optimizer": ("generator",),
                          "discriminator_optimizer": ("discriminator",)}
    batch_extras = ("latents",)  # dict batches may fix the training noise per example

    # True for models whose discriminator loss is a sigmoid cross-entropy taking
    # `real_label=self.real_label` (one-sided label smoothing applies to them).
    supports_label_smoothing = False

    # False for models whose discriminator does not see plain images through the
    # base's training step (LAPGAN's pyramid levels, VAE-GAN's own step): they
    # refuse `diff_augment` instead of ignoring it.
    supports_diff_augment = True

    # False for models with their own training step, which would ignore the lazy
    # regularizers (VAE-GAN): they refuse `r1_gamma` / `pl_weight` instead.
    supports_lazy_regularization = True

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        num_classes=None,
        d_steps=1,
        latent_distribution="normal",
        seed=None,
        label_smoothing=0.0,
        feature_matching=None,
        historical_averaging=0.0,
        diff_augment=None,
        ema_beta=None,
        ema_half_life_images=None,
        ema_rampup=None,
        r1_gamma=0.0,
        r1_every=16,
        pl_weight=0.0,
        pl_every=4,
        pl_decay=0.01,
        pl_batch_shrink=2,
        **kwargs,
    ):
        super().__init__(image_shape=generator.output_shape[1:], num_classes=num_classes,
                         seed=seed, **kwargs)
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int; got {latent_dim!r}.")
        if isinstance(d_steps, bool) or not isinstance(d_steps, int) or d_steps < 1:
            raise ValueError(f"d_steps must be a positive int; got {d_steps!r}.")
        if latent_distribution not in LATENT_DISTRIBUTIONS:
            raise ValueError(
                f"latent_distribution must be one of {LATENT_DISTRIBUTIONS}; "
                f"got {latent_distribution!r}."
            )
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.d_steps = d_steps
        self.latent_distribution = latent_distribution
        self.d_loss_tracker = self.add_tracker("d_loss")
        self.g_loss_tracker = self.add_tracker("g_loss")
        self._init_improved_techniques(label_smoothing, feature_matching, historical_averaging)
        self._init_diff_augment(diff_augment)
        self._init_ema(ema_beta, ema_half_life_images, ema_rampup)
        self._init_lazy_regularization(r1_gamma, r1_every, pl_weight, pl_every, pl_decay,
                                       pl_batch_shrink)
        self.built = True

    # ------------------------------------------------- improved techniques
    def _init_improved_techniques(self, label_smoothing, feature_matching,
                                  historical_averaging):
        """Validates and sets up Salimans et al.'s options (see the class docstring)."""
        name = type(self).__name__
        if (isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real)
                or not 0.0 <= label_smoothing < 1.0):
            raise ValueError(
                f"label_smoothing must be a number in [0, 1) (0.1 is the paper's); "
                f"got {label_smoothing!r}."
            )
        if label_smoothing and not self.supports_label_smoothing:
            raise ValueError(
                f"{name} does not support label_smoothing: one-sided label smoothing "
                "applies to sigmoid cross-entropy discriminator losses (gan, dcgan, cgan); "
                f"{name}'s discriminator loss is not one. Use label_smoothing=0."
            )
        self.label_smoothing = float(label_smoothing)

        if (isinstance(historical_averaging, bool)
                or not isinstance(historical_averaging, numbers.Real)
                or not 0.0 <= historical_averaging < float("inf")):
            raise ValueError(
                f"historical_averaging must be a weight >= 0 (0 = off); "
                f"got {historical_averaging!r}."
            )
        self.historical_averaging = float(historical_averaging)
        self._historical = {}
        if self.historical_averaging:
            for key, net in (("d", self.discriminator), ("g", self.generator)):
                means = [
                    self.add_weight(shape=tuple(v.shape), initializer="zeros",
                                    dtype="float32", trainable=False,
                                    aggregation="only_first_replica",
                                    name=f"hist_avg_{key}_{i}")
                    for i, v in enumerate(net.trainable_variables)
                ]
                count = self.add_weight(shape=(), initializer="zeros", dtype="int64",
                                        trainable=False, aggregation="only_first_replica",
                                        name=f"hist_avg_{key}_count")
                # The variables are fixed here, so each mean stays paired with its weight.
                self._historical[key] = Unsaved(
                    means=means, count=count, variables=list(net.trainable_variables))
                self.add_tracker(f"hist_avg_{key}")

        if feature_matching is False:
            feature_matching = None
        if feature_matching is not None and not isinstance(feature_matching, (bool, str)):
            raise ValueError(
                "feature_matching must be None (off), True (the layer before the logit) "
                f"or a layer name of the discriminator; got {feature_matching!r}."
            )
        self.feature_matching = feature_matching
        self.feature_layer = None
        self._features = Unsaved(model=None)
        if feature_matching is not None:
            self.feature_layer, self._features.model = self._feature_model(feature_matching)

    # ------------------------------------------------------------ DiffAugment
    def _init_diff_augment(self, diff_augment):
        """Validates the DiffAugment policy (see `augment_images`)."""
        try:
            policy = normalize_policy(diff_augment)
        except ValueError as error:
            raise ValueError(f"diff_augment: {error}") from None
        if policy is not None and not self.supports_diff_augment:
            raise ValueError(
                f"{type(self).__name__} does not support diff_augment: its discriminator "
                "does not see plain images in the adversarial training step (LAPGAN: "
                "Laplacian pyramid levels; VAE-GAN: its own step). Use diff_augment=None."
            )
        self.diff_augment = policy

    def augment_images(self, images, draw):
        """DiffAugment of images the discriminator is about to see in training.

        Identity when `diff_augment` is None. Otherwise `keras_gan_zoo.augment.
        diff_augment(images, self.diff_augment, seed)`, the seed
        `noise_seed(draw=_AUGMENT_STREAM + draw, per_replica=False)`: the same on
        every replica, each drawing the parameters for the global batch and keeping
        its own rows (`replicas.global_rows`), so N replicas augment every example as
        one device does, and a resumed run as the uninterrupted one.
        """
        if self.diff_augment is None:
            return images
        seed = self.noise_seed(draw=_AUGMENT_STREAM + draw, per_replica=False)
        return apply_diff_augment(images, self.diff_augment, seed,
                                  rows=global_rows(tf.shape(images)[0]))

    @property
    def real_label(self):
        """The discriminator's target for real images: `1 - label_smoothing`."""
        return 1.0 - self.label_smoothing

    def _feature_model(self, feature_matching):
        """(layer name, keras.Model(D.inputs, that layer's output)) for feature matching."""
        d = self.discriminator
        inputs = getattr(d, "inputs", None)
        if not inputs:
            raise ValueError(
                "feature_matching needs a functional discriminator (keras.Model built "
                f"from keras.Input); {type(self).__name__}'s discriminator has no inputs."
            )
        if feature_matching is True:
            tensor = keras.tree.flatten(d.outputs)[0]
            for _ in range(2):
                history = tensor._keras_history
                node = history.operation._inbound_nodes[history.node_index]
                if len(node.input_tensors) != 1:
                    raise ValueError(
                        f"feature_matching=True: the layer {history.operation.name!r} "
                        "producing the logit has several inputs; pass the name of the "
                        "feature layer instead."
                    )
                tensor = node.input_tensors[0]
                # The authors match the features *before* minibatch discrimination.
                if not isinstance(tensor._keras_history.operation, MinibatchDiscrimination):
                    break
            layer_name = tensor._keras_history.operation.name
        else:
            try:
                layer = d.get_layer(feature_matching)
            except ValueError:
                raise ValueError(
                    f"feature_matching={feature_matching!r}: the discriminator has no such "
                    f"layer; its layers are {[layer.name for layer in d.layers]}."
                ) from None
            layer_name, tensor = layer.name, layer.output
            if not isinstance(tensor, keras.KerasTensor):
                raise ValueError(
                    f"feature_matching={feature_matching!r}: the layer has several outputs; "
                    "choose a layer with one output."
                )
        try:
            model = keras.Model(d.input, tensor, name="discriminator_features")
        except Exception as error:  # a layer of a nested model, unreachable from D.inputs
            raise ValueError(
                f"feature_matching={feature_matching!r}: cannot build a feature model from "
                f"the discriminator's inputs to layer {layer_name!r} ({error})."
            ) from None
        return layer_name, model

    def call_features(self, images, labels=None, training=False):
        """The discriminator's feature-matching layer on images, as float32 (B, F)."""
        if self._features.model is None:
            raise ValueError("call_features needs a model created with feature_matching=.")
        model = self._features.model
        features = model(self.discriminator_inputs(images, labels), training=training)
        features = tf.cast(features, "float32")
        return tf.reshape(features, [tf.shape(features)[0], -1])

    def feature_matching_loss(self, real_images, fake_images, labels=None):
        """`||mean_x f(x) - mean_z f(G(z))||^2`, means over the global batch.

        The real side is a constant for the generator (stop_gradient). Both sides run
        the discriminator in training mode, as the generator's objective does.
        """
        if real_images is None:
            raise ValueError("feature matching needs the real images of the step.")
        real = tf.stop_gradient(self.call_features(real_images, labels, training=True))
        fake = self.call_features(fake_images, labels, training=True)
        difference = global_batch_mean(real) - global_batch_mean(fake)
        return tf.reduce_sum(tf.square(difference))

    def generator_adversarial_loss(self, fake_images, labels=None, real_images=None,
                                   fake_logits=None):
        """The generator's adversarial term: feature matching when on, else
        `generator_loss(D(fake))` (`fake_logits` spares a second discriminator run).

        Subclasses overriding `generator_objective` call it for their adversarial
        term, so `feature_matching` keeps working for them.
        """
        if self.feature_matching is not None:
            return self.feature_matching_loss(real_images, fake_images, labels)
        if fake_logits is None:
            fake_logits = self.call_discriminator(fake_images, labels, training=True)
        return self.generator_loss(fake_logits)

    def _historical_start(self):
        """Before the first update, the running means start at the current weights."""
        for state in self._historical.values():
            first = tf.equal(state.count, 0)
            for mean, var in zip(state.means, state.variables):
                mean.assign(tf.where(first, tf.cast(var, "float32"), mean))
            state.count.assign(tf.where(first, tf.constant(1, "int64"), state.count))

    def historical_penalty(self, key):
        """`historical_averaging * ||theta - mean of past theta||^2` for "d" or "g".

        The mean covers the weights before the first update and after every applied
        update so far (so the penalty is 0 at the first step).
        """
        state = self._historical[key]
        terms = [
            tf.reduce_sum(tf.square(tf.cast(var, "float32") - tf.stop_gradient(mean)))
            for mean, var in zip(state.means, state.variables)
        ]
        return self.historical_averaging * tf.add_n(terms)

    def _historical_update(self, key, applied):
        """Folds the freshly updated weights into the running mean (if applied)."""
        state = self._historical.get(key)
        if state is None:
            return
        count = tf.cast(state.count, "float32")
        rate = tf.where(applied, 1.0 / (count + 1.0), 0.0)
        for mean, var in zip(state.means, state.variables):
            mean.assign_add(rate * (tf.cast(var, "float32") - mean))
        state.count.assign_add(tf.cast(applied, "int64"))

    # ---------------------------------------------------------- generator EMA
    def _init_ema(self, ema_beta, ema_half_life_images, ema_rampup):
        """Validates the EMA options and creates its variables (class docstring).

        The shadow is one non-trainable variable of the model per weight of the
        generator (`generator.weights`: trainable ones and batch-norm statistics,
        not seed states), float32 for float weights, with `only_first_replica`
        aggregation: every replica computes the same value from its (mirrored)
        generator weights, and the first replica's is kept. `ema_images` counts the
        images (global batches) of the applied updates folded in; 0 means the EMA
        has not started, and the EMA network is then the generator itself.
        """
        def positive(value):
            return (not isinstance(value, bool) and isinstance(value, numbers.Real)
                    and 0.0 < value < float("inf"))

        if ema_beta is not None and (isinstance(ema_beta, bool)
                                     or not isinstance(ema_beta, numbers.Real)
                                     or not 0.0 <= ema_beta < 1.0):
            raise ValueError(f"ema_beta must be None (off) or a decay in [0, 1) such as "
                             f"0.999; got {ema_beta!r}.")
        if ema_half_life_images is not None and not positive(ema_half_life_images):
            raise ValueError("ema_half_life_images must be None (off) or a positive number "
                             f"of images such as 10_000; got {ema_half_life_images!r}.")
        if ema_beta is not None and ema_half_life_images is not None:
            raise ValueError(
                "ema_beta and ema_half_life_images set the same decay two ways; pass one "
                f"of them (got ema_beta={ema_beta!r}, "
                f"ema_half_life_images={ema_half_life_images!r}).")
        if ema_rampup is not None:
            if not positive(ema_rampup):
                raise ValueError(f"ema_rampup must be None or a positive ratio such as 0.05; "
                                 f"got {ema_rampup!r}.")
            if ema_half_life_images is None:
                raise ValueError(
                    "ema_rampup ramps up the EMA's half-life: it needs "
                    "ema_half_life_images= (StyleGAN2: ema_half_life_images=10_000, "
                    f"ema_rampup=0.05); got ema_rampup={ema_rampup!r} with "
                    "ema_half_life_images=None.")
        self.ema_beta = None if ema_beta is None else float(ema_beta)
        self.ema_half_life_images = (None if ema_half_life_images is None
                                     else float(ema_half_life_images))
        self.ema_rampup = None if ema_rampup is None else float(ema_rampup)
        self._ema = None
        if self.ema_beta is None and self.ema_half_life_images is None:
            return
        # The generator's weights are fixed here, so each shadow stays paired with its
        # weight (and with the weight of the same index in the EMA network's clone).
        sources = list(self.generator.weights)
        floating = [keras.backend.is_float_dtype(v.dtype) for v in sources]
        shadows = [
            self.add_weight(shape=tuple(v.shape), initializer="zeros",
                            dtype="float32" if is_float else v.dtype, trainable=False,
                            aggregation="only_first_replica", name=f"ema_generator_{i}")
            for i, (v, is_float) in enumerate(zip(sources, floating))
        ]
        images = self.add_weight(shape=(), initializer="zeros", dtype="int64",
                                 trainable=False, aggregation="only_first_replica",
                                 name="ema_images")
        self._ema = Unsaved(sources=sources, shadows=shadows, images=images, network=None,
                            averaged=[v.trainable and f for v, f in zip(sources, floating)])

    @property
    def uses_ema(self):
        """True for a model created with `ema_beta=` or `ema_half_life_images=`."""
        return self._ema is not None

    def update_ema(self, applied, batch_size=None):
        """Folds the generator's current weights into the EMA (a no-op when off).

        Runs inside a training step (the base calls it from
        `after_generator_update`): trainable weights are averaged, `ema = beta * ema +
        (1 - beta) * w`, non-trainable ones copied; on a skipped step (`applied`
        false) nothing moves. The first applied update uses beta 0 (a copy).

        Args:
            applied: scalar bool (or `True`), the same on every replica: whether the
                generator update of the step was applied.
            batch_size: this replica's number of real images in the step (the
                half-life and the count of images are over the global batch, summed
                over the replicas); by default the one the training step recorded in
                `self._zoo.step_batch_size`.
        """
        state = self._ema
        recorded = self._zoo.__dict__.pop("step_batch_size", None)
        if state is None:
            return
        batch_size = recorded if batch_size is None else batch_size
        if batch_size is None:
            raise ValueError(
                f"{type(self).__name__}.update_ema: no batch size for this step. A "
                "train_step that calls after_generator_update records its replica's "
                "number of real images first (`self._zoo.step_batch_size = "
                "tf.shape(images)[0]`, as AdversarialModel.train_step does), or calls "
                "update_ema(applied, batch_size) itself.")
        global_batch = all_reduce_sum(tf.cast(batch_size, "float32"))
        if self.ema_beta is not None:
            beta = tf.constant(self.ema_beta, "float32")
        else:
            half_life = tf.constant(self.ema_half_life_images, "float32")
            if self.ema_rampup is not None:  # StyleGAN2's ema_rampup
                half_life = tf.minimum(
                    half_life, tf.cast(state.images, "float32") * self.ema_rampup)
            beta = ema_beta_from_half_life(global_batch, tf.maximum(half_life, 1e-8))
        beta = tf.where(state.images > 0, beta, 0.0)  # the first update copies
        skip = None if applied is True else tf.logical_not(tf.convert_to_tensor(applied))
        for shadow, source, averaged in zip(state.shadows, state.sources, state.averaged):
            value = tf.cast(source, shadow.dtype)
            if averaged:
                value = beta * shadow + (1.0 - beta) * value
            shadow.assign(value if skip is None else tf.where(skip, shadow, value))
        images = tf.cast(global_batch, "int64")
        state.images.assign_add(images if skip is None else tf.where(skip, 0 * images, images))

    def reset_ema(self):
        """Restarts the EMA from the generator's current weights (a no-op when off).

        For a generator whose weights were replaced outside training (e.g.
        `publish.load_generator_weights` calls it): the EMA network is then the
        generator until the next applied update, which copies its weights.
        """
        state = self._ema
        if state is None:
            return
        for shadow, source in zip(state.shadows, state.sources):
            shadow.assign(keras.ops.cast(source, shadow.dtype))
        state.images.assign(0)

    def ema_generator(self):
        """The generator with the EMA weights, a `keras.Model`; `None` when EMA is off.

        A clone of `generator` (same layers, names and dtype policies) built at the
        first call and kept out of the model's saved state (the EMA variables are
        saved): each call sets its weights from the EMA (from the generator's own
        weights before the first EMA update), so call it again after training. Its
        weights are laid out as the generator's: `generator.set_weights(
        model.ema_generator().get_weights())` and weights files work both ways.
        Eager only (it reads the variables).

        Example:
            >>> g_ema = model.ema_generator()
            >>> images = g_ema(latents, training=False)
        """
        state = self._ema
        if state is None:
            return None
        if state.network is None:
            state.network = self._clone_generator()
        started = int(keras.ops.convert_to_numpy(state.images)) > 0
        for target, value in zip(state.network.weights,
                                 state.shadows if started else state.sources):
            target.assign(keras.ops.cast(value, target.dtype))
        return state.network

    def _clone_generator(self):
        """A fresh copy of the generator's architecture, for `ema_generator`."""
        def clone_layer(layer):
            if isinstance(layer, keras.layers.Lambda):
                # Its function is Python code; reuse it (from_config refuses lambdas).
                return keras.layers.Lambda(
                    layer.function, output_shape=layer._output_shape, mask=layer.mask,
                    arguments=layer.arguments, name=layer.name, dtype=layer.dtype_policy)
            return layer.__class__.from_config(layer.get_config())

        try:
            network = keras.models.clone_model(self.generator, clone_function=clone_layer,
                                               recursive=True)
        except Exception as error:
            raise ValueError(
                f"{type(self).__name__}: the generator EMA needs a functional or "
                f"Sequential generator that keras.models.clone_model can copy ({error})."
            ) from None
        def layout(variables):
            return [(v.path, tuple(v.shape)) for v in variables]

        if layout(network.weights) != layout(self._ema.sources):
            raise ValueError(
                f"{type(self).__name__}: the copy of the generator for the EMA does not "
                "have the generator's weights (names, shapes, order); cannot pair them.")
        network.trainable = False
        return network

    def _sampling_generator(self, use_ema=True):
        """The network `generate` and `export_generator` run: the EMA generator when
        EMA is on and `use_ema`, else the trained generator."""
        if not isinstance(use_ema, bool):
            raise ValueError(f"use_ema must be True or False; got {use_ema!r}.")
        network = self.ema_generator() if use_ema else None
        return self.generator if network is None else network

    # ---------------------------------------------------- lazy regularization
    def _init_lazy_regularization(self, r1_gamma, r1_every, pl_weight, pl_every, pl_decay,
                                  pl_batch_shrink):
        """Validates the R1 and path-length options (class docstring), declares their
        trackers and creates the path-length running mean `pl_mean` when it is on."""
        def weight(name, value, hint):
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not 0.0 <= value < float("inf")):
                raise ValueError(f"{name} must be a number >= 0 (0 = off; {hint}); "
                                 f"got {value!r}.")
            return float(value)

        def interval(name, value, hint):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, a number of steps (1 = "
                                 f"every step; {hint}); got {value!r}.")
            return int(value)

        self.r1_gamma = weight("r1_gamma", r1_gamma, "StyleGAN2 uses 10")
        self.r1_every = interval("r1_every", r1_every, "StyleGAN2: 16")
        self.pl_weight = weight("pl_weight", pl_weight, "StyleGAN2 uses 2")
        self.pl_every = interval("pl_every", pl_every, "StyleGAN2: 4")
        self.pl_batch_shrink = interval("pl_batch_shrink", pl_batch_shrink,
                                        "StyleGAN2: 2; 1 uses the whole batch")
        if (isinstance(pl_decay, bool) or not isinstance(pl_decay, numbers.Real)
                or not 0.0 < pl_decay <= 1.0):
            raise ValueError(f"pl_decay must be a number in (0, 1] (StyleGAN2: 0.01); "
                             f"got {pl_decay!r}.")
        self.pl_decay = float(pl_decay)
        name = type(self).__name__
        for option in ("r1_gamma", "pl_weight"):
            if getattr(self, option) and not self.supports_lazy_regularization:
                raise ValueError(
                    f"{name} does not support {option}: it trains with its own step, which "
                    f"does not run the lazy regularizers. Use {option}=0."
                )
        if self.r1_gamma:
            self.add_tracker("r1")
        self.pl_mean = None
        if self.pl_weight:
            self.add_tracker("pl")
            self.pl_mean = self.add_weight(
                shape=(), initializer="zeros", dtype="float32", trainable=False,
                aggregation="only_first_replica", name="pl_mean")

    def _check_lazy_network(self, network, option):
        """A lazy regularizer runs inside a `tf.cond`, where MirroredStrategy allows
        no cross-replica synchronization: refuse synchronized batch norm there."""
        if num_replicas() == 1 or tf.__internal__.distribute.strategy_supports_no_merge_call():
            return
        strategy = type(tf.distribute.get_strategy()).__name__
        for layer in network._flatten_layers(include_self=True, recursive=True):
            if getattr(layer, "synchronized", False):
                raise ValueError(
                    f"{type(self).__name__}({option}=...) under {strategy}: "
                    f"the layer {layer.name!r} synchronizes batch statistics across "
                    "replicas, which cannot run inside the lazy regularizer's tf.cond. "
                    "Use networks without batch norm for R1 / path length (StyleGAN2 has "
                    "none; it couples the examples of a per-example penalty), or train "
                    "on one device."
                )

    @property
    def lazy_rows(self):
        """Inside a lazy regularizer: `(offset, total)` of this replica's examples in
        the global batch (`replicas.global_rows`), computed before the regularizer's
        `tf.cond` (inside it no cross-replica op may run). For noise drawn per
        example, the same on N replicas as on one device."""
        rows = self._zoo.__dict__.get("lazy_rows")
        if rows is None:
            raise RuntimeError("lazy_rows is only defined while a lazy regularizer runs.")
        return rows

    def r1_logits(self, images, labels=None):
        """The logits whose input gradient R1 penalizes, in training mode.

        `call_discriminator(images, labels, training=True)`: its `"logit"` entry for
        a dict (InfoGAN), its first entry for a list (ACGAN's adversarial head).
        Models whose discriminator has several adversarial outputs override it.
        """
        outputs = self.call_discriminator(images, labels, training=True)
        if isinstance(outputs, dict):
            outputs = outputs["logit"]
        elif isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        return outputs

    def r1_regularizer(self, real_images, fake_images, labels):
        """`r1_gamma / 2 * E[||grad_x D(x)||^2]` on this replica's real images (a
        per-replica mean; `losses.r1_penalty` on `r1_logits`, so a conditional
        discriminator sees the labels).

        Float16: the reals are cast to float32 and the discriminator's float16
        layers run in float32 for this pass (`losses.compute_in_float32`), so the
        inner gradient d D / d x and the double backprop of the outer update are
        float32. Scaling the inner gradient by the loss scale instead (as WGAN-GP's
        penalty does) made mmgeneration's fp16 StyleGAN2 diverge, so they keep the
        loss scaler out of R1 and path length (open-mmlab/mmagic,
        configs/styleganv2/README.md); an unscaled float16 inner gradient, though,
        overflows (inf: every R1 step skipped, whatever the loss scale) or
        underflows. In float32 the outer loss scale only
        multiplies the penalty's float32 gradients by a power of two and divides
        them again: the penalty is effectively outside float16 loss scaling. It
        costs one float32 discriminator pass every `r1_every` steps. bfloat16
        layers (float32's range) are left as they are.
        """
        self._check_lazy_network(self.discriminator, "r1_gamma")

        def critic(images, training=True):
            return self.r1_logits(images, labels)

        with compute_in_float32(self.discriminator):
            penalty = r1_penalty(critic, tf.cast(real_images, "float32"))
        return 0.5 * self.r1_gamma * penalty

    def path_length_inputs(self, latents, labels=None):
        """`w`, what path-length regularization measures the images' Jacobian by.

        The latents by default, `(B, latent_dim)`. A style-based generator returns
        its mapping network's output here, `(B, D)` or `(B, L, D)` (one w per
        synthesis layer), computed normally (on the generator's tape, so the penalty
        also trains the mapping, as in StyleGAN2), and overrides
        `path_length_images` to synthesize from it. Runs inside
        `compute_in_float32(self.generator)`, under the lazy `tf.cond`.
        """
        return tf.cast(latents, "float32")

    def path_length_images(self, w, labels=None):
        """The images of `path_length_inputs`'s `w`, in training mode (the generator
        on the latents by default; StyleGAN2: its synthesis network on W)."""
        return self.call_generator(w, labels, training=True)

    def path_length_values(self, latents, labels):
        """Per-example path lengths `||J_w^T y||` (`losses.path_lengths`) of every
        `pl_batch_shrink`-th example of this replica's generator batch, each repeated
        for the examples it stands for (one value per example, as the generator
        hook's two-phase form asks; `path_length_finish` keeps every
        `pl_batch_shrink`-th).

        The noise images `y` are drawn per example from its index in the global
        batch (`lazy_rows`), so N replicas draw what one device draws. Networks run
        in float32 under `mixed_float16` (see `r1_regularizer`).
        """
        self._check_lazy_network(self.generator, "pl_weight")
        shrink = self.pl_batch_shrink
        count = tf.shape(latents)[0]
        # Gathers rather than strided slices: XLA (jit_compile on GPU) fails on the
        # gradient of a strided slice inside the lazy tf.cond.
        picked = tf.range(0, count, shrink)
        offset, _ = self.lazy_rows
        seed = self.noise_seed(draw=_PATH_LENGTH_STREAM, per_replica=False)
        noise = tf.map_fn(
            lambda i: tf.random.stateless_normal(
                self.image_shape, tf.random.experimental.stateless_fold_in(seed, i)),
            tf.cast(offset + picked, "int64"), fn_output_signature=tf.float32)
        labels = None if labels is None else tf.gather(labels, picked)
        with compute_in_float32(self.generator):
            w = self.path_length_inputs(tf.gather(latents, picked), labels)
            lengths = path_lengths(lambda w: self.path_length_images(w, labels), w,
                                   noise=noise)
        return tf.gather(lengths, tf.range(count) // shrink)

    def path_length_finish(self, values):
        """`pl_weight * E[(l - a')^2]` over the global regularizer batch, and the new
        running mean `a' = a + pl_decay * (E[l] - a)` (`losses.path_length_penalty`),
        to be stored if the generator's update is applied. Means over the global
        batch, from all-reduced sums (outside the `tf.cond`)."""
        lengths = values[::self.pl_batch_shrink]

        def mean(x):
            total, count = all_reduce_sum([tf.reduce_sum(x), tf.cast(tf.size(x), "float32")])
            return total / tf.maximum(count, 1.0)

        penalty, new_mean = path_length_penalty(lengths, self.pl_mean, self.pl_decay,
                                                mean=mean)
        return self.pl_weight * penalty, [(self.pl_mean, new_mean)]

    # ----------------------------------------------------------------- hooks
    def discriminator_loss(self, real_logits, fake_logits):
        """Per-replica mean loss of the discriminator. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must define discriminator_loss.")

    def generator_loss(self, fake_logits):
        """Per-replica mean loss of the generator. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must define generator_loss.")

    def discriminator_penalties(self, real_images, fake_images):
        """Extra discriminator terms of every update, `{name: weighted per-replica mean}`.

        Each name must have been declared with `add_tracker(name)` in `__init__`; the
        terms are added to `d_loss` and reported under their own names.
        """
        return {}

    def discriminator_regularizers(self):
        """Lazy regularizers: `{name: (interval, fn)}`, `fn(real_images, fake_images,
        labels)` -> a weighted per-replica mean.

        The term runs on the steps where `step_counter % interval == 0` only, multiplied
        by `interval` (StyleGAN2's lazy regularization: the same expected strength at
        1/interval of the cost), inside a `tf.cond` so that skipped steps do not
        compute it. It is added to the discriminator's loss of the step's first
        update and reported under `name` (declare it with `add_tracker`) as its
        weighted value on the steps it runs, 0 on the others. Under MirroredStrategy
        nothing inside `fn` may synchronize the replicas (no all-reduce, no
        synchronized batch norm); the two-phase form of `generator_regularizers`
        (`(interval, fn, finish)`) works here too for global-batch statistics.

        The base adds R1 (`"r1"`, `r1_regularizer`) when `r1_gamma > 0`; overrides
        extend `super().discriminator_regularizers()`.
        """
        if not self.r1_gamma:
            return {}
        return {"r1": (self.r1_every, self.r1_regularizer)}

    def generator_regularizers(self):
        """Lazy regularizers of the generator, as `discriminator_regularizers`.

        `{name: (interval, fn)}`: `fn(latents, labels)` -> a weighted per-replica
        mean, run under a `tf.cond` on the steps where `step_counter % interval ==
        0`, multiplied by `interval`, added to the generator's loss and reported
        under `name`. `latents` / `labels` are those of the generator's update.

        Two-phase form `{name: (interval, fn, finish)}` for terms that need
        statistics of the global batch or keep state (an all-reduce cannot run
        inside a `tf.cond` under MirroredStrategy): `fn(latents, labels)` returns
        one float32 value per example (zeros on the other steps) and runs under the
        `tf.cond`; `finish(values)` runs outside it, on every step, may use
        cross-replica means, and returns the weighted term, or `(term, updates)`
        with `updates` a list of `(variable, new value)` assigned after the
        generator's update if it was applied on a step the term ran. `lazy_rows`
        gives the examples' global positions inside `fn`.

        The base adds path-length regularization (`"pl"`, `path_length_values` /
        `path_length_finish`) when `pl_weight > 0`; overrides extend
        `super().generator_regularizers()`.
        """
        if not self.pl_weight:
            return {}
        return {"pl": (self.pl_every, self.path_length_values, self.path_length_finish)}

    def discriminator_objective(self, real_images, fake_images, labels, latents=None):
        """The discriminator's loss and extra terms for one update.

        Returns `(loss, terms)`: `loss` is the per-replica mean of the adversarial
        loss, `terms` a dict of weighted per-replica means added to it (each name
        declared with `add_tracker`). The default runs the discriminator on real and
        fake images (separately, so batch norm never mixes them) and adds
        `discriminator_penalties`. Override it for extra heads (ACGAN, InfoGAN);
        `latents` are those the fake images were generated from.
        """
        real_logits = self.call_discriminator(real_images, labels, training=True)
        fake_logits = self.call_discriminator(fake_images, labels, training=True)
        loss = self.discriminator_loss(real_logits, fake_logits)
        return loss, dict(self.discriminator_penalties(real_images, fake_images))

    def generator_objective(self, fake_images, latents, labels, real_images=None):
        """The generator's loss and extra terms, like `discriminator_objective`.

        `real_images` is the step's last real minibatch (feature matching needs it).
        Overrides call `generator_adversarial_loss(...)` for their adversarial term,
        so `feature_matching` keeps working for them.
        """
        return self.generator_adversarial_loss(fake_images, labels, real_images), {}

    def training_fakes(self, real_images, latents, labels):
        """What the generator produces for one training update, given the real batch.

        The default is `call_generator(latents, labels, training=True)`. Models whose
        generator is conditioned on the real batch (LAPGAN's levels see the real
        coarse images) override it; whatever it returns is passed on as `fake_images`
        to `discriminator_objective` and `generator_objective`.
        """
        return self.call_generator(latents, labels, training=True)

    def after_discriminator_update(self):
        """Called after every discriminator update (e.g. WGAN's weight clipping)."""
        return None

    def after_generator_update(self, applied):
        """Called after every generator update with `applied`, a scalar bool (or
        `True`): whether the update was applied (e.g. an EMA of the generator's
        weights, which must not move on a skipped step). The base updates the
        generator EMA here (`update_ema`); overrides call
        `super().after_generator_update(applied)` to keep it."""
        self.update_ema(applied)

    def default_optimizers(self):
        """The optimizers of a bare `compile()`: the DCGAN paper's Adam(2e-4,
        beta_1=0.5) for both networks unless a model overrides it."""
        return {"generator_optimizer": keras.optimizers.Adam(2e-4, beta_1=0.5),
                "discriminator_optimizer": keras.optimizers.Adam(2e-4, beta_1=0.5)}

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {
            "name": self.name,
            "latent_dim": self.latent_dim,
            "num_classes": self.num_classes,
            "d_steps": self.d_steps,
            "latent_distribution": self.latent_distribution,
            "seed": self.seed,
            "label_smoothing": self.label_smoothing,
            "feature_matching": self.feature_matching,
            "historical_averaging": self.historical_averaging,
            "diff_augment": self.diff_augment,
            "ema_beta": self.ema_beta,
            "ema_half_life_images": self.ema_half_life_images,
            "ema_rampup": self.ema_rampup,
            "r1_gamma": self.r1_gamma,
            "r1_every": self.r1_every,
            "pl_weight": self.pl_weight,
            "pl_every": self.pl_every,
            "pl_decay": self.pl_decay,
            "pl_batch_shrink": self.pl_batch_shrink,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------------ call
    def call_generator(self, latents, labels=None, training=False, network=None):
        """Runs the generator on latents (and labels, for a conditional model).

        `network`: another network of the generator's signature to run instead
        (`generate` passes the EMA generator).
        """
        network = self.generator if network is None else network
        if self.conditional:
            return network([latents, labels], training=training)
        return network(latents, training=training)

    def discriminator_inputs(self, images, labels=None):
        """What the discriminator takes: `[images, labels]` for a conditional model,
        else `images` (ACGAN's discriminator never sees the labels)."""
        return [images, labels] if self.conditional else images

    def call_discriminator(self, images, labels=None, training=False):
        """Runs the discriminator on images (and labels, for a conditional model)."""
        return self.discriminator(self.discriminator_inputs(images, labels),
                                  training=training)

    def call(self, latents, labels=None, training=False):
        return self.call_generator(latents, labels, training=training)

    # ---------------------------------------------------------------- inputs
    def check_batch_size(self, batch_size, where):
        if batch_size < self.d_steps:
            raise ValueError(
                f"{where}: a batch of {batch_size} images cannot feed d_steps="
                f"{self.d_steps} discriminator updates (each needs at least one image; "
                f"under tf.distribute, per replica). Use a batch size of at least "
                f"{self.d_steps} (a multiple of it gives equal minibatches), and "
                "drop_remainder=True for a dataset whose last batch is smaller."
            )

    # ------------------------------------------------------------ sampling
    def sample_latent(self, batch_size, draw=0):
        """Latents for training: stateless, seeded by (seed, step, draw, replica).

        The step is the model's step counter, which is saved with it, so a resumed
        run draws exactly what an uninterrupted run would have drawn.
        """
        shape = tf.stack([tf.cast(batch_size, "int32"), self.latent_dim])
        seed = self.noise_seed(draw)
        if self.latent_distribution == "uniform":
            return tf.random.stateless_uniform(shape, seed, minval=-1.0, maxval=1.0)
        return tf.random.stateless_normal(shape, seed)

    def _latents_numpy(self, n, seed):
        rng = np.random.default_rng(seed)
        if self.latent_distribution == "uniform":
            return rng.uniform(-1.0, 1.0, (n, self.latent_dim)).astype("float32")
        return rng.standard_normal((n, self.latent_dim)).astype("float32")

    def _latents_for(self, n, latents, seed):
        """`latents` checked to be (n, latent_dim) float32, or n fresh ones from `seed`."""
        if latents is None:
            return self._latents_numpy(int(n), seed)
        latents = np.asarray(latents, dtype="float32")
        if latents.shape != (n, self.latent_dim):
            raise ValueError(
                f"latents must have shape ({n}, {self.latent_dim}); got {latents.shape}."
            )
        return latents

    def generate(self, n, seed=None, latents=None, labels=None, batch_size=256,
                 use_ema=True):
        """Samples `n` images in [-1, 1] as a float32 numpy array.

        Args:
            n: number of images.
            seed: integer seed of the latents; the same seed gives the same images.
            latents: explicit latents of shape (n, latent_dim) instead of a seed.
            labels: conditional models only: one class for all samples or n classes.
            batch_size: images per generator call.
            use_ema: for a model with a generator EMA (`ema_beta` /
                `ema_half_life_images`), sample from the EMA weights (default) or,
                with False, from the trained generator. No effect without EMA.

        Example:
            >>> images = model.generate(64, seed=0)   # (64, H, W, C)
            >>> shirts = cgan.generate(8, seed=0, labels=6)
        """
        n = self._check_count(n)
        labels = self._labels_numpy(n, labels)
        latents = self._latents_for(n, latents, seed)
        network = self._sampling_generator(use_ema)
        chunks = []
        for i in range(0, n, batch_size):
            part = None if labels is None else labels[i : i + batch_size]
            images = self.call_generator(latents[i : i + batch_size], part, training=False,
                                         network=network)
            chunks.append(keras.ops.convert_to_numpy(keras.ops.cast(images, "float32")))
        return np.concatenate(chunks, axis=0)

    # ------------------------------------------------------------- training
    def _lazy_entry(self, name, entry):
        """`(interval, fn, finish or None)` of a regularizer entry, checked."""
        owner = type(self).__name__
        if not isinstance(entry, tuple) or len(entry) not in (2, 3):
            raise ValueError(f"{owner}: lazy regularizer {name!r} must be (interval, fn) or "
                             f"(interval, fn, finish); got {entry!r}.")
        interval, fn, finish = (*entry, None)[:3]
        if isinstance(interval, bool) or not isinstance(interval, (int, np.integer)) or (
                interval < 1):
            raise ValueError(f"{owner}: lazy regularizer {name!r} needs a positive int "
                             f"interval; got {interval!r}.")
        if name not in self._trackers:
            raise ValueError(f"{owner}: lazy regularizer {name!r} has no tracker; declare it "
                             f"with add_tracker({name!r}) in __init__.")
        return int(interval), fn, finish

    def _lazy_terms(self, regularizers, args):
        """Runs lazy regularizers (`{name: entry}`, see `generator_regularizers`) on
        `args` (the batch first): `(terms, updates)`, `terms` the weighted values
        times their intervals (0 on the steps they skip), `updates` the
        `(variable, new value, ran)` to assign if the network's update is applied."""
        terms, updates = {}, []
        if not regularizers:
            return terms, updates
        count = tf.shape(args[0])[0]
        self._zoo.lazy_rows = global_rows(count)
        for name, entry in regularizers.items():
            interval, fn, finish = self._lazy_entry(name, entry)
            ran = self.every(interval)
            if finish is None:
                def run(fn=fn, interval=interval):
                    return float(interval) * tf.cast(fn(*args), "float32")
                terms[name] = tf.cond(ran, run, lambda: tf.zeros((), "float32"))
                continue

            def values(fn=fn):
                return tf.reshape(tf.cast(fn(*args), "float32"), [count])
            result = finish(tf.cond(ran, values, lambda: tf.zeros([count], "float32")))
            value, new = result if isinstance(result, tuple) else (result, [])
            terms[name] = tf.where(ran, float(interval) * tf.cast(value, "float32"), 0.0)
            updates.extend((variable, new_value, ran) for variable, new_value in new)
        self._zoo.lazy_rows = None
        return terms, updates

    @staticmethod
    def _apply_lazy_updates(updates, applied):
        """Assigns the lazy regularizers' new state where they ran and the update
        of their network was applied."""
        for variable, new_value, ran in updates:
            keep = ran if applied is True else tf.logical_and(ran, applied)
            variable.assign(tf.where(keep, tf.cast(new_value, variable.dtype), variable))

    @property
    def d_update_index(self):
        """Which of the step's `d_steps` discriminator updates is being traced (0 ..
        d_steps - 1): a Python int, for penalties that draw their own noise
        (`noise_seed(draw=... + d_update_index)`)."""
        return self._zoo.__dict__.get("d_update_index", 0)

    def _discriminator_update(self, real_images, fake_images, labels, latents, first):
        fake_images = tf.stop_gradient(fake_images)
        # DiffAugment (identity when off): the objective, its penalties and the lazy
        # regularizers all see the augmented images, as D does.
        real_images = self.augment_images(real_images, draw=2 * self.d_update_index)
        fake_images = self.augment_images(fake_images, draw=2 * self.d_update_index + 1)
        with tf.GradientTape() as tape:
            loss, terms = self.discriminator_objective(real_images, fake_images, labels,
                                                       latents=latents)
            lazy_updates = []
            if first:
                lazy, lazy_updates = self._lazy_terms(self.discriminator_regularizers(),
                                                      (real_images, fake_images, labels))
                terms = {**terms, **lazy}
            if "d" in self._historical:
                terms = {**terms, "hist_avg_d": self.historical_penalty("d")}
            d_loss = tf.add_n([loss, *terms.values()])
        applied = self.minimize(tape, {"discriminator_optimizer": d_loss},
                                tf.shape(real_images)[0])["discriminator_optimizer"]
        self.after_discriminator_update()
        self._historical_update("d", applied)
        self._apply_lazy_updates(lazy_updates, applied)
        return d_loss, terms, applied

    def train_step(self, data):
        batch = self.unpack_batch(data)
        self.check_batch(batch, "train_step")
        real, labels, given_latents = batch["images"], batch.get("labels"), batch.get("latents")
        if given_latents is not None and tuple(given_latents.shape[1:]) != (self.latent_dim,):
            raise ValueError(
                f"latents must have shape (batch, {self.latent_dim}); "
                f"got {tuple(given_latents.shape)}."
            )
        real = tf.cast(real, self.discriminator.compute_dtype)
        k = self.d_steps
        if k > 1:
            if real.shape[0] is not None:
                self.check_batch_size(real.shape[0], "train_step")
            tf.debugging.assert_greater_equal(
                tf.shape(real)[0], k, message=(
                    f"{type(self).__name__}: a batch (per replica) smaller than d_steps={k}"
                    " cannot feed every discriminator update; use drop_remainder=True or "
                    "a larger batch."))

        if self._historical:
            self._historical_start()
        all_applied = True
        d_losses, term_totals = [], {}
        with tf.GradientTape() as g_tape:
            for i in range(k):
                # Example j -> minibatch j mod k: every example is used, and under a
                # strategy (each replica holds a contiguous block of the global batch)
                # the replicas' i-th minibatches together are the global batch's i-th
                # minibatch when each replica's block divides by k.
                real_i = real[i::k]
                labels_i = None if labels is None else labels[i::k]
                if given_latents is None:
                    latents = self.sample_latent(tf.shape(real_i)[0], draw=i)
                else:
                    latents = tf.cast(given_latents[i::k], "float32")
                if i < k - 1:
                    with g_tape.stop_recording():
                        fake = self.training_fakes(real_i, latents, labels_i)
                else:
                    fake = self.training_fakes(real_i, latents, labels_i)
                self._zoo.d_update_index = i
                with g_tape.stop_recording():
                    d_loss, terms, applied = self._discriminator_update(
                        real_i, fake, labels_i, latents, first=i == 0)
                all_applied = applied if all_applied is True else (
                    all_applied if applied is True else tf.logical_and(all_applied, applied))
                d_losses.append(d_loss)
                for name, value in terms.items():
                    term_totals[name] = term_totals.get(name, 0.0) + value / k
            # DiffAugment's own draws for the generator update (identity when off).
            g_loss, g_terms = self.generator_objective(
                self.augment_images(fake, draw=2 * k + 1), latents, labels_i,
                real_images=self.augment_images(real_i, draw=2 * k))
            if "g" in self._historical:
                g_terms = {**g_terms, "hist_avg_g": self.historical_penalty("g")}
            g_lazy, g_updates = self._lazy_terms(self.generator_regularizers(),
                                                 (latents, labels_i))
            g_terms = {**g_terms, **g_lazy}
            g_total = tf.add_n([g_loss, *g_terms.values()])
        # A generator step computed against a discriminator that just overflowed
        # is not applied (and leaves the generator's loss scale alone).
        g_applied = self.minimize(g_tape, {"generator_optimizer": g_total},
                                  tf.shape(real_i)[0],
                                  apply_when=all_applied)["generator_optimizer"]
        self._historical_update("g", g_applied)
        self._apply_lazy_updates(g_updates, g_applied)
        self._zoo.step_batch_size = tf.shape(real)[0]  # the EMA's half-life counts images
        self.after_generator_update(g_applied)
        return self.finish_step(
            {"d_loss": tf.add_n(d_losses) / k, "g_loss": g_total, **term_totals, **g_terms}
        )

    # --------------------------------------------------------------- export
    def export_generator(self, path, use_ema=True):
        """Writes the generator as a TF SavedModel with a `serve(z)` signature.

        The SavedModel needs nothing from keras_gan_zoo (nor Keras) to load:
        `tf.saved_model.load(path).serve(z)` returns float32 images in [-1, 1]
        (`serve(z, labels)` with int32 labels for a conditional model).
        The directory is written next to `path` and moved into place at the end,
        so an interrupted export never leaves a half-written model at `path`.

        Args:
            path: target directory (replaced if it exists).
            use_ema: for a model with a generator EMA, export the EMA weights
                (default) or, with False, the trained generator's.

        Example:
            >>> model.export_generator("dcgan_generator")
            >>> g = tf.saved_model.load("dcgan_generator")
            >>> images = g.serve(tf.random.normal([16, 100]))
        """
        generator = self._sampling_generator(use_ema)
        signature = [tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")]
        if self.conditional:
            signature.append(tf.TensorSpec((None,), tf.int32, name="labels"))

            def serve(latents, labels):
                return tf.cast(generator([latents, labels], training=False), tf.float32)
        else:

            def serve(latents):
                return tf.cast(generator(latents, training=False), tf.float32)

        archive = keras.export.ExportArchive()
        archive.track(generator)
        archive.add_endpoint("serve", serve, input_signature=signature)
        return self._write_export(archive, path)
