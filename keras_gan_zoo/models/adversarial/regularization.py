"""Lazy R1 and path-length regularization: a mixin of `AdversarialModel`.

StyleGAN2's two regularizers (Karras et al., arXiv:1912.04958, section 3.2 and
appendix B), options of every adversarial model: `r1_gamma=` adds R1 on real images
(Mescheder et al. 2018, arXiv:1801.04406) to the discriminator's loss every
`r1_every` steps, `pl_weight=` path-length regularization to the generator's every
`pl_every` steps, each multiplied by its interval. Both go through the
`discriminator_regularizers` / `generator_regularizers` hooks, which models extend;
`_lazy_terms` runs any such entry on its cadence inside a `tf.cond` (with a
two-phase form for global-batch statistics and state such as `pl_mean`). Under
`mixed_float16` their networks run in float32 (`losses.compute_in_float32`). Why and
how: docs/design.md, "Lazy regularization".

`LazyRegularization` is a plain mixin, not a Keras class: it has no `__init__` and
is not registered as a serializable; `AdversarialModel.__init__` calls
`_init_lazy_regularization` once the networks are set, and the options stay in
`AdversarialModel.get_config`.
"""

import numbers

import numpy as np
import tensorflow as tf

from keras_gan_zoo.losses.penalties import (compute_in_float32, path_length_penalty,
                                            path_lengths, r1_penalty)
from keras_gan_zoo.models.replicas import all_reduce_sum, global_rows, num_replicas

# Path-length regularization's noise images: `noise_seed(draw=_PATH_LENGTH_STREAM,
# per_replica=False)`, then the example's index in the global batch folded in.
_PATH_LENGTH_STREAM = 0x0D1FB000


class LazyRegularization:
    """Lazy regularizers of `AdversarialModel`: R1 and path length (StyleGAN2,
    arXiv:1912.04958), and the runner of every regularizer a model declares.

    Expects the host's `generator`, `discriminator`, `image_shape`, `add_weight`,
    `add_tracker`, `_trackers`, `every`, `noise_seed`, `call_generator`,
    `call_discriminator` and `_zoo`. The training step calls `_lazy_terms` on the
    hooks' entries and `_apply_lazy_updates` after the network's update.
    """

    # False for models with their own training step, which would ignore the lazy
    # regularizers (VAE-GAN): they refuse `r1_gamma` / `pl_weight` instead.
    supports_lazy_regularization = True

    def _init_lazy_regularization(self, r1_gamma, r1_every, pl_weight, pl_every, pl_decay,
                                  pl_batch_shrink):
        """Validates the R1 and path-length options (`AdversarialModel`'s docstring),
        declares their trackers and creates the path-length running mean `pl_mean`
        when it is on."""
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

    # ------------------------------------------------------------------ hooks
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

    # ----------------------------------------------------------------- runner
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
    def lazy_rows(self):
        """Inside a lazy regularizer: `(offset, total)` of this replica's examples in
        the global batch (`replicas.global_rows`), computed before the regularizer's
        `tf.cond` (inside it no cross-replica op may run). For noise drawn per
        example, the same on N replicas as on one device."""
        rows = self._zoo.__dict__.get("lazy_rows")
        if rows is None:
            raise RuntimeError("lazy_rows is only defined while a lazy regularizer runs.")
        return rows

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

    # --------------------------------------------------------------------- R1
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

    # ------------------------------------------------------------ path length
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
