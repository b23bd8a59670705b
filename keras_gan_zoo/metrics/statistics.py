"""The math of sample-quality metrics, in numpy/scipy (no TensorFlow).

FID, KID, Inception Score, improved precision/recall, predicted-class counts
(the mode-collapse signal) and likelihood unit conversions. Everything takes
feature / probability arrays, so any feature extractor can feed it.

Example:
    >>> stats_a, stats_b = FeatureStatistics(), FeatureStatistics()
    >>> stats_a.update(features_real); stats_b.update(features_fake)
    >>> fid = fid_from_statistics(stats_a, stats_b)
"""

import math
import warnings

import numpy as np
import scipy.linalg
import scipy.special

__all__ = [
    "FeatureStatistics",
    "bits_per_dim",
    "class_distribution",
    "fid_from_statistics",
    "frechet_distance",
    "inception_score",
    "kernel_distance",
    "nats_to_bits",
    "precision_recall",
]


class FeatureStatistics:
    """Streaming mean and covariance of feature vectors (and, optionally, the features).

    Keeps the count, the float64 sum and the float64 sum of outer products of the
    features (shifted by the first batch's mean, which keeps the covariance exact
    when the mean is large compared with the spread), so mean and covariance are
    exact without holding all features. With ``keep_features`` (the default) it also
    keeps the features themselves (float32), which KID and precision/recall need.

    Args:
        keep_features: keep the feature vectors (False is enough for FID).

    Example:
        >>> stats = FeatureStatistics()
        >>> for batch in batches:
        ...     stats.update(batch)              # (B, D)
        >>> stats.mean(), stats.covariance()     # (D,), (D, D), unbiased

    Reference:
        Heusel et al. 2017 (FID), arXiv:1706.08500.
    """

    def __init__(self, keep_features=True):
        self.keep_features = bool(keep_features)
        self._count = 0
        self._dim = None
        self._shift = None
        self._sum = None
        self._outer = None
        self._batches = []
        self._features = None  # concatenated cache

    @classmethod
    def from_features(cls, features, keep_features=True):
        """Statistics of one (N, D) array."""
        stats = cls(keep_features=keep_features)
        stats.update(features)
        return stats

    @property
    def count(self):
        """Number of feature vectors seen."""
        return self._count

    @property
    def dim(self):
        """Feature dimension D (None before the first update)."""
        return self._dim

    def update(self, features):
        """Adds a (B, D) batch of feature vectors.

        Raises:
            ValueError: not 2-D, non-finite values, or D differs from earlier batches.
        """
        x = np.asarray(features)
        if x.ndim != 2:
            raise ValueError(f"features must have shape (B, D); got shape {x.shape}.")
        if self._dim is not None and x.shape[1] != self._dim:
            raise ValueError(
                f"Feature dimension mismatch: this batch has D={x.shape[1]}, earlier "
                f"batches had D={self._dim}."
            )
        if x.shape[0] == 0:
            return self
        x64 = x.astype(np.float64)
        if not np.isfinite(x64).all():
            raise ValueError("features contain NaN or infinite values.")
        if self._dim is None:
            self._dim = x.shape[1]
            self._shift = x64.mean(axis=0)
            self._sum = np.zeros(self._dim, np.float64)
            self._outer = np.zeros((self._dim, self._dim), np.float64)
        centered = x64 - self._shift
        self._count += x.shape[0]
        self._sum += centered.sum(axis=0)
        self._outer += centered.T @ centered
        if self.keep_features:
            self._batches.append(x.astype(np.float32))
            self._features = None
        return self

    def _require(self, minimum=1):
        if self._count < minimum:
            raise ValueError(
                f"FeatureStatistics needs at least {minimum} feature vector(s); it has "
                f"{self._count}."
            )

    def mean(self):
        """Mean feature vector, float64 (D,)."""
        self._require(1)
        return self._shift + self._sum / self._count

    def covariance(self):
        """Unbiased (N - 1) covariance, float64 (D, D), like ``np.cov(x, rowvar=False)``."""
        self._require(2)
        m = self._sum / self._count
        cov = (self._outer - self._count * np.outer(m, m)) / (self._count - 1)
        return (cov + cov.T) / 2.0

    def features(self):
        """All feature vectors as one float32 (N, D) array."""
        if not self.keep_features:
            raise ValueError(
                "These FeatureStatistics were built with keep_features=False; KID and "
                "precision/recall need the features themselves."
            )
        self._require(1)
        if self._features is None:
            self._features = np.concatenate(self._batches, axis=0)
            self._batches = [self._features]
        return self._features

    def __repr__(self):
        return (f"FeatureStatistics(count={self._count}, dim={self._dim}, "
                f"keep_features={self.keep_features})")


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Fréchet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    ``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2))`` with ``scipy.linalg.sqrtm``.
    As in the TTUR reference code, if the matrix square root is not finite
    (singular product) it is retried with ``eps * I`` added to both covariances,
    and a negligible imaginary part from numerical error is dropped.

    Args:
        mu1, mu2: (D,) means.
        sigma1, sigma2: (D, D) covariances.
        eps: diagonal offset for the retry.

    Returns:
        The distance, a python float.

    Raises:
        ValueError: mismatched shapes, or a large imaginary component.

    Example:
        >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))
        2.0

    Reference:
        Heusel et al. 2017, arXiv:1706.08500.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu1.shape != mu2.shape or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(
            f"Mismatched shapes: mu1 {mu1.shape}, sigma1 {sigma1.shape}, mu2 {mu2.shape}, "
            f"sigma2 {sigma2.shape}; expected (D,) means and (D, D) covariances."
        )
    diff = mu1 - mu2
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
            singular = not np.isfinite(covmean).all()
        except scipy.linalg.LinAlgWarning:  # singular product
            singular = True
    if singular:
        offset = np.eye(d) * eps
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(
                f"Imaginary component {np.max(np.abs(covmean.imag)):.3g} in sqrtm(S1 S2) is "
                "too large; the covariances are probably not positive semi-definite."
            )
        covmean = covmean.real
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(value)


