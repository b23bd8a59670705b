"""LSGAN: least squares GAN (Mao et al. 2017).

The discriminator regresses its raw output (no sigmoid) onto a target for real
images (b) and one for fakes (a); the generator pulls the output on its fakes
towards c:

    L_D = 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]
    L_G = 1/2 E[(D(G(z)) - c)^2]

The squared loss keeps penalizing fakes that are on the right side of the
decision boundary but far from the real data, so the generator's gradients do not
vanish as they do with a saturated sigmoid cross-entropy.

Faithful to the paper: the objective (eq. 2) with the 0-1 coding a=0, b=1, c=1
(eq. 9, the one the paper trains with); the alternative a=-1, b=1, c=0 (eq. 8,
b - c = 1 and b - a = 2, for which minimizing L_G minimizes the Pearson chi^2
divergence between p_data + p_g and 2 p_g) is `LSGAN(a=-1, b=1, c=0)`. Adam with
beta_1 = 0.5 and learning rate 2e-4, the reference code's rate for its 28x28
(handwritten Chinese characters) experiment; its 112x112 LSUN scenes used 1e-3.

Different on purpose: the networks are the zoo's DCGAN networks (the paper's
scene model is a deeper VGG-like network for 112x112 images); latents ~ N(0, 1)
instead of U(-1, 1) (`latent_distribution="uniform"` restores it).
"""

import numbers

import keras

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.adversarial.dcgan import dcgan_discriminator, dcgan_generator
from keras_gan_zoo.registry import register_model


def _check_target(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number (a target of D's output); got {value!r}.")
    return float(value)


@register_model("lsgan", tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=8))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class LSGAN(AdversarialModel):
    """Least squares GAN on DCGAN networks.

    Args:
        latent_dim: size of z.
        image_shape: (side, side, channels); 28x28x1 for (Fashion-)MNIST.
        base_filters: ngf = ndf of the DCGAN networks.
        a: target of D's output for fake images (0 in the 0-1 coding, -1 in the
            chi^2 coding).
        b: target for real images (1 in both codings). Must differ from `a`.
        c: the value the generator wants D to output for its fakes (1 in the 0-1
            coding, 0 in the chi^2 coding).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `latent_distribution`,
            `seed`, `name`).

    Example:
        >>> model = keras_gan_zoo.create_model("lsgan", image_shape=(28, 28, 1))
        >>> model.compile()                      # Adam(2e-4, beta_1=0.5) for both
        >>> model.fit(keras_gan_zoo.datasets.load("fashion_mnist", batch_size=64))
        >>> chi2 = keras_gan_zoo.create_model("lsgan", a=-1.0, b=1.0, c=0.0)

    Reference:
        Mao et al., Least Squares Generative Adversarial Networks, arXiv:1611.04076.
    """

    def __init__(self, latent_dim=100, image_shape=(64, 64, 3), base_filters=64,
                 a=0.0, b=1.0, c=1.0, **kwargs):
        image_shape = tuple(image_shape)
        a, b, c = (_check_target(n, v) for n, v in (("a", a), ("b", b), ("c", c)))
        if a == b:
            raise ValueError(
                f"a (the target for fakes) and b (the target for real images) must differ; "
                f"got a = b = {a}."
            )
        super().__init__(
            generator=dcgan_generator(latent_dim, image_shape, base_filters),
            discriminator=dcgan_discriminator(image_shape, base_filters),
            latent_dim=latent_dim,
            **kwargs,
        )
        self.base_filters = base_filters
        self.a, self.b, self.c = a, b, c

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.least_squares_d_loss(real_logits, fake_logits, a=self.a, b=self.b)

    def generator_loss(self, fake_logits):
        return losses.least_squares_g_loss(fake_logits, c=self.c)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "a": self.a,
            "b": self.b,
            "c": self.c,
        }
