"""Shared body of the absl training recipes in this folder.

A recipe is the exact run behind a published checkpoint: its flags default to the
published hyperparameters. `run()` trains through `fit` (labelled batches for a
conditional model), then reloads the checkpoint in float32 and writes into `--out`:

- `<name>.keras`: the full model with its optimizer state (`kgz.applications.load_model`);
- `<name>_generator.fp16.weights.h5`: the generator's weights with float16 kernels
  (`kgz.applications.load_generator`; the file packaged with the wheel);
- `grid.png`: samples of that generator file (one row per class for a conditional model, one
  row per caption of `grid_captions` for a text-conditional one);
- `metrics.json`: config, time, final losses, the FID / KID / IS / classes found of the
  generator file against the test split in the features of the dataset's domain
  classifier (`kgz.applications.measure`, `--eval_samples` generated images; a
  text-conditional model samples for captions of the test images, `publish.caption_source`,
  against the images of its captioned dataset, `publish.reference_dataset`; a padded
  dataset such as `fashion_mnist_32` is measured on its content, the unpadded center, as
  are the FID checks), the recipe's own measurements (the `measurements` hook, e.g.
  `without_ema`) and the files' sha256 and size;

and prints the registry record (`publish.registry_entry`, as JSON) and the model card's
"Pretrained" rows (`publish.card_rows`); `python applications/publish_run.py --run OUT --name
NAME ...` writes them (the record as keras_gan_zoo/applications/weights/NAME.json), the
card's Training record, the generator file and the grid into the repo.

Training until the FID stops improving: `--fid_every N --patience P` measures the FID of
`--fid_samples` (2,000) images against as many test images every N epochs
(`kgz.callbacks.MetricMonitor`), stops after P checks without improvement and restores the
weights of the best check (`keras.callbacks.EarlyStopping(monitor="fid",
restore_best_weights=True)`); `--max_minutes` (45) stops at the epoch boundary before the
wall-clock budget would run out (`kgz.callbacks.TimeBudget`). metrics.json records the
FID curve, the best epoch, the epochs asked and run and what stopped training
("stopping"); `--epochs` is then an upper bound. For an autoencoding model the
"generator" is what samples images: the decoder, plus the autoencoder's code mixture.

Resuming: `--resume` continues the run in `--out` from its checkpoint (weights, optimizer
state, generator EMA and step counter, under the precision it trained with) up to `--epochs`
in all, e.g. a run the budget stopped while its FID was still falling. metrics.json then
describes both parts: the FID curve, the epochs, steps, time and CPU time add up, and
"resumed" names the epoch and the first part's command (the registry record's recipe is
both commands, joined by " && "). `--max_minutes` and `--patience`
count from the resume, and the data order starts again from the seed's first epoch, so
the result is not step for step the uninterrupted run's.

Smoke test (about half a minute): `python applications/dcgan_fashion_mnist.py --limit 256 --epochs 1
--fid_every 0 --patience 0 --base_filters 4 --eval_samples 200 --out runs/smoke`.
"""

import json
import os
import shlex
import sys
import time
import warnings

import keras
import numpy as np
from absl import flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish

FLAGS = flags.FLAGS


def define_common_flags(epochs, batch_size, dataset, eval_samples=10000, fid_every=0,
                        patience=0, max_minutes=45.0):
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
    flags.DEFINE_integer("fid_every", fid_every,
                         "Epochs between FID checks during training (MetricMonitor, "
                         "--fid_samples images; 0: no checks).")
    flags.DEFINE_integer("fid_samples", 2000,
                         "Generated (and real test) images per FID check during training.")
    flags.DEFINE_integer("patience", patience,
                         "FID checks without improvement before training stops and the "
                         "weights of the best check are restored (0: no early stopping).")
    flags.DEFINE_float("max_minutes", max_minutes,
                       "Wall-clock budget of training in minutes: stop after the epoch "
                       "whose successor would overrun it (0: no budget).")
    define_resume_flag()


