"""Quality metrics inside fit (MetricMonitor) and at the command line (evaluate)."""

import glob
import json

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo import cli


def _images(n=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")


def test_metric_monitor_writes_into_logs_history_and_tensorboard(tmp_path):
    model = kgz.create_model("dcgan_tiny", seed=0)
    model.compile()
    monitor = kgz.callbacks.MetricMonitor(["fid", "kid", "modes"], dataset="fashion_mnist",
                                          num_samples=200, every=1, log_dir=str(tmp_path))
    stopper = keras.callbacks.EarlyStopping(monitor="fid", mode="min", patience=10)
    history = model.fit(_images(), batch_size=32, epochs=2, verbose=0,
                        callbacks=[monitor, stopper]).history
    for key in ("fid", "kid", "kid_std", "classes_found", "class_entropy"):
        assert len(history[key]) == 2, key
        assert np.all(np.isfinite(history[key]))
    assert history["fid"][0] > 0
    assert 1 <= history["classes_found"][0] <= 10
    assert stopper.best == min(history["fid"])  # EarlyStopping saw the metric
    assert [entry["epoch"] for entry in monitor.history] == [1, 2]
    assert glob.glob(str(tmp_path / "events.out.tfevents.*"))


def test_metric_monitor_cadence_and_errors():
    model = kgz.create_model("dcgan_tiny", seed=0)
    model.compile()
    monitor = kgz.callbacks.MetricMonitor("fid", dataset="fashion_mnist", num_samples=100,
                                          every=2)
    history = model.fit(_images(), batch_size=32, epochs=3, verbose=0,
                        callbacks=[monitor]).history
    assert [entry["epoch"] for entry in monitor.history] == [2, 3]  # every 2nd and the last
    assert "fid" not in history or len(history["fid"]) == 2
    with pytest.raises(ValueError, match="Unknown metrics"):
        kgz.callbacks.MetricMonitor(["fidd"])
    with pytest.raises(ValueError, match="every"):
        kgz.callbacks.MetricMonitor(every=0)


def test_evaluate_command_prints_and_writes_json(tmp_path, capsys):
    model = kgz.create_model("dcgan_tiny", seed=0)
    model.compile()
    model.fit(_images(), batch_size=32, verbose=0)
    checkpoint = str(tmp_path / "m.keras")
    model.save(checkpoint)
    out = tmp_path / "eval.json"
    assert cli.main(["evaluate", checkpoint, "--dataset", "fashion_mnist", "--metrics",
                     "fid,kid,is,pr,modes", "--num-samples", "200", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["extractor"] == "fashion_mnist" and report["num_samples"] == 200
    for key in ("fid", "kid", "is", "precision", "recall", "classes_found"):
        assert key in report["metrics"] and f"| {key}" in printed
    assert cli.main(["evaluate", checkpoint, "--metrics", "fud", "--num-samples", "50"]) == 2
    assert "fud" in capsys.readouterr().err


def test_evaluate_command_takes_a_pretrained_name_and_its_dataset(tmp_path):
    """`evaluate NAME` loads the packaged generator and compares with the entry's dataset
    (MNIST for acgan_mnist; labels cycle over the classes), not the Fashion-MNIST default."""
    out = tmp_path / "eval.json"
    assert cli.main(["evaluate", "acgan_mnist", "--metrics", "fid,modes", "--num-samples", "300",
                     "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["dataset"] == "mnist" and report["extractor"] == "mnist"
    # A trained digit generator in the MNIST classifier's features: all classes present and
    # far below the FID of noise images (several hundred in these features).
    assert report["metrics"]["classes_found"] == 10
    assert 0 < report["metrics"]["fid"] < 60, report["metrics"]
