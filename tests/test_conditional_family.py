"""CGAN, ACGAN and InfoGAN: heads, extra loss terms, codes and their sampling.

The contract (fit, save/resume, export, precision, MirroredStrategy) runs on their
tiny variants in test_contract.py; this file checks what is specific to each.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo.models import ACGAN, InfoGAN


def _images(model, n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *model.image_shape)).astype("float32")


def _cross_entropy(logits, labels):
    logits = np.asarray(logits, "float64")
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels].mean()


# --------------------------------------------------------------------- CGAN
def test_cgan_generate_depends_on_the_label():
    model = kgz.create_model("cgan_tiny")
    zeros = model.generate(4, seed=0, labels=0)
    np.testing.assert_array_equal(zeros, model.generate(4, seed=0, labels=0))
    for label in (1, 2):
        assert np.abs(model.generate(4, seed=0, labels=label) - zeros).max() > 1e-4
    mixed = model.generate(3, seed=0, labels=[0, 1, 2])
    for i in range(3):
        np.testing.assert_allclose(mixed[i], model.generate(3, seed=0, labels=i)[i], atol=1e-6)


def _brightness_task(n=192, seed=0):
    """3 classes whose images are flat grey levels -0.8, 0 and 0.8 (plus a little noise)."""
    labels = (np.arange(n) % 3).astype("int32")
    levels = np.array([-0.8, 0.0, 0.8], "float32")[labels]
    noise = 0.05 * np.random.default_rng(seed).standard_normal((n, 16, 16, 1))
    return np.clip(levels[:, None, None, None] + noise, -1, 1).astype("float32"), labels


def test_cgan_learns_to_draw_the_requested_class():
    """The default (conv) CGAN conditions on the label: after 120 steps on a task where
    the class decides the image, each label's samples have that class's grey level."""
    keras.utils.set_random_seed(0)
    model = kgz.create_model("cgan", image_shape=(16, 16, 1), num_classes=3, latent_dim=8,
                             base_filters=8, seed=0)
    assert model.architecture == "conv"
    model.compile(generator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                  discriminator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    images, labels = _brightness_task()
    model.fit(images, labels, batch_size=32, epochs=20, verbose=0)
    means = [float(model.generate(32, seed=1, labels=c).mean()) for c in range(3)]
    assert means[0] < means[1] < means[2], means
    np.testing.assert_allclose(means, [-0.8, 0.0, 0.8], atol=0.3)


def test_cgan_conv_discriminator_gets_one_label_plane_per_class():
    model = kgz.create_model("cgan_tiny", seed=0)
    images = _images(model, 3)
    labels = np.array([0, 2, 1], "int32")
    stacked = keras.Model(model.discriminator.inputs,
                          model.discriminator.get_layer("image_and_label").output)
    x = keras.ops.convert_to_numpy(stacked([images, labels]))
    assert x.shape == (3, 16, 16, 1 + model.num_classes)
    np.testing.assert_array_equal(x[..., :1], images)
    np.testing.assert_array_equal(x[..., 1:], np.broadcast_to(
        np.eye(3, dtype="float32")[labels][:, None, None, :], (3, 16, 16, 3)))
    as_given = model.call_discriminator(images, labels)
    relabelled = model.call_discriminator(images, (labels + 1) % 3)
    assert np.abs(np.asarray(as_given) - np.asarray(relabelled)).max() > 1e-6


def test_cgan_mlp_has_the_reference_initialization_and_max_norm():
    """The paper's MLP: U(-0.05, 0.05) in G, U(-0.005, 0.005) in D, column norms <= 1.9365
    (with Keras' default Glorot init its discriminator won and the label went unused)."""
    model = kgz.create_model("cgan", architecture="mlp", seed=0)
    assert model.latent_distribution == "uniform"
    g_kernels = [v for v in model.generator.trainable_variables if "kernel" in v.path]
    d_kernels = [v for v in model.discriminator.trainable_variables if "kernel" in v.path]
    assert len(g_kernels) == 4 and len(d_kernels) == 4
    assert max(float(np.abs(v.numpy()).max()) for v in g_kernels) <= 0.05
    assert max(float(np.abs(v.numpy()).max()) for v in d_kernels) <= 0.005
    label_branch = model.discriminator.get_layer("label_maxout").dense.kernel.numpy()
    assert label_branch.shape == (10, 50 * 5)
    # A large-step update is projected back onto the max-norm ball.
    model.compile(generator_optimizer=keras.optimizers.SGD(50.0),
                  discriminator_optimizer=keras.optimizers.SGD(50.0))
    model.fit(np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32"),
              np.arange(32) % 10, batch_size=32, epochs=1, verbose=0)
    norms = [np.linalg.norm(v.numpy(), axis=0).max() for v in g_kernels + d_kernels]
    assert max(norms) <= 1.9365 + 1e-4
    assert max(norms) > 1.0  # the step was large enough to need the projection


def test_cgan_architecture_option_and_config():
    mlp = kgz.create_model("cgan", architecture="mlp", image_shape=(16, 16, 1), num_classes=3,
                           latent_dim=8, z_units=8, label_units=8, hidden_units=16, d_units=8,
                           dropout=0.0)
    config = mlp.get_config()
    assert config["architecture"] == "mlp" and config["latent_distribution"] == "uniform"
    rebuilt = type(mlp).from_config(config)
    rebuilt.set_weights(mlp.get_weights())
    np.testing.assert_array_equal(rebuilt.generate(4, seed=0, labels=[0, 1, 2, 0]),
                                  mlp.generate(4, seed=0, labels=[0, 1, 2, 0]))
    assert kgz.create_model("cgan_tiny").latent_distribution == "normal"
    with pytest.raises(ValueError, match=r"architecture must be one of \('conv', 'mlp'\)"):
        kgz.create_model("cgan", architecture="dense")
    with pytest.raises(ValueError, match=r"num_classes must be an int >= 2"):
        kgz.create_model("cgan", num_classes=1)
    with pytest.raises(ValueError, match=r"halves at least once"):
        kgz.create_model("cgan", image_shape=(6, 6, 1))


# -------------------------------------------------------------------- ACGAN
def test_acgan_heads_and_classifier_shapes():
    model = kgz.create_model("acgan_tiny")
    assert isinstance(model, ACGAN) and model.conditional
    images = model.generate(5, seed=0, labels=[0, 1, 2, 0, 1])
    assert images.shape == (5, 16, 16, 1)
    logit, classes = model.call_discriminator(images)
    assert tuple(logit.shape) == (5, 1) and tuple(classes.shape) == (5, 3)
    # The discriminator never sees the labels: they predict them.
    other = model.call_discriminator(images, labels=tf.constant([2, 2, 2, 2, 2]))
    np.testing.assert_array_equal(classes, other[1])
    probs = model.classify(images)
    assert probs.shape == (5, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)


def _discriminator_gradients(model, real, fake, labels):
    with tf.GradientTape() as tape:
        loss, terms = model.discriminator_objective(real, fake, labels)
        total = loss + tf.add_n(list(terms.values()))
    grads = tape.gradient(total, model.discriminator.trainable_variables)
    return {v.path: (np.zeros(v.shape) if g is None else g.numpy())
            for v, g in zip(model.discriminator.trainable_variables, grads)}, terms


def test_acgan_class_term_value_and_its_effect_on_the_discriminator_gradient():
    model = kgz.create_model("acgan_tiny")
    real = tf.constant(_images(model, 6))
    labels = tf.constant([0, 1, 2, 2, 1, 0])
    fake = tf.constant(model.generate(6, seed=1, labels=labels.numpy()))

    with_class, terms = _discriminator_gradients(model, real, fake, labels)
    _, real_classes = model.discriminator(real, training=True)
    _, fake_classes = model.discriminator(fake, training=True)
    expected = (_cross_entropy(real_classes, labels.numpy())
                + _cross_entropy(fake_classes, labels.numpy()))
    np.testing.assert_allclose(float(terms["d_class"]), expected, rtol=1e-5)

    model.class_weight = 0.0
    without_class, terms = _discriminator_gradients(model, real, fake, labels)
    assert float(terms["d_class"]) == 0.0
    head = [p for p in with_class if "class_logits" in p]
    assert head and all(np.abs(without_class[p]).max() == 0.0 for p in head)
    assert all(np.abs(with_class[p]).max() > 0.0 for p in head)
    trunk = [p for p in with_class if "down0" in p]
    assert trunk and max(np.abs(with_class[p] - without_class[p]).max() for p in trunk) > 1e-7


def test_acgan_fit_reports_class_terms():
    model = kgz.create_model("acgan_tiny", seed=1)
    model.compile()
    x = _images(model, 8)
    y = np.arange(8, dtype="int32") % 3
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    for name in ("d_class", "g_class"):
        assert np.all(np.isfinite(history[name])) and np.all(np.array(history[name]) > 0)
    # d_loss = binary cross-entropy (> 0) + d_class.
    assert np.all(np.array(history["d_loss"]) > np.array(history["d_class"]))
    assert np.all(np.array(history["g_loss"]) > np.array(history["g_class"]))


def test_acgan_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        ACGAN(num_classes=None, image_shape=(16, 16, 1), base_filters=4)
    with pytest.raises(ValueError, match="class_weight"):
        ACGAN(image_shape=(16, 16, 1), base_filters=4, class_weight=-1.0)


# ------------------------------------------------------------------ InfoGAN
def _tiny_infogan(**overrides):
    return kgz.create_model("infogan_tiny", seed=3, **overrides)


def _check_codes(model, latents):
    parts = model.split_latents(np.asarray(latents))
    (one_hot,) = parts["categorical"]
    assert set(np.unique(one_hot)) <= {0.0, 1.0}
    np.testing.assert_array_equal(one_hot.sum(1), 1.0)
    frequencies = np.bincount(one_hot.argmax(1), minlength=3) / len(one_hot)
    np.testing.assert_allclose(frequencies, 1 / 3, atol=0.05)
    continuous = parts["continuous"]
    assert continuous.min() >= -1.0 and continuous.max() <= 1.0
    assert continuous.min() < -0.95 and continuous.max() > 0.95
    assert abs(continuous.mean()) < 0.05
    return parts["noise"]


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_infogan_latents_hold_one_hot_and_uniform_codes(distribution):
    model = _tiny_infogan(latent_distribution=distribution)
    model.compile()
    assert model.latent_dim == 4 + 3 + 1
    for latents in (model.sample_latent(3000).numpy(), model.random_latents(3000, seed=0)):
        noise = _check_codes(model, latents)
        if distribution == "uniform":
            assert noise.min() >= -1.0 and noise.max() <= 1.0
        else:
            assert noise.min() < -2.5 and abs(noise.std() - 1.0) < 0.05
    # Training draws differ between the draws of one step.
    assert not np.array_equal(model.sample_latent(8, draw=0), model.sample_latent(8, draw=1))


def test_infogan_info_term_is_reported_positive_and_decreases():
    keras.utils.set_random_seed(0)
    model = _tiny_infogan()
    model.compile()
    history = model.fit(_images(model, 32), batch_size=16, epochs=20, verbose=0).history
    info = np.array(history["info"])
    assert info.shape == (20,) and np.all(np.isfinite(info)) and np.all(info > 0)
    assert info[-5:].mean() < 0.85 * info[:5].mean()


def test_infogan_discriminator_side_uses_the_codes_of_the_fake_batch():
    model = _tiny_infogan()
    model.compile()
    latents = tf.constant(model.random_latents(6, seed=0))
    real = tf.constant(_images(model, 6))
    with pytest.raises(ValueError, match="needs the latents the fake images"):
        model.discriminator_objective(real, real, None)
    fake = model.call_generator(latents, training=True)
    _, terms = model.discriminator_objective(real, fake, None, latents=latents)
    expected = model.info_loss(model.discriminator(fake, training=True), latents)
    np.testing.assert_allclose(float(terms["info"]), float(expected), rtol=1e-6)

    # The Q head's only loss is the info term: it moves only if D's update includes it.
    q_kernel = model.discriminator.get_layer("q_categorical").kernel
    before = q_kernel.numpy().copy()
    model.fit(_images(model, 8), batch_size=8, epochs=1, verbose=0)
    assert np.abs(q_kernel.numpy() - before).max() > 0


def test_infogan_info_loss_formula():
    model = _tiny_infogan(categorical_weight=2.0, continuous_weight=0.5)
    latents = model.with_codes(model.random_latents(2, seed=0),
                               {"categorical": [2, 0], "continuous": [[0.5], [-1.0]]})
    outputs = {"q_categorical": tf.constant([[0.0, 1.0, 3.0], [2.0, 0.0, -1.0]]),
               "q_continuous_mean": tf.constant([[0.0], [0.0]])}
    expected = 2.0 * _cross_entropy(outputs["q_categorical"], [2, 0]) + 0.5 * 0.5 * (0.25 + 1) / 2
    np.testing.assert_allclose(float(model.info_loss(outputs, latents)), expected, rtol=1e-6)

    learned = _tiny_infogan(learn_continuous_std=True, categorical_weight=0.0)
    assert "q_continuous_log_std" in learned.call_discriminator(learned.generate(1, seed=0))
    outputs["q_continuous_log_std"] = tf.constant([[np.log(2.0)], [0.0]])
    expected = (0.5 * (0.5 / 2) ** 2 + np.log(2.0) + 0.5 * 1.0) / 2
    np.testing.assert_allclose(float(learned.info_loss(outputs, latents)), expected, rtol=1e-6)


def test_infogan_generate_with_codes_is_deterministic_and_sets_the_codes():
    model = _tiny_infogan()
    codes = {"categorical": 1, "continuous": 0.5}
    first = model.generate(4, seed=0, codes=codes)
    np.testing.assert_array_equal(first, model.generate(4, seed=0, codes=codes))
    np.testing.assert_array_equal(
        first, model.generate(4, seed=0, codes={"categorical": [1, 1, 1, 1],
                                                "continuous": [[0.5]] * 4}))
    latents = model.with_codes(model.random_latents(4, seed=0), codes)
    np.testing.assert_array_equal(first, model.generate(4, latents=latents))
    assert np.abs(model.generate(4, seed=0, codes={"categorical": 2, "continuous": 0.5})
                  - first).max() > 1e-5
    # Codes not given keep the seed's draw.
    np.testing.assert_array_equal(model.generate(4, seed=5, codes={}), model.generate(4, seed=5))


def test_infogan_traversal_varies_one_code_per_row():
    model = _tiny_infogan()
    rows = model.traversal("categorical", seed=2, num_columns=4)
    assert rows.shape == (3 * 4, 16, 16, 1)
    base = model.random_latents(4, seed=2)
    for category in range(3):
        expected = model.generate(4, latents=model.with_codes(base, {"categorical": category}))
        np.testing.assert_allclose(rows[4 * category:4 * category + 4], expected, atol=1e-6)
    assert np.abs(rows[0] - rows[1]).max() > 1e-5  # columns differ

    values = np.linspace(-2, 2, 5)
    rows = model.traversal(("continuous", 0), values, seed=2, num_columns=3,
                           fixed={"categorical": 1})
    assert rows.shape == (5 * 3, 16, 16, 1)
    expected = model.generate(3, latents=model.with_codes(
        model.random_latents(3, seed=2), {"categorical": 1, "continuous": values[4]}))
    np.testing.assert_allclose(rows[-3:], expected, atol=1e-6)


def test_infogan_two_categorical_codes():
    model = kgz.create_model("infogan_tiny", categorical_codes=[3, 2], continuous_codes=0)
    assert model.latent_dim == 4 + 3 + 2
    latents = model.with_codes(model.random_latents(2, seed=0), {"categorical": [[2, 1], [0, 0]]})
    one_hots = model.split_latents(latents)["categorical"]
    np.testing.assert_array_equal(one_hots[0], [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(one_hots[1], [[0, 1], [1, 0]])
    assert model.traversal(("categorical", 1), num_columns=2).shape == (2 * 2, 16, 16, 1)
    codes = model.predict_codes(model.generate(5, seed=0))
    assert codes["categorical"].shape == (5, 2) and "continuous" not in codes


@pytest.mark.parametrize("codes, message", [
    ([1, 2], r"codes must be a dict"),
    ({"style": 1}, r"Unknown code kind"),
    ({"categorical": 3}, r"categorical code 0 takes values in \[0, 3\)"),
    ({"categorical": -1}, r"values in \[0, 3\)"),
    ({"categorical": 1.0}, r"must be ints"),
    ({"categorical": [0, 1]}, r"must be a scalar .*\(4,\).*got shape \(2,\)"),
    ({"continuous": np.zeros((4, 2))}, r"codes\['continuous'\] .* got shape \(4, 2\)"),
    ({"continuous": [np.nan] * 4}, r"finite"),
    ({"continuous": "a"}, r"must be numbers"),
])
def test_infogan_bad_codes_raise(codes, message):
    model = _tiny_infogan()
    with pytest.raises(ValueError, match=message):
        model.generate(4, seed=0, codes=codes)


def test_infogan_bad_traversals_and_arguments_raise():
    model = _tiny_infogan()
    with pytest.raises(ValueError, match=r"code must be 'categorical', 'continuous'"):
        model.traversal("rotation")
    with pytest.raises(ValueError, match=r"1 continuous code\(s\); got index 1"):
        model.traversal(("continuous", 1))
    with pytest.raises(ValueError, match=r"fixed sets the categorical code"):
        model.traversal("categorical", fixed={"categorical": 1})
    with pytest.raises(ValueError, match=r"values in \[0, 3\)"):
        model.traversal("categorical", values=[0, 5])
    with pytest.raises(ValueError, match=r"non-empty 1-D"):
        model.traversal("continuous", values=[])
    with pytest.raises(ValueError, match=r"latents must have shape"):
        model.generate(2, codes={"categorical": 0}, latents=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"unconditional.*categorical_codes"):
        InfoGAN(num_classes=10)
    with pytest.raises(ValueError, match=r"noise_dim \+ sum"):
        InfoGAN(latent_dim=100)
    with pytest.raises(ValueError, match=r"at least one"):
        InfoGAN(categorical_codes=[], continuous_codes=0)
    with pytest.raises(ValueError, match=r"categorical_codes must be a list of ints >= 2"):
        InfoGAN(categorical_codes=[1])
    with pytest.raises(ValueError, match=r"multiples of 4"):
        InfoGAN(image_shape=(30, 30, 1))


def test_infogan_config_and_q_predictions():
    model = _tiny_infogan()
    config = model.get_config()
    assert "latent_dim" not in config and "num_classes" not in config
    assert config["categorical_codes"] == [3] and config["latent_distribution"] == "uniform"
    assert InfoGAN.from_config(config).get_config() == config
    outputs = model.call_discriminator(model.generate(2, seed=0))
    assert sorted(outputs) == ["logit", "q_categorical", "q_continuous_mean"]
    codes = model.predict_codes(model.generate(7, seed=0))
    assert codes["categorical"].shape == (7,) and codes["categorical"].max() < 3
    assert codes["continuous"].shape == (7, 1)
    model.compile()
    g_opt, d_opt = model.generator_optimizer, model.discriminator_optimizer
    assert float(g_opt.learning_rate) == pytest.approx(1e-3)
    assert float(d_opt.learning_rate) == pytest.approx(2e-4)
