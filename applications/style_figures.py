"""The model cards' figures of a published checkpoint, drawn from its shipped weights.

    python applications/style_figures.py --name stylegan2_fashion_mnist

Loads the checkpoint with `kgz.applications.load_generator` (the packaged generator file,
EMA weights, the recorded `w_avg` / growth phase) and writes into docs/images/:

- every checkpoint: `<name>_walk.png`, a slerp walk in Z between seeds 0 and 1 (ten
  points, `kgz.latent.walk_strip`);
- style-based checkpoints (`StyleBasedGAN`: `stylegan`, `stylegan2`) also:
  `<name>_truncation.png`, the truncation trick per seed (one row per seed, columns
  psi = 1, 0.7, 0.5, 0, -0.5, -1: StyleGAN's figure 8, `kgz.latent.truncation_sweep`);
  `<name>_mixing.png`, style mixing (the first row and column are the sources; each cell
  takes the coarse styles, layers [0, 4) = 4x4 and 8x8, from its column and the others
  from its row: figure 3, `kgz.latent.style_mixing_grid`);
  `<name>_w_walk.png`, a straight line in W between the same two seeds
  (`kgz.latent.interpolate_w`), to compare with the Z walk.

Images are the generator's whole 32x32 output (the 2-pixel padding of `fashion_mnist_32`
included). Noise inputs are held constant (`noise_mode="const"`), so a figure is the
same on every run; the seeds are the flags'.
"""

import os

from absl import app, flags

import keras_gan_zoo as kgz
from keras_gan_zoo.models.adversarial.style_base import StyleBasedGAN

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

flags.DEFINE_string("name", None, "Registry name of a published checkpoint.")
flags.DEFINE_list("row_seeds", ["1", "2", "3", "4"], "Seeds of the mixing grid's rows "
                  "and of the truncation sweep's rows.")
flags.DEFINE_list("col_seeds", ["10", "11", "12", "13", "14"], "Seeds of the mixing "
                  "grid's columns (the sources of the coarse styles).")
flags.DEFINE_string("out", os.path.join(REPO, "docs", "images"), "Output directory.")
flags.mark_flag_as_required("name")
FLAGS = flags.FLAGS


def main(_):
    model = kgz.applications.load_generator(FLAGS.name)
    rows = [int(s) for s in FLAGS.row_seeds]
    cols = [int(s) for s in FLAGS.col_seeds]

    def path(kind):
        return os.path.join(FLAGS.out, f"{FLAGS.name}_{kind}.png")

    ends = [model.random_latents(1, seed=s)[0] for s in (0, 1)]   # as interpolate_w's
    written = [kgz.latent.walk_strip(model, kgz.latent.interpolate(ends[0], ends[1], 10),
                                     path("walk"))]
    if isinstance(model, StyleBasedGAN):  # a W space: what the kgz.latent W tools need
        kgz.latent.truncation_sweep(model, rows, path=path("truncation"))
        kgz.latent.style_mixing_grid(model, rows, cols, path=path("mixing"))
        kgz.latent.interpolate_w(model, 0, 1, steps=10, path=path("w_walk"))
        written += [path("truncation"), path("mixing"), path("w_walk")]
    for name in written:
        print(os.path.relpath(name, REPO))


if __name__ == "__main__":
    app.run(main)
