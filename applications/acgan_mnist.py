"""Recipe: ACGAN on MNIST (the `acgan_mnist` checkpoint) or, with `--dataset fashion_mnist`,
on Fashion-MNIST (`acgan_fashion_mnist`); the checkpoint is named `acgan_<dataset>`.

    python applications/acgan_mnist.py --out runs/acgan_mnist
    python applications/acgan_mnist.py --dataset fashion_mnist --fid_every 1 --max_minutes 30

Defaults are the published run, trained until the FID stops improving: an FID check of 2,000
samples every 5 epochs, early stopping after 3 checks without improvement (restoring the
best check's weights), at most 300 epochs or 30 minutes (the shipped run stopped early at
epoch 175 and restored epoch 160 after 1,152 s: FID 4.82 on 10,000 samples;
docs/models/acgan.md). The networks: the DCGAN networks of the zoo at 28x28 (ngf = ndf = 64)
with a class-conditional generator (z ~ N(0, 1)^100 concatenated with the one-hot label) and
a discriminator with an auxiliary 10-way classifier head; class terms of weight 1;
Adam(2e-4, beta_1=0.5), batch 100, bf16 on a CPU with native bf16. Trained by `recipe.run`,
measured as in `cgan_mnist.py` (one row per class in the grids; FID / KID of samples with
labels cycling 0..9 against the test digits; domain-classifier accuracy of conditional
samples), plus the accuracy of the auxiliary classifier itself on the real test digits.
"""

import numpy as np
from absl import app, flags

import cgan_mnist
import recipe

import keras_gan_zoo as kgz

FLAGS = flags.FLAGS


def auxiliary_classifier_accuracy(model):
    """Accuracy of the discriminator's class head on the real test split."""
    images, labels = [], []
    for x, y in kgz.datasets.load(FLAGS.dataset, "test", batch_size=500, shuffle=False,
                                  drop_remainder=False, with_labels=True):
        images.append(x.numpy())
        labels.append(y.numpy())
    labels = np.concatenate(labels)
    predicted = model.classify(np.concatenate(images)).argmax(-1)
    return {"auxiliary_classifier_test_accuracy": round(float(np.mean(predicted == labels)), 4),
            "auxiliary_classifier_test_images": int(len(labels))}


def measurements(model, out):
    return {**cgan_mnist.class_accuracy(model, out), **auxiliary_classifier_accuracy(model)}


def main(_):
    recipe.run(f"acgan_{FLAGS.dataset}", "acgan", measurements=measurements,
               num_classes=recipe.num_classes(), base_filters=FLAGS.base_filters,
               latent_dim=FLAGS.latent_dim)


if __name__ == "__main__":
    cgan_mnist.define_flags(epochs=300, batch_size=100, fid_every=5, patience=3,
                            max_minutes=30.0)
    flags.DEFINE_integer("base_filters", 64, "ngf = ndf.")
    flags.DEFINE_integer("latent_dim", 100, "Size of z.")
    app.run(main)
