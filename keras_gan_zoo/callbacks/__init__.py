"""Keras callbacks for generative models."""

from keras_gan_zoo.callbacks.checkpoint import TrainingCheckpoint
from keras_gan_zoo.callbacks.metric_monitor import MetricMonitor
from keras_gan_zoo.callbacks.sample_grid import SampleGrid

__all__ = ["MetricMonitor", "SampleGrid", "TrainingCheckpoint"]
