"""Test set-up: TF backend, two logical CPU devices for tf.distribute tests.

The logical devices must be configured before TensorFlow initializes its runtime,
so this happens at import time of the test session.
"""

import gc
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


@pytest.fixture(autouse=True)
def _float32_policy():
    """Every test starts (and leaves) the global dtype policy at float32."""
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")


#: A worker releases Keras' global state once its memory has grown this much since the
#: last release (or, where /proc is missing, every RELEASE_EVERY tests).
RELEASE_GROWTH_BYTES = 1 << 30
RELEASE_EVERY = 25
_release = {"baseline": None, "tests": 0}


def _resident_bytes():
    """This process's resident memory (Linux /proc), or None elsewhere."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture(autouse=True)
def _release_models():
    """Clears Keras' global state and collects the models earlier tests made, once the
    worker's memory has grown by RELEASE_GROWTH_BYTES since the last release.

    Without it a test worker's memory grew past 12 GB by the end of the suite (two
    workers filled the 24 GB machine). Done after every test it cost 0.3-1.5 s each
    (gc.collect over TensorFlow's object graph, then clear_session), on ~1,700 tests.
    """
    yield
    _release["tests"] += 1
    resident = _resident_bytes()
    if resident is None:
        due = _release["tests"] % RELEASE_EVERY == 0
    else:
        if _release["baseline"] is None:
            _release["baseline"] = resident
        due = resident - _release["baseline"] > RELEASE_GROWTH_BYTES
    if due:
        keras.backend.clear_session()
        gc.collect()
        _release["baseline"] = _resident_bytes()


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One MirroredStrategy over the 2 logical CPUs for the whole session.

    Several strategies in one process reuse collective instance keys and collide
    ("Shape mismatch in the collective instance"), so tests share this one.
    """
    devices = [d.name for d in tf.config.list_logical_devices("CPU")[:2]]
    return tf.distribute.MirroredStrategy(devices)


@pytest.fixture
def offline_datasets_only(monkeypatch, tmp_path_factory):
    """No user directory of (Fashion-)MNIST IDX files and an empty TFDS data dir, so a
    dataset test knows its source: the offline files this machine installs."""
    for var in ("KERAS_GAN_ZOO_FASHION_MNIST_DIR", "KERAS_GAN_ZOO_MNIST_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path_factory.mktemp("empty_tfds")))
