"""video_gan (Mathieu et al. 2015): its losses, scales, loss weights, auto-regressive
prediction, next-frame data and the per-step video metrics, against numpy."""

import numpy as np
import pytest
import tensorflow as tf

import keras
import keras_gan_zoo as kgz
from contract_helpers import max_abs_diff, tiny, training_data, weights
from keras_gan_zoo.metrics import video as video_metrics
from keras_gan_zoo.models.translation import video_gan as vg


def _frames(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_gradient_difference_loss_matches_numpy(alpha):
    pred, true = _frames((3, 6, 5, 2), 1), _frames((3, 6, 5, 2), 2)
    expected = []
    for y, p in zip(true, pred):
        total = 0.0
        for i in range(6):
            for j in range(5):
                for c in range(2):
                    if i > 0:
                        total += abs(abs(y[i, j, c] - y[i - 1, j, c])
                                     - abs(p[i, j, c] - p[i - 1, j, c])) ** alpha
                    if j > 0:
                        total += abs(abs(y[i, j, c] - y[i, j - 1, c])
                                     - abs(p[i, j, c] - p[i, j - 1, c])) ** alpha
        expected.append(total)
    got = float(vg.gradient_difference_loss(pred, true, alpha))
    assert got == pytest.approx(np.mean(expected), rel=1e-5)
    # same gradients, shifted intensities: no GDL
    assert float(vg.gradient_difference_loss(true * 0.5 + 0.3, true * 0.5, alpha)) < 1e-4


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_lp_loss_sums_pixels_and_averages_examples(p):
    pred, true = _frames((4, 5, 5, 1), 3), _frames((4, 5, 5, 1), 4)
    expected = np.mean(np.sum(np.abs(pred - true) ** p, axis=(1, 2, 3)))
    assert float(vg.lp_loss(pred, true, p)) == pytest.approx(expected, rel=1e-5)


# ------------------------------------------------------------------ networks
def test_multi_scale_shapes_and_residual_structure():
    model = kgz.create_model("video_gan", frame_shape=(32, 32, 2), context_frames=3,
                             num_scales=3, base_filters=2, discriminator_filters=2,
                             dense_units=4, seed=0)
    assert model.image_shape == (32, 32, 6) and model.target_shape == (32, 32, 2)
    assert model.scale_factors == [4, 2, 1]
    source = _frames((2, 32, 32, 6))
    scales = model.predict_scales(source)
    assert [tuple(s.shape) for s in scales] == [(2, 8, 8, 2), (2, 16, 16, 2), (2, 32, 32, 2)]
    assert all(s.dtype == tf.float32 for s in scales)
    assert [tuple(c.shape) for c in model.pyramid(source)] == [(2, 8, 8, 6), (2, 16, 16, 6),
                                                               (2, 32, 32, 6)]
    logits = model.judge(model.pyramid(source), scales)
    assert [tuple(logit.shape) for logit in logits] == [(2, 1)] * 3
    # The paper's finest three generators: 5 convolutions + the output at scales 1, 2.
    assert len([l for l in model.generator.layers if l.name.startswith("scale2_conv")]) == 5
    # Residual: with the finest output convolution zeroed, the finest prediction is the
    # bilinear upsampling of the coarser one.
    out = model.generator.get_layer("scale2_out")
    out.set_weights([np.zeros_like(w) for w in out.get_weights()])
    scales = model.predict_scales(source)
    upsampled = tf.image.resize(scales[1], (32, 32), method="bilinear")
    np.testing.assert_allclose(scales[2], np.clip(upsampled, -1, 1), atol=1e-6)
    np.testing.assert_allclose(model.translate(source), scales[2], atol=1e-6)


def _sgd_gradient(model, x, y):
    """The generator's gradient of one fit step, read off an SGD(1) update."""
    before = weights(model.generator)
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)
    return [b - a for b, a in zip(before, weights(model.generator))]