def fid_from_statistics(stats_a, stats_b, eps=1e-6):
    """FID between two :class:`FeatureStatistics`.

    Example:
        >>> fid = fid_from_statistics(real_stats, fake_stats)

    Reference:
        Heusel et al. 2017, arXiv:1706.08500.
    """
    if stats_a.dim != stats_b.dim:
        raise ValueError(
            f"Feature dimensions differ: {stats_a.dim} vs {stats_b.dim} (different extractors?)."
        )
    return frechet_distance(stats_a.mean(), stats_a.covariance(),
                            stats_b.mean(), stats_b.covariance(), eps=eps)


def _as_features(x, name):
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array; got shape {x.shape}.")
    return x.astype(np.float64)


def _polynomial_mmd2_unbiased(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3 on one pair of equal-size sets."""
    d = x.shape[1]
    m = x.shape[0]
    k_xx = (x @ x.T / d + 1.0) ** 3
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    sum_xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    sum_yy = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return sum_xx + sum_yy - 2.0 * k_xy.mean()


def kernel_distance(features_a, features_b, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel.

    ``k(x, y) = (x.y / d + 1)^3``, averaged over ``num_subsets`` random subsets
    (drawn without replacement within a subset) of
    ``m = min(subset_size, len(a), len(b))`` samples from each set.

    Args:
        features_a, features_b: (N, D) and (M, D) arrays.
        num_subsets: number of subset pairs.
        subset_size: samples per subset.
        seed: seed of the subset draws.

    Returns:
        ``(mean, std)`` over the subsets, python floats (unbiased: can be < 0).

    Example:
        >>> kid, kid_std = kernel_distance(real_features, fake_features)

    Reference:
        Binkowski et al. 2018, arXiv:1801.01401.
    """
    a = _as_features(features_a, "features_a")
    b = _as_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"Feature dimensions differ: {a.shape[1]} vs {b.shape[1]}.")
    if int(num_subsets) < 1:
        raise ValueError(f"num_subsets must be >= 1; got {num_subsets}.")
    m = min(int(subset_size), a.shape[0], b.shape[0])
    if m < 2:
        raise ValueError(f"KID needs subsets of at least 2 samples; got subset size {m}.")
    rng = np.random.default_rng(seed)
    values = np.empty(int(num_subsets))
    for i in range(int(num_subsets)):
        x = a[rng.choice(a.shape[0], m, replace=False)]
        y = b[rng.choice(b.shape[0], m, replace=False)]
        values[i] = _polynomial_mmd2_unbiased(x, y)
    return float(values.mean()), float(values.std())


