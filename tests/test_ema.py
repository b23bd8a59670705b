"""The generator EMA of every adversarial model (`ema_beta`, `ema_half_life_images`).

Karras et al.'s exponential moving average of the generator's weights: the numbers
against a numpy recomputation from the generator's weight trajectory, skipped float16
steps, resume, MirroredStrategy against one device, and who uses the EMA weights
(`generate`, `export_generator`, published generator files).
"""

import json
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import captions_for, text_conditional, training_data
from keras_gan_zoo.applications import publish
from keras_gan_zoo.models import AdversarialModel
from keras_gan_zoo.models.adversarial.base import ema_beta_from_half_life

ADVERSARIAL_TINY = [name for name in kgz.registry.list_tiny_models()
                    if issubclass(kgz.registry.model_class(name), AdversarialModel)]


def images(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")


def snapshot(variables):
    return [np.array(v.numpy(), copy=True) for v in variables]


def fit_recording(model, x, y=None, batch_size=8, **kwargs):
    """fit, returning the generator's weights after every step (its trajectory)."""
    trajectory = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs=None:
                                            trajectory.append(snapshot(model.generator.weights)))
    model.fit(x, y, batch_size=batch_size, verbose=0, shuffle=False, callbacks=[record],
              **kwargs)
    return trajectory


def numpy_ema(model, trajectory, batch_sizes, beta=None, half_life=None, rampup=None):
    """The EMA recomputed in float64 from the weights after each step: the first step
    copies, then `ema = beta_t * ema + (1 - beta_t) * w` for trainable weights and a
    copy of the others (batch-norm statistics)."""
    averaged = [v.trainable for v in model.generator.weights]
    ema, seen = None, 0
    for weights, batch in zip(trajectory, batch_sizes):
        if ema is None:
            ema = [np.asarray(w, "float64") for w in weights]
        else:
            if beta is not None:
                b = beta
            else:
                h = half_life if rampup is None else min(half_life, seen * rampup)
                b = 0.5 ** (batch / max(h, 1e-8))
            ema = [b * e + (1 - b) * w if avg else np.asarray(w, "float64")
                   for e, w, avg in zip(ema, weights, averaged)]
        seen += batch
    return ema, seen


# ------------------------------------------------------------------ numbers
@pytest.mark.parametrize("options, expected", [
    (dict(ema_beta=0.9), dict(beta=0.9)),
    (dict(ema_half_life_images=20), dict(half_life=20.0)),
    (dict(ema_half_life_images=20, ema_rampup=0.5), dict(half_life=20.0, rampup=0.5)),
])
def test_ema_equals_a_numpy_recomputation_from_the_weight_trajectory(options, expected):
    model = kgz.create_model("dcgan_tiny", seed=0, **options)
    model.compile()
    # 20 images in batches of 8: 8, 8, 4 (the half-life counts the real batch).
    trajectory = fit_recording(model, images(20), epochs=2)
    batches = [8, 8, 4] * 2
    ema, seen = numpy_ema(model, trajectory, batches, **expected)
    assert int(model._ema.images.numpy()) == seen == 40
    shadows = model._ema.shadows
    assert len(shadows) == len(model.generator.weights) == len(ema)
    moved = 0
    for shadow, value, weight, now in zip(shadows, ema, model.generator.weights,
                                          trajectory[-1]):
        np.testing.assert_allclose(shadow.numpy(), value, rtol=2e-6, atol=1e-7)
        if weight.trainable:
            moved += not np.allclose(shadow.numpy(), now, rtol=1e-4, atol=1e-6)
        else:  # batch-norm statistics are copied, not averaged
            np.testing.assert_array_equal(shadow.numpy(), now)
    assert moved > 0  # the average lags the weights
    assert any(not w.trainable for w in model.generator.weights)  # BN stats covered


def test_half_life_formula():
    assert ema_beta_from_half_life(64, 10_000) == pytest.approx(0.5 ** (64 / 10_000))
    # An image's weight halves after `half_life` images, whatever the batch size.
    for batch in (1, 32, 500):
        assert ema_beta_from_half_life(batch, 10_000) ** (10_000 / batch) == pytest.approx(0.5)
    tensor = ema_beta_from_half_life(tf.constant(8.0), tf.constant(16.0))
    assert float(tensor) == pytest.approx(0.5 ** 0.5, rel=1e-6)


def test_the_zoo_has_adversarial_models_with_their_own_sampling_paths():
    assert {"dcgan_tiny", "vae_gan_tiny", "lapgan_tiny", "infogan_tiny"} <= set(
        ADVERSARIAL_TINY)


