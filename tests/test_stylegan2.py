"""StyleGAN2 (Karras et al. 2020): the skip generator, the residual discriminator,
the w layout, lazy R1 / path length on their steps, the lazy Adam correction, the
presets, the official parameter counts, save and export.

The contract suite (tests/test_contract.py) runs `stylegan2_tiny` like every model
(fit, resume, mixed precision, MirroredStrategy == one device, export); the
StyleBasedGAN machinery (w_avg, truncation, mixing draws, noise modes, latent tools)
is tested once, in tests/test_stylegan.py.
"""

import math

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from contract_helpers import SERVE_STYLE_EXPORT, serve_in_fresh_process
from keras_gan_zoo.layers import ModulatedConv2D, NoiseInjection
from keras_gan_zoo.models.adversarial.style_base import SelectStyle
from keras_gan_zoo.models.adversarial.stylegan2 import (CONFIGS, PRESETS, lazy_adam,
                                                        stylegan2_discriminator,
                                                        stylegan2_synthesis)

L = 6  # ws of the tiny variant (16x16): 2 * log2(16) - 2
SQRT2 = math.sqrt(2.0)
FIR = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0  # the [1, 3, 3, 1] filter, sum 1


def tiny(**overrides):
    return kgz.create_model("stylegan2_tiny", seed=3, **overrides)


def images(n, side=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 1)).astype("float32")


def latents(n, seed=1, dim=8):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


# ------------------------------------------------------- numpy references (NHWC)
def np_fir(x, pad, step=1, gain=1.0):
    """Zero-pad by `pad` = (before, after), filter with FIR * gain (symmetric), keep
    every `step`-th pixel."""
    x = np.pad(x, [(0, 0), pad, pad, (0, 0)])
    h, w = x.shape[1] - 3, x.shape[2] - 3
    out = sum(FIR[a, b] * gain * x[:, a:a + h, b:b + w] for a in range(4) for b in range(4))
    return out[:, ::step, ::step]


def np_upsample(x):
    """StyleGAN2's `upsample_2d`: zeros between pixels, pad (2, 1), FIR * 4."""
    up = np.zeros((x.shape[0], 2 * x.shape[1], 2 * x.shape[2], x.shape[3]))
    up[:, ::2, ::2] = x
    return np_fir(up, (2, 1), gain=4.0)


def np_conv(x, layer, stride=1, padding="same"):
    """An equalized convolution from its stored weights, gain 1: kernel / sqrt(fan_in)."""
    kernel = layer.kernel.numpy().astype("float64")
    kh, kw, cin, cout = kernel.shape
    kernel = kernel / math.sqrt(kh * kw * cin)
    if padding == "same":
        x = np.pad(x, [(0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)])
    h = (x.shape[1] - kh) // stride + 1
    w = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], h, w, cout))
    for a in range(kh):
        for b in range(kw):
            patch = x[:, a:a + stride * (h - 1) + 1:stride, b:b + stride * (w - 1) + 1:stride]
            out += patch @ kernel[a, b]
    if layer.use_bias:
        out += layer.bias.numpy()
    return out


def np_lrelu(x):
    return np.where(x >= 0, x, 0.2 * x) * SQRT2


def outputs_of(network, names, inputs):
    sub = keras.Model(network.inputs, [network.get_layer(n).output for n in names])
    return [np.asarray(y, "float64") for y in sub(inputs)]


# ------------------------------------------------------------------- generator
def test_skip_generator_sums_every_resolutions_rgb_upsampled():
    model = tiny()
    synthesis = model.synthesis
    ws = model.map(latents(4))
    inputs = [ws, *model.inference_noise(4, "none")]
    rgb4, rgb8, rgb16, out = outputs_of(
        synthesis, ["to_rgb_4x4", "to_rgb_8x8", "to_rgb_16x16", "rgb_16x16"], inputs)
    expected = np_upsample(np_upsample(rgb4) + rgb8) + rgb16
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(synthesis(inputs)), expected, rtol=1e-4, atol=1e-5)
    assert np.abs(rgb4).max() > 1e-3 and np.abs(rgb8).max() > 1e-3  # every level counts
    # toRGB is modulated without demodulation: twice its kernel, twice its share.
    layer = synthesis.get_layer("to_rgb_16x16")
    layer.kernel.assign(2.0 * layer.kernel)
    np.testing.assert_allclose(np.asarray(synthesis(inputs)), expected + rgb16, rtol=1e-4,
                               atol=1e-5)


