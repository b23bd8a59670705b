"""The training core of every family (`GenerativeModel`), on every tiny variant.

What the contract suites do not cover family by family: float16 overflow decided
once across replicas, no phantom optimizer, Keras's learning-rate callbacks and
TensorBoard on the real optimizers, loading under another precision policy, XLA,
`d_steps` and batch sizes, value checks of datasets, partial final batches under
MirroredStrategy, and the hooks the next models stand on (lazy regularizers, the
after-generator-update hook).
"""

import contextlib
import glob
import types
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import assert_same_weights, max_abs_diff, tiny, training_data, weights
from keras_gan_zoo.models import replicas
from keras_gan_zoo.models.optimizers import OptimizerGroup, inner_optimizer, is_loss_scaled

ALL_TINY = kgz.registry.list_tiny_models()
ONE_PER_FAMILY = ["dcgan_tiny", "vae_tiny", "pixelcnn_tiny", "char_rnn_tiny"]


def compile_loss_scaled(model, scale=2.0**8):
    """compile() with the paper's optimizers, each loss-scaled from `scale`."""
    model.compile(**{arg: keras.optimizers.LossScaleOptimizer(opt, initial_scale=scale)
                     for arg, opt in model.default_optimizers().items()})


def poison_gradients(monkeypatch, replica=1, variables=None):
    """Makes the gradients computed on one replica non-finite (x inf), as a float16
    overflow of that replica's examples does; only those with respect to
    `variables` when given. Every `tape.gradient` of a train step goes through it."""
    original = tf.GradientTape.gradient
    wanted = None if variables is None else {id(v) for v in variables}

    def gradient(self, target, sources, *args, **kwargs):
        grads = original(self, target, sources, *args, **kwargs)
        if wanted is not None and not any(id(s) in wanted for s in tf.nest.flatten(sources)):
            return grads
        ctx = tf.distribute.get_replica_context()
        here = tf.equal(0 if ctx is None else ctx.replica_id_in_sync_group, replica)
        factor = tf.where(here, float("inf"), 1.0)
        return tf.nest.map_structure(
            lambda g: None if g is None else g * tf.cast(factor, g.dtype), grads)

    monkeypatch.setattr(tf.GradientTape, "gradient", gradient)


