"""Recipe: PixelCNN on Fashion-MNIST, 256 levels per pixel
(the `pixelcnn_fashion_mnist` checkpoint).

    python applications/pixelcnn_fashion_mnist.py --out runs/pixelcnn_fashion_mnist

A 256-way softmax per pixel (`output="categorical"`) on the raw 8-bit images, no
binarisation; the 60,000 training images from the IDX files, test NLL on the 10,000
test images. RMSProp; a CPU-sized network (see docs/models/pixelcnn.md).
"""

from absl import app, flags

import autoregressive_recipe as recipe

FLAGS = flags.FLAGS


def main(_):
    recipe.run("pixelcnn_fashion_mnist", "pixelcnn", filters=FLAGS.filters,
               num_layers=FLAGS.num_layers, output_filters=FLAGS.output_filters)


if __name__ == "__main__":
    recipe.define_flags(dataset="fashion_mnist", epochs=1, batch_size=32,
                        learning_rate=1e-3, binarize=False, output="categorical")
    flags.DEFINE_integer("filters", 64, "2h, the residual stream's width.")
    flags.DEFINE_integer("num_layers", 7, "Residual blocks of 3x3 mask-B convolutions.")
    flags.DEFINE_integer("output_filters", 128, "Width of the hidden 1x1 output layer.")
    app.run(main)
