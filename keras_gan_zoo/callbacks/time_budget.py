"""TimeBudget: stop `fit` at an epoch boundary before a wall-clock budget runs out."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops training after the epoch when the next one would overrun `minutes`.

    At the end of every epoch the callback predicts the time of the next epoch as the
    mean epoch time so far (end-of-epoch work of the callbacks listed before it, e.g.
    a `MetricMonitor` evaluation, included) and sets `model.stop_training` when the
    elapsed time plus that prediction exceeds the budget. Training therefore always
    stops at an epoch boundary (checkpoints and `EarlyStopping` see a whole epoch)
    and normally within the budget; a single epoch longer than the whole budget still
    runs once. List it after the callbacks whose time should count.

    Args:
        minutes: the budget in minutes; `None` or `0` disables the callback.
        clock: a function returning seconds (default `time.perf_counter`; tests pass
            a fake clock).

    Attributes:
        stopped_epoch: the 0-based epoch after which it stopped training, or `None`.
        elapsed_seconds: seconds from the start of `fit` to the last epoch's end.
        epoch_seconds: the duration of each epoch seen (end to end).

    Example:
        >>> model.fit(ds, epochs=1000, callbacks=[
        ...     kgz.callbacks.MetricMonitor(["fid"], dataset="mnist", every=5),
        ...     keras.callbacks.EarlyStopping(monitor="fid", mode="min", patience=3,
        ...                                   restore_best_weights=True),
        ...     kgz.callbacks.TimeBudget(45)])
    """

    def __init__(self, minutes, clock=time.perf_counter):
        super().__init__()
        if minutes is not None and (isinstance(minutes, bool)
                                    or not isinstance(minutes, (int, float)) or minutes < 0):
            raise ValueError(f"minutes must be a number >= 0 or None; got {minutes!r}.")
        self.minutes = minutes
        self.seconds = 60.0 * minutes if minutes else None
        self.clock = clock
        self.stopped_epoch = None
        self.elapsed_seconds = 0.0
        self.epoch_seconds = []
        self._start = self._last = None

    def on_train_begin(self, logs=None):
        self._start = self._last = self.clock()
        self.stopped_epoch = None
        self.elapsed_seconds = 0.0
        self.epoch_seconds = []

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        self.epoch_seconds.append(now - self._last)
        self._last = now
        self.elapsed_seconds = now - self._start
        if self.seconds is None:
            return
        next_epoch = self.elapsed_seconds / len(self.epoch_seconds)
        if self.elapsed_seconds + next_epoch > self.seconds:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def get_config(self):
        return {"minutes": self.minutes}