def loss_scaled_on_two_replicas(name, strategy):
    """The tiny model `name` under mixed_float16 in `strategy`'s scope, compiled with
    loss scales of 2^8, and a batch of 8 for it."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    with strategy.scope():
        model = tiny(name)
        compile_loss_scaled(model)
    return model, *training_data(model, 8)


def d_updates(model):
    """Discriminator updates per step (`d_steps`; 1 for a model without them)."""
    return getattr(model, "d_steps", 1)


def scales(model):
    return {arg: float(opt.dynamic_scale.numpy()) for arg, opt in model.named_optimizers().items()}


# Models whose generator and discriminator updates come from one `minimize` call
# (CycleGAN, DiscoGAN: both gradients from one forward pass), so one overflow skips both.
ONE_CALL_FOR_BOTH_PLAYERS = {"cyclegan_tiny", "discogan_tiny", "recycle_gan_tiny"}


def d_step_then_g_step(name, model):
    """A two-player GAN whose generator step waits on its discriminator step."""
    return (name not in ONE_CALL_FOR_BOTH_PLAYERS and set(model.optimizer_networks)
            == {"generator_optimizer", "discriminator_optimizer"})


# ------------------------------------------------- fp16 overflow, all replicas
@pytest.mark.parametrize("name", ALL_TINY)
def test_overflow_on_one_replica_skips_every_update_on_every_replica(
        name, mirrored_strategy, monkeypatch):
    """Replica 1's gradients overflow, replica 0's do not: no weight moves anywhere.

    Keras's LossScaleOptimizer decides on each replica from that replica's own
    gradients, before the all-reduce: replica 0 would apply an update that carries
    replica 1's infinities. The zoo all-reduces the decision.
    """
    model, x, y = loss_scaled_on_two_replicas(name, mirrored_strategy)
    before = weights(model)
    poison_gradients(monkeypatch)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after = weights(model)
    assert all(np.all(np.isfinite(w)) for w in after)
    assert max_abs_diff(before, after) == 0.0
    assert all(int(opt.iterations.numpy()) == 0 for opt in model.named_optimizers().values())
    if d_step_then_g_step(name, model):
        # Each discriminator update overflowed and halved its scale; the generator
        # step of a step whose discriminator overflowed is skipped without touching
        # the generator's scale.
        assert scales(model) == {"discriminator_optimizer": 2.0 ** (8 - d_updates(model)),
                                 "generator_optimizer": 2.0**8}
    else:  # one minimize call per step: every optimizer overflowed once
        assert set(scales(model).values()) == {2.0**7}

    monkeypatch.undo()  # the same model trains once the gradients are finite
    model.train_function = None
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert max_abs_diff(before, weights(model)) > 0


@pytest.mark.parametrize("name", ["dcgan_tiny", "wgan_gp_tiny"])
def test_a_discriminator_overflow_does_not_halve_the_generator_scale(
        name, mirrored_strategy, monkeypatch):
    model, x, y = loss_scaled_on_two_replicas(name, mirrored_strategy)
    g_before, d_before = weights(model.generator), weights(model.discriminator)
    poison_gradients(monkeypatch, variables=model.discriminator.trainable_variables)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert max_abs_diff(g_before, weights(model.generator)) == 0.0
    assert max_abs_diff(d_before, weights(model.discriminator)) == 0.0
    assert scales(model) == {"discriminator_optimizer": 2.0 ** (8 - d_updates(model)),
                             "generator_optimizer": 2.0**8}


@pytest.mark.parametrize("name", ["dcgan_tiny", "wgan_gp_tiny"])
def test_a_generator_overflow_skips_the_generator_only(name, mirrored_strategy, monkeypatch):
    model, x, y = loss_scaled_on_two_replicas(name, mirrored_strategy)
    g_before, d_before = weights(model.generator), weights(model.discriminator)
    poison_gradients(monkeypatch, variables=model.generator.trainable_variables)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert max_abs_diff(g_before, weights(model.generator)) == 0.0
    assert max_abs_diff(d_before, weights(model.discriminator)) > 0
    assert int(model.discriminator_optimizer.iterations.numpy()) == model.d_steps
    assert int(model.generator_optimizer.iterations.numpy()) == 0
    assert scales(model) == {"discriminator_optimizer": 2.0**8, "generator_optimizer": 2.0**7}


# ------------------------------------------------------- the phantom optimizer
def test_no_phantom_optimizer_is_built_or_saved(tmp_path):
    model = tiny("dcgan_tiny")
    model.compile(generator_optimizer=keras.optimizers.Adam(1e-3),
                  discriminator_optimizer=keras.optimizers.Adam(4e-4))
    assert isinstance(model.optimizer, OptimizerGroup)
    assert [o.name for o in model.optimizer.optimizers] == ["generator", "discriminator"]
    assert int(model.optimizer.iterations.numpy()) == 0
    x, _ = training_data(model, 16)
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2  # the model's step counter
    path = str(tmp_path / "dcgan.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as f:
        groups = set()
        f.visit(groups.add)
        own = f["vars"]
        optimizer_keys = [k for k in own if "optimizer" in k]
    # No optimizer object is saved as such: neither a phantom `optimizer` nor copies
    # at attribute paths; the model's own group holds exactly the two real ones.
    assert not [g for g in groups if g.split("/")[0].endswith("optimizer")]
    expected = (len(inner_optimizer(model.generator_optimizer).variables)
                + len(inner_optimizer(model.discriminator_optimizer).variables))
    assert len(optimizer_keys) == expected
    with pytest.raises(AttributeError, match="several optimizers"):
        model.optimizer.learning_rate  # noqa: B018


def test_single_optimizer_models_expose_the_real_one():
    model = tiny("vae_tiny")
    assert model.optimizer is None  # before compile
    model.compile()
    assert model.optimizer is model.named_optimizers()["optimizer"]
    assert isinstance(model.optimizer, keras.optimizers.Adam)


def _learning_rates(model):
    return {arg: float(opt.learning_rate) for arg, opt in model.named_optimizers().items()}


def test_learning_rate_scheduler_acts_on_every_optimizer():
    model = tiny("dcgan_tiny")
    model.compile(generator_optimizer=keras.optimizers.Adam(1e-3),
                  discriminator_optimizer=keras.optimizers.Adam(4e-4))
    x, _ = training_data(model, 8)
    history = model.fit(x, batch_size=8, epochs=2, verbose=0, callbacks=[
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    rates = _learning_rates(model)
    np.testing.assert_allclose([rates["generator_optimizer"],
                                rates["discriminator_optimizer"]], [2.5e-4, 1e-4], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate_generator"], [5e-4, 2.5e-4],
                               rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate_discriminator"], [2e-4, 1e-4],
                               rtol=1e-6)


def test_reduce_lr_on_plateau_acts_on_every_optimizer():
    model = tiny("vae_gan_tiny")
    model.compile(encoder_optimizer=keras.optimizers.RMSprop(1e-3),
                  generator_optimizer=keras.optimizers.RMSprop(2e-3),
                  discriminator_optimizer=keras.optimizers.RMSprop(4e-3))
    x, _ = training_data(model, 8)
    # min_delta so large that the second epoch cannot improve: one reduction.
    model.fit(x, batch_size=8, epochs=2, verbose=0, callbacks=[
        keras.callbacks.ReduceLROnPlateau("g_loss", factor=0.5, patience=0, min_delta=1e9,
                                          mode="min")])
    np.testing.assert_allclose(list(_learning_rates(model).values()), [5e-4, 1e-3, 2e-3],
                               rtol=1e-6)


def test_tensorboard_logs_the_real_learning_rates(tmp_path):
    model = tiny("infogan_tiny")
    model.compile()  # the paper's Adam(1e-3) for G, Adam(2e-4) for D
    x, y = training_data(model, 8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(str(tmp_path))])
    logged = {}
    for event_file in glob.glob(str(tmp_path / "train" / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(event_file):
            for value in event.summary.value:
                if "learning_rate" in value.tag:
                    logged[value.tag] = float(tf.make_ndarray(value.tensor))
    assert logged.keys() == {"epoch_learning_rate_generator",
                             "epoch_learning_rate_discriminator"}
    np.testing.assert_allclose(logged["epoch_learning_rate_generator"], 1e-3, rtol=1e-6)
    np.testing.assert_allclose(logged["epoch_learning_rate_discriminator"], 2e-4, rtol=1e-6)


# ------------------------------------------------ loading under another policy
def _optimizer_state(model):
    return {arg: [np.array(v.numpy(), copy=True) for v in inner_optimizer(opt).variables]
            for arg, opt in model.named_optimizers().items()}


@pytest.mark.parametrize("saved_policy, loaded_policy", [
    ("mixed_float16", "float32"), ("float32", "mixed_float16"),
    ("mixed_float16", "mixed_float16"), ("mixed_bfloat16", "mixed_float16")])
@pytest.mark.parametrize("name", ONE_PER_FAMILY)
def test_load_under_another_policy_keeps_the_optimizer_state(name, saved_policy,
                                                             loaded_policy, tmp_path):
    keras.mixed_precision.set_global_policy(saved_policy)
    model = tiny(name)
    model.compile()
    x, y = training_data(model, 16)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    state, saved_scales = _optimizer_state(model), {
        arg: float(opt.dynamic_scale.numpy()) for arg, opt in model.named_optimizers().items()
        if is_loss_scaled(opt)}
    # A float16 step whose gradients overflow at the initial scale (2**15) is skipped
    # and not counted, so how many of the 2 steps were applied depends on the draw of
    # the initial weights; every step counts without a loss scale.
    saved_iterations = {arg: int(opt.iterations.numpy())
                        for arg, opt in model.named_optimizers().items()}
    for arg, applied in saved_iterations.items():
        assert applied == 2 or (arg in saved_scales and applied >= 1), (arg, applied)

    keras.mixed_precision.set_global_policy(loaded_policy)
    restored = keras.models.load_model(path)
    assert int(restored.step_counter.numpy()) == 2  # so the noise stream continues
    assert restored.get_compile_config()["precision_policy"] == loaded_policy
    for arg, opt in restored.named_optimizers().items():
        assert is_loss_scaled(opt) == (loaded_policy == "mixed_float16")
        assert int(opt.iterations.numpy()) == saved_iterations[arg]
        for saved, loaded in zip(state[arg], inner_optimizer(opt).variables):
            np.testing.assert_array_equal(saved, loaded.numpy())
        if is_loss_scaled(opt):  # restored when saved, else the fresh initial scale
            assert float(opt.dynamic_scale.numpy()) == saved_scales.get(arg, 2.0**15)
    history = restored.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())


# ------------------------------------------------------------------------ XLA
@pytest.mark.parametrize("name", ALL_TINY)
def test_every_model_trains_under_xla(name):
    model = tiny(name)
    model.compile(jit_compile=True)
    assert model.jit_compile is True
    x, y = training_data(model, 8)
    before = weights(model)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    assert max_abs_diff(before, weights(model)) > 0
    assert model.get_compile_config()["jit_compile"] is True


def test_the_resolved_jit_compile_is_recorded_and_resume_is_exact_under_xla(tmp_path):
    model = tiny("dcgan_tiny")
    model.compile()
    assert model.get_compile_config()["jit_compile"] is False  # "auto" on a CPU
    model.compile(jit_compile=True)
    x, _ = training_data(model, 16)
    model.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False)
    path = str(tmp_path / "xla.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.jit_compile is True
    model.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False)
    restored.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert max_abs_diff(weights(model), weights(restored)) == 0.0


def test_jit_compile_auto_is_xla_on_one_accelerator_and_off_under_a_strategy(
        monkeypatch, mirrored_strategy):
    """The GPU / TPU choice, on a CPU that pretends to have a GPU: a bare compile()
    (Keras's jit_compile="auto") picks XLA on one accelerator, because every layer of
    the zoo supports it, and not under a tf.distribute strategy, where Keras cannot
    compile the replicas' step (see the next test)."""
    devices = tf.config.list_physical_devices
    fake_gpu = types.SimpleNamespace(name="/physical_device:GPU:0", device_type="GPU")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda device_type=None: (
        devices(device_type) + ([fake_gpu] if device_type in (None, "GPU") else [])))
    model = tiny("dcgan_tiny")
    model.compile()
    assert model.jit_compile is True and model.get_compile_config()["jit_compile"] is True
    with mirrored_strategy.scope():
        replicated = tiny("dcgan_tiny")
        replicated.compile()
    assert replicated.jit_compile is False