def inception_score(probabilities, splits=10, from_logits=False):
    """Inception Score: ``exp(E_x KL(p(y|x) || p(y)))`` per split.

    As in the reference code, the samples are cut into ``splits`` consecutive parts
    of ``N // splits`` samples (a remainder is left out), p(y) is the mean of each part.

    Args:
        probabilities: (N, K) class probabilities (rows sum to 1), or logits with
            ``from_logits=True`` (softmax in float64).
        splits: number of parts.
        from_logits: the input holds logits.

    Returns:
        ``(mean, std)`` over the splits, python floats (1 <= IS <= K).

    Example:
        >>> is_mean, is_std = inception_score(logits, from_logits=True)

    Reference:
        Salimans et al. 2016, arXiv:1606.03498.
    """
    p = _as_features(probabilities, "probabilities")
    splits = int(splits)
    if splits < 1 or p.shape[0] < splits:
        raise ValueError(
            f"splits must be between 1 and the number of samples ({p.shape[0]}); got {splits}."
        )
    if from_logits:
        p = np.exp(scipy.special.log_softmax(p, axis=1))
    elif (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError(
            "probabilities must be non-negative with rows summing to 1; pass "
            "from_logits=True for logits."
        )
    size = p.shape[0] // splits
    scores = []
    for k in range(splits):
        part = p[k * size:(k + 1) * size]
        py = part.mean(axis=0, keepdims=True)
        kl = scipy.special.xlogy(part, part) - scipy.special.xlogy(part, py)
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _squared_norms(x):
    return np.einsum("ij,ij->i", x, x)


def _block_sq_distances(x, x_norms, y, y_norms):
    d2 = x_norms[:, None] + y_norms[None, :] - 2.0 * (x @ y.T)
    return np.maximum(d2, 0.0)


def _knn_sq_radii(x, k, batch_size):
    """Squared distance of each row of x to its k-th nearest other row (blocked)."""
    n = x.shape[0]
    norms = _squared_norms(x)
    radii = np.empty(n)
    for r0 in range(0, n, batch_size):
        rows = slice(r0, min(n, r0 + batch_size))
        best = None  # (b, k + 1) smallest so far, self (distance 0) included
        for c0 in range(0, n, batch_size):
            cols = slice(c0, min(n, c0 + batch_size))
            d2 = _block_sq_distances(x[rows], norms[rows], x[cols], norms[cols])
            if r0 == c0:  # the exact 0 to itself (the expansion leaves rounding)
                np.fill_diagonal(d2, 0.0)
            cand = d2 if best is None else np.concatenate([best, d2], axis=1)
            if cand.shape[1] > k + 1:
                cand = np.partition(cand, k, axis=1)[:, :k + 1]
            best = cand
        radii[rows] = np.partition(best, k, axis=1)[:, k]
    return radii


def _fraction_inside(manifold, sq_radii, queries, batch_size):
    """Fraction of query rows within the radius of at least one manifold row."""
    m_norms = _squared_norms(manifold)
    q_norms = _squared_norms(queries)
    inside = np.zeros(queries.shape[0], bool)
    for r0 in range(0, queries.shape[0], batch_size):
        rows = slice(r0, min(queries.shape[0], r0 + batch_size))
        hit = np.zeros(rows.stop - rows.start, bool)
        for c0 in range(0, manifold.shape[0], batch_size):
            cols = slice(c0, min(manifold.shape[0], c0 + batch_size))
            d2 = _block_sq_distances(queries[rows], q_norms[rows], manifold[cols], m_norms[cols])
            hit |= (d2 <= sq_radii[None, cols]).any(axis=1)
        inside[rows] = hit
    return float(inside.mean())


def precision_recall(real_features, fake_features, k=3, batch_size=2048):
    """Improved precision and recall of generated samples.

    Each set's manifold is the union of balls around its samples with radius the
    distance to the sample's k-th nearest neighbour in the same set (self excluded).
    Precision is the fraction of fake samples inside the real manifold, recall the
    fraction of real samples inside the fake manifold. Pairwise distances are
    computed in ``batch_size x batch_size`` blocks (float64), so memory is bounded.

    Args:
        real_features: (N, D) array.
        fake_features: (M, D) array.
        k: neighbourhood size (the paper uses 3).
        batch_size: rows and columns per distance block.

    Returns:
        ``dict(precision=float, recall=float)``.

    Example:
        >>> precision_recall(real_features, fake_features)["precision"]

    Reference:
        Kynkaanniemi et al. 2019, arXiv:1904.06991.
    """
    real = _as_features(real_features, "real_features")
    fake = _as_features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"Feature dimensions differ: {real.shape[1]} vs {fake.shape[1]}.")
    k = int(k)
    if k < 1 or k >= min(real.shape[0], fake.shape[0]):
        raise ValueError(
            f"k must be >= 1 and smaller than both set sizes ({real.shape[0]}, "
            f"{fake.shape[0]}); got {k}."
        )
    batch_size = max(1, int(batch_size))
    real_radii = _knn_sq_radii(real, k, batch_size)
    fake_radii = _knn_sq_radii(fake, k, batch_size)
    return dict(
        precision=_fraction_inside(real, real_radii, fake, batch_size),
        recall=_fraction_inside(fake, fake_radii, real, batch_size),
    )


