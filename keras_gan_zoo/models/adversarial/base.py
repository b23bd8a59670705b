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

Options of every model, each in a mixin of its own module beside this one
(`AdversarialModel.__init__` calls their `_init_*` methods; the options stay in this
class's config):

- `improved_techniques.py`, `ImprovedTechniques`: Salimans et al. 2016
  (arXiv:1606.03498): `label_smoothing` (one-sided, for sigmoid cross-entropy
  losses), `feature_matching` (the generator matches the mean of an intermediate
  discriminator layer on real data) and `historical_averaging` (a penalty pulling
  both networks towards the running mean of their past parameters). Minibatch
  discrimination is a layer (`keras_gan_zoo.layers.MinibatchDiscrimination`) that
  architectures insert.
- `ema.py`, `GeneratorEMA`: Karras et al. (arXiv:1710.10196, arXiv:1912.04958):
  `ema_beta=` or `ema_half_life_images=` keeps an exponential moving average of the
  generator's weights in non-trainable float32 variables of the model (saved with
  it), updated in `after_generator_update` on the steps whose generator update was
  applied. `generate`, `export_generator` and the published generator files use it
  by default (`use_ema=False` opts out); `model.generator` stays the trained network.
- `regularization.py`, `LazyRegularization`: StyleGAN2 (arXiv:1912.04958, appendix
  B): `r1_gamma=` adds R1 on real images every `r1_every` steps, `pl_weight=`
  path-length regularization of the generator every `pl_every` steps, each
  multiplied by its interval; both go through the `discriminator_regularizers` /
  `generator_regularizers` hooks, which models extend. Under `mixed_float16` their
  networks run in float32 (`losses.compute_in_float32`).

DiffAugment (Zhao et al. 2020, arXiv:2006.10738) stays here, being part of the
step's inputs: `diff_augment=` a policy augments every real and fake image the
discriminator sees in training (`augment_images`, `keras_gan_zoo.augment`).

Mixed precision: under `mixed_float16` both optimizers are `LossScaleOptimizer`s. A
discriminator update whose gradients overflow on any replica is skipped on every
replica (and its scale halved); the generator update of the same step is skipped
too, without touching the generator's scale (a real skip, `apply_if`). A generator
overflow after finite discriminator updates skips the generator's update only: by
then the discriminator's update has been applied, as the alternating algorithm
prescribes. Logits and images are float32 at the networks' outputs.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.augment import diff_augment as apply_diff_augment
from keras_gan_zoo.augment import normalize_policy
from keras_gan_zoo.models.adversarial.ema import GeneratorEMA
from keras_gan_zoo.models.adversarial.improved_techniques import ImprovedTechniques
from keras_gan_zoo.models.adversarial.regularization import LazyRegularization
from keras_gan_zoo.models.base import GenerativeModel
from keras_gan_zoo.models.replicas import global_rows

# A name that lived here before the mixins moved out, still importable from this
# module (tests and user code import it from keras_gan_zoo.models.adversarial.base).
from keras_gan_zoo.models.adversarial.ema import ema_beta_from_half_life  # noqa: F401

LATENT_DISTRIBUTIONS = ("normal", "uniform")

# DiffAugment's draws: `noise_seed(draw=_AUGMENT_STREAM + j)`, j = 2i (reals) and
# 2i + 1 (fakes) of discriminator update i, 2 * d_steps (reals, for feature matching)
# and 2 * d_steps + 1 (fakes) of the generator update. Far above the latents'
# draws (0 .. d_steps - 1) and WGAN-GP's interpolation weights (0x6770 + i).
_AUGMENT_STREAM = 0x0D1FA000
# Path-length regularization's noise images draw from `_PATH_LENGTH_STREAM`
# (0x0D1FB000, regularization.py).


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class AdversarialModel(ImprovedTechniques, GeneratorEMA, LazyRegularization,
                       GenerativeModel):
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

    # False for models whose discriminator does not see plain images through the
    # base's training step (LAPGAN's pyramid levels, VAE-GAN's own step): they
    # refuse `diff_augment` instead of ignoring it. (`supports_label_smoothing` and
    # `supports_lazy_regularization` are declared by their mixins.)
    supports_diff_augment = True

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

    # ----------------------------------------------------------------- hooks
    # (The lazy regularizers' hooks, `discriminator_regularizers` and
    # `generator_regularizers`, are in regularization.py with R1 and path length.)
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

    def random_latents(self, n, seed=None):
        """`n` latents from the prior as a float32 numpy array, the ones `generate` uses.

        Args:
            n: how many.
            seed: integer seed; `generate(n, seed=s)` draws exactly
                `random_latents(n, s)`, so edits of these latents (interpolations,
                truncation, style mixing) can be compared with plain samples.

        Example:
            >>> z = model.random_latents(8, seed=0)          # (8, latent_dim)
            >>> same = model.generate(8, latents=z)          # == model.generate(8, seed=0)
        """
        rng = np.random.default_rng(seed)
        if self.latent_distribution == "uniform":
            return rng.uniform(-1.0, 1.0, (n, self.latent_dim)).astype("float32")
        return rng.standard_normal((n, self.latent_dim)).astype("float32")

    def _latents_for(self, n, latents, seed):
        """`latents` checked to be (n, latent_dim) float32, or n fresh ones from `seed`."""
        if latents is None:
            return self.random_latents(int(n), seed)
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
    def export_generator(self, path, use_ema=True, format="saved_model", quantize=None):
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
            format: "saved_model" (default), "tflite" or "onnx" (keras_gan_zoo.export;
                for the last two `path` is the file, or a directory that receives
                `generator[.quantize].tflite|onnx`).
            quantize: None, "float16" or "int8" (dynamic range), tflite / onnx only.

        Example:
            >>> model.export_generator("dcgan_generator")
            >>> g = tf.saved_model.load("dcgan_generator")
            >>> images = g.serve(tf.random.normal([16, 100]))
        """
        self._check_export(format, quantize)
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
        return self._write_export(archive, path, format, quantize)
