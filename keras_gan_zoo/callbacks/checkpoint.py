"""TrainingCheckpoint: an atomic, resumable `.keras` checkpoint every epoch."""

import json
import os

import keras

from keras_gan_zoo.callbacks.backup import rng_state
from keras_gan_zoo.utils.files import atomic_output, atomic_write_bytes


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves the whole model (weights and optimizer state) after every epoch.

    The file is written next to `path` and moved into place with `os.replace`, so
    a crash mid-save leaves the previous checkpoint intact. Beside it a small JSON
    file (`<path>.json`) records the number of finished epochs and the last logs,
    which `keras-gan-zoo train` reads to resume with the right `initial_epoch`.

    Args:
        path: checkpoint file, ending in `.keras`.
        every: save every this many epochs (the last epoch is always saved).

    Example:
        >>> model.fit(ds, epochs=20, callbacks=[TrainingCheckpoint("run/model.keras")])
        >>> model = keras.models.load_model("run/model.keras")  # resumes training
    """

    def __init__(self, path, every=1):
        super().__init__()
        path = os.fspath(path)
        if not path.endswith(".keras"):
            raise ValueError(f"Checkpoint path must end in '.keras'; got {path!r}.")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int; got {every!r}.")
        self.path = path
        self.every = every
        self._epochs = None

    @staticmethod
    def state_path(path):
        return os.fspath(path) + ".json"

    @classmethod
    def read_state(cls, path):
        """The JSON state saved beside the checkpoint at `path`, or `{}` if none.

        Keys: `epochs` (finished epochs), `dtype_policy` (the Keras policy the run
        trained under), `logs` (the metrics of the last saved epoch) and
        `seed_generators` (the states of the model's `keras.random.SeedGenerator`s,
        which `.keras` files do not hold; `backup.restore_rng_state` assigns them).
        """
        if not os.path.isfile(path):
            return {}
        try:
            with open(cls.state_path(path), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs")

    def on_epoch_end(self, epoch, logs=None):
        finished = epoch + 1
        if finished % self.every and finished != self._epochs:
            return
        self.save(finished, logs)

    def save(self, epochs, logs=None):
        with atomic_output(self.path, suffix=".keras") as tmp:
            self.model.save(tmp)
        state = {"epochs": epochs,
                 "dtype_policy": keras.mixed_precision.global_policy().name,
                 "logs": {k: float(v) for k, v in (logs or {}).items()},
                 "seed_generators": rng_state(self.model)}
        atomic_write_bytes(self.state_path(self.path), json.dumps(state, indent=2).encode())
