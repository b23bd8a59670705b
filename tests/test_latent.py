"""Latent-space tools: interpolation, arithmetic, walk strips."""

import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import latent


def unit(v):
    v = np.asarray(v, "float64")
    return v / np.linalg.norm(v)


def test_lerp_midpoint_endpoints_and_sequence():
    a, b = np.array([1.0, -2.0, 4.0]), np.array([3.0, 2.0, 0.0])
    np.testing.assert_allclose(latent.lerp(a, b, 0.5), [2.0, 0.0, 2.0])
    np.testing.assert_allclose(latent.lerp(a, b, 0.0), a)
    np.testing.assert_allclose(latent.lerp(a, b, 1.0), b)
    path = latent.lerp(a, b, [0.0, 0.25, 1.0])
    assert path.shape == (3, 3) and path.dtype == np.float32
    np.testing.assert_allclose(path[1], [1.5, -1.0, 3.0])


def test_slerp_endpoints_and_constant_norm_on_the_unit_sphere():
    rng = np.random.default_rng(0)
    a, b = unit(rng.normal(size=16)), unit(rng.normal(size=16))
    t = np.linspace(0, 1, 11)
    path = latent.slerp(a, b, t)
    assert path.shape == (11, 16)
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)
    # Equal angular steps along the great circle (lerp's steps are not equal in angle).
    angles = np.arccos(np.clip(np.sum(path[:-1] * path[1:], axis=1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-4)
    np.testing.assert_allclose(latent.slerp([1.0, 0.0], [0.0, 1.0], 0.5),
                               [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)
    # Linear interpolation falls inside the sphere; slerp does not.
    assert np.linalg.norm(latent.lerp(a, b, 0.5)) < 0.99


def test_slerp_handles_near_parallel_and_degenerate_vectors():
    a = unit([1.0, 2.0, 3.0])
    b = unit(a + np.array([1e-9, -1e-9, 0.0]))
    mid = latent.slerp(a, b, 0.5)
    assert np.all(np.isfinite(mid))
    np.testing.assert_allclose(mid, (a + b) / 2, atol=1e-7)
    np.testing.assert_allclose(latent.slerp(a, a, [0.0, 0.3, 1.0]), np.tile(a, (3, 1)),
                               atol=1e-7)
    zero = latent.slerp(np.zeros(3), a, 0.5)  # no direction: linear
    np.testing.assert_allclose(zero, a / 2, atol=1e-7)
    assert np.all(np.isfinite(latent.slerp(a, -a, 0.25)))
    # Row-wise on batches.
    batch = latent.slerp(np.eye(2), np.eye(2)[::-1], 0.5)
    np.testing.assert_allclose(batch, np.full((2, 2), np.sqrt(0.5)), rtol=1e-6)


def test_interpolate_shapes_and_errors():
    a, b = np.zeros(4), np.ones(4)
    path = latent.interpolate(a, b, 5, method="lerp")
    assert path.shape == (5, 4) and path.dtype == np.float32
    np.testing.assert_allclose(path[:, 0], [0, 0.25, 0.5, 0.75, 1.0])
    sphere = latent.interpolate(unit([1, 0, 0, 0]), unit([0, 1, 0, 0]), 3)
    np.testing.assert_allclose(np.linalg.norm(sphere, axis=1), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="steps must be an int >= 2"):
        latent.interpolate(a, b, 1)
    with pytest.raises(ValueError, match="method must be one of"):
        latent.interpolate(a, b, 3, method="cubic")
    with pytest.raises(ValueError, match="same shape"):
        latent.interpolate(a, np.ones(5), 3)
    with pytest.raises(ValueError, match="single latents"):
        latent.interpolate(np.zeros((2, 4)), np.ones((2, 4)), 3)


def test_arithmetic_on_known_vectors():
    z = np.array([[1.0, 0.0, 0.0],   # 0,1: "men with glasses"
                  [3.0, 0.0, 0.0],
                  [0.0, 2.0, 0.0],   # 2,3: "men"
                  [0.0, 4.0, 0.0],
                  [0.0, 0.0, 6.0]])  # 4: "women"
    result = latent.arithmetic(None, positive=[[0, 1], [4]], negative=[[2, 3]], latents=z)
    assert result.images is None
    np.testing.assert_allclose(result.latents, [[2.0, -3.0, 6.0]])
    # Concepts can be latents instead of indices, and mixed.
    mixed = latent.arithmetic(None, [z[:2], [4]], [np.array([0.0, 3.0, 0.0])], latents=z)
    np.testing.assert_allclose(mixed.latents, result.latents)
    noisy = latent.arithmetic(None, [[0, 1], [4]], [[2, 3]], latents=z, num_samples=9,
                              noise=0.25, seed=0)
    assert noisy.latents.shape == (9, 3)
    np.testing.assert_allclose(noisy.latents[0], [2.0, -3.0, 6.0])
    offsets = noisy.latents[1:] - noisy.latents[0]
    assert np.all(np.abs(offsets) <= 0.25) and np.abs(offsets).max() > 0.05


def test_arithmetic_renders_with_a_model_and_checks_its_input():
    model = kgz.create_model("dcgan_tiny", seed=0)
    z = model.random_latents(6, seed=0)
    result = latent.arithmetic(model, [[0, 1], [2]], [[3, 4]], latents=z, num_samples=3,
                               noise=0.1, seed=1)
    assert result.latents.shape == (3, 8)
    np.testing.assert_array_equal(result.images, model.generate(3, latents=result.latents))
    with pytest.raises(ValueError, match="needs `latents=`"):
        latent.arithmetic(model, [[0, 1]], [[2]])
    with pytest.raises(ValueError, match="index out of range"):
        latent.arithmetic(model, [[0, 9]], latents=z)
    with pytest.raises(ValueError, match="expected latents of size 8"):
        latent.arithmetic(model, [np.ones(3)])
    with pytest.raises(ValueError, match="list of concepts"):
        latent.arithmetic(model, np.ones((2, 8)))
    with pytest.raises(ValueError, match="concept is empty"):
        latent.arithmetic(model, [[]], latents=z)
    with pytest.raises(ValueError, match="at least one positive"):
        latent.arithmetic(model, [], latents=z)


def test_walk_strip_writes_a_one_row_png_of_the_right_size(tmp_path):
    model = kgz.create_model("dcgan_tiny", seed=0)
    z = model.random_latents(2, seed=3)
    path = latent.walk_strip(model, latent.interpolate(z[0], z[1], 7), tmp_path / "strip.png")
    with Image.open(path) as image:
        assert image.size == (7 * (16 + 2) + 2, 16 + 2 * 2)  # (width, height)
        assert image.mode == "L"
        strip = np.asarray(image)
    expected = kgz.utils.make_grid(model.generate(7, latents=latent.interpolate(z[0], z[1], 7)),
                                   nrow=7)
    np.testing.assert_array_equal(strip, expected[..., 0])
    assert [p.name for p in tmp_path.iterdir()] == ["strip.png"]  # no temporary left behind
    with pytest.raises(ValueError, match=r"latents must have shape \(n, latent_dim\)"):
        latent.walk_strip(model, z[0], tmp_path / "bad.png")


def test_walk_strip_passes_labels_to_a_conditional_model(tmp_path):
    model = kgz.create_model("cgan_tiny", seed=0)
    z = model.random_latents(2, seed=0)
    path = latent.walk_strip(model, latent.interpolate(z[0], z[1], 4), tmp_path / "c.png",
                             labels=1)
    with Image.open(path) as image:
        assert image.size == (4 * 18 + 2, 20)
    with pytest.raises(ValueError, match="conditional"):
        latent.walk_strip(model, z, tmp_path / "c2.png")
