"""Recipe: DCGAN on Fashion-MNIST 28x28 (the `dcgan_fashion_mnist` checkpoint).

    python applications/dcgan_fashion_mnist.py --out runs/dcgan_fashion_mnist

Defaults: 5 epochs (the README's first command, `keras-gan-zoo train dcgan --dataset
fashion_mnist --epochs 5`), ngf = ndf = 64, latent 100, batch 128, Adam(2e-4, beta_1=0.5),
non-saturating loss, bf16 on a CPU with native bf16, seed 0. The shipped checkpoint was
trained with an FID check after every epoch until the time budget ran out:

    python applications/dcgan_fashion_mnist.py --epochs 60 --fid_every 1 --patience 3 \
        --max_minutes 30

(13 epochs on the shared 2-core CPU, FID 14.26; docs/models/dcgan.md).
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=5, batch_size=128, dataset="fashion_mnist")
flags.DEFINE_integer("base_filters", 64, "ngf = ndf.")
flags.DEFINE_integer("latent_dim", 100, "Size of z.")


def main(_):
    recipe.run("dcgan_fashion_mnist", "dcgan", base_filters=flags.FLAGS.base_filters,
               latent_dim=flags.FLAGS.latent_dim)


if __name__ == "__main__":
    app.run(main)