def test_a_checkpoint_compiled_for_xla_resumes_under_mirrored_strategy(
        tmp_path, mirrored_strategy):
    """A model compiled with XLA (what "auto" records on one GPU) loaded under a
    2-device MirroredStrategy: Keras would fail at the first step ("Trying to access
    resource ... located in device CPU:1 from device CPU:0", keras-team/keras#19005);
    the zoo warns and trains without XLA."""
    assert replicas.xla_unsupported_reason(tf.distribute.get_strategy()) is None
    assert "2 devices of one process" in replicas.xla_unsupported_reason(mirrored_strategy)
    model = tiny("dcgan_tiny")
    model.compile(jit_compile=True)
    model.save(tmp_path / "xla.keras")
    x, _ = training_data(model, 8)
    with mirrored_strategy.scope():
        with pytest.warns(UserWarning, match=r"jit_compile=True cannot train under this "
                                             r"strategy \(MirroredStrategy over 2 devices"):
            restored = keras.models.load_model(tmp_path / "xla.keras")
    assert restored.jit_compile is False
    before = weights(restored)
    restored.fit(x, batch_size=8, epochs=1, verbose=0)
    assert max_abs_diff(before, weights(restored)) > 0
    assert restored.get_compile_config()["jit_compile"] is False


# ------------------------------------------------------------ d_steps, batches
def test_a_batch_smaller_than_d_steps_is_a_clear_error():
    model = tiny("wgan_tiny")  # d_steps=2
    model.compile()
    x, _ = training_data(model, 9)
    with pytest.raises(ValueError, match=r"batch of 1 images cannot feed d_steps=2"):
        model.fit(x[:8], batch_size=1, verbose=0)
    with pytest.raises(ValueError, match=r"on 9 examples: a batch of 1 images"):
        model.fit(x, batch_size=4, verbose=0)  # the last batch holds one image
    with pytest.raises(ValueError, match=r"first batch: a batch of 1 images"):
        model.fit(tf.data.Dataset.from_tensor_slices(x).batch(1), verbose=0)
    # A dataset whose last batch is too small fails when that batch comes, saying why.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"smaller than d_steps=2"):
        model.fit(tf.data.Dataset.from_tensor_slices(x).batch(4), verbose=0)


