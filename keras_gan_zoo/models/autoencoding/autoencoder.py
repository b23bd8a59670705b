"""Convolutional autoencoder with a Gaussian-mixture density on its codes.

A deterministic autoencoder has no prior to sample from; the usual way to make it
generate (e.g. Ghosh et al. 2019, "From Variational to Deterministic Autoencoders",
arXiv:1903.12436, section 4 "ex-post density estimation") is to fit a density model
on the codes of the training images after training and decode its samples. Here
that density is a Gaussian mixture with full covariances, fitted by EM
(`fit_gaussian_mixture`, numpy, no scikit-learn needed) and stored in
non-trainable weights of the model, so it is saved and loaded with it.
"""

import collections

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.autoencoding.base import AutoencodingModel, conv_decoder, conv_encoder
from keras_gan_zoo.registry import register_model

GaussianMixture = collections.namedtuple(
    "GaussianMixture",
    ["weights", "means", "covariances", "log_likelihood", "iterations", "converged"])
GaussianMixture.__doc__ = """Result of `fit_gaussian_mixture`: mixture `weights` (K,), `means`
(K, d), `covariances` (K, d, d), the mean `log_likelihood` per point (nats) at the end,
the EM `iterations` run and whether they `converged`."""


def _log_gaussians(x, means, cholesky):
    """log N(x; mean_k, L_k L_k^T) for every point and component: (n, K)."""
    n, d = x.shape
    out = np.empty((n, len(means)))
    for k, (mean, chol) in enumerate(zip(means, cholesky)):
        y = np.linalg.solve(chol, (x - mean).T)  # L^-1 (x - mu), (d, n)
        log_det = 2.0 * np.sum(np.log(np.diag(chol)))
        out[:, k] = -0.5 * (np.sum(y * y, axis=0) + d * np.log(2 * np.pi) + log_det)
    return out


