"""Recipe: StyleGAN2 on Fashion-MNIST padded to 32x32 (the `stylegan2_fashion_mnist` checkpoint).

    python applications/stylegan2_fashion_mnist.py --out runs/stylegan2_fashion_mnist

Dataset `fashion_mnist_32`: the 60,000 training images padded by 2 pixels of background
(-1) on each side (the synthesis network doubles a 4x4 constant); every FID (the checks
during training and the final evaluation) is measured on the center 28x28 of the samples
against the Fashion-MNIST test images (`kgz.metrics.default_extractor`).

Defaults (the published run): `preset="small"`, the official CIFAR-10 configuration at CPU widths (z and w of
128, 2 mapping layers, 64 maps at 4x4 to 16x16 and 32 at 32x32: G 329,195 / D 278,689
parameters, "orig" discriminator, minibatch-stddev groups of 32, lr 0.0025, lazy R1 gamma
0.01 every 16 steps, no path length, no style mixing, EMA half-life 500k images with
ramp-up 0.05: the generator file holds the EMA weights), batch 64 (the official CIFAR-10
batch), bf16 on a CPU with native bf16, no DiffAugment; an FID check of 2,000 samples
after every epoch, early stopping after 3 checks without improvement (restoring the best
check), at most 35 minutes (about 60 CPU-minutes of process time on the 2 cores). Width
flags left unset take the preset's values.

DiffAugment is off by default: it is meant for limited data and Fashion-MNIST has 60,000
images. Measured: the recipe with `--diff_augment color,translation,cutout` is ahead at the
first 7 FID checks and behind at the last two, and ends level: FID 14.20 (25.01 without the
EMA) after the same 9 epochs, against 13.66 (16.90) (docs/applications.md, "With
DiffAugment, epoch by epoch").

The published run (idle machine): 0.23 s per step at batch 64 (~280 images/s), an epoch
with its FID check 3.5-4.5 minutes, 9 epochs (540,000 images) in 1,994 s of wall time and
3,682 s of process CPU time; the FID of 2,000 samples fell from 111.6 to 14.5 and was still
falling when the budget stopped it (FID 13.66 from 10,000 samples of the shipped file,
16.90 without the EMA).

The run also measures the trained generator without the EMA on the same samples
(`measurements.without_ema`, `fid_without_ema`).

Smoke test (about half a minute): `python applications/stylegan2_fashion_mnist.py --limit 256
--epochs 1 --fid_every 0 --patience 0 --eval_samples 200 --latent_dim 16 --w_dim 16
--base_filters 64 --max_filters 8 --batch_size 32 --out runs/smoke_stylegan2`.
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=100, batch_size=64, dataset="fashion_mnist_32", fid_every=1,
                           patience=3, max_minutes=35.0)
flags.DEFINE_string("preset", "small", "StyleGAN2 preset ('small': the CIFAR-10 "
                    "configuration at CPU widths; 'paper': config F).")
flags.DEFINE_integer("latent_dim", None, "Size of z (default: the preset's).")
flags.DEFINE_integer("w_dim", None, "Size of w (default: the preset's).")
flags.DEFINE_integer("mapping_layers", None, "Mapping layers (default: the preset's).")
flags.DEFINE_integer("base_filters", None, "fmap_base (default: the preset's).")
flags.DEFINE_integer("max_filters", None, "fmap_max (default: the preset's).")
flags.DEFINE_string("diff_augment", "", "DiffAugment policy ('' = off; e.g. "
                    "'color,translation,cutout').")


def main(_):
    f = flags.FLAGS
    widths = {name: getattr(f, name) for name in ("latent_dim", "w_dim", "mapping_layers",
                                                  "base_filters", "max_filters")
              if getattr(f, name) is not None}
    recipe.run("stylegan2_fashion_mnist", "stylegan2", measurements=recipe.without_ema,
               preset=f.preset, diff_augment=f.diff_augment or None, **widths)


if __name__ == "__main__":
    app.run(main)
