"""Recipe: ProGAN on Fashion-MNIST padded to 32x32 (the `progan_fashion_mnist` checkpoint).

    python applications/progan_fashion_mnist.py --out runs/progan_fashion_mnist

Dataset `fashion_mnist_32`: the 60,000 training images padded by 2 pixels of background
(-1) on each side, as the official dataset tool pads MNIST; every FID (the checks during
training and the final evaluation) is measured on the center 28x28 of the samples against
the Fashion-MNIST test images (`kgz.metrics.default_extractor`).

Defaults (the published run): `latent_dim=64, base_filters=512, max_filters=64`
(feature maps 64 at 4x4 to 16x16 and 32 at 32x32: G 278,180 / D 279,073 parameters),
batch 64, the paper's WGAN-GP + drift, Adam(1e-3, 0, 0.99) reset at every phase change, EMA beta 0.999 (the
generator file holds the EMA weights), bf16 on a CPU with native bf16, no DiffAugment
(`--diff_augment color,translation,cutout` is the comparison run); an FID check of 2,000
samples after every epoch, early stopping after 3 checks without improvement (restoring
the best check), at most 35 minutes (about 60 CPU-minutes of process time on the 2
cores).

Growth: `--stable_images 15000 --fade_images 15000`: 4x4, fade 8x8, 8x8, fade 16x16,
16x16, fade 32x32 take 90,000 images (1.5 epochs), so 32x32 is reached in the first half
of the 35-minute budget and trains alone for the rest.

Measured here with a 30-second probe (fashion_mnist_32, mixed_bfloat16, the 2-core
machine shared with other jobs, load average 2-4): 0.65 s per step at batch 64 (98
images/s), 0.37 s at batch 32 (88 images/s); the paper-like widths `base_filters=1024,
max_filters=128` (1.1M parameters each) took 2.9 s per step at batch 64 (22 images/s),
`base_filters=256, max_filters=32` 0.27 s (242 images/s). The published run (idle
machine): about 0.40 s per step at every resolution (~160 images/s), 5 epochs (300,000
images) in 1,863 s of wall time and 3,563 s of process CPU time; the FID of 2,000 samples
fell from 131.1 (epoch 1, at 16x16) to 29.4 and was still falling when the budget stopped
it (FID 28.56 from 10,000 samples of the shipped EMA file, 29.96 without the EMA).

The run also measures the trained generator without the EMA on the same samples
(`measurements.without_ema`, `fid_without_ema`). With `--diff_augment
color,translation,cutout` the same budget gave FID 55.11 (49.78 without the EMA), worse at
every check from epoch 3 on (docs/applications.md, "With DiffAugment, epoch by epoch").

Smoke test (about half a minute): `python applications/progan_fashion_mnist.py --limit 256
--epochs 1 --fid_every 0 --patience 0 --eval_samples 200 --base_filters 64 --max_filters 8
--latent_dim 16 --stable_images 64 --fade_images 64 --out runs/smoke_progan`.
"""

from absl import app, flags

import recipe

recipe.define_common_flags(epochs=100, batch_size=64, dataset="fashion_mnist_32", fid_every=1,
                           patience=3, max_minutes=35.0)
flags.DEFINE_integer("latent_dim", 64, "Size of z.")
flags.DEFINE_integer("base_filters", 512, "fmap_base: nf(stage) = min(base_filters / "
                     "2**stage, max_filters).")
flags.DEFINE_integer("max_filters", 64, "fmap_max.")
flags.DEFINE_integer("stable_images", 15_000, "Real images per resolution before the next "
                     "one fades in.")
flags.DEFINE_integer("fade_images", 15_000, "Real images over which a resolution fades in.")
flags.DEFINE_string("diff_augment", "", "DiffAugment policy ('' = off; e.g. "
                    "'color,translation,cutout').")


def main(_):
    f = flags.FLAGS
    recipe.run("progan_fashion_mnist", "progan", measurements=recipe.without_ema,
               latent_dim=f.latent_dim, base_filters=f.base_filters,
               max_filters=f.max_filters, stable_images=f.stable_images,
               fade_images=f.fade_images, diff_augment=f.diff_augment or None)


if __name__ == "__main__":
    app.run(main)
