"""Metric math (FID, KID, IS, precision/recall, class counts) and the evaluation plumbing."""

import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.spatial.distance
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import metrics as M


# ------------------------------------------------------------------ helpers
class ProjectionExtractor(M.FeatureExtractor):
    """Flatten + fixed random projection; a 3-class head from the first features."""

    def __init__(self, image_shape=(16, 16, 1), feature_dim=8, num_classes=3):
        super().__init__(name="projection", input_shape=image_shape, feature_dim=feature_dim,
                         num_classes=num_classes, max_batch_size=32)
        d = int(np.prod(image_shape))
        rng = np.random.default_rng(0)
        self.w = tf.constant(rng.standard_normal((d, feature_dim)) / math.sqrt(d), tf.float32)
        self.calls = 0

    def _forward(self, images):
        flat = tf.reshape(images, (tf.shape(images)[0], -1))
        feats = flat @ self.w
        return feats, feats[:, : self.num_classes] * 5.0

    def __call__(self, images):
        self.calls += 1
        return super().__call__(images)


def _random_cov(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


# --------------------------------------------------------- FeatureStatistics
def test_streaming_statistics_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 5)) * [1, 2, 3, 4, 5] + 100.0  # large mean
    stats = M.FeatureStatistics()
    for batch in np.array_split(x, 7):
        stats.update(batch)
    assert stats.count == 1000
    np.testing.assert_allclose(stats.mean(), x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance(), np.cov(x, rowvar=False), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(stats.features(), x.astype(np.float32))
    assert stats.features().dtype == np.float32


def test_statistics_errors():
    stats = M.FeatureStatistics(keep_features=False)
    with pytest.raises(ValueError, match="at least"):
        stats.mean()
    stats.update(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="mismatch"):
        stats.update(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="keep_features"):
        stats.features()
    with pytest.raises(ValueError, match=r"\(B, D\)"):
        stats.update(np.zeros(4))


# ---------------------------------------------------------------------- FID
def test_fid_of_a_set_with_itself_is_zero():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((500, 16)) @ rng.standard_normal((16, 16))
    stats = M.FeatureStatistics.from_features(x)
    scale = np.trace(stats.covariance())
    assert abs(M.fid_from_statistics(stats, stats)) < 1e-6 * scale


def test_fid_closed_form_diagonal():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.5])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    got = M.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-10)


def test_fid_closed_form_commuting_non_diagonal():
    # S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T commute: sqrt(S1 S2) = Q diag(sqrt(ab)) Q^T.
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    a, b = np.array([1.0, 2.0, 3.0, 0.5]), np.array([4.0, 0.5, 1.0, 2.0])
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    mu1, mu2 = rng.standard_normal(4), rng.standard_normal(4)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b))
    assert M.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_fid_general_covariances_and_samples():
    rng = np.random.default_rng(3)
    d = 4
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = _random_cov(rng, d), _random_cov(rng, d)
    # independent closed form: Tr sqrt(S1 S2) = Tr sqrt(S1^1/2 S2 S1^1/2) (symmetric PSD)
    r1 = scipy.linalg.sqrtm(s1).real
    eig = np.linalg.eigvalsh(r1 @ s2 @ r1)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(eig))
    assert M.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    # from 20k draws each
    x = rng.multivariate_normal(mu1, s1, size=20000)
    y = rng.multivariate_normal(mu2, s2, size=20000)
    sample_fid = M.fid_from_statistics(M.FeatureStatistics.from_features(x, False),
                                       M.FeatureStatistics.from_features(y, False))
    assert sample_fid == pytest.approx(expected, abs=0.05 * expected + 0.02)


def test_fid_singular_covariances_use_eps_retry():
    # rank-deficient covariances (fewer samples than dimensions) stay finite
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((5, 20)), rng.standard_normal((5, 20)) + 1.0
    value = M.fid_from_statistics(M.FeatureStatistics.from_features(x),
                                  M.FeatureStatistics.from_features(y))
    assert np.isfinite(value) and value > 0
    # a collapsed set (zero covariance): singular product, retried with eps * I, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = M.frechet_distance(np.zeros(3), np.zeros((3, 3)), np.ones(3), np.eye(3))
    assert value == pytest.approx(3.0 + 3.0, abs=1e-2)
    with pytest.raises(ValueError, match="shapes"):
        M.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


