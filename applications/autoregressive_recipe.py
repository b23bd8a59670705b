"""Shared body of the autoregressive image recipes (pixelcnn_mnist.py, ...).

A recipe trains one model through `fit` on the training split, reloads the
checkpoint in float32, writes the generator file that `load_generator` reads (the
causal network with float16 kernels, `publish.save_generator_weights`) and measures
what ships, the model built from that file:

- test NLL in nats per image and bits per dim (`model.log_likelihood` on the whole
  test split; under "evaluation", what the registry records), next to the training
  NLL of the last epoch and the test NLL of the float32 checkpoint;
- sampling speed of the compiled loop (`generate`, after a warm-up call that traces
  it): samples per second at the grid's batch size;
- a sample grid (also `grid.png`, the card's picture) and a completion grid
  (originals / occluded / two completions of the bottom half) as PNGs, and
  `metrics.json` with the sha256s of both files. It prints the registry record (JSON) and
  the card rows (`publish.registry_entry`, `publish.card_rows`); `publish_run.py` applies
  a run to the repo.

Binarised MNIST: every pixel is drawn once as Bernoulli(intensity) with a fixed seed
(train and test alike) and kept fixed for all epochs, which is how the standard
binarised MNIST benchmark (Salakhutdinov & Murray 2008) was made. The model's own
binarisation (threshold at 0) then leaves these images unchanged.
"""

import json
import os
import shlex
import shutil
import sys
import time

import keras
import numpy as np
from absl import flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish

FLAGS = flags.FLAGS


def define_flags(dataset, epochs, batch_size, learning_rate, binarize, output,
                 validation_images=0, patience=0, max_train_minutes=None):
    flags.DEFINE_string("dataset", dataset, "Dataset name (keras_gan_zoo.datasets).")
    flags.DEFINE_integer("epochs", epochs, "Training epochs.")
    flags.DEFINE_integer("batch_size", batch_size, "Images per batch.")
    flags.DEFINE_float("learning_rate", learning_rate, "RMSProp learning rate.")
    flags.DEFINE_bool("binarize", binarize,
                      "Fixed stochastic binarisation of train and test (Bernoulli(intensity)).")
    flags.DEFINE_enum("output", output, ["bernoulli", "categorical", "palette"],
                      "Output distribution of the model.")
    flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"],
                      "Training precision (auto: bf16 on a CPU with native bf16).")
    flags.DEFINE_integer("seed", 0, "Seed of the data order, binarisation and sampling.")
    flags.DEFINE_string("out", None, "Output directory (default: runs/<recipe name>).")
    flags.DEFINE_integer("limit", None, "Use only the first N training images.")
    flags.DEFINE_integer("test_limit", None, "Use only the first N test images.")
    flags.DEFINE_integer("num_samples", 64, "Images in the sample grid (and speed test).")
    flags.DEFINE_float("max_train_minutes", max_train_minutes,
                       "Stop after the epoch that would overrun this budget (None or 0: all "
                       "epochs; kgz.callbacks.TimeBudget).")
    flags.DEFINE_integer("validation_images", validation_images,
                         "Hold out the last N training images and report their NLL "
                         "(val_nll) after every epoch (0: train on all).")
    flags.DEFINE_integer("patience", patience,
                         "With --validation_images: stop after P epochs without a lower "
                         "val_nll and restore the best epoch's weights (0: off).")