def _manual_gradient(model, x, y, adversarial_weight, lp_weight, gdl_weight):
    """d/dG of the weighted terms, each computed by the model's own pieces."""
    source, target = tf.constant(x), tf.constant(y)
    with tf.GradientTape() as tape:
        predictions = model.predict_scales(source, training=True)
        lp, gdl = model.generator_losses(predictions, model.pyramid(target))
        loss = lp_weight * lp + gdl_weight * gdl
        if adversarial_weight:
            logits = model.judge(model.pyramid(source), predictions, training=True)
            loss += adversarial_weight * tf.add_n(
                [kgz.losses.nonsaturating_g_loss(l) for l in logits]) / model.num_scales
    return [g.numpy() for g in tape.gradient(loss, model.generator.trainable_variables)]


def _relative(a, b):
    return max_abs_diff(a, b) / max(float(np.max(np.abs(g))) for g in b)


@pytest.mark.parametrize("overrides", [dict(adversarial_weight=0.0),
                                       dict(adversarial_weight=0.0, lp_weight=0.0),
                                       dict(adversarial_weight=20.0, gdl_weight=0.5)])
def test_loss_weights_shape_the_generator_gradient(overrides):
    model = tiny("video_gan_tiny", **overrides)
    x, y = training_data(model, 4)
    terms = (model.adversarial_weight, model.lp_weight, model.gdl_weight)
    expected = _manual_gradient(model, x, y, *terms)
    pixel_only = _manual_gradient(model, x, y, 0.0, *terms[1:])
    l2_and_gdl = _manual_gradient(model, x, y, 0.0, 1.0, 1.0)
    # SGD(0) leaves the discriminator as it was, so G's step sees the same D.
    model.compile(generator_optimizer=keras.optimizers.SGD(1.0),
                  discriminator_optimizer=keras.optimizers.SGD(0.0))
    got = _sgd_gradient(model, x, y)
    assert _relative(got, expected) < 1e-5
    if model.adversarial_weight == 0:
        # no discriminator in the loop: it is neither run nor updated
        assert int(model.discriminator_optimizer.iterations.numpy()) == 0
        assert "d_loss" not in [m.name for m in model.metrics]
    else:
        assert int(model.discriminator_optimizer.iterations.numpy()) == 1
        assert _relative(got, pixel_only) > 1e-3  # the adversarial term moved G too
    if model.lp_weight == 0:  # GDL alone: not the gradient of l2 + GDL
        assert _relative(got, l2_and_gdl) > 1e-2


def test_config_round_trip_and_construction_errors():
    model = tiny("video_gan_tiny")
    assert type(model).from_config(model.get_config()).get_config() == model.get_config()
    with pytest.raises(ValueError, match=r"divisible by 2\^\(num_scales - 1\) = 8"):
        kgz.create_model("video_gan", frame_shape=(20, 20, 1), num_scales=4)
    with pytest.raises(ValueError, match=r"num_scales must be in \[1, 4\]"):
        kgz.create_model("video_gan_tiny", num_scales=5)
    with pytest.raises(ValueError, match=r"frame_shape must be"):
        kgz.create_model("video_gan_tiny", frame_shape=(16, 16))
    with pytest.raises(ValueError, match=r"lp_exponent must be a number >= 1"):
        kgz.create_model("video_gan_tiny", lp_exponent=0.5)
    with pytest.raises(ValueError, match=r"adversarial_weight must be a number >= 0"):
        kgz.create_model("video_gan_tiny", adversarial_weight=-1)
    with pytest.raises(TypeError, match=r"frame_shape= and context_frames="):
        kgz.create_model("video_gan_tiny", image_shape=(16, 16, 2))


