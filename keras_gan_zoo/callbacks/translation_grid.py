"""TranslationGrid: write input | output | target grids of a translator every few epochs."""

import os
from collections.abc import Mapping

import keras
import numpy as np

from keras_gan_zoo.callbacks.sample_grid import LATEST_FILENAME, EpochGrid, _positive_int

DIRECTIONS = ("a_to_b", "b_to_a")


class TranslationGrid(EpochGrid):
    """Saves a PNG of a translator's outputs on fixed images during training.

    At the end of every `every`-th epoch (epochs counted from 1 in file names) the
    callback translates the same `images` and writes one grid atomically to
    `directory/filename` and to `directory/latest.png`. Each example is shown as
    `input | output | target`, `examples_per_row` examples per grid row
    (`kgz.metrics.translation.translation_grid`; a low-resolution input is shown
    enlarged to the output's size, nearest neighbour).

    The third column is `targets` when given (the ground truth of paired or
    super-resolution data); without targets, a two-domain model (CycleGAN, DiscoGAN)
    shows the output translated back (the cycle), a one-way model shows no third column.

    With `direction="both"` (two-domain models) `images` is a pair `(a_images, b_images)`
    and `targets` None or a pair: the a -> b rows come first, then the b -> a rows.

    Args:
        directory: output directory, created if missing.
        images: the inputs, (N, H, W, C) in [-1, 1] of the model's input shape for
            `direction`; a pair `(a_images, b_images)` with `direction="both"`.
        targets: the ground truth of each input (same structure as `images`), or None.
        every: write a grid every this many epochs (>= 1).
        direction: `"a_to_b"` (default), `"b_to_a"` or `"both"`.
        examples_per_row: examples per grid row.
        translate_kwargs: extra keyword arguments for `model.translate` (e.g.
            `{"seed": 0}` for BiCycleGAN's latent draws), or a list of such dicts: one
            output column each (e.g. several latents of BiCycleGAN).
        filename: file name pattern, formatted with `epoch=` (1-based).
        on_train_end: also write a grid for the last epoch when training ends off the
            `every` cadence.

    Attributes:
        last_path: path of the last grid written (not `latest.png`), or None.

    Example:
        >>> from keras_gan_zoo.metrics.translation import translation_test_data
        >>> edges, clothes = translation_test_data("fashion_mnist_edges", num_images=8)
        >>> model.fit(ds, epochs=10, callbacks=[
        ...     kgz.callbacks.TranslationGrid("samples/", images=edges, targets=clothes)])
        >>> # writes samples/epoch_0001.png ... samples/epoch_0010.png, samples/latest.png
        >>> sneakers, boots = translation_test_data("fashion_mnist_sneaker_boot", num_images=8)
        >>> kgz.callbacks.TranslationGrid("samples/", images=(sneakers, boots),
        ...                               direction="both")  # input | output | back
    """

    def __init__(self, directory, images, targets=None, every=1, direction="a_to_b",
                 examples_per_row=4, translate_kwargs=None, filename="epoch_{epoch:04d}.png",
                 on_train_end=True):
        super().__init__(directory, every, filename, on_train_end)
        self.examples_per_row = _positive_int("examples_per_row", examples_per_row)
        if direction not in (*DIRECTIONS, "both"):
            raise ValueError(f"direction must be 'a_to_b', 'b_to_a' or 'both'; got "
                             f"{direction!r}.")
        self.direction = direction
        directions = DIRECTIONS if direction == "both" else (direction,)
        if direction == "both":
            images = _pair(images, "images")
            targets = None if targets is None else _pair(targets, "targets")
        else:
            images, targets = (images,), (None if targets is None else (targets,))
        self.images = {d: _batch(x, f"images ({d})") for d, x in zip(directions, images)}
        self.targets = None
        if targets is not None:
            self.targets = {d: _batch(x, f"targets ({d})") for d, x in zip(directions, targets)}
            for d in directions:
                if len(self.targets[d]) != len(self.images[d]):
                    raise ValueError(f"targets ({d}) must have one image per input: "
                                     f"{len(self.images[d])} images, "
                                     f"{len(self.targets[d])} targets.")
        if translate_kwargs is None:
            translate_kwargs = [{}]
        elif isinstance(translate_kwargs, Mapping):
            translate_kwargs = [translate_kwargs]
        if not translate_kwargs or not all(isinstance(k, Mapping) for k in translate_kwargs):
            raise ValueError("translate_kwargs must be a dict of keyword arguments for "
                             "`model.translate`, or a non-empty list of them; got "
                             f"{translate_kwargs!r}.")
        for kwargs in translate_kwargs:
            if "direction" in kwargs:
                raise ValueError("Pass the direction as `TranslationGrid(direction=...)`, "
                                 "not in `translate_kwargs`.")
        self.translate_kwargs = [dict(k) for k in translate_kwargs]

    @property
    def directions(self):
        """The directions shown, in row order."""
        return tuple(self.images)

    def _check_model(self):
        model = self.model
        if not callable(getattr(model, "translate", None)):
            raise TypeError(f"TranslationGrid needs a translator (a model with "
                            f"`translate(images, direction=...)`); {type(model).__name__} "
                            "has none. Use SampleGrid for models that generate from noise.")
        directions = tuple(getattr(model, "directions", ("a_to_b",)))
        for direction, images in self.images.items():
            if direction not in directions:
                raise ValueError(f"{type(model).__name__} translates {' and '.join(directions)}"
                                 f" only; TranslationGrid got direction={self.direction!r}.")
            shape = getattr(model, "input_shape_for", None)
            expected = tuple(shape(direction)) if shape else None
            if expected is not None and images.shape[1:] != expected:
                raise ValueError(f"TranslationGrid: {type(model).__name__} translates "
                                 f"{direction} images of shape {expected}; got images of "
                                 f"shape {images.shape[1:]}.")
        return model

    def _translate(self, images, direction, **kwargs):
        model = self.model
        if len(getattr(model, "directions", ("a_to_b",))) == 2:
            return model.translate(images, direction=direction, **kwargs)
        return model.translate(images, **kwargs)

    def columns(self):
        """The grid's columns: `[inputs, outputs..., targets or translated back]`, each
        an (N, H, W, C) array, the directions' rows concatenated (a -> b first)."""
        model = self._check_model()
        two_way = len(getattr(model, "directions", ("a_to_b",))) == 2
        per_direction = []
        for direction, images in self.images.items():
            outputs = [self._translate(images, direction, **kwargs)
                       for kwargs in self.translate_kwargs]
            columns = [images, *outputs]
            if self.targets is not None:
                columns.append(self.targets[direction])
            elif two_way:
                back = "b_to_a" if direction == "a_to_b" else "a_to_b"
                columns.append(self._translate(outputs[0], back))
            per_direction.append(columns)
        if len(per_direction) == 1:
            return per_direction[0]
        # rows of both directions in one grid: one size and channel count per column
        channels = max(c.shape[-1] for columns in per_direction for c in columns)
        return [np.concatenate([_channels(columns[i], channels) for columns in per_direction])
                for i in range(len(per_direction[0]))]

    def write_grid(self, epoch):
        """Translates the images and writes the grid for `epoch` (1-based).

        Returns:
            The path of the grid written.
        """
        from keras_gan_zoo.metrics.translation import translation_grid

        columns = self.columns()
        path = self.grid_path(epoch)
        translation_grid(columns, path, examples_per_row=self.examples_per_row)
        translation_grid(columns, os.path.join(self.directory, LATEST_FILENAME),
                         examples_per_row=self.examples_per_row)
        self._written(epoch, path)
        return path


def _pair(value, what):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"With direction='both', {what} must be a pair (a_images, b_images); "
                         f"got {type(value).__name__}.")
    return tuple(value)


def _batch(images, what):
    array = keras.ops.convert_to_numpy(images) if not isinstance(images, np.ndarray) \
        else images
    array = np.asarray(array)
    if array.ndim != 4 or not len(array):
        raise ValueError(f"TranslationGrid {what} must be a non-empty batch (N, H, W, C) in "
                         f"[-1, 1]; got shape {array.shape}.")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"TranslationGrid {what} must be float images in [-1, 1]; got dtype "
                         f"{array.dtype}.")
    return array.astype("float32")


def _channels(images, channels):
    return images if images.shape[-1] == channels else np.repeat(images, channels, axis=-1)