# ---------------------------------------------------------------------- KID
def _mmd2_unbiased_reference(x, y):
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1.0) ** 3  # noqa: E731
    m = len(x)
    sxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    syy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    sxy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return sxx + syy - 2 * sxy


def test_kid_matches_direct_formula_on_one_subset():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((30, 6)), rng.standard_normal((30, 6)) + 0.5
    mean, std = M.kernel_distance(x, y, num_subsets=1, subset_size=30)
    assert mean == pytest.approx(_mmd2_unbiased_reference(x, y), rel=1e-10)
    assert std == 0.0


def test_kid_is_unbiased_and_detects_a_shift():
    rng = np.random.default_rng(6)
    same, shifted = [], []
    for rep in range(20):
        x = rng.standard_normal((200, 8))
        y = rng.standard_normal((200, 8))
        same.append(M.kernel_distance(x, y, num_subsets=5, subset_size=100, seed=rep)[0])
        shifted.append(M.kernel_distance(x, y + 0.5, num_subsets=5, subset_size=100,
                                         seed=rep)[0])
    same = np.array(same)
    stderr = same.std(ddof=1) / math.sqrt(len(same))
    assert abs(same.mean()) < 3 * stderr
    assert np.mean(shifted) > 10 * max(abs(same.mean()), 3 * stderr)


def test_kid_subset_size_is_capped():
    rng = np.random.default_rng(7)
    mean, std = M.kernel_distance(rng.standard_normal((10, 3)), rng.standard_normal((50, 3)),
                                  num_subsets=3, subset_size=1000)
    assert np.isfinite(mean) and np.isfinite(std)


