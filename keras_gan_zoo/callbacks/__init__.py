"""Keras callbacks for generative models."""

from keras_gan_zoo.callbacks.backup import TrainingBackup
from keras_gan_zoo.callbacks.checkpoint import TrainingCheckpoint
from keras_gan_zoo.callbacks.metric_monitor import MetricMonitor
from keras_gan_zoo.callbacks.sample_grid import SampleGrid
from keras_gan_zoo.callbacks.time_budget import TimeBudget
from keras_gan_zoo.callbacks.translation_grid import TranslationGrid

__all__ = ["MetricMonitor", "SampleGrid", "TimeBudget", "TrainingBackup", "TrainingCheckpoint",
           "TranslationGrid"]