@pytest.mark.parametrize("name", ADVERSARIAL_TINY)
def test_every_adversarial_model_keeps_an_ema_used_by_generate(name):
    """All adversarial tiny variants (VAE-GAN's own train_step and LAPGAN's pyramid
    included): the EMA after two steps is 0.5 w1 + 0.5 w2 and generate samples it."""
    model = kgz.create_model(name, seed=0, ema_beta=0.5)
    model.compile()
    x, y = training_data(model, 16)
    trajectory = fit_recording(model, x, y)
    assert len(trajectory) == 2, name
    for shadow, w1, w2, weight in zip(model._ema.shadows, *trajectory,
                                      model.generator.weights):
        expected = 0.5 * w1 + 0.5 * w2 if weight.trainable else w2
        np.testing.assert_allclose(shadow.numpy(), expected, rtol=1e-6, atol=1e-7,
                                   err_msg=name)
    # The condition of each sample: cycling labels, captions of a text-conditional model
    # (GAN-CLS: call_generator reads them as its `labels`, generate as `captions=`).
    if text_conditional(model):
        labels = captions_for(model, 4)
        condition = {"captions": labels}
    else:
        labels = None if not model.conditional else np.arange(4) % model.num_classes
        condition = {"labels": labels}
    z = np.random.default_rng(1).standard_normal((4, model.latent_dim)).astype("float32")
    ema_net = model.ema_generator()
    for net, use_ema in ((ema_net, True), (model.generator, False)):
        expected = model.call_generator(z, labels, network=net)
        np.testing.assert_allclose(
            model.generate(4, latents=z, use_ema=use_ema, **condition),
            keras.ops.convert_to_numpy(expected), rtol=1e-6, atol=1e-6, err_msg=name)
    assert not np.allclose(model.generate(4, latents=z, **condition),
                           model.generate(4, latents=z, use_ema=False, **condition),
                           atol=1e-6), name
    if name == "lapgan_tiny":
        pyramid = model.generate_pyramid(4, latents=z)
        np.testing.assert_array_equal(pyramid[-1], model.generate(4, latents=z))
        raw = model.generate_pyramid(4, latents=z, use_ema=False)
        np.testing.assert_array_equal(raw[-1], model.generate(4, latents=z, use_ema=False))
        assert not np.allclose(pyramid[0], raw[0], atol=1e-6)
    if name == "infogan_tiny":
        coded = model.generate(4, seed=3, codes={"categorical": 1})
        raw = model.generate(4, seed=3, codes={"categorical": 1}, use_ema=False)
        assert not np.allclose(coded, raw, atol=1e-6)


# ----------------------------------------------------------- skipped steps
def test_a_skipped_float16_step_leaves_the_ema_untouched():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = kgz.create_model("dcgan_tiny", seed=0, ema_beta=0.5)
    model.compile()
    x = images(8)
    model.fit(x, batch_size=8, verbose=0)
    assert int(model._ema.images.numpy()) == 8

    def unchanged_ema_after_overflow(optimizer):
        """A step whose `optimizer` overflows: the generator's update is skipped."""
        optimizer.dynamic_scale.assign(2.0**60)  # float16 gradients overflow
        ema, generator = snapshot(model._ema.shadows), snapshot(model.generator.weights)
        trainable = snapshot(model.generator.trainable_weights)
        model.fit(x, batch_size=8, verbose=0)
        for before, after in zip(trainable, model.generator.trainable_weights):
            np.testing.assert_array_equal(before, after.numpy())  # G was not updated
        # ... but its batch-norm statistics moved in the forward pass: not copied.
        assert any(not np.array_equal(b, a.numpy())
                   for b, a in zip(generator, model.generator.weights))
        for before, after in zip(ema, model._ema.shadows):
            np.testing.assert_array_equal(before, after.numpy())
        assert int(model._ema.images.numpy()) == 8
        optimizer.dynamic_scale.assign(2.0**8)

    # A discriminator overflow skips both updates; a generator overflow, G's only.
    unchanged_ema_after_overflow(model.discriminator_optimizer)
    unchanged_ema_after_overflow(model.generator_optimizer)
    assert int(model.step_counter.numpy()) == 3
    before = snapshot(model._ema.shadows)
    model.fit(x, batch_size=8, verbose=0)  # a finite step moves the EMA again
    assert int(model._ema.images.numpy()) == 16
    assert any(not np.array_equal(b, a.numpy()) for b, a in zip(before, model._ema.shadows))


