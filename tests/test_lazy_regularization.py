"""Lazy regularization (StyleGAN2, arXiv:1912.04958, appendix B): R1 on real images
(`r1_gamma`, `r1_every`) and path-length regularization of the generator (`pl_weight`,
`pl_every`, `pl_decay`, `pl_batch_shrink`), options of every adversarial model.

Most tests use `TinyGAN`, two small dense networks (no batch norm, as StyleGAN2), so a
step takes milliseconds and the numbers can be computed by hand.
"""

import contextlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import losses
from keras_gan_zoo.models import AdversarialModel
from contract_helpers import assert_same_weights

SIDE, LATENT = 4, 3


@keras.saving.register_keras_serializable(package="test_lazy_regularization")
class TinyGAN(AdversarialModel):
    """Dense G: z -> tanh(8) -> 4x4x1 tanh; dense D: 4x4x1 -> tanh(hidden) -> logit.

    `hidden=0` makes D linear, `D(x) = w.x + b`, whose input gradient is `w` for
    every image: R1 = ||w||^2. `scale` builds D with constant weights of that size
    instead (its input gradient, 16 * scale^2 per pixel, overflows float16 for
    scale=70)."""

    def __init__(self, hidden=8, scale=None, latent_dim=LATENT, **kwargs):
        z = keras.Input((latent_dim,))
        h = keras.layers.Dense(8, activation="tanh", name="g_hidden")(z)
        h = keras.layers.Dense(SIDE * SIDE, activation="tanh", dtype="float32",
                               name="g_out")(h)
        generator = keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1), dtype="float32")(h),
                                name="generator")
        x = keras.Input((SIDE, SIDE, 1))
        f = keras.layers.Flatten()(x)
        if scale is not None:
            constant = keras.initializers.Constant(scale)
            f = keras.layers.Dense(16, use_bias=False, kernel_initializer=constant,
                                   name="d_hidden")(f)
            logit = keras.layers.Dense(1, use_bias=False, kernel_initializer=constant,
                                       dtype="float32", name="logit")(f)
        else:
            if hidden:
                f = keras.layers.Dense(hidden, activation="tanh", name="d_hidden")(f)
            logit = keras.layers.Dense(1, dtype="float32", name="logit")(f)
        super().__init__(generator=generator,
                         discriminator=keras.Model(x, logit, name="discriminator"),
                         latent_dim=latent_dim, **kwargs)
        self.hidden, self.scale = hidden, scale

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden, "scale": self.scale}


def images(n=8, seed=0):
    """Images on a grid of 1/8 in [-1, 1]: exact in float16 too."""
    return (np.random.default_rng(seed).integers(-8, 9, (n, SIDE, SIDE, 1)) / 8).astype(
        "float32")


def per_step_logs(model, x, steps, **kwargs):
    """fit one batch per epoch for `steps` epochs: History holds each step's values."""
    return model.fit(x, batch_size=len(x), epochs=steps, verbose=0, shuffle=False,
                     **kwargs).history


def twin(model, **kwargs):
    """A TinyGAN like `model` (same weights) with other options."""
    other = TinyGAN(hidden=model.hidden, seed=model.seed, **kwargs)
    other.set_weights(model.get_weights())
    return other


# ------------------------------------------------------------------------- R1
def test_r1_runs_every_r1_every_steps_and_is_multiplied_by_it():
    gamma, every, lr = 0.5, 2, 0.1
    model = TinyGAN(hidden=0, seed=0, r1_gamma=gamma, r1_every=every)
    plain = twin(model)
    kernels = []
    model.compile(generator_optimizer=keras.optimizers.SGD(lr),
                  discriminator_optimizer=keras.optimizers.SGD(lr))
    plain.compile(generator_optimizer=keras.optimizers.SGD(lr),
                  discriminator_optimizer=keras.optimizers.SGD(lr))
    w0 = model.discriminator.get_layer("logit").kernel.numpy().copy()
    x = images()
    plain.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False)
    record = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs=None: kernels.append(
        model.discriminator.get_layer("logit").kernel.numpy().copy()))
    logs = per_step_logs(model, x, 4, callbacks=[record])
    # D(x) = w.x + b: grad_x D = w for every image, R1 = gamma / 2 * ||w||^2, times 2.
    expected = [every * gamma / 2 * float(np.sum(k ** 2)) if step % every == 0 else 0.0
                for step, k in enumerate(kernels)]
    np.testing.assert_allclose(logs["r1"], expected, rtol=1e-5)
    assert expected[0] > 0 and logs["r1"][1] == 0.0 and logs["r1"][3] == 0.0
    # The penalty's gradient, every * gamma * w, is in the first update (SGD: lr times it).
    after_plain = plain.discriminator.get_layer("logit").kernel.numpy()
    np.testing.assert_allclose(kernels[1] - after_plain, -lr * every * gamma * w0,
                               rtol=1e-4, atol=1e-7)


