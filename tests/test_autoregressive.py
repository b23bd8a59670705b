"""Model-specific numerics of the autoregressive image models.

Causality (every output depends only on earlier sub-pixels, checked over all
positions of tiny images, by gradients and by perturbation), the absence of a blind
spot in Gated PixelCNN and the Diagonal BiLSTM (a check that flags plain PixelCNN),
masks, band-limited sampling, completion, the inverse-CDF draw, palettes, the CLI.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import cli
from keras_gan_zoo.datasets import palette as palette_lib
from keras_gan_zoo.layers.masked_conv import MaskedConv2D, causal_mask

TINY = kgz.registry.list_tiny_models(family="autoregressive")
WIDTH = {"pixelcnn": "filters", "gated_pixelcnn": "filters", "pixelrnn": "hidden",
         "pixelrnn_row_lstm": "hidden"}
RGB_PALETTE = np.array([[-1, -1, -1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1],
                        [1, 1, -1], [1, 1, 1]], "float32")


def variant(name, **overrides):
    # Fixed initial weights: with a few filters, the global RNG state left by earlier
    # tests could draw weights that hide a real dependency from `dependencies`.
    keras.utils.set_random_seed(3)
    return kgz.create_model(name, seed=3, **overrides)


def dependencies(model, draws=4):
    """D[i, j]: the logits of sub-pixel i depend on input sub-pixel j (raster order).

    One backward pass per draw: example i of a batch of H*W*groups images carries
    the gradient of (a random projection of) the logits at position i. Masked taps
    are exact zeros, so a zero gradient means no path. Several random draws keep a
    dead ReLU from hiding a real dependency.
    """
    h, w, _ = model.image_shape
    n = h * w * model.groups
    rng = np.random.default_rng(0)
    labels = None
    if model.conditional:
        labels = tf.constant(np.arange(n) % model.num_classes, "int32")
    total = np.zeros((n, n))
    for _ in range(draws):
        x = tf.constant(rng.uniform(-1, 1, (n, h, w, model.input_channels)), "float32")
        projection = tf.constant(rng.standard_normal(model.units), "float32")
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = tf.tensordot(model.logits(x, labels), projection, 1)  # (n, h, w, groups)
            out = tf.reduce_sum(tf.linalg.diag_part(tf.reshape(out, [n, n])))
        grad = np.abs(tape.gradient(out, x).numpy())
        if model.groups == model.input_channels:
            total += grad.reshape(n, n)
        else:  # palette: one variable per pixel, several colour channels
            total += grad.sum(-1).reshape(n, n)
    return total > 0


def strict_past(n):
    return np.tril(np.ones((n, n), bool), -1)


CAUSAL_CASES = [(name, {}) for name in TINY] + [
    # RGB with R -> G -> B inside a pixel, and palette (one choice per pixel).
    *[(name, dict(image_shape=(5, 4, 3), output_filters=24,
                  **{WIDTH[name.removesuffix("_tiny")]: 6}))
      for name in TINY],
    ("gated_pixelcnn_tiny", dict(image_shape=(4, 5, 3), output="palette", palette=RGB_PALETTE)),
    ("pixelrnn_tiny", dict(image_shape=(4, 5, 3), output="palette", palette=RGB_PALETTE)),
]


@pytest.mark.parametrize("name,overrides", CAUSAL_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CAUSAL_CASES)])
def test_every_output_depends_only_on_earlier_subpixels(name, overrides):
    model = variant(name, **overrides)
    deps = dependencies(model)
    n = len(deps)
    leaks = np.argwhere(deps & ~strict_past(n))
    assert not len(leaks), f"output -> later input pairs: {leaks[:5].tolist()}"
    assert deps[n - 1, n - 2], "the last output must see the sub-pixel before it"
    if model.groups == 3:  # inside a pixel: G sees R, B sees R and G
        assert deps[1, 0] and deps[2, 0] and deps[2, 1]


@pytest.mark.parametrize("name", TINY)
def test_perturbing_later_pixels_leaves_the_output_unchanged(name):
    model = variant(name, image_shape=(6, 6, 3), **{WIDTH[name.removesuffix("_tiny")]: 6})
    rng = np.random.default_rng(1)
    labels = tf.constant([0, 1], "int32") if model.conditional else None
    n = 6 * 6 * 3
    for position in (0, 7, 20, 50, n - 1):
        x = rng.uniform(-1, 1, (2, n)).astype("float32")
        y = x.copy()
        y[:, position:] = rng.uniform(-1, 1, (2, n - position))
        a = model.logits(x.reshape(2, 6, 6, 3), labels).numpy().reshape(2, n, -1)
        b = model.logits(y.reshape(2, 6, 6, 3), labels).numpy().reshape(2, n, -1)
        np.testing.assert_allclose(a[:, : position + 1], b[:, : position + 1], atol=1e-6)
        if position < n - 1:
            assert np.abs(a[:, position + 1 :] - b[:, position + 1 :]).max() > 1e-4


FULL_CONTEXT = [
    ("gated_pixelcnn_tiny", dict(num_layers=5, filters=8, output_filters=32)),
    ("gated_pixelcnn_tiny", dict(num_layers=4, filters=9, output_filters=32,
                                 image_shape=(5, 5, 3), num_classes=None)),
    ("pixelrnn_tiny", dict(hidden=6, output_filters=32)),
    ("pixelrnn_tiny", dict(hidden=6, output_filters=32, image_shape=(5, 5, 3))),
]


@pytest.mark.parametrize("name,overrides", FULL_CONTEXT)
def test_no_blind_spot_every_earlier_pixel_is_in_the_context(name, overrides):
    """Gated PixelCNN (stacks deep enough to span the image) and the Diagonal BiLSTM
    (any depth): the output at i depends on EVERY sub-pixel before i."""
    model = variant(name, **overrides)
    deps = dependencies(model, draws=6)
    missing = np.argwhere(strict_past(len(deps)) & ~deps)
    assert not len(missing), f"blind spots (output, input): {missing[:8].tolist()}"


def test_the_blind_spot_check_flags_plain_pixelcnn():
    """PixelCNN's 3x3 mask-B stack never sees some pixels above-right, however deep
    (its receptive field spans every row of this 8x8 image)."""
    model = variant("pixelcnn_tiny", num_layers=8, filters=8, output_filters=32,
                    first_kernel_size=3)
    assert model.receptive_rows >= 8
    deps = dependencies(model, draws=6)
    missing = np.argwhere(strict_past(64) & ~deps)
    assert len(missing)
    # Output (7, 0) misses pixels up and to the right (row 6, far columns).
    assert not deps[7 * 8 + 0, 6 * 8 + 7] and not deps[7 * 8 + 0, 5 * 8 + 7]
    # The Row LSTM's context is a triangle: it misses pixels too.
    row = variant("pixelrnn_row_lstm_tiny", hidden=6, output_filters=32)
    assert np.any(strict_past(64) & ~dependencies(row, draws=6))


def test_mask_a_and_b_with_channel_groups():
    mask = causal_mask((3, 3), 3, 6, "A", groups=3)
    assert mask[0].all() and mask[1, 0].all() and not mask[2].any() and not mask[1, 2].any()
    # Centre tap, mask A: R outputs see nothing, G outputs see R, B outputs see R and G.
    np.testing.assert_array_equal(mask[1, 1], [[0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1],
                                               [0, 0, 0, 0, 0, 0]])
    mask_b = causal_mask((1, 1), 6, 6, "B", groups=3)
    group = np.array([0, 0, 1, 1, 2, 2])  # contiguous channel groups
    np.testing.assert_array_equal(mask_b[0, 0], group[:, None] <= group[None, :])
    gates = causal_mask((1, 1), 3, 12, "B", groups=3, output_blocks=2)
    np.testing.assert_array_equal(gates[0, 0, :, :6], gates[0, 0, :, 6:])
    with pytest.raises(ValueError, match="odd kernel"):
        MaskedConv2D(4, 2)
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2D(4, 3, mask_type="C")
    layer = MaskedConv2D(4, 3, mask_type="A")
    assert MaskedConv2D.from_config(layer.get_config()).mask_type == "A"


@pytest.mark.parametrize("name", ["pixelcnn_tiny", "gated_pixelcnn_tiny"])
def test_band_sampling_equals_full_canvas_sampling(name, monkeypatch):
    model = variant(name, num_layers=2, image_shape=(10, 6, 1))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    x = np.random.default_rng(0).uniform(-1, 1, (32, 10, 6, 1)).astype("float32")
    labels = (np.arange(32) % 3).astype("int32") if model.conditional else None
    model.fit(x, labels, batch_size=16, epochs=3, verbose=0)
    kwargs = dict(seed=5, labels=None if labels is None else labels[:8])
    band = model.generate(8, **kwargs)
    model._functions.crop, model._functions.sampler = False, None
    np.testing.assert_array_equal(band, model.generate(8, **kwargs))
    # A band one row too short changes the samples: the check has teeth.
    monkeypatch.setattr(type(model), "receptive_rows", property(lambda self: 1))
    model._functions.crop, model._functions.sampler = True, None
    assert not np.array_equal(band, model.generate(8, **kwargs))


@pytest.mark.parametrize("name", TINY)
def test_complete_keeps_the_visible_rows_and_samples_the_rest(name):
    model = variant(name, image_shape=(6, 5, 1))
    rng = np.random.default_rng(0)
    images = np.round(rng.uniform(0, 255, (4, 6, 5, 1))).astype("float32") / 127.5 - 1
    labels = np.arange(4) % 3 if model.conditional else None
    noise = rng.uniform(size=(4, 6, 5, 1)).astype("float32")
    out = model.complete(images, visible_rows=3, noise=noise, labels=labels)
    np.testing.assert_array_equal(out[:, :3], images[:, :3])  # on the 256-level grid
    assert not np.array_equal(out[:, 3:], images[:, 3:])
    np.testing.assert_array_equal(
        model.complete(images, visible_rows=0, noise=noise, labels=labels),
        model.generate(4, noise=noise, labels=labels))
    np.testing.assert_array_equal(
        model.complete(images, visible_rows=6, noise=noise, labels=labels), images)
    # Binarised models keep the binarised rows.
    binary = variant(name, image_shape=(6, 5, 1), output="bernoulli")
    kept = binary.complete(images, visible_rows=2, seed=0, labels=labels)
    np.testing.assert_array_equal(kept[:, :2], np.where(images[:, :2] > 0, 1.0, -1.0))
    assert set(np.unique(kept)) <= {-1.0, 1.0}


def test_inverse_cdf_draw_follows_the_softmax():
    model = variant("pixelcnn_tiny", image_shape=(4, 4, 1), output="palette",
                    palette=np.linspace(-1, 1, 4)[:, None])
    logits = tf.constant(np.tile([[2.0, 0.0, -1.0, 1.0]], (20000, 1)), "float32")
    uniform = tf.constant(np.random.default_rng(0).uniform(size=20000), "float32")
    counts = np.bincount(model._draw(logits, uniform).numpy(), minlength=4) / 20000
    np.testing.assert_allclose(counts, tf.nn.softmax(logits[0]).numpy(), atol=0.01)
    edge = model._draw(logits[:2], tf.constant([0.0, 0.9999999]))
    np.testing.assert_array_equal(edge.numpy(), [0, 3])
    binary = variant("pixelcnn_tiny", image_shape=(4, 4, 1), output="bernoulli")
    p = binary._draw(tf.fill([20000, 1], 0.5), uniform).numpy().mean()
    assert abs(p - 1 / (1 + np.exp(-0.5))) < 0.01


def test_log_likelihood_agrees_with_the_nll_tracker_and_the_logits():
    model = variant("pixelcnn_tiny", output="bernoulli")
    model.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (24, 8, 8, 1)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    ll = model.log_likelihood(x, batch_size=7)
    result = model.evaluate(x, batch_size=8, verbose=0, return_dict=True)
    assert result["nll"] == pytest.approx(-ll.mean(), rel=1e-5)
    assert result["bits_per_dim"] == pytest.approx(
        kgz.metrics.bits_per_dim(-ll.mean(), (8, 8, 1)), rel=1e-5)
    # By hand: log p(x) = sum log sigmoid(+-logit) over the binarised pixels.
    logits = model(x).numpy()[..., 0, 0]
    sign = np.where(x[..., 0] > 0, 1.0, -1.0)
    np.testing.assert_allclose(ll, -np.log1p(np.exp(-sign * logits)).sum(axis=(1, 2)),
                               rtol=1e-5)


def test_targets_are_256_levels_or_binarised():
    model = variant("pixelcnn_tiny", image_shape=(2, 2, 1))
    x = np.array([-1.0, -0.999, 0.0, 1.0], "float32").reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(model.to_targets(x).numpy().ravel(), [0, 0, 128, 255])
    binary = variant("pixelcnn_tiny", image_shape=(2, 2, 1), output="bernoulli")
    np.testing.assert_array_equal(binary.to_targets(x).numpy().ravel(), [0, 0, 0, 1])


def coloured_digits(n=300):
    """sklearn's 8x8 digits, each class drawn in its own colour on a dark background."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(0)
    colours = rng.uniform(-1, 1, (10, 3)).astype("float32")
    colours[np.arange(10), rng.integers(0, 3, 10)] = 1.0  # saturated: one channel at full value
    ink = (digits.images[:n] / 16.0)[..., None].astype("float32")
    background = np.array([-0.8, -0.8, -0.6], "float32")
    images = background * (1 - ink) + colours[digits.target[:n]][:, None, None] * ink
    return images.astype("float32"), digits.target[:n].astype("int32"), colours