def test_examples_beyond_a_multiple_of_d_steps_are_trained_on():
    """A batch of 5 with d_steps=2: minibatches of 3 and 2, example 4 included."""
    first = tiny("wgan_tiny")
    x, _ = training_data(first, 5)
    latents = np.random.default_rng(1).standard_normal((5, first.latent_dim)).astype("float32")
    trained = []
    for last_image in (x[4], -x[4]):
        model = tiny("wgan_tiny")
        model.set_weights(first.get_weights())
        model.compile(generator_optimizer="sgd", discriminator_optimizer="sgd")
        batch = {"images": np.concatenate([x[:4], last_image[None]]), "latents": latents}
        model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(5), verbose=0)
        assert int(model.discriminator_optimizer.iterations.numpy()) == 2
        trained.append(weights(model.discriminator))
    assert max_abs_diff(*trained) > 0  # the fifth image reached the critic


@pytest.mark.parametrize("name", ["dcgan_tiny", "cgan_tiny", "vae_tiny", "pixelcnn_tiny",
                                  "char_rnn_tiny"])
def test_dataset_values_are_checked_on_the_first_batch(name):
    model = tiny(name)
    model.compile()
    x, y = training_data(model, 8)
    if model.family == "sequence":
        bad = x + model.num_symbols
        message = r"token ids must be in \[0"
    else:
        bad = (x + 1.0) * 127.5  # a [0, 255] dataset
        message = r"first batch: expected images in \[-1, 1\]; got values in \[\d"
    bad_ds = tf.data.Dataset.from_tensor_slices(bad if y is None else (bad, y)).batch(4)
    with pytest.raises(ValueError, match=message):
        model.fit(bad_ds, verbose=0)
    if y is not None:
        labels = tf.data.Dataset.from_tensor_slices((x, y + model.num_classes)).batch(4)
        with pytest.raises(ValueError, match=r"labels must be in \[0"):
            model.fit(labels, verbose=0)
    with pytest.raises(ValueError, match=r"the dataset is empty"):
        model.fit(tf.data.Dataset.from_tensor_slices(x[:0] if y is None else (x[:0], y[:0]))
                  .batch(4), verbose=0)