class NonLazyR1(TinyGAN):
    """R1 through the every-update penalty hook: the reference for r1_every=1."""

    def __init__(self, gamma=1.0, **kwargs):
        super().__init__(**kwargs)
        self.gamma = gamma
        self.add_tracker("r1_plain")

    def discriminator_penalties(self, real_images, fake_images):
        return {"r1_plain": 0.5 * self.gamma * losses.r1_penalty(self.discriminator,
                                                                   real_images)}


def test_r1_every_1_is_the_non_lazy_penalty():
    lazy = TinyGAN(seed=1, r1_gamma=3.0, r1_every=1)
    reference = NonLazyR1(gamma=3.0, seed=1)
    reference.set_weights(lazy.get_weights())
    for model in (lazy, reference):
        model.compile()
    x = images(8, 1)
    logs_lazy = per_step_logs(lazy, x, 3)
    logs_reference = per_step_logs(reference, x, 3)
    np.testing.assert_allclose(logs_lazy["r1"], logs_reference["r1_plain"], rtol=1e-5)
    assert min(logs_lazy["r1"]) > 0
    for a, b in zip(lazy.trainable_weights, reference.trainable_weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_r1_of_a_conditional_model_uses_the_labels():
    model = kgz.create_model("cgan_tiny", seed=0, r1_gamma=2.0)
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (6, 16, 16, 1)), "float32")
    labels = tf.constant([0, 1, 2, 0, 1, 2], "int32")
    value = float(model.r1_regularizer(real, None, labels))
    expected = float(losses.r1_penalty(model.discriminator, real, conditions=labels))
    np.testing.assert_allclose(value, 0.5 * 2.0 * expected, rtol=1e-5)
    other = float(model.r1_regularizer(real, None, tf.constant([2, 2, 2, 1, 1, 1], "int32")))
    assert abs(other - value) > 1e-4 * value  # the labels reach the discriminator


@pytest.mark.parametrize("name, head", [
    ("acgan_tiny", lambda outputs: outputs[0]),        # (adversarial logit, classes)
    ("infogan_tiny", lambda outputs: outputs["logit"]),  # the Q head's outputs beside
    ("lapgan_tiny", lambda outputs: tf.add_n([tf.cast(o, "float32") for o in outputs])),
])
def test_r1_and_path_length_reach_the_other_discriminator_outputs(name, head):
    """R1 penalizes the adversarial logit of ACGAN's two heads and InfoGAN's dict, and
    the sum of LAPGAN's level logits; path length runs through each generator."""
    model = kgz.create_model(name, seed=0, r1_gamma=2.0, pl_weight=2.0)
    rng = np.random.default_rng(0)
    real = tf.constant(rng.uniform(-1, 1, (4, *model.image_shape)), "float32")
    labels = tf.constant(np.arange(4) % model.num_classes, "int32") if model.conditional \
        else None
    expected = losses.r1_penalty(
        lambda x, training: head(model.call_discriminator(x, labels, training=True)), real)
    value = model.r1_regularizer(real, None, labels)
    np.testing.assert_allclose(float(value), 0.5 * 2.0 * float(expected), rtol=1e-5)
    assert float(value) > 0
    latents = tf.constant(model.random_latents(4, seed=1))
    lengths = losses.path_lengths(lambda w: model.path_length_images(w, labels),
                                  model.path_length_inputs(latents, labels))
    assert lengths.shape == (4,) and np.all(np.isfinite(lengths)) and np.all(lengths > 0)


