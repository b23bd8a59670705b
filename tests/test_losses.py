"""Tests for keras_gan_zoo.losses (adversarial losses and penalties).

Expected values are written from the formulas with numpy, never by calling the
function under test.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan_zoo import losses

REAL = np.array([1.0, -2.0, 0.5], dtype="float32")
FAKE = np.array([-1.0, 3.0], dtype="float32")  # separate means: sizes may differ


def softplus(x):
    return np.log1p(np.exp(np.asarray(x, dtype="float64")))


def value(t):
    """Asserts a float32 scalar and returns it as a Python float."""
    t = tf.convert_to_tensor(t)
    assert t.dtype == tf.float32
    assert t.shape.rank == 0
    return float(t.numpy())


# ---------------------------------------------------------------------------
# Adversarial losses: values
# ---------------------------------------------------------------------------


def test_minimax_d_loss_value():
    # -E log sigmoid(r) - E log(1 - sigmoid(f)) = mean softplus(-r) + mean softplus(f)
    expected = softplus(-REAL).mean() + softplus(FAKE).mean()
    np.testing.assert_allclose(value(losses.minimax_d_loss(REAL, FAKE)), expected, rtol=1e-6)


def test_nonsaturating_d_loss_equals_minimax():
    expected = softplus(-REAL).mean() + softplus(FAKE).mean()
    np.testing.assert_allclose(
        value(losses.nonsaturating_d_loss(REAL, FAKE)), expected, rtol=1e-6
    )
    np.testing.assert_allclose(
        value(losses.nonsaturating_d_loss(REAL, FAKE, real_label=0.9)),
        value(losses.minimax_d_loss(REAL, FAKE, real_label=0.9)),
        rtol=1e-6,
    )


def test_one_sided_label_smoothing_value():
    t = 0.9
    # BCE(t, x) = -(t log s(x) + (1 - t) log(1 - s(x))) = t softplus(-x) + (1-t) softplus(x);
    # fakes keep target 0.
    real_term = (t * softplus(-REAL) + (1 - t) * softplus(REAL)).mean()
    expected = real_term + softplus(FAKE).mean()
    np.testing.assert_allclose(
        value(losses.minimax_d_loss(REAL, FAKE, real_label=t)), expected, rtol=1e-6
    )


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, True])
def test_real_label_out_of_range_raises(bad):
    with pytest.raises(ValueError, match="real_label"):
        losses.minimax_d_loss(REAL, FAKE, real_label=bad)


def test_minimax_g_loss_value():
    # E log(1 - sigmoid(f)) = -mean softplus(f)
    expected = -softplus(FAKE).mean()
    np.testing.assert_allclose(value(losses.minimax_g_loss(FAKE)), expected, rtol=1e-6)


def test_nonsaturating_g_loss_value():
    # -E log sigmoid(f) = mean softplus(-f)
    expected = softplus(-FAKE).mean()
    np.testing.assert_allclose(value(losses.nonsaturating_g_loss(FAKE)), expected, rtol=1e-6)


def test_least_squares_losses_value():
    # 0.5 * mean((r - 1)^2) + 0.5 * mean((f - 0)^2) = 0.5*(0 + 9 + 0.25)/3 + 0.5*(1 + 9)/2
    expected_d = 0.5 * 9.25 / 3 + 0.5 * 10 / 2
    np.testing.assert_allclose(
        value(losses.least_squares_d_loss(REAL, FAKE)), expected_d, rtol=1e-6
    )
    # a = -1, b = 1: fake term 0.5*((0)^2 + (4)^2)/2 = 4
    expected_ab = 0.5 * 9.25 / 3 + 4.0
    np.testing.assert_allclose(
        value(losses.least_squares_d_loss(REAL, FAKE, a=-1.0, b=1.0)), expected_ab, rtol=1e-6
    )
    # 0.5 * mean((f - 1)^2) = 0.5 * (4 + 4) / 2 = 2
    np.testing.assert_allclose(value(losses.least_squares_g_loss(FAKE)), 2.0, rtol=1e-6)
    # c = 0: 0.5 * (1 + 9) / 2 = 2.5
    np.testing.assert_allclose(value(losses.least_squares_g_loss(FAKE, c=0.0)), 2.5, rtol=1e-6)


def test_wasserstein_losses_value():
    # mean(f) - mean(r) = 1.0 - (-0.5 / 3)
    np.testing.assert_allclose(
        value(losses.wasserstein_d_loss(REAL, FAKE)), 1.0 + 0.5 / 3, rtol=1e-6
    )
    np.testing.assert_allclose(value(losses.wasserstein_g_loss(FAKE)), -1.0, rtol=1e-6)


def test_hinge_losses_value():
    # mean(relu(1 - r)) = (0 + 3 + 0.5)/3 ; mean(relu(1 + f)) = (0 + 4)/2
    np.testing.assert_allclose(
        value(losses.hinge_d_loss(REAL, FAKE)), 3.5 / 3 + 2.0, rtol=1e-6
    )
    np.testing.assert_allclose(value(losses.hinge_g_loss(FAKE)), -1.0, rtol=1e-6)


ALL_D = [
    losses.minimax_d_loss,
    losses.nonsaturating_d_loss,
    losses.least_squares_d_loss,
    losses.wasserstein_d_loss,
    losses.hinge_d_loss,
]
ALL_G = [
    losses.minimax_g_loss,
    losses.nonsaturating_g_loss,
    losses.least_squares_g_loss,
    losses.wasserstein_g_loss,
    losses.hinge_g_loss,
]


@pytest.mark.parametrize("d_fn,g_fn", list(zip(ALL_D, ALL_G)), ids=losses.ADVERSARIAL_LOSSES)
def test_shape_b1_equals_shape_b(d_fn, g_fn):
    np.testing.assert_allclose(
        value(d_fn(REAL[:, None], FAKE[:, None])), value(d_fn(REAL, FAKE)), rtol=1e-6
    )
    np.testing.assert_allclose(value(g_fn(FAKE[:, None])), value(g_fn(FAKE)), rtol=1e-6)


@pytest.mark.parametrize("dtype,atol", [("float16", 2e-3), ("bfloat16", 2e-2)])
@pytest.mark.parametrize("d_fn,g_fn", list(zip(ALL_D, ALL_G)), ids=losses.ADVERSARIAL_LOSSES)
def test_low_precision_logits_give_float32(d_fn, g_fn, dtype, atol):
    rng = np.random.default_rng(0)
    real = rng.normal(size=(8, 1)).astype("float32")
    fake = rng.normal(size=(8, 1)).astype("float32")
    real_lp = tf.cast(real, dtype)
    fake_lp = tf.cast(fake, dtype)
    np.testing.assert_allclose(value(d_fn(real_lp, fake_lp)), value(d_fn(real, fake)), atol=atol)
    np.testing.assert_allclose(value(g_fn(fake_lp)), value(g_fn(fake)), atol=atol)


def test_sigmoid_losses_are_stable_for_large_logits():
    big = np.array([100.0, -100.0], dtype="float32")
    # real logits +-100: softplus(-100) ~ 0, softplus(100) = 100 -> mean 50; fake +-100 -> 50
    np.testing.assert_allclose(value(losses.minimax_d_loss(big, big)), 100.0, rtol=1e-5)
    np.testing.assert_allclose(value(losses.nonsaturating_g_loss([-1000.0])), 1000.0, rtol=1e-6)
    np.testing.assert_allclose(value(losses.minimax_g_loss([1000.0])), -1000.0, rtol=1e-6)


def test_losses_work_in_tf_function_and_tape():
    logits = tf.Variable(FAKE)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = losses.nonsaturating_g_loss(logits)
        return loss, tape.gradient(loss, logits)

    loss, grad = step()
    np.testing.assert_allclose(float(loss), softplus(-FAKE).mean(), rtol=1e-6)
    # d/dx softplus(-x) / n = -sigmoid(-x) / n
    expected_grad = -1.0 / (1.0 + np.exp(FAKE)) / FAKE.size
    np.testing.assert_allclose(grad.numpy(), expected_grad, rtol=1e-5)


# ---------------------------------------------------------------------------
# get()
# ---------------------------------------------------------------------------


def test_get_returns_pairs():
    assert losses.ADVERSARIAL_LOSSES == (
        "minimax",
        "nonsaturating",
        "least_squares",
        "wasserstein",
        "hinge",
    )
    for name, d_fn, g_fn in zip(losses.ADVERSARIAL_LOSSES, ALL_D, ALL_G):
        assert losses.get(name) == (d_fn, g_fn)
    assert losses.get("Least-Squares") == (
        losses.least_squares_d_loss,
        losses.least_squares_g_loss,
    )


@pytest.mark.parametrize("bad", ["wgan", "", None, 3])
def test_get_unknown_name_lists_valid_names(bad):
    with pytest.raises(ValueError) as info:
        losses.get(bad)
    for name in losses.ADVERSARIAL_LOSSES:
        assert name in str(info.value)


# ---------------------------------------------------------------------------
# Gradient penalty
# ---------------------------------------------------------------------------

W = np.array([[[0.5], [-1.0]], [[2.0], [0.25]]], dtype="float32")  # (2, 2, 1) "image"
W_NORM = np.sqrt(0.25 + 1.0 + 4.0 + 0.0625)


class LinearCritic:
    """f(x) = sum(w * x) per example; grad_x f = w for every x."""

    def __init__(self, w):
        self.w = tf.Variable(w)
        self.calls = []

    def __call__(self, x, training=False):
        self.calls.append((x, training))
        return tf.reduce_sum(self.w * x, axis=[1, 2, 3])[:, None]


def quadratic_critic(x, training=False):
    """f(x) = sum(x^2) per example; grad_x f = 2x."""
    return tf.reduce_sum(tf.square(x), axis=list(range(1, x.shape.rank)))


def _batch(seed, n=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2, 2, 1)).astype("float32")


def test_gradient_penalty_linear_critic_value():
    critic = LinearCritic(W)
    gp = losses.gradient_penalty(critic, _batch(0), _batch(1), seed=3)
    np.testing.assert_allclose(value(gp), (W_NORM - 1.0) ** 2, rtol=1e-5)
    assert critic.calls[-1][1] is True  # called with training=True


def test_gradient_penalty_target():
    critic = LinearCritic(W)
    gp = losses.gradient_penalty(critic, _batch(0), _batch(1), seed=3, target=0.0)
    np.testing.assert_allclose(value(gp), W_NORM**2, rtol=1e-5)


def test_gradient_penalty_is_differentiable_wrt_critic_weights():
    critic = LinearCritic(W)
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(critic, _batch(0), _batch(1), seed=3)
    grad = tape.gradient(gp, critic.w)
    assert grad is not None
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    np.testing.assert_allclose(grad.numpy(), 2 * (W_NORM - 1) * W / W_NORM, rtol=1e-4)


def test_gradient_penalty_keras_model_in_tf_function_with_seed_generator():
    model = keras.Sequential(
        [keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)]
    )
    kernel = W.reshape(4, 1)
    model.layers[-1].kernel.assign(kernel)
    seed_gen = keras.random.SeedGenerator(7)

    @tf.function(input_signature=[tf.TensorSpec((None, 2, 2, 1))] * 2)
    def step(real, fake):
        with tf.GradientTape() as tape:
            gp = losses.gradient_penalty(model, real, fake, seed=seed_gen)
        return gp, tape.gradient(gp, model.trainable_variables)

    gp, grads = step(_batch(0), _batch(1))
    np.testing.assert_allclose(float(gp), (W_NORM - 1.0) ** 2, rtol=1e-5)
    np.testing.assert_allclose(
        grads[0].numpy(), 2 * (W_NORM - 1) * kernel / W_NORM, rtol=1e-4
    )


def test_gradient_penalty_explicit_alpha_interpolates():
    real, fake = _batch(0), _batch(1)
    alpha = np.array([0.0, 0.25, 0.5, 1.0], dtype="float32")
    x_hat = real + alpha[:, None, None, None] * (fake - real)

    critic = LinearCritic(W)
    losses.gradient_penalty(critic, real, fake, alpha=alpha)
    np.testing.assert_allclose(critic.calls[-1][0].numpy(), x_hat, rtol=1e-6)
    np.testing.assert_allclose(x_hat[0], real[0])
    np.testing.assert_allclose(x_hat[3], fake[3])

    # Quadratic critic: grad = 2 x_hat, penalty = mean((||2 x_hat|| - 1)^2)
    norms = 2.0 * np.sqrt((x_hat.astype("float64") ** 2).sum(axis=(1, 2, 3)))
    expected = ((norms - 1.0) ** 2).mean()
    gp = losses.gradient_penalty(quadratic_critic, real, fake, alpha=alpha)
    np.testing.assert_allclose(value(gp), expected, rtol=1e-5)


def test_gradient_penalty_random_alpha_is_in_unit_interval_and_seeded():
    real, fake = _batch(0), _batch(1)
    a = value(losses.gradient_penalty(quadratic_critic, real, fake, seed=11))
    b = value(losses.gradient_penalty(quadratic_critic, real, fake, seed=11))
    assert a == b
    # With real = 0 and fake = 1 everywhere, x_hat = alpha, grad = 2 alpha, ||.|| = 4 alpha
    # (4 entries), so alpha in [0, 1] means the penalty lies in [0, 9].
    gp = value(
        losses.gradient_penalty(
            quadratic_critic, np.zeros((64, 2, 2, 1), "float32"), np.ones((64, 2, 2, 1), "float32")
        )
    )
    assert 0.0 <= gp <= 9.0


def test_gradient_penalty_with_conditions():
    def critic(inputs, training=False):
        x, c = inputs  # f(x, c) = c * sum(x): grad_x = c everywhere, norm = 2|c| (4 entries)
        return c * tf.reduce_sum(x, axis=[1, 2, 3])

    c = np.array([0.5, 1.0, 2.0, 0.0], dtype="float32")
    gp = losses.gradient_penalty(critic, _batch(0), _batch(1), conditions=c, seed=1)
    expected = ((2 * np.abs(c) - 1.0) ** 2).mean()
    np.testing.assert_allclose(value(gp), expected, rtol=1e-5)


def test_gradient_penalty_zero_gradient_is_finite():
    # f(x) = w * sum(x^2): at x_hat = 0 the input gradient 2 w x is exactly 0, where a
    # plain sqrt would give an infinite derivative (0 * inf = nan) w.r.t. w.
    w = tf.Variable(1.5)

    def critic(x, training=False):
        return w * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])

    zeros = np.zeros((4, 2, 2, 1), "float32")
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(critic, zeros, zeros, seed=0)
    np.testing.assert_allclose(value(gp), 1.0, atol=1e-5)  # (0 - 1)^2
    grad = tape.gradient(gp, w)
    assert grad is not None and np.isfinite(grad.numpy())
    np.testing.assert_allclose(grad.numpy(), 0.0, atol=1e-6)


def test_gradient_penalty_mixed_bfloat16_critic_returns_float32():
    model = keras.Sequential(
        [
            keras.Input((2, 2, 1)),
            keras.layers.Flatten(dtype="mixed_bfloat16"),
            keras.layers.Dense(1, use_bias=False, dtype="mixed_bfloat16"),
        ]
    )
    model.layers[-1].kernel.assign(W.reshape(4, 1))
    gp = losses.gradient_penalty(model, _batch(0), _batch(1), seed=0)
    np.testing.assert_allclose(value(gp), (W_NORM - 1.0) ** 2, rtol=2e-2)


def test_gradient_penalty_bad_shapes_raise():
    critic = LinearCritic(W)
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(critic, _batch(0, n=4), _batch(1, n=3))
    with pytest.raises(ValueError, match="alpha"):
        losses.gradient_penalty(critic, _batch(0), _batch(1), alpha=np.zeros((4, 1), "float32"))
    with pytest.raises(ValueError, match="alpha"):
        losses.gradient_penalty(critic, _batch(0), _batch(1), alpha=np.zeros((3,), "float32"))


# ---------------------------------------------------------------------------
# R1
# ---------------------------------------------------------------------------


def test_r1_quadratic_critic_value():
    x = np.array([[1.0, 2.0], [3.0, -1.0]], dtype="float32")
    # grad = 2x; ||2x||^2 = 4 * (1 + 4) = 20 and 4 * (9 + 1) = 40; mean = 30
    np.testing.assert_allclose(value(losses.r1_penalty(quadratic_critic, x)), 30.0, rtol=1e-6)
    x4 = _batch(2)
    expected = (4.0 * (x4.astype("float64") ** 2).sum(axis=(1, 2, 3))).mean()
    np.testing.assert_allclose(value(losses.r1_penalty(quadratic_critic, x4)), expected, rtol=1e-5)


def test_r1_is_differentiable_wrt_weights_and_uses_conditions():
    critic = LinearCritic(W)
    with tf.GradientTape() as tape:
        r1 = losses.r1_penalty(critic, _batch(0))
    # grad_x = w -> R1 = ||w||^2, d/dw = 2w
    np.testing.assert_allclose(value(r1), W_NORM**2, rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(r1, critic.w).numpy(), 2 * W, rtol=1e-5)
    assert critic.calls[-1][1] is True

    def cond_critic(inputs, training=False):
        x, c = inputs
        return c * tf.reduce_sum(x, axis=[1, 2, 3])

    c = np.array([1.0, 2.0, 0.0, 3.0], dtype="float32")
    # grad_x = c on 4 entries -> ||.||^2 = 4 c^2; mean(4 * [1, 4, 0, 9]) = 14
    np.testing.assert_allclose(
        value(losses.r1_penalty(cond_critic, _batch(0), conditions=c)), 14.0, rtol=1e-6
    )


# ---------------------------------------------------------------------------
# Weight clipping
# ---------------------------------------------------------------------------


def test_clip_weights_in_place():
    kv = keras.Variable(np.array([[-1.0, 0.005, 2.0]], dtype="float32"))
    tv = tf.Variable(np.array([0.5, -0.02, 0.0], dtype="float32"))
    losses.clip_weights([kv, tv], clip_value=0.01)
    np.testing.assert_allclose(kv.numpy(), [[-0.01, 0.005, 0.01]])
    np.testing.assert_allclose(tv.numpy(), [0.01, -0.01, 0.0])

    single = tf.Variable([3.0, -3.0])
    losses.clip_weights(single, 1.0)
    np.testing.assert_allclose(single.numpy(), [1.0, -1.0])


def test_clip_weights_keras_model_in_tf_function():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    model.layers[0].kernel.assign(np.full((3, 4), 5.0, "float32"))

    @tf.function
    def clip():
        losses.clip_weights(model.trainable_variables, 0.1)

    clip()
    assert np.all(np.abs(model.layers[0].kernel.numpy()) <= 0.1 + 1e-7)
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), 0.1)


@pytest.mark.parametrize("bad", [0.0, -0.01, "0.01", None])
def test_clip_weights_bad_value_raises(bad):
    with pytest.raises(ValueError, match="clip_value"):
        losses.clip_weights([tf.Variable([1.0])], clip_value=bad)
