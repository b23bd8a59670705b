"""TrainingCheckpoint atomicity and the precision policy resolver."""

import json
import os

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo import precision
from keras_gan_zoo.callbacks import TrainingCheckpoint


def _fit(model, epochs, callbacks):
    x = np.random.default_rng(0).uniform(-1, 1, (16, *model.image_shape)).astype("float32")
    model.fit(x, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks)


def test_checkpoint_saves_loadable_model_and_state(tmp_path):
    model = kgz.create_model("dcgan_tiny", seed=1)
    model.compile()
    path = tmp_path / "run" / "model.keras"
    _fit(model, 3, [TrainingCheckpoint(path, every=2)])
    state = TrainingCheckpoint.read_state(path)
    assert state["epochs"] == 3  # epoch 2 by cadence, epoch 3 as the last one
    assert state["dtype_policy"] == "float32" and set(state["logs"]) >= {"d_loss", "g_loss"}
    restored = keras.models.load_model(path)
    np.testing.assert_array_equal(restored.generate(2, seed=0), model.generate(2, seed=0))
    assert os.stat(path).st_mode & 0o777 != 0o600  # not the temp file's private mode


def test_failed_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    model = kgz.create_model("dcgan_tiny", seed=1)
    model.compile()
    path = tmp_path / "model.keras"
    checkpoint = TrainingCheckpoint(path)
    _fit(model, 1, [checkpoint])
    before = path.read_bytes()

    def crash(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(type(model), "save", crash)
    with pytest.raises(OSError, match="disk full"):
        _fit(model, 1, [checkpoint])
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.keras", "model.keras.json"]
    assert json.loads((tmp_path / "model.keras.json").read_text())["epochs"] == 1


def test_checkpoint_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"end in '\.keras'"):
        TrainingCheckpoint(tmp_path / "model.h5")
    with pytest.raises(ValueError, match="every"):
        TrainingCheckpoint(tmp_path / "model.keras", every=0)
    assert TrainingCheckpoint.read_state(tmp_path / "none.keras") == {}


def test_resolve_precision():
    assert precision.resolve_precision("fp32") == "float32"
    assert precision.resolve_precision("bf16") == "mixed_bfloat16"
    assert precision.resolve_precision("fp16") == "mixed_float16"
    assert precision.resolve_precision("mixed_bfloat16") == "mixed_bfloat16"
    expected = "mixed_bfloat16" if precision.cpu_supports_bf16() else "float32"
    assert precision.resolve_precision("auto") == expected  # this machine has no GPU
    with pytest.raises(ValueError, match="Unknown precision 'fp8'"):
        precision.resolve_precision("fp8")
    with pytest.raises(TypeError):
        precision.resolve_precision(16)


def test_set_precision_sets_the_global_policy():
    assert precision.set_precision("bf16") == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"


@pytest.mark.parametrize("distributed", [False, True])
@pytest.mark.parametrize("loss_scaled", [False, True])
def test_apply_if_updates_only_when_the_condition_holds(distributed, loss_scaled,
                                                        mirrored_strategy):
    """`base.apply_if`: True applies the update; False leaves the weights, the
    optimizer's step counter and (fp16) the loss scale untouched, on one device and
    under MirroredStrategy (where the branch runs in the cross-replica context)."""
    import tensorflow as tf

    from keras_gan_zoo.models.replicas import apply_if

    strategy = mirrored_strategy if distributed else tf.distribute.get_strategy()
    with strategy.scope():
        variable = keras.Variable(np.ones(3, "float32"))
        optimizer = keras.optimizers.Adam(0.1)
        if loss_scaled:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer, initial_scale=4.0)
        optimizer.build([variable])

    @tf.function
    def step(condition):
        strategy.run(lambda: apply_if(tf.constant(condition), optimizer,
                                      [tf.fill([3], 0.5)], [variable]))

    step(False)
    np.testing.assert_array_equal(variable.numpy(), np.ones(3))
    assert int(optimizer.iterations.numpy()) == 0
    if loss_scaled:
        assert float(optimizer.dynamic_scale.numpy()) == 4.0
    step(True)
    assert np.all(variable.numpy() < 1.0)  # Adam's first step: -0.1 * sign(gradient)
    assert int(optimizer.iterations.numpy()) == 1