# ---------------------------------------------------------------- path length
def test_path_lengths_and_penalty_match_a_hand_computation():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, SIDE * SIDE)).astype("float32")
    z = rng.standard_normal((5, 3)).astype("float32")
    noise = rng.standard_normal((5, SIDE, SIDE, 1)).astype("float32")

    def linear(w):  # images = reshape(w A): the Jacobian's transpose is A
        return tf.reshape(tf.matmul(w, a), [-1, SIDE, SIDE, 1])

    lengths = losses.path_lengths(linear, tf.constant(z), noise=noise)
    y = noise.reshape(5, -1) / np.sqrt(SIDE * SIDE)  # N(0, I) / sqrt(H W)
    expected = np.linalg.norm(y @ a.T, axis=1)
    np.testing.assert_allclose(lengths.numpy(), expected, rtol=1e-5)

    # w of shape (B, L, D): sqrt of the mean over L of the squared norms over D.
    w = np.repeat(z[:, None, :], 4, axis=1)
    per_layer = losses.path_lengths(lambda w: linear(tf.reduce_mean(w, axis=1)),
                                    tf.constant(w), noise=noise)
    np.testing.assert_allclose(per_layer.numpy(), expected / 4, rtol=1e-5)

    penalty, new_mean = losses.path_length_penalty(lengths, 0.3, decay=0.1)
    mean = 0.3 + 0.1 * (expected.mean() - 0.3)
    np.testing.assert_allclose(float(new_mean), mean, rtol=1e-5)
    np.testing.assert_allclose(float(penalty), np.mean((expected - mean) ** 2), rtol=1e-5)


def test_path_length_mean_moves_with_its_decay_on_its_steps_only():
    """With the generator frozen, both models measure the same lengths (same weights,
    seeds, noise): the running means follow a' = a + decay (mean - a) from them."""
    first = TinyGAN(seed=2, pl_weight=2.0, pl_every=2, pl_decay=1.0)
    slow = twin(first, pl_weight=2.0, pl_every=2, pl_decay=0.25)
    means = {}
    x = images(8, 2)
    for model in (first, slow):
        model.compile(generator_optimizer=keras.optimizers.SGD(0.0))
        means[model] = []
        record = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs=None, m=model: means[m].append(
                float(m.pl_mean.numpy())))
        logs = per_step_logs(model, x, 4, callbacks=[record])
        assert logs["pl"][1] == 0.0 and logs["pl"][3] == 0.0 and logs["pl"][0] > 0
    m0, m2 = means[first][0], means[first][2]  # decay 1: the batch means themselves
    assert means[first] == [m0, m0, m2, m2] and m0 > 0 and m2 != m0
    expected = [0.25 * m0, 0.25 * m0, 0.25 * m0 + 0.25 * (m2 - 0.25 * m0)]
    np.testing.assert_allclose(means[slow][:3], expected, rtol=1e-5)
    assert means[slow][3] == means[slow][2]


def test_path_length_mean_stays_when_the_generator_update_is_skipped(monkeypatch):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = TinyGAN(seed=3, pl_weight=2.0, pl_every=1)
    model.compile()
    x = images(8, 3)
    original = tf.GradientTape.gradient
    generator_variables = {id(v) for v in model.generator.trainable_variables}

    def overflowing(self, target, sources, *args, **kwargs):
        grads = original(self, target, sources, *args, **kwargs)
        if any(id(s) in generator_variables for s in tf.nest.flatten(sources)):
            grads = tf.nest.map_structure(lambda g: None if g is None else g * float("inf"),
                                          grads)
        return grads

    monkeypatch.setattr(tf.GradientTape, "gradient", overflowing)
    logs = per_step_logs(model, x, 1)
    assert logs["pl"][0] > 0  # computed on the step ...
    assert float(model.pl_mean.numpy()) == 0.0  # ... but the skipped update keeps a
    assert int(model.generator_optimizer.iterations.numpy()) == 0
    monkeypatch.setattr(tf.GradientTape, "gradient", original)
    model.train_function = None
    per_step_logs(model, x, 1)
    assert float(model.pl_mean.numpy()) > 0