# ------------------------------------------------------------------ prediction
def test_predict_frames_feeds_its_predictions_back():
    model = tiny("video_gan_tiny")
    context = _frames((3, 2, 16, 16, 1), 5)
    future = model.predict_frames(context, n_future=2)
    assert future.shape == (3, 2, 16, 16, 1) and future.dtype == np.float32
    first = model.translate(vg.stack_frames(context).numpy())
    np.testing.assert_allclose(future[:, 0], first, atol=1e-6)
    fed_back = np.concatenate([context[:, 1:], first[:, None]], axis=1)
    np.testing.assert_allclose(future[:, 1], model.translate(vg.stack_frames(fed_back).numpy()),
                               atol=1e-6)
    assert not np.allclose(future[:, 1], model.translate(vg.stack_frames(context).numpy()))
    single = model.predict_frames(context[0], n_future=3)  # one sequence (k, H, W, C)
    assert single.shape == (3, 16, 16, 1)
    np.testing.assert_allclose(single[:2], future[0], atol=1e-6)


def test_predict_frames_errors_name_the_expected_shapes():
    model = tiny("video_gan_tiny")
    with pytest.raises(ValueError, match=r"\(batch, 2, 16, 16, 1\): 2 context frames of "
                                         r"frame_shape \(16, 16, 1\); got shape \(4, 3, 16"):
        model.predict_frames(_frames((4, 3, 16, 16, 1)), 1)
    with pytest.raises(ValueError, match=r"got shape \(4, 2, 8, 8, 1\)"):
        model.predict_frames(_frames((4, 2, 8, 8, 1)), 1)
    with pytest.raises(ValueError, match=r"n_future must be an int >= 1; got 0"):
        model.predict_frames(_frames((4, 2, 16, 16, 1)), 0)
    with pytest.raises(ValueError, match=r"n_future must be an int >= 1"):
        model.predict_frames(_frames((4, 2, 16, 16, 1)), 1.5)
    with pytest.raises(ValueError, match=r"expected float frames"):
        model.predict_frames(np.zeros((4, 2, 16, 16, 1), "uint8"), 1)
    with pytest.raises(ValueError, match=r"expected frames in \[-1, 1\]"):
        model.predict_frames(_frames((4, 2, 16, 16, 1)) * 3, 1)


# ------------------------------------------------------------------ data
def test_frames_stack_on_channels_and_back():
    frames = _frames((2, 3, 4, 5, 2))
    stacked = vg.stack_frames(frames).numpy()
    assert stacked.shape == (2, 4, 5, 6)
    np.testing.assert_array_equal(stacked[..., 2:4], frames[:, 1])
    np.testing.assert_array_equal(vg.unstack_frames(stacked, 3).numpy(), frames)


def test_next_frame_pairs_are_every_window():
    videos = _frames((2, 5, 4, 4, 1))
    sources, targets = vg.next_frame_pairs(videos, 3)
    assert sources.shape == (4, 4, 4, 3) and targets.shape == (4, 4, 4, 1)
    np.testing.assert_array_equal(sources[1], vg.stack_frames(videos[:1, 1:4]).numpy()[0])
    np.testing.assert_array_equal(targets[3], videos[1, 4])
    with pytest.raises(ValueError, match=r"T > context_frames=5"):
        vg.next_frame_pairs(videos, 5)


def test_next_frame_dataset_from_moving_mnist():
    pairs = vg.next_frame_dataset("moving_mnist", "test", context_frames=2, batch_size=4,
                                  limit=8, frame_size=32)
    videos = kgz.datasets.load("moving_mnist", "test", batch_size=4, limit=8, num_frames=3)
    (source, target), video = next(iter(pairs)), next(iter(videos)).numpy()
    assert source.shape == (4, 32, 32, 2) and target.shape == (4, 32, 32, 1)
    pooled = video.reshape(4, 3, 32, 2, 32, 2, 1).mean(axis=(3, 5))
    np.testing.assert_allclose(target, pooled[:, 2], atol=1e-6)
    np.testing.assert_allclose(source[..., 1], pooled[:, 1, ..., 0], atol=1e-6)
    assert pairs.frame_size == 32 and len(pairs) == 2
    with pytest.raises(ValueError, match="frame_size must divide"):
        vg.next_frame_dataset("moving_mnist", "test", limit=8, frame_size=48)


