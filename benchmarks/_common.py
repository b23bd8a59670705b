"""Pieces the quality benchmarks share (quality.py, improved_techniques.py, time_to_quality.py).

Not a benchmark: imported by the scripts of this folder (run as
`python benchmarks/<script>.py`, which puts this folder on `sys.path`).
"""

import json
import os
import time

import keras

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