# ----------------------------------------------------------------------- IS
def _is_reference(p):
    py = p.mean(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(p > 0, p * (np.log(p) - np.log(py)), 0.0).sum(1)
    return math.exp(kl.mean())


def test_inception_score_extremes_and_reference():
    k = 7
    confident = np.eye(k)[np.arange(700) % k]
    mean, std = M.inception_score(confident, splits=10)
    assert mean == pytest.approx(k, rel=1e-9) and std == pytest.approx(0.0, abs=1e-9)
    same = np.tile(np.random.default_rng(0).dirichlet(np.ones(k)), (100, 1))
    assert M.inception_score(same, splits=5)[0] == pytest.approx(1.0, abs=1e-9)

    rng = np.random.default_rng(8)
    logits = rng.standard_normal((300, k)) * 3
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    expected = [_is_reference(p[i * 100:(i + 1) * 100]) for i in range(3)]
    mean, std = M.inception_score(p, splits=3)
    assert mean == pytest.approx(np.mean(expected), rel=1e-9)
    assert std == pytest.approx(np.std(expected), rel=1e-6)
    assert M.inception_score(logits, splits=3, from_logits=True)[0] == pytest.approx(mean,
                                                                                    rel=1e-9)
    with pytest.raises(ValueError, match="from_logits"):
        M.inception_score(logits, splits=3)


# ------------------------------------------------------- precision / recall
def _pr_bruteforce(real, fake, k):
    def radii(x):
        d = scipy.spatial.distance.cdist(x, x)
        return np.sort(d, axis=1)[:, k]  # column 0 is the sample itself

    rr, rf = radii(real), radii(fake)
    d_fr = scipy.spatial.distance.cdist(fake, real)
    precision = np.mean((d_fr <= rr[None, :]).any(1))
    recall = np.mean((d_fr.T <= rf[None, :]).any(1))
    return precision, recall


def test_precision_recall_self_far_and_bruteforce():
    rng = np.random.default_rng(9)
    real = rng.standard_normal((200, 5))
    assert M.precision_recall(real, real, k=3) == dict(precision=1.0, recall=1.0)
    far = M.precision_recall(real, real + 100.0, k=3)
    assert far["precision"] == 0.0 and far["recall"] == 0.0

    fake = rng.standard_normal((150, 5)) * 1.3 + 0.4
    expected = _pr_bruteforce(real, fake, 3)
    for batch_size in (17, 4096):  # several blocks, and one block
        got = M.precision_recall(real, fake, k=3, batch_size=batch_size)
        assert (got["precision"], got["recall"]) == pytest.approx(expected, abs=1e-12)
    assert 0.0 < expected[0] < 1.0 and 0.0 < expected[1] < 1.0
    with pytest.raises(ValueError, match="k must"):
        M.precision_recall(real[:3], fake, k=3)


# ------------------------------------------------------- class distribution
def test_class_distribution():
    collapsed = M.class_distribution(np.full(100, 4), 10)
    assert collapsed["num_classes_found"] == 1 and collapsed["entropy"] == 0.0
    assert collapsed["counts"][4] == 100
    uniform = M.class_distribution(np.eye(10)[np.arange(1000) % 10], 10)
    assert uniform["num_classes_found"] == 10
    assert uniform["entropy"] == pytest.approx(math.log(10))
    assert uniform["normalized_entropy"] == pytest.approx(1.0)
    # a class with 0.5 % of the samples is below the default 1 % threshold
    labels = np.concatenate([np.zeros(995, int), np.ones(5, int)])
    assert M.class_distribution(labels, 3)["num_classes_found"] == 1
    assert M.class_distribution(labels, 3, min_fraction=0.001)["num_classes_found"] == 2
    with pytest.raises(ValueError):
        M.class_distribution(np.array([0, 3]), 3)


def test_likelihood_units():
    assert M.nats_to_bits(math.log(2)) == pytest.approx(1.0)
    assert M.bits_per_dim(784 * math.log(2) * 3, (28, 28, 1)) == pytest.approx(3.0)
    np.testing.assert_allclose(M.bits_per_dim(np.array([10 * math.log(2)]), 10), [1.0])


# --------------------------------------------------------------- extractors
def test_inception_extractor_shapes_and_range_check():
    ext = M.InceptionV3Extractor(weights=None)
    assert ext.input_shape == (299, 299, 3) and ext.feature_dim == 2048
    images = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    features, logits = ext(images)
    assert features.shape == (2, 2048) and logits.shape == (2, 1000)
    assert features.dtype == np.float32 and logits.dtype == np.float32
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        ext(images * 127.5 + 127.5)
    with pytest.raises(ValueError, match="uint8"):
        ext(np.zeros((2, 28, 28, 1), np.uint8))
    with pytest.raises(ValueError, match="shape"):
        ext(np.zeros((2, 28, 28), np.float32))


def test_extractor_conversions():
    ext = ProjectionExtractor(image_shape=(8, 8, 1))
    rgb = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 3)).astype("float32")
    prepared = ext.prepare(rgb)
    assert tuple(prepared.shape) == (3, 8, 8, 1)
    gray = ext.prepare(np.full((1, 8, 8, 3), 0.5, np.float32))
    np.testing.assert_allclose(gray.numpy(), 0.5, rtol=1e-6)  # luma keeps the range
    ext3 = ProjectionExtractor(image_shape=(8, 8, 3))
    tiled = ext3.prepare(np.full((1, 4, 4, 1), -0.25, np.float32))
    assert tuple(tiled.shape) == (1, 8, 8, 3)
    np.testing.assert_allclose(tiled.numpy(), -0.25, rtol=1e-6)
    features, logits = ext(tf.constant(rgb))
    assert features.shape == (3, 8) and logits.shape == (3, 3)


def test_get_extractor():
    ext = ProjectionExtractor()
    assert M.get_extractor(ext) is ext
    assert M.list_extractors() == ["fashion_mnist", "inception_v3", "mnist"]
    with pytest.raises(ValueError, match="inception_v3"):
        M.get_extractor("vgg16")
    assert isinstance(M.get_extractor("inception_v3", weights=None), M.InceptionV3Extractor)


