"""Adversarial losses for GANs.

Conventions shared by every function in this module:

* Inputs are discriminator logits / critic outputs of any shape ((B,), (B, 1),
  (B, H, W, 1) for PatchGAN ...). They are cast to float32 first, so
  ``mixed_float16`` / ``mixed_bfloat16`` outputs are safe.
* The result is a float32 scalar: the MEAN over the local (per-replica) batch.
  Under ``tf.distribute`` the training core (``GenerativeModel.minimize``)
  weights it by the replica's share of the global batch.
* Real and fake outputs are reduced separately, so their shapes may differ.
* Everything is written with TensorFlow ops and works inside ``tf.function``
  and ``tf.GradientTape``.
"""

import numbers

import numpy as np
import tensorflow as tf

__all__ = [
    "ADVERSARIAL_LOSSES",
    "get",
    "hinge_d_loss",
    "hinge_g_loss",
    "least_squares_d_loss",
    "least_squares_g_loss",
    "minimax_d_loss",
    "minimax_g_loss",
    "nonsaturating_d_loss",
    "nonsaturating_g_loss",
    "wasserstein_d_loss",
    "wasserstein_g_loss",
]


def _f32(x):
    """Converts `x` to a float32 tensor (mixed precision safe)."""
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def _mean(x):
    return tf.reduce_mean(x)


def _check_real_label(real_label):
    # Only Python / numpy numbers can be checked eagerly; tensors pass through.
    if isinstance(real_label, (numbers.Real, np.number)) and not isinstance(
        real_label, bool
    ):
        if not 0.0 < float(real_label) <= 1.0:
            raise ValueError(
                "`real_label` must be in (0, 1] (1.0 = no label smoothing, "
                f"0.9 = one-sided smoothing as in Salimans et al. 2016); "
                f"received real_label={real_label!r}."
            )
    elif isinstance(real_label, bool):
        raise ValueError(
            f"`real_label` must be a number in (0, 1]; received {real_label!r}."
        )


def _sigmoid_cross_entropy_d_loss(real_logits, fake_logits, real_label):
    _check_real_label(real_label)
    real_logits = _f32(real_logits)
    fake_logits = _f32(fake_logits)
    real_targets = tf.fill(tf.shape(real_logits), tf.cast(real_label, tf.float32))
    # -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], computed stably.
    real_term = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=real_targets, logits=real_logits
    )
    # -log(1 - sigmoid(x)) = softplus(x)
    fake_term = tf.math.softplus(fake_logits)
    return _mean(real_term) + _mean(fake_term)


# --------------------------------------------------------------------------
# Minimax / non-saturating (Goodfellow et al. 2014)
# --------------------------------------------------------------------------


def minimax_d_loss(real_logits, fake_logits, real_label=1.0):
    """Discriminator loss of the original GAN: binary cross-entropy on logits.

    ``-E[log D(x)] - E[log(1 - D(G(z)))]`` with ``D = sigmoid(logits)``,
    computed stably with sigmoid cross-entropy / softplus.

    Args:
        real_logits: Discriminator logits on real data, any shape.
        fake_logits: Discriminator logits on generated data, any shape.
        real_label: Target for real examples. Values below 1 give one-sided
            label smoothing (Salimans et al. 2016, arXiv:1606.03498); fake
            targets always stay 0. Must be in (0, 1].

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> d_loss = minimax_d_loss(D(real), D(fake), real_label=0.9)

    Reference:
        Goodfellow et al., "Generative Adversarial Networks", arXiv:1406.2661.
    """
    return _sigmoid_cross_entropy_d_loss(real_logits, fake_logits, real_label)


def minimax_g_loss(fake_logits):
    """Saturating generator loss of the original GAN (Goodfellow 2014, eq. 1).

    ``E[log(1 - D(G(z)))] = -mean(softplus(fake_logits))``. The generator
    minimizes it. It saturates when D confidently rejects fakes; prefer
    :func:`nonsaturating_g_loss` in practice.

    Args:
        fake_logits: Discriminator logits on generated data, any shape.

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> g_loss = minimax_g_loss(D(G(z)))

    Reference:
        Goodfellow et al., "Generative Adversarial Networks", arXiv:1406.2661.
    """
    return -_mean(tf.math.softplus(_f32(fake_logits)))


def nonsaturating_d_loss(real_logits, fake_logits, real_label=1.0):
    """Discriminator loss of the non-saturating GAN (same as :func:`minimax_d_loss`).

    ``-E[log D(x)] - E[log(1 - D(G(z)))]`` with ``D = sigmoid(logits)``.

    Args:
        real_logits: Discriminator logits on real data, any shape.
        fake_logits: Discriminator logits on generated data, any shape.
        real_label: Target for real examples, in (0, 1]; < 1 is one-sided
            label smoothing (Salimans et al. 2016, arXiv:1606.03498).

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> d_loss = nonsaturating_d_loss(D(real), D(fake))

    Reference:
        Goodfellow et al., "Generative Adversarial Networks", arXiv:1406.2661.
    """
    return _sigmoid_cross_entropy_d_loss(real_logits, fake_logits, real_label)


def nonsaturating_g_loss(fake_logits):
    """Non-saturating generator loss: ``-E[log D(G(z))] = mean(softplus(-logits))``.

    Args:
        fake_logits: Discriminator logits on generated data, any shape.

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> g_loss = nonsaturating_g_loss(D(G(z)))

    Reference:
        Goodfellow et al., "Generative Adversarial Networks", arXiv:1406.2661
        (section 3, the heuristic generator objective).
    """
    return _mean(tf.math.softplus(-_f32(fake_logits)))


