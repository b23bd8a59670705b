"""Recipe: SRResNet then SRGAN, x4 super-resolution of Fashion-MNIST 7x7 -> 28x28 (the
`srgan_fashion_mnist` checkpoint).

    python applications/srgan_fashion_mnist.py --out runs/srgan_fashion_mnist

Defaults are the published run. Low-resolution images are the 28x28 training images
area-downsampled to 7x7 (`kgz.datasets.load("fashion_mnist_sr", scale=4)`). First SRResNet
(generator with base_filters 32 and 8 residual blocks, the paper's 64 and 16 halved for the
CPU; two sub-pixel x2 blocks) on the pixel MSE, Adam(1e-4, beta_1=0.9), checked after every
epoch by the PSNR of 1,000 test images, for at most `--srresnet_minutes` (8); then SRGAN
initialized from it (`initialize_from`, the paper's scheme): the same generator against the
paper's discriminator (base 32 filters, dense 256 units), content loss in the shipped
Fashion-MNIST domain classifier's last convolutional block (`content_network=
"fashion_mnist"`: VGG19's ImageNet weights are not available offline) plus 1e-3 x the
adversarial loss, Adam(1e-4, beta_1=0.9), checked by the FID of 1,000 test images, for the
rest of `--max_minutes` (18 in all). Batch 32, bf16 on a CPU with native bf16, seed 0, early
stopping after 3 checks without improvement in each phase (restoring the best check). The
final evaluation measures the SRGAN file on the whole test split (10,000 images) against
bicubic upsampling and the SRResNet it started from (`applications/translation_recipe.py`).
"""

from absl import app, flags

import translation_recipe

translation_recipe.define_flags(dataset="fashion_mnist_sr", epochs=30, batch_size=32,
                                patience=3, max_minutes=18.0)
flags.DEFINE_integer("scale", 4, "Upscaling factor (7x7 -> 28x28 at 4).")
flags.DEFINE_integer("base_filters", 32, "Filters of the generator's residual trunk.")
flags.DEFINE_integer("num_blocks", 8, "Residual blocks of the generator.")
flags.DEFINE_integer("discriminator_filters", 32, "Filters of the discriminator's first layer.")
flags.DEFINE_integer("dense_units", 256, "Units of the discriminator's hidden dense layer.")
flags.DEFINE_string("content_network", "fashion_mnist", "Feature network of the content loss.")
flags.DEFINE_float("srresnet_minutes", 8.0, "Budget of the SRResNet phase (part of "
                   "--max_minutes).")


def main(_):
    f = flags.FLAGS
    translation_recipe.run_srgan(
        "srgan_fashion_mnist", scale=f.scale, srresnet_minutes=f.srresnet_minutes,
        srresnet_kwargs={"scale": f.scale, "base_filters": f.base_filters,
                         "num_blocks": f.num_blocks},
        srgan_kwargs={"discriminator_filters": f.discriminator_filters,
                      "dense_units": f.dense_units, "content_network": f.content_network})


if __name__ == "__main__":
    app.run(main)