@pytest.mark.parametrize("name", ["dcgan_tiny", "vae_tiny", "pixelcnn_tiny", "char_rnn_tiny"])
def test_unequal_replica_shares_train_as_one_device(name, mirrored_strategy):
    """A batch of 7 on 2 replicas is split 4 / 3: each example weighs 1/7 all the same."""
    single = tiny(name)
    x, y = training_data(single, 7)
    batch = {single.batch_fields()[0][0]: x}
    if "latents" in single.batch_extras:
        batch["latents"] = np.random.default_rng(5).standard_normal(
            (7, single.latent_dim)).astype("float32")
    if "noise" in single.batch_extras:
        batch["noise"] = np.random.default_rng(5).standard_normal(
            (7, single.latent_dim)).astype("float32")
    with mirrored_strategy.scope():
        mirrored = tiny(name)
        mirrored.set_weights(single.get_weights())
    # SGD: the update is proportional to the gradient, so a wrong weighting shows (1/8 or
    # 1/6 per example instead of 1/7 changes dcgan_tiny's updates, up to 7e-2, by about a
    # seventh). The rate is small on purpose: at 0.5, two
    # adversarial epochs amplify the float rounding of the 4 + 3 sum about 100-fold, to
    # 1.2e-5 against the 1e-5 tolerance (a flake that depended on test order); at 0.05
    # the two runs differ by 3e-8.
    for model in (single, mirrored):
        with (mirrored_strategy.scope() if model is mirrored else contextlib.nullcontext()):
            model.compile(**{arg: keras.optimizers.SGD(0.05) for arg in model.optimizer_networks})
        model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(7), epochs=2, verbose=0)
    assert_same_weights(single, mirrored)


