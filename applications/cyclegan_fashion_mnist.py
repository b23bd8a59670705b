"""Recipe: CycleGAN sneaker <-> ankle boot on Fashion-MNIST (the `cyclegan_fashion_mnist`
checkpoint).

    python applications/cyclegan_fashion_mnist.py --out runs/cyclegan_fashion_mnist

Defaults are the published run: ResNet generators (3 residual blocks at 7x7) and PatchGAN
discriminators with base_filters 24 (the paper's 64 cut for the CPU and the wheel: both
generators in a 2.4 MB float16 file), LSGAN loss, cycle
weight 10, identity 0.5 x cycle, image pool 50, Adam(2e-4, beta_1=0.5) held constant (the
paper's linear decay starts after 100 epochs, far beyond this budget), batch 8 (the paper's
is 1), bf16 on a CPU with native bf16, seed 0. Domain a = the 6,000 training sneakers
(class 7), b = the 6,000 ankle boots (class 9), unaligned. After every epoch: the FID of
1,000 translated test images against the 1,000 real test images of the other domain, mean
of both directions (domain classifier); early stopping after 3 checks without improvement
(restoring the best check's weights), at most 60 epochs or 25 minutes. The final evaluation
translates all 1,000 test images of each domain and measures the identity baseline (the
input itself) and the share the classifier assigns to the target class
(`applications/translation_recipe.py`).
"""

from absl import app, flags

import translation_recipe

translation_recipe.define_flags(dataset="fashion_mnist_sneaker_boot", epochs=60, batch_size=8,
                                patience=3, max_minutes=25.0)
flags.DEFINE_integer("base_filters", 24, "Filters of the first layer of every network (24: a "
                     "2.4 MB file of both generators; 32 would make it 4.3 MB).")
flags.DEFINE_integer("num_blocks", 3, "Residual blocks of the generators.")
flags.DEFINE_float("cycle_weight", 10.0, "Weight of the cycle losses.")
flags.DEFINE_float("identity_weight", 0.5, "Identity loss weight relative to cycle_weight.")
flags.DEFINE_integer("pool_size", 50, "Image pool of the discriminators.")


def main(_):
    f = flags.FLAGS
    translation_recipe.run("cyclegan_fashion_mnist", "cyclegan", base_filters=f.base_filters,
                           num_blocks=f.num_blocks, cycle_weight=f.cycle_weight,
                           identity_weight=f.identity_weight, pool_size=f.pool_size)


if __name__ == "__main__":
    app.run(main)
