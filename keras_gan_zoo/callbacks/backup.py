"""TrainingBackup: the whole training state every N steps, for an exact resume mid-epoch.

`keras.callbacks.BackupAndRestore` restores the weights and the epoch only: a run
killed mid-epoch redoes that epoch from its first batch with mid-epoch weights, and
a `tf.data` pipeline that reshuffles at every iteration gives the resumed epoch
another order. `keras-gan-zoo train --backup-every N` instead saves, every N steps,

- the whole model (`model.save`: weights, optimizer state with the loss scale, the
  model's step counter, which seeds the zoo's stateless training noise),
- the state of every `keras.random.SeedGenerator` of the model (dropout, noise
  injection: `.keras` files do not hold them) and the metric trackers' running
  sums (so the resumed epoch reports the mean over all its steps; in one process
  only, see `metric_state`),
- where training stands (`epoch`, `step_in_epoch`, `global_step`) and what the run
  must keep to resume exactly (`fingerprint`: batch size, seed, steps per epoch, ...),

into `DIRECTORY/step-<global step>.keras` and `DIRECTORY/state.json`. The model file
is written first, the state last (both atomically), then older model files are
removed: a process killed at any moment leaves a state that names a complete file.
The datasets of `train` are epoch-indexed (`kgz.datasets.load(..., start_epoch=e)`),
so the resumed run sees the batches the uninterrupted one would.
"""

import glob
import json
import os
import shutil

import keras
import numpy as np

from keras_gan_zoo.utils.files import atomic_output, atomic_write_bytes

STATE_NAME = "state.json"


def seed_generators(model):
    """The `keras.random.SeedGenerator`s of `model` and its layers, in a fixed order."""
    found, seen = [], set()
    for layer in model._flatten_layers(include_self=True, recursive=True):
        for generator in getattr(layer, "_seed_generators", ()):
            if id(generator) not in seen:
                seen.add(id(generator))
                found.append(generator)
    return found


def _value(variable):
    """A variable's value as a JSON-able list (a distributed one's as TF reads it)."""
    value = variable.value
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value).tolist()


def rng_state(model):
    """The states of the model's seed generators (JSON-able lists of ints)."""
    return [_value(g.state) for g in seed_generators(model)]


def restore_rng_state(model, states):
    """Assigns states saved by `rng_state` (a mismatch in number is a ValueError)."""
    if states is None:
        return
    generators = seed_generators(model)
    if len(generators) != len(states):
        raise ValueError(f"The saved state has {len(states)} random generator states; this "
                         f"model has {len(generators)} seed generators.")
    for generator, state in zip(generators, states):
        generator.state.assign(np.asarray(state, dtype=generator.state.dtype))


def metric_state(model):
    """The variables of `model.metrics` by metric name (lists of floats); `{}` under a
    multi-worker strategy, where a tracker's value is the sum over the workers and
    assigning it back would give every worker the whole sum (not restored there)."""
    from keras_gan_zoo import distribute

    if distribute.num_workers() > 1:
        return {}
    return {m.name: [_value(v) for v in m.variables] for m in model.metrics}


def restore_metric_state(model, states):
    for metric in model.metrics:
        for variable, value in zip(metric.variables, (states or {}).get(metric.name, ())):
            variable.assign(np.asarray(value, dtype=variable.dtype))


def read_backup(directory):
    """The state of the backup in `directory` with `path` (its model file), or `{}`
    when there is none (no state, or its model file is missing)."""
    try:
        with open(os.path.join(directory, STATE_NAME), encoding="utf-8") as f:
            state = json.load(f)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    path = os.path.join(directory, state["file"])
    return dict(state, path=path) if os.path.isfile(path) else {}


def discard_backup(directory):
    """Removes a backup directory (a finished run needs none)."""
    shutil.rmtree(directory, ignore_errors=True)


class TrainingBackup(keras.callbacks.Callback):
    """Backs up the whole training state every `every` steps (see the module).

    Steps are counted globally from `initial_step` (= epoch x `steps_per_epoch` +
    step in epoch), over one or several `fit` calls; a backup is written when the
    count crosses a multiple of `every`, except at the end of an epoch (the epoch
    checkpoint, `TrainingCheckpoint`, is written then).

    Args:
        directory: where the backup lives (created).
        every: steps between backups (>= 1).
        steps_per_epoch: steps of one epoch of the run.
        initial_step: the global step training starts at (0, or a resume point).
        metrics: metric states to restore at the start of the first epoch (a
            resume mid-epoch: `read_backup(...)["metrics"]`).
        fingerprint: a JSON-able dict saved with each backup (what `train`
            checks before resuming from it).

    Example:
        >>> backup = TrainingBackup("run/backup", every=100, steps_per_epoch=468)
        >>> model.fit(ds, epochs=20, steps_per_epoch=468, callbacks=[backup])
    """

    def __init__(self, directory, every, steps_per_epoch, initial_step=0, metrics=None,
                 fingerprint=None):
        super().__init__()
        for name, value in (("every", every), ("steps_per_epoch", steps_per_epoch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}.")
        self.directory = os.fspath(directory)
        self.every = every
        self.steps_per_epoch = steps_per_epoch
        self.global_step = int(initial_step)
        self.fingerprint = dict(fingerprint or {})
        self._metrics = metrics
        self._epoch_start = self.global_step

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self.global_step
        if self._metrics is not None:  # after fit's reset_metrics: the epoch's sums so far
            restore_metric_state(self.model, self._metrics)
            self._metrics = None

    def on_train_batch_end(self, batch, logs=None):
        before, self.global_step = self.global_step, self._epoch_start + batch + 1
        if self.global_step // self.every > before // self.every \
                and self.global_step % self.steps_per_epoch:
            self.save()

    def save(self):
        """Writes the backup of the current step."""
        name = f"step-{self.global_step:010d}.keras"
        with atomic_output(os.path.join(self.directory, name), suffix=".keras") as tmp:
            self.model.save(tmp)
        epoch, step = divmod(self.global_step, self.steps_per_epoch)
        state = {"file": name, "epoch": epoch, "step_in_epoch": step,
                 "global_step": self.global_step, "steps_per_epoch": self.steps_per_epoch,
                 "dtype_policy": keras.mixed_precision.global_policy().name,
                 "fingerprint": self.fingerprint,
                 "seed_generators": rng_state(self.model),
                 "metrics": metric_state(self.model)}
        atomic_write_bytes(os.path.join(self.directory, STATE_NAME),
                           json.dumps(state, indent=1).encode())
        for old in glob.glob(os.path.join(self.directory, "step-*.keras")):
            if os.path.basename(old) != name:
                os.remove(old)
