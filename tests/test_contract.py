"""The contract every adversarial model keeps, run on every tiny variant.

A model registered with `register_model(..., tiny=...)` is covered here without
writing a test: fit, `.keras` round trip and resume, SavedModel export served in a
process that never imports keras_gan_zoo, mixed precision (bf16, fp16 and a forced
overflow), MirroredStrategy equality on 2 logical CPUs, and input errors.
"""

import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import (assert_same_weights, captions_for, fit, generate, images_for,
                              labels_for, max_abs_diff, serve_in_fresh_process,
                              text_conditional, tiny, weights)

TINY_MODELS = kgz.registry.list_tiny_models(family="adversarial")
















def test_every_model_has_a_tiny_variant_and_a_family():
    assert TINY_MODELS, "no tiny adversarial variants registered"
    every_tiny = kgz.registry.list_tiny_models()
    for name in kgz.list_models():
        assert f"{name}_tiny" in every_tiny
        # Each family has a contract suite (tests/test_contract*.py) keyed on it.
        assert kgz.registry.model_family(name) in kgz.models.base.FAMILIES, name


@pytest.mark.parametrize("name", TINY_MODELS)
def test_fit_two_steps_with_finite_losses(name):
    model = tiny(name)
    model.compile()
    before = weights(model)
    history = fit(model, batch_size=8, epochs=1)
    assert set(history.history) >= {"d_loss", "g_loss"}
    for values in history.history.values():
        assert np.all(np.isfinite(values))
    assert max_abs_diff(before, weights(model)) > 0, "training changed nothing"
    assert int(model.discriminator_optimizer.iterations) == 2 * model.d_steps
    assert int(model.generator_optimizer.iterations) == 2


@pytest.mark.parametrize("name", TINY_MODELS)
def test_keras_round_trip_and_resume(name, tmp_path):
    model = tiny(name)
    model.compile()
    fit(model, batch_size=8, epochs=1, shuffle=False)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    restored = keras.models.load_model(path)

    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(generate(restored, 6, seed=1), generate(model, 6, seed=1))
    assert int(restored.discriminator_optimizer.iterations) == 2 * model.d_steps
    for saved, loaded in zip(model.generator_optimizer.variables,
                             restored.generator_optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())

    # Resuming from the file continues exactly as the uninterrupted run does.
    fit(model, batch_size=8, epochs=1, shuffle=False)
    fit(restored, batch_size=8, epochs=1, shuffle=False)
    assert max_abs_diff(weights(model), weights(restored)) == 0.0


SERVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, latents_file, labels_file, out_file = sys.argv[1:]
    served = tf.saved_model.load(path)
    inputs = [tf.constant(np.load(latents_file))]
    if labels_file != "-":
        inputs.append(tf.constant(np.load(labels_file)))
    images = served.serve(*inputs)
    np.save(out_file, images.numpy())
    print(json.dumps({"dtype": images.dtype.name,
                      "imported_zoo": "keras_gan_zoo" in sys.modules}))
    """
)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_export_generator_serves_without_the_package(name, tmp_path):
    model = tiny(name)
    latents = np.random.default_rng(3).standard_normal((5, model.latent_dim)).astype("float32")
    export_dir = model.export_generator(tmp_path / "generator")
    np.save(tmp_path / "z.npy", latents)
    labels = labels_for(model, 5)
    labels_file = "-"
    if labels is not None:
        labels_file = str(tmp_path / "labels.npy")
        np.save(labels_file, labels)
    report = serve_in_fresh_process(SERVE_SCRIPT, [export_dir, str(tmp_path / "z.npy"), labels_file, str(tmp_path / "out.npy")], tmp_path)
    assert report == {"dtype": "float32", "imported_zoo": False}
    served = np.load(tmp_path / "out.npy")
    np.testing.assert_allclose(served, generate(model, 5, latents=latents), atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", TINY_MODELS)
def test_mixed_precision_fit(name, policy):
    keras.mixed_precision.set_global_policy(policy)
    model = tiny(name)
    model.compile()
    scaled = isinstance(model.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")
    assert isinstance(model.discriminator_optimizer, keras.optimizers.LossScaleOptimizer) == scaled
    history = fit(model, batch_size=8, epochs=1)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    z = np.zeros((2, model.latent_dim), "float32")
    labels = labels_for(model, 2)
    labels = None if labels is None else tf.constant(labels)
    images = model.call_generator(tf.constant(z), labels)
    assert images.dtype == "float32"
    outputs = keras.tree.flatten(model.call_discriminator(images, labels))
    assert all(out.dtype == "float32" for out in outputs)
    assert generate(model, 2, seed=0).dtype == np.float32


@pytest.mark.parametrize("name", TINY_MODELS)
def test_float16_overflow_skips_both_networks(name):
    """An overflowing discriminator step updates neither network."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = tiny(name)
    model.compile(
        generator_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3)),
        # 2**60 times the loss overflows float16 gradients: a guaranteed non-finite step.
        discriminator_optimizer=keras.optimizers.LossScaleOptimizer(
            keras.optimizers.Adam(1e-3), initial_scale=2.0**60),
    )
    g_before, d_before = (weights(model.generator),
                          weights(model.discriminator))
    fit(model, n=8, batch_size=8, epochs=1)
    assert max_abs_diff(g_before, weights(model.generator)) == 0.0
    assert max_abs_diff(d_before, weights(model.discriminator)) == 0.0
    # Each of the step's d_steps discriminator updates overflowed and halved the scale.
    assert float(model.discriminator_optimizer.dynamic_scale) == 2.0 ** (60 - model.d_steps)
    assert int(model.discriminator_optimizer.iterations) == 0
    assert int(model.generator_optimizer.iterations) == 0

    # With sane scales, the same model trains: the skip was the overflow's doing.
    # (The generator's scale too: its default 2**15, halved once by the skip, can
    # itself overflow a tiny critic's float16 gradients and skip another step.)
    model.discriminator_optimizer.dynamic_scale.assign(2.0**10)
    model.generator_optimizer.dynamic_scale.assign(2.0**10)
    fit(model, n=8, batch_size=8, epochs=1)
    assert max_abs_diff(d_before, weights(model.discriminator)) > 0
    assert max_abs_diff(g_before, weights(model.generator)) > 0


