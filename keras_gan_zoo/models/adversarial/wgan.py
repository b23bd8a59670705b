"""WGAN: Wasserstein GAN with weight clipping (Arjovsky, Chintala & Bottou 2017).

A critic f (no sigmoid) estimates the Wasserstein-1 distance through the
Kantorovich-Rubinstein duality, max over 1-Lipschitz f of E[f(x)] - E[f(G(z))];
the generator minimizes -E[f(G(z))]. The Lipschitz constraint is enforced
crudely by clipping every critic weight to [-c, c] after each critic update.

Faithful to the paper (algorithm 1 and the reference code): Wasserstein losses,
clipping c = 0.01 at construction and after every critic update (all critic
variables, batch-norm scales and offsets included, as the reference code's
`clamp_` does), n_critic = 5 critic updates per generator update, RMSProp with
learning rate 5e-5 for both networks (rho 0.99, PyTorch's default in the
reference code), the DCGAN critic with batch norm.

n_critic and batches: the base splits each incoming batch into `d_steps`
minibatches, one per critic update (docs/design.md), so a dataset batch of
5 * 64 = 320 images gives the paper's 5 critic updates on 64 images each and one
generator update on 64 latents.

Different on purpose: the reference code trains the critic 100 times per
generator update for the first 25 generator updates and every 500th one; here
n_critic is fixed. Latents ~ N(0, 1) (as in the reference code).
"""

import numbers

import keras

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.adversarial.dcgan import dcgan_discriminator, dcgan_generator
from keras_gan_zoo.registry import register_model


def wgan_rmsprop():
    """RMSProp(5e-5) of the WGAN paper, with the reference code's PyTorch defaults.

    PyTorch's RMSprop uses a decay of 0.99 and adds 1e-8 outside the square root;
    Keras adds epsilon inside it, where 1e-16 is the same.
    """
    return keras.optimizers.RMSprop(5e-5, rho=0.99, epsilon=1e-16)


@register_model(
    "wgan",
    # d_steps=2 in the tiny variant: the MirroredStrategy contract test then
    # checks that strided critic minibatches train 2 replicas as 1 device.
    tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=8, d_steps=2),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class WGAN(AdversarialModel):
    """Wasserstein GAN with weight clipping, on DCGAN networks.

    Args:
        latent_dim: size of z.
        image_shape: (side, side, channels); 28x28x1 for (Fashion-)MNIST.
        base_filters: ngf = ndf of the DCGAN networks.
        clip_value: c, every critic variable is clipped to [-c, c] after each
            critic update (0.01 in the paper).
        normalization: the critic's normalization, `"batch"` (the paper's DCGAN
            critic), `"layer"` or `"none"`.
        d_steps: n_critic, critic updates per generator update (5). Each gets
            `batch // d_steps` images of the incoming batch.
        **kwargs: `AdversarialModel` arguments (`latent_distribution`, `seed`,
            `name`).

    Example:
        >>> model = keras_gan_zoo.create_model("wgan", image_shape=(28, 28, 1))
        >>> model.compile()                       # RMSprop(5e-5) for both
        >>> data = keras_gan_zoo.datasets.load("fashion_mnist", batch_size=5 * 64)
        >>> model.fit(data, epochs=10)            # 5 critic updates of 64 per step

    Reference:
        Arjovsky, Chintala & Bottou, Wasserstein GAN, arXiv:1701.07875.
    """

    def __init__(self, latent_dim=100, image_shape=(64, 64, 3), base_filters=64,
                 clip_value=0.01, normalization="batch", d_steps=5, **kwargs):
        image_shape = tuple(image_shape)
        if (isinstance(clip_value, bool) or not isinstance(clip_value, numbers.Real)
                or not clip_value > 0):
            raise ValueError(f"clip_value must be a positive number; got {clip_value!r}.")
        super().__init__(
            generator=dcgan_generator(latent_dim, image_shape, base_filters),
            discriminator=dcgan_discriminator(image_shape, base_filters, normalization),
            latent_dim=latent_dim,
            d_steps=d_steps,
            **kwargs,
        )
        self.base_filters = base_filters
        self.clip_value = float(clip_value)
        self.normalization = normalization
        # The critic starts inside the constraint set (the reference code clamps
        # before its first update), so clipping after a skipped fp16 update is a
        # no-op and every critic the generator trains against is clipped.
        losses.clip_weights(self.discriminator.trainable_variables, self.clip_value)

    def default_optimizers(self):
        return {"generator_optimizer": wgan_rmsprop(), "discriminator_optimizer": wgan_rmsprop()}

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.wasserstein_d_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return losses.wasserstein_g_loss(fake_logits)

    def after_discriminator_update(self):
        losses.clip_weights(self.discriminator.trainable_variables, self.clip_value)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "clip_value": self.clip_value,
            "normalization": self.normalization,
        }
