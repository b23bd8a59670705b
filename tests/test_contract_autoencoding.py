"""The contract every autoencoding model keeps, run on every tiny variant.

`register_model(..., tiny=...)` on a model of the autoencoding family (autoencoder,
VAE, VAE-GAN) is enough to be covered here: fit, `.keras` round trip and exact
resume, SavedModel export of the decoder served in a process that never imports
keras_gan_zoo, mixed precision (bf16, fp16 and a forced overflow), MirroredStrategy
equality on 2 logical CPUs, encode/decode/reconstruct shapes, and input errors.
"""

import json
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import (assert_same_weights, images_for, max_abs_diff,
                              serve_in_fresh_process, tiny, weights)

TINY_MODELS = kgz.registry.list_tiny_models(family="autoencoding")










def optimizers(model):
    return model.named_optimizers()


def overflow_compile(model, scale_of):
    """compile() with LossScaleOptimizers whose initial scale is `scale_of(name)`."""
    model.compile(**{
        key: keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3),
                                                 initial_scale=scale_of(key))
        for key in model.optimizer_networks})


def test_the_family_has_its_three_models():
    assert TINY_MODELS == ["autoencoder_tiny", "vae_gan_tiny", "vae_tiny"]
    for name in TINY_MODELS:
        assert kgz.registry.model_family(name) == "autoencoding"


@pytest.mark.parametrize("name", TINY_MODELS)
def test_fit_two_steps_with_finite_losses(name):
    model = tiny(name)
    model.compile()
    before = weights(model.trainable_variables)
    history = model.fit(images_for(model), batch_size=8, epochs=1, verbose=0)
    assert history.history, "fit reported no metrics"
    for values in history.history.values():
        assert np.all(np.isfinite(values))
    assert max_abs_diff(before, weights(model.trainable_variables)) > 0
    for opt in optimizers(model).values():
        assert int(opt.iterations) == 2
    images = model.generate(5, seed=3)
    assert images.shape == (5, *model.image_shape) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    np.testing.assert_array_equal(images, model.generate(5, seed=3))
    x = images_for(model, 3, seed=9)
    codes = model.encode(x)
    assert codes.shape == (3, model.latent_dim)
    np.testing.assert_allclose(model.reconstruct(x), model.decode(codes), atol=1e-6)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_keras_round_trip_and_resume(name, tmp_path):
    model = tiny(name)
    model.compile()
    x = images_for(model)
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    restored = keras.models.load_model(path)

    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored.generate(6, seed=1), model.generate(6, seed=1))
    np.testing.assert_array_equal(restored.encode(x[:4]), model.encode(x[:4]))
    for key, opt in optimizers(model).items():
        loaded = optimizers(restored)[key]
        assert type(loaded) is type(opt)
        assert int(loaded.iterations) == 2
        for saved, other in zip(opt.variables, loaded.variables):
            np.testing.assert_array_equal(saved.numpy(), other.numpy())

    # Resuming from the file continues exactly as the uninterrupted run does.
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    restored.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert max_abs_diff(weights(model.weights), weights(restored.weights)) == 0.0


SERVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    report = {}
    for path, latents_file, out_file in json.loads(sys.argv[1]):
        served = tf.saved_model.load(path)  # keep a reference: it owns the variables
        images = served.serve(tf.constant(np.load(latents_file)))
        np.save(out_file, images.numpy())
        report[path] = images.dtype.name
    print(json.dumps({"dtypes": sorted(set(report.values())),
                      "imported_zoo": "keras_gan_zoo" in sys.modules}))
    """
)


def test_export_generator_serves_without_the_package(tmp_path):
    """Every model's decoder export, served in ONE fresh process (TF starts once)."""
    jobs, expected = [], []
    for name in TINY_MODELS:
        model = tiny(name)
        latents = np.random.default_rng(3).standard_normal((5, model.latent_dim))
        np.save(tmp_path / f"{name}_z.npy", latents.astype("float32"))
        export_dir = model.export_generator(tmp_path / name / "decoder")
        jobs.append([export_dir, str(tmp_path / f"{name}_z.npy"), str(tmp_path / f"{name}.npy")])
        expected.append(model.generate(5, latents=latents))
        np.testing.assert_allclose(expected[-1], model.decode(latents), atol=1e-6)
    report = serve_in_fresh_process(SERVE_SCRIPT, [json.dumps(jobs)], tmp_path)
    assert report == {"dtypes": ["float32"], "imported_zoo": False}
    for (_, _, out_file), images in zip(jobs, expected):
        np.testing.assert_allclose(np.load(out_file), images, atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", TINY_MODELS)
def test_mixed_precision_fit(name, policy):
    keras.mixed_precision.set_global_policy(policy)
    model = tiny(name)
    model.compile()
    for opt in optimizers(model).values():
        assert isinstance(opt, keras.optimizers.LossScaleOptimizer) == (policy == "mixed_float16")
    before = weights(model.trainable_variables)
    # fp16: a fresh loss scale (2**15) may overflow the first steps, which are then
    # skipped while the scale backs off (VAE-GAN's feature-space loss does for ~3).
    n = 48 if policy == "mixed_float16" else 16
    history = model.fit(images_for(model, n), batch_size=8, epochs=1, verbose=0)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    assert max_abs_diff(before, weights(model.trainable_variables)) > 0
    assert all(int(opt.iterations) > 0 for opt in optimizers(model).values())
    codes = model.encoder(tf.constant(images_for(model, 2)))
    assert all(c.dtype == "float32" for c in keras.tree.flatten(codes))
    assert model.decoder(tf.zeros((2, model.latent_dim))).dtype == "float32"
    samples = model.generate(2, seed=0)
    assert samples.dtype == np.float32 and np.all(np.isfinite(samples))


@pytest.mark.parametrize("name", TINY_MODELS)
def test_float16_overflow_skips_the_update(name):
    """A step whose (last) optimizer overflows updates no network."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = tiny(name)
    last = list(model.optimizer_networks)[-1]
    # 2**60 times the loss overflows float16 gradients: a guaranteed non-finite step.
    overflow_compile(model, lambda key: 2.0**60 if key == last else 2.0**10)
    before = weights(model.trainable_variables)
    model.fit(images_for(model, 8), batch_size=8, epochs=1, verbose=0)
    assert max_abs_diff(before, weights(model.trainable_variables)) == 0.0
    assert float(optimizers(model)[last].dynamic_scale) == 2.0**59
    for opt in optimizers(model).values():
        assert int(opt.iterations) == 0

    # With a sane scale the same model trains: the skip was the overflow's doing.
    optimizers(model)[last].dynamic_scale.assign(2.0**10)
    model.fit(images_for(model, 8), batch_size=8, epochs=1, verbose=0)
    assert max_abs_diff(before, weights(model.trainable_variables)) > 0


def _two_steps(model, batch):
    dataset = tf.data.Dataset.from_tensor_slices(batch).batch(len(batch["images"]))
    model.fit(dataset, epochs=2, verbose=0)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_mirrored_strategy_matches_single_device(name, mirrored_strategy):
    """2 replicas x 4 examples == 1 device x 8 examples, weight for weight.

    The sampling noise is fixed per example through the batch (dict keys in
    `model.batch_extras`: "noise", and "latents" for VAE-GAN's prior samples).
    """
    single = tiny(name)
    rng = np.random.default_rng(5)
    batch = {"images": images_for(single, n=8)}
    for key in single.batch_extras:
        batch[key] = rng.standard_normal((8, single.latent_dim)).astype("float32")
    with mirrored_strategy.scope():
        mirrored = tiny(name)
        mirrored.set_weights(single.get_weights())
        mirrored.compile()
    single.compile()
    initial = weights(single.trainable_variables)
    _two_steps(single, batch)
    _two_steps(mirrored, batch)
    assert mirrored_strategy.num_replicas_in_sync == 2
    assert_same_weights(single, mirrored)
    assert max_abs_diff(initial, weights(single.trainable_variables)) > 1e-4


@pytest.mark.parametrize("name", TINY_MODELS)
def test_bad_inputs_raise_clear_errors(name):
    model = tiny(name)
    model.compile()
    h, w, c = model.image_shape
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.fit(np.zeros((8, h + 2, w, c), "float32"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"expected float images.*uint8"):
        model.fit(np.zeros((8, h, w, c), "uint8"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"in \[-1, 1\].*255"):
        model.fit(np.full((8, h, w, c), 255.0, "float32"), batch_size=8, verbose=0)
    bad_ds = tf.data.Dataset.from_tensor_slices(np.zeros((8, h, w, c + 1), "float32")).batch(4)
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.fit(bad_ds, verbose=0)
    for key in model.batch_extras:  # the noise fixed through the batch has its own check
        bad_noise = tf.data.Dataset.from_tensor_slices(
            {"images": images_for(model, 8),
             key: np.zeros((8, model.latent_dim + 1), "float32")}).batch(4)
        with pytest.raises(ValueError, match=rf"{key} must have shape"):
            model.fit(bad_noise, verbose=0)
    bad_key = tf.data.Dataset.from_tensor_slices(
        {"images": images_for(model, 8), "nosie": images_for(model, 8)}).batch(4)
    with pytest.raises(ValueError, match=r"needs the key 'images'.*got keys"):
        model.fit(bad_key, verbose=0)
    with pytest.raises(ValueError, match=r"latents must have shape"):
        model.generate(3, latents=np.zeros((3, model.latent_dim + 1)))
    with pytest.raises(ValueError, match=r"positive int"):
        model.generate(0)
    with pytest.raises(ValueError, match=r"unconditional"):
        model.generate(2, labels=[0, 1])
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.encode(np.zeros((2, h, w, c + 1), "float32"))
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        model.reconstruct(np.full((2, h, w, c), 3.0, "float32"))
    with pytest.raises(ValueError, match=r"latents must have shape"):
        model.decode(np.zeros((2, model.latent_dim + 1)))
    with pytest.raises(TypeError, match=r"optimizer="):
        model.compile(loss="mse")


@pytest.mark.parametrize("name", TINY_MODELS)
def test_fit_before_compile_says_so(name):
    model = tiny(name)
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        model.fit(images_for(model), batch_size=8, verbose=0)