# --------------------------------------------------------------------------
# Least squares (Mao et al. 2017)
# --------------------------------------------------------------------------


def least_squares_d_loss(real_outputs, fake_outputs, a=0.0, b=1.0):
    """LSGAN discriminator loss: ``0.5 E[(D(x) - b)^2] + 0.5 E[(D(G(z)) - a)^2]``.

    Outputs are raw (no sigmoid).

    Args:
        real_outputs: Discriminator outputs on real data, any shape.
        fake_outputs: Discriminator outputs on generated data, any shape.
        a: Target for fake data (default 0).
        b: Target for real data (default 1).

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> d_loss = least_squares_d_loss(D(real), D(fake))   # 0-1 coding

    Reference:
        Mao et al., "Least Squares Generative Adversarial Networks",
        arXiv:1611.04076, eq. 2.
    """
    real_outputs = _f32(real_outputs)
    fake_outputs = _f32(fake_outputs)
    a = tf.cast(a, tf.float32)
    b = tf.cast(b, tf.float32)
    return 0.5 * _mean(tf.square(real_outputs - b)) + 0.5 * _mean(
        tf.square(fake_outputs - a)
    )


def least_squares_g_loss(fake_outputs, c=1.0):
    """LSGAN generator loss: ``0.5 E[(D(G(z)) - c)^2]``.

    Args:
        fake_outputs: Discriminator outputs on generated data, any shape.
        c: The value the generator wants D to believe for fakes (default 1).

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> g_loss = least_squares_g_loss(D(G(z)))

    Reference:
        Mao et al., "Least Squares Generative Adversarial Networks",
        arXiv:1611.04076, eq. 2.
    """
    c = tf.cast(c, tf.float32)
    return 0.5 * _mean(tf.square(_f32(fake_outputs) - c))


# --------------------------------------------------------------------------
# Wasserstein (Arjovsky et al. 2017)
# --------------------------------------------------------------------------


def wasserstein_d_loss(real_outputs, fake_outputs):
    """WGAN critic loss: ``E[D(G(z))] - E[D(x)]``.

    Needs a Lipschitz constraint on the critic: :func:`clip_weights` (WGAN)
    or :func:`gradient_penalty` (WGAN-GP).

    Args:
        real_outputs: Critic outputs on real data, any shape.
        fake_outputs: Critic outputs on generated data, any shape.

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> d_loss = wasserstein_d_loss(C(real), C(fake))

    Reference:
        Arjovsky et al., "Wasserstein GAN", arXiv:1701.07875.
    """
    return _mean(_f32(fake_outputs)) - _mean(_f32(real_outputs))


def wasserstein_g_loss(fake_outputs):
    """WGAN generator loss: ``-E[D(G(z))]``.

    Args:
        fake_outputs: Critic outputs on generated data, any shape.

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> g_loss = wasserstein_g_loss(C(G(z)))

    Reference:
        Arjovsky et al., "Wasserstein GAN", arXiv:1701.07875.
    """
    return -_mean(_f32(fake_outputs))


# --------------------------------------------------------------------------
# Hinge (Lim & Ye 2017)
# --------------------------------------------------------------------------


def hinge_d_loss(real_outputs, fake_outputs):
    """Hinge discriminator loss: ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``.

    Args:
        real_outputs: Discriminator outputs on real data, any shape.
        fake_outputs: Discriminator outputs on generated data, any shape.

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> d_loss = hinge_d_loss(D(real), D(fake))

    Reference:
        Lim & Ye, "Geometric GAN", arXiv:1705.02894.
    """
    return _mean(tf.nn.relu(1.0 - _f32(real_outputs))) + _mean(
        tf.nn.relu(1.0 + _f32(fake_outputs))
    )


def hinge_g_loss(fake_outputs):
    """Hinge generator loss: ``-E[D(G(z))]``.

    Args:
        fake_outputs: Discriminator outputs on generated data, any shape.

    Returns:
        Float32 scalar, mean over the local batch.

    Example:
        >>> g_loss = hinge_g_loss(D(G(z)))

    Reference:
        Lim & Ye, "Geometric GAN", arXiv:1705.02894.
    """
    return -_mean(_f32(fake_outputs))


# --------------------------------------------------------------------------
# Lookup
# --------------------------------------------------------------------------

_LOSSES = {
    "minimax": (minimax_d_loss, minimax_g_loss),
    "nonsaturating": (nonsaturating_d_loss, nonsaturating_g_loss),
    "least_squares": (least_squares_d_loss, least_squares_g_loss),
    "wasserstein": (wasserstein_d_loss, wasserstein_g_loss),
    "hinge": (hinge_d_loss, hinge_g_loss),
}

ADVERSARIAL_LOSSES = tuple(_LOSSES)


def get(name):
    """Returns ``(d_loss_fn, g_loss_fn)`` for an adversarial loss name.

    Args:
        name: One of :data:`ADVERSARIAL_LOSSES`: ``"minimax"``,
            ``"nonsaturating"``, ``"least_squares"``, ``"wasserstein"``,
            ``"hinge"``. Case-insensitive; ``-`` and spaces count as ``_``.

    Returns:
        Tuple ``(d_loss_fn, g_loss_fn)``.

    Raises:
        ValueError: if the name is not known.

    Example:
        >>> d_loss_fn, g_loss_fn = get("hinge")
    """
    key = None
    if isinstance(name, str):
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in _LOSSES:
        raise ValueError(
            f"Unknown adversarial loss {name!r}. Expected one of: "
            f"{', '.join(ADVERSARIAL_LOSSES)}."
        )
    return _LOSSES[key]