def _two_steps(model, images, latents):
    batch = {"images": images, "latents": latents}
    if model.conditional:
        batch["labels"] = labels_for(model, len(images))
    elif text_conditional(model):
        batch["captions"] = captions_for(model, len(images))
    dataset = tf.data.Dataset.from_tensor_slices(batch)
    model.fit(dataset.batch(len(images)), epochs=2, verbose=0)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_mirrored_strategy_matches_single_device(name, mirrored_strategy):
    """2 replicas x 4 examples == 1 device x 8 examples, weight for weight.

    The latents are fixed per example through the batch (`"latents"` key): sampled
    noise differs by replica by design. Batch norm is synchronized across replicas
    in the zoo's networks, so statistics are those of the global batch.
    """
    single = tiny(name)
    images = images_for(single, n=8)
    latents = np.random.default_rng(5).standard_normal((8, single.latent_dim)).astype("float32")
    strategy = mirrored_strategy
    with strategy.scope():
        mirrored = tiny(name)
        mirrored.set_weights(single.get_weights())
        mirrored.compile()
    single.compile()
    initial = weights(single)
    _two_steps(single, images, latents)
    _two_steps(mirrored, images, latents)
    assert strategy.num_replicas_in_sync == 2
    assert_same_weights(single, mirrored)
    assert max_abs_diff(initial, weights(single)) > 1e-4


@pytest.mark.parametrize("name", TINY_MODELS)
def test_bad_inputs_raise_clear_errors(name):
    model = tiny(name)
    model.compile()
    h, w, c = model.image_shape
    y = labels_for(model, 8)
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.fit(np.zeros((8, h + 2, w, c), "float32"), y, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"expected float images.*uint8"):
        model.fit(np.zeros((8, h, w, c), "uint8"), y, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"in \[-1, 1\].*255"):
        model.fit(np.full((8, h, w, c), 255.0, "float32"), y, batch_size=8, verbose=0)
    bad_images = np.zeros((8, h, w, c + 1), "float32")
    bad_ds = tf.data.Dataset.from_tensor_slices(bad_images if y is None else (bad_images, y))
    bad_ds = bad_ds.batch(4)
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.fit(bad_ds, verbose=0)
    with pytest.raises(ValueError, match=r"latents must have shape"):
        generate(model, 3, latents=np.zeros((3, model.latent_dim + 1)))
    with pytest.raises(ValueError, match=r"positive int"):
        model.generate(0)
    if text_conditional(model):
        with pytest.raises(ValueError, match=r"text-conditional.*captions"):
            model.fit(images_for(model, 8), batch_size=8, verbose=0)
        with pytest.raises(ValueError, match=r"text-conditional: pass captions="):
            model.generate(2)
        with pytest.raises(ValueError, match=r"'qwxz'.*not in the vocabulary"):
            model.generate(2, captions="qwxz")
    elif model.conditional:
        with pytest.raises(ValueError, match=r"conditional.*labels"):
            model.fit(images_for(model, 8), batch_size=8, verbose=0)
        with pytest.raises(ValueError, match=r"conditional: pass labels="):
            model.generate(2)
        with pytest.raises(ValueError, match=r"labels must be in \[0"):
            model.generate(2, labels=[0, model.num_classes])
    else:
        with pytest.raises(ValueError, match=r"unconditional"):
            model.generate(2, labels=[0, 1])
    with pytest.raises(TypeError, match=r"generator_optimizer="):
        model.compile(optimizer="adam")


def test_fit_before_compile_says_so():
    model = tiny("dcgan_tiny")
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        model.fit(images_for(model), batch_size=8, verbose=0)


def test_unknown_model_name_lists_known_ones():
    with pytest.raises(ValueError, match=r"Did you mean 'dcgan'.*Known models: .*gan"):
        kgz.create_model("dcgna")


def test_generate_is_deterministic_per_seed():
    model = tiny("dcgan_tiny")
    np.testing.assert_array_equal(model.generate(4, seed=11), model.generate(4, seed=11))
    assert not np.array_equal(model.generate(4, seed=11), model.generate(4, seed=12))
    images = model.generate(4, seed=0)
    assert images.min() >= -1.0 and images.max() <= 1.0