def define_resume_flag():
    """`--resume`, for a recipe that continues its run with `resume_model`."""
    flags.DEFINE_bool("resume", False,
                      "Continue the run in --out from its checkpoint (weights, optimizer "
                      "state, generator EMA and step counter, under the precision it trained "
                      "with) up to --epochs in all; see the recipe's docstring.")


def class_rows(model, columns, seed):
    """Images with one row per class and the same latents in every row."""
    latents = np.tile(model.random_latents(columns, seed), (model.num_classes, 1))
    labels = np.repeat(np.arange(model.num_classes), columns)
    return model.generate(len(labels), latents=latents, labels=labels)


def caption_rows(model, captions, columns, seed):
    """Images of a text-conditional model with one row per caption of `captions` and the
    same latents in every row."""
    latents = np.tile(model.random_latents(columns, seed), (len(captions), 1))
    return model.generate(len(latents), latents=latents,
                          captions=[caption for caption in captions for _ in range(columns)])


def text_conditional(model):
    """True for a model conditioned on captions (`condition_kind = "text"`: GAN-CLS)."""
    return getattr(model, "condition_kind", None) == "text"


def build_model(model_name, **model_kwargs):
    """`kgz.create_model` with the image shape of `--dataset` and `--seed`; a recipe of
    a class-conditional model passes `num_classes=num_classes()`."""
    kwargs = {"image_shape": kgz.datasets.info(FLAGS.dataset)["image_shape"], "seed": FLAGS.seed}
    kwargs.update(model_kwargs)
    return kgz.create_model(model_name, **kwargs)


def num_classes():
    """The number of classes of `--dataset` (for class-conditional models)."""
    return kgz.datasets.info(FLAGS.dataset)["num_classes"]


class _FIDMonitor(kgz.callbacks.MetricMonitor):
    """MetricMonitor whose conditional models draw labels cycling over the classes and
    text-conditional models captions of the test images of `--dataset` (the protocols of
    `publish.measure`), and whose reference is `num_samples` test images (of
    `publish.reference_dataset(--dataset)`), or the whole test split when it is smaller
    (the 500 offline MNIST digits)."""

    num_real = None

    def evaluate(self):
        from keras_gan_zoo import metrics as metrics_lib

        source = self.model
        if text_conditional(self.model):
            source = publish.caption_source(self.model, FLAGS.dataset)
        elif getattr(self.model, "conditional", False):
            source = publish.conditional_source(self.model)
        try:
            real = metrics_lib.real_statistics(self.dataset, self.split, self.extractor,
                                               self.num_samples, self.seed)
        except ValueError as error:  # a test split smaller than num_samples: all of it
            if "ran out" not in str(error):
                raise
            real = metrics_lib.real_statistics(self.dataset, self.split, self.extractor,
                                               None, self.seed)
        self.num_real = int(real.count)
        return metrics_lib.evaluate(source, real, metrics=self.metric_names,
                                    extractor=self.extractor, num_samples=self.num_samples,
                                    batch_size=self.batch_size, seed=self.seed)


def without_ema(model, out):
    """A `measurements` hook for a model trained with a generator EMA: the final
    evaluation's metrics (`publish.measure`: `--eval_samples` images from the same
    seeds, against the same test images, in the same features) of the trained
    generator (`generate(..., use_ema=False)`) of the reloaded float32 checkpoint, for
    the card's "without EMA" row beside the FID of the generator file (the EMA weights).
    Stored as `without_ema` (the whole measurement) and `fid_without_ema` (the number for
    the registry record: `publish_run.py --measurement_keys fid_without_ema`); empty
    without an EMA or with `--eval_samples 0`."""
    if not FLAGS.eval_samples or not getattr(model, "uses_ema", False):
        return {}

    def trained_generator(n, seed=None):
        if text_conditional(model):  # the captions of publish.caption_source
            captions = publish.evaluation_captions(FLAGS.dataset, n,
                                                   0 if seed is None else seed)[0]
            return model.generate(n, seed=seed, captions=captions, use_ema=False)
        return model.generate(n, seed=seed, use_ema=False)

    measured = publish.measure(trained_generator, FLAGS.dataset,
                               num_samples=FLAGS.eval_samples, seed=FLAGS.seed)
    if text_conditional(model):
        measured["captions"] = publish.caption_protocol(FLAGS.dataset)
    measured["generator"] = "trained generator (use_ema=False), float32 checkpoint"
    return {"without_ema": measured, "fid_without_ema": measured["fid"]}