def test_palette_kmeans_round_trip_and_matches_sklearn():
    from sklearn.cluster import KMeans

    images, _, colours = coloured_digits()
    palette = palette_lib.fit_palette(images, 12, seed=0)
    assert palette.shape == (12, 3) and palette.min() >= -1 and palette.max() <= 1
    np.testing.assert_array_equal(palette, palette_lib.fit_palette(images, 12, seed=0))
    pixels = images.reshape(-1, 3)

    def inertia(centres):
        return np.sum((pixels - centres[palette_lib.to_indices(pixels, centres)]) ** 2)

    reference = KMeans(12, n_init=4, random_state=0).fit(pixels)
    assert inertia(palette) <= 1.05 * reference.inertia_
    # Vivid colours survive: the ink colours are in the palette, not averaged to grey.
    background = np.array([-0.8, -0.8, -0.6])
    assert np.min(np.linalg.norm(palette - background, axis=1)) < 0.05
    nearest = np.min(np.linalg.norm(colours[:, None] - palette[None], axis=-1), axis=1)
    assert np.median(nearest) < 0.35
    # Indices round trip exactly for images made of palette colours.
    idx = np.random.default_rng(1).integers(0, 12, (5, 4, 4))
    exact = palette_lib.from_indices(idx, palette)
    np.testing.assert_array_equal(palette_lib.to_indices(exact, palette), idx)
    np.testing.assert_array_equal(palette_lib.quantize(exact, palette), exact)
    # Few distinct colours: the palette is exactly those colours.
    two = np.where(np.arange(32)[:, None] % 2, 1.0, -1.0) * np.ones((32, 3), "float32")
    np.testing.assert_array_equal(palette_lib.fit_palette(two, 4), [[-1, -1, -1], [1, 1, 1]])
    with pytest.raises(ValueError, match="k must be an int >= 2"):
        palette_lib.fit_palette(images, 1)
    with pytest.raises(ValueError, match=r"indices must be in \[0, 12\)"):
        palette_lib.from_indices(np.array([12]), palette)


