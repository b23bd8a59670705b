"""`GenerativeModel`: what every model family of the zoo shares.

The three family bases (`AdversarialModel`, `AutoencodingModel`,
`AutoregressiveModel`) stand on this class. It owns what is the same for a GAN, a
VAE and a PixelCNN, so no family re-implements it:

- the image contract: `image_shape`, optional class conditioning (`num_classes`,
  `conditional`), and the input checks behind the zoo's clear errors (shape,
  float dtype, [-1, 1] range, integer labels in range) for `fit` on numpy arrays
  and on `tf.data` datasets;
- metric trackers declared by name (`add_tracker`), reported by `fit`;
- optimizer plumbing: `_optimizer_for_policy` wraps an optimizer in a
  `LossScaleOptimizer` under `mixed_float16`; `_scaled` divides a per-replica loss by
  the number of replicas (global-batch reduction under `tf.distribute`) and applies
  the loss scale; `apply_if` applies an update only when a condition holds,
  under any strategy (VAE-GAN's equilibrium rule);
- argument checks of `generate` (`_check_count`, `_labels_numpy`);
- `_write_export`: writes a `keras.export.ExportArchive` next to its target and moves
  it into place, so an interrupted export never leaves a half-written SavedModel.

Subclasses set `family` (what the contract tests group models by: one of
`FAMILIES`, each with its own contract test file) and implement `train_step`,
`generate` and an export method.
"""

import os
import random
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

FAMILIES = ("adversarial", "autoencoding", "autoregressive", "sequence")


