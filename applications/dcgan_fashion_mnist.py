"""Recipe: DCGAN on Fashion-MNIST 28x28 (the `dcgan_fashion_mnist` checkpoint).

    python applications/dcgan_fashion_mnist.py --out runs/dcgan_fashion_mnist

Defaults are the published run: ngf = ndf = 64, latent 100, batch 128, Adam(2e-4,
beta_1=0.5), non-saturating loss, bf16 on a CPU with native bf16, seed 0; an FID check of
2,000 samples after every epoch, early stopping after 3 checks without improvement
(restoring the best check's weights), at most 60 epochs or 30 minutes (the shipped run
reached the budget after 13 epochs, FID 14.26 on 10,000 samples; docs/models/dcgan.md).
`--epochs 5 --fid_every 0 --patience 0` trains the 5 epochs of the README's first command
(`keras-gan-zoo train dcgan --dataset fashion_mnist --epochs 5`).
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=60, batch_size=128, dataset="fashion_mnist", fid_every=1,
                           patience=3, max_minutes=30.0)
flags.DEFINE_integer("base_filters", 64, "ngf = ndf.")
flags.DEFINE_integer("latent_dim", 100, "Size of z.")


def main(_):
    recipe.run("dcgan_fashion_mnist", "dcgan", base_filters=flags.FLAGS.base_filters,
               latent_dim=flags.FLAGS.latent_dim)


if __name__ == "__main__":
    app.run(main)
