"""Recipe: LAPGAN on Fashion-MNIST 28x28 (the `lapgan_fashion_mnist` checkpoint).

    python applications/lapgan_fashion_mnist.py --out runs/lapgan_fashion_mnist

A 3-level pyramid, 7x7 -> 14x14 -> 28x28: a fully connected GAN on the 7x7 images
(G_0 two 1200-unit ReLU layers, D_0 two 600-unit layers, z_0 ~ U(-1, 1)^100) and a
conditional convolutional GAN per finer level, all trained at once on the real
pyramid of each batch. Defaults are the published run, sized for the project's
2-core CPU: 32 channels in the level networks (a step with the paper's 128 takes
~7 times as long here), no discriminator dropout (the paper's 0.5 slowed the
short runs down), batch normalization in the generators, batch 128, Adam(2e-4,
beta_1=0.5), bf16 on a CPU with native bf16, trained until the FID stops
improving: the FID of 2,000 samples is checked after every epoch, training stops
after 3 checks without improvement (restoring the best check's weights), at most
100 epochs or 45 minutes (the shipped run: early stopping at epoch 6, epoch 3
restored, FID 42.47 on 10,000 samples; ~100 s per epoch). `--epochs 4 --fid_every 0
--patience 0` is the fixed 4-epoch run of docs/models/lapgan.md's *Measured here*.
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=100, batch_size=128, dataset="fashion_mnist", fid_every=1,
                           patience=3, max_minutes=45.0)
flags.DEFINE_integer("level_filters", 32, "Channels of the convolutional level networks.")
flags.DEFINE_integer("coarse_latent_dim", 100, "Size of z_0, the coarse GAN's latent.")
flags.DEFINE_float("dropout", 0.0, "Dropout of the discriminators (the paper's: 0.5).")


def main(_):
    recipe.run("lapgan_fashion_mnist", "lapgan", level_filters=flags.FLAGS.level_filters,
               coarse_latent_dim=flags.FLAGS.coarse_latent_dim, dropout=flags.FLAGS.dropout)


if __name__ == "__main__":
    app.run(main)
