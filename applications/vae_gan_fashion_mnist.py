"""Recipe: VAE-GAN on Fashion-MNIST 28x28 (Larsen et al. 2016; the
`vae_gan_fashion_mnist` checkpoint).

    python applications/vae_gan_fashion_mnist.py --out runs/vae_gan_fashion_mnist

Defaults are the published run: `vae_gan` (128-d latent, 32 base filters:
discriminator 32-64-128 channels with 5x5 kernels, encoder / decoder 64-128, dense 512;
feature-space reconstruction at the discriminator's last convolution; RMSprop(3e-4)
for the three networks, as the paper; the authors' equilibrium rule, 0.68 +- 0.4, from
their code; batch 64; bf16 on a CPU with native bf16) on the first 30,000 training
images, trained until the FID stops improving: the FID of 2,000 prior samples is checked
after every epoch, training stops after 3 checks without improvement (restoring the best
check's weights), at most 200 epochs or 40 minutes (the shipped run: early stopping at
epoch 7 restored epoch 4, FID 92.10 on 10,000 samples; without the rule the FID rose
after the first epoch: docs/models/vae_gan.md). Then it reports the test-set
reconstruction MSE and the FID/KID/IS of --eval_samples samples of the shipped decoder
file against the 10,000 test images (features of the shipped Fashion-MNIST domain
classifier). Writes the common recipe outputs (recipe.py) plus reconstructions and an
interpolation strip to --out.
"""

import os

import numpy as np
from absl import app, flags

import keras_gan_zoo as kgz
import recipe

recipe.define_common_flags(epochs=200, batch_size=64, dataset="fashion_mnist", fid_every=1,
                           patience=3, max_minutes=40.0)
flags.FLAGS.set_default("limit", 30000)
flags.DEFINE_integer("base_filters", 32, "Width unit of the three networks.")
flags.DEFINE_integer("latent_dim", 128, "Size of z.")
flags.DEFINE_float("gamma", 1e-2, "Weight of the feature reconstruction for the decoder.")
flags.DEFINE_float("equilibrium", 0.68, "The authors' equilibrium rule (0.68 in their code): "
                   "skip the discriminator's / decoder's update when it is winning / losing "
                   "by more than --margin. 0: off (every network updates every step).")
flags.DEFINE_float("margin", 0.4, "Half-width of the equilibrium rule.")
FLAGS = flags.FLAGS


def reconstructions(model, out):
    """Test MSE, a reconstruction grid and an interpolation strip."""
    test = next(iter(kgz.datasets.load(FLAGS.dataset, "test", batch_size=10000,
                                       shuffle=False, drop_remainder=False))).numpy()
    recon = model.reconstruct(test)
    kgz.utils.save_grid(np.concatenate([test[:16], recon[:16]]),
                        os.path.join(out, "reconstructions.png"), nrow=16)
    model.interpolation_strip(test[0], test[1], os.path.join(out, "interpolation.png"),
                              steps=10)
    return {"test_images": len(test), "test_mse": round(float(np.mean((recon - test) ** 2)), 5)}


def main(_):
    recipe.run("vae_gan_fashion_mnist", "vae_gan", measurements=reconstructions,
               base_filters=FLAGS.base_filters, latent_dim=FLAGS.latent_dim, gamma=FLAGS.gamma,
               equilibrium=FLAGS.equilibrium or None, margin=FLAGS.margin)


if __name__ == "__main__":
    app.run(main)
