"""ProGAN (Karras et al. 2018): the growth schedule, the fades, the paper's networks,
resume and replicas across growth phases, export at a level of detail, bad arguments.

The contract suite (tests/test_contract.py) runs `progan_tiny` like every model; here
the tiny variant gets phases of 8 stable + 16 fading images, so a few steps of 8 cross
several phase boundaries: with batches of 8 the steps start at 0, 8, 16, 24, ... images,
at lod 2, 2, 1.5, 1, 1, 0.5, 0, 0, ... (16x16 images: max_lod 2).
"""

import json
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import assert_same_weights, serve_in_fresh_process

from keras_gan_zoo.layers import MinibatchStdDev

FAST = dict(stable_images=8, fade_images=16)
# lod of the steps of batches of 8 under FAST, and Adam's iteration count after each
# step: reset when a fade starts (16, 40) and ends (24, 48).
FAST_STEP_LODS = [2.0, 2.0, 1.5, 1.0, 1.0, 0.5, 0.0, 0.0]
FAST_ITERATIONS = [1, 2, 1, 1, 2, 1, 1, 2]


def tiny(**overrides):
    return kgz.create_model("progan_tiny", seed=3, **{**FAST, **overrides})


def images(n, seed=0, side=16):
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 1)).astype("float32")


def latents(n, dim=8, seed=1):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


def upscale(x, factor):
    return x.repeat(factor, axis=1).repeat(factor, axis=2)


