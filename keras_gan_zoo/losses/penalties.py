"""Regularizers for GAN discriminators / critics.

* :func:`gradient_penalty` -- WGAN-GP two-sided penalty on interpolates.
* :func:`r1_penalty` -- R1 penalty on real data.
* :func:`path_lengths` / :func:`path_length_penalty` -- StyleGAN2's path-length
  regularization of a generator.
* :func:`compute_in_float32` -- runs float16 networks in float32 for a penalty's
  double backprop (mixed precision).
* :func:`clip_weights` -- WGAN weight clipping.

Penalties return a float32 scalar, the MEAN over the local batch (under ``tf.distribute``
the training core weights it by the replica's share of the global batch). They use a
nested ``tf.GradientTape``, so when called inside the caller's tape the result
is differentiable w.r.t. the critic's weights (double backprop).
"""

import contextlib
import numbers
import threading

import keras
import numpy as np
import tensorflow as tf

__all__ = ["clip_weights", "compute_in_float32", "gradient_penalty", "path_length_penalty",
           "path_lengths", "r1_penalty"]

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

    Mixed precision: under ``mixed_float16`` call it inside
    :func:`compute_in_float32` with float32 ``real``, so the inner gradient and
    its double backprop run in float32 (an input gradient beyond float16's range
    is otherwise ``inf``, and the loss scale cannot help: it does not scale the
    inner gradient). `AdversarialModel(r1_gamma=...)` does so.

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


# compute_in_float32: id(layer) -> [layer, its own dtype policy, number of holders].
_FLOAT32_LOCK = threading.Lock()
_FLOAT32_HELD = {}


@contextlib.contextmanager
def compute_in_float32(*networks):
    """Runs the float16 layers of `networks` in float32 inside the block.

    For penalties that differentiate a network's input gradient (R1, path length)
    under ``mixed_float16``. Casting the inputs to float32 is not enough: each
    layer casts them back to its float16 compute dtype, so the inner gradient and
    the double backprop through it would still run in float16, where an input
    gradient above 65504 is ``inf`` whatever the loss scale (the inner gradient is
    not scaled; scaling it, as mmgeneration's StyleGAN2 found, makes training
    diverge). Inside the block every layer whose compute dtype is float16 gets a
    float32 policy instead; its variables are float32 under a mixed policy
    already, so nothing is copied. Layers computing in float32 or bfloat16 (which
    has float32's range) are left alone. The policies come back on exit.

    Only the Python-side dtype policies change, so wrap the code that CALLS the
    networks: in a traced `tf.function` the ops are recorded in float32, and the
    gradients a tape computes of them later (the double backprop of the outer
    update) stay float32. Re-entrant, and safe when the replica threads of a
    `tf.distribute.MirroredStrategy` trace the same networks in turn: a layer
    keeps float32 until the last holder has left.

    Args:
        *networks: `keras.Layer`s (models); their nested layers are included.
            Anything else (a plain function) is ignored.

    Example:
        >>> with compute_in_float32(discriminator):      # under mixed_float16
        ...     penalty = r1_penalty(discriminator, tf.cast(real, "float32"))
    """
    layers = {}
    for network in networks:
        if isinstance(network, keras.layers.Layer):
            for layer in network._flatten_layers(include_self=True, recursive=True):
                layers[id(layer)] = layer
    held = []
    with _FLOAT32_LOCK:
        for key, layer in layers.items():
            entry = _FLOAT32_HELD.get(key)
            if entry is None:
                policy = layer.dtype_policy
                if (layer.compute_dtype != "float16" or type(policy) is not keras.DTypePolicy
                        or policy.quantization_mode is not None):
                    continue
                entry = _FLOAT32_HELD[key] = [layer, policy, 0]
                layer.dtype_policy = keras.DTypePolicy("float32")
            entry[2] += 1
            held.append(key)
    try:
        yield
    finally:
        with _FLOAT32_LOCK:
            for key in held:
                entry = _FLOAT32_HELD[key]
                entry[2] -= 1
                if entry[2] == 0:
                    entry[0].dtype_policy = entry[1]
                    del _FLOAT32_HELD[key]