# ------------------------------------------------------------------ metrics
def _numpy_ssim(a, b, max_val=2.0):
    """SSIM of two 2-D images: 11x11 Gaussian (sigma 1.5) window, valid positions."""
    coords = np.arange(11) - 5.0
    g = np.exp(-coords**2 / (2 * 1.5**2))
    window = np.outer(g, g) / np.sum(np.outer(g, g))

    def filt(x):
        h, w = x.shape
        return np.array([[np.sum(x[i:i + 11, j:j + 11] * window) for j in range(w - 10)]
                         for i in range(h - 10)])

    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    mu_a, mu_b = filt(a), filt(b)
    var_a, var_b = filt(a * a) - mu_a**2, filt(b * b) - mu_b**2
    cov = filt(a * b) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return ssim.mean()


def _numpy_sharpness(p, y, max_val=2.0):
    total, count = 0.0, 0
    for i in range(1, y.shape[0]):
        for j in range(1, y.shape[1]):
            grad_y = abs(y[i, j] - y[i - 1, j]) + abs(y[i, j] - y[i, j - 1])
            grad_p = abs(p[i, j] - p[i - 1, j]) + abs(p[i, j] - p[i, j - 1])
            total += abs(grad_y - grad_p)
            count += 1
    return 10 * np.log10(max_val**2 / (total / count))


def test_frame_scores_match_numpy_per_step():
    truth = np.clip(_frames((3, 2, 16, 16, 1), 6) * 0.5, -1, 1)
    predicted = np.clip(truth + 0.3 * _frames((3, 2, 16, 16, 1), 7), -1, 1)
    scores = video_metrics.frame_scores(predicted, truth)
    for t in range(2):
        p, y = predicted[:, t].astype("float64"), truth[:, t].astype("float64")
        psnr = np.mean([10 * np.log10(4.0 / np.mean((a - b) ** 2)) for a, b in zip(p, y)])
        ssim = np.mean([_numpy_ssim(a[..., 0] + 1, b[..., 0] + 1) for a, b in zip(p, y)])
        sharp = np.mean([_numpy_sharpness(a[..., 0], b[..., 0]) for a, b in zip(p, y)])
        assert scores["psnr"][t] == pytest.approx(psnr, abs=1e-3)
        assert scores["ssim"][t] == pytest.approx(ssim, abs=1e-4)
        assert scores["sharpness"][t] == pytest.approx(sharp, abs=1e-4)
    with pytest.raises(ValueError, match="same shape"):
        video_metrics.frame_scores(predicted[:, :1], truth)
    with pytest.raises(ValueError, match=r"\(N, T, H, W, C\)"):
        video_metrics.frame_scores(predicted[:, 0], truth[:, 0])


def test_evaluate_next_frame_against_the_copy_last_baseline():
    videos = _frames((4, 5, 16, 16, 1), 8)

    def oracle(context, n_future):  # knows the future
        return videos[:, 2:2 + n_future]

    scores = video_metrics.evaluate_next_frame(oracle, videos, context_frames=2, n_future=3)
    assert scores["steps"] == [1, 2, 3] and scores["num_sequences"] == 4
    assert scores["model"]["psnr"] == [float("inf")] * 3
    assert scores["model"]["ssim"] == pytest.approx([1.0] * 3)
    copy = video_metrics.copy_last_frame(videos[:, :2], 3)
    np.testing.assert_array_equal(copy[:, 2], videos[:, 1])
    assert scores["copy_last"] == {k: [round(v, 4) for v in vals] for k, vals in
                                   video_metrics.frame_scores(copy, videos[:, 2:5]).items()}
    model = tiny("video_gan_tiny")
    measured = video_metrics.evaluate_next_frame(model, videos, 2, 2)
    assert len(measured["model"]["sharpness"]) == 2
    with pytest.raises(ValueError, match="cannot give 2 context and 4 future"):
        video_metrics.evaluate_next_frame(model, videos, 2, 4)