def test_palette_model_fits_its_palette_saves_it_and_samples_its_colours(tmp_path):
    images, labels, _ = coloured_digits(96)
    model = kgz.create_model("gated_pixelcnn_tiny", image_shape=(8, 8, 3), output="palette",
                             palette_size=8, num_classes=10, seed=0)
    with pytest.raises(ValueError, match="no palette yet"):
        model.generate(1, labels=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(32)
    history = model.fit(dataset, epochs=2, verbose=0)
    assert model.palette.shape == (8, 3) and model.units == 8 and model.num_dims == 64
    assert history.history["nll"][-1] < history.history["nll"][0]
    np.testing.assert_array_equal(model.palette, palette_lib.fit_palette(images, 8, seed=0))
    with pytest.raises(ValueError, match="fixed once set"):
        model.fit_palette(images)

    path = str(tmp_path / "palette.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_array_equal(restored.palette, model.palette)
    json.dumps(restored.get_config())  # flat, JSON-able
    samples = restored.generate(6, seed=0, labels=np.arange(6))
    np.testing.assert_array_equal(samples, model.generate(6, seed=0, labels=np.arange(6)))
    colours = {tuple(c) for c in model.palette}
    assert {tuple(p) for p in samples.reshape(-1, 3)} <= colours
    ll = restored.log_likelihood(images[:8], labels[:8])
    assert np.all(np.isfinite(ll)) and np.all(ll < 0)
    with pytest.raises(ValueError, match="palette= needs output='palette'"):
        kgz.create_model("pixelcnn_tiny", palette=RGB_PALETTE)
    with pytest.raises(ValueError, match="palette has 3 channels"):
        kgz.create_model("pixelcnn_tiny", output="palette", palette=RGB_PALETTE)


def test_class_labels_condition_gated_pixelcnn():
    model = variant("gated_pixelcnn_tiny")
    x = np.zeros((2, 8, 8, 1), "float32")
    a = model(x, tf.constant([0, 0])).numpy()
    b = model(x, tf.constant([0, 2])).numpy()
    np.testing.assert_array_equal(a[0], b[0])
    assert np.abs(a[1] - b[1]).max() > 1e-4


@pytest.mark.parametrize("name", ["pixelcnn_tiny", "gated_pixelcnn_tiny"])
def test_cli_train_converts_dataset_images_itself(name, tmp_path):
    """`keras-gan-zoo train` passes [-1, 1] images (and labels to a conditional
    model); the model discretises them and SampleGrid calls generate."""
    out = tmp_path / "run"
    args = ["train", name, "--dataset", "digits", "--limit", "64", "--batch-size", "32",
            "--epochs", "1", "--precision", "fp32", "--verbose", "0", "--out", str(out),
            "--set", "output=bernoulli"]
    assert cli.main(args) == 0
    history = json.loads((out / "history.json").read_text().splitlines()[-1])
    assert np.isfinite(history["nll"][0]) and history["bits_per_dim"][0] > 0
    assert (out / "samples" / "latest.png").is_file()
    model = keras.models.load_model(out / "model.keras")
    assert model.output_mode == "bernoulli" and model.conditional == (name == "gated_pixelcnn_tiny")