# ------------------------------------------------------ hooks for what comes next
def test_lazy_regularizers_run_on_their_cadence_scaled_by_the_interval():
    calls = []

    class Regularized(kgz.models.DCGAN):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.runs = self.add_weight(shape=(), dtype="int64", initializer="zeros",
                                        trainable=False, name="runs")
            self.add_tracker("lazy")

        def discriminator_regularizers(self):
            def term(real, fake, labels):
                calls.append(1)  # traced once
                self.runs.assign_add(1)
                return tf.constant(0.25)
            return {"lazy": (2, term)}

    model = Regularized(image_shape=(16, 16, 1), base_filters=4, latent_dim=8, seed=0)
    model.compile()
    x, _ = training_data(model, 32)
    logs = []
    model.fit(x, batch_size=8, epochs=1, verbose=0, callbacks=[keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs=None, out=logs: out.append(
            float(logs["lazy"])))])
    assert int(model.runs.numpy()) == 2  # steps 0 and 2 of 0..3
    # The tracker's running mean after each step: 0.5 (= 2 x 0.25), then 0.25, ...
    np.testing.assert_allclose(logs, [0.5, 0.25, 1.0 / 3.0, 0.25], rtol=1e-6)
    assert calls


def test_after_generator_update_sees_whether_the_update_was_applied(mirrored_strategy,
                                                                    monkeypatch):
    class Hooked(kgz.models.DCGAN):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.applied_updates = self.add_weight(shape=(), dtype="int64",
                                                   initializer="zeros", trainable=False,
                                                   aggregation="only_first_replica",
                                                   name="applied_updates")

        def after_generator_update(self, applied):
            self.applied_updates.assign_add(tf.cast(applied, "int64"))

    keras.mixed_precision.set_global_policy("mixed_float16")
    with mirrored_strategy.scope():
        model = Hooked(image_shape=(16, 16, 1), base_filters=4, latent_dim=8, seed=0)
        compile_loss_scaled(model)
    x, _ = training_data(model, 8)
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert int(model.applied_updates.numpy()) == 1
    poison_gradients(monkeypatch, variables=model.discriminator.trainable_variables)
    model.train_function = None
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert int(model.applied_updates.numpy()) == 1  # the skipped step did not count


