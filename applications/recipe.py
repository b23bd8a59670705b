"""Shared body of the absl training recipes in this folder.

A recipe is the exact run behind a published checkpoint: its flags default to the
published hyperparameters. It trains through `fit`, writes the model (`.keras`),
the generator's weights, a sample grid and `metrics.json`, and prints the sha256
of the files to paste into the pretrained-weights registry.
"""

import hashlib
import json
import os
import platform
import time

from absl import flags

import keras_gan_zoo as kgz

FLAGS = flags.FLAGS


def define_common_flags(epochs, batch_size, dataset):
    flags.DEFINE_string("dataset", dataset, "Dataset name (keras_gan_zoo.datasets).")
    flags.DEFINE_integer("epochs", epochs, "Training epochs.")
    flags.DEFINE_integer("batch_size", batch_size, "Images per batch.")
    flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"],
                      "Mixed-precision policy (auto: bf16 on a CPU with native bf16).")
    flags.DEFINE_integer("seed", 0, "Seed of the data order and the training noise.")
    flags.DEFINE_string("out", None, "Output directory (default: runs/<recipe name>).")
    flags.DEFINE_integer("limit", None, "Use only the first N training examples.")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(name, model_name, **model_kwargs):
    """Trains `model_name` with the common flags and writes the recipe's outputs."""
    out = FLAGS.out or os.path.join("runs", name)
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    dataset = kgz.datasets.load(FLAGS.dataset, batch_size=FLAGS.batch_size, seed=FLAGS.seed,
                                limit=FLAGS.limit)
    image_shape = kgz.datasets.info(FLAGS.dataset)["image_shape"]
    model = kgz.create_model(model_name, image_shape=image_shape, seed=FLAGS.seed,
                             **model_kwargs)
    model.compile()
    checkpoint = os.path.join(out, f"{name}.keras")
    start = time.perf_counter()
    history = model.fit(
        dataset, epochs=FLAGS.epochs, verbose=2,
        callbacks=[kgz.callbacks.SampleGrid(os.path.join(out, "samples"), seed=FLAGS.seed),
                   kgz.callbacks.TrainingCheckpoint(checkpoint)],
    )
    seconds = time.perf_counter() - start
    weights = os.path.join(out, f"{name}_generator.weights.h5")
    model.generator.save_weights(weights)
    grid = kgz.utils.save_grid(model.generate(64, seed=FLAGS.seed), os.path.join(out, "grid.png"))
    metrics = {
        "recipe": name,
        "model": model_name,
        "config": model.get_config(),
        "dataset": FLAGS.dataset,
        "epochs": FLAGS.epochs,
        "batch_size": FLAGS.batch_size,
        "dtype_policy": policy,
        "train_seconds": round(seconds, 1),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}",
        "final_losses": {k: float(v[-1]) for k, v in history.history.items()},
        "files": {os.path.basename(p): sha256(p) for p in (checkpoint, weights)},
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))
    print(f"grid: {grid}")
    for file, digest in metrics["files"].items():
        print(f"sha256 {digest}  {file}")