def test_convolutions_are_demodulated_and_toRGB_is_not():
    model = tiny()
    synthesis = model.synthesis
    modulated = {layer.name: layer for layer in synthesis.layers
                 if isinstance(layer, ModulatedConv2D)}
    convs = ["conv_4x4", "conv0_up_8x8", "conv1_8x8", "conv0_up_16x16", "conv1_16x16"]
    rgbs = ["to_rgb_4x4", "to_rgb_8x8", "to_rgb_16x16"]
    assert sorted(modulated) == sorted(convs + rgbs)
    assert all(modulated[n].demodulate and modulated[n].kernel_size == (3, 3) for n in convs)
    assert [modulated[n].up for n in convs] == [1, 2, 1, 2, 1]
    assert all(not modulated[n].demodulate and modulated[n].kernel_size == (1, 1)
               for n in rgbs)
    # Demodulation: the scale of a convolution's weights does not reach the image.
    ws = model.map(latents(3))
    before = model.synthesize(ws, use_ema=False)
    modulated["conv1_8x8"].kernel.assign(5.0 * modulated["conv1_8x8"].kernel)
    np.testing.assert_allclose(model.synthesize(ws, use_ema=False), before, atol=1e-5)
    modulated["conv1_8x8"].kernel.assign(-modulated["conv1_8x8"].kernel)
    assert not np.allclose(model.synthesize(ws, use_ema=False), before, atol=1e-3)


def test_w_layout_toRGB_shares_the_next_convolutions_w():
    model = tiny()
    assert model.num_ws == L == 2 * 4 - 2
    assert model.noise_shapes == [(4, 4), (8, 8), (8, 8), (16, 16), (16, 16)]  # L - 1
    index = {layer.name[:-2]: layer.index for layer in model.synthesis.layers
             if isinstance(layer, SelectStyle)}
    assert index == {"conv_4x4": 0, "to_rgb_4x4": 1, "conv0_up_8x8": 1, "conv1_8x8": 2,
                     "to_rgb_8x8": 3, "conv0_up_16x16": 3, "conv1_16x16": 4,
                     "to_rgb_16x16": 5}
    noise = [layer for layer in model.synthesis.layers if isinstance(layer, NoiseInjection)]
    assert len(noise) == L - 1 and not any(layer.per_channel for layer in noise)
    assert all(layer.strength.shape == () for layer in noise)  # one scalar per layer
    # The last w reaches the image through the last toRGB only.
    ws = model.map(latents(2))
    edited = ws.copy()
    edited[:, L - 1] += 1.0
    names = ["conv1_16x16_lrelu", "to_rgb_16x16"]
    a = outputs_of(model.synthesis, names, [ws, *model.const_noise()])
    b = outputs_of(model.synthesis, names, [edited, *model.const_noise()])
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[1], b[1], atol=1e-4)


# --------------------------------------------------------------- discriminator
def test_residual_block_is_the_official_formula():
    model = tiny()
    d = model.discriminator
    x = images(3)
    h, out = outputs_of(d, ["from_rgb_lrelu", "residual_16x16"], [x])
    np.testing.assert_allclose(h, np_lrelu(np_conv(x, d.get_layer("from_rgb"))),
                               rtol=1e-4, atol=1e-5)
    main = np_lrelu(np_conv(h, d.get_layer("conv0_16x16")))
    main = np_fir(main, (2, 2))                                   # blur, 16 -> 17
    main = np_lrelu(np_conv(main, d.get_layer("conv1_down_16x16"), stride=2,
                            padding="valid"))                     # 17 -> 8
    skip = np_conv(np_fir(h, (1, 1), step=2), d.get_layer("skip_16x16"))  # no bias
    assert d.get_layer("skip_16x16").bias is None
    np.testing.assert_allclose(out, (main + skip) / SQRT2, rtol=1e-4, atol=1e-5)
    assert out.shape == (3, 8, 8, 8)
    # "orig" (the CIFAR-10 configuration) has no skips.
    orig = stylegan2_discriminator((16, 16, 1), 32, 8, architecture="orig")
    assert not [layer for layer in orig.layers if "skip" in layer.name or
                "residual" in layer.name]
    assert orig.count_params() == d.count_params() - 4 * 8 - 8 * 8


