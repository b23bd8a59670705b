"""Exponential moving average of the generator's weights: a mixin of `AdversarialModel`.

`ema_beta=` or `ema_half_life_images=` (with StyleGAN2's `ema_rampup=`) keeps an EMA
of the generator's weights in non-trainable float32 variables of the model, saved
with it, updated after every applied generator update (`update_ema`, called from
`after_generator_update`); `generate`, `export_generator` and the published
generator files sample from `ema_generator()` by default (`use_ema=False` opts out)
while `model.generator` stays the trained network. Why and how: docs/design.md,
"Generator EMA".

`GeneratorEMA` is a plain mixin, not a Keras class: it has no `__init__` and is not
registered as a serializable; `AdversarialModel.__init__` calls `_init_ema` once the
generator is set, and the options stay in `AdversarialModel.get_config`.

Reference:
    Karras et al., Progressive Growing of GANs, arXiv:1710.10196 (generator EMA).
    Karras et al., Analyzing and Improving the Image Quality of StyleGAN,
    arXiv:1912.04958 (half-life in images, ramp-up).
"""

import numbers

import keras
import tensorflow as tf

from keras_gan_zoo.models.base import Unsaved
from keras_gan_zoo.models.replicas import all_reduce_sum


def ema_beta_from_half_life(batch_size, half_life_images):
    """The EMA decay per step whose weights halve every `half_life_images` images.

    `0.5 ** (batch_size / half_life_images)` (Karras et al.'s `ema_kimg`; StyleGAN2
    uses 10k images): an image's weight in the average halves after
    `half_life_images` more images, whatever the batch size. Python numbers or
    tensors; the training step evaluates it in the graph on the global batch size.

    Example:
        >>> ema_beta_from_half_life(64, 10_000)
        0.99557...
    """
    return 0.5 ** (batch_size / half_life_images)


class GeneratorEMA:
    """The generator EMA of `AdversarialModel` (Karras et al., arXiv:1710.10196,
    arXiv:1912.04958).

    Expects the host's `generator`, `add_weight` and `_zoo` (where the training step
    records `step_batch_size`); the training step's `after_generator_update` calls
    `update_ema`, and `generate` / `export_generator` call `_sampling_generator`.
    """

    def _init_ema(self, ema_beta, ema_half_life_images, ema_rampup):
        """Validates the EMA options and creates its variables (`AdversarialModel`).

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
