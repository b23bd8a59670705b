"""The contract every autoregressive image model keeps, run on every tiny variant.

A model registered with `register_model(..., tiny=...)` whose family is
"autoregressive" is covered here without writing a test: fit (nll and bits/dim
trackers, weights change), `.keras` round trip with equal outputs and exact resume,
the exported sampler served in a process that never imports keras_gan_zoo, mixed
precision (bf16, fp16 and a forced overflow that must skip the step),
MirroredStrategy == one device weight for weight, clear input errors, and sampling
that is a function of the seed.
"""

import math
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import (assert_same_weights, fit, generate, images_for, labels_for,
                              max_abs_diff, serve_in_fresh_process, tiny, weights)

TINY_MODELS = kgz.registry.list_tiny_models(family="autoregressive")
















def test_the_family_has_tiny_variants():
    assert {"pixelcnn_tiny", "gated_pixelcnn_tiny", "pixelrnn_tiny",
            "pixelrnn_row_lstm_tiny"} <= set(TINY_MODELS)
    assert any(kgz.create_model(name).conditional for name in TINY_MODELS)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_fit_two_steps_reports_nll_and_bits_per_dim(name):
    model = tiny(name)
    model.compile()
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    before = weights(model.trainable_variables)
    history = fit(model, batch_size=8, epochs=1)
    assert set(history.history) == {"nll", "bits_per_dim"}
    nll, bits = history.history["nll"][0], history.history["bits_per_dim"][0]
    assert np.isfinite(nll) and nll > 0
    assert bits == pytest.approx(nll / (model.num_dims * math.log(2)), rel=1e-5)
    assert max_abs_diff(before, weights(model.trainable_variables)) > 0
    assert int(model.optimizer.iterations) == 2


@pytest.mark.parametrize("name", TINY_MODELS)
def test_keras_round_trip_and_resume(name, tmp_path):
    model = tiny(name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    fit(model, batch_size=8, epochs=1, shuffle=False)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    restored = keras.models.load_model(path)

    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    assert isinstance(restored.optimizer, keras.optimizers.Adam)
    x, y = images_for(model, 4, seed=3), labels_for(model, 4)
    np.testing.assert_array_equal(restored.log_likelihood(x, y), model.log_likelihood(x, y))
    np.testing.assert_array_equal(generate(restored, 3, seed=1), generate(model, 3, seed=1))
    assert int(restored.optimizer.iterations) == 2
    for saved, loaded in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())

    fit(model, batch_size=8, epochs=1, shuffle=False)
    fit(restored, batch_size=8, epochs=1, shuffle=False)
    assert max_abs_diff(weights(model.trainable_variables),
                        weights(restored.trainable_variables)) == 0.0


SERVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, noise_file, labels_file, out_file = sys.argv[1:]
    served = tf.saved_model.load(path)
    inputs = [tf.constant(np.load(noise_file))]
    if labels_file != "-":
        inputs.append(tf.constant(np.load(labels_file)))
    images = served.serve(*inputs)
    np.save(out_file, images.numpy())
    print(json.dumps({"dtype": images.dtype.name,
                      "imported_zoo": "keras_gan_zoo" in sys.modules}))
    """
)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_export_serves_samples_without_the_package(name, tmp_path):
    model = tiny(name)
    model.compile()
    fit(model, batch_size=8, epochs=1)  # trained weights, not the initial ones
    h, w, _ = model.image_shape
    noise = np.random.default_rng(3).uniform(size=(3, h, w, model.groups)).astype("float32")
    export_dir = model.export_generator(tmp_path / "sampler")
    np.save(tmp_path / "noise.npy", noise)
    labels = labels_for(model, 3)
    labels_file = "-"
    if labels is not None:
        labels_file = str(tmp_path / "labels.npy")
        np.save(labels_file, labels)
    report = serve_in_fresh_process(SERVE_SCRIPT, [export_dir, str(tmp_path / "noise.npy"), labels_file, str(tmp_path / "out.npy")], tmp_path)
    assert report == {"dtype": "float32", "imported_zoo": False}
    served, local = np.load(tmp_path / "out.npy"), generate(model, 3, noise=noise)
    # The same sub-pixel values drawn (float rounding of x / 127.5 - 1 may differ by an ulp).
    np.testing.assert_array_equal(np.round((served + 1) * 127.5), np.round((local + 1) * 127.5))
    np.testing.assert_allclose(served, local, atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", TINY_MODELS)
def test_mixed_precision_fit(name, policy):
    keras.mixed_precision.set_global_policy(policy)
    model = tiny(name)
    model.compile()
    scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")
    before = weights(model.trainable_variables)
    history = fit(model, batch_size=8, epochs=1)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    assert max_abs_diff(before, weights(model.trainable_variables)) > 0
    x = images_for(model, 2)
    y = labels_for(model, 2)
    assert model(x, None if y is None else tf.constant(y)).dtype == "float32"
    assert model.network.layers[-1].compute_dtype == "float32"
    images = generate(model, 2, seed=0)
    assert images.dtype == np.float32 and images.min() >= -1 and images.max() <= 1


@pytest.mark.parametrize("name", TINY_MODELS)
def test_float16_overflow_skips_the_step(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = tiny(name)
    # 2**60 times the loss overflows float16 gradients: a guaranteed non-finite step.
    model.compile(optimizer=keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Adam(1e-3), initial_scale=2.0**60))
    before = weights(model.trainable_variables)
    history = fit(model, n=8, batch_size=8, epochs=1)
    assert np.isfinite(history.history["nll"][0])  # the loss itself is finite
    assert max_abs_diff(before, weights(model.trainable_variables)) == 0.0
    assert float(model.optimizer.dynamic_scale) == 2.0**59
    assert int(model.optimizer.iterations) == 0

    model.optimizer.dynamic_scale.assign(2.0**10)
    fit(model, n=8, batch_size=8, epochs=1)
    assert max_abs_diff(before, weights(model.trainable_variables)) > 0


def _two_steps(model, images):
    batch = {"images": images}
    if model.conditional:
        batch["labels"] = labels_for(model, len(images))
    dataset = tf.data.Dataset.from_tensor_slices(batch).batch(len(images))
    return model.fit(dataset, epochs=2, verbose=0)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_mirrored_strategy_matches_single_device(name, mirrored_strategy):
    """2 replicas x 4 images == 1 device x 8 images, weight for weight."""
    single = tiny(name)
    images = images_for(single, n=8)
    with mirrored_strategy.scope():
        mirrored = tiny(name)
        mirrored.set_weights(single.get_weights())
        mirrored.compile(optimizer=keras.optimizers.Adam(1e-3))
    single.compile(optimizer=keras.optimizers.Adam(1e-3))
    initial = weights(single.trainable_variables)
    h_single = _two_steps(single, images)
    h_mirrored = _two_steps(mirrored, images)
    assert mirrored_strategy.num_replicas_in_sync == 2
    assert_same_weights(single, mirrored)
    assert max_abs_diff(initial, weights(single.trainable_variables)) > 1e-4
    np.testing.assert_allclose(h_single.history["nll"], h_mirrored.history["nll"], rtol=1e-4)


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
    bad = np.zeros((8, h, w, c + 1), "float32")
    bad_ds = tf.data.Dataset.from_tensor_slices(bad if y is None else (bad, y)).batch(4)
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.fit(bad_ds, verbose=0)
    with pytest.raises(ValueError, match=r"noise must have shape"):
        generate(model, 3, noise=np.zeros((3, h, w, model.groups + 1)))
    with pytest.raises(ValueError, match=r"positive int"):
        model.generate(0)
    with pytest.raises(ValueError, match=r"visible_rows must be an int in \[0, "):
        model.complete(images_for(model, 2), visible_rows=h + 1, labels=labels_for(model, 2))
    with pytest.raises(ValueError, match=r"log_likelihood: expected images in \[-1, 1\]"):
        model.log_likelihood(np.full((2, h, w, c), 3.0, "float32"), labels_for(model, 2))
    if model.conditional:
        with pytest.raises(ValueError, match=r"conditional.*labels"):
            model.fit(images_for(model, 8), batch_size=8, verbose=0)
        with pytest.raises(ValueError, match=r"conditional: pass labels="):
            model.generate(2)
        with pytest.raises(ValueError, match=r"labels must be in \[0"):
            model.generate(2, labels=[0, model.num_classes])
    else:
        with pytest.raises(ValueError, match=r"unconditional"):
            model.generate(2, labels=[0, 1])
    with pytest.raises(TypeError, match=r"optimizer="):
        model.compile(loss="mse")
    with pytest.raises(ValueError, match=r"output must be one of"):
        tiny(name, output="gaussian")


@pytest.mark.parametrize("name", TINY_MODELS)
def test_generate_is_a_function_of_the_seed(name):
    model = tiny(name)
    a = generate(model, 3, seed=11)
    np.testing.assert_array_equal(a, generate(model, 3, seed=11))
    # Sampling in chunks draws the same images as one call (noise is per image).
    np.testing.assert_array_equal(a, generate(model, 3, seed=11, batch_size=2))
    assert not np.array_equal(a, generate(model, 3, seed=12))
    levels = np.round((a + 1) * 127.5)
    np.testing.assert_allclose((a + 1) * 127.5, levels, atol=1e-4)  # on the 256-level grid
