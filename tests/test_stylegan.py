"""StyleGAN (Karras et al. 2019) and its base, `StyleBasedGAN`: w_avg, truncation,
style mixing, noise inputs, W space, export, configs, latent tools, bad arguments.

The contract suite (tests/test_contract.py) runs `stylegan_tiny` like every model
(fit, resume, mixed precision, MirroredStrategy == one device with the style-mixing
and noise draws, export); here the model-specific numerics.
"""


import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SERVE_STYLE_EXPORT, serve_in_fresh_process
from keras_gan_zoo import latent
from keras_gan_zoo.layers import AdaIN, NoiseInjection
from keras_gan_zoo.models.adversarial.style_base import SelectStyle, mix_styles
from keras_gan_zoo.models.adversarial.stylegan import (CONFIGS, stylegan_discriminator,
                                                       stylegan_synthesis)

L = 6  # ws of the tiny variant (16x16): 2 * log2(16) - 2


def tiny(**overrides):
    return kgz.create_model("stylegan_tiny", seed=3, **overrides)


def images(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")


def latents(n, seed=1, dim=8):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


def with_w_avg(model, seed=9):
    """Gives the model a non-zero w_avg (a fresh model's is 0)."""
    model.w_avg.assign(np.random.default_rng(seed).standard_normal(model.w_dim)
                       .astype("float32"))
    return model


def with_noise_strengths(model, value=1.0):
    for layer in model.synthesis.layers:
        if isinstance(layer, NoiseInjection):
            layer.strength.assign(np.full(layer.strength.shape, value, "float32"))
    return model


# ----------------------------------------------------------------------- w_avg
def test_w_avg_is_the_running_mean_of_w_recomputed_in_numpy():
    model = tiny(w_avg_beta=0.8)
    model.compile()
    z = latents(24)
    seen = []  # w of each step's batch, mapped with the weights the step starts from

    def before(batch, logs=None):
        seen.append(model.mapping(z[8 * batch:8 * batch + 8]).numpy().astype("float64"))
    data = tf.data.Dataset.from_tensor_slices({"images": images(24), "latents": z}).batch(8)
    model.fit(data, epochs=1, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_begin=before)])
    expected = np.zeros(model.w_dim)
    for w in seen:
        expected = w.mean(axis=0) + 0.8 * (expected - w.mean(axis=0))  # lerp(mean, avg, beta)
    assert len(seen) == 3
    np.testing.assert_allclose(model.w_avg.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert np.abs(expected).max() > 1e-3


def test_a_skipped_float16_step_leaves_w_avg_alone():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = tiny()
    model.compile(
        generator_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3)),
        discriminator_optimizer=keras.optimizers.LossScaleOptimizer(
            keras.optimizers.Adam(1e-3), initial_scale=2.0**60))  # overflows: skipped
    model.fit(images(8), batch_size=8, verbose=0)
    assert int(model.generator_optimizer.iterations.numpy()) == 0
    np.testing.assert_array_equal(model.w_avg.numpy(), np.zeros(model.w_dim))
    model.discriminator_optimizer.dynamic_scale.assign(2.0**10)
    model.fit(images(8), batch_size=8, verbose=0)  # applied: w_avg moves
    assert int(model.generator_optimizer.iterations.numpy()) == 1
    assert np.abs(model.w_avg.numpy()).max() > 0


# ------------------------------------------------------------------ truncation
def test_psi_0_gives_one_image_and_psi_1_is_no_truncation():
    model = with_w_avg(tiny())
    same = model.generate(4, seed=0, psi=0.0)
    for image in same[1:]:
        np.testing.assert_allclose(image, same[0], atol=1e-5)
    ws = model.map(latents(4), psi=0.0)
    np.testing.assert_allclose(ws, np.broadcast_to(model.w_avg.numpy(), ws.shape), atol=1e-6)
    np.testing.assert_array_equal(model.generate(4, seed=0, psi=1.0), model.generate(4, seed=0))
    raw = model.map(latents(4))
    mapped = model.mapping(latents(4)).numpy()
    np.testing.assert_array_equal(raw, np.repeat(mapped[:, None], L, axis=1))
    half = model.map(latents(4), psi=0.5)
    np.testing.assert_allclose(half, model.w_avg.numpy() + 0.5 * (raw - model.w_avg.numpy()),
                               rtol=1e-6, atol=1e-6)
    assert not np.allclose(model.generate(4, seed=0, psi=0.5), model.generate(4, seed=0))