def read_run(out):
    """The metrics.json of the finished recipe run in `out`, for `--resume`; ValueError
    without one."""
    metrics_path = os.path.join(out, "metrics.json")
    if not os.path.isfile(metrics_path):
        raise ValueError(f"--resume: {out} holds no finished recipe run (expected its "
                         f"checkpoint, the checkpoint's .json state and {metrics_path}).")
    with open(metrics_path, encoding="utf-8") as f:
        return json.load(f)


def checkpoint_state(checkpoint, earlier):
    """The .json state of `checkpoint` (`TrainingCheckpoint.read_state`), checked against
    `earlier`, the record of the run that wrote it (its metrics.json, or a run recorded
    inside one, e.g. a twin's); ValueError when the two disagree or nothing is left to
    train up to `--epochs`."""
    state = kgz.callbacks.TrainingCheckpoint.read_state(checkpoint)
    if not state.get("epochs"):
        raise ValueError(f"--resume: no checkpoint to resume (expected {checkpoint} and its "
                         ".json state).")
    if earlier.get("epochs") != state["epochs"]:
        raise ValueError(f"--resume: {checkpoint} holds {state['epochs']} epochs but its run "
                         f"records {earlier.get('epochs')}; not one run.")
    if state["epochs"] >= FLAGS.epochs:
        raise ValueError(f"--resume: {checkpoint} already holds {state['epochs']} epochs; "
                         f"pass --epochs above it (the total, not the epochs to add).")
    return state


def resume_model(checkpoint, earlier):
    """`(model, dtype policy, epochs done)`: `checkpoint` of the run `earlier`
    (`checkpoint_state`) loaded under the precision it trained with: its weights,
    optimizer state, generator EMA and step counter, ready for `fit(...,
    initial_epoch=done)`."""
    state = checkpoint_state(checkpoint, earlier)
    policy = kgz.precision.set_precision(state.get("dtype_policy") or earlier["dtype_policy"])
    model = keras.models.load_model(checkpoint)
    print(f"Resuming {checkpoint} after epoch {state['epochs']} under {policy}.")
    return model, policy, int(state["epochs"])


def resumed_record(earlier, done):
    """metrics.json's "resumed" of a run continued after epoch `done` of `earlier` (the
    first part's metrics.json): where it resumed, the first part's time and
    `earlier_command`, the commands that made the resumed checkpoint (of a run resumed
    more than once, all of them, joined by " && ")."""
    before = (earlier.get("resumed") or {}).get("earlier_command")
    return {"after_epoch": done,
            "earlier_command": " && ".join(filter(None, [before, earlier["command"]])),
            "earlier_train_seconds": earlier["train_seconds"],
            "earlier_train_cpu_seconds": earlier["train_cpu_seconds"]}


