"""Errors raised by :mod:`keras_gan_zoo.datasets`."""

__all__ = ["DatasetUnavailableError"]


class DatasetUnavailableError(RuntimeError):
    """No source can provide the requested dataset on this machine.

    The message says what was tried and exactly what to install, which
    environment variable to set, or how to prepare the data with TFDS.
    """