def test_truncation_cutoff_only_changes_the_early_layers():
    model = with_w_avg(tiny())
    raw = model.map(latents(3))
    cut = model.map(latents(3), psi=0.5, truncation_cutoff=2)
    np.testing.assert_array_equal(cut[:, 2:], raw[:, 2:])
    np.testing.assert_allclose(cut[:, :2], model.map(latents(3), psi=0.5)[:, :2], atol=1e-7)
    assert np.abs(cut[:, :2] - raw[:, :2]).max() > 1e-3
    np.testing.assert_array_equal(model.map(latents(3), psi=0.5, truncation_cutoff=0), raw)


# ---------------------------------------------------------------- style mixing
def test_mixing_takes_the_later_layers_from_the_second_latent():
    model = tiny(style_mixing_prob=1.0)
    n = 32
    rows = (tf.range(n), tf.constant(n))
    z = latents(n)
    w, ws = model.training_styles(z, rows, draw=0)
    z2, crossover = model.mixing_draws(rows, 0x0D1FC000)  # what draw 0 uses
    crossover = crossover.numpy()
    assert crossover.min() >= 1 and crossover.max() <= L - 1
    first = model.mapping(z).numpy()
    second = model.mapping(z2).numpy()
    np.testing.assert_allclose(w.numpy(), first, rtol=1e-6, atol=1e-6)
    for b in range(n):
        c = crossover[b]
        np.testing.assert_allclose(ws[b, :c], np.broadcast_to(first[b], (c, 8)), atol=1e-6)
        np.testing.assert_allclose(ws[b, c:], np.broadcast_to(second[b], (L - c, 8)),
                                   atol=1e-6)
    assert not np.allclose(first, second)
    # mix_styles on its own: a fixed crossover per example.
    mixed = mix_styles(np.zeros((2, L, 1)), np.ones((2, L, 1)), [2, L]).numpy()[..., 0]
    np.testing.assert_array_equal(mixed, [[0, 0, 1, 1, 1, 1], [0] * L])


def test_mixing_draws_probability_crossovers_and_replica_rows():
    model = tiny()  # style_mixing_prob 0.9
    n = 6000
    _, crossover = model.mixing_draws((tf.range(n), tf.constant(n)), 5)
    crossover = crossover.numpy()
    assert abs(np.mean(crossover < L) - 0.9) < 0.015
    counts = np.bincount(crossover[crossover < L], minlength=L)[1:]   # layers 1 .. L-1
    assert counts.min() > 0.8 * counts.mean() and counts.max() < 1.2 * counts.mean()
    # A replica's rows of the global draw (what 2 replicas take of a batch of 8).
    z_all, c_all = model.mixing_draws((tf.range(8), tf.constant(8)), 5)
    z_part, c_part = model.mixing_draws((tf.range(3, 8), tf.constant(8)), 5)
    np.testing.assert_array_equal(z_part.numpy(), z_all.numpy()[3:])
    np.testing.assert_array_equal(c_part.numpy(), c_all.numpy()[3:])
    noise_all = model.synthesis_noise((tf.range(8), tf.constant(8)), 7)
    noise_part = model.synthesis_noise((tf.range(3, 8), tf.constant(8)), 7)
    assert [tuple(x.shape[1:3]) for x in noise_all] == model.noise_shapes
    for full, part in zip(noise_all, noise_part):
        np.testing.assert_array_equal(part.numpy(), full.numpy()[3:])
    off = tiny(style_mixing_prob=0.0)
    _, none = off.mixing_draws((tf.range(64), tf.constant(64)), 5)
    assert np.all(none.numpy() == L)


# ------------------------------------------------------------------------ noise
def test_noise_strengths_start_at_zero_so_noise_does_not_matter_at_init():
    model = tiny()
    const = model.generate(4, seed=0)
    np.testing.assert_array_equal(model.generate(4, seed=0, noise_mode="random"), const)
    np.testing.assert_array_equal(model.generate(4, seed=0, noise_mode="none"), const)
    with_noise_strengths(model)
    assert not np.allclose(model.generate(4, seed=0, noise_mode="random"), const, atol=1e-3)
    assert not np.allclose(model.generate(4, seed=0), const, atol=1e-3)