def stopping_callbacks():
    """The FID checks, early stopping and time budget of the flags, in the order they
    must run: `(callbacks, monitor, early_stopping, budget)` (None when off)."""
    monitor = early = None
    # EarlyStopping warns at every epoch without a check: expected between checks.
    warnings.filterwarnings("ignore", message="Early stopping conditioned on metric `fid`")
    if FLAGS.fid_every:  # a captioned dataset: against the images of its base dataset
        monitor = _FIDMonitor(["fid"], dataset=publish.reference_dataset(FLAGS.dataset),
                              every=FLAGS.fid_every,
                              num_samples=FLAGS.fid_samples, seed=FLAGS.seed)
        if FLAGS.patience:
            early = keras.callbacks.EarlyStopping(monitor="fid", mode="min",
                                                  patience=FLAGS.patience,
                                                  restore_best_weights=True, verbose=1)
    elif FLAGS.patience:
        raise ValueError("--patience needs FID checks: set --fid_every.")
    budget = kgz.callbacks.TimeBudget(FLAGS.max_minutes or None)
    callbacks = [c for c in (monitor, early, budget) if c is not None]
    return callbacks, monitor, early, budget


def stopping_record(history, monitor, early, budget, earlier=None, initial_epoch=0):
    """What metrics.json records about when and why training stopped; for a resumed run
    (`initial_epoch` epochs done before), `earlier` is the first part's record, whose FID
    checks come first in the curve."""
    earlier = earlier or {}
    epochs_run = initial_epoch + len(history.epoch)
    record = {"epochs_asked": FLAGS.epochs, "epochs_run": epochs_run,
              "max_minutes": FLAGS.max_minutes or None,
              "stopped_by": None, "fid_every": FLAGS.fid_every or None}
    if early is not None and early.stopped_epoch > 0:
        record["stopped_by"] = f"early stopping (patience {FLAGS.patience} FID checks)"
    elif budget.stopped_epoch is not None:
        record["stopped_by"] = f"time budget ({FLAGS.max_minutes:g} min)"
    if monitor is not None:
        curve = list(earlier.get("fid_curve") or []) + [
            {key: (int(value) if key == "epoch" else round(float(value), 4))
             for key, value in point.items()} for point in monitor.history]
        best = min(curve, key=lambda point: point["fid"]) if curve else None
        if best is None or best["epoch"] <= initial_epoch:  # none, or in the earlier part
            losses_at_best = best and earlier.get("losses_at_best_epoch")
        else:
            losses_at_best = {key: round(float(values[best["epoch"] - initial_epoch - 1]), 4)
                              for key, values in history.history.items() if key != "fid"}
        record.update({
            "fid_samples": FLAGS.fid_samples,
            "fid_real": monitor.num_real,
            "fid_curve": curve,
            "best_epoch": best and best["epoch"],
            "best_fid_during_training": best and best["fid"],
            "restored_best_weights": bool(early is not None and best is not None
                                          and best["epoch"] != epochs_run),
            # final_losses are the last epoch's; these are the epoch whose weights ship
            # when the best check's weights were restored.
            "losses_at_best_epoch": losses_at_best,
        })
    return record


