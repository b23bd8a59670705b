"""Regularizers for GAN discriminators / critics.

* :func:`gradient_penalty` -- WGAN-GP two-sided penalty on interpolates.
* :func:`r1_penalty` -- R1 penalty on real data.
* :func:`clip_weights` -- WGAN weight clipping.

Penalties return a float32 scalar, the MEAN over the local batch (under ``tf.distribute``
the training core weights it by the replica's share of the global batch). They use a
nested ``tf.GradientTape``, so when called inside the caller's tape the result
is differentiable w.r.t. the critic's weights (double backprop).
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

__all__ = ["clip_weights", "gradient_penalty", "r1_penalty"]

# Added inside the square root of the gradient norm, so the norm (and its
# gradient) stays finite when the input gradient is exactly zero.
_NORM_EPSILON = 1e-12


def _as_float_tensor(x):
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        x = tf.cast(x, tf.float32)
    return x


def _call(critic, x, conditions):
    if conditions is None:
        outputs = critic(x, training=True)
    else:
        outputs = critic([x, conditions], training=True)
    if isinstance(outputs, (list, tuple)):
        # Multi-head discriminators (e.g. AC-GAN): the adversarial head first.
        outputs = outputs[0]
    return outputs


def _input_gradients(critic, x, conditions, loss_scale=None):
    """Per-example gradients of critic(x) w.r.t. x, as float32.

    With `loss_scale`, the critic's output is multiplied by it before the
    gradient (so float16 intermediate gradients do not underflow) and the
    float32 result is divided by it again.
    """
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = _call(critic, x, conditions)
        # Examples are independent, so d(sum)/dx_i = d(out_i)/dx_i.
        total = tf.reduce_sum(tf.cast(outputs, tf.float32))
        if loss_scale is not None:
            total = total * loss_scale
    grads = tape.gradient(
        total, x, unconnected_gradients=tf.UnconnectedGradients.ZERO
    )
    grads = tf.cast(grads, tf.float32)
    if loss_scale is not None:
        grads = grads / loss_scale
    return grads


def _squared_norm_per_example(grads):
    """Sum of squares over all non-batch axes (works for any rank >= 1)."""
    return tf.reduce_sum(tf.square(grads), axis=tf.range(1, tf.rank(grads)))


def gradient_penalty(
    critic,
    real,
    fake,
    *,
    seed=None,
    target=1.0,
    conditions=None,
    alpha=None,
    loss_scale=None,
):
    """WGAN-GP gradient penalty: ``E[(||grad_x critic(x_hat)||_2 - target)^2]``.

    ``x_hat = real + alpha * (fake - real)`` with ``alpha ~ U(0, 1)`` drawn
    per example; the norm runs over all non-batch axes and is computed in
    float32. Call it inside the discriminator's ``tf.GradientTape`` and add
    ``lambda * penalty`` (lambda = 10 in the paper) to the critic loss; the
    result is differentiable w.r.t. the critic's weights.

    Args:
        critic: Callable (usually a ``keras.Model``), called as
            ``critic(x_hat, training=True)``, or
            ``critic([x_hat, conditions], training=True)`` when
            ``conditions`` is given. If it returns a list, the first output
            is used.
        real: Real batch, shape ``(B, ...)``.
        fake: Generated batch, same shape as ``real``.
        seed: ``None``, an int, or a ``keras.random.SeedGenerator`` for the
            draw of ``alpha``. Inside a ``tf.function``, an int gives the same
            ``alpha`` on every step; pass a ``SeedGenerator`` for fresh,
            reproducible draws.
        target: Target gradient norm (1 in the paper).
        conditions: Optional extra critic input (e.g. labels), passed as is.
        alpha: Optional explicit interpolation weights, shape ``(B,)``
            (mainly for tests); ``seed`` is then ignored.
        loss_scale: Optional positive scale (a number, tensor or variable,
            e.g. a ``LossScaleOptimizer``'s ``dynamic_scale``) for float16
            critics: the critic's output is multiplied by it before the inner
            gradient and the gradient divided by it afterwards (in float32),
            so small input gradients do not underflow in float16. If the
            scaled gradient overflows, the returned value is the unscaled
            penalty (recomputed on such steps only) and its gradient is NaN,
            so a loss-scale optimizer skips the step and lowers its scale.
            That recomputation runs on the overflowing replica only, so under
            a ``tf.distribute`` strategy the critic must not use cross-replica
            ops (synchronized batch norm, which a penalized critic should not
            have anyway). ``None``: no scaling.

    Returns:
        Float32 scalar, mean over the local batch.

    Raises:
        ValueError: if ``real`` and ``fake`` shapes differ or ``alpha`` has
            the wrong shape.

    Example:
        >>> with tf.GradientTape() as tape:
        ...     d_loss = wasserstein_d_loss(C(real), C(fake))
        ...     d_loss += 10.0 * gradient_penalty(C, real, fake, seed=sg)

    Reference:
        Gulrajani et al., "Improved Training of Wasserstein GANs",
        arXiv:1704.00028.
    """
    real = _as_float_tensor(real)
    fake = tf.cast(tf.convert_to_tensor(fake), real.dtype)
    if not real.shape.is_compatible_with(fake.shape):
        raise ValueError(
            "`real` and `fake` must have the same shape for the gradient "
            f"penalty; received real.shape={real.shape}, fake.shape={fake.shape}."
        )
    rank = real.shape.rank
    if rank is not None and rank < 1:
        raise ValueError(
            "`real` must have a batch axis, shape (B, ...); received a scalar."
        )

    batch = tf.shape(real)[0]
    if alpha is None:
        alpha = keras.random.uniform(
            (batch,), minval=0.0, maxval=1.0, dtype="float32", seed=seed
        )
    alpha = tf.convert_to_tensor(alpha)
    if alpha.shape.rank is not None and alpha.shape.rank != 1:
        raise ValueError(
            f"`alpha` must have shape (B,), one weight per example; received "
            f"shape {alpha.shape}."
        )
    if not alpha.shape.is_compatible_with(real.shape[:1]):
        raise ValueError(
            f"`alpha` must have shape (B,) with B = {real.shape[0]} (the batch "
            f"size of `real`); received shape {alpha.shape}."
        )
    alpha = tf.cast(alpha, real.dtype)
    alpha = tf.reshape(alpha, tf.concat([[-1], tf.ones_like(tf.shape(real))[1:]], 0))

    x_hat = real + alpha * (fake - real)
    target = tf.cast(target, tf.float32)

    def penalty(scale):
        grads = _input_gradients(critic, x_hat, conditions, scale)
        norm = tf.sqrt(_squared_norm_per_example(grads) + _NORM_EPSILON)
        return tf.reduce_mean(tf.square(norm - target))

    if loss_scale is None:
        return penalty(None)
    scaled = penalty(tf.cast(loss_scale, tf.float32))
    return _skip_on_overflow(scaled, lambda: penalty(None))


def _skip_on_overflow(value, unscaled_value):
    """`value` if finite; else the finite `unscaled_value()` with a NaN gradient.

    A scaled inner gradient that overflowed makes the penalty non-finite. The
    step must then be skipped (a NaN gradient makes a loss-scale optimizer skip
    it and lower its scale), but the value reported for it (metrics, History)
    stays the penalty's: it is recomputed without scaling, only on such steps.
    """
    finite = tf.math.is_finite(value)
    fallback = tf.cond(
        finite,
        lambda: tf.zeros_like(value),
        lambda: tf.stop_gradient(unscaled_value()),
    )

    @tf.custom_gradient
    def guard(penalty, reported):
        def grad(upstream):
            poison = tf.where(finite, 1.0, float("nan"))
            return upstream * poison, tf.zeros_like(reported)

        return tf.where(finite, penalty, reported), grad

    return guard(value, fallback)


def r1_penalty(discriminator, real, *, conditions=None):
    """R1 penalty: ``E[||grad_x D(x)||^2]`` on real data.

    The gradient is taken of the SUM of the logits w.r.t. the inputs, which
    gives per-example gradients. The caller multiplies by ``gamma / 2``.
    Differentiable w.r.t. the discriminator's weights when called inside the
    discriminator's tape.

    Args:
        discriminator: Callable, called as ``discriminator(real, training=True)``
            or ``discriminator([real, conditions], training=True)``. If it
            returns a list, the first output is used.
        real: Real batch, shape ``(B, ...)``.
        conditions: Optional extra discriminator input (e.g. labels).

    Returns:
        Float32 scalar, mean over the local batch of the squared gradient norm.

    Example:
        >>> with tf.GradientTape() as tape:
        ...     d_loss = nonsaturating_d_loss(D(real), D(fake))
        ...     d_loss += 0.5 * gamma * r1_penalty(D, real)

    Reference:
        Mescheder et al., "Which Training Methods for GANs do actually
        Converge?", arXiv:1801.04406.
    """
    real = _as_float_tensor(real)
    grads = _input_gradients(discriminator, real, conditions)
    return tf.reduce_mean(_squared_norm_per_example(grads))


def clip_weights(variables, clip_value=0.01):
    """WGAN weight clipping: clips every variable to ``[-c, c]`` in place.

    Call it after each critic update (e.g. with
    ``critic.trainable_variables``). Works for ``keras.Variable`` and
    ``tf.Variable``, eagerly and inside ``tf.function``.

    Args:
        variables: A variable or an iterable of variables.
        clip_value: Positive clipping bound ``c`` (0.01 in the paper).

    Raises:
        ValueError: if ``clip_value`` is not a positive number.

    Example:
        >>> clip_weights(critic.trainable_variables, 0.01)

    Reference:
        Arjovsky et al., "Wasserstein GAN", arXiv:1701.07875 (algorithm 1).
    """
    if isinstance(clip_value, bool) or not isinstance(
        clip_value, (numbers.Real, np.number)
    ):
        raise ValueError(
            f"`clip_value` must be a positive number; received {clip_value!r}."
        )
    if not float(clip_value) > 0.0:
        raise ValueError(
            f"`clip_value` must be > 0; received clip_value={clip_value!r}."
        )
    if isinstance(variables, (tf.Variable, keras.Variable)):
        variables = [variables]
    for v in variables:
        c = tf.cast(clip_value, v.dtype)
        v.assign(tf.clip_by_value(v, -c, c))