def test_losses_computed_outside_the_tape_get_a_clear_error():
    class Careless(kgz.models.DCGAN):
        def train_step(self, data):
            real = self.unpack_batch(data)["images"]
            with tf.GradientTape() as tape:
                logits = self.discriminator(real, training=True)
            loss = tf.reduce_mean(logits)  # not recorded
            self.minimize(tape, {"discriminator_optimizer": loss}, tf.shape(real)[0])
            return self.finish_step({"d_loss": loss})

    model = Careless(image_shape=(16, 16, 1), base_filters=4, latent_dim=8, seed=0)
    model.compile()
    with pytest.raises(ValueError, match=r"compute it inside the tape"):
        model.fit(training_data(model, 8)[0], batch_size=8, verbose=0)


# ------------------------------------------------------------- files of 0.1
LEGACY = Path(__file__).parent / "data" / "legacy_0_1"


def test_a_checkpoint_of_0_1_refuses_to_resume_but_its_weights_load():
    """dcgan_tiny.keras was written by keras_gan_zoo 0.1 (commit 72780a7) after one
    epoch; the samples are its generate(4, seed=0) in that version."""
    with pytest.raises(ValueError, match=r"keras_gan_zoo < 0.2.*load_weights"):
        keras.models.load_model(LEGACY / "dcgan_tiny.keras")
    model = kgz.create_model("dcgan_tiny", seed=0)
    with pytest.warns(UserWarning, match="step counter starts at 0"):
        model.load_weights(LEGACY / "dcgan_tiny.keras")
    np.testing.assert_array_equal(model.generate(4, seed=0),
                                  np.load(LEGACY / "dcgan_tiny_samples_seed0.npy"))
    assert int(model.step_counter.numpy()) == 0
    model.compile()
    model.fit(training_data(model, 8)[0], batch_size=8, verbose=0)  # trains on from there


# ------------------------------------------------------- batches of any structure
class PairedTranslator(kgz.models.base.GenerativeModel):
    """A minimal paired model: batches are (source, target) image pairs."""

    family = "adversarial"
    optimizer_networks = {"optimizer": ("translator",)}

    def __init__(self, **kwargs):
        super().__init__(image_shape=(8, 8, 1), **kwargs)
        self.translator = keras.Sequential([keras.Input((8, 8, 1)),
                                            keras.layers.Conv2D(1, 3, padding="same")])
        self.add_tracker("l1")
        self.built = True

    def batch_fields(self):
        return (("source", "images"), ("target", "images"))

    def train_step(self, data):
        batch = self.unpack_batch(data)
        with tf.GradientTape() as tape:
            l1 = tf.reduce_mean(tf.abs(self.translator(batch["source"]) - batch["target"]))
        self.minimize(tape, {"optimizer": l1}, tf.shape(batch["source"])[0])
        return self.finish_step({"l1": l1})


def test_paired_batches_train_from_numpy_datasets_and_dicts_with_the_same_checks():
    rng = np.random.default_rng(0)
    source = rng.uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    target = -source
    model = PairedTranslator()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    first = model.fit(source, target, batch_size=4, epochs=3, verbose=0).history["l1"]
    assert first[-1] < first[0]
    model.fit(tf.data.Dataset.from_tensor_slices((source, target)).batch(4), verbose=0)
    model.fit(tf.data.Dataset.from_tensor_slices({"source": source, "target": target})
              .batch(4), verbose=0)
    assert int(model.step_counter.numpy()) == 2 * 3 + 2 + 2  # 2 steps an epoch
    # Both fields are checked as images, in numpy and in a dataset's first batch.
    with pytest.raises(ValueError, match=r"expected images in \[-1, 1\]"):
        model.fit(source, target * 255, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"expected images in \[-1, 1\]"):
        model.fit(tf.data.Dataset.from_tensor_slices((source, target * 255)).batch(4),
                  verbose=0)
    with pytest.raises(ValueError, match=r"'target' is missing"):
        model.fit(tf.data.Dataset.from_tensor_slices(source).batch(4), verbose=0)
    with pytest.raises(ValueError, match=r"needs the keys 'source', 'target'"):
        model.fit(tf.data.Dataset.from_tensor_slices({"source": source}).batch(4), verbose=0)