def path_lengths(synthesize, w, *, noise=None, seed=None):
    """Per-example path lengths ``||J_w^T y||_2`` of a generator (StyleGAN2, eq. 4).

    ``J_w`` is the Jacobian of the images ``synthesize(w)`` w.r.t. their inputs
    ``w``, and ``y`` random images ``~ N(0, I) / sqrt(H * W)`` (normalized by the
    number of pixels, as StyleGAN2 does). ``J_w^T y`` is the gradient of
    ``sum(images * y)`` w.r.t. ``w``: one backward pass, per example since the
    examples are independent. The norm runs over the last axis of ``w``; for a
    ``w`` of shape ``(B, L, D)`` (StyleGAN2's one w per synthesis layer) it is the
    square root of the mean over ``L`` of the squared norms over ``D``, as in the
    official code. Differentiable w.r.t. the generator's weights (double
    backprop) when called inside the generator's tape.

    Args:
        synthesize: Callable ``w -> images`` of shape ``(B, H, W, C)`` (NHWC; any
            rank >= 2 works, the pixels being the axes between batch and channels).
        w: The generator inputs the lengths are measured against, ``(B, D)`` or
            ``(B, L, D)``: the latents z, or for a style-based generator the
            mapping network's output W.
        noise: Optional standard-normal images, the shape of ``synthesize(w)``;
            divided by ``sqrt(H * W)`` here. ``None`` draws them with ``seed``.
        seed: ``None``, an int or a ``keras.random.SeedGenerator`` for ``noise``.

    Returns:
        Float32 tensor ``(B,)``.

    Example:
        >>> lengths = path_lengths(generator, z)          # generator(z) -> images
        >>> penalty, new_mean = path_length_penalty(lengths, pl_mean, 0.01)

    Reference:
        Karras et al., "Analyzing and Improving the Image Quality of StyleGAN",
        arXiv:1912.04958 (section 3.2, appendix B).
    """
    w = _as_float_tensor(w)
    if w.shape.rank is not None and w.shape.rank < 2:
        raise ValueError(
            f"`w` must have shape (B, D) or (B, L, D); received shape {w.shape}."
        )
    with tf.GradientTape() as tape:
        tape.watch(w)
        images = tf.cast(synthesize(w), tf.float32)
        if noise is None:
            noise = keras.random.normal(tf.shape(images), dtype="float32", seed=seed)
        noise = tf.convert_to_tensor(noise, tf.float32)
        if not images.shape.is_compatible_with(noise.shape):
            raise ValueError(
                f"`noise` must have the shape of the images; received noise.shape="
                f"{noise.shape}, images.shape={images.shape}."
            )
        pixels = tf.cast(tf.reduce_prod(tf.shape(images)[1:-1]), tf.float32)
        total = tf.reduce_sum(images * noise) / tf.sqrt(pixels)
    grads = tape.gradient(total, w, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    squared = tf.reduce_sum(tf.square(tf.cast(grads, tf.float32)), axis=-1)
    if squared.shape.rank != 1:
        squared = tf.reduce_mean(squared, axis=tf.range(1, tf.rank(squared)))
    return tf.sqrt(squared + _NORM_EPSILON)


def path_length_penalty(lengths, pl_mean, decay=0.01, *, mean=None):
    """StyleGAN2's path-length penalty ``E[(||J_w^T y|| - a)^2]`` and its new ``a``.

    The running mean is updated with this batch first,
    ``a' = a + decay * (E[lengths] - a)``, and the penalty measures the lengths
    against ``a'`` (the official code's order; its gradient flows through ``a'``
    too). The caller multiplies the penalty by the weight (2 in StyleGAN2) and
    stores ``a'`` as the new running mean.

    Args:
        lengths: Per-example path lengths ``(B,)`` (:func:`path_lengths`).
        pl_mean: The running mean ``a`` (a scalar tensor or variable; 0 at the
            start of training).
        decay: Weight of the batch in the running mean (0.01 in StyleGAN2).
        mean: Optional callable reducing per-example values to their mean; the
            default is the mean over the local batch. Under ``tf.distribute`` the
            training core passes a mean over the global batch.

    Returns:
        ``(penalty, new_mean)``, float32 scalars.

    Example:
        >>> penalty, new_mean = path_length_penalty(path_lengths(G, z), a)
        >>> g_loss += 2.0 * penalty
    """
    if mean is None:
        mean = tf.reduce_mean
    lengths = tf.cast(lengths, tf.float32)
    pl_mean = tf.cast(pl_mean, tf.float32)
    new_mean = pl_mean + tf.cast(decay, tf.float32) * (mean(lengths) - pl_mean)
    return mean(tf.square(lengths - new_mean)), new_mean


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