def _logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def _kmeans_plus_plus(x, components, rng, iterations=10):
    """Hard assignments from k-means++ seeding and a few Lloyd iterations."""
    centers = [x[rng.integers(len(x))]]
    for _ in range(1, components):
        dist = np.min([np.sum((x - c) ** 2, axis=1) for c in centers], axis=0)
        total = dist.sum()
        probs = dist / total if total > 0 else np.full(len(x), 1.0 / len(x))
        centers.append(x[rng.choice(len(x), p=probs)])
    centers = np.array(centers)
    for _ in range(iterations):
        labels = np.argmin(((x[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
        for k in range(components):
            if np.any(labels == k):
                centers[k] = x[labels == k].mean(axis=0)
    return labels


def fit_gaussian_mixture(x, components, max_iter=200, tol=1e-4, reg_covar=1e-6, seed=0):
    """Fits a full-covariance Gaussian mixture to points `x` by EM.

    Initialized from k-means++ (hard assignments), then EM until the mean
    log-likelihood per point improves by less than `tol` (nats). `reg_covar` is
    added to the covariance diagonals (as scikit-learn does) so that they stay
    positive definite.

    Args:
        x: (n, d) points, n >= components.
        components: number of Gaussians K.
        max_iter: EM iterations at most.
        tol: convergence threshold on the mean log-likelihood (nats per point).
        reg_covar: diagonal regularization of the covariances.
        seed: seed of the k-means++ initialization.

    Returns:
        A `GaussianMixture` (float64 arrays).

    Example:
        >>> codes = np.random.default_rng(0).normal(size=(1000, 16))  # (n, d) points
        >>> gmm = fit_gaussian_mixture(codes, components=10)
        >>> gmm.weights.shape, gmm.means.shape, gmm.covariances.shape
        ((10,), (10, 16), (10, 16, 16))

    Reference:
        Dempster, Laird & Rubin 1977; Bishop, Pattern Recognition and Machine
        Learning, section 9.2.2.
    """
    x = np.asarray(x, dtype="float64")
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be a finite (n, d) array; got shape {x.shape}.")
    if isinstance(components, bool) or not isinstance(components, (int, np.integer)) \
            or components < 1:
        raise ValueError(f"components must be a positive int; got {components!r}.")
    if len(x) < components:
        raise ValueError(f"Need at least {components} points for {components} components; "
                         f"got {len(x)}.")
    n, d = x.shape
    resp = np.eye(components)[_kmeans_plus_plus(x, components, np.random.default_rng(seed))]
    previous, converged, iteration = -np.inf, False, 0
    for iteration in range(1, max_iter + 1):
        # M-step: weights, means, covariances from the responsibilities.
        counts = resp.sum(axis=0) + 10 * np.finfo("float64").eps
        weights = counts / n
        means = resp.T @ x / counts[:, None]
        covariances = np.empty((components, d, d))
        for k in range(components):
            diff = x - means[k]
            covariances[k] = (resp[:, k, None] * diff).T @ diff / counts[k]
            covariances[k].flat[:: d + 1] += reg_covar
        cholesky = np.linalg.cholesky(covariances)
        # E-step: responsibilities and the log-likelihood they come with.
        log_joint = np.log(weights) + _log_gaussians(x, means, cholesky)
        log_norm = _logsumexp(log_joint, axis=1)
        resp = np.exp(log_joint - log_norm[:, None])
        mean_ll = float(np.mean(log_norm))
        if abs(mean_ll - previous) < tol:
            converged = True
            break
        previous = mean_ll
    return GaussianMixture(weights, means, covariances, mean_ll, iteration, converged)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class LatentGaussianMixture(keras.layers.Layer):
    """Non-trainable weights of a Gaussian mixture on the codes (saved with the model).

    Holds log mixture weights (K,), means (K, d), lower Cholesky factors of the
    covariances (K, d, d) and a `fitted` flag.
    """

    def __init__(self, components, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.components, self.latent_dim = int(components), int(latent_dim)
        k, d = self.components, self.latent_dim
        weight = dict(trainable=False, dtype="float32", aggregation="only_first_replica")
        self.log_weights = self.add_weight(shape=(k,), initializer="zeros",
                                           name="log_weights", **weight)
        self.means = self.add_weight(shape=(k, d), initializer="zeros", name="means", **weight)
        self.cholesky = self.add_weight(
            shape=(k, d, d), name="cholesky", **weight,
            initializer=lambda shape, dtype=None: tf.eye(d, batch_shape=[k], dtype=dtype))
        self.fitted = self.add_weight(shape=(), initializer="zeros", name="fitted", **weight)
        self.built = True

    def assign_mixture(self, mixture):
        self.log_weights.assign(np.log(mixture.weights).astype("float32"))
        self.means.assign(mixture.means.astype("float32"))
        self.cholesky.assign(np.linalg.cholesky(mixture.covariances).astype("float32"))
        self.fitted.assign(1.0)

    def sample(self, n, seed=None):
        rng = np.random.default_rng(seed)
        log_w = self.log_weights.numpy().astype("float64")
        probs = np.exp(log_w - log_w.max())
        which = rng.choice(self.components, size=n, p=probs / probs.sum())
        eps = rng.standard_normal((n, self.latent_dim))
        chol = self.cholesky.numpy().astype("float64")[which]
        z = self.means.numpy().astype("float64")[which] + np.einsum("nij,nj->ni", chol, eps)
        return z.astype("float32")

    def log_prob(self, z):
        """log density of codes z (n, d) under the mixture, float64 nats."""
        z = np.asarray(z, dtype="float64")
        log_joint = self.log_weights.numpy()[None].astype("float64") + _log_gaussians(
            z, self.means.numpy().astype("float64"), self.cholesky.numpy().astype("float64"))
        return _logsumexp(log_joint, axis=1)

    def get_config(self):
        return {**super().get_config(), "components": self.components,
                "latent_dim": self.latent_dim}


@register_model("autoencoder", tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=4,
                                         density_components=2))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class Autoencoder(AutoencodingModel):
    """Convolutional autoencoder; samples by decoding a Gaussian mixture on its codes.

    Trained on the mean squared reconstruction error in [-1, 1]. Sampling needs the
    density of the codes: `fit_latent_density(data)` fits it by EM after training
    (with `density_on_epoch_end=True`, the default, `fit` also refits it on up to
    `density_samples` training codes at the end of every epoch, so sample grids
    during training show real samples). `generate` before any fit raises.

    Args:
        latent_dim: size of the code.
        image_shape: (side, side, channels), a side that halves to >= 4.
        base_filters: channels of the first encoder convolution (doubling per stage).
        density_components: Gaussians in the mixture on the codes.
        density_on_epoch_end: refit the mixture at the end of every `fit` epoch.
        density_samples: training codes used by that refit (the first ones of the data).
        **kwargs: `AutoencodingModel` arguments (`seed`, `name`).

    Example:
        >>> model = kgz.create_model("autoencoder", image_shape=(28, 28, 1))
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("fashion_mnist"), epochs=5)
        >>> model.fit_latent_density(kgz.datasets.load("fashion_mnist"), components=10)
        >>> images = model.generate(64, seed=0)

    Reference:
        Hinton & Salakhutdinov, Reducing the Dimensionality of Data with Neural
        Networks, Science 2006; Ghosh et al., From Variational to Deterministic
        Autoencoders, arXiv:1903.12436 (ex-post density estimation).
    """

    batch_extras = ()  # deterministic: no training noise to fix

    def __init__(self, latent_dim=16, image_shape=(28, 28, 1), base_filters=32,
                 density_components=10, density_on_epoch_end=True, density_samples=10000,
                 **kwargs):
        image_shape = tuple(image_shape)
        for key, value in (("density_components", density_components),
                           ("density_samples", density_samples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key} must be a positive int; got {value!r}.")
        super().__init__(
            encoder=conv_encoder(image_shape, [("code", latent_dim)], base_filters),
            decoder=conv_decoder(latent_dim, image_shape, image_shape[-1], base_filters,
                                 activation="tanh"),
            latent_dim=latent_dim, **kwargs)
        self.base_filters = base_filters
        self.density_on_epoch_end = bool(density_on_epoch_end)
        self.density_samples = density_samples
        self.density = LatentGaussianMixture(density_components, latent_dim, name="density")
        self.add_tracker("reconstruction")

    @property
    def density_components(self):
        return self.density.components

    def objective(self, images, noise):
        reconstructions = self._decode_images(self._codes(images, training=True), training=True)
        per_example = tf.reduce_mean(tf.square(reconstructions - images), axis=[1, 2, 3])
        loss = tf.reduce_mean(per_example)
        return loss, {"reconstruction": loss}

    # --------------------------------------------------------------- density
    def _images_of(self, data, limit=None):
        """Images of an array or a dataset of batches, as numpy (at most `limit`)."""
        if isinstance(data, tf.data.Dataset):
            chunks, count = [], 0
            for batch in data:
                images = keras.ops.convert_to_numpy(self.unpack_batch(batch)["images"])
                chunks.append(images)
                count += len(images)
                if limit is not None and count >= limit:
                    break
            if not chunks:
                raise ValueError("fit_latent_density: the dataset is empty.")
            data = np.concatenate(chunks)
        return np.asarray(data)[:limit]

    def fit_latent_density(self, data, components=None, limit=None, max_iter=200, tol=1e-4,
                           seed=0, batch_size=256):
        """Fits the Gaussian mixture on the codes of `data` (after training).

        Args:
            data: images (n, H, W, C) in [-1, 1] or a dataset of such batches (or of
                `(images, labels)` / dict batches), e.g. the training set.
            components: number of Gaussians (default: `density_components`); a new
                number replaces the mixture (and is saved in the config).
            limit: use at most this many images.
            max_iter, tol, seed: EM settings (see `fit_gaussian_mixture`).
            batch_size: images per encoder call.

        Returns:
            The fitted `GaussianMixture`.
        """
        codes = self.encode(self._images_of(data, limit), batch_size)
        k = self.density_components if components is None else components
        mixture = fit_gaussian_mixture(codes, k, max_iter=max_iter, tol=tol, seed=seed)
        if k != self.density_components:
            old = self.density
            with self.distribute_strategy.scope():
                new = LatentGaussianMixture(k, self.latent_dim, name="density")
            self._tracker.replace_tracked_value("layers", old, new)
            object.__setattr__(self, "density", new)
        self.density.assign_mixture(mixture)
        return mixture

    def sample_prior(self, n, seed=None):
        if not float(self.density.fitted.numpy()):
            raise RuntimeError(
                "Autoencoder.generate samples the Gaussian mixture fitted on the training "
                "codes: call model.fit_latent_density(training_images_or_dataset) after "
                "training (or fit with density_on_epoch_end=True), or pass latents=."
            )
        return self.density.sample(n, seed)

    def fit(self, x=None, y=None, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`; refits the code density after every epoch when
        `density_on_epoch_end` (before the other callbacks, e.g. `SampleGrid`)."""
        callbacks = list(callbacks or [])
        if self.density_on_epoch_end and x is not None:
            callbacks.insert(0, _RefitDensity(self, x))
        return super().fit(x, y, *args, callbacks=callbacks, **kwargs)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "base_filters": self.base_filters,
                "density_components": self.density_components,
                "density_on_epoch_end": self.density_on_epoch_end,
                "density_samples": self.density_samples}


class _RefitDensity(keras.callbacks.Callback):
    def __init__(self, model, data):
        super().__init__()
        self._owner, self._data = model, data

    def on_epoch_end(self, epoch, logs=None):
        images = self._owner._images_of(self._data, self._owner.density_samples)
        if len(images) >= self._owner.density_components:
            self._owner.fit_latent_density(images)
