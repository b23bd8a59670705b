"""TimeBudget, and training until a monitored FID stops improving (EarlyStopping on the
logs a MetricMonitor writes, restoring the best weights) within a time budget."""

import itertools

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz


def _tiny_regression():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    x = np.random.default_rng(0).standard_normal((16, 3)).astype("float32")
    return model, x, x.sum(axis=1, keepdims=True)


def _clock(step):
    """A fake clock advancing `step` seconds per reading."""
    ticks = itertools.count()
    return lambda: step * next(ticks)


def test_time_budget_stops_before_the_next_epoch_would_overrun():
    model, x, y = _tiny_regression()
    # 10 s per epoch, 30 s budget: after epochs 1 and 2 the next fits (20, 30 <= 30);
    # after epoch 3 it would end at 40 s.
    budget = kgz.callbacks.TimeBudget(0.5, clock=_clock(10.0))
    history = model.fit(x, y, epochs=20, verbose=0, callbacks=[budget])
    assert len(history.epoch) == 3
    assert budget.stopped_epoch == 2
    assert budget.elapsed_seconds == 30.0
    assert budget.epoch_seconds == [10.0, 10.0, 10.0]


def test_time_budget_off_or_large_runs_every_epoch_and_validates():
    for minutes in (None, 0, 60):
        model, x, y = _tiny_regression()
        budget = kgz.callbacks.TimeBudget(minutes, clock=_clock(10.0))
        assert len(model.fit(x, y, epochs=4, verbose=0, callbacks=[budget]).epoch) == 4
        assert budget.stopped_epoch is None and budget.elapsed_seconds == 40.0
    # A single epoch longer than the whole budget still runs once.
    model, x, y = _tiny_regression()
    budget = kgz.callbacks.TimeBudget(0.1, clock=_clock(60.0))
    assert len(model.fit(x, y, epochs=4, verbose=0, callbacks=[budget]).epoch) == 1
    for bad in (-1, True, "5"):
        with pytest.raises(ValueError, match="minutes"):
            kgz.callbacks.TimeBudget(bad)
    assert kgz.callbacks.TimeBudget(2.5).get_config() == {"minutes": 2.5}


class _ScriptedFID(keras.callbacks.Callback):
    """Writes a scripted "fid" into the logs every `every` epochs (as MetricMonitor
    does) and remembers the weights it was measured on."""

    def __init__(self, values, every):
        super().__init__()
        self.values, self.every, self.weights_at = list(values), every, {}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            logs["fid"] = self.values.pop(0)
            self.weights_at[epoch + 1] = [w.copy() for w in self.model.get_weights()]


def test_early_stopping_on_sparse_fid_checks_restores_the_best_check():
    model, x, y = _tiny_regression()
    # checks after epochs 2, 4, 6, 8: best at 4, then two checks without improvement.
    monitor = _ScriptedFID([50.0, 30.0, 35.0, 40.0, 10.0], every=2)
    early = keras.callbacks.EarlyStopping(monitor="fid", mode="min", patience=2,
                                          restore_best_weights=True)
    budget = kgz.callbacks.TimeBudget(60, clock=_clock(1.0))
    with pytest.warns(UserWarning, match="fid"):  # epochs without a check are skipped
        history = model.fit(x, y, epochs=20, verbose=0, callbacks=[monitor, early, budget])
    assert len(history.epoch) == 8  # stopped by patience, not by the budget
    assert early.stopped_epoch == 7 and early.best_epoch == 3 and early.best == 30.0
    assert history.history["fid"] == [50.0, 30.0, 35.0, 40.0]
    for restored, best in zip(model.get_weights(), monitor.weights_at[4]):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(monitor.weights_at[4][0], monitor.weights_at[8][0])
