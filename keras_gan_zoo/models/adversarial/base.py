"""`AdversarialModel`: the training core every GAN in the zoo stands on.

An architecture supplies two networks and its two loss terms; this base owns the
rest: both optimizers (paper defaults on a bare `compile()`), mixed-precision loss
scaling, `d_steps` discriminator updates per generator update, a penalty hook,
metric trackers, `generate`, `export_generator`, configs, and input checks.

One `train_step` (Goodfellow 2014, algorithm 1, with the fake batch reused):

    for each of the d_steps minibatches x_i of the incoming batch:
        z ~ p(z);  fake = G(z)
        update D on  L_D(D(x_i), D(fake)) + penalties
    update G on L_G(D(fake)), back-propagating through the last fake batch

The generator's forward pass of the last discriminator step is recorded on the
generator's tape and reused for the generator update (as the PyTorch DCGAN example
does), instead of running G a second time as the keras.io tutorial does. The
generator update still sees the freshly updated discriminator.

Distribution: every loss is a per-replica mean divided by `num_replicas_in_sync`,
so the all-reduced (summed) gradients equal the gradient of the global-batch mean.
Each replica draws its own latents (the replica id is folded into the seed).

Improved techniques (Salimans et al. 2016, arXiv:1606.03498) are constructor options
of every model: `label_smoothing` (one-sided, for sigmoid cross-entropy losses),
`feature_matching` (the generator matches the mean of an intermediate discriminator
layer on real data) and `historical_averaging` (a penalty pulling both networks
towards the running mean of their past parameters). Minibatch discrimination is a
layer (`keras_gan_zoo.layers.MinibatchDiscrimination`) that architectures insert.

Mixed precision: under `mixed_float16` both optimizers are `LossScaleOptimizer`s;
if the discriminator's gradients are not finite, its update is skipped and the
generator's update of the same step is skipped too (its gradients are replaced by
NaN, which its own loss scaler skips and backs off from). Logits and images are
float32 at the networks' outputs.
"""

import inspect
import numbers

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.layers import MinibatchDiscrimination
from keras_gan_zoo.models.base import (
    GenerativeModel,
    all_finite as grads_finite,
    global_batch_mean,
    is_float16_policy,
    num_replicas,
    replica_id,
)

LATENT_DISTRIBUTIONS = ("normal", "uniform")

# Kept importable under their old private names (models written before base.py).
_num_replicas, _replica_id = num_replicas, replica_id
_is_float16_policy, _global_batch_mean = is_float16_policy, global_batch_mean