# ------------------------------------------------------------- regularization
def test_r1_every_16_and_path_length_every_4_on_their_steps():
    model = tiny()
    assert (model.r1_gamma, model.r1_every, model.pl_weight, model.pl_every) == (10.0, 16,
                                                                               2.0, 4)
    model.compile()
    # One batch per epoch: History holds every step's values.
    logs = model.fit(images(8), batch_size=8, epochs=17, verbose=0, shuffle=False).history
    r1, pl = np.array(logs["r1"]), np.array(logs["pl"])
    assert np.flatnonzero(r1).tolist() == [0, 16]
    assert np.flatnonzero(pl).tolist() == [0, 4, 8, 12, 16]
    assert np.all(np.isfinite(r1)) and np.all(np.isfinite(pl))
    assert float(model.pl_mean.numpy()) > 0


def test_adam_gets_the_official_lazy_correction():
    opt = lazy_adam(0.002, 16)
    assert float(opt.learning_rate) == pytest.approx(0.002 * 16 / 17)
    assert opt.beta_1 == 0.0 and opt.beta_2 == pytest.approx(0.99 ** (16 / 17))
    assert opt.epsilon == 1e-8
    plain = lazy_adam(0.002, 1)  # a non-lazy term: nothing to correct
    assert (float(plain.learning_rate), plain.beta_2) == (pytest.approx(0.002), 0.99)
    opts = tiny().default_optimizers()  # paper: G for pl_every 4, D for r1_every 16
    g, d = opts["generator_optimizer"], opts["discriminator_optimizer"]
    assert float(g.learning_rate) == pytest.approx(0.0016)
    assert g.beta_2 == pytest.approx(0.99 ** 0.8) and g.beta_1 == 0.0
    assert float(d.learning_rate) == pytest.approx(0.002 * 16 / 17)
    assert d.beta_2 == pytest.approx(0.99 ** (16 / 17))
    other = tiny(r1_every=4, learning_rate=0.01).default_optimizers()
    assert float(other["discriminator_optimizer"].learning_rate) == pytest.approx(0.008)
    model = tiny()
    model.compile()
    assert float(model.generator_optimizer.learning_rate) == pytest.approx(0.0016)