def test_const_noise_is_deterministic_and_random_noise_is_per_seed():
    model = with_noise_strengths(tiny(), 0.5)
    np.testing.assert_array_equal(model.generate(4, seed=2), model.generate(4, seed=2))
    random = model.generate(4, seed=2, noise_mode="random")
    np.testing.assert_array_equal(random, model.generate(4, seed=2, noise_mode="random"))
    # image i's noise depends on (seed, i) only: the first images of a larger batch agree
    np.testing.assert_array_equal(model.generate(6, seed=2, noise_mode="random")[:4], random)
    other = model.synthesize(model.map(model.random_latents(4, 2)), noise_mode="random", seed=3)
    assert not np.allclose(other, random, atol=1e-3)
    assert not np.allclose(random, model.generate(4, seed=2), atol=1e-3)
    # const: the same maps for every image of the batch
    ws = np.repeat(model.map(latents(1)), 3, axis=0)
    const = model.synthesize(ws)
    np.testing.assert_allclose(const[1:], np.broadcast_to(const[0], const[1:].shape), atol=1e-5)
    varied = model.synthesize(ws, noise_mode="random", seed=0)
    assert not np.allclose(varied[0], varied[1], atol=1e-3)


def test_every_layer_has_its_noise_and_its_own_style():
    model = tiny()
    synthesis = model.synthesis
    adain = [layer for layer in synthesis.layers if isinstance(layer, AdaIN)]
    noise = [layer for layer in synthesis.layers if isinstance(layer, NoiseInjection)]
    styles = [layer.index for layer in synthesis.layers if isinstance(layer, SelectStyle)]
    assert len(adain) == len(noise) == model.num_ws == L
    assert styles == list(range(L))
    assert all(layer.per_channel for layer in noise)  # StyleGAN: one strength per channel
    # The last w only changes the output through the last AdaIN: changing it changes
    # the image, and so does changing the first one.
    ws = model.map(latents(2))
    base = model.synthesize(ws)
    for layer in (0, L - 1):
        edited = ws.copy()
        edited[:, layer] += 1.0
        assert not np.allclose(model.synthesize(edited), base, atol=1e-4), layer


# ------------------------------------------------------------- path length in W
def test_path_length_is_measured_in_w_and_trains():
    model = tiny(pl_weight=2.0, pl_every=1)
    model.compile()
    history = model.fit(images(8), batch_size=8, verbose=0).history
    assert history["pl"][0] > 0 and np.isfinite(history["pl"][0])
    assert float(model.pl_mean.numpy()) > 0
    model._zoo.lazy_rows = (tf.constant(0), tf.constant(8))  # as inside the regularizer
    try:
        ws = model.path_length_inputs(tf.constant(latents(4)))
        assert tuple(ws.shape) == (4, L, 8)
        assert tuple(model.path_length_images(ws).shape) == (4, 16, 16, 1)
    finally:
        model._zoo.lazy_rows = None