class _Unsaved:
    """A plain holder: what it holds is neither tracked nor saved by Keras."""

    def __init__(self, **items):
        self.__dict__.update(items)


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
                         **kwargs)
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int; got {latent_dim!r}.")
        if not isinstance(d_steps, int) or d_steps < 1:
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
        self.seed = self._resolve_seed(seed)
        self.d_loss_tracker = self.add_tracker("d_loss")
        self.g_loss_tracker = self.add_tracker("g_loss")
        self.generator_optimizer = None
        self.discriminator_optimizer = None
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
                self._historical[key] = _Unsaved(
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
        self._features = _Unsaved(model=None)
        if feature_matching is not None:
            if not self._objective_takes_real_images():
                raise ValueError(
                    f"feature_matching needs the real images in the generator's "
                    f"objective, but {name}.generator_objective does not accept "
                    "`real_images=`. Add `real_images=None` to its signature and use "
                    "`self.generator_adversarial_loss(...)` for its adversarial term."
                )
            self.feature_layer, self._features.model = self._feature_model(feature_matching)

    @property
    def real_label(self):
        """The discriminator's target for real images: `1 - label_smoothing`."""
        return 1.0 - self.label_smoothing

    def _objective_takes_real_images(self):
        params = inspect.signature(self.generator_objective).parameters.values()
        return any(p.name == "real_images" or p.kind is p.VAR_KEYWORD for p in params)

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
        features = model([images, labels] if self.conditional else images, training=training)
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
        difference = _global_batch_mean(real) - _global_batch_mean(fake)
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
        """Extra discriminator terms, `{name: weighted per-replica mean}`.

        Each name must have been declared with `add_tracker(name)` in `__init__`; the
        terms are added to `d_loss` and reported under their own names.
        """
        return {}

    def discriminator_objective(self, real_images, fake_images, labels):
        """The discriminator's loss and extra terms for one update.

        Returns `(loss, terms)`: `loss` is the per-replica mean of the adversarial
        loss, `terms` a dict of weighted per-replica means added to it (each name
        declared with `add_tracker`). The default runs the discriminator on real and
        fake images (separately, so batch norm never mixes them) and adds
        `discriminator_penalties`. Override it for extra heads (ACGAN, InfoGAN).
        """
        real_logits = self.call_discriminator(real_images, labels, training=True)
        fake_logits = self.call_discriminator(fake_images, labels, training=True)
        loss = self.discriminator_loss(real_logits, fake_logits)
        return loss, dict(self.discriminator_penalties(real_images, fake_images))

    def generator_objective(self, fake_images, latents, labels, real_images=None):
        """The generator's loss and extra terms, like `discriminator_objective`.

        `real_images` (the step's last real minibatch) is passed by `train_step` to
        overrides that accept it; feature matching needs it. Overrides with the
        older 3-argument signature keep working (without feature matching).
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

    def default_optimizers(self):
        """(generator_optimizer, discriminator_optimizer) used by a bare `compile()`.

        The DCGAN paper's Adam(2e-4, beta_1=0.5) unless a model overrides it.
        """
        return (
            keras.optimizers.Adam(2e-4, beta_1=0.5),
            keras.optimizers.Adam(2e-4, beta_1=0.5),
        )

    # --------------------------------------------------------------- compile
    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        **kwargs,
    ):
        """Configures training; with no arguments, the paper's optimizers.

        Args:
            generator_optimizer: optimizer instance, name or config for G.
            discriminator_optimizer: the same for D.
            **kwargs: `keras.Model.compile` arguments that apply here
                (`steps_per_execution`, `jit_compile`, `run_eagerly`).
        """
        self._reject_keras_losses(kwargs, "generator_optimizer= and discriminator_optimizer=")
        default_g, default_d = self.default_optimizers()
        g_opt = keras.optimizers.get(generator_optimizer) if generator_optimizer else default_g
        d_opt = (
            keras.optimizers.get(discriminator_optimizer)
            if discriminator_optimizer
            else default_d
        )
        if g_opt is d_opt:
            raise ValueError("The generator and discriminator need two optimizer instances.")
        self.generator_optimizer = self._optimizer_for_policy(g_opt, "generator")
        self.discriminator_optimizer = self._optimizer_for_policy(d_opt, "discriminator")
        super().compile(optimizer=None, **kwargs)
        self._zoo_compile_kwargs = {
            k: v for k, v in kwargs.items() if k in ("steps_per_execution", "jit_compile")
        }
        # Create the optimizer slots now, in the strategy scope compile() runs in;
        # built lazily inside a replica's train_step they would not be mirrored.
        self.build_optimizers()

    def get_compile_config(self):
        if not getattr(self, "compiled", False) or self.generator_optimizer is None:
            return {}
        return {
            "generator_optimizer": keras.optimizers.serialize(self.generator_optimizer),
            "discriminator_optimizer": keras.optimizers.serialize(
                self.discriminator_optimizer
            ),
            **self._zoo_compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        g_opt = keras.optimizers.deserialize(config.pop("generator_optimizer"))
        d_opt = keras.optimizers.deserialize(config.pop("discriminator_optimizer"))
        self.compile(generator_optimizer=g_opt, discriminator_optimizer=d_opt, **config)

    def build_optimizers(self):
        """Creates both optimizers' variables (needed before loading their state)."""
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)

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

    def call_discriminator(self, images, labels=None, training=False):
        """Runs the discriminator on images (and labels, for a conditional model)."""
        if self.conditional:
            return self.discriminator([images, labels], training=training)
        return self.discriminator(images, training=training)

    def call(self, latents, labels=None, training=False):
        return self.call_generator(latents, labels, training=training)

    # ---------------------------------------------------------------- inputs
    batch_extras = ("latents",)  # dict batches may fix the training noise per example

    def unpack_batch(self, data):
        """Splits a fit batch into `(images, labels, latents)`.

        Accepted: `images`, `(images,)`, `(images, labels)`, or a dict with
        `"images"` and optionally `"labels"` and `"latents"` of shape
        (batch, latent_dim), which fixes the training noise instead of sampling it
        (reproducible debugging; the distribution tests use it). Unconditional
        models ignore labels; conditional ones require them.
        """
        images, labels, extras = super().unpack_batch(data)
        return images, labels, extras.get("latents")

    def _require_compiled(self):
        if self.generator_optimizer is None:
            raise RuntimeError(
                f"Call {type(self).__name__}.compile() before fit() "
                "(with no arguments for the paper's optimizers)."
            )

    # ------------------------------------------------------------ sampling
    def sample_latent(self, batch_size, draw=0):
        """Latents for training: stateless, seeded by (seed, replica, draw, step).

        The step is the discriminator optimizer's iteration count, which is saved
        with the model, so a resumed run draws exactly what an uninterrupted run
        would have drawn.
        """
        step = tf.cast(self.discriminator_optimizer.iterations, "int64")
        stream = (self.seed * 1009 + tf.cast(_replica_id(), "int64")) * 101 + draw
        seed = tf.stack([stream, step])
        shape = tf.stack([batch_size, self.latent_dim])
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
    def _discriminator_update(self, real_images, fake_images, labels):
        d_net, d_opt = self.discriminator, self.discriminator_optimizer
        fake_images = tf.stop_gradient(fake_images)
        with tf.GradientTape() as tape:
            loss, terms = self.discriminator_objective(real_images, fake_images, labels)
            if "d" in self._historical:
                terms = {**terms, "hist_avg_d": self.historical_penalty("d")}
            d_loss = tf.add_n([loss, *terms.values()])
            scaled = self._scaled(d_opt, d_loss)
        grads = tape.gradient(scaled, d_net.trainable_variables)
        finite = grads_finite(grads)
        d_opt.apply(grads, d_net.trainable_variables)
        self.after_discriminator_update()
        skips = isinstance(d_opt, keras.optimizers.LossScaleOptimizer)
        self._historical_update("d", finite if skips else tf.constant(True))
        return d_loss, terms, finite

    def _generator_objective(self, fake, latents, labels, real):
        if self._objective_takes_real_images():
            return self.generator_objective(fake, latents, labels, real_images=real)
        return self.generator_objective(fake, latents, labels)

    def train_step(self, data):
        real, labels, given_latents = self.unpack_batch(data)
        self._check_images(real, "train_step")
        if labels is not None:
            self._check_labels(labels, "train_step")
        if given_latents is not None and tuple(given_latents.shape[1:]) != (self.latent_dim,):
            raise ValueError(
                f"latents must have shape (batch, {self.latent_dim}); "
                f"got {tuple(given_latents.shape)}."
            )
        real = tf.cast(real, self.discriminator.compute_dtype)
        k = self.d_steps
        per_step = tf.shape(real)[0] // k
        g_net, g_opt = self.generator, self.generator_optimizer

        if self._historical:
            self._historical_start()
        all_finite = tf.constant(True)
        d_losses = []
        term_totals = {}
        with tf.GradientTape() as g_tape:
            for i in range(k):
                # Strided minibatches (example j -> minibatch j mod k): under a
                # strategy each replica holds a contiguous block of the global batch,
                # so the replicas' i-th minibatches together are exactly the global
                # batch's i-th minibatch, and k > 1 trains as on one device.
                chunk = slice(i, per_step * k, k)
                real_i = real[chunk]
                labels_i = None if labels is None else labels[chunk]
                if given_latents is None:
                    latents = self.sample_latent(per_step, draw=i)
                else:
                    latents = tf.cast(given_latents[chunk], "float32")
                if i < k - 1:
                    with g_tape.stop_recording():
                        fake = self.training_fakes(real_i, latents, labels_i)
                else:
                    fake = self.training_fakes(real_i, latents, labels_i)
                with g_tape.stop_recording():
                    d_loss, terms, finite = self._discriminator_update(real_i, fake, labels_i)
                all_finite = tf.logical_and(all_finite, finite)
                d_losses.append(d_loss)
                for name, value in terms.items():
                    term_totals[name] = term_totals.get(name, 0.0) + value / k
            g_loss, g_terms = self._generator_objective(fake, latents, labels_i, real_i)
            if "g" in self._historical:
                g_terms = {**g_terms, "hist_avg_g": self.historical_penalty("g")}
            g_total = tf.add_n([g_loss, *g_terms.values()])
            scaled = self._scaled(g_opt, g_total)
        g_grads = g_tape.gradient(scaled, g_net.trainable_variables)
        g_skips = isinstance(g_opt, keras.optimizers.LossScaleOptimizer)
        if g_skips:
            # Skip G's update when D's was skipped: NaN gradients make G's own loss
            # scaler skip this step (and back off its scale, conservatively).
            g_grads = [
                None if g is None else tf.where(all_finite, g, tf.cast(float("nan"), g.dtype))
                for g in g_grads
            ]
        if "g" in self._historical:
            g_applied = tf.constant(True)
            if g_skips:  # a LossScaleOptimizer skips non-finite steps: so does the mean
                g_applied = grads_finite(g_grads)
        g_opt.apply(g_grads, g_net.trainable_variables)
        if "g" in self._historical:
            self._historical_update("g", g_applied)

        return self._update_trackers(
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
