"""Recipe: StyleGAN on Fashion-MNIST padded to 32x32 (the `stylegan_fashion_mnist` checkpoint).

    python applications/stylegan_fashion_mnist.py --out runs/stylegan_fashion_mnist

Dataset `fashion_mnist_32`: the 60,000 training images padded by 2 pixels of background
(-1) on each side (the synthesis network doubles a 4x4 constant); every FID (the checks
during training and the final evaluation) is measured on the center 28x28 of the samples
against the Fashion-MNIST test images (`kgz.metrics.default_extractor`).

Defaults (the published run): z and w of 128, the paper's 8 mapping layers,
`base_filters=512, max_filters=64` (64 maps at 4x4 to 16x16, 32 at 32x32: G 461,537 / D
278,689 parameters), batch 64, the paper's non-saturating loss with R1 (gamma 10, every
step), style mixing 0.9, Adam(1e-3, 0, 0.99), EMA half-life 10k images (the generator
file holds the EMA weights), bf16 on a CPU with native bf16, no DiffAugment; an FID check
of 2,000 samples after every epoch, early stopping after 3 checks without improvement
(restoring the best check), at most 35 minutes (about 60 CPU-minutes of process time on
the 2 cores).

DiffAugment is off by default: it is meant for limited data and Fashion-MNIST has 60,000
images. Measured: the recipe with `--diff_augment color,translation,cutout` reaches FID
48.42 (56.26 without the EMA) in the same budget and 5 epochs, against 43.88 (38.90)
(docs/applications.md, "With DiffAugment, epoch by epoch").

Measured here with a 30-second probe (fashion_mnist_32, mixed_bfloat16, the 2-core
machine shared with other jobs, load average 3-4): 0.70 s per step at batch 64 (91
images/s); z and w of 64 with 4 mapping layers: 0.71 s at batch 64, 0.44 s at batch 32
(73 images/s); `CONFIGS["fashion_mnist_32"]` (z, w 256, `base_filters=2048,
max_filters=256`: 4.8M / 4.4M parameters) 4.5 s per step at batch 32 (7 images/s), too
slow for one epoch an hour. The published run: 0.41-0.50 s per step, 5 epochs (300,000
images) in 2,082 s of wall time and 3,673 s of process CPU time, the FID of 2,000 samples
falling from 100.1 to 45.6 and still falling when the budget stopped it (FID 43.88 from
10,000 samples of the shipped EMA file, 38.90 without the EMA).

The run also measures the trained generator without the EMA on the same samples
(`measurements.without_ema`, `fid_without_ema`).

Smoke test (about half a minute): `python applications/stylegan_fashion_mnist.py --limit 256
--epochs 1 --fid_every 0 --patience 0 --eval_samples 200 --latent_dim 16 --w_dim 16
--mapping_layers 2 --base_filters 64 --max_filters 8 --out runs/smoke_stylegan`.
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=100, batch_size=64, dataset="fashion_mnist_32", fid_every=1,
                           patience=3, max_minutes=35.0)
flags.DEFINE_integer("latent_dim", 128, "Size of z.")
flags.DEFINE_integer("w_dim", 128, "Size of w.")
flags.DEFINE_integer("mapping_layers", 8, "Dense layers of the mapping network.")
flags.DEFINE_integer("base_filters", 512, "fmap_base: nf(stage) = min(base_filters / "
                     "2**stage, max_filters).")
flags.DEFINE_integer("max_filters", 64, "fmap_max.")
flags.DEFINE_string("diff_augment", "", "DiffAugment policy ('' = off; e.g. "
                    "'color,translation,cutout').")


def main(_):
    f = flags.FLAGS
    recipe.run("stylegan_fashion_mnist", "stylegan", measurements=recipe.without_ema,
               latent_dim=f.latent_dim, w_dim=f.w_dim, mapping_layers=f.mapping_layers,
               base_filters=f.base_filters, max_filters=f.max_filters,
               diff_augment=f.diff_augment or None)


if __name__ == "__main__":
    app.run(main)
