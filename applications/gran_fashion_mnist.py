"""Recipe: GRAN on Fashion-MNIST 28x28 (the `gran_fashion_mnist` checkpoint).

    python applications/gran_fashion_mnist.py --out runs/gran_fashion_mnist

A recurrent generator drawing in T = 3 steps (the authors' setting), its decoder a DCGAN
generator without tanh and its encoder a DCGAN-style convnet, against DCGAN's
discriminator. Everything else is the `dcgan_fashion_mnist` recipe's, so the two differ
only in the generator: ngf = ndf = 64, latent 100, batch 128, Adam(2e-4, beta_1=0.5),
non-saturating loss, bf16 on a CPU with native bf16, seed 0; an FID check of 2,000
samples after every epoch, early stopping after 3 checks without improvement (restoring
the best check's weights), at most 60 epochs or 30 minutes. A GRAN step costs more than a
DCGAN step (the decoder runs T times, the encoder T - 1 times), so the same budget buys
fewer epochs. The final FID / KID / IS of `--eval_samples` images come from `recipe.run`
(`kgz.applications.measure`), comparable with `dcgan_fashion_mnist`'s.

Its `measurements` hook writes `drawing_steps.png`: 10 samples (columns) after each of
the T steps (rows, top to bottom), `generate(10, seed=--seed, return_steps=True)` of the
checkpoint reloaded in float32.

Smoke test: `python applications/gran_fashion_mnist.py --limit 256 --epochs 1
--fid_every 0 --patience 0 --base_filters 4 --eval_samples 200 --out runs/smoke_gran`.
"""

import os

from absl import app, flags

import recipe

import keras_gan_zoo as kgz

recipe.define_common_flags(epochs=60, batch_size=128, dataset="fashion_mnist", fid_every=1,
                           patience=3, max_minutes=30.0)
flags.DEFINE_integer("base_filters", 64, "ngf of the decoder = ndf of the encoder and D.")
flags.DEFINE_integer("latent_dim", 100, "Size of z.")
flags.DEFINE_integer("num_steps", 3, "T, the drawing steps.")
flags.DEFINE_enum("read", "increment", ["increment", "canvas"],
                  "What the encoder reads after each step (the paper: the increment).")
flags.DEFINE_integer("drawing_samples", 10, "Samples (columns) of the drawing figure.")
FLAGS = flags.FLAGS


def drawing_figure(model, out):
    """The canvases after each step (rows) of `--drawing_samples` samples (columns)."""
    _, steps = model.generate(FLAGS.drawing_samples, seed=FLAGS.seed, return_steps=True)
    path = kgz.utils.save_grid(steps.reshape(-1, *steps.shape[2:]),
                               os.path.join(out, "drawing_steps.png"),
                               nrow=FLAGS.drawing_samples)
    return {"drawing_steps": path, "num_steps": int(steps.shape[0]),
            "drawing_samples": FLAGS.drawing_samples}


def main(_):
    recipe.run("gran_fashion_mnist", "gran", measurements=drawing_figure,
               base_filters=FLAGS.base_filters, latent_dim=FLAGS.latent_dim,
               num_steps=FLAGS.num_steps, read=FLAGS.read)


if __name__ == "__main__":
    app.run(main)
