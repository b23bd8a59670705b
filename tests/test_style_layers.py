"""Layers of the style-based GANs (ProGAN, StyleGAN, StyleGAN2): numerics against plain
Keras / numpy references, initial-state properties, serialization, mixed precision."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan_zoo.layers import (AdaIN, Blur2D, Downsample2D, EqualizedConv2D,
                                  EqualizedConv2DTranspose, EqualizedDense, MinibatchStdDev,
                                  ModulatedConv2D, NoiseInjection, PixelNorm, Upsample2D,
                                  upfirdn2d)
from keras_gan_zoo.layers.fir import fir_filter


def rng(seed=0):
    return np.random.default_rng(seed)


def normal(shape, seed=0):
    return rng(seed).standard_normal(shape).astype("float32")


# ----------------------------------------------------------------- numpy references
def np_conv_same(x, k):
    """Cross-correlation (as tf.nn.conv2d) of x (H, W, I) with k (kh, kw, I, O), 'same', odd k."""
    kh, kw = k.shape[:2]
    xp = np.pad(x, ((kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros(x.shape[:2] + (k.shape[3],))
    for i in range(kh):
        for j in range(kw):
            out += xp[i:i + x.shape[0], j:j + x.shape[1]] @ k[i, j]
    return out


def np_upfirdn(x, k1, up=1, down=1, pad=(0, 0), gain=1.0):
    """The official upfirdn2d semantics, literally: zero insertion, padding, true
    convolution with outer(k, k) / sum * gain, every down-th pixel. x (B, H, W, C)."""
    b, h, w, c = x.shape
    z = np.zeros((b, h * up, w * up, c))
    z[:, ::up, ::up] = x
    z = np.pad(z, ((0, 0), pad, pad, (0, 0)))
    k = np.outer(k1, k1)
    k = k / k.sum() * gain
    n = len(k1)
    oh, ow = z.shape[1] - n + 1, z.shape[2] - n + 1
    out = np.zeros((b, oh, ow, c))
    for y in range(oh):
        for xx in range(ow):
            window = z[:, y:y + n, xx:xx + n]                      # (b, n, n, c)
            out[:, y, xx] = np.einsum("bijc,ij->bc", window, k[::-1, ::-1])
    return out[:, ::down, ::down]


def np_minibatch_stddev(x, group_size, num_new_features, eps=1e-8):
    """Example i is in group i mod M (M = N / G); channel groups are contiguous."""
    n, h, w, c = x.shape
    g = n if group_size is None else min(group_size, n)
    m = n // g
    out = np.zeros((n, h, w, num_new_features))
    cg = c // num_new_features
    for group in range(m):
        members = x[group::m].astype("float64")                     # (G, H, W, C)
        std = np.sqrt(members.var(axis=0) + eps)                    # biased variance
        for f in range(num_new_features):
            out[group::m, :, :, f] = std[..., f * cg:(f + 1) * cg].mean()
    return np.concatenate([x, out], axis=-1)


# ---------------------------------------------------------------- equalized layers
def test_equalized_dense_is_a_dense_layer_with_scaled_kernel_and_bias():
    layer = EqualizedDense(64, gain=1.0, lr_multiplier=0.01, bias_init=0.5)
    x = normal((5, 128))
    y = layer(x).numpy()
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    c = 1.0 / math.sqrt(128) * 0.01
    assert layer.kernel_scale == pytest.approx(c)
    np.testing.assert_allclose(y, x @ (kernel * c) + bias * 0.01, rtol=1e-4, atol=1e-5)
    # Stored weights N(0, 1/lr_multiplier); the effective ones have He's scale; the
    # effective bias starts at bias_init.
    assert kernel.std() == pytest.approx(100.0, rel=0.05)
    assert (kernel * c).std() == pytest.approx(1.0 / math.sqrt(128), rel=0.05)
    np.testing.assert_allclose(bias * 0.01, 0.5, rtol=1e-6)


@pytest.mark.parametrize("strides, padding", [(1, "same"), (2, "same"), (2, "valid")])
def test_equalized_conv_equals_conv2d_with_the_scaled_kernel(strides, padding):
    layer = EqualizedConv2D(6, 3, strides=strides, padding=padding, lr_multiplier=0.5,
                            activation="leaky_relu")
    x = normal((2, 9, 9, 4))
    y = layer(x)
    c = math.sqrt(2.0) / math.sqrt(3 * 3 * 4) * 0.5
    plain = keras.layers.Conv2D(6, 3, strides=strides, padding=padding,
                                activation="leaky_relu")
    plain.build(x.shape)
    layer.bias.assign(normal((6,), seed=1))
    plain.set_weights([layer.kernel.numpy() * c, layer.bias.numpy() * 0.5])
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-5)
    assert y.shape == plain(x).shape


def test_equalized_conv_transpose_equals_conv2d_transpose_with_the_scaled_kernel():
    layer = EqualizedConv2DTranspose(5, 4, strides=2, gain=1.0)
    x = normal((2, 4, 4, 3))
    y = layer(x)
    assert y.shape == (2, 8, 8, 5)
    assert layer.kernel.shape == (4, 4, 5, 3)
    plain = keras.layers.Conv2DTranspose(5, 4, strides=2, padding="same")
    plain.build(x.shape)
    layer.bias.assign(normal((5,), seed=2))
    plain.set_weights([layer.kernel.numpy() / math.sqrt(4 * 4 * 3), layer.bias.numpy()])
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-5)


def test_equalized_gradient_is_the_plain_gradient_times_the_scale():
    """Equalized learning rate: d loss / d stored = c * d loss / d effective weight."""
    layer = EqualizedDense(8, lr_multiplier=0.1)
    x = normal((4, 16))
    layer.build(x.shape)
    c = layer.kernel_scale
    plain = keras.layers.Dense(8)
    plain.build(x.shape)
    plain.set_weights([layer.kernel.numpy() * c, layer.bias.numpy() * 0.1])
    with tf.GradientTape(persistent=True) as tape:
        a = tf.reduce_sum(tf.square(layer(x)))
        b = tf.reduce_sum(tf.square(plain(x)))
    g_eq, g_plain = tape.gradient(a, layer.kernel), tape.gradient(b, plain.kernel)
    np.testing.assert_allclose(g_eq.numpy(), c * g_plain.numpy(), rtol=1e-4, atol=1e-6)
    g_eq_b, g_plain_b = tape.gradient(a, layer.bias), tape.gradient(b, plain.bias)
    np.testing.assert_allclose(g_eq_b.numpy(), 0.1 * g_plain_b.numpy(), rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------- PixelNorm
def test_pixel_norm_gives_unit_mean_square_per_pixel():
    x = normal((3, 5, 5, 16)) * 7.0 + 2.0
    y = PixelNorm()(x).numpy()
    np.testing.assert_allclose((y**2).mean(axis=-1), 1.0, rtol=1e-5)
    expected = x / np.sqrt((x.astype("float64")**2).mean(axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    # Vectors (StyleGAN's z) along their last axis; zeros stay finite.
    z = PixelNorm()(np.zeros((2, 8), "float32")).numpy()
    assert np.all(z == 0)


# ------------------------------------------------------------------ MinibatchStdDev
@pytest.mark.parametrize("batch, group_size, features", [(8, 4, 1), (8, 4, 2), (2, 4, 1),
                                                         (6, None, 3), (12, 3, 1)])
def test_minibatch_stddev_matches_numpy(batch, group_size, features):
    x = normal((batch, 3, 4, 6), seed=batch) * rng(1).uniform(0.5, 3, size=(batch, 1, 1, 1))
    y = MinibatchStdDev(group_size=group_size, num_new_features=features)(x).numpy()
    assert y.shape == (batch, 3, 4, 6 + features)
    np.testing.assert_allclose(y, np_minibatch_stddev(x, group_size, features), rtol=1e-5,
                               atol=1e-6)
    # The statistic of a group of identical examples is sqrt(1e-8).
    same = np.repeat(x[:1], batch, axis=0)
    z = MinibatchStdDev(group_size=group_size, num_new_features=features)(same).numpy()
    np.testing.assert_allclose(z[..., 6:], 1e-4, rtol=1e-3)


def test_minibatch_stddev_rejects_batches_that_do_not_split():
    layer = MinibatchStdDev(group_size=4)
    with pytest.raises(ValueError, match="batch of 6 does not split into groups of 4"):
        layer(np.zeros((6, 2, 2, 3), "float32"))
    fn = tf.function(layer.call, input_signature=[tf.TensorSpec((None, 2, 2, 3))])
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiple of group_size=4"):
        fn(tf.zeros((6, 2, 2, 3)))
    assert fn(tf.zeros((8, 2, 2, 3))).shape == (8, 2, 2, 4)
    with pytest.raises(ValueError, match="must divide the 3 channels"):
        MinibatchStdDev(num_new_features=2)(np.zeros((4, 2, 2, 3), "float32"))


def test_minibatch_stddev_is_per_replica_under_a_strategy(mirrored_strategy):
    x = normal((8, 2, 2, 3), seed=5)
    with mirrored_strategy.scope():
        layer = MinibatchStdDev(group_size=4)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(8)
    dist = mirrored_strategy.experimental_distribute_dataset(dataset)
    batch = next(iter(dist))
    out = mirrored_strategy.run(layer, args=(batch,))
    parts = [t.numpy() for t in mirrored_strategy.experimental_local_results(out)]
    inputs = [t.numpy() for t in mirrored_strategy.experimental_local_results(batch)]
    assert [p.shape[0] for p in parts] == [4, 4]
    for part, inp in zip(parts, inputs):
        np.testing.assert_allclose(part, np_minibatch_stddev(inp, 4, 1), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- AdaIN
def test_adain_output_moments_are_the_style():
    layer = AdaIN()
    x = normal((3, 6, 6, 5)) * 4.0 + 3.0
    w = normal((3, 7), seed=1)
    y = layer([x, w]).numpy()
    scale, shift = (t.numpy() for t in layer.styles(w))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), shift, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), np.abs(scale), rtol=1e-4)
    # The style is the equalized affine of w (gain 1): scale's bias starts at 1, shift's at 0.
    a = layer.style_scale
    np.testing.assert_allclose(scale, w @ a.kernel.numpy() / math.sqrt(7) + 1.0, rtol=1e-5)
    z = layer([x, np.zeros_like(w)]).numpy()  # w = 0: plain instance normalization
    np.testing.assert_allclose(z.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(1, 2)), 1.0, rtol=1e-4)


# ------------------------------------------------------------------- NoiseInjection
def test_noise_injection_is_the_identity_at_initialization():
    x = normal((2, 4, 4, 3))
    for mode in ("random", "const", "none"):
        np.testing.assert_array_equal(NoiseInjection(noise_mode=mode)(x).numpy(), x)
    np.testing.assert_array_equal(NoiseInjection()(x, seed=3).numpy(), x)


def test_noise_injection_sources():
    x = normal((2, 4, 4, 3))
    layer = NoiseInjection()
    layer.build(x.shape)
    strength = np.array([0.5, -1.0, 2.0], "float32")
    layer.strength.assign(strength)
    noise = normal((2, 4, 4, 1), seed=9)
    np.testing.assert_allclose(layer(x, noise=noise).numpy(), x + noise * strength, rtol=1e-6)
    # Stateless: the same seed gives the same noise, graph or eager; another seed differs.
    seed = tf.constant([7, 11], "int64")
    a = layer(x, seed=seed).numpy()
    b = tf.function(lambda t, s: layer(t, seed=s))(tf.constant(x), seed).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, layer(x, seed=tf.constant([7, 12], "int64")).numpy())
    drawn = (a - x)[..., 0] / 0.5
    np.testing.assert_allclose((a - x) / strength, drawn[..., None] * np.ones(3), rtol=1e-4,
                               atol=1e-5)  # one noise image for every channel
    assert not np.allclose(drawn[0], drawn[1])  # per example
    other = NoiseInjection(stream=layer.stream_id + 1)
    other.build(x.shape)
    other.strength.assign(strength)
    assert not np.allclose(a, other(x, seed=seed).numpy())  # streams differ
    # const: one map shared by the batch, the same at every call; none: identity.
    c1, c2 = layer(x, noise_mode="const").numpy(), layer(x, noise_mode="const").numpy()
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_allclose(c1[0] - x[0], c1[1] - x[1], atol=1e-5)
    np.testing.assert_array_equal(layer(x, noise_mode="none").numpy(), x)
    # Without a seed: Keras's stateful generator, fresh noise each call.
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    scalar = NoiseInjection(per_channel=False)
    scalar.build(x.shape)
    assert tuple(scalar.strength.shape) == ()
    with pytest.raises(ValueError, match="noise must have shape"):
        layer(x, noise=np.zeros((2, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match="seed must be"):
        layer(x, seed=tf.constant([1.0, 2.0]))


# ------------------------------------------------------------------ ModulatedConv2D
def naive_modulated_conv(layer, x, w):
    """Per example: its own modulated (and demodulated) kernel, convolved in numpy."""
    a = layer.affine
    styles = w @ (a.kernel.numpy() * a.kernel_scale) + a.bias.numpy()   # (B, in)
    kernel = layer.kernel.numpy().astype("float64") * layer.kernel_scale
    if layer.up == 2:
        x = np_upfirdn(x, layer.resample_kernel, up=2, pad=(2, 1), gain=4.0)
    out = []
    for b in range(x.shape[0]):
        k = kernel * styles[b][None, None, :, None]
        if layer.demodulate:
            k = k / np.sqrt((k**2).sum(axis=(0, 1, 2), keepdims=True) + 1e-8)
        out.append(np_conv_same(x[b], k) + layer.bias.numpy())
    return np.stack(out)


@pytest.mark.parametrize("kernel_size, demodulate, up", [(3, True, 1), (3, False, 1),
                                                         (1, False, 1), (3, True, 2)])
def test_modulated_conv_matches_a_naive_per_example_convolution(kernel_size, demodulate, up):
    layer = ModulatedConv2D(4, kernel_size, demodulate=demodulate, up=up)
    x = normal((3, 5, 5, 6))
    w = normal((3, 8), seed=1)
    layer([x, w])
    layer.bias.assign(normal((4,), seed=2))
    layer.affine.bias.assign(1.0 + 0.3 * normal((6,), seed=3))
    y = layer([x, w]).numpy()
    assert y.shape == (3, 5 * up, 5 * up, 4)
    np.testing.assert_allclose(y, naive_modulated_conv(layer, x, w), rtol=1e-4, atol=1e-4)


def test_demodulation_gives_unit_variance_outputs_at_initialization():
    x = normal((2, 34, 34, 16))
    w = normal((2, 8), seed=1)
    y = ModulatedConv2D(8, 3, use_bias=False)([x, w]).numpy()[:, 1:-1, 1:-1]
    variances = y.var(axis=(1, 2))                  # (B, filters), 1024 pixels each
    assert variances.mean() == pytest.approx(1.0, abs=0.05)
    assert np.all(np.abs(variances - 1.0) < 0.2)
    raw = ModulatedConv2D(8, 3, use_bias=False, demodulate=False)([x, 5.0 * w]).numpy()
    assert abs(raw[:, 1:-1, 1:-1].var() - 1.0) > 0.2  # without demodulation it depends on w


# --------------------------------------------------------------------------- FIR
def test_fir_filter_sums_to_one_and_blur_keeps_constants():
    k = fir_filter((1, 3, 3, 1))
    assert k.shape == (4, 4) and k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(k, np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0)
    x = np.full((1, 8, 8, 2), 0.7, "float32")
    y = Blur2D()(x).numpy()
    assert y.shape == x.shape
    np.testing.assert_allclose(y[:, 2:-2, 2:-2], 0.7, rtol=1e-6)
    up = Upsample2D()(x).numpy()
    assert up.shape == (1, 16, 16, 2)
    np.testing.assert_allclose(up[:, 2:-2, 2:-2], 0.7, rtol=1e-6)
    down = Downsample2D()(x).numpy()
    assert down.shape == (1, 4, 4, 2)
    np.testing.assert_allclose(down[:, 1:-1, 1:-1], 0.7, rtol=1e-6)


def test_fir_resampling_with_a_box_kernel_is_nearest_and_average_pooling():
    x = normal((2, 4, 6, 3))
    up = Upsample2D(kernel=(1, 1))(x).numpy()
    np.testing.assert_allclose(up, x.repeat(2, axis=1).repeat(2, axis=2), rtol=1e-6)
    down = Downsample2D(kernel=(1, 1))(x).numpy()
    pooled = keras.layers.AveragePooling2D(2)(x).numpy()
    np.testing.assert_allclose(down, pooled, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel, up, down, pad", [((1, 3, 3, 1), 2, 1, (2, 1)),
                                                   ((1, 3, 3, 1), 1, 2, (1, 1)),
                                                   ((1, 3, 3, 1), 1, 1, (2, 2)),
                                                   ((1, 2, 5), 2, 1, (1, 2)),
                                                   ((1, 2, 5), 1, 2, (0, 1))])
def test_upfirdn2d_matches_the_numpy_definition(kernel, up, down, pad):
    """An asymmetric kernel checks the flip (true convolution) and the pad order."""
    x = normal((2, 6, 6, 3))
    gain = float(up**2)
    y = upfirdn2d(x, kernel, up=up, down=down, pad=pad, gain=gain).numpy()
    np.testing.assert_allclose(y, np_upfirdn(x, kernel, up, down, pad, gain), rtol=1e-5,
                               atol=1e-6)


def test_fir_layers_use_the_official_paddings():
    x = normal((1, 8, 8, 2))
    k = (1, 3, 3, 1)
    np.testing.assert_allclose(Upsample2D()(x).numpy(),
                               np_upfirdn(x, k, up=2, pad=(2, 1), gain=4.0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(Downsample2D()(x).numpy(),
                               np_upfirdn(x, k, down=2, pad=(1, 1)), rtol=1e-5, atol=1e-6)
    y = Blur2D(padding=(2, 2))(x)
    assert y.shape == (1, 9, 9, 2)
    assert EqualizedConv2D(4, 3, strides=2, padding="valid")(y).shape == (1, 4, 4, 4)


# ---------------------------------------------------- configs, saving, precision
def all_layers():
    return [EqualizedDense(4, lr_multiplier=0.01, bias_init=1.0, activation="relu"),
            EqualizedConv2D(3, (3, 1), strides=2, padding="valid", gain=1.0),
            EqualizedConv2DTranspose(3, 4), PixelNorm(epsilon=1e-6),
            MinibatchStdDev(group_size=None, num_new_features=2), AdaIN(lr_multiplier=0.5),
            NoiseInjection(per_channel=False, noise_mode="const", stream=3),
            ModulatedConv2D(5, 1, demodulate=False, up=2, resample_kernel=(1, 2, 1),
                            activation="tanh"),
            Blur2D(kernel=(1, 2, 1), padding=(1, 1)), Upsample2D(3, kernel=(1, 1, 1)),
            Downsample2D(kernel=(1, 1))]


def test_get_config_round_trip():
    for layer in all_layers():
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config, type(layer).__name__
        serialized = keras.saving.serialize_keras_object(layer)
        assert type(keras.saving.deserialize_keras_object(serialized)) is type(layer)


def small_style_model():
    x_in = keras.Input((8, 8, 4))
    w_in = keras.Input((6,))
    n_in = keras.Input((16, 16, 1))
    w = EqualizedDense(6, lr_multiplier=0.01, activation="leaky_relu")(PixelNorm()(w_in))
    h = EqualizedConv2D(8, 3, activation="leaky_relu")(x_in)
    h = PixelNorm()(h)
    h = AdaIN()([h, w])
    h = ModulatedConv2D(8, 3, up=2)([h, w])
    h = NoiseInjection(name="noise_explicit")(h, noise=n_in)
    h = NoiseInjection(per_channel=False, noise_mode="const", name="noise_const")(h)
    h = AdaIN()([h, w])                                  # a second one: sublayer names repeat
    h = ModulatedConv2D(8, 1, demodulate=False)([h, w])  # toRGB-like
    h = Blur2D()(h)
    h = Downsample2D()(h)
    h = Upsample2D()(h)
    h = EqualizedConv2DTranspose(4, 4, strides=2)(h)
    h = MinibatchStdDev(group_size=2)(h)
    h = keras.layers.Flatten()(h)
    out = EqualizedDense(1, gain=1.0, dtype="float32")(h)
    return keras.Model([x_in, w_in, n_in], out)


def model_inputs():
    return [normal((4, 8, 8, 4)), normal((4, 6), seed=1), normal((4, 16, 16, 1), seed=2)]


def test_keras_save_and_load_of_a_model_using_every_layer(tmp_path):
    model = small_style_model()
    for name in ("noise_explicit", "noise_const"):
        strength = model.get_layer(name).strength
        strength.assign(np.full(strength.shape, 0.3, "float32"))
    inputs = model_inputs()
    expected = model(inputs).numpy()
    path = str(tmp_path / "style_layers.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)
    # The const noise (from the layer's saved name) and the explicit noise both matter.
    off = model_inputs()
    off[2] = np.zeros_like(off[2])
    assert not np.allclose(loaded(off).numpy(), expected)


def test_gradients_reach_every_weight():
    model = small_style_model()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(model(model_inputs())))
    grads = tape.gradient(loss, model.trainable_variables)
    names = [v.path for v in model.trainable_variables]
    assert len(names) >= 16
    for name, grad in zip(names, grads):
        assert grad is not None, name
        assert np.all(np.isfinite(grad.numpy())), name
        assert np.abs(grad.numpy()).sum() > 0, name


@pytest.mark.parametrize("policy, dtype", [("mixed_float16", "float16"),
                                           ("mixed_bfloat16", "bfloat16")])
def test_mixed_precision_outputs_are_finite_in_the_compute_dtype(policy, dtype):
    keras.mixed_precision.set_global_policy(policy)
    x = normal((4, 8, 8, 4)) * 30.0
    big = x * 10.0   # squares above float16's range (65504): statistics in float32
    w = normal((4, 6), seed=1)
    noise_layer = NoiseInjection()
    cases = [(EqualizedDense(5), w), (EqualizedConv2D(5, 3), x),
             (EqualizedConv2DTranspose(5, 4), x), (PixelNorm(), big), (MinibatchStdDev(), big),
             (Blur2D(), x), (Upsample2D(), x), (Downsample2D(), x)]
    outputs = [layer(inp) for layer, inp in cases]
    adain = AdaIN()
    outputs += [adain([big, w]), ModulatedConv2D(5, 3, up=2)([x, w]),
                ModulatedConv2D(5, 1, demodulate=False)([x, w]), noise_layer(x, seed=1),
                noise_layer(x, noise_mode="const"), noise_layer(x)]
    for out in outputs:
        assert out.dtype == dtype
        assert np.all(np.isfinite(tf.cast(out, "float32").numpy()))
    np.testing.assert_allclose(
        tf.cast(PixelNorm()(big), "float32").numpy() ** 2 @ np.full(4, 0.25), 1.0, rtol=0.02)
    np.testing.assert_allclose(tf.cast(outputs[8], "float32").numpy().std(axis=(1, 2)),
                               np.abs(tf.cast(adain.styles(w)[0], "float32").numpy()), rtol=0.02)
    for layer in [c[0] for c in cases] + [noise_layer, adain]:
        assert all(v.dtype == "float32" for v in layer.trainable_variables)


@pytest.mark.parametrize("make", [
    lambda: EqualizedDense(0), lambda: EqualizedDense(4, lr_multiplier=0),
    lambda: EqualizedConv2D(4, 3, padding="causal"), lambda: EqualizedConv2D(4, (3, 0)),
    lambda: PixelNorm(epsilon=-1.0), lambda: MinibatchStdDev(group_size=0),
    lambda: MinibatchStdDev(num_new_features=True), lambda: NoiseInjection(noise_mode="off"),
    lambda: NoiseInjection(per_channel="yes"), lambda: ModulatedConv2D(4, 2),
    lambda: ModulatedConv2D(4, 3, up=4), lambda: ModulatedConv2D(4, 3, up=True),
    lambda: Blur2D(kernel=()), lambda: Blur2D(padding="valid"), lambda: Upsample2D(1),
    lambda: Downsample2D(4, kernel=(1, 3, 1)), lambda: AdaIN(epsilon="small"),
])
def test_bad_arguments_raise_value_errors(make):
    with pytest.raises(ValueError):
        make()


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="two inputs"):
        AdaIN()(normal((1, 4, 4, 2)))
    with pytest.raises(ValueError, match="w of shape"):
        ModulatedConv2D(3)([normal((1, 4, 4, 2)), normal((1, 2, 2))])
    with pytest.raises(ValueError, match="images"):
        EqualizedConv2D(3, 3)(normal((2, 5)))
