"""SampleGrid: write a grid of generated samples every few epochs."""

import numbers
import os
from collections.abc import Mapping

import keras

from keras_gan_zoo.utils.images import make_grid
from keras_gan_zoo.utils.images import save_png

LATEST_FILENAME = "latest.png"


class EpochGrid(keras.callbacks.Callback):
    """The cadence shared by the grid callbacks: a grid every `every` epochs (and one
    for the last epoch when training ends off the cadence), written into `directory`
    under `filename` (formatted with the 1-based `epoch=`) and as `latest.png`.

    A subclass implements `_check_model()` (raises for a model it cannot draw from)
    and `write_grid(epoch)` (writes, sets `last_path`, calls `_written(epoch)`).

    Args:
        directory: output directory, created if missing.
        every: write a grid every this many epochs (>= 1).
        filename: file name pattern, formatted with `epoch=` (1-based).
        on_train_end: also write a grid for the last epoch when training ends off
            the `every` cadence.
    """

    def __init__(self, directory, every=1, filename="epoch_{epoch:04d}.png",
                 on_train_end=True):
        super().__init__()
        self.directory = os.fspath(directory)
        self.every = _positive_int("every", every)
        if not isinstance(filename, str):
            raise ValueError(f"`filename` must be a str; got {filename!r}.")
        try:
            filename.format(epoch=1)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(
                "`filename` must be a format string using only `{epoch}`, "
                f"e.g. 'epoch_{{epoch:04d}}.png'; got {filename!r} ({e!r})."
            ) from None
        self.filename = filename
        # Not `self.on_train_end`: that would shadow the callback method.
        self.write_on_train_end = bool(on_train_end)
        self.last_path = None
        self._last_epoch = None  # 1-based epoch of the last completed epoch
        self._last_written_epoch = None

    def _check_model(self):
        raise NotImplementedError(f"{type(self).__name__} must implement _check_model().")

    def write_grid(self, epoch):
        raise NotImplementedError(f"{type(self).__name__} must implement write_grid().")

    def grid_path(self, epoch):
        """The path of the grid of `epoch` (1-based)."""
        return os.path.join(self.directory, self.filename.format(epoch=epoch))

    def _written(self, epoch, path):
        self.last_path = path
        self._last_written_epoch = epoch

    def on_train_begin(self, logs=None):
        self._check_model()
        os.makedirs(self.directory, exist_ok=True)
        self._last_epoch = None
        self._last_written_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch + 1
        if self._last_epoch % self.every == 0:
            self.write_grid(self._last_epoch)

    def on_train_end(self, logs=None):
        if (
            self.write_on_train_end
            and self._last_epoch is not None
            and self._last_epoch != self._last_written_epoch
        ):
            self.write_grid(self._last_epoch)


class SampleGrid(EpochGrid):
    """Saves a PNG grid of `model.generate(...)` samples during training.

    At the end of every `every`-th epoch (epochs counted from 1 in file
    names) the callback calls
    `model.generate(num_samples, seed=seed, **generate_kwargs)` and writes
    the grid atomically to `directory/filename` and to
    `directory/latest.png`. A fixed `seed` keeps the latents fixed, so the
    files show one set of samples evolving over training. With
    `on_train_end=True` a final grid is also written when training stops on
    an epoch that is not a multiple of `every`.

    Args:
        directory: output directory, created if missing.
        num_samples: number of images per grid (>= 1).
        every: write a grid every this many epochs (>= 1).
        seed: seed passed to `model.generate`; `None` draws new latents
            each time.
        nrow: images per grid row; defaults to `ceil(sqrt(num_samples))`.
        filename: file name pattern, formatted with `epoch=` (1-based).
        generate_kwargs: extra keyword arguments for `model.generate`, e.g.
            `{"labels": labels}` for a conditional model.
        on_train_end: also write a grid for the last epoch when training
            ends off the `every` cadence.

    Attributes:
        last_path: path of the last grid written (not `latest.png`), or None.

    Example:
        >>> model.fit(ds, epochs=20,
        ...           callbacks=[SampleGrid("samples/", every=5)])
        >>> # writes samples/epoch_0005.png ... samples/epoch_0020.png, samples/latest.png
    """

    def __init__(
        self,
        directory,
        num_samples=64,
        every=1,
        seed=0,
        nrow=None,
        filename="epoch_{epoch:04d}.png",
        generate_kwargs=None,
        on_train_end=True,
    ):
        super().__init__(directory, every, filename, on_train_end)
        self.num_samples = _positive_int("num_samples", num_samples)
        self.seed = seed
        self.nrow = None if nrow is None else _positive_int("nrow", nrow)
        if generate_kwargs is None:
            generate_kwargs = {}
        if not isinstance(generate_kwargs, Mapping):
            raise ValueError(
                "`generate_kwargs` must be a dict of keyword arguments for "
                f"`model.generate`; got {type(generate_kwargs).__name__}."
            )
        if "seed" in generate_kwargs:
            raise ValueError(
                "Pass the seed as `SampleGrid(seed=...)`, not in "
                "`generate_kwargs`."
            )
        self.generate_kwargs = dict(generate_kwargs)

    def _check_model(self):
        generate = getattr(self.model, "generate", None)
        if not callable(generate):
            raise TypeError(
                "SampleGrid needs a model with a `generate(n, seed=None, ...)` "
                f"method; {type(self.model).__name__} has none."
            )
        return generate

    def write_grid(self, epoch):
        """Generates samples and writes the grid for `epoch` (1-based).

        Args:
            epoch: epoch number used in the file name.

        Returns:
            The path of the grid written.
        """
        generate = self._check_model()
        images = generate(self.num_samples, seed=self.seed, **self.generate_kwargs)
        grid = make_grid(images, nrow=self.nrow)
        path = self.grid_path(epoch)
        save_png(grid, path)
        save_png(grid, os.path.join(self.directory, LATEST_FILENAME))
        self._written(epoch, path)
        return path


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an int >= 1; got {value!r}.")
    if value < 1:
        raise ValueError(f"`{name}` must be >= 1; got {value}.")
    return int(value)