def process_seconds():
    """Wall-clock seconds since this process started (imports included)."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def load_split(split, limit):
    """The split as numpy (images in [-1, 1], labels), binarised if asked."""
    ds = kgz.datasets.load(FLAGS.dataset, split=split, batch_size=1000, shuffle=False,
                           drop_remainder=False, with_labels=True, limit=limit)
    images, labels = map(np.concatenate, zip(*ds.as_numpy_iterator()))
    if FLAGS.binarize:
        rng = np.random.default_rng([FLAGS.seed, 0 if split == "train" else 1])
        on = rng.uniform(size=images.shape) < (images + 1.0) / 2.0
        images = np.where(on, 1.0, -1.0).astype("float32")
    return images.astype("float32"), labels.astype("int32"), ds.source


def completion_grid(model, images, path, visible_rows, seed):
    """Rows: originals, occluded (grey below `visible_rows`), two completions."""
    seen = model.from_targets(model.to_targets(images)).numpy()
    occluded = seen.copy()
    occluded[:, visible_rows:] = 0.0
    first = model.complete(images, visible_rows=visible_rows, seed=seed)
    second = model.complete(images, visible_rows=visible_rows, seed=seed + 1)
    grid = np.concatenate([seen, occluded, first, second])
    return kgz.utils.save_grid(grid, path, nrow=len(images))


def stopping_record(history, early, budget):
    """When and why training stopped, and the held-out NLL curve (metrics.json)."""
    record = {"epochs_asked": FLAGS.epochs, "epochs_run": len(history.epoch),
              "max_minutes": FLAGS.max_train_minutes or None, "stopped_by": "the epoch count"}
    if early is not None and early.stopped_epoch > 0:
        record["stopped_by"] = (f"early stopping (patience {FLAGS.patience} epochs without "
                                "a lower validation NLL)")
    elif budget.stopped_epoch is not None:
        record["stopped_by"] = f"time budget ({FLAGS.max_train_minutes:g} min)"
    if "val_nll" in history.history:
        curve = [round(float(value), 3) for value in history.history["val_nll"]]
        best = int(np.argmin(curve)) + 1
        record.update({"validation_images": FLAGS.validation_images, "val_nll_curve": curve,
                       "best_epoch": best,
                       "restored_best_weights": early is not None and best != len(curve)})
    return record


def run(name, model_name, **model_kwargs):
    """Trains, reloads in float32, measures and writes the recipe's outputs."""
    out = FLAGS.out or os.path.join("runs", name)
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    train, _, source = load_split("train", FLAGS.limit)
    test, _, _ = load_split("test", FLAGS.test_limit)
    validation = None
    if FLAGS.validation_images:
        if not 0 < FLAGS.validation_images < len(train):
            raise ValueError(f"--validation_images must be in [1, {len(train) - 1}] for "
                             f"{len(train)} training images; got {FLAGS.validation_images}.")
        train, validation = (train[:-FLAGS.validation_images],
                             train[-FLAGS.validation_images:])
    if FLAGS.patience and validation is None:
        raise ValueError("--patience needs held-out images: set --validation_images.")
    model = kgz.create_model(model_name, image_shape=train.shape[1:], output=FLAGS.output,
                             seed=FLAGS.seed, **model_kwargs)
    model.compile(optimizer=keras.optimizers.RMSprop(FLAGS.learning_rate))
    checkpoint = os.path.join(out, f"{name}.keras")
    keras.utils.set_random_seed(FLAGS.seed)
    saver = kgz.callbacks.TrainingCheckpoint(checkpoint)
    early = None
    if FLAGS.patience:  # before the budget, as in recipe.py
        early = keras.callbacks.EarlyStopping(monitor="val_nll", mode="min",
                                              patience=FLAGS.patience,
                                              restore_best_weights=True, verbose=1)
    budget = kgz.callbacks.TimeBudget(FLAGS.max_train_minutes or None)
    start = time.perf_counter()
    history = model.fit(train, batch_size=FLAGS.batch_size, epochs=FLAGS.epochs, verbose=2,
                        validation_data=validation,
                        callbacks=[c for c in (early, budget, saver) if c is not None])
    train_seconds = time.perf_counter() - start
    stopping = stopping_record(history, early, budget)
    # The last epoch's checkpoint does not hold the restored best weights.
    saver.save(len(history.epoch), {k: v[-1] for k, v in history.history.items()})

    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(checkpoint)
    checkpoint_nll = float(-model.log_likelihood(test).mean())
    weights = publish.save_generator_weights(
        model, os.path.join(out, f"{name}_generator.fp16.weights.h5"))
    shipped = kgz.applications.build_from_weights(model_name, model.get_config(), weights)
    start = time.perf_counter()
    test_ll = shipped.log_likelihood(test)
    eval_seconds = time.perf_counter() - start
    shipped.generate(2, seed=FLAGS.seed)  # traces the sampling loop
    start = time.perf_counter()
    samples = shipped.generate(FLAGS.num_samples, seed=FLAGS.seed, batch_size=FLAGS.num_samples)
    sample_seconds = time.perf_counter() - start
    grid = kgz.utils.save_grid(samples, os.path.join(out, "samples.png"), nrow=8)
    shutil.copyfile(grid, os.path.join(out, "grid.png"))
    height = shipped.image_shape[0]
    completion = completion_grid(shipped, test[:10], os.path.join(out, "completion.png"),
                                 height // 2, FLAGS.seed)
    nll = float(-test_ll.mean())
    steps_per_epoch = -(-len(train) // FLAGS.batch_size)
    # The checkpoint's registry metrics, measured on the shipped file: the likelihood of
    # the test split (autoregressive models are scored by it, not by FID).
    evaluation = {
        "test_nll_nats": round(nll, 3),
        "test_bits_per_dim": round(float(nll / (shipped.num_dims * np.log(2.0))), 4),
        "num_test": int(len(test)),
        "real": f"{FLAGS.dataset}/test",
        "binarised": "fixed stochastic, Bernoulli(intensity), seed "
                     f"{FLAGS.seed}" if FLAGS.binarize else "no (256 levels)",
        "samples_per_second": round(FLAGS.num_samples / sample_seconds, 3),
    }
    metrics = {
        "recipe": name,
        "command": shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
        "model": model_name,
        "config": model.get_config(),
        "parameters": int(model.network.count_params()),
        "dataset": FLAGS.dataset,
        "data_source": source,
        "train_examples": int(len(train)),
        "epochs": len(history.epoch),
        "steps": int(steps_per_epoch * len(history.epoch)),
        "stopping": stopping,
        "batch_size": FLAGS.batch_size,
        "optimizer": f"RMSprop({FLAGS.learning_rate})",
        "dtype_policy": policy,
        "train_seconds": round(train_seconds, 1),
        "machine": publish.machine_description(),
        "train_nll_last_epoch": round(float(history.history["nll"][-1]), 3),
        "evaluation": evaluation,
        "checkpoint_test_nll_nats": round(checkpoint_nll, 3),
        "test_eval_seconds": round(eval_seconds, 1),
        "sampling": f"{FLAGS.num_samples} images in one compiled loop, float32, "
                    f"{sample_seconds:.1f} s",
        "files": {"generator": publish.file_record(weights, packaged=True),
                  "model": publish.file_record(checkpoint, packaged=False)},
    }
    metrics["wall_seconds_whole_run"] = round(process_seconds(), 1)
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))
    print(f"samples: {grid}\ncompletion: {completion}")
    publish.print_report(name, metrics, out)
    return metrics
