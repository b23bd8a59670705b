"""Variational autoencoder (Kingma & Welling 2013) with an IWAE likelihood estimate.

q(z|x) = N(mean(x), diag(exp(log_var(x)))), p(z) = N(0, I), trained on the negative
ELBO `E_q[-log p(x|z)] + beta * KL(q(z|x) || p(z))` with the reparameterisation
`z = mean + exp(log_var / 2) * eps`, the KL term in closed form (the paper's
appendix B). `beta > 1` is the beta-VAE (Higgins et al. 2017).

Decoder distributions p(x|z) (`likelihood=`), per pixel:

- `"bernoulli"`: logits; the images are binarised (MNIST as in the IWAE paper).
  `binarization="dynamic"` (default) draws a new binarisation of every image at
  every step, x_bin ~ Bernoulli((x + 1) / 2), as Burda et al. trained;
  `"threshold"` is the fixed rule x_bin = 1 if (x + 1) / 2 > 0.5. Under
  `tf.distribute` the dynamic draws are those of the global batch, so N replicas
  binarise exactly as one device does.
- `"gaussian"`: N(x; mean, scale^2) on [-1, 1], mean = tanh, per-pixel log scale
  (>= -7); a density, so its log-likelihood is not comparable to discrete ones.
- `"logistic"`: a discretized logistic over the 256 pixel levels (PixelCNN++,
  Salimans et al. 2017, arXiv:1701.05517), mean = tanh, per-pixel log scale.

`log_likelihood(x, k)` is the importance-weighted estimate of log p(x) in nats
(Burda et al. 2015, arXiv:1509.00519): `logsumexp_i log w_i - log k`,
`w_i = p(x|z_i) p(z_i) / q(z_i|x)`, z_i ~ q(z|x); a lower bound that tightens with k.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.autoencoding.base import AutoencodingModel, conv_decoder, conv_encoder
from keras_gan_zoo.models.replicas import global_rows
from keras_gan_zoo.registry import register_model

LIKELIHOODS = ("bernoulli", "gaussian", "logistic")
BINARIZATIONS = ("dynamic", "threshold")
MIN_LOG_SCALE = -7.0
_LOG_2PI = float(np.log(2.0 * np.pi))


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example (closed form), (B,)."""
    return 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(log_var) - 1.0 - log_var, axis=-1)


def discretized_logistic_log_prob(x, mean, log_scale):
    """log P(x) of 256-level pixels x in [-1, 1] under a discretized logistic."""
    centered = x - mean
    inv_scale = tf.exp(-log_scale)
    plus = inv_scale * (centered + 1.0 / 255.0)
    minus = inv_scale * (centered - 1.0 / 255.0)
    log_cdf_plus = plus - tf.nn.softplus(plus)  # log sigmoid(plus): the x = -1 edge bin
    log_one_minus_cdf_minus = -tf.nn.softplus(minus)  # the x = 1 edge bin
    delta = tf.sigmoid(plus) - tf.sigmoid(minus)
    mid = inv_scale * centered  # density at the bin centre times the bin width, if tiny
    log_mid = mid - log_scale - 2.0 * tf.nn.softplus(mid) - float(np.log(127.5))
    inner = tf.where(delta > 1e-5, tf.math.log(tf.maximum(delta, 1e-12)), log_mid)
    return tf.where(x < -0.999, log_cdf_plus,
                    tf.where(x > 0.999, log_one_minus_cdf_minus, inner))


def _logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