# -------------------------------------------------------- saving and resume
def test_keras_round_trip_and_exact_resume(tmp_path):
    options = dict(ema_half_life_images=16, ema_rampup=0.5)
    model = kgz.create_model("dcgan_tiny", seed=0, **options)
    model.compile()
    x = images(16, 3)
    model.fit(x, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "ema.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.get_config() == model.get_config()
    assert (restored.ema_half_life_images, restored.ema_rampup, restored.ema_beta) == (
        16.0, 0.5, None)
    assert int(restored._ema.images.numpy()) == int(model._ema.images.numpy()) == 16
    for a, b in zip(model._ema.shadows, restored._ema.shadows):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(restored.generate(4, seed=1), model.generate(4, seed=1))
    # The uninterrupted run (model) and the resumed one (restored) go on identically.
    first = model.fit(x, batch_size=8, verbose=0, shuffle=False).history
    again = restored.fit(x, batch_size=8, verbose=0, shuffle=False).history
    assert first == again
    assert int(restored._ema.images.numpy()) == 32
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(restored.generate(4, seed=1), model.generate(4, seed=1))


def test_config_defaults_and_configs_without_the_options_still_load(tmp_path):
    plain = kgz.create_model("dcgan_tiny", seed=0)
    config = plain.get_config()
    assert (config["ema_beta"], config["ema_half_life_images"], config["ema_rampup"]) == (
        None, None, None)
    assert not plain.uses_ema and plain.ema_generator() is None
    assert not any("ema" in w.path for w in plain.weights)
    x = images(8)
    np.testing.assert_array_equal(plain.generate(2, seed=0),
                                  plain.generate(2, seed=0, use_ema=False))
    # A .keras file written before the EMA options existed: its config lacks them.
    plain.compile()
    plain.fit(x, batch_size=8, verbose=0)
    path = tmp_path / "old.keras"
    plain.save(path)
    old = tmp_path / "older.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                saved = json.loads(data)
                for key in ("ema_beta", "ema_half_life_images", "ema_rampup"):
                    del saved["config"][key]
                data = json.dumps(saved).encode()
            dst.writestr(item, data)
    with zipfile.ZipFile(old) as archive:
        assert "ema_beta" not in archive.read("config.json").decode()
    restored = keras.models.load_model(old)
    assert not restored.uses_ema
    np.testing.assert_array_equal(restored.generate(2, seed=0), plain.generate(2, seed=0))
    # An EMA config round-trips through from_config.
    ema = kgz.create_model("dcgan_tiny", seed=0, ema_beta=0.999)
    again = type(ema).from_config(ema.get_config())
    assert again.ema_beta == 0.999 and again.uses_ema
    assert len(again.weights) == len(ema.weights) == len(plain.weights) + len(
        plain.generator.weights) + 1


def test_bad_arguments_raise_value_errors():
    for bad in (1.0, -0.1, True, "0.9", float("nan"), 1.5):
        with pytest.raises(ValueError, match=r"ema_beta must be None \(off\) or a decay in"):
            kgz.create_model("dcgan_tiny", ema_beta=bad)
    for bad in (0, -5, True, "10", float("inf"), float("nan")):
        with pytest.raises(ValueError, match="ema_half_life_images must be None"):
            kgz.create_model("dcgan_tiny", ema_half_life_images=bad)
    with pytest.raises(ValueError, match="set the same decay two ways"):
        kgz.create_model("dcgan_tiny", ema_beta=0.999, ema_half_life_images=10_000)
    with pytest.raises(ValueError, match="it needs ema_half_life_images="):
        kgz.create_model("dcgan_tiny", ema_beta=0.999, ema_rampup=0.05)
    for bad in (0, -1.0, False, "0.05"):
        with pytest.raises(ValueError, match="ema_rampup must be None or a positive ratio"):
            kgz.create_model("dcgan_tiny", ema_half_life_images=100, ema_rampup=bad)
    model = kgz.create_model("dcgan_tiny", ema_beta=0.0)  # 0: the EMA is the weights
    with pytest.raises(ValueError, match="use_ema must be True or False"):
        model.generate(2, seed=0, use_ema="no")


# ---------------------------------------------------------- tf.distribute
def test_mirrored_strategy_matches_one_device(mirrored_strategy):
    """The EMA variables on 2 replicas equal one device's, also over a final batch
    split 4 / 3 (the half-life and the image count use the all-reduced batch)."""
    options = dict(seed=7, ema_half_life_images=12, ema_rampup=0.4)
    single = kgz.create_model("dcgan_tiny", **options)
    x = images(15, 10)
    latents = np.random.default_rng(5).standard_normal((15, single.latent_dim)).astype("float32")
    with mirrored_strategy.scope():
        mirrored = kgz.create_model("dcgan_tiny", **options)
        mirrored.set_weights(single.get_weights())
        mirrored.compile()
    single.compile()
    batches = tf.data.Dataset.from_tensor_slices({"images": x, "latents": latents}).batch(8)
    single.fit(batches, epochs=2, verbose=0)
    mirrored.fit(batches, epochs=2, verbose=0)
    assert int(mirrored._ema.images.numpy()) == int(single._ema.images.numpy()) == 30
    for a, b in zip(single._ema.shadows, mirrored._ema.shadows):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    for a, b in zip(single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # The EMA is not just the weights (the test would pass vacuously otherwise).
    assert any(not np.allclose(s.numpy(), w.numpy(), atol=1e-5)
               for s, w in zip(mirrored._ema.shadows, mirrored.generator.trainable_weights))
    np.testing.assert_allclose(mirrored.generate(4, seed=0), single.generate(4, seed=0),
                               rtol=1e-4, atol=1e-5)


# ------------------------------------------------------- what uses the EMA
def trained_with_ema(**options):
    model = kgz.create_model("dcgan_tiny", seed=0, **{"ema_beta": 0.5, **options})
    model.compile()
    fit_recording(model, images(16))
    return model


def test_generate_uses_the_ema_by_default_and_the_generator_on_request():
    model = kgz.create_model("dcgan_tiny", seed=0, ema_beta=0.5)
    # Before the first update the EMA network is the generator itself.
    np.testing.assert_array_equal(model.generate(4, seed=0),
                                  model.generate(4, seed=0, use_ema=False))
    model.compile()
    trajectory = fit_recording(model, images(16))
    for weight, last in zip(model.generator.weights, trajectory[-1]):  # G = the trained net
        np.testing.assert_array_equal(weight.numpy(), last)
    network = model.ema_generator()
    assert network is not model.generator and not network.trainable_weights
    for weight, shadow in zip(network.weights, model._ema.shadows):
        np.testing.assert_array_equal(weight.numpy(), shadow.numpy())
    z = np.random.default_rng(0).standard_normal((4, model.latent_dim)).astype("float32")
    np.testing.assert_allclose(model.generate(4, latents=z), network(z, training=False),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.generate(4, latents=z, use_ema=False),
                               model.generator(z, training=False), rtol=1e-6, atol=1e-6)
    assert not np.allclose(model.generate(4, latents=z),
                           model.generate(4, latents=z, use_ema=False), atol=1e-5)
    # reset_ema restarts it from the generator.
    model.reset_ema()
    assert int(model._ema.images.numpy()) == 0
    np.testing.assert_array_equal(model.generate(4, latents=z),
                                  model.generate(4, latents=z, use_ema=False))


def test_export_generator_serves_the_ema_weights(tmp_path):
    model = trained_with_ema()
    z = np.random.default_rng(2).standard_normal((3, model.latent_dim)).astype("float32")
    ema_path = model.export_generator(tmp_path / "ema")
    raw_path = model.export_generator(tmp_path / "raw", use_ema=False)
    ema_served, raw_served = tf.saved_model.load(ema_path), tf.saved_model.load(raw_path)
    served_ema = ema_served.serve(tf.constant(z)).numpy()
    served_raw = raw_served.serve(tf.constant(z)).numpy()
    np.testing.assert_allclose(served_ema, model.generate(3, latents=z), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(served_raw, model.generate(3, latents=z, use_ema=False),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(served_ema, served_raw, atol=1e-5)


def test_a_published_generator_file_ships_the_ema_weights(tmp_path):
    model = trained_with_ema()
    path = publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    loaded = kgz.applications.build_from_weights("dcgan_tiny", model.get_config(), path)
    assert loaded.uses_ema and int(loaded._ema.images.numpy()) == 0
    ema = [s.numpy() for s in model._ema.shadows]
    raw = [w.numpy() for w in model.generator.weights]
    halved = 0
    for value, shadow in zip(loaded.generator.weights, ema):
        value = value.numpy()
        rounded = shadow.astype("float16").astype("float32")  # big kernels ship as float16
        assert np.array_equal(value, shadow) or np.array_equal(value, rounded)
        halved += not np.array_equal(value, shadow)
    assert halved > 0
    # The trained generator's weights (exact or rounded) are not what shipped.
    assert any(not np.array_equal(v.numpy(), t) and not np.array_equal(
        v.numpy(), t.astype("float16").astype("float32"))
        for v, t in zip(loaded.generator.weights, raw))
    # The loaded model samples the published weights with or without use_ema.
    np.testing.assert_array_equal(loaded.generate(4, seed=0),
                                  loaded.generate(4, seed=0, use_ema=False))
    assert publish.sampling_network(model) is model.ema_generator()
    assert publish.sampling_network(model, use_ema=False) is model.generator
