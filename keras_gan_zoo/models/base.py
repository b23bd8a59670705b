"""`GenerativeModel`: the training core every family of the zoo stands on.

A model declares its networks and which optimizer trains which of them
(`optimizer_networks`), and writes a `train_step` that computes its losses under a
`tf.GradientTape` and hands them to `self.minimize`. This class owns the rest, once
for every family:

- **optimizers**, any number, named by their `compile()` argument
  (`generator_optimizer`, `discriminator_optimizer`, `encoder_optimizer`, or the
  single `optimizer`): paper defaults on a bare `compile()`, float16 loss-scale
  wrapping under `mixed_float16`, slots built in the strategy scope, a compile config
  that round-trips, and their state saved with the model in a form that does not
  depend on the precision policy (a `.keras` file trained in float16 resumes exactly
  in float32 and back: the loss scale is the only state that comes or goes);
- **`minimize(tape, losses, batch_size)`**: weights each replica's loss by its
  share of the global batch (exact for partial final batches), back-propagates with
  the loss scale, decides overflow ONCE for all replicas and all the call's
  optimizers (an all-reduce of the flags), and applies the updates all or none; a
  model-side condition (`apply_when`) skips updates the same way (VAE-GAN's
  equilibrium rule, a generator step after a discriminator overflow). A skip is a
  real skip: no weight, slot, `iterations` or loss scale moves, except that the
  optimizer whose own gradients overflowed halves its scale;
- a **step counter** (`step_counter`, saved) that seeds the stateless training noise
  (`noise_seed`) and drives cadences (`every(n)`), so a resumed run draws exactly
  what the uninterrupted one would;
- **batches of any structure**: a model declares its positional fields
  (`batch_fields`: images, labels, ...) and the dict-only extras it accepts;
  `unpack_batch` returns a dict; `fit` checks numpy inputs and the first batch of a
  `tf.data.Dataset` (shape, dtype, value range) with the same clear errors;
- trackers declared by name (`add_tracker`), `finish_step` / `report`;
- `model.optimizer`: the single optimizer, or for several an `OptimizerGroup` that
  Keras's learning-rate callbacks and TensorBoard understand (`.optimizers`), so
  `LearningRateScheduler` / `ReduceLROnPlateau` act on the real optimizers and
  TensorBoard logs `learning_rate_<name>` for each;
- the resolved `jit_compile` is recorded in the compile config (TF's stateless RNG
  draws differently under XLA; exact resume replays the same setting);
- atomic SavedModel writes for every export (`_write_export`), and their conversion
  to TFLite / ONNX files (`format=`, `quantize=`; keras_gan_zoo.export).

Subclasses set `family` (one of `FAMILIES`; each has a contract test file) and
implement `train_step`, `generate` and an export method.
"""

import os
import random
import shutil
import tempfile
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.optimizers import (
    OptimizerGroup,
    inner_optimizer,
    is_float16_policy,
    is_loss_scaled,
)
from keras_gan_zoo.models.replicas import (
    all_finite,
    all_replicas_true,
    apply_if,
    batch_share,
    logs_for_fit,
    replica_id,
    xla_unsupported_reason,
)

FAMILIES = ("adversarial", "autoencoding", "autoregressive", "sequence", "translation")

#: `keras.Model.compile` arguments a zoo model accepts beside its optimizers.
KERAS_COMPILE_ARGUMENTS = ("steps_per_execution", "jit_compile", "run_eagerly")

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


class Unsaved:
    """A plain holder: what it holds is neither tracked nor saved by Keras or TF."""

    def __init__(self, **items):
        self.__dict__.update(items)


def resolve_seed(seed):
    """`seed` as an int (stored in configs); `None` draws one."""
    if seed is None:
        return random.randrange(2**31 - 1)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int or None; got {seed!r}.")
    return int(seed)


def _field_place(where, name, kind):
    """`where` of an error, naming the batch field when its name is not its kind
    (`"fit, target"` for a translator's targets; `"fit"` for plain images)."""
    return where if name == kind else f"{where}, {name}"