def test_save_load_resumes_exactly_with_the_path_length_mean(tmp_path):
    x = images(16, 4)
    data = tf.data.Dataset.from_tensor_slices(x).batch(8)
    options = dict(seed=4, r1_gamma=1.0, r1_every=2, pl_weight=2.0, pl_every=2, pl_decay=0.3)
    straight = TinyGAN(**options)
    resumed = twin(straight, **{k: v for k, v in options.items() if k != "seed"})
    straight.compile()
    resumed.compile()
    straight.fit(data, epochs=2, verbose=0)
    resumed.fit(data, epochs=1, verbose=0)
    mean_before = float(resumed.pl_mean.numpy())
    resumed.save(tmp_path / "lazy.keras")
    loaded = keras.models.load_model(tmp_path / "lazy.keras")
    assert loaded.get_config()["pl_decay"] == 0.3 and loaded.r1_every == 2
    assert float(loaded.pl_mean.numpy()) == mean_before != 0.0
    loaded.fit(data, epochs=1, verbose=0)
    for a, b in zip(straight.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert float(loaded.pl_mean.numpy()) == pytest.approx(float(straight.pl_mean.numpy()),
                                                          rel=1e-6)


def test_config_round_trip_and_older_configs():
    model = TinyGAN(seed=0, r1_gamma=10.0, r1_every=8, pl_weight=2.0, pl_every=3,
                    pl_decay=0.02, pl_batch_shrink=1)
    config = model.get_config()
    assert {k: config[k] for k in ("r1_gamma", "r1_every", "pl_weight", "pl_every",
                                   "pl_decay", "pl_batch_shrink")} == dict(
        r1_gamma=10.0, r1_every=8, pl_weight=2.0, pl_every=3, pl_decay=0.02,
        pl_batch_shrink=1)
    assert TinyGAN.from_config(config).get_config() == config
    older = {k: v for k, v in config.items() if not k.startswith(("r1_", "pl_"))}
    restored = TinyGAN.from_config(older)
    assert (restored.r1_gamma, restored.r1_every, restored.pl_weight, restored.pl_every,
            restored.pl_decay, restored.pl_batch_shrink) == (0.0, 16, 0.0, 4, 0.01, 2)
    assert restored.pl_mean is None and "r1" not in [m.name for m in restored.metrics]


@pytest.mark.parametrize("option, value, message", [
    ("r1_gamma", -1.0, r"r1_gamma must be a number >= 0"),
    ("r1_gamma", float("inf"), r"r1_gamma must be a number >= 0"),
    ("r1_gamma", "10", r"r1_gamma must be a number >= 0"),
    ("r1_gamma", True, r"r1_gamma must be a number >= 0"),
    ("r1_every", 0, r"r1_every must be a positive int"),
    ("r1_every", 2.0, r"r1_every must be a positive int"),
    ("r1_every", True, r"r1_every must be a positive int"),
    ("pl_weight", -2.0, r"pl_weight must be a number >= 0"),
    ("pl_every", -1, r"pl_every must be a positive int"),
    ("pl_decay", 0.0, r"pl_decay must be a number in \(0, 1\]"),
    ("pl_decay", 1.5, r"pl_decay must be a number in \(0, 1\]"),
    ("pl_batch_shrink", 0, r"pl_batch_shrink must be a positive int"),
])
def test_bad_options_raise_clear_errors(option, value, message):
    with pytest.raises(ValueError, match=message):
        TinyGAN(**{option: value})


def test_models_with_their_own_step_and_bad_hooks_refuse_clearly():
    with pytest.raises(ValueError, match="VAEGAN does not support r1_gamma"):
        kgz.create_model("vae_gan_tiny", r1_gamma=1.0)

    class Untracked(TinyGAN):
        def generator_regularizers(self):
            return {**super().generator_regularizers(), "mine": (2, lambda z, y: 0.0)}

    model = Untracked(seed=0)
    model.compile()
    with pytest.raises(ValueError, match=r"'mine' has no tracker; declare it"):
        model.fit(images(), batch_size=8, verbose=0)


def test_synchronized_batch_norm_under_a_strategy_gets_a_clear_error(mirrored_strategy):
    with mirrored_strategy.scope():
        model = kgz.create_model("dcgan_tiny", seed=0, r1_gamma=1.0)
        model.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    with pytest.raises(ValueError, match=r"synchronizes batch statistics across replicas"):
        model.fit(x, batch_size=8, verbose=0)


# ---------------------------------------------------------------- distribution
def test_mirrored_strategy_trains_as_one_device_with_r1_and_path_length(mirrored_strategy):
    """7 examples on 2 replicas (4 + 3): R1 per replica weighted by its share, the path
    length's noise by global example index and its means over the global batch."""
    options = dict(r1_gamma=2.0, r1_every=2, pl_weight=2.0, pl_every=2, pl_decay=0.5)
    single = TinyGAN(seed=5, **options)
    with mirrored_strategy.scope():
        mirrored = twin(single, **options)
    batch = {"images": images(7, 5),
             "latents": np.random.default_rng(6).standard_normal((7, LATENT)).astype("float32")}
    history = {}
    for model in (single, mirrored):
        scope = mirrored_strategy.scope() if model is mirrored else contextlib.nullcontext()
        with scope:
            model.compile(generator_optimizer=keras.optimizers.SGD(0.5),
                          discriminator_optimizer=keras.optimizers.SGD(0.5))
        history[model] = model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(7),
                                   epochs=3, verbose=0).history
    assert float(single.pl_mean.numpy()) > 0 and history[single]["r1"][0] > 0
    # `pl` is a global-batch mean on every replica; `r1`, like d_loss, is logged as the
    # replicas' mean of their own means (4 and 3 examples), so only the weights tell.
    np.testing.assert_allclose(history[mirrored]["pl"], history[single]["pl"], rtol=1e-5)
    assert_same_weights(single, mirrored)  # pl_mean and the step counter included


