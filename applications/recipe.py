"""Shared body of the absl training recipes in this folder.

A recipe is the exact run behind a published checkpoint: its flags default to the
published hyperparameters. `run()` trains through `fit` (labelled batches for a
conditional model), then reloads the checkpoint in float32 and writes into `--out`:

- `<name>.keras`: the full model with its optimizer state (`kgz.applications.load_model`);
- `<name>_generator.fp16.weights.h5`: the generator's weights with float16 kernels
  (`kgz.applications.load_generator`; the file packaged with the wheel);
- `grid.png`: samples of that generator file (one row per class for a conditional model);
- `metrics.json`: config, time, final losses, the FID / KID / IS / classes found of the
  generator file against the test split in the features of the dataset's domain
  classifier (`kgz.applications.measure`, `--eval_samples` generated images), the
  recipe's own measurements (the `measurements` hook) and the files' sha256 and size;

and prints the registry entry to paste into keras_gan_zoo/applications/registry.py.

Smoke test (about half a minute): `python applications/dcgan_fashion_mnist.py --limit 256 --epochs 1
--base_filters 4 --eval_samples 200 --out runs/smoke`.
"""

import json
import os
import platform
import pprint
import shlex
import sys
import time

import keras
import numpy as np
from absl import flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish

FLAGS = flags.FLAGS


def define_common_flags(epochs, batch_size, dataset, eval_samples=10000):
    flags.DEFINE_string("dataset", dataset, "Dataset name (keras_gan_zoo.datasets).")
    flags.DEFINE_integer("epochs", epochs, "Training epochs.")
    flags.DEFINE_integer("batch_size", batch_size, "Images per batch.")
    flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"],
                      "Mixed-precision policy (auto: bf16 on a CPU with native bf16).")
    flags.DEFINE_integer("seed", 0, "Seed of the data order, the training noise and the "
                         "evaluation samples.")
    flags.DEFINE_string("out", None, "Output directory (default: runs/<recipe name>).")
    flags.DEFINE_integer("limit", None, "Use only the first N training examples.")
    flags.DEFINE_integer("eval_samples", eval_samples,
                         "Generated images for FID / KID / IS / classes found against the "
                         "whole test split (0: no evaluation).")


def sha256(path):
    """Hex sha256 of a file."""
    return publish.sha256_file(path)


def class_rows(model, columns, seed):
    """Images with one row per class and the same latents in every row."""
    latents = np.tile(model._latents_numpy(columns, seed), (model.num_classes, 1))
    labels = np.repeat(np.arange(model.num_classes), columns)
    return model.generate(len(labels), latents=latents, labels=labels)


def build_model(model_name, **model_kwargs):
    """`kgz.create_model` with the image shape of `--dataset` and `--seed`; a recipe of
    a class-conditional model passes `num_classes=num_classes()`."""
    kwargs = {"image_shape": kgz.datasets.info(FLAGS.dataset)["image_shape"], "seed": FLAGS.seed}
    kwargs.update(model_kwargs)
    return kgz.create_model(model_name, **kwargs)


def num_classes():
    """The number of classes of `--dataset` (for class-conditional models)."""
    return kgz.datasets.info(FLAGS.dataset)["num_classes"]


def run(name, model_name, measurements=None, **model_kwargs):
    """Trains `model_name` with the common flags and writes the recipe's outputs.

    Args:
        name: the checkpoint's registry name (file names, default `--out`).
        model_name: the zoo model (`kgz.create_model`).
        measurements: optional `fn(model, out) -> dict` called after training with the
            checkpoint reloaded in float32 and the output directory; its dict is stored
            under "measurements" in metrics.json.
        **model_kwargs: constructor arguments (the recipe's flags).

    Returns:
        The metrics dict written to `metrics.json`.
    """
    out = FLAGS.out or os.path.join("runs", name)
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    model = build_model(model_name, **model_kwargs)
    model.compile()
    conditional = bool(getattr(model, "conditional", False))
    dataset = kgz.datasets.load(FLAGS.dataset, batch_size=FLAGS.batch_size, seed=FLAGS.seed,
                                limit=FLAGS.limit, with_labels=conditional)
    steps_per_epoch = len(dataset)
    checkpoint = os.path.join(out, f"{name}.keras")
    grid_kwargs = {}
    if conditional:  # one row per class
        labels = np.repeat(np.arange(model.num_classes), 10)
        grid_kwargs = {"num_samples": len(labels), "nrow": 10,
                       "generate_kwargs": {"labels": labels}}
    start = time.perf_counter()
    history = model.fit(
        dataset, epochs=FLAGS.epochs, verbose=2,
        callbacks=[kgz.callbacks.SampleGrid(os.path.join(out, "samples"), seed=FLAGS.seed,
                                            **grid_kwargs),
                   kgz.callbacks.TrainingCheckpoint(checkpoint)],
    )
    seconds = time.perf_counter() - start

    # Everything below measures what ships: the checkpoint reloaded in float32 and the
    # generator file (float16 kernels) that load_generator reads.
    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(checkpoint)
    files = {}
    shipped = model  # a model without a `generator` network ships as its .keras only
    if getattr(model, "generator", None) is not None:
        weights = publish.save_generator_weights(
            model, os.path.join(out, f"{name}_generator.fp16.weights.h5"))
        shipped = kgz.applications.build_from_weights(model_name, model.get_config(), weights)
        files["generator"] = publish.file_record(weights, packaged=True)
    files["model"] = publish.file_record(checkpoint, packaged=False)
    if conditional:
        grid = kgz.utils.save_grid(class_rows(shipped, 10, FLAGS.seed),
                                   os.path.join(out, "grid.png"), nrow=10)
    else:
        grid = kgz.utils.save_grid(shipped.generate(64, seed=FLAGS.seed),
                                   os.path.join(out, "grid.png"))
    evaluation = None
    if FLAGS.eval_samples:
        evaluation = publish.measure(shipped, FLAGS.dataset, num_samples=FLAGS.eval_samples,
                                     seed=FLAGS.seed)
    extra = measurements(model, out) if measurements is not None else None
    command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    metrics = {
        "recipe": name,
        "command": command,
        "model": model_name,
        "config": model.get_config(),
        "dataset": FLAGS.dataset,
        "train_examples": int(FLAGS.batch_size * steps_per_epoch),
        "epochs": FLAGS.epochs,
        "steps": int(steps_per_epoch * FLAGS.epochs),
        "batch_size": FLAGS.batch_size,
        "dtype_policy": policy,
        "train_seconds": round(seconds, 1),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}",
        "final_losses": {k: float(v[-1]) for k, v in history.history.items()},
        "evaluation": evaluation,
        "measurements": extra,
        "files": files,
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))
    print(f"grid{' (one row per class)' if conditional else ''}: {grid}")
    entry = {
        "architecture": model_name,
        "config": metrics["config"],
        "dataset": FLAGS.dataset,
        "files": files,
        "metrics": evaluation and {**evaluation, "measured_on": (
            "the generator file" if "generator" in files else "the .keras checkpoint")},
        "training": {key: metrics[key] for key in ("epochs", "steps", "batch_size",
                                                    "train_examples", "dtype_policy",
                                                    "train_seconds")},
        "recipe": command,
    }
    print(f"registry entry (keras_gan_zoo/applications/registry.py):\n"
          f"{name!r}: {pprint.pformat(entry, width=96, sort_dicts=False)},")
    for record in files.values():
        print(f"sha256 {record['sha256']}  {record['file']} ({record['size']} bytes)")
    return metrics