class GenerativeModel(keras.Model):
    """Base of every model in the zoo: networks, optimizers, the training core, checks.

    Args:
        image_shape: (height, width, channels) of the images the model trains on and
            generates; `None` for a model of sequences (audio, text), which declares
            its own batch fields.
        num_classes: `None` for an unconditional model; the number of classes of a
            conditional one, whose batches must then carry int labels.
        seed: integer seed of the training noise; `None` draws one. Kept in the
            configs of the models that sample noise, so a reloaded model continues
            the same sequence.
        **kwargs: `keras.Model` arguments (`name`).

    Example:
        A model in ~20 lines (docs/design.md has a complete one)::

            class TinyGAN(GenerativeModel):
                family = "adversarial"
                optimizer_networks = {"generator_optimizer": ("generator",),
                                      "discriminator_optimizer": ("discriminator",)}
                def train_step(self, data):
                    real = self.unpack_batch(data)["images"]
                    n = tf.shape(real)[0]
                    z = tf.random.stateless_normal([n, 8], self.noise_seed())
                    with tf.GradientTape(persistent=True) as tape:
                        fake_logits = self.discriminator(self.generator(z))
                        ...
                    self.minimize(tape, {"generator_optimizer": g_loss,
                                         "discriminator_optimizer": d_loss}, n)
                    return self.finish_step({"g_loss": g_loss, "d_loss": d_loss})
    """

    family = None  # one of FAMILIES, set by each family's base class

    #: compile argument -> the networks (attribute names) its optimizer trains, in
    #: order; `None` instead of a tuple: the model's own trainable variables.
    optimizer_networks = {"optimizer": ("network",)}

    #: extra keys a dict batch may carry beside the fields (e.g. fixed `"latents"`).
    batch_extras = ()

    #: the first batch field (also its kind), and how to get labelled batches of it.
    primary_field = "images"
    labelled_batch_hint = ("keras_gan_zoo.datasets.load(name, with_labels=True) or "
                           "fit(x=images, y=labels)")

    def __init__(self, image_shape=None, num_classes=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if num_classes is not None and (
            isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer))
            or num_classes < 2
        ):
            raise ValueError(f"num_classes must be None or an int >= 2; got {num_classes!r}.")
        if image_shape is not None:
            image_shape = tuple(image_shape)
            if len(image_shape) != 3 or not all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                for d in image_shape
            ):
                raise ValueError(
                    f"image_shape must be (height, width, channels) of positive ints; "
                    f"got {image_shape!r}."
                )
            image_shape = tuple(int(d) for d in image_shape)
        self.image_shape = image_shape
        self.num_classes = None if num_classes is None else int(num_classes)
        self.seed = resolve_seed(seed)
        self._trackers = {}
        self._zoo = Unsaved(optimizers={}, group=None, policy=None, compile_kwargs={})
        self.step_counter = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="step_counter")

    # --------------------------------------------------------- optimizers
    def __getattr__(self, name):
        # Optimizers live outside Keras's attribute walk (see save_own_variables),
        # so `model.generator_optimizer` / `model.optimizer` are looked up here.
        zoo = self.__dict__.get("_zoo")
        if zoo is not None:
            if name in type(self).optimizer_networks:
                return zoo.optimizers.get(name)
            if name == "optimizer":
                if len(zoo.optimizers) > 1:
                    return zoo.group
                return next(iter(zoo.optimizers.values()), None)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def named_optimizers(self):
        """`{compile argument: optimizer}` of the compiled model (empty before)."""
        return dict(self._zoo.optimizers)

    def default_optimizers(self):
        """`{compile argument: optimizer}` of a bare `compile()`: the paper's.

        Adam(1e-3) for each unless a model overrides it; a fresh instance per call.
        """
        return {arg: keras.optimizers.Adam(1e-3) for arg in self.optimizer_networks}

    def optimizer_variables(self, argument):
        """The variables the optimizer of compile argument `argument` trains."""
        networks = self.optimizer_networks[argument]
        if networks is None:
            return list(self.trainable_variables)
        return [v for name in networks for v in getattr(self, name).trainable_variables]

    def _compile_signature(self):
        args = [f"{a}=" for a in self.optimizer_networks]
        return args[0] if len(args) == 1 else ", ".join(args[:-1]) + " and " + args[-1]

    def compile(self, *args, **kwargs):
        """Configures training; with no arguments, the paper's optimizers.

        Args:
            *args: optimizers in the order of `optimizer_networks`.
            **kwargs: an optimizer per compile argument of the model
                (`generator_optimizer=`, `discriminator_optimizer=`, ... or
                `optimizer=`): instance, name or config; omitted ones take the
                paper's default. Also `keras.Model.compile`'s `steps_per_execution`,
                `jit_compile` and `run_eagerly`.
        """
        slots = list(self.optimizer_networks)
        name = type(self).__name__
        if len(args) > len(slots):
            raise TypeError(f"{name}.compile() takes {self._compile_signature()}; got "
                            f"{len(args)} positional optimizers.")
        given = dict(zip(slots, args))
        keras_kwargs = {}
        for key, value in kwargs.items():
            if key in slots:
                if key in given:
                    raise TypeError(f"{name}.compile() got {key} twice.")
                given[key] = value
            elif key in KERAS_COMPILE_ARGUMENTS:
                keras_kwargs[key] = value
            elif key in ("loss", "metrics", "loss_weights", "weighted_metrics"):
                raise TypeError(f"{name}.compile() takes {self._compile_signature()}; its "
                                f"losses are part of the model, got {key}=.")
            else:
                raise TypeError(f"{name}.compile() takes {self._compile_signature()}"
                                f"{' (one optimizer)' if len(slots) == 1 else ''}; got {key}=.")
        defaults = self.default_optimizers()
        optimizers = {}
        for slot in slots:
            value = given.get(slot)
            optimizer = keras.optimizers.get(value) if value is not None else defaults[slot]
            for other, seen in optimizers.items():
                if optimizer is seen or inner_optimizer(optimizer) is inner_optimizer(seen):
                    count = _NUMBER_WORDS.get(len(slots), len(slots))
                    raise ValueError(
                        f"{name} needs {count} optimizer instances, one per compile "
                        f"argument ({self._compile_signature()}); got the same instance "
                        f"for {other} and {slot}."
                    )
            optimizers[slot] = self._optimizer_for_policy(optimizer, slot)
        if keras_kwargs.get("jit_compile") is True:
            # E.g. a checkpoint trained on one GPU (where "auto" chose XLA, recorded in
            # its compile config) resumed under MirroredStrategy or on CPU workers.
            reason = xla_unsupported_reason(self.distribute_strategy)
            if reason:
                warnings.warn(
                    f"{name}: jit_compile=True cannot train under this strategy ({reason}); "
                    "proceeding with jit_compile=False. XLA draws the stateless training "
                    "noise differently, so a run resumed across this switch is not "
                    "bitwise equal to one that stayed in either mode.", stacklevel=2)
                keras_kwargs["jit_compile"] = False
        super().compile(optimizer=None, **keras_kwargs)
        self.__dict__.pop("optimizer", None)  # Keras's None: ours come from __getattr__
        self._zoo.optimizers = optimizers
        self._zoo.group = OptimizerGroup(self) if len(optimizers) > 1 else None
        self._zoo.policy = keras.mixed_precision.global_policy().name
        self._zoo.compile_kwargs = {
            k: v for k, v in keras_kwargs.items() if k == "steps_per_execution"}
        # Slots now, in the strategy scope compile() runs in, so they are mirrored;
        # built lazily inside a replica's train_step they would not be.
        for slot, optimizer in optimizers.items():
            optimizer.build(self.optimizer_variables(slot))

    @staticmethod
    def _optimizer_for_policy(optimizer, slot):
        """`optimizer`, wrapped in a LossScaleOptimizer under mixed_float16."""
        if is_float16_policy() and not is_loss_scaled(optimizer):
            name = slot.removesuffix("_optimizer").removesuffix("optimizer") or "model"
            return keras.optimizers.LossScaleOptimizer(optimizer, name=f"{name}_loss_scale")
        return optimizer

    def _require_compiled(self):
        if not self._zoo.optimizers:
            raise RuntimeError(
                f"Call {type(self).__name__}.compile() before fit() "
                "(with no arguments for the paper's optimizers)."
            )

    def get_compile_config(self):
        """The optimizers (without their loss-scale wrappers: the wrapping follows the
        policy of whoever loads the model), the loss-scale settings, the resolved
        `jit_compile`, `steps_per_execution` and the policy the model was compiled in."""
        if not self._zoo.optimizers:
            return {}
        loss_scale = {
            slot: {"initial_scale": float(opt.initial_scale),
                   "dynamic_growth_steps": int(opt.dynamic_growth_steps)}
            for slot, opt in self._zoo.optimizers.items() if is_loss_scaled(opt)
        }
        return {
            "optimizers": {slot: keras.optimizers.serialize(inner_optimizer(opt))
                           for slot, opt in self._zoo.optimizers.items()},
            "loss_scale": loss_scale,
            "jit_compile": bool(self.jit_compile),
            "precision_policy": self._zoo.policy,
            **self._zoo.compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        if "optimizers" not in config:
            raise ValueError(
                f"{type(self).__name__}: this checkpoint's compile config has no "
                "'optimizers' entry; it was written by keras_gan_zoo < 0.2, whose "
                "checkpoints do not resume in this version. Load the weights with "
                "model.load_weights(...) and compile() again."
            )
        loss_scale = config.pop("loss_scale", {})
        config.pop("precision_policy", None)
        optimizers = {}
        for slot, serialized in config.pop("optimizers").items():
            optimizer = keras.optimizers.deserialize(serialized)
            if is_float16_policy() and slot in loss_scale:
                optimizer = keras.optimizers.LossScaleOptimizer(
                    optimizer, name=f"{slot.removesuffix('_optimizer') or 'model'}_loss_scale",
                    **loss_scale[slot])
            optimizers[slot] = optimizer
        self.compile(**optimizers, **config)

    # ------------------------------------------------- optimizer state I/O
    # Keras saves the objects it finds among a model's attributes; the optimizers
    # are not among them (they are found through __getattr__), and their state is
    # written here instead, in one layout for every precision policy: each
    # optimizer's own variables as "<argument>.<i>", and, for a loss-scaled one,
    # "<argument>.loss_scale" and "<argument>.loss_scale_steps". A file trained in
    # float16 therefore resumes in float32 with the same optimizer state, step
    # counter and noise stream (the loss scale is dropped), and a float32 file
    # resumes in float16 with a fresh loss scale.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        for slot, optimizer in self._zoo.optimizers.items():
            for i, variable in enumerate(inner_optimizer(optimizer).variables):
                store[f"{slot}.{i}"] = variable
            if is_loss_scaled(optimizer):
                store[f"{slot}.loss_scale"] = optimizer.dynamic_scale
                store[f"{slot}.loss_scale_steps"] = optimizer.step_counter

    def load_own_variables(self, store):
        keys = list(store.keys())
        own = {k: store[k] for k in keys if k.isdigit()}
        variables = self._trainable_variables + self._non_trainable_variables
        if len(own) == len(variables) - 1 and not any(k.startswith(
                tuple(f"{slot}." for slot in self.optimizer_networks)) for k in keys):
            # A file of keras_gan_zoo < 0.2: no step counter (and no optimizer state
            # in this layout). Its weights load; the counter starts at 0.
            warnings.warn(
                f"{type(self).__name__}: this file was written by keras_gan_zoo < 0.2; "
                "its weights are loaded, its step counter starts at 0 and its optimizer "
                "state is not carried over.", stacklevel=2)
            variables = [v for v in variables if v is not self.step_counter]
            for key, variable in zip(sorted(own, key=int), variables):
                variable.assign(own[key])
            return
        if len(own) != len(variables):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} has {len(variables)} model-level "
                f"variables (step counter, running means, ...) but the file holds "
                f"{len(own)}: it was written by another configuration of the model."
            )
        super().load_own_variables(own)
        for slot, optimizer in self._zoo.optimizers.items():
            saved = sorted((k for k in keys if k.startswith(f"{slot}.")
                            and k[len(slot) + 1:].isdigit()),
                           key=lambda k: int(k[len(slot) + 1:]))
            variables = inner_optimizer(optimizer).variables
            if not saved:
                warnings.warn(f"{type(self).__name__}: the file has no state for "
                              f"{slot}; it starts fresh.", stacklevel=2)
                continue
            if len(saved) != len(variables):
                raise ValueError(
                    f"{type(self).__name__}: the file's {slot} has {len(saved)} "
                    f"variables, this model's {type(inner_optimizer(optimizer)).__name__} "
                    f"has {len(variables)}: compile with the optimizer class the "
                    "checkpoint was trained with."
                )
            for key, variable in zip(saved, variables):
                variable.assign(store[key])
            if is_loss_scaled(optimizer) and f"{slot}.loss_scale" in keys:
                optimizer.dynamic_scale.assign(store[f"{slot}.loss_scale"])
                optimizer.step_counter.assign(store[f"{slot}.loss_scale_steps"])

    # ------------------------------------------------------------ training
    def noise_seed(self, draw=0, per_replica=True):
        """Seed (int64, shape (2,)) of a stateless random op of this training step.

        From the model's `seed`, the step counter and `draw` (distinct streams within
        a step), and the replica id when `per_replica` (two replicas drawing the same
        noise would halve the diversity of a batch); `per_replica=False` gives every
        replica the same stream (e.g. for values drawn for the global batch).
        """
        seed = tf.stack([tf.constant(self.seed, "int64"),
                         tf.cast(self.step_counter, "int64")])
        seed = tf.random.experimental.stateless_fold_in(seed, draw)
        if per_replica:
            seed = tf.random.experimental.stateless_fold_in(seed, replica_id())
        return seed

    def every(self, interval):
        """A scalar bool: this step is one of every `interval` (step 0 included)."""
        return tf.equal(tf.math.floormod(self.step_counter, tf.cast(interval, "int64")), 0)

    def minimize(self, tape, losses, batch_size, apply_when=None):
        """Back-propagates each optimizer's loss and applies the updates, all or none.

        Args:
            tape: the `tf.GradientTape` that recorded the losses (persistent when
                there are several).
            losses: `{compile argument: loss}`; each loss a mean over this replica's
                `batch_size` examples (terms equal on every replica, like a weight
                penalty or a global-batch mean, may be added to it).
            batch_size: the number of examples of this replica the means are over;
                each replica's losses are weighted by its share of the global batch.
            apply_when: `None`, a scalar bool, or `{compile argument: scalar bool}`:
                updates the model decides to skip; the same on every replica.

        Returns:
            `{compile argument: applied}`: scalar bools (or `True` when nothing could
            skip), the same on every replica.

        Under loss scaling the overflow check covers every gradient of the call and is
        all-reduced: if any replica's gradient for any of the call's optimizers is not
        finite, none of them is applied on any replica; the optimizers whose own
        gradients overflowed halve their scales, the others are left as they were.
        """
        share = batch_share(batch_size)
        grads, variables = {}, {}
        for slot, loss in losses.items():
            optimizer = self._zoo.optimizers[slot]
            weight = share
            if is_loss_scaled(optimizer):
                weight = weight * tf.cast(optimizer.dynamic_scale, "float32")
            variables[slot] = self.optimizer_variables(slot)
            grads[slot] = tape.gradient(loss, variables[slot],
                                        output_gradients=tf.cast(weight, loss.dtype))
            if variables[slot] and all(g is None for g in grads[slot]):
                raise ValueError(
                    f"{type(self).__name__}.minimize: the loss of {slot} has no gradient "
                    f"for any of its variables ({self.optimizer_networks[slot]}): compute "
                    "it inside the tape's `with` block, from the networks' outputs."
                )
        if not isinstance(apply_when, dict):
            apply_when = {slot: apply_when for slot in losses}
        scaled = [slot for slot in losses if is_loss_scaled(self._zoo.optimizers[slot])]
        own_finite = dict(zip(scaled, all_replicas_true([all_finite(grads[s]) for s in scaled])
                              if scaled else []))
        group_finite = tf.reduce_all(list(own_finite.values())) if scaled else None
        applied = {}
        for slot in losses:
            optimizer, slot_grads = self._zoo.optimizers[slot], grads[slot]
            when = apply_when.get(slot)
            condition = None if when is None or when is True else when
            if slot in own_finite:
                own = own_finite[slot]
                # The same non-finite gradients on every replica, so the loss-scale
                # optimizer's own (per-replica) check agrees and it halves its scale.
                slot_grads = [None if g is None else
                              tf.where(own, g, tf.cast(float("nan"), g.dtype))
                              for g in slot_grads]
                overflow_or_apply = tf.logical_or(group_finite, tf.logical_not(own))
                condition = (overflow_or_apply if condition is None
                             else tf.logical_and(condition, overflow_or_apply))
                applied[slot] = tf.logical_and(group_finite, True if when is None else when)
            elif group_finite is not None:
                condition = group_finite if condition is None else tf.logical_and(
                    condition, group_finite)
                applied[slot] = condition
            else:
                applied[slot] = True if condition is None else condition
            if condition is None:
                optimizer.apply(slot_grads, variables[slot])
            else:
                apply_if(condition, optimizer, slot_grads, variables[slot])
        return applied

    # --------------------------------------------------------------- metrics
    def add_tracker(self, name):
        """Declares a `keras.metrics.Mean` reported by fit (and History) under `name`."""
        if name in self._trackers:
            raise ValueError(f"A tracker named {name!r} already exists.")
        tracker = keras.metrics.Mean(name=name)
        self._trackers[name] = tracker
        return tracker

    @property
    def metrics(self):
        return list(self._trackers.values())

    def report(self, values):
        """Updates the trackers named in `values` and returns fit's logs."""
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return logs_for_fit({m.name: m.result() for m in self.metrics})

    def finish_step(self, values):
        """The end of a `train_step`: counts the step and `report`s its values."""
        self.step_counter.assign_add(1)
        return self.report(values)

    # ----------------------------------------------------------- conditions
    @property
    def conditional(self):
        """True for a model that takes class labels."""
        return self.num_classes is not None

    # ---------------------------------------------------------------- batches
    def batch_fields(self):
        """The positional fields of a training batch, `((name, kind), ...)`.

        Images models: `images`, and `labels` when conditional. A tuple batch is
        read in this order, a dict batch by name; `fit(x, y)` feeds x and y to the
        first two. The kind says how a field is checked (`check_field`).
        """
        fields = [(self.primary_field, self.primary_field)]
        if self.conditional:
            fields.append(("labels", "labels"))
        return tuple(fields)

    def _missing_field_error(self, missing):
        if missing == "labels":
            return ValueError(
                f"{type(self).__name__} is conditional (num_classes={self.num_classes}): "
                f"batches must be ({self.primary_field}, labels), e.g. "
                f"{self.labelled_batch_hint}; got {self.primary_field} only."
            )
        names = ", ".join(name for name, _ in self.batch_fields())
        return ValueError(f"{type(self).__name__} takes batches ({names}); "
                          f"{missing!r} is missing.")

    def unpack_batch(self, data):
        """A fit batch as a dict `{field: tensor, ...}` (and the extras it carries).

        Accepted: a tuple/list in the order of `batch_fields()` (a lone tensor is the
        first field; positions beyond the fields, such as the labels of a labelled
        dataset given to an unconditional model, are ignored), or a dict with the
        field names and optionally the keys in `batch_extras`.
        """
        fields = [name for name, _ in self.batch_fields()]
        if isinstance(data, dict):
            allowed = {*fields, *self.batch_extras}
            if self.conditional is False and "labels" in data:
                allowed.add("labels")  # ignored, as in a tuple batch
            unknown = set(data) - allowed
            missing = [f for f in fields if f not in data]
            if missing or unknown:
                optional = ", ".join(repr(k) for k in sorted(allowed - set(fields)))
                needed = ", ".join(repr(f) for f in fields)
                raise ValueError(
                    f"A dict batch needs the key{'s' if len(fields) > 1 else ''} {needed}"
                    f"{f' (optional: {optional})' if optional else ''}; "
                    f"got keys {sorted(data)}."
                )
            return {k: data[k] for k in (*fields, *self.batch_extras) if k in data}
        if isinstance(data, (tuple, list)):
            if not data:
                raise ValueError("Got an empty batch.")
            values = list(data)
        else:
            values = [data]
        if len(values) < len(fields):
            raise self._missing_field_error(fields[len(values)])
        return dict(zip(fields, values))

    def check_field(self, kind, value, where):
        """Static checks of one field (shape, dtype) by its kind."""
        if kind == "images":
            self._check_images(value, where)
        elif kind == "labels":
            self._check_labels(value, where)

    def check_field_values(self, kind, array, where):
        """Value checks of one field given as numpy (range of images, of labels)."""
        if kind == "images":
            lo, hi = float(np.min(array)), float(np.max(array))
            if lo < -1.001 or hi > 1.001:
                raise ValueError(
                    f"{where}: expected images in [-1, 1]; got values in [{lo:.3g}, "
                    f"{hi:.3g}]. Scale uint8 pixels with `x / 127.5 - 1`."
                )
        elif kind == "labels" and array.size:
            if array.min() < 0 or array.max() >= self.num_classes:
                raise ValueError(
                    f"{where}: labels must be in [0, {self.num_classes}); got values in "
                    f"[{array.min()}, {array.max()}]."
                )

    def check_batch(self, batch, where):
        """Static checks of every field of an unpacked batch (a dict)."""
        for name, kind in self.batch_fields():
            self.check_field(kind, batch[name], _field_place(where, name, kind))

    def check_batch_size(self, batch_size, where):
        """Raises when a batch of `batch_size` examples cannot be trained on (e.g.
        fewer examples than an adversarial model's `d_steps`). Nothing by default."""

    def _images_numpy(self, images, where, shape=None):
        """`images` (numpy, tensor, or one image) as checked float32 numpy in [-1, 1]
        of `shape` per image (default `image_shape`)."""
        shape = self.image_shape if shape is None else tuple(shape)
        images = keras.ops.convert_to_numpy(images) if tf.is_tensor(images) else np.asarray(images)
        if images.ndim == 3 and shape is not None and images.shape == shape:
            images = images[None]
        self._check_images(images, where, shape)
        if images.size:
            self.check_field_values("images", images, where)
        return images.astype("float32")

    @staticmethod
    def _batched(fn, array, batch_size):
        """`fn` over `array` in chunks of `batch_size`, concatenated as numpy."""
        return np.concatenate([keras.ops.convert_to_numpy(fn(array[i:i + batch_size]))
                               for i in range(0, len(array), batch_size)], axis=0)

    def _check_images(self, images, where, shape=None):
        """Static checks of a batch of images: rank, size, channels, float dtype."""
        shape_expected = self.image_shape if shape is None else tuple(shape)
        dtype = tf.as_dtype(images.dtype)
        if not dtype.is_floating:
            raise ValueError(
                f"{where}: expected float images in [-1, 1]; got dtype {dtype.name}. "
                "Scale uint8 pixels with `x / 127.5 - 1` (keras_gan_zoo.datasets does)."
            )
        shape = tuple(images.shape)
        if len(shape) != 4 or tuple(shape[1:]) != shape_expected:
            raise ValueError(
                f"{where}: expected images of shape (batch, "
                f"{', '.join(map(str, shape_expected))}) for {type(self).__name__}"
                f"(image_shape={self.image_shape}); got shape {shape}."
            )

    def _check_labels(self, labels, where):
        dtype = tf.as_dtype(labels.dtype)
        if not dtype.is_integer:
            raise ValueError(
                f"{where}: expected integer class labels in [0, {self.num_classes}); "
                f"got dtype {dtype.name}."
            )
        if labels.shape.rank is not None and labels.shape.rank != 1:
            raise ValueError(
                f"{where}: expected labels of shape (batch,); got shape {tuple(labels.shape)}."
            )

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, after checking what comes in.

        Numpy inputs are checked whole (shape, dtype, value range, labels, batch
        sizes); a `tf.data.Dataset` by its element spec and by its first batch, which
        is read once before training for the value checks (a [0, 255] or [0, 1]
        dataset raises the same error as numpy does).
        """
        self._require_compiled()
        if isinstance(x, np.ndarray):
            self._check_numpy_fit(x, y, kwargs.get("batch_size", args[0] if args else None))
        elif isinstance(x, tf.data.Dataset):
            self._check_dataset_fit(x)
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(x, y, *args, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a strategy Keras builds the model on the first batch averaged over the
        # replicas (a MEAN reduce), which fails when that batch is split unequally
        # (a global batch of 7 on 2 replicas). A zoo model is built in __init__ and its
        # optimizers in compile(): there is nothing to build.
        if self._zoo.optimizers and all(layer.built for layer in self._flatten_layers()):
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def _check_numpy_fit(self, x, y, batch_size):
        fields = self.batch_fields()
        arrays = [x] if y is None else [x, np.asarray(y)]
        if len(arrays) < len(fields):
            raise self._missing_field_error(fields[len(arrays)][0])
        for (name, kind), array in zip(fields, arrays):
            where = _field_place("fit", name, kind)
            self.check_field(kind, tf.TensorSpec(array.shape, array.dtype), where)
            if array.size == 0:
                raise ValueError(f"fit: got an empty array of shape {array.shape} for {name}.")
            self.check_field_values(kind, array, where)
        batch_size = 32 if batch_size is None else batch_size
        if isinstance(batch_size, (int, np.integer)) and batch_size > 0:
            sizes = {min(int(batch_size), len(x))}
            if len(x) % batch_size:
                sizes.add(len(x) % batch_size)
            for size in sorted(sizes):
                self.check_batch_size(size, f"fit(batch_size={batch_size}) on {len(x)} examples")

    def _check_dataset_fit(self, dataset):
        spec = self.unpack_batch(dataset.element_spec)
        self.check_batch(spec, "fit(dataset)")
        first = next(iter(dataset.take(1)), None)
        if first is None:
            raise ValueError("fit(dataset): the dataset is empty.")
        batch = self.unpack_batch(first)
        for name, kind in self.batch_fields():
            self.check_field_values(kind, np.asarray(batch[name]),
                                    _field_place("fit(dataset), first batch", name, kind))
        self.check_batch_size(int(tf.shape(batch[self.batch_fields()[0][0]])[0]),
                              "fit(dataset), first batch")

    # ------------------------------------------------------------ generate
    @staticmethod
    def _check_count(n):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive int; got {n!r}.")
        return int(n)

    def _labels_numpy(self, n, labels):
        """Validates `labels` for generate: an int class (broadcast) or n ints."""
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"{type(self).__name__} is unconditional; it takes no labels.")
            return None
        if labels is None:
            raise ValueError(
                f"{type(self).__name__} is conditional: pass labels= (one class for all "
                f"samples, or {n} ints in [0, {self.num_classes}))."
            )
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full((n,), labels)
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be {n} ints; got {labels.dtype} of shape {labels.shape}.")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"labels must be in [0, {self.num_classes}); got [{labels.min()}, {labels.max()}]."
            )
        return labels.astype("int32")

    # --------------------------------------------------------------- export
    #: {format: why} for the export formats this model's endpoints cannot be
    #: converted to (see keras_gan_zoo.export); `export_generator` raises ValueError.
    export_unsupported = {}

    def _check_export(self, format="saved_model", quantize=None):
        """Validates `export_generator`'s `format` / `quantize` for this model before
        anything is built or written (a ValueError saying what is allowed, or why
        this model cannot be exported to `format`)."""
        from keras_gan_zoo import export

        export.check_options(format, quantize, self.export_unsupported)

    def _write_export(self, archive, path, format="saved_model", quantize=None):
        """Writes `archive` (a keras.export.ExportArchive) to `path` atomically.

        `format="saved_model"`: the SavedModel is written into a staging directory
        next to `path` and moved into place at the end; an existing `path` is
        replaced. `"tflite"` / `"onnx"` (optionally `quantize="float16" | "int8"`):
        the staged SavedModel is converted from its signatures (keras_gan_zoo.export)
        into the file `path` (or `path/generator[.quantize].<ext>` when `path` does
        not end with the format's extension). Returns the path written.
        """
        from keras_gan_zoo import export

        self._check_export(format, quantize)
        target = export.resolve_path(path, format, quantize)
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".export-", dir=parent)
        try:
            saved_model = os.path.join(staging, "model")
            archive.write_out(saved_model, verbose=False)
            if format != "saved_model":
                return export.convert_saved_model(saved_model, target, format, quantize)
            if os.path.exists(target):
                os.replace(target, os.path.join(staging, "old"))
            os.replace(saved_model, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target