def num_replicas():
    """Replicas of the current `tf.distribute` strategy (1 without one)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_id():
    """Index of the replica running this code (0 outside a replica context)."""
    ctx = tf.distribute.get_replica_context()
    return 0 if ctx is None else ctx.replica_id_in_sync_group


def is_float16_policy():
    """True when the global Keras policy computes in float16 (loss scaling needed)."""
    return keras.mixed_precision.global_policy().compute_dtype == "float16"


def global_batch_mean(x):
    """Mean over the GLOBAL batch of (per-replica batch, ...) values.

    Under a strategy the sums and counts are all-reduced (differentiably: the
    gradient of an all-sum is an all-sum), so a loss built on it is the same value
    on every replica and `loss / num_replicas` summed over replicas has the
    gradient of the global loss.
    """
    total = tf.reduce_sum(x, axis=0)
    count = tf.cast(tf.shape(x)[0], x.dtype)
    if num_replicas() == 1:
        return total / count
    ctx = tf.distribute.get_replica_context()
    total, count = ctx.all_reduce(tf.distribute.ReduceOp.SUM, [total, count])
    return total / count


def all_finite(grads):
    """A scalar bool: every gradient in `grads` (None entries ignored) is finite."""
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads if g is not None])


def apply_if(condition, optimizer, grads, variables):
    """`optimizer.apply(grads, variables)` when the scalar bool `condition` holds;
    otherwise nothing changes: no weight, optimizer slot, `iterations` or loss scale.

    A zero gradient is not a skipped step (Adam's momentum still moves the weights,
    RMSprop's average decays), hence a real branch. `condition` must be the same on
    every replica (derive it from all-reduced values). Under a strategy whose
    updates go through `merge_call` (MirroredStrategy), the branch is taken in the
    cross-replica context, as Keras's LossScaleOptimizer does: a cond in a replica
    context may not hold a `merge_call`.
    """

    def update(grads, variables):
        optimizer.apply(grads, variables)

    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        tf.cond(condition, lambda: update(grads, variables), lambda: None)
        return

    def cross_replica(distribution, condition, grads, variables):
        # The same value on every replica (the caller's contract): take the first.
        take = distribution.experimental_local_results(condition)[0]
        tf.cond(take,
                lambda: distribution.extended.call_for_each_replica(
                    update, args=(grads, variables)),
                lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica,
                                                   args=(condition, grads, variables))


class GenerativeModel(keras.Model):
    """Base of every model in the zoo: image contract, checks, trackers, export.

    Args:
        image_shape: (height, width, channels) of the images the model trains on and
            generates; `None` for a model of sequences (audio, text), which checks
            its own inputs.
        num_classes: `None` for an unconditional model; the number of classes of a
            conditional one, whose batches must then carry int labels.
        **kwargs: `keras.Model` arguments (`name`).
    """

    family = None  # one of FAMILIES, set by each family's base class

    def __init__(self, image_shape=None, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        if num_classes is not None and (
            not isinstance(num_classes, (int, np.integer)) or num_classes < 2
        ):
            raise ValueError(f"num_classes must be None or an int >= 2; got {num_classes!r}.")
        if image_shape is not None:
            image_shape = tuple(image_shape)
            if len(image_shape) != 3 or not all(
                isinstance(d, (int, np.integer)) and d > 0 for d in image_shape
            ):
                raise ValueError(
                    f"image_shape must be (height, width, channels) of positive ints; "
                    f"got {image_shape!r}."
                )
            image_shape = tuple(int(d) for d in image_shape)
        self.image_shape = image_shape
        self.num_classes = None if num_classes is None else int(num_classes)
        self._trackers = {}

    @staticmethod
    def _resolve_seed(seed):
        """`seed` as an int (stored in the config); `None` draws one."""
        if seed is None:
            return random.randrange(2**31 - 1)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an int or None; got {seed!r}.")
        return int(seed)

    # ------------------------------------------------- one-optimizer compile
    # The default for models trained by one optimizer (autoencoders, likelihood
    # models); AdversarialModel overrides these with its two optimizers.
    def default_optimizer(self):
        """The optimizer of a bare `compile()` (Adam(1e-3) unless a model overrides it)."""
        return keras.optimizers.Adam(1e-3)

    def optimized_variables(self):
        """The variables `compile()` builds the optimizer's slots for."""
        return self.trainable_variables

    def compile(self, optimizer=None, **kwargs):
        """Configures training; with no arguments, `default_optimizer()` (the paper's).

        Args:
            optimizer: optimizer instance, name or config.
            **kwargs: `keras.Model.compile` arguments that apply here
                (`steps_per_execution`, `jit_compile`, `run_eagerly`).
        """
        self._reject_keras_losses(kwargs, "optimizer=")
        for key in ("generator_optimizer", "discriminator_optimizer"):
            if key in kwargs:
                raise TypeError(
                    f"{type(self).__name__}.compile() takes optimizer= (one optimizer); "
                    f"got {key}=."
                )
        opt = keras.optimizers.get(optimizer) if optimizer else self.default_optimizer()
        opt = self._optimizer_for_policy(opt, "optimizer")
        super().compile(optimizer=opt, **kwargs)
        self._zoo_compile_kwargs = {
            k: v for k, v in kwargs.items() if k in ("steps_per_execution", "jit_compile")
        }
        # Slots now, in the strategy scope compile() runs in, so they are mirrored;
        # built lazily inside a replica's train_step they would not be.
        self.optimizer.build(self.optimized_variables())

    def get_compile_config(self):
        if not getattr(self, "compiled", False) or getattr(self, "optimizer", None) is None:
            return {}
        return {"optimizer": keras.optimizers.serialize(self.optimizer),
                **getattr(self, "_zoo_compile_kwargs", {})}

    def compile_from_config(self, config):
        config = dict(config)
        self.compile(optimizer=keras.optimizers.deserialize(config.pop("optimizer")), **config)

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

    def _update_trackers(self, values):
        """Updates the trackers named in `values` and returns fit's logs."""
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    # ------------------------------------------------------------ precision
    @staticmethod
    def _optimizer_for_policy(optimizer, name):
        """`optimizer`, wrapped in a LossScaleOptimizer under mixed_float16."""
        if is_float16_policy() and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            return keras.optimizers.LossScaleOptimizer(optimizer, name=f"{name}_loss_scale")
        return optimizer

    @staticmethod
    def _scaled(optimizer, loss):
        """Global-batch scaling for tf.distribute, then the loss scale (fp16)."""
        return optimizer.scale_loss(loss / num_replicas())

    def _reject_keras_losses(self, kwargs, takes):
        for key in ("loss", "metrics", "loss_weights") + (
            ("optimizer",) if takes != "optimizer=" else ()
        ):
            if key in kwargs:
                raise TypeError(
                    f"{type(self).__name__}.compile() takes {takes}; its losses are part "
                    f"of the model, got {key}=."
                )

    # ----------------------------------------------------------- conditions
    @property
    def conditional(self):
        """True for a model that takes class labels."""
        return self.num_classes is not None

    # ---------------------------------------------------------------- inputs
    def _check_images(self, images, where):
        """Static checks of a batch of images: rank, size, channels, float dtype."""
        dtype = tf.as_dtype(images.dtype)
        if not dtype.is_floating:
            raise ValueError(
                f"{where}: expected float images in [-1, 1]; got dtype {dtype.name}. "
                "Scale uint8 pixels with `x / 127.5 - 1` (keras_gan_zoo.datasets does)."
            )
        shape = tuple(images.shape)
        if len(shape) != 4 or tuple(shape[1:]) != self.image_shape:
            raise ValueError(
                f"{where}: expected images of shape (batch, "
                f"{', '.join(map(str, self.image_shape))}) for {type(self).__name__}"
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

    def _missing_labels_error(self):
        return ValueError(
            f"{type(self).__name__} is conditional (num_classes={self.num_classes}): "
            "batches must be (images, labels), e.g. "
            "keras_gan_zoo.datasets.load(name, with_labels=True) or fit(x=images, "
            "y=labels); got images only."
        )

    def unpack_batch(self, data):
        """Splits a fit batch into `(images, labels, extras)`.

        Accepted: `images`, `(images,)`, `(images, labels)`, or a dict with
        `"images"`, optionally `"labels"`, and the keys in `batch_extras` (e.g. an
        adversarial model's fixed `"latents"`), returned as a dict. Unconditional
        models ignore labels; conditional ones require them.
        """
        labels, extras = None, {}
        if isinstance(data, dict):
            allowed = {"images", "labels", *self.batch_extras}
            unknown = set(data) - allowed
            if "images" not in data or unknown:
                optional = ", ".join(repr(k) for k in sorted(allowed - {"images"}))
                raise ValueError(
                    f"A dict batch needs the key 'images' (optional: {optional}); "
                    f"got keys {sorted(data)}."
                )
            images, labels = data["images"], data.get("labels")
            extras = {k: data[k] for k in self.batch_extras if k in data}
        elif isinstance(data, (tuple, list)):
            if not data:
                raise ValueError("Got an empty batch.")
            images = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            images = data
        if self.conditional and labels is None:
            raise self._missing_labels_error()
        return images, (labels if self.conditional else None), extras

    batch_extras = ()  # extra dict-batch keys a family accepts (see unpack_batch)

    def _require_compiled(self):
        """Raises unless compile() ran (subclasses say what compile() sets up)."""
        if not getattr(self, "compiled", False):
            raise RuntimeError(
                f"Call {type(self).__name__}.compile() before fit() "
                "(with no arguments for the paper's optimizers)."
            )

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, after checking what comes in (shape, dtype, range, labels)."""
        self._require_compiled()
        if self.image_shape is None:  # sequence models check their own inputs
            return super().fit(x, y, *args, **kwargs)
        if isinstance(x, np.ndarray):
            if self.conditional:
                if y is None:
                    raise self._missing_labels_error()
                labels = np.asarray(y)
                self._check_labels(tf.constant(labels[:1]), "fit")
                if labels.min() < 0 or labels.max() >= self.num_classes:
                    raise ValueError(
                        f"fit: labels must be in [0, {self.num_classes}); got values in "
                        f"[{labels.min()}, {labels.max()}]."
                    )
            self._check_images(x, "fit")
            lo, hi = float(np.min(x)), float(np.max(x))
            if lo < -1.001 or hi > 1.001:
                raise ValueError(
                    f"fit: expected images in [-1, 1]; got values in [{lo:.3g}, {hi:.3g}]. "
                    "Scale uint8 pixels with `x / 127.5 - 1`."
                )
        elif isinstance(x, tf.data.Dataset):
            spec, label_spec, _ = self.unpack_batch(x.element_spec)
            self._check_images(spec, "fit(dataset)")
            if label_spec is not None:
                self._check_labels(label_spec, "fit(dataset)")
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(x, y, *args, **kwargs)

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
    @staticmethod
    def _write_export(archive, path):
        """Writes `archive` (a keras.export.ExportArchive) to `path` atomically.

        The SavedModel is written into a staging directory next to `path` and moved
        into place at the end; an existing `path` is replaced.
        """
        path = os.path.abspath(os.fspath(path))
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".export-", dir=parent)
        try:
            target = os.path.join(staging, "model")
            archive.write_out(target, verbose=False)
            if os.path.exists(path):
                os.replace(path, os.path.join(staging, "old"))
            os.replace(target, path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return path
