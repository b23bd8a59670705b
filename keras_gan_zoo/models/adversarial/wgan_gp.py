"""WGAN-GP: Wasserstein GAN with a gradient penalty (Gulrajani et al. 2017).

The critic's Lipschitz constraint is a soft penalty on the norm of its input
gradient at random interpolates between real and fake images:

    L_D = E[D(G(z))] - E[D(x)] + lambda E[(||grad_x_hat D(x_hat)||_2 - 1)^2]
    x_hat = x + alpha (G(z) - x),   alpha ~ U(0, 1) per example
    L_G = -E[D(G(z))]

Faithful to the paper (algorithm 1): lambda = 10, n_critic = 5, Adam(1e-4,
beta_1=0, beta_2=0.9) for both networks, no batch norm in the critic (the penalty
is per example; batch norm would couple the examples), layer norm instead as the
paper recommends (`normalization="none"` gives the reference MNIST code's critic).

Mixed precision: under `mixed_float16` the critic's output is multiplied by the
discriminator optimizer's current loss scale (per example: divided by the global
minibatch, see `penalty_loss_scale`) before the inner gradient, and the gradient
divided by the same factor in float32 (`losses.gradient_penalty(loss_scale=...)`),
so small input gradients do not underflow in float16. If the scaled gradient
overflows, the step is skipped like any overflow (the penalty's gradient is NaN)
while the value reported for it is the unscaled penalty, so the logs stay finite.

Distribution: alpha is drawn for the GLOBAL minibatch from a stateless RNG seeded
by (model seed, discriminator step) and each replica takes the slice of its own
examples, so an example gets the same alpha on one device as on N replicas, and
a resumed run draws what the uninterrupted one would have.

Different on purpose: DCGAN networks (the paper's MNIST/CIFAR models are similar
DCGAN-like ones; its generator drops batch norm in the reference MNIST code, here
it keeps it); latents ~ N(0, 1) as in the reference code.
"""

import numbers

import keras
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.replicas import all_reduce_sum, global_rows
from keras_gan_zoo.models.adversarial.dcgan import dcgan_discriminator, dcgan_generator
from keras_gan_zoo.registry import register_model

# Folded into the seed of the interpolation weights, so they never share a stream
# with the latents of `sample_latent`.
_ALPHA_STREAM = 0x6770


class GradientPenaltyDraws:
    """The gradient penalty's per-step inputs, drawn so that N replicas equal one
    device: the interpolation weights and, under `mixed_float16`, the loss scale of
    its inner gradient. Mixed into the models that train with the WGAN-GP penalty
    (WGAN-GP, ProGAN) before `AdversarialModel`."""

    def interpolation_weights(self, batch_size):
        """alpha ~ U(0, 1) for this replica's `batch_size` examples.

        One vector is drawn for the global minibatch from a stateless RNG seeded by
        the model's seed, the step counter and the index of the discriminator update
        within the step; each replica takes the entries of its examples' global
        positions (`replicas.global_rows`), so the alphas equal one device's, also
        for a final partial batch split unevenly over the replicas.
        """
        seed = self.noise_seed(draw=_ALPHA_STREAM + self.d_update_index, per_replica=False)
        offset, total = global_rows(batch_size)
        alpha = tf.random.stateless_uniform(tf.reshape(total, [1]), seed, dtype="float32")
        return tf.slice(alpha, tf.reshape(offset, [1]),
                        tf.reshape(tf.cast(batch_size, "int32"), [1]))

    def penalty_loss_scale(self, batch_size):
        """Scale of the critic's output for the penalty's inner gradient, or None.

        Under `mixed_float16`: the discriminator optimizer's current loss scale
        divided by the global minibatch (the sum of the replicas' `batch_size`). The inner
        gradient differentiates the SUM of the per-example outputs, the critic
        loss their MEAN over the global batch, so with this factor every example's
        backward pass through the critic runs at exactly the magnitude of the
        critic loss's own scaled backward pass: what the dynamic loss scale keeps
        clear of float16 underflow keeps the penalty clear of it too, and a scale
        that overflows skips the step (and halves) as for any overflow.
        """
        optimizer = self.discriminator_optimizer
        if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            return None
        examples = all_reduce_sum(tf.cast(batch_size, "float32"))
        return tf.cast(optimizer.dynamic_scale, "float32") / examples


@register_model(
    "wgan_gp",
    # d_steps=2 in the tiny variant: the MirroredStrategy contract test then
    # checks that strided critic minibatches train 2 replicas as 1 device.
    tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=8, d_steps=2),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class WGANGP(GradientPenaltyDraws, AdversarialModel):
    """Wasserstein GAN with gradient penalty, on DCGAN networks.

    Args:
        latent_dim: size of z.
        image_shape: (side, side, channels); 28x28x1 for (Fashion-)MNIST.
        base_filters: ngf = ndf of the DCGAN networks.
        gp_weight: lambda, the weight of the gradient penalty (10 in the paper).
            The `gp` metric reports the weighted term, lambda * E[(||grad|| - 1)^2].
        normalization: the critic's normalization, `"layer"` (the paper's
            recommendation) or `"none"`; batch norm is refused, it invalidates
            the per-example penalty.
        d_steps: n_critic, critic updates per generator update (5). Each gets
            `batch // d_steps` images of the incoming batch.
        **kwargs: `AdversarialModel` arguments (`latent_distribution`, `seed`,
            `name`).

    Example:
        >>> model = keras_gan_zoo.create_model("wgan_gp", image_shape=(28, 28, 1))
        >>> model.compile()                   # Adam(1e-4, beta_1=0, beta_2=0.9) for both
        >>> data = keras_gan_zoo.datasets.load("fashion_mnist", batch_size=5 * 64)
        >>> model.fit(data, epochs=10)        # history has d_loss, g_loss and gp

    Reference:
        Gulrajani et al., Improved Training of Wasserstein GANs, arXiv:1704.00028.
    """

    def __init__(self, latent_dim=100, image_shape=(64, 64, 3), base_filters=64,
                 gp_weight=10.0, normalization="layer", d_steps=5, **kwargs):
        image_shape = tuple(image_shape)
        if (isinstance(gp_weight, bool) or not isinstance(gp_weight, numbers.Real)
                or not gp_weight > 0):
            raise ValueError(f"gp_weight must be a positive number; got {gp_weight!r}.")
        if normalization not in ("layer", "none"):
            raise ValueError(
                "normalization must be 'layer' or 'none' for a gradient-penalty critic "
                f"(batch norm couples the examples the penalty treats separately); "
                f"got {normalization!r}."
            )
        super().__init__(
            generator=dcgan_generator(latent_dim, image_shape, base_filters),
            discriminator=dcgan_discriminator(image_shape, base_filters, normalization),
            latent_dim=latent_dim,
            d_steps=d_steps,
            **kwargs,
        )
        self.base_filters = base_filters
        self.gp_weight = float(gp_weight)
        self.normalization = normalization
        self.add_tracker("gp")

    def default_optimizers(self):
        return {arg: keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)
                for arg in ("generator_optimizer", "discriminator_optimizer")}

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.wasserstein_d_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return losses.wasserstein_g_loss(fake_logits)

    def discriminator_penalties(self, real_images, fake_images):
        batch_size = tf.shape(real_images)[0]
        penalty = losses.gradient_penalty(
            self.discriminator, real_images, fake_images,
            alpha=self.interpolation_weights(batch_size),
            loss_scale=self.penalty_loss_scale(batch_size),
        )
        return {"gp": self.gp_weight * penalty}

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "gp_weight": self.gp_weight,
            "normalization": self.normalization,
        }