# ----------------------------------------------------------------- save, export
def test_keras_round_trip_keeps_w_avg_and_the_options(tmp_path):
    model = with_noise_strengths(with_w_avg(tiny(style_mixing_prob=0.5, w_avg_beta=0.99)), 0.3)
    model.compile()
    path = str(tmp_path / "stylegan.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.get_config() == model.get_config()
    assert restored.style_mixing_prob == 0.5 and restored.w_avg_beta == 0.99
    np.testing.assert_array_equal(restored.w_avg.numpy(), model.w_avg.numpy())
    np.testing.assert_array_equal(restored.generate(3, seed=1, psi=0.5),
                                  model.generate(3, seed=1, psi=0.5))


def test_export_with_truncation_serves_in_a_fresh_process(tmp_path):
    model = with_noise_strengths(with_w_avg(tiny()), 0.3)
    z = latents(3, seed=4)
    export = model.export_generator(tmp_path / "g", psi=0.5, truncation_cutoff=3)
    np.save(tmp_path / "z.npy", z)
    report = serve_in_fresh_process(SERVE_STYLE_EXPORT, [export, tmp_path / "z.npy", tmp_path / "out.npz"],
                                    tmp_path)
    assert report == {"imported_zoo": False}
    out = np.load(tmp_path / "out.npz")
    expected = model.generate(3, latents=z, psi=0.5, truncation_cutoff=3)
    np.testing.assert_allclose(out["images"], expected, atol=1e-5)
    np.testing.assert_allclose(out["ws"], model.map(z, psi=0.5, truncation_cutoff=3), atol=1e-6)
    np.testing.assert_allclose(out["from_ws"], expected, atol=1e-5)
    assert not np.allclose(expected, model.generate(3, latents=z), atol=1e-4)


# ---------------------------------------------------------------------- configs
def test_256x256_builds_with_14_ws_and_samples():
    model = kgz.create_model("stylegan", image_shape=(256, 256, 3), latent_dim=16, w_dim=16,
                             mapping_layers=2, base_filters=256, max_filters=8)
    assert model.num_ws == 14 == 2 * 8 - 2
    assert len(model.noise_shapes) == 14 and model.noise_shapes[-1] == (256, 256)
    assert model.generator.output_shape == (None, 256, 256, 3)
    assert model.discriminator.output_shape == (None, 1)
    assert model.generate(1, seed=0).shape == (1, 256, 256, 3)


def test_the_papers_1024_networks_have_the_papers_parameter_counts():
    # 26.2M in the generator, 23.1M in the discriminator (StyleGAN paper, table / code).
    synthesis = stylegan_synthesis((1024, 1024, 3))
    mapping = kgz.models.mapping_network(512)
    assert len(synthesis.inputs) == 1 + 18
    g = synthesis.count_params() + mapping.count_params()
    d = stylegan_discriminator((1024, 1024, 3)).count_params()
    assert round(g / 1e6, 1) == 26.2 and round(d / 1e6, 1) == 23.1
    assert set(CONFIGS) >= {"ffhq_1024", "fashion_mnist_32"}
    assert CONFIGS["fashion_mnist_32"]["image_shape"] == (32, 32, 1)


def test_defaults_are_the_papers():
    model = tiny()
    assert (model.r1_gamma, model.r1_every) == (10.0, 1)
    assert model.ema_half_life_images == 10_000 and model.ema_beta is None
    assert model.style_mixing_prob == 0.9 and model.w_avg_beta == 0.995
    assert model.mapping_lr_multiplier == 0.01
    opts = model.default_optimizers()
    for opt in opts.values():
        assert (float(opt.learning_rate), opt.beta_1, opt.beta_2, opt.epsilon) == (
            pytest.approx(1e-3), 0.0, 0.99, 1e-8)
    assert tiny(ema_beta=0.5).ema_half_life_images is None
    assert not tiny(ema_half_life_images=None).uses_ema
    # The EMA network has the mapping and the synthesis networks (clone_model).
    mapping, synthesis = model.networks(model.ema_generator())
    assert mapping is not model.mapping and synthesis is not model.synthesis
    assert [v.shape for v in mapping.weights] == [v.shape for v in model.mapping.weights]


# ------------------------------------------------------------------ latent tools
def test_style_mixing_grid_cells_are_the_mixed_ws():
    model = with_noise_strengths(tiny(), 0.2)  # (batched convolutions: round-off ~1e-6)
    grid = latent.style_mixing_grid(model, [1, 2], [5, 6, 7], crossover=2)
    assert grid.shape == (3, 4, 16, 16, 1)
    ws_rows = model.map(np.concatenate([model.random_latents(1, s) for s in (1, 2)]))
    ws_cols = model.map(np.concatenate([model.random_latents(1, s) for s in (5, 6, 7)]))
    np.testing.assert_allclose(grid[0, 1:], model.generate(3, latents=np.concatenate(
        [model.random_latents(1, s) for s in (5, 6, 7)])), atol=1e-5)
    np.testing.assert_allclose(grid[1:, 0], model.synthesize(ws_rows), atol=1e-5)
    for i in range(2):
        for j in range(3):
            cell = model.synthesize(mix_styles(ws_cols[j:j + 1], ws_rows[i:i + 1], [2]))
            np.testing.assert_allclose(grid[1 + i, 1 + j], cell[0], atol=1e-5)
    assert np.all(grid[0, 0] == 1.0)
    middle = latent.style_mixing_grid(model, [1], [5], crossover=(2, 4))
    mixed = ws_rows[:1].copy()
    mixed[:, 2:4] = ws_cols[:1, 2:4]
    np.testing.assert_allclose(middle[1, 1], model.synthesize(mixed)[0], atol=1e-5)


def test_truncation_sweep_and_interpolate_w(tmp_path):
    model = with_w_avg(tiny())
    sweep = latent.truncation_sweep(model, [0, 1, 2], psis=(1.0, 0.0, -1.0),
                                    path=tmp_path / "sweep.png")
    assert sweep.shape == (3, 3, 16, 16, 1) and (tmp_path / "sweep.png").exists()
    np.testing.assert_allclose(sweep[:, 1], np.broadcast_to(sweep[0, 1], sweep[:, 1].shape),
                               atol=1e-5)  # psi = 0: every seed at w_avg
    for i, seed in enumerate([0, 1, 2]):
        np.testing.assert_allclose(sweep[i, 0], model.generate(1, seed=seed)[0], atol=1e-5)
    walk = latent.interpolate_w(model, 3, 4, steps=5, path=tmp_path / "walk.png")
    assert walk.ws.shape == (5, L, 8) and walk.images.shape == (5, 16, 16, 1)
    ends = model.map(np.concatenate([model.random_latents(1, 3), model.random_latents(1, 4)]))
    np.testing.assert_allclose(walk.ws[0], ends[0], atol=1e-6)
    np.testing.assert_allclose(walk.ws[-1], ends[1], atol=1e-6)
    np.testing.assert_allclose(walk.ws[2], (ends[0] + ends[1]) / 2, atol=1e-6)  # straight
    np.testing.assert_allclose(walk.images, model.synthesize(walk.ws), atol=1e-5)


def test_latent_tools_refuse_bad_arguments_and_models_without_w():
    dcgan = kgz.create_model("dcgan_tiny", seed=0)
    for call in (lambda: latent.style_mixing_grid(dcgan, [0], [1]),
                 lambda: latent.truncation_sweep(dcgan, [0]),
                 lambda: latent.interpolate_w(dcgan, 0, 1, 4)):
        with pytest.raises(ValueError, match="mapping network"):
            call()
    model = tiny()
    with pytest.raises(ValueError, match="crossover"):
        latent.style_mixing_grid(model, [0], [1], crossover=L + 1)
    with pytest.raises(ValueError, match="crossover"):
        latent.style_mixing_grid(model, [0], [1], crossover=(3, 3))
    with pytest.raises(ValueError, match="list of int seeds"):
        latent.style_mixing_grid(model, 0, [1])
    with pytest.raises(ValueError, match="non-empty list"):
        latent.truncation_sweep(model, [])
    with pytest.raises(ValueError, match="psis"):
        latent.truncation_sweep(model, [0], psis=())
    with pytest.raises(ValueError, match="steps"):
        latent.interpolate_w(model, 0, 1, 1)


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("overrides, message", [
    (dict(image_shape=(28, 28, 1)), r"power-of-two side >= 8.*Pad 28x28"),
    (dict(image_shape=(4, 4, 1)), r"power-of-two side >= 8"),
    (dict(image_shape=(16, 16, 2)), r"1 or 3 channels"),
    (dict(style_mixing_prob=1.5), r"style_mixing_prob"),
    (dict(w_avg_beta=-0.1), r"w_avg_beta"),
    (dict(mapping_layers=0), r"mapping_layers"),
    (dict(num_classes=10), r"unconditional"),
    (dict(base_filters=4), r"leaves no feature maps"),
    (dict(mbstd_group_size=-1), r"mbstd_group_size"),
])
def test_bad_constructor_arguments_raise(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny(**overrides)


def test_bad_sampling_arguments_raise():
    model = tiny()
    with pytest.raises(ValueError, match="psi must be a finite number"):
        model.generate(2, psi="0.7")
    with pytest.raises(ValueError, match="truncation_cutoff"):
        model.generate(2, truncation_cutoff=L + 1)
    with pytest.raises(ValueError, match="noise_mode"):
        model.generate(2, noise_mode="fresh")
    with pytest.raises(ValueError, match=r"latents must have shape \(n, 8\)"):
        model.map(np.zeros((2, 9)))
    with pytest.raises(ValueError, match=r"ws must have shape \(n, 6, 8\)"):
        model.synthesize(np.zeros((2, 5, 8)))
    with pytest.raises(ValueError, match="psi"):
        model.export_generator("/tmp/never_written", psi=float("nan"))
    model.compile()
    with pytest.raises(ValueError, match="minibatch-stddev groups of 4"):
        model.fit(images(6), batch_size=6, verbose=0)