# -------------------------------------------------------- compute_statistics
def test_compute_statistics_from_a_model_is_batched_and_deterministic():
    model = kgz.create_model("dcgan_tiny")
    shape = tuple(model.generate(1, seed=0).shape[1:])
    ext = ProjectionExtractor(image_shape=shape)
    stats, logits = M.compute_statistics(model, ext, num_samples=50, batch_size=16, seed=3)
    assert stats.count == 50 and logits.shape == (50, 3)
    assert ext.calls == 4  # 16 + 16 + 16 + 2
    again, _ = M.compute_statistics(model, ext, num_samples=50, batch_size=16, seed=3)
    np.testing.assert_array_equal(stats.features(), again.features())
    other, _ = M.compute_statistics(model, ext, num_samples=50, batch_size=16, seed=4)
    assert not np.allclose(stats.features(), other.features())


def test_compute_statistics_from_datasets_arrays_and_callables():
    ext = ProjectionExtractor()
    images = np.random.default_rng(2).uniform(-1, 1, (40, 16, 16, 1)).astype("float32")
    direct, _ = ext(images[:30])

    from_array, _ = M.compute_statistics(images, ext, num_samples=30, batch_size=8)
    np.testing.assert_allclose(from_array.features(), direct, rtol=1e-5, atol=1e-6)

    labeled = tf.data.Dataset.from_tensor_slices((images, np.zeros(40, np.int32))).batch(16)
    from_ds, _ = M.compute_statistics(labeled, ext, num_samples=30)
    np.testing.assert_allclose(from_ds.features(), direct, rtol=1e-5, atol=1e-6)

    as_dicts = tf.data.Dataset.from_tensor_slices({"images": images})  # unbatched
    assert M.compute_statistics(as_dicts, ext, num_samples=None)[0].count == 40

    with pytest.raises(ValueError, match="ran out after 40 images"):
        M.compute_statistics(labeled, ext, num_samples=100)
    with pytest.raises(ValueError, match="40 images"):
        M.compute_statistics(images, ext, num_samples=100)

    def sampler(n, seed):
        return np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")

    a, _ = M.compute_statistics(sampler, ext, num_samples=20, batch_size=8, seed=1)
    b, _ = M.compute_statistics(sampler, ext, num_samples=20, batch_size=8, seed=1)
    np.testing.assert_array_equal(a.features(), b.features())


def test_evaluate_keys_and_sanity():
    ext = ProjectionExtractor()
    rng = np.random.default_rng(3)
    real = rng.uniform(-1, 1, (200, 16, 16, 1)).astype("float32")

    def same_distribution(n, seed):
        return np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")

    def collapsed(n, seed):
        return np.full((n, 16, 16, 1), 0.9, np.float32)

    good = M.evaluate(same_distribution, real, metrics=("fid", "kid", "is", "pr", "modes"),
                      extractor=ext, num_samples=200, batch_size=64, kid_subsets=10,
                      kid_subset_size=100)
    assert set(good) == {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall",
                         "classes_found", "class_entropy"}
    bad = M.evaluate(collapsed, real, metrics=("fid", "kid", "modes"), extractor=ext,
                     num_samples=200, kid_subsets=10, kid_subset_size=100)
    assert bad["fid"] > 10 * good["fid"] and bad["kid"] > 10 * abs(good["kid"])
    assert bad["classes_found"] == 1 and bad["class_entropy"] == 0.0
    assert good["classes_found"] == 3

    real_stats, _ = M.compute_statistics(real, ext, num_samples=200, keep_features=False)
    fid_only = M.evaluate(same_distribution, real_stats, metrics="fid", extractor=ext,
                          num_samples=200, batch_size=64)  # same batches -> same seeds
    assert fid_only == {"fid": pytest.approx(good["fid"])}
    with pytest.raises(ValueError, match="keep_features"):
        M.evaluate(same_distribution, real_stats, metrics="kid", extractor=ext, num_samples=200)
    with pytest.raises(ValueError, match="fid, kid, is, pr, modes"):
        M.evaluate(same_distribution, real, metrics=("fid", "lpips"), extractor=ext)
