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

from keras_gan_zoo.layers import MinibatchDiscrimination
from keras_gan_zoo.models.base import GenerativeModel, Unsaved
from keras_gan_zoo.models.replicas import global_batch_mean

LATENT_DISTRIBUTIONS = ("normal", "uniform")


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

    Example:
        >>> model = kgz.create_model("dcgan", image_shape=(28, 28, 1),
        ...                          label_smoothing=0.1, feature_matching=True,
        ...                          historical_averaging=1e-4)

    Reference:
        Goodfellow et al., Generative Adversarial Networks, arXiv:1406.2661.
        Salimans et al., Improved Techniques for Training GANs, arXiv:1606.03498.
    """

    family = "adversarial"
    optimizer_networks = {"generator_optimizer": ("generator",),
                          "discriminator_optimizer": ("discriminator",)}
    batch_extras = ("latents",)  # dict batches may fix the training noise per example

    # True for models whose discriminator loss is a sigmoid cross-entropy taking
    # `real_label=self.real_label` (one-sided label smoothing applies to them).
    supports_label_smoothing = False

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
        weighted value on the steps it runs, 0 on the others.
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
        weights, which must not move on a skipped step)."""
        return None

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
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------------ call
    def call_generator(self, latents, labels=None, training=False):
        """Runs the generator on latents (and labels, for a conditional model)."""
        if self.conditional:
            return self.generator([latents, labels], training=training)
        return self.generator(latents, training=training)

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

    def generate(self, n, seed=None, latents=None, labels=None, batch_size=256):
        """Samples `n` images in [-1, 1] as a float32 numpy array.

        Args:
            n: number of images.
            seed: integer seed of the latents; the same seed gives the same images.
            latents: explicit latents of shape (n, latent_dim) instead of a seed.
            labels: conditional models only: one class for all samples or n classes.
            batch_size: images per generator call.

        Example:
            >>> images = model.generate(64, seed=0)   # (64, H, W, C)
            >>> shirts = cgan.generate(8, seed=0, labels=6)
        """
        n = self._check_count(n)
        labels = self._labels_numpy(n, labels)
        latents = self._latents_for(n, latents, seed)
        chunks = []
        for i in range(0, n, batch_size):
            part = None if labels is None else labels[i : i + batch_size]
            images = self.call_generator(latents[i : i + batch_size], part, training=False)
            chunks.append(keras.ops.convert_to_numpy(keras.ops.cast(images, "float32")))
        return np.concatenate(chunks, axis=0)

    # ------------------------------------------------------------- training
    def _lazy_terms(self, real_images, fake_images, labels):
        terms = {}
        for name, (interval, fn) in self.discriminator_regularizers().items():
            def run(fn=fn, interval=interval):
                return float(interval) * tf.cast(fn(real_images, fake_images, labels),
                                                 "float32")
            terms[name] = tf.cond(self.every(interval), run, lambda: tf.zeros((), "float32"))
        return terms

    @property
    def d_update_index(self):
        """Which of the step's `d_steps` discriminator updates is being traced (0 ..
        d_steps - 1): a Python int, for penalties that draw their own noise
        (`noise_seed(draw=... + d_update_index)`)."""
        return self._zoo.__dict__.get("d_update_index", 0)

    def _discriminator_update(self, real_images, fake_images, labels, latents, first):
        fake_images = tf.stop_gradient(fake_images)
        with tf.GradientTape() as tape:
            loss, terms = self.discriminator_objective(real_images, fake_images, labels,
                                                       latents=latents)
            if first:
                terms = {**terms, **self._lazy_terms(real_images, fake_images, labels)}
            if "d" in self._historical:
                terms = {**terms, "hist_avg_d": self.historical_penalty("d")}
            d_loss = tf.add_n([loss, *terms.values()])
        applied = self.minimize(tape, {"discriminator_optimizer": d_loss},
                                tf.shape(real_images)[0])["discriminator_optimizer"]
        self.after_discriminator_update()
        self._historical_update("d", applied)
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
            g_loss, g_terms = self.generator_objective(fake, latents, labels_i,
                                                       real_images=real_i)
            if "g" in self._historical:
                g_terms = {**g_terms, "hist_avg_g": self.historical_penalty("g")}
            g_total = tf.add_n([g_loss, *g_terms.values()])
        # A generator step computed against a discriminator that just overflowed
        # is not applied (and leaves the generator's loss scale alone).
        g_applied = self.minimize(g_tape, {"generator_optimizer": g_total},
                                  tf.shape(real_i)[0],
                                  apply_when=all_applied)["generator_optimizer"]
        self._historical_update("g", g_applied)
        self.after_generator_update(g_applied)
        return self.finish_step(
            {"d_loss": tf.add_n(d_losses) / k, "g_loss": g_total, **term_totals, **g_terms}
        )

    # --------------------------------------------------------------- export
    def export_generator(self, path):
        """Writes the generator as a TF SavedModel with a `serve(z)` signature.

        The SavedModel needs nothing from keras_gan_zoo (nor Keras) to load:
        `tf.saved_model.load(path).serve(z)` returns float32 images in [-1, 1]
        (`serve(z, labels)` with int32 labels for a conditional model).
        The directory is written next to `path` and moved into place at the end,
        so an interrupted export never leaves a half-written model at `path`.

        Args:
            path: target directory (replaced if it exists).

        Example:
            >>> model.export_generator("dcgan_generator")
            >>> g = tf.saved_model.load("dcgan_generator")
            >>> images = g.serve(tf.random.normal([16, 100]))
        """
        generator = self.generator
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