def run(name, model_name, measurements=None, finalize=None, grid_captions=None,
        **model_kwargs):
    """Trains `model_name` with the common flags and writes the recipe's outputs.

    With `--fid_every N` a `MetricMonitor` measures the FID of `--fid_samples` images
    every N epochs; with `--patience P` training stops after P checks without
    improvement and the weights of the best check are restored (`EarlyStopping`);
    `--max_minutes` bounds the training time (`TimeBudget`). The final checkpoint holds
    the restored weights (with the optimizer state of the last epoch run).

    Args:
        name: the checkpoint's registry name (file names, default `--out`).
        model_name: the zoo model (`kgz.create_model`).
        measurements: optional `fn(model, out) -> dict` called after training with the
            checkpoint reloaded in float32 and the output directory; its dict is stored
            under "measurements" in metrics.json.
        finalize: optional `fn(model, dataset) -> dict` called on the trained model
            before the final checkpoint is written (e.g. the autoencoder fits its code
            density on the whole training set); its dict is stored under "finalize".
        grid_captions: for a text-conditional model (GAN-CLS, trained on a captioned
            `--dataset`), the caption of each row of the grids (10 samples per row, the
            same latents in every row); required for such a model.
        **model_kwargs: constructor arguments (the recipe's flags).

    Returns:
        The metrics dict written to `metrics.json`.
    """
    out = FLAGS.out or os.path.join("runs", name)
    os.makedirs(out, exist_ok=True)
    checkpoint = os.path.join(out, f"{name}.keras")
    earlier = read_run(out) if FLAGS.resume else None
    if earlier:
        model, policy, done = resume_model(checkpoint, earlier)
    else:
        done = 0
        policy = kgz.precision.set_precision(FLAGS.precision)
        model = build_model(model_name, **model_kwargs)
        model.compile()
    conditional = bool(getattr(model, "conditional", False))
    dataset = kgz.datasets.load(FLAGS.dataset, batch_size=FLAGS.batch_size, seed=FLAGS.seed,
                                limit=FLAGS.limit, with_labels=conditional)
    steps_per_epoch = len(dataset)
    text = text_conditional(model)
    if text and not grid_captions:
        raise ValueError(f"{model_name} is text-conditional: pass recipe.run(..., "
                         "grid_captions=[...]), the caption of each row of its grids.")
    grid_kwargs = {}
    if conditional:  # one row per class
        labels = np.repeat(np.arange(model.num_classes), 10)
        grid_kwargs = {"num_samples": len(labels), "nrow": 10,
                       "generate_kwargs": {"labels": labels}}
    elif text:  # one row per caption
        captions = [caption for caption in grid_captions for _ in range(10)]
        grid_kwargs = {"num_samples": len(captions), "nrow": 10,
                       "generate_kwargs": {"captions": captions}}
    stopping, monitor, early, budget = stopping_callbacks()
    saver = kgz.callbacks.TrainingCheckpoint(checkpoint)
    start, start_cpu = time.perf_counter(), time.process_time()
    history = model.fit(
        dataset, epochs=FLAGS.epochs, initial_epoch=done, verbose=2,
        callbacks=[kgz.callbacks.SampleGrid(os.path.join(out, "samples"), seed=FLAGS.seed,
                                            **grid_kwargs),
                   *stopping, saver],
    )
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    epochs = done + len(history.epoch)
    if earlier:
        seconds += earlier["train_seconds"]
        cpu_seconds += earlier["train_cpu_seconds"]
    finalized = None
    if finalize is not None:
        start_finalize = time.perf_counter()
        finalized = {**finalize(model, dataset),
                     "seconds": round(time.perf_counter() - start_finalize, 1)}
    # The checkpoint of the last epoch does not hold restored best weights nor what
    # `finalize` fitted: write the final state.
    saver.save(epochs, {k: v[-1] for k, v in history.history.items()})
    stopped = stopping_record(history, monitor, early, budget,
                              earlier and earlier["stopping"], done)

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
    elif text:
        grid = kgz.utils.save_grid(caption_rows(shipped, grid_captions, 10, FLAGS.seed),
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
        "epochs": epochs,
        "steps": int(steps_per_epoch * epochs),
        "stopping": stopped,
        "batch_size": FLAGS.batch_size,
        "dtype_policy": policy,
        "train_seconds": round(seconds, 1),
        # process CPU time of fit (all threads, FID checks included): the "CPU-minutes"
        # of a budget, which on this 2-core machine run about twice the wall minutes.
        "train_cpu_seconds": round(cpu_seconds, 1),
        # a resumed run: where it resumed and the first part's command (the times above
        # and the FID curve are of both parts)
        "resumed": earlier and resumed_record(earlier, done),
        "machine": publish.machine_description(),
        "final_losses": {k: float(v[-1]) for k, v in history.history.items()
                         if k != "fid"},
        "finalize": finalized,
        "evaluation": evaluation,
        "measurements": extra,
        "files": files,
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))
    rows = " (one row per class)" if conditional else " (one row per caption)" if text else ""
    print(f"grid{rows}: {grid}")
    publish.print_report(name, metrics, out)
    return metrics