# ---------------------------------------------------------------------- float16
def test_r1_inner_gradient_that_overflows_float16_stays_finite_and_the_step_applies():
    keras.mixed_precision.set_global_policy("mixed_float16")
    keras.utils.set_random_seed(7)
    model = TinyGAN(scale=70.0, seed=7, r1_gamma=1.0, r1_every=1)
    assert model.discriminator.get_layer("d_hidden").compute_dtype == "float16"
    x = images(16, 7)
    # The construction: D(x) = 70 * 16 * 70 * sum(x), an input gradient of 78400 per
    # pixel, beyond float16's 65504: computed in float16 it is inf. (The adversarial
    # gradients, divided by the batch of 16, stay within float16 at a loss scale of 1.)
    assert not np.isfinite(float(losses.r1_penalty(model.discriminator, x)))
    model.compile(**{arg: keras.optimizers.LossScaleOptimizer(opt, initial_scale=1.0)
                     for arg, opt in model.default_optimizers().items()})
    before = model.discriminator.get_layer("d_hidden").kernel.numpy().copy()
    logs = per_step_logs(model, x, 1)
    np.testing.assert_allclose(logs["r1"][0], 0.5 * 78400.0 ** 2 * SIDE * SIDE, rtol=1e-5)
    for slot in ("discriminator_optimizer", "generator_optimizer"):
        optimizer = getattr(model, slot)
        assert int(optimizer.iterations.numpy()) == 1, slot  # applied, not skipped
        assert float(optimizer.dynamic_scale.numpy()) == 1.0, slot  # not halved
    after = model.discriminator.get_layer("d_hidden").kernel.numpy()
    assert np.all(np.isfinite(after)) and np.all(after != before)
    # The float32 pass was confined to the regularizer: the policies are back.
    assert model.discriminator.get_layer("d_hidden").compute_dtype == "float16"


def test_r1_and_path_length_under_mixed_float16_equal_float32():
    """Both regularizers' networks run in float32 under mixed_float16: at the first step
    (same weights, reals exact in float16, same noise) the values agree to float32
    rounding, where float16 passes would differ by ~1e-3."""
    options = dict(r1_gamma=5.0, r1_every=1, pl_weight=2.0, pl_every=1)
    full = TinyGAN(seed=8, **options)
    full.compile()
    keras.mixed_precision.set_global_policy("mixed_float16")
    mixed = twin(full, **options)
    mixed.compile()
    assert mixed.generator.get_layer("g_hidden").compute_dtype == "float16"
    assert mixed.discriminator.get_layer("d_hidden").compute_dtype == "float16"
    x = images(8, 8)
    logs = {model: per_step_logs(model, x, 1) for model in (full, mixed)}
    for key in ("r1", "pl"):
        assert logs[full][key][0] > 0
        np.testing.assert_allclose(logs[mixed][key][0], logs[full][key][0], rtol=2e-6)


def test_compute_in_float32_is_reentrant_and_restores_the_policies():
    keras.mixed_precision.set_global_policy("mixed_float16")
    network = TinyGAN().discriminator
    layer = network.get_layer("d_hidden")
    with losses.compute_in_float32(network):
        with losses.compute_in_float32(network, lambda x: x):
            assert layer.compute_dtype == "float32"
        assert layer.compute_dtype == "float32"
        assert network(tf.zeros((1, SIDE, SIDE, 1))).dtype == tf.float32
    assert layer.compute_dtype == "float16"
    assert network.get_layer("logit").compute_dtype == "float32"