@register_model("vae", tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=4))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class VAE(AutoencodingModel):
    """Variational autoencoder with Bernoulli, Gaussian or discretized-logistic pixels.

    Args:
        latent_dim: size of z (50 in the IWAE paper's MNIST models).
        image_shape: (side, side, channels), a side that halves to >= 4.
        base_filters: channels of the first encoder convolution (doubling per stage).
        likelihood: `"bernoulli"`, `"gaussian"` or `"logistic"` (see the module).
        beta: weight of the KL term (1: the VAE; > 1: beta-VAE).
        binarization: for `"bernoulli"`: `"dynamic"` or `"threshold"`.
        **kwargs: `AutoencodingModel` arguments (`seed`, `name`).

    Example:
        >>> model = kgz.create_model("vae", image_shape=(28, 28, 1))
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("mnist", batch_size=100), epochs=50)
        >>> nll = -model.log_likelihood(model.binarize(test_images, seed=0), k=500).mean()

    Reference:
        Kingma & Welling, Auto-Encoding Variational Bayes, arXiv:1312.6114.
        Burda, Grosse & Salakhutdinov, Importance Weighted Autoencoders, arXiv:1509.00519.
    """

    def __init__(self, latent_dim=32, image_shape=(28, 28, 1), base_filters=32,
                 likelihood="bernoulli", beta=1.0, binarization="dynamic", **kwargs):
        image_shape = tuple(image_shape)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}.")
        if binarization not in BINARIZATIONS:
            raise ValueError(
                f"binarization must be one of {BINARIZATIONS}; got {binarization!r}.")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta >= 0:
            raise ValueError(f"beta must be a number >= 0; got {beta!r}.")
        params = 1 if likelihood == "bernoulli" else 2
        super().__init__(
            encoder=conv_encoder(image_shape, [("mean", latent_dim), ("log_var", latent_dim)],
                                 base_filters),
            decoder=conv_decoder(latent_dim, image_shape, image_shape[-1] * params,
                                 base_filters),
            latent_dim=latent_dim, **kwargs)
        self.base_filters = base_filters
        self.likelihood = likelihood
        self.beta = float(beta)
        self.binarization = binarization
        self.noise_shape = (latent_dim,)
        self.add_tracker("kl")
        self.add_tracker("reconstruction")

    def default_optimizers(self):
        """Adam(1e-3, epsilon=1e-4), the IWAE paper's settings."""
        return {"optimizer": keras.optimizers.Adam(1e-3, epsilon=1e-4)}

    # ------------------------------------------------------------ likelihood
    def _split(self, outputs):
        channels = self.image_shape[-1]
        return tf.tanh(outputs[..., :channels]), tf.maximum(outputs[..., channels:],
                                                             MIN_LOG_SCALE)

    @property
    def _images_from_outputs(self):
        """Decoder outputs -> the mean image in [-1, 1]: 2 sigmoid(logits) - 1 for
        Bernoulli pixels, tanh of the mean channels otherwise."""
        if self.likelihood == "bernoulli":
            return lambda outputs: 2.0 * tf.sigmoid(outputs) - 1.0
        channels = self.image_shape[-1]
        return lambda outputs: tf.tanh(outputs[..., :channels])

    def log_px(self, outputs, targets):
        """log p(x|z) per example (B,) from the decoder's outputs and the targets
        (binary {0, 1} images for "bernoulli", images in [-1, 1] otherwise)."""
        outputs = tf.cast(outputs, "float32")
        if self.likelihood == "bernoulli":
            log_prob = -tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=outputs)
        else:
            mean, log_scale = self._split(outputs)
            if self.likelihood == "gaussian":
                z = (targets - mean) * tf.exp(-log_scale)
                log_prob = -0.5 * tf.square(z) - log_scale - 0.5 * _LOG_2PI
            else:
                log_prob = discretized_logistic_log_prob(targets, mean, log_scale)
        return tf.reduce_sum(log_prob, axis=[1, 2, 3])

    def _targets(self, images):
        """Training targets: the binarised images for "bernoulli"."""
        if self.likelihood != "bernoulli":
            return images
        probs = (images + 1.0) / 2.0
        if self.binarization == "threshold":
            return tf.cast(probs > 0.5, "float32")
        # Draws for the global batch, this replica's rows of it: the same draws as
        # on one device, however the batch is split.
        b = tf.shape(images)[0]
        offset, total = global_rows(b)
        uniform = tf.random.stateless_uniform(
            tf.concat([[total], tf.shape(images)[1:]], axis=0),
            self.noise_seed(draw=7, per_replica=False))
        return tf.cast(uniform[offset:offset + b] < probs, "float32")

    def binarize(self, images, seed=0):
        """Binarised copies of images in [-1, 1], values in {-1, 1} (float32 numpy).

        `"threshold"`: 1 where (x + 1) / 2 > 0.5; `"dynamic"`: one Bernoulli draw
        with probability (x + 1) / 2 from a numpy generator seeded by `seed` (fix it
        to evaluate on one binarisation of a test set). Binary images are unchanged.
        """
        images = self._images_numpy(images, "binarize")
        probs = (images + 1.0) / 2.0
        if self.binarization == "threshold":
            binary = probs > 0.5
        else:
            binary = np.random.default_rng(seed).random(images.shape) < probs
        return np.where(binary, 1.0, -1.0).astype("float32")

    # --------------------------------------------------------------- training
    def objective(self, images, noise):
        mean, log_var = self.encoder(images, training=True)
        z = mean + tf.exp(0.5 * log_var) * noise
        outputs = self.decoder(z, training=True)
        reconstruction = -tf.reduce_mean(self.log_px(outputs, self._targets(images)))
        kl = tf.reduce_mean(kl_divergence(mean, log_var))
        loss = reconstruction + self.beta * kl
        return loss, {"kl": kl, "reconstruction": reconstruction}

    # ------------------------------------------------------------ evaluation
    def _eval_targets(self, images, seed):
        if self.likelihood != "bernoulli":
            return images
        return (self.binarize(images, seed) + 1.0) / 2.0

    def _log_terms(self, images, targets, samples, seed):
        """For `samples` z ~ q(z|x) per image: log p(x|z) and log p(z) - log q(z|x),
        each (B, S)."""
        mean, log_var = self.encoder(images, training=False)
        batch, dim = tf.shape(mean)[0], tf.shape(mean)[1]
        eps = tf.random.stateless_normal(tf.stack([samples, batch, dim]), seed)
        z = mean[None] + tf.exp(0.5 * log_var)[None] * eps
        outputs = self.decoder(tf.reshape(z, [-1, self.latent_dim]), training=False)
        repeated = tf.reshape(tf.broadcast_to(targets[None], tf.concat(
            [[samples], tf.shape(targets)], 0)), tf.concat([[-1], tf.shape(targets)[1:]], 0))
        log_px = tf.reshape(self.log_px(outputs, repeated), [samples, batch])
        # log N(z; 0, I) - log N(z; mean, var), the 2 pi terms cancel.
        log_ratio = -0.5 * tf.reduce_sum(tf.square(z) - tf.square(eps) - log_var[None], axis=-1)
        return tf.transpose(log_px), tf.transpose(log_ratio)

    def _sampled(self, images, k, seed, max_decodes, reduce):
        """Runs `_log_terms` in chunks of at most `max_decodes` decodes and reduces
        each chunk with `reduce(log_px, log_ratio)` -> (B,); returns (n, chunks)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive int; got {k!r}.")
        cache = self.__dict__.setdefault("_zoo_tf_functions", {})
        if "log_terms" not in cache:
            spec = tf.TensorSpec((None, *self.image_shape), tf.float32)
            cache["log_terms"] = tf.function(self._log_terms, input_signature=[
                spec, spec, tf.TensorSpec((), tf.int32), tf.TensorSpec((2,), tf.int64)])
        fn = cache["log_terms"]
        targets = self._eval_targets(images, seed).astype("float32")
        per_call = min(int(k), max_decodes)
        batch = max(1, max_decodes // per_call)
        rows = []
        for i in range(0, len(images), batch):
            parts = []
            for j, start in enumerate(range(0, k, per_call)):
                samples = min(per_call, k - start)
                log_px, log_ratio = fn(images[i:i + batch], targets[i:i + batch],
                                       tf.constant(samples),
                                       tf.constant([seed, i * 1_000_003 + j], "int64"))
                parts.append(reduce(log_px, log_ratio).numpy().astype("float64"))
            rows.append(np.stack(parts, axis=1))
        return np.concatenate(rows)

    def log_likelihood(self, images, k=1000, seed=0, max_decodes=4096):
        """Importance-weighted estimate of log p(x) per image, in nats (IWAE bound).

        `log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x)`, z_i ~ q(z|x), combined with
        logsumexp (stable); a lower bound on log p(x) that tightens as k grows; for
        k = 1 it is the single-sample estimate of the ELBO. Images are binarised as
        `binarize(images, seed)` for a Bernoulli decoder.

        Args:
            images: (n, H, W, C) in [-1, 1].
            k: importance samples per image (5000 in the IWAE paper).
            seed: seed of the binarisation and of the samples (deterministic).
            max_decodes: decoder evaluations per call (memory bound).

        Returns:
            float64 numpy (n,): log p(x) estimates in nats (NLL = `-mean`;
            `keras_gan_zoo.metrics.bits_per_dim` converts).
        """
        images = self._images_numpy(images, "log_likelihood")
        parts = self._sampled(images, k, seed, max_decodes,
                              lambda log_px, log_ratio: tf.reduce_logsumexp(
                                  log_px + log_ratio, axis=1))
        return _logsumexp(parts, axis=1) - np.log(k)

    def elbo(self, images, samples=100, seed=0, max_decodes=4096):
        """Per-image ELBO in nats: `E_q[log p(x|z)]` (mean over `samples` draws)
        minus the closed-form KL; the training objective with beta = 1."""
        images = self._images_numpy(images, "elbo")
        sums = self._sampled(images, samples, seed, max_decodes,
                             lambda log_px, log_ratio: tf.reduce_sum(log_px, axis=1))
        mean, log_var = self.encoder(images, training=False)
        return sums.sum(axis=1) / samples - kl_divergence(mean, log_var).numpy()

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "base_filters": self.base_filters, "likelihood": self.likelihood,
                "beta": self.beta, "binarization": self.binarization}
