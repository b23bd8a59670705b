"""Recipe: BiCycleGAN on Fashion-MNIST edge maps -> clothes, many outputs per edge map
(the `bicyclegan_fashion_mnist_edges` checkpoint).

    python applications/bicyclegan_fashion_mnist_edges.py --out runs/bicyclegan_fashion_mnist_edges

Defaults are the published run: the authors' networks and losses (U-Net with z at the
input, ResNet encoder, two PatchGANs, L1 10, latent 0.5, KL 0.01, `nz` 8, Adam(2e-4,
beta_1=0.5)) with base_filters 16 (the authors' 64 quartered, as the pix2pix checkpoint),
batch 32, bf16 on a CPU with native bf16, seed 0; after every epoch the FID of 1,000 test
edge maps translated with random codes (z ~ N(0, I), seed 1) against their 1,000 test
images (domain classifier), early stopping after 3 checks without improvement (restoring
the best check's weights), at most 20 epochs or 24 minutes. The final evaluation
translates the whole test split with random codes, beside the identity, the same file at
z = 0 and the published pix2pix checkpoint, and measures the diversity of 10 draws per
input (`applications/translation_recipe.py: run_bicyclegan`).
"""

from absl import app, flags

import translation_recipe

translation_recipe.define_flags(dataset="fashion_mnist_edges", epochs=20, batch_size=32,
                                patience=3, max_minutes=24.0)
flags.DEFINE_integer("base_filters", 16, "Filters of the first layer of every network.")
flags.DEFINE_integer("latent_dim", 8, "Dimensions of the latent code z (nz).")
flags.DEFINE_integer("diversity_images", 1000, "Test edge maps of the diversity measurement.")


def main(_):
    f = flags.FLAGS
    translation_recipe.run_bicyclegan("bicyclegan_fashion_mnist_edges",
                                      diversity_images=f.diversity_images,
                                      base_filters=f.base_filters, latent_dim=f.latent_dim)


if __name__ == "__main__":
    app.run(main)