# --------------------------------------------------------------------- presets
def test_small_preset_is_the_cifar_config_at_cpu_widths_and_trains():
    # The exact call of benchmarks/time_to_quality.py.
    model = kgz.create_model("stylegan2", image_shape=(32, 32, 1), preset="small")
    assert (model.latent_dim, model.w_dim, model.mapping_layers) == (128, 128, 2)
    assert (model.base_filters, model.max_filters) == (512, 64)
    assert (model.mbstd_group_size, model.d_architecture) == (32, "orig")
    assert (model.r1_gamma, model.r1_every, model.pl_weight) == (0.01, 16, 0.0)
    assert model.style_mixing_prob == 0.0 and model.learning_rate == 0.0025
    assert (model.ema_half_life_images, model.ema_rampup) == (500_000, 0.05)
    assert model.num_ws == 8 and model.generator.output_shape == (None, 32, 32, 1)
    maps = [model.synthesis.get_layer(n).filters for n in
            ("conv_4x4", "conv1_8x8", "conv1_16x16", "conv1_32x32")]
    assert maps == [64, 64, 64, 32]
    assert model.generator.count_params() == 329_195
    assert model.discriminator.count_params() == 278_689
    opts = model.default_optimizers()
    assert float(opts["generator_optimizer"].learning_rate) == pytest.approx(0.002)
    assert float(opts["discriminator_optimizer"].learning_rate) == pytest.approx(
        0.0025 * 16 / 17)
    model.compile()
    history = model.fit(images(32, side=32), batch_size=32, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and history["r1"][0] > 0
    assert "pl" not in history
    assert CONFIGS["fashion_mnist_32"] == dict(image_shape=(32, 32, 1), preset="small")


def test_paper_preset_is_config_f_and_kwargs_override_presets():
    paper = PRESETS["paper"]
    assert (paper["latent_dim"], paper["w_dim"], paper["mapping_layers"]) == (512, 512, 8)
    assert (paper["base_filters"], paper["max_filters"], paper["mbstd_group_size"]) == (
        16384, 512, 4)
    model = tiny()  # the paper preset with tiny widths
    assert (model.d_architecture, model.learning_rate, model.style_mixing_prob) == (
        "resnet", 0.002, 0.9)
    assert (model.r1_gamma, model.pl_weight, model.mapping_lr_multiplier) == (10.0, 2.0, 0.01)
    assert (model.ema_half_life_images, model.ema_rampup, model.w_avg_beta) == (
        10_000, None, 0.995)
    assert model.preset == "paper"
    small = dict(image_shape=(16, 16, 1), preset="small")
    model = kgz.create_model("stylegan2", **small, r1_gamma=1.0, max_filters=16,
                             d_architecture="resnet", style_mixing_prob=0.5, ema_beta=0.9)
    assert (model.r1_gamma, model.max_filters, model.d_architecture) == (1.0, 16, "resnet")
    assert model.style_mixing_prob == 0.5 and model.latent_dim == 128
    assert model.ema_beta == 0.9 and model.ema_half_life_images is None
    assert model.ema_rampup is None
    off = kgz.create_model("stylegan2", **small, ema_half_life_images=None)
    assert not off.uses_ema
    assert kgz.create_model("stylegan2", **small, ema_rampup=None).ema_rampup is None
    # A config restores the same model whatever the preset says.
    restored = type(model).from_config(model.get_config())
    assert restored.get_config() == model.get_config()


def test_the_official_parameter_counts_at_1024_and_256():
    # stylegan2-ada-pytorch's printout at 1024 (`--cfg auto`: fmaps 1 = config F's
    # widths, 2 mapping layers): G 28,794,124 = 2 x 262,656 + synthesis 28,268,812;
    # D 29,012,513. Config F has 8 mapping layers: G = 30,370,060.
    synthesis = stylegan2_synthesis((1024, 1024, 3))
    d = stylegan2_discriminator((1024, 1024, 3))
    assert len(synthesis.inputs) == 1 + 17 and synthesis.inputs[0].shape[1] == 18
    assert synthesis.count_params() == 28_268_812
    assert synthesis.count_params() + kgz.models.mapping_network(512).count_params() \
        == 30_370_060
    assert d.count_params() == 29_012_513
    layers = {"conv_4x4": 2_622_465, "to_rgb_4x4": 264_195, "const_4x4": 8192,
              "conv0_up_128x128": 1_442_561, "conv0_up_1024x1024": 51_297,
              "to_rgb_1024x1024": 16_515}
    for name, count in layers.items():  # + 1 noise strength for the convolutions
        extra = 1 if name.startswith("conv") else 0
        assert synthesis.get_layer(name).count_params() + extra == count, name
    assert d.get_layer("conv_4x4").count_params() == 2_364_416  # 513 maps in (mbstd)
    assert d.get_layer("dense_4x4").count_params() == 4_194_816
    assert d.get_layer("skip_1024x1024").count_params() == 2048
    # 256x256 from the official formula: nf(stage) = min(16384 / 2**stage, 512).
    nf = [min(16384 // 2 ** s, 512) for s in range(9)]
    w = 512

    def modconv(cin, cout, k):
        return k * k * cin * cout + cout + w * cin + cin

    g = 2_101_248 + nf[1] * 16 + modconv(nf[1], nf[1], 3) + 1 + modconv(nf[1], 3, 1)
    dd = 1 * 1 * 3 * nf[7] + nf[7]
    for r in range(3, 9):
        g += modconv(nf[r - 2], nf[r - 1], 3) + modconv(nf[r - 1], nf[r - 1], 3) + 2
        g += modconv(nf[r - 1], 3, 1)
        dd += 9 * nf[r - 1] ** 2 + nf[r - 1] + 9 * nf[r - 1] * nf[r - 2] + nf[r - 2]
        dd += nf[r - 1] * nf[r - 2]
    dd += 9 * (nf[1] + 1) * nf[1] + nf[1] + 16 * nf[1] * nf[0] + nf[0] + nf[0] + 1
    synthesis = stylegan2_synthesis((256, 256, 3))
    assert synthesis.inputs[0].shape[1] == 14 and len(synthesis.inputs) == 14
    assert synthesis.count_params() + 2_101_248 == g == 30_034_338
    assert stylegan2_discriminator((256, 256, 3)).count_params() == dd == 28_864_129


def test_256x256_builds_and_samples():
    model = kgz.create_model("stylegan2", image_shape=(256, 256, 3), latent_dim=16, w_dim=16,
                             mapping_layers=2, base_filters=256, max_filters=8)
    assert model.num_ws == 14 and len(model.noise_shapes) == 13
    assert model.noise_shapes[-1] == (256, 256)
    assert model.generate(1, seed=0).shape == (1, 256, 256, 3)
    assert model.discriminator.output_shape == (None, 1)


# ------------------------------------------------------------------ save, export
def test_keras_round_trip_keeps_the_preset_and_the_optimizers(tmp_path):
    model = kgz.create_model("stylegan2", image_shape=(16, 16, 1), preset="small", seed=1,
                             mbstd_group_size=4, r1_gamma=0.5)
    model.compile()
    model.fit(images(8), batch_size=8, verbose=0)
    path = str(tmp_path / "stylegan2.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.get_config() == model.get_config()
    assert restored.preset == "small" and restored.d_architecture == "orig"
    assert restored.r1_gamma == 0.5 and restored.mbstd_group_size == 4
    for arg in ("generator_optimizer", "discriminator_optimizer"):
        saved, loaded = getattr(model, arg), getattr(restored, arg)
        assert float(loaded.learning_rate) == pytest.approx(float(saved.learning_rate))
        assert loaded.beta_2 == pytest.approx(saved.beta_2)
    np.testing.assert_array_equal(restored.w_avg.numpy(), model.w_avg.numpy())
    np.testing.assert_array_equal(restored.generate(3, seed=1, psi=0.5),
                                  model.generate(3, seed=1, psi=0.5))


def test_export_serves_the_skip_generator_in_a_fresh_process(tmp_path):
    model = tiny()
    model.w_avg.assign(np.random.default_rng(9).standard_normal(8).astype("float32"))
    for layer in model.synthesis.layers:
        if isinstance(layer, NoiseInjection):
            layer.strength.assign(0.3)
    z = latents(3, seed=4)
    export = model.export_generator(tmp_path / "g", psi=0.7)
    np.save(tmp_path / "z.npy", z)
    report = serve_in_fresh_process(SERVE_STYLE_EXPORT, [export, tmp_path / "z.npy", tmp_path / "out.npz"],
                                    tmp_path)
    assert report == {"imported_zoo": False}
    out = np.load(tmp_path / "out.npz")
    expected = model.generate(3, latents=z, psi=0.7)
    np.testing.assert_allclose(out["images"], expected, atol=1e-5)
    np.testing.assert_allclose(out["from_ws"], expected, atol=1e-5)
    np.testing.assert_allclose(out["ws"], model.map(z, psi=0.7), atol=1e-6)
    assert out["ws"].shape == (3, L, 8)


# --------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("overrides, message", [
    (dict(preset="large"), r"preset must be one of \['paper', 'small'\]"),
    (dict(d_architecture="skip"), r"d_architecture must be one of \['resnet', 'orig'\]"),
    (dict(learning_rate=0.0), r"learning_rate must be a positive number"),
    (dict(image_shape=(28, 28, 1)), r"power-of-two side >= 8.*Pad 28x28"),
    (dict(base_filters=4), r"leaves no feature maps"),
    (dict(max_filters=True), r"max_filters must be a positive int"),
    (dict(mbstd_group_size=-1), r"mbstd_group_size"),
    (dict(num_classes=10), r"unconditional"),
])
def test_bad_constructor_arguments_raise(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny(**overrides)


def test_batches_that_do_not_split_into_stddev_groups_raise():
    model = tiny()
    model.compile()
    with pytest.raises(ValueError, match="minibatch-stddev groups of 4"):
        model.fit(images(6), batch_size=6, verbose=0)
