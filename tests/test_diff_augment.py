"""DiffAugment (Zhao et al. 2020, arXiv:2006.10738): the transforms of
`keras_gan_zoo.augment` and the `diff_augment=` option of the adversarial models."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import (assert_same_weights, images_for, labels_for,
                              max_abs_diff, tiny, weights)
from keras_gan_zoo.augment import POLICIES, diff_augment, normalize_policy, parse_policy
from keras_gan_zoo.models.adversarial.base import _AUGMENT_STREAM

FULL = "color,translation,cutout"
SUPPORTED = [name for name in kgz.registry.list_tiny_models(family="adversarial")
             if name != "lapgan_tiny"]


def seed(a, b=0):
    return tf.constant([a, b], "int64")


def uniform(shape, s=0, low=-1.0, high=1.0):
    return np.random.default_rng(s).uniform(low, high, shape).astype("float32")


def shifted(image, dy, dx):
    """`image` (H, W, C) with its content moved by (dy, dx) pixels, zeros in."""
    h, w = image.shape[:2]
    out = np.zeros_like(image)
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


# ------------------------------------------------------------------ the function
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
def test_shape_and_dtype_are_preserved(dtype, channels):
    x = tf.cast(uniform((4, 16, 12, channels)), dtype)
    for policy in (*POLICIES, FULL):
        out = diff_augment(x, policy, seed(1))
        assert out.dtype == x.dtype and out.shape == x.shape, policy
        assert np.all(np.isfinite(tf.cast(out, "float32").numpy()))
    # 16-bit images are augmented in float32: the result is the float32 one, rounded.
    if dtype in ("float16", "bfloat16"):
        reference = diff_augment(tf.cast(x, "float32"), FULL, seed(1))
        np.testing.assert_array_equal(diff_augment(x, FULL, seed(1)).numpy(),
                                      tf.cast(reference, dtype).numpy())


def test_dynamic_batch_size_and_odd_image_sizes():
    augment = tf.function(lambda images: diff_augment(images, FULL, seed(3)),
                          input_signature=[tf.TensorSpec((None, 15, 9, 3), tf.float32)])
    x = uniform((5, 15, 9, 3), 1)
    np.testing.assert_allclose(augment(x).numpy(), diff_augment(x, FULL, seed(3)).numpy(),
                               atol=1e-6)
    assert augment(x[:2]).shape == (2, 15, 9, 3)


def test_deterministic_per_seed_different_across_seeds():
    x = uniform((6, 16, 16, 3), 2)
    a = diff_augment(x, FULL, seed(5, 1)).numpy()
    np.testing.assert_array_equal(a, diff_augment(x, FULL, seed(5, 1)).numpy())
    np.testing.assert_array_equal(a, diff_augment(x, FULL, np.array([5, 1])).numpy())
    for other in (seed(5, 2), seed(6, 1)):
        assert np.abs(a - diff_augment(x, FULL, other).numpy()).max() > 0.1
    for policy in POLICIES:  # each transform on its own draws too
        b = diff_augment(x, policy, seed(5, 1)).numpy()
        assert np.abs(b - diff_augment(x, policy, seed(9, 9)).numpy()).max() > 0.1, policy


def test_parameters_are_drawn_per_image():
    x = np.repeat(uniform((1, 16, 16, 3), 3), 8, axis=0)
    for policy in (*POLICIES, FULL):
        out = diff_augment(x, policy, seed(4)).numpy()
        distinct = {out[i].tobytes() for i in range(len(out))}
        assert len(distinct) >= 5, policy


def test_rows_take_their_slice_of_the_global_draw():
    """What a replica holding rows 3..6 of a global batch of 10 draws."""
    x = uniform((10, 16, 16, 3), 4)
    full = diff_augment(x, FULL, seed(7)).numpy()
    part = diff_augment(x[3:7], FULL, seed(7), rows=(3, 10)).numpy()
    np.testing.assert_array_equal(part, full[3:7])
    assert np.abs(part - diff_augment(x[3:7], FULL, seed(7)).numpy()).max() > 0.1


@pytest.mark.parametrize("policy", [*POLICIES, FULL])
def test_gradients_flow_to_the_images(policy):
    x = tf.constant(uniform((4, 16, 16, 3), 5, 0.1, 1.0))  # no zero pixel
    w = tf.constant(uniform((4, 16, 16, 3), 6))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = diff_augment(x, policy, seed(8))
        loss = tf.reduce_sum(out * w)
    grad = tape.gradient(loss, x)
    assert grad is not None and np.all(np.isfinite(grad.numpy()))
    assert np.count_nonzero(grad.numpy()) > 0.4 * grad.numpy().size
    if policy == "cutout":  # out = x * mask: the gradient is w * mask
        np.testing.assert_array_equal(grad.numpy(), np.where(out.numpy() == 0, 0, w.numpy()))
    # float16 images: the gradient comes back through the float32 computation.
    x16 = tf.cast(x, "float16")
    with tf.GradientTape() as tape:
        tape.watch(x16)
        loss = tf.reduce_sum(tf.cast(diff_augment(x16, policy, seed(8)), "float32") * w)
    grad16 = tape.gradient(loss, x16)
    assert grad16.dtype == tf.float16 and np.count_nonzero(grad16.numpy()) > 0


def test_translation_moves_content_by_whole_pixels_with_zero_fill():
    h, w = 24, 16  # shifts up to 24 // 8 = 3 rows and 16 // 8 = 2 columns
    image = (np.arange(h * w, dtype="float32").reshape(h, w, 1) + 1) / (h * w)  # unique, > 0
    x = np.repeat(image[None], 96, axis=0)
    out = diff_augment(x, "translation", seed(9)).numpy()
    shifts = []
    for i in range(len(out)):
        matches = [(dy, dx) for dy in range(-3, 4) for dx in range(-2, 3)
                   if np.array_equal(out[i], shifted(image, dy, dx))]
        assert len(matches) == 1, f"image {i} is not an integer shift within range"
        shifts.append(matches[0])
    dys, dxs = {s[0] for s in shifts}, {s[1] for s in shifts}
    assert dys == set(range(-3, 4)) and dxs == set(range(-2, 3))


def test_cutout_zeros_a_rectangle_of_half_the_image():
    h, w = 16, 24  # cutout of 8 x 12, clipped where its centre is near a border
    x = np.full((128, h, w, 1), 0.7, "float32")
    out = diff_augment(x, "cutout", seed(10)).numpy()[..., 0]
    full = 0
    for i in range(len(out)):
        rows, cols = np.nonzero(out[i] == 0)
        r0, r1, c0, c1 = rows.min(), rows.max(), cols.min(), cols.max()
        height, width = r1 - r0 + 1, c1 - c0 + 1
        assert len(rows) == height * width, "the zeros are not a rectangle"
        assert np.all(out[i][out[i] != 0] == np.float32(0.7))  # the rest is untouched
        assert 4 <= height <= 8 and 6 <= width <= 12
        if 0 < r0 and r1 < h - 1:
            assert height == 8
        if 0 < c0 and c1 < w - 1:
            assert width == 12
        full += (height, width) == (8, 12)
    assert full > 10


def test_color_on_gray_images_is_brightness_and_contrast():
    """1 channel: saturation is the identity, so out = (x + b - m) * c + m + ... per image:
    mean shifts by b in [-0.5, 0.5], deviations scale by c in [0.5, 1.5]."""
    x = np.repeat(uniform((1, 16, 16, 1), 11), 512, axis=0)
    out = diff_augment(x, "color", seed(12)).numpy().astype("float64")
    dev_x = x - x.mean(axis=(1, 2, 3), keepdims=True)
    dev_out = out - out.mean(axis=(1, 2, 3), keepdims=True)
    b = out.mean(axis=(1, 2, 3)) - x.mean(axis=(1, 2, 3))
    c = dev_out.std(axis=(1, 2, 3)) / dev_x.std(axis=(1, 2, 3))
    np.testing.assert_allclose(dev_out, dev_x * c[:, None, None, None], atol=1e-5)
    assert -0.5 <= b.min() < -0.45 and 0.45 < b.max() <= 0.5 and abs(b.mean()) < 0.05
    assert 0.5 <= c.min() < 0.55 and 1.45 < c.max() <= 1.5 and abs(c.mean() - 1) < 0.05


def test_color_on_rgb_images_scales_saturation_in_0_2():
    x = np.repeat(uniform((1, 16, 16, 3), 13), 512, axis=0)
    out = diff_augment(x, "color", seed(14)).numpy().astype("float64")
    pixel_mean_x, pixel_mean_out = x.mean(axis=3), out.mean(axis=3)
    # contrast c: the spatial deviations of the per-pixel channel means
    c = (pixel_mean_out - pixel_mean_out.mean(axis=(1, 2), keepdims=True)).std(axis=(1, 2)) / \
        (pixel_mean_x - pixel_mean_x.mean(axis=(1, 2), keepdims=True)).std(axis=(1, 2))
    # saturation s * contrast c: the deviations of each pixel from its channel mean
    sc = (out - pixel_mean_out[..., None]).std(axis=(1, 2, 3)) / \
        (x - pixel_mean_x[..., None]).std(axis=(1, 2, 3))
    s = sc / c
    b = out.mean(axis=(1, 2, 3)) - x.mean(axis=(1, 2, 3))
    assert 0.5 - 1e-5 <= c.min() and c.max() <= 1.5 + 1e-5
    assert 0 <= s.min() < 0.1 and 1.9 < s.max() <= 2 + 1e-5 and abs(s.mean() - 1) < 0.1
    assert -0.5 <= b.min() and b.max() <= 0.5


def test_empty_policy_is_identity_and_names_are_normalized():
    x = uniform((2, 8, 8, 1))
    for policy in (None, "", "  "):
        assert diff_augment(x, policy) is x  # no seed needed: nothing is drawn
        assert parse_policy(policy) == () and normalize_policy(policy) is None
    assert normalize_policy(" cutout , color") == "cutout,color"
    np.testing.assert_array_equal(diff_augment(x, " cutout , color", seed(1)),
                                  diff_augment(x, "cutout,color", seed(1)))


def test_bad_policies_seeds_and_images_raise():
    x = uniform((2, 8, 8, 1))
    with pytest.raises(ValueError, match=r"'colour'.*valid names are 'color', "
                                         r"'translation', 'cutout'"):
        diff_augment(x, "colour,cutout", seed(1))
    with pytest.raises(ValueError, match="more than once"):
        parse_policy("color,cutout,color")
    with pytest.raises(ValueError, match="must be None or a comma-separated string"):
        parse_policy(["color"])
    with pytest.raises(ValueError, match="needs seed="):
        diff_augment(x, "color")
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        diff_augment(x, "color", tf.constant([1, 2, 3]))
    with pytest.raises(ValueError, match="float images of shape"):
        diff_augment(x[0], "color", seed(1))
    with pytest.raises(ValueError, match="float images of shape"):
        diff_augment(np.zeros((2, 8, 8, 1), "uint8"), "color", seed(1))


# ---------------------------------------------------------------- the model option
def _fixed_batch(model, n=8, s=0):
    x = images_for(model, n, s)
    latents = np.random.default_rng(s + 1).standard_normal((n, model.latent_dim)).astype(
        "float32")
    batch = {"images": x, "latents": latents}
    if model.conditional:
        batch["labels"] = labels_for(model, n)
    return batch


@pytest.mark.parametrize("name", SUPPORTED)
def test_every_adversarial_model_trains_with_diff_augment(name):
    model = tiny(name, diff_augment=FULL)
    assert model.get_config()["diff_augment"] == FULL
    model.compile()
    before = weights(model)
    history = model.fit(images_for(model, 16), labels_for(model, 16), batch_size=8,
                        epochs=1, verbose=0).history
    for key, values in history.items():
        assert np.all(np.isfinite(values)), key
    assert max_abs_diff(before, weights(model)) > 0
    assert int(model.generator_optimizer.iterations) == 2
    if name == "wgan_gp_tiny":
        assert history["gp"][0] > 0


@pytest.mark.parametrize("feature_matching", [None, True])
def test_the_discriminator_sees_the_augmented_images(feature_matching, monkeypatch):
    """D's inputs in a step are exactly diff_augment of the real and fake images,
    with the documented draws: distinct for reals, fakes and the generator update."""
    model = tiny("dcgan_tiny", diff_augment=FULL, feature_matching=feature_matching)
    model.compile(run_eagerly=True)
    batch = _fixed_batch(model)
    seen = {"call_discriminator": [], "call_features": []}
    for method in seen:
        original = getattr(model, method)

        def spy(images, *args, _original=original, _log=seen[method], **kwargs):
            _log.append(np.array(images))
            return _original(images, *args, **kwargs)
        monkeypatch.setattr(model, method, spy)

    def expected(images, draw):
        s = model.noise_seed(draw=_AUGMENT_STREAM + draw, per_replica=False)  # step 0
        return diff_augment(images, FULL, s).numpy()

    fake = model.generator(batch["latents"], training=True).numpy()
    want_d = [expected(batch["images"], 0), expected(fake, 1)]
    want_g = [expected(batch["images"], 2), expected(fake, 3)]
    model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(8), epochs=1, verbose=0)

    if feature_matching:  # G's objective: features of augmented reals and fakes
        got_d, got_g = seen["call_discriminator"], seen["call_features"]
    else:  # D: real, fake; G: fake
        got_d, got_g = seen["call_discriminator"][:2], seen["call_discriminator"][2:]
        want_g = want_g[1:]
    assert len(got_d) == 2 and len(got_g) == len(want_g)
    for got, want in zip(got_d + got_g, want_d + want_g):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.abs(got_d[0] - batch["images"]).max() > 0.1
    assert np.abs(got_d[1] - got_g[-1]).max() > 0.1  # G's draw is not D's


def test_diff_augment_changes_training_and_none_does_not():
    """Same networks, same seed: an option of None (or "") trains as a model built
    without it; a policy changes the losses and the weights."""
    plain = tiny("dcgan_tiny")
    initial = plain.get_weights()
    x = images_for(plain, 8)
    runs = {}
    for policy in (None, "", FULL, "translation"):
        model = tiny("dcgan_tiny", diff_augment=policy)
        model.set_weights(initial)
        model.compile()
        runs[policy] = (model.fit(x, batch_size=8, verbose=0, shuffle=False).history,
                        weights(model))
    plain.compile()
    plain.fit(x, batch_size=8, verbose=0, shuffle=False)
    assert max_abs_diff(runs[None][1], weights(plain)) == 0.0
    assert max_abs_diff(runs[""][1], runs[None][1]) == 0.0
    for policy in (FULL, "translation"):
        assert runs[policy][0]["d_loss"] != runs[None][0]["d_loss"]
        assert max_abs_diff(runs[policy][1], runs[None][1]) > 1e-5


def test_round_trip_keeps_the_option_and_resumes_exactly(tmp_path):
    model = tiny("dcgan_tiny", diff_augment="color,cutout")
    model.compile()
    x = images_for(model, 16)
    model.fit(x, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "diffaugment.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.diff_augment == "color,cutout"
    assert restored.get_config() == model.get_config()
    first = model.fit(x, batch_size=8, verbose=0, shuffle=False).history
    again = restored.fit(x, batch_size=8, verbose=0, shuffle=False).history
    assert first == again
    assert max_abs_diff(weights(model), weights(restored)) == 0.0
    # A config written before the option existed loads with it off.
    config = model.get_config()
    del config["diff_augment"]
    assert type(model).from_config(config).diff_augment is None


@pytest.mark.parametrize("name, n", [("dcgan_tiny", 7), ("wgan_gp_tiny", 8)])
def test_mirrored_strategy_matches_one_device(name, n, mirrored_strategy):
    """2 replicas == 1 device: every example gets the same augmentation however the
    batch is split (7 -> 4 + 3; WGAN-GP's d_steps=2 strided minibatches)."""
    single = tiny(name, diff_augment=FULL)
    batch = _fixed_batch(single, n, 3)
    with mirrored_strategy.scope():
        mirrored = tiny(name, diff_augment=FULL)
        mirrored.set_weights(single.get_weights())
        mirrored.compile()
    single.compile()
    initial = weights(single)
    data = tf.data.Dataset.from_tensor_slices(batch).batch(n)
    h_single = single.fit(data, epochs=2, verbose=0).history
    h_mirrored = mirrored.fit(data, epochs=2, verbose=0).history
    assert mirrored_strategy.num_replicas_in_sync == 2
    assert_same_weights(single, mirrored)
    if n % 2 == 0:  # (fit reports the unweighted mean of unequal replicas' losses)
        for key in h_single:
            np.testing.assert_allclose(h_single[key], h_mirrored[key], rtol=1e-4, atol=1e-6)
    assert max_abs_diff(initial, weights(single)) > 1e-4


def test_mixed_bfloat16_trains_with_diff_augment():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = tiny("cgan_tiny", diff_augment=FULL)
    model.compile()
    history = model.fit(images_for(model, 8), labels_for(model, 8), batch_size=8,
                        verbose=0).history
    assert all(np.all(np.isfinite(v)) for v in history.values())


def test_option_validation():
    with pytest.raises(ValueError, match=r"diff_augment: Unknown DiffAugment policy 'flip'"):
        tiny("dcgan_tiny", diff_augment="flip")
    with pytest.raises(ValueError, match=r"diff_augment: .*must be None or"):
        tiny("dcgan_tiny", diff_augment=True)
    for name in ("lapgan_tiny", "vae_gan_tiny"):
        with pytest.raises(ValueError, match=r"does not support diff_augment"):
            tiny(name, diff_augment="color")
        assert tiny(name).get_config()["diff_augment"] is None
    assert tiny("dcgan_tiny", diff_augment=" color , translation").diff_augment == \
        "color,translation"
    assert tiny("dcgan_tiny", diff_augment="").diff_augment is None