def class_distribution(probabilities_or_labels, num_classes, min_fraction=0.01):
    """Distribution of (predicted) classes: the mode-collapse signal.

    Args:
        probabilities_or_labels: (N,) integer labels, or (N, K) probabilities or
            logits (the argmax is taken).
        num_classes: K.
        min_fraction: a class counts as found when it holds at least this fraction
            of the samples (default 1 %).

    Returns:
        ``dict(counts=(K,) int array, fractions=(K,) float array,
        num_classes_found=int, entropy=float nats, normalized_entropy=entropy / log K)``.
        A collapsed generator has entropy 0; a uniform one log K (normalized 1).

    Example:
        >>> class_distribution(logits, 10)["num_classes_found"]
    """
    num_classes = int(num_classes)
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1; got {num_classes}.")
    x = np.asarray(probabilities_or_labels)
    if x.ndim == 2:
        if x.shape[1] != num_classes:
            raise ValueError(
                f"Expected (N, {num_classes}) probabilities; got shape {x.shape}."
            )
        labels = x.argmax(axis=1)
    elif x.ndim == 1:
        if x.size and not np.issubdtype(x.dtype, np.integer):
            if not np.all(np.equal(np.mod(x, 1), 0)):
                raise ValueError("1-D input must hold integer class labels.")
        labels = x.astype(np.int64)
    else:
        raise ValueError(f"Expected (N,) labels or (N, K) probabilities; got shape {x.shape}.")
    if labels.size == 0:
        raise ValueError("class_distribution needs at least one sample.")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"Labels must lie in [0, {num_classes}); got "
                         f"[{labels.min()}, {labels.max()}].")
    counts = np.bincount(labels, minlength=num_classes)
    fractions = counts / counts.sum()
    entropy = float(-scipy.special.xlogy(fractions, fractions).sum())
    entropy = max(entropy, 0.0)
    normalized = entropy / math.log(num_classes) if num_classes > 1 else 0.0
    return dict(
        counts=counts,
        fractions=fractions,
        num_classes_found=int((fractions >= min_fraction).sum()),
        entropy=entropy,
        normalized_entropy=float(normalized),
    )


def nats_to_bits(x):
    """Converts nats to bits (divides by ln 2). Works on floats and arrays."""
    return np.asarray(x, np.float64) / math.log(2.0) if np.ndim(x) else float(x) / math.log(2.0)


def bits_per_dim(nll_nats_per_example, num_dims):
    """Bits per dimension: ``nll / (D * ln 2)``.

    Args:
        nll_nats_per_example: negative log-likelihood per example in nats (float or array).
        num_dims: D, an int or an image shape such as (28, 28, 1).

    Returns:
        Bits per dimension (float, or an array for array input).

    Example:
        >>> bits_per_dim(784 * math.log(2), (28, 28, 1))
        1.0
    """
    d = int(np.prod(num_dims))
    if d < 1:
        raise ValueError(f"num_dims must be positive; got {num_dims}.")
    return nats_to_bits(nll_nats_per_example) / d
