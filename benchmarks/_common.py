"""Pieces the benchmarks share: the quality benchmarks (quality.py,
improved_techniques.py, time_to_quality.py) and the speed measurements of
scaling.py and gpu_check.sh (synthetic data, parameter counts, timed `fit`).

Not a benchmark: imported by the scripts of this folder (run as
`python benchmarks/<script>.py`, which puts this folder on `sys.path`).
"""

import json
import os
import resource
import time

import keras
import numpy as np
import tensorflow as tf

import keras_gan_zoo as kgz


class WallClockBudget(keras.callbacks.Callback):
    """Stops training once `seconds` of wall-clock time have passed since fit began."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.steps = 0
        self.elapsed = 0.0

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.elapsed = time.perf_counter() - self._start
        if self.elapsed >= self.seconds:
            self.model.stop_training = True


def fashion_mnist_reference(num_samples, seed, floor_metrics=("fid", "kid")):
    """What generated Fashion-MNIST images are measured against.

    Returns `(extractor, real, floor)`: the zoo's Fashion-MNIST domain classifier,
    the feature statistics of `num_samples` images of the TEST split (a subset
    shuffled with `seed`), and the real-data floor: `floor_metrics` between
    `num_samples` TRAIN images (shuffled with `seed + 1`) and those test images.
    """
    extractor = kgz.metrics.get_extractor("fashion_mnist")
    real = kgz.metrics.real_statistics("fashion_mnist", "test", extractor, num_samples, seed)
    train_images = kgz.datasets.load("fashion_mnist", "train", batch_size=500, shuffle=True,
                                     seed=seed + 1)
    floor = kgz.metrics.evaluate(train_images, real, metrics=floor_metrics,
                                 extractor=extractor, num_samples=num_samples)
    return extractor, real, floor


def load_payload(path, default):
    """The JSON payload saved at `path` (rows merged by run name), or `default` when
    there is no path or no file yet."""
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return default


# ------------------------------------------------------- speed (scaling.py, gpu_check.sh)
def cpu_seconds():
    """User + system CPU seconds of this process (all its threads) and of its children
    that have been waited for."""
    own, children = (resource.getrusage(resource.RUSAGE_SELF),
                     resource.getrusage(resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def parameter_counts(model):
    """`{compile argument: trainable parameters it updates}` of a zoo model (e.g.
    `{"generator_optimizer": 759681, "discriminator_optimizer": 138689}`): the
    gradients all-reduced every step, network by network."""
    counts = {}
    for argument, networks in model.optimizer_networks.items():
        variables = (model.trainable_variables if networks is None else
                     [v for name in networks for v in getattr(model, name).trainable_variables])
        counts[argument] = int(sum(np.prod(v.shape) for v in variables))
    return counts


def synthetic_examples(model, n, seed=0):
    """`(x, y)`: `n` random training examples in the model's input format, images in
    [-1, 1]: images (and cycling class labels for a conditional model, else `y` is
    None), or for a translator source and target images (unpaired for CycleGAN)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, *model.image_shape)).astype("float32")
    if model.family == "translation":
        return x, rng.uniform(-1, 1, (n, *model.target_shape)).astype("float32")
    if getattr(model, "conditional", False):
        return x, (np.arange(n) % model.num_classes).astype("int32")
    return x, None


def synthetic_dataset(model, global_batch, seed=0, distinct_batches=4):
    """An endless `tf.data.Dataset` of synthetic batches of `global_batch` examples
    (`distinct_batches` different ones, held in memory, so input costs nothing)."""
    x, y = synthetic_examples(model, global_batch * distinct_batches, seed)
    elements = x if y is None else (x, y)
    return (tf.data.Dataset.from_tensor_slices(elements).repeat()
            .batch(global_batch, drop_remainder=True).prefetch(2))


class StepTimer(keras.callbacks.Callback):
    """Wall-clock and CPU seconds of the `steps` training steps that follow the first
    `warmup` ones (which trace and compile the step: excluded)."""

    def __init__(self, warmup, steps):
        super().__init__()
        if warmup < 1 or steps < 1:
            raise ValueError(f"need warmup >= 1 (tracing) and steps >= 1; got {warmup}, {steps}.")
        self.warmup, self.steps = warmup, steps
        self.seconds = self.cpu_seconds = None

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.warmup - 1:
            self._start = (time.perf_counter(), cpu_seconds())
        elif batch == self.warmup + self.steps - 1:
            self.seconds = time.perf_counter() - self._start[0]
            self.cpu_seconds = cpu_seconds() - self._start[1]


def measure_fit(model, dataset, global_batch, warmup, steps):
    """Trains the compiled `model` on `dataset` for `warmup + steps` steps (one
    `fit`) and returns the timed steps' `seconds`, `cpu_seconds` (this process),
    `examples` and the last logs (`losses`, to show it trained)."""
    timer = StepTimer(warmup, steps)
    history = model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, verbose=0,
                        callbacks=[timer])
    losses = {k: float(np.ravel(v[-1])[0]) for k, v in history.history.items()}
    return {"seconds": timer.seconds, "cpu_seconds": timer.cpu_seconds,
            "examples": steps * global_batch, "losses": losses}
