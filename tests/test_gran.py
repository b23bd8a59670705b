"""GRAN's own numerics: the drawing is the running sum of T increments of the shared
decoder, read back by the shared encoder; T is configurable (T = 1: one step);
`generate(return_steps=True)` and the `serve_steps` export return that drawing.
(The adversarial contract, fit / save / export / precision / replicas, runs on
`gran_tiny` in tests/test_contract.py.)"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo.models.adversarial.gran import gran_generator


def tiny(**overrides):
    return kgz.create_model("gran_tiny", seed=7, **overrides)


def scrambled(model, seed=0):
    """`model` with its generator's trainable weights redrawn from N(0, 0.5): at the
    DCGAN initialization (N(0, 0.02)) the increments are ~1e-4 and nearly equal, too
    small for the checks below to tell one step from another."""
    rng = np.random.default_rng(seed)
    for variable in model.generator.trainable_variables:
        variable.assign(rng.normal(0.0, 0.5, variable.shape).astype("float32"))
    return model


def test_final_image_is_the_last_step_of_the_drawing():
    model = scrambled(tiny())
    images = model.generate(5, seed=3)
    final, steps = model.generate(5, seed=3, return_steps=True)
    assert steps.shape == (3, 5, 16, 16, 1) and steps.dtype == np.float32
    # The plain path runs model.generator; the drawing a network of its running sums.
    np.testing.assert_allclose(steps[-1], images, atol=1e-6)
    np.testing.assert_array_equal(final, steps[-1])
    assert steps.min() >= -1.0 and steps.max() <= 1.0
    # Every step draws something: consecutive canvases differ.
    assert all(np.abs(steps[t + 1] - steps[t]).max() > 1e-2 for t in range(2))


@pytest.mark.parametrize("read", ["increment", "canvas"])
def test_canvas_is_the_accumulation_of_the_increments(read):
    """Recomputed by hand from the sub-networks: h_z = project(z), code_0 = 0,
    delta_t = decoder([h_z, code_{t-1}]), code_t = encoder(delta_t or canvas_t),
    canvas_t = tanh(delta_1 + ... + delta_t)."""
    model = scrambled(tiny(read=read, num_steps=4))
    generator = model.generator
    project, decoder, encoder = (generator.get_layer(name)
                                 for name in ("project", "decoder", "encoder"))
    z = model.random_latents(6, seed=0)
    h_z = project(z, training=False)
    code = tf.zeros_like(h_z)
    total, expected, increments = 0.0, [], []
    for _ in range(4):
        delta = decoder(tf.concat([h_z, code], axis=-1), training=False)
        increments.append(delta.numpy())
        total = total + delta
        expected.append(tf.tanh(total).numpy())
        code = encoder(delta if read == "increment" else tf.tanh(total), training=False)
    _, steps = model.generate(6, latents=z, return_steps=True)
    np.testing.assert_allclose(steps, np.stack(expected), atol=2e-6)
    # The increments differ from step to step (the code fed back changes them), so
    # the sum is not T times one drawing.
    assert np.abs(increments[1] - increments[0]).max() > 1e-2
    # Before the tanh (which saturates at these weights): the running sums of the
    # generator's graph are the cumulative sums of the increments.
    sums = model.drawing_network()(z, training=False)
    np.testing.assert_allclose(np.stack([s.numpy() for s in sums]),
                               np.cumsum(increments, axis=0), rtol=1e-5, atol=1e-5)


def test_the_two_reads_draw_differently():
    z = np.random.default_rng(1).standard_normal((3, 8)).astype("float32")
    increment_model, canvas_model = scrambled(tiny(read="increment")), tiny(read="canvas")
    canvas_model.generator.set_weights(increment_model.generator.get_weights())
    by_increment = increment_model.generate(3, latents=z, return_steps=True)[1]
    by_canvas = canvas_model.generate(3, latents=z, return_steps=True)[1]
    # Same weights, same first step; the encoder's input differs after it.
    np.testing.assert_allclose(by_increment[0], by_canvas[0], atol=1e-6)
    assert np.abs(by_increment[-1] - by_canvas[-1]).max() > 1e-2


@pytest.mark.parametrize("num_steps", [1, 2, 5])
def test_num_steps_is_configurable(num_steps):
    model = tiny(num_steps=num_steps)
    final, steps = model.generate(3, seed=0, return_steps=True)
    assert steps.shape == (num_steps, 3, 16, 16, 1)
    sums = [name for name in (layer.name for layer in model.generator.layers)
            if name.startswith("canvas_sum_")]
    assert len(sums) == num_steps
    assert model.get_config()["num_steps"] == num_steps
    assert type(model).from_config(model.get_config()).num_steps == num_steps


def test_one_step_is_a_one_step_generator():
    """T = 1: image = tanh(decoder([h_z, 0])), no encoder at all, and it trains."""
    model = tiny(num_steps=1)
    generator = model.generator
    with pytest.raises(ValueError):
        generator.get_layer("encoder")
    z = model.random_latents(4, seed=2)
    h_z = generator.get_layer("project")(z, training=False)
    by_hand = tf.tanh(generator.get_layer("decoder")(
        tf.concat([h_z, tf.zeros_like(h_z)], axis=-1), training=False))
    np.testing.assert_allclose(model.generate(4, latents=z), by_hand.numpy(), atol=1e-6)
    model.compile()
    history = model.fit(np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1))
                        .astype("float32"), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    assert int(model.generator_optimizer.iterations) == 1


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "3", None])
def test_bad_num_steps_is_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"num_steps must be a positive int .*drawing steps"):
        tiny(num_steps=bad)
    with pytest.raises(ValueError, match=r"num_steps must be a positive int"):
        gran_generator(8, (16, 16, 1), 4, num_steps=bad)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match=r"read must be one of \('increment', 'canvas'\)"):
        tiny(read="delta")
    with pytest.raises(ValueError, match=r"base_filters must be a positive int"):
        tiny(base_filters=0)
    with pytest.raises(ValueError, match=r"GRAN needs square images"):
        tiny(image_shape=(16, 32, 1))
    with pytest.raises(ValueError, match=r"latent_dim must be a positive int"):
        tiny(latent_dim=0)
    model = tiny()
    with pytest.raises(ValueError, match=r"return_steps must be True or False"):
        model.generate(2, seed=0, return_steps="yes")
    with pytest.raises(ValueError, match=r"n must be a positive int"):
        model.generate(0, return_steps=True)
    with pytest.raises(ValueError, match=r"latents must have shape \(3, 8\)"):
        model.generate(3, latents=np.zeros((3, 9)), return_steps=True)
    with pytest.raises(ValueError, match=r"unconditional"):
        model.generate(2, labels=[0, 1], return_steps=True)
    with pytest.raises(ValueError, match=r"batch_size must be a positive int"):
        model.generate(2, seed=0, batch_size=0, return_steps=True)


def test_drawing_is_deterministic_per_seed_and_batched_alike():
    model = tiny()
    first = model.generate(7, seed=11, return_steps=True)[1]
    np.testing.assert_array_equal(first, model.generate(7, seed=11, return_steps=True)[1])
    assert not np.array_equal(first, model.generate(7, seed=12, return_steps=True)[1])
    # Batching does not change the drawing (inference mode: no batch statistics).
    np.testing.assert_allclose(
        first, model.generate(7, seed=11, return_steps=True, batch_size=3)[1], atol=1e-6)


def test_export_serves_the_drawing_steps(tmp_path):
    model = tiny()
    z = model.random_latents(4, seed=5)
    served = tf.saved_model.load(model.export_generator(tmp_path / "gran"))
    images, steps = served.serve(tf.constant(z)), served.serve_steps(tf.constant(z))
    assert steps.shape == (3, 4, 16, 16, 1) and steps.dtype == tf.float32
    _, expected = model.generate(4, latents=z, return_steps=True)
    np.testing.assert_allclose(steps.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(images.numpy(), expected[-1], atol=1e-6)


def test_drawing_of_the_ema_generator():
    """With a generator EMA the drawing is the EMA network's, as `generate` is."""
    model = tiny(ema_beta=0.5)
    model.compile(generator_optimizer=keras.optimizers.Adam(0.05))
    x = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    final, steps = model.generate(4, seed=0, return_steps=True)
    np.testing.assert_allclose(final, model.generate(4, seed=0), atol=1e-6)
    trained_final, _ = model.generate(4, seed=0, return_steps=True, use_ema=False)
    np.testing.assert_allclose(trained_final, model.generate(4, seed=0, use_ema=False),
                               atol=1e-6)
    assert np.abs(final - trained_final).max() > 1e-5