def box(x, factor):
    b, h, w, c = x.shape
    return x.reshape(b, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def record(model):
    """A callback collecting each step's logged lod and the optimizers' iterations."""
    seen = {"lod": [], "iterations": []}

    def on_batch_end(batch, logs=None):
        seen["lod"].append(float(logs["lod"]))
        seen["iterations"].append(int(model.discriminator_optimizer.iterations.numpy()))
    return seen, keras.callbacks.LambdaCallback(on_train_batch_end=on_batch_end)


def fixed_batches(n, batch=8, seed=0):
    data = {"images": images(n, seed), "latents": latents(n, seed=seed + 1)}
    return tf.data.Dataset.from_tensor_slices(data).batch(batch)


# ---------------------------------------------------------------------- schedule
def test_lod_schedule_at_chosen_image_counts():
    # 32x32: max_lod 3; phases of 150 images: 100 stable, then 50 fading.
    model = kgz.create_model("progan", image_shape=(32, 32, 1), latent_dim=8, base_filters=64,
                             max_filters=8, stable_images=100, fade_images=50)
    assert model.max_lod == 3
    expected = {0: 3.0, 99: 3.0, 100: 3.0, 110: 2.8, 125: 2.5, 149: 2.02, 150: 2.0,
                249: 2.0, 275: 1.5, 300: 1.0, 425: 0.5, 450: 0.0, 600: 0.0, 10**12: 0.0}
    resolutions = {0: 4, 110: 8, 125: 8, 150: 8, 275: 16, 300: 16, 425: 32, 10**12: 32}
    for count, lod in expected.items():
        assert model.lod_at(count) == float(np.float32(lod)), count
        model.images_seen.assign(count)  # the graph's computation, from the counter
        assert float(model.lod_tensor().numpy()) == float(np.float32(lod)), count
        assert model.lod == model.lod_at(count)
        if count in resolutions:
            assert model.current_resolution == resolutions[count], count


def test_fit_logs_the_lod_of_each_step_and_counts_partial_batches():
    model = tiny(reset_optimizers=False)
    model.compile()
    seen, callback = record(model)
    history = model.fit(images(20), batch_size=8, epochs=1, verbose=0, shuffle=False,
                        callbacks=[callback])
    assert seen["lod"] == [2.0, 2.0, 1.5]  # steps at 0, 8 and 16 images (8, 8, 4)
    assert history.history["lod"] == [1.5]
    assert int(model.images_seen.numpy()) == 20
    assert model.lod == model.lod_at(20) == 1.25  # 12 of the 16 fading images
    assert seen["iterations"] == [1, 2, 3]


def test_optimizer_state_resets_when_a_fade_starts_and_ends():
    model = tiny()
    model.compile()
    seen, callback = record(model)
    model.fit(images(64), batch_size=8, epochs=1, verbose=0, shuffle=False,
              callbacks=[callback])
    assert seen["lod"] == FAST_STEP_LODS
    assert seen["iterations"] == FAST_ITERATIONS
    assert int(model.generator_optimizer.iterations.numpy()) == FAST_ITERATIONS[-1]
    assert int(model.growth_phase.numpy()) == 0  # floor + ceil of lod 0


def test_a_reset_step_equals_a_step_of_fresh_optimizers():
    """The step where the fade starts (at 16 images) trains as a model with the same
    weights, counters and noise but newly created optimizers does."""
    model = tiny()
    initial = model.get_weights()
    model.compile()
    model.fit(fixed_batches(16), epochs=1, verbose=0)  # 2 steps at lod 2
    fresh = tiny()
    fresh.set_weights(model.get_weights())  # networks, EMA, step counter, images seen
    fresh.compile()
    step = fixed_batches(8, seed=5)
    model.fit(step, epochs=1, verbose=0)
    fresh.fit(step, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Without the reset, the same three steps end elsewhere (Adam's moments carry over).
    kept = tiny(reset_optimizers=False)
    kept.set_weights(initial)
    kept.compile()
    kept.fit(fixed_batches(16), epochs=1, verbose=0)
    kept.fit(step, epochs=1, verbose=0)
    assert max(np.abs(a - b).max() for a, b in zip(kept.generator.get_weights(),
                                                   model.generator.get_weights())) > 1e-4


# ------------------------------------------------------------------------ fades
def test_generator_fade_is_the_lerp_of_two_to_rgb_outputs():
    model = tiny()
    g = model.generator
    z = latents(4)
    taps = keras.Model(g.inputs, [g.get_layer(f"to_rgb_{t}").output
                                  for t in ("4x4", "8x8", "16x16")])
    for lod, expect in (
            # mid-fade of 8x8: half 8x8, half the 4x4 upscaled; then upscaled to 16x16.
            (1.5, lambda r4, r8, r16: upscale(0.5 * r8 + 0.5 * upscale(r4, 2), 2)),
            (0.25, lambda r4, r8, r16: 0.75 * r16 + 0.25 * upscale(r8, 2)),
            (2.0, lambda r4, r8, r16: upscale(r4, 4)),
            (0.0, lambda r4, r8, r16: r16)):
        lods = np.full((4,), lod, "float32")
        r4, r8, r16 = (np.asarray(t) for t in taps([z, lods]))
        out = np.asarray(g([z, lods]))
        np.testing.assert_allclose(out, expect(r4, r8, r16), atol=1e-6, err_msg=str(lod))
    # generate() clips the linear output to [-1, 1] and runs the same network.
    raw = np.asarray(g([z, np.full((4,), 1.5, "float32")]))
    assert np.abs(raw).max() > 1.0  # a linear output, so the clip is exercised
    np.testing.assert_allclose(model.generate(4, latents=z, lod=1.5, use_ema=False),
                               np.clip(raw, -1, 1), atol=1e-6)


def test_discriminator_fades_its_from_rgb_inputs():
    model = tiny()
    d = model.discriminator
    layer = d.get_layer
    x = tf.constant(images(4))

    def from_rgb(img, tag):
        return layer(f"from_rgb_{tag}_lrelu")(layer(f"from_rgb_{tag}")(img))

    def block(h, tag):
        for conv in ("conv0", "conv1"):
            h = layer(f"{conv}_{tag}_lrelu")(layer(f"{conv}_{tag}")(h))
        return layer(f"downsample_{tag}")(h)

    def head(h):
        h = layer("minibatch_stddev_4x4")(h)
        h = layer("conv_4x4_lrelu")(layer("conv_4x4")(h))
        h = layer("dense_4x4_lrelu")(layer("dense_4x4")(layer("flatten_4x4")(h)))
        return np.asarray(layer("logit")(h))

    pool = keras.layers.AveragePooling2D(2)
    # lod 1.5: the 16x16 path is faded out (t = 1); 8x8 is half faded in.
    mixed = 0.5 * block(from_rgb(pool(x), "8x8"), "8x8") + 0.5 * from_rgb(pool(pool(x)), "4x4")
    np.testing.assert_allclose(np.asarray(model.call_discriminator(x, lod=1.5)), head(mixed),
                               rtol=1e-5, atol=1e-6)
    # lod 0: the full network, no fromRGB but the 16x16 one.
    full = block(block(from_rgb(x, "16x16"), "16x16"), "8x8")
    np.testing.assert_allclose(np.asarray(model.call_discriminator(x, lod=0.0)), head(full),
                               rtol=1e-5, atol=1e-6)


def test_process_reals_is_the_official_fade_of_the_box_pyramid():
    model = tiny()
    x = images(2)
    for lod in (2.0, 1.5, 1.0, 0.25, 0.0):
        k, t = int(np.floor(lod)), lod - np.floor(lod)
        at_k = box(x, 2 ** k)                                # the dataset at resolution k
        faded = at_k + (upscale(box(at_k, 2), 2) - at_k) * t  # FadeLOD
        expected = upscale(faded, 2 ** k)                    # UpscaleLOD
        np.testing.assert_allclose(np.asarray(model.process_reals(x, lod)), expected,
                                   atol=1e-6, err_msg=str(lod))


def test_at_max_lod_only_the_4x4_path_matters():
    model = tiny()
    g, d = model.generator, model.discriminator
    z, x = latents(4), images(4)
    top = float(model.max_lod)
    before = {lod: (np.asarray(model.call_generator(z, lod=lod, training=True)),
                    np.asarray(model.call_discriminator(x, lod=lod)))
              for lod in (top, top - 0.5)}
    rng = np.random.default_rng(9)
    changed = 0
    for network, keep in ((g, ("_4x4",)), (d, ("_4x4", "logit"))):
        for layer in network.layers:
            if layer.weights and not layer.name.endswith(keep):
                layer.set_weights([rng.normal(size=w.shape).astype("float32")
                                   for w in layer.get_weights()])
                changed += 1
    assert changed == 6 + 6  # conv0 / conv1 / to_rgb (G), from_rgb (D) at 8x8 and 16x16
    g_out, d_out = (np.asarray(model.call_generator(z, lod=top, training=True)),
                    np.asarray(model.call_discriminator(x, lod=top)))
    np.testing.assert_array_equal(g_out, before[top][0])
    np.testing.assert_array_equal(d_out, before[top][1])
    # A 4x4 image upscaled: constant 4x4 blocks.
    np.testing.assert_array_equal(g_out, upscale(g_out[:, ::4, ::4], 4))
    # Half a phase later the new weights are seen.
    assert np.abs(np.asarray(model.call_generator(z, lod=top - 0.5, training=True))
                  - before[top - 0.5][0]).max() > 1e-3
    assert np.abs(np.asarray(model.call_discriminator(x, lod=top - 0.5))
                  - before[top - 0.5][1]).max() > 1e-3


def test_minibatch_stddev_groups_consecutive_examples():
    x = np.random.default_rng(0).normal(size=(8, 2, 2, 6)).astype("float32")
    out = np.asarray(MinibatchStdDev(group_size=4, grouping="consecutive")(x))
    groups = x.reshape(2, 4, 2, 2, 6)                   # examples 0-3 and 4-7
    std = np.sqrt(groups.var(axis=1) + 1e-8).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(out[..., :6], x)
    np.testing.assert_allclose(out[..., 6], np.repeat(std, 4)[:, None, None] * np.ones((8, 2, 2)),
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"batch of 6 does not split into groups of 4"):
        MinibatchStdDev(group_size=4, grouping="consecutive")(x[:6])


def test_discriminator_objective_is_wgan_gp_with_drift():
    model = tiny()
    model.compile()
    real, fake = tf.constant(images(4)), tf.constant(images(4, seed=1))
    loss, terms = model.discriminator_objective(real, fake, None)
    d_real = np.asarray(model.call_discriminator(real, training=True))
    d_fake = np.asarray(model.call_discriminator(fake, training=True))
    np.testing.assert_allclose(float(loss), d_fake.mean() - d_real.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(terms["drift"]), 0.001 * np.mean(d_real ** 2), rtol=1e-5)
    alpha = model.interpolation_weights(4).numpy()[:, None, None, None]
    x_hat = tf.constant(real.numpy() + alpha * (fake.numpy() - real.numpy()))
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        total = tf.reduce_sum(model.call_discriminator(x_hat, training=True))
    norms = np.sqrt((tape.gradient(total, x_hat).numpy() ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(float(terms["gp"]), 10.0 * np.mean((norms - 1.0) ** 2),
                               rtol=1e-4)
    assert set(model.default_optimizers()) == {"generator_optimizer", "discriminator_optimizer"}
    for optimizer in model.default_optimizers().values():
        config = optimizer.get_config()
        assert (config["learning_rate"], config["beta_1"], config["beta_2"],
                config["epsilon"]) == pytest.approx((1e-3, 0.0, 0.99, 1e-8))


# ---------------------------------------------------------------- resume, replicas
def test_resume_mid_growth_equals_uninterrupted_training(tmp_path):
    model = tiny()
    model.compile()
    model.fit(images(40), batch_size=8, epochs=1, verbose=0, shuffle=False)  # 5 steps
    assert model.lod == 0.5  # in the middle of the last fade
    path = str(tmp_path / "progan.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.get_config() == model.get_config()
    assert (restored.lod, int(restored.images_seen.numpy()),
            int(restored.growth_phase.numpy())) == (0.5, 40, 2)  # last step: lod 1
    np.testing.assert_array_equal(restored.generate(3, seed=2), model.generate(3, seed=2))
    # Both go on through the end of the fade (an Adam reset at 48 images) alike.
    more = images(24, seed=4)
    logs = [m.fit(more, batch_size=8, epochs=1, verbose=0, shuffle=False).history
            for m in (model, restored)]
    assert logs[0] == logs[1] and logs[0]["lod"] == [0.0]
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert restored.lod == model.lod == 0.0
    assert int(restored.discriminator_optimizer.iterations.numpy()) == 2


def test_mirrored_strategy_matches_one_device_across_phase_boundaries(mirrored_strategy):
    single = tiny()
    with mirrored_strategy.scope():
        mirrored = tiny()
        mirrored.set_weights(single.get_weights())
        mirrored.compile()
    single.compile()
    initial = [w.copy() for w in single.get_weights()]
    data = fixed_batches(48)  # 6 steps of 8 (4 per replica): lod 2, 2, 1.5, 1, 1, 0.5
    for model in (single, mirrored):
        seen, callback = record(model)
        model.fit(data, epochs=1, verbose=0, callbacks=[callback])
        assert seen["lod"] == FAST_STEP_LODS[:6]
        assert seen["iterations"] == FAST_ITERATIONS[:6]
        assert int(model.images_seen.numpy()) == 48  # the global batch, not the replica's
    assert mirrored_strategy.num_replicas_in_sync == 2
    assert_same_weights(single, mirrored)
    assert max(np.abs(a - b).max() for a, b in zip(initial, single.get_weights())) > 1e-3


# ----------------------------------------------------------------------- export
SERVE = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, z_file, out_file = sys.argv[1:]
    served = tf.saved_model.load(path)  # kept referenced: it owns the variables
    images = served.serve(tf.constant(np.load(z_file)))
    np.save(out_file, images.numpy())
    print(json.dumps({"imported_zoo": "keras_gan_zoo" in sys.modules}))
    """
)


def test_export_serves_the_lod_of_export_time_in_a_fresh_process(tmp_path):
    model = tiny()
    model.compile()
    model.fit(images(16), batch_size=8, epochs=1, verbose=0)
    assert model.lod == 1.5
    z = latents(5, seed=7)
    np.save(tmp_path / "z.npy", z)
    for name, lod in (("current", None), ("coarse", 2.0)):
        path = model.export_generator(tmp_path / name, lod=lod)
        report = serve_in_fresh_process(
            SERVE, [path, tmp_path / "z.npy", tmp_path / f"{name}.npy"], tmp_path)
        assert report == {"imported_zoo": False}
        served = np.load(tmp_path / f"{name}.npy")
        np.testing.assert_allclose(served, model.generate(5, latents=z, lod=lod), atol=1e-6)
    current, coarse = np.load(tmp_path / "current.npy"), np.load(tmp_path / "coarse.npy")
    np.testing.assert_array_equal(coarse, upscale(coarse[:, ::4, ::4], 4))
    assert np.abs(current - coarse).max() > 1e-3
    assert current.min() >= -1.0 and current.max() <= 1.0


# -------------------------------------------------------------- paper's networks
def test_the_paper_networks_at_1024_have_the_paper_parameter_counts():
    """Table 2 of the paper: 23.1M parameters in each network. Counted by hand from the
    official G_paper / D_paper (fmap_base 8192, fmap_max 512, latent 512): G 23,079,115
    (dense 4x4 4,194,816 incl. its 512 per-channel biases; 17 3x3 convolutions
    18,876,640; toRGB 7,659), D 23,087,249 (fromRGB 10,176; 3x3 convolutions 16,517,328
    + the 4x4 block's 513 -> 512 convolution 2,364,416; dense 4,194,816 + 513)."""
    model = kgz.create_model("progan", latent_dim=512, seed=0)  # the defaults: 1024x1024x3
    assert model.image_shape == (1024, 1024, 3) and model.max_lod == 8
    assert model.generator.count_params() == 23_079_115
    assert model.discriminator.count_params() == 23_087_249


def test_the_256_config_builds_with_a_block_per_resolution():
    model = kgz.create_model("progan", image_shape=(256, 256, 3), latent_dim=16,
                             base_filters=256, max_filters=16, seed=0)
    assert model.max_lod == 6 and model.lod == 6.0 and model.current_resolution == 4
    names = [layer.name for layer in model.generator.layers]
    tags = [f"{2 ** r}x{2 ** r}" for r in range(2, 9)]
    assert [n for n in names if n.startswith("to_rgb_")] == [f"to_rgb_{t}" for t in tags]
    assert [n for n in names if n.startswith("fade_")] == [f"fade_{t}" for t in tags[1:]]
    convs = [layer for layer in model.generator.layers
             if isinstance(layer, kgz.layers.EqualizedConv2D)]
    assert len(convs) == 1 + 2 * 6 + 7  # 4x4; two per larger resolution; toRGB
    d_names = [layer.name for layer in model.discriminator.layers]
    assert sorted(n for n in d_names if n.startswith("from_rgb_") and "lrelu" not in n) == \
        sorted(f"from_rgb_{t}" for t in tags)
    assert sum(n.startswith("fade_") for n in d_names) == 6
    # Feature maps min(256 / 2**stage, 16): 16 up to 32x32, then 8, 4, 2.
    assert model.generator.get_layer("conv1_256x256").filters == 2
    assert model.generator.get_layer("conv1_32x32").filters == 16
    assert model.generator.output_shape == (None, 256, 256, 3)
    sample = model.generate(1, seed=0)
    np.testing.assert_array_equal(sample, upscale(sample[:, ::64, ::64], 64))  # 4x4 first


def test_options_of_the_base_pass_through():
    model = tiny(r1_gamma=1.0, r1_every=2, diff_augment="translation",
                 ema_half_life_images=100, d_steps=2)
    assert model.ema_beta is None and model.ema_half_life_images == 100.0
    assert tiny().ema_beta == 0.999 and tiny(ema_beta=None).uses_ema is False
    model.compile()
    history = model.fit(images(16), batch_size=16, epochs=1, verbose=0).history
    assert {"r1", "gp", "drift", "lod"} <= set(history)
    assert all(np.isfinite(v).all() for v in history.values())
    config = json.loads(json.dumps(model.get_config()))
    assert kgz.models.ProGAN.from_config(config).get_config() == model.get_config()


@pytest.mark.parametrize("overrides, message", [
    (dict(image_shape=(28, 28, 1)), r"power-of-two side >= 8.*Pad 28x28"),
    (dict(image_shape=(32, 16, 1)), r"square"),
    (dict(image_shape=(4, 4, 1)), r"side >= 8"),
    (dict(base_filters=4), r"base_filters >= 8"),
    (dict(max_filters=0), r"max_filters must be a positive int"),
    (dict(stable_images=-1), r"stable_images must be an int >= 0"),
    (dict(fade_images=0), r"fade_images must be an int >= 1"),
    (dict(gp_weight=0.0), r"gp_weight must be a positive number"),
    (dict(epsilon_drift=-1e-3), r"epsilon_drift must be a non-negative number"),
    (dict(mbstd_group_size=-1), r"mbstd_group_size must be an int >= 0"),
    (dict(reset_optimizers="yes"), r"reset_optimizers must be True or False"),
    (dict(num_classes=10), r"unconditional"),
])
def test_bad_arguments_raise_value_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny(**overrides)


def test_bad_calls_raise_value_errors():
    model = tiny()
    model.compile()
    with pytest.raises(ValueError, match=r"lod must be a number in \[0, 2\]"):
        model.generate(2, lod=2.5)
    with pytest.raises(ValueError, match=r"lod must be a number in \[0, 2\]"):
        model.export_generator("unused", lod=-0.5)
    with pytest.raises(ValueError, match=r"images must be an int >= 0"):
        model.lod_at(-1)
    with pytest.raises(ValueError, match=r"batch of 6 images does not split into "
                                         r"minibatch-stddev groups of 4"):
        model.fit(images(12), batch_size=6, verbose=0)
    with pytest.raises(ValueError, match=r"unconditional"):
        model.generate(2, labels=[0, 1])
