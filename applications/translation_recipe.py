"""Shared body of the translation recipes (pix2pix, CycleGAN, DiscoGAN, BiCycleGAN,
SRResNet / SRGAN).

A recipe is the exact run behind a published translation checkpoint: its flags default to
the published hyperparameters. `run()` trains through `fit` on the translation dataset's
training split and, after every epoch, measures the translator on the first
`--check_images` images of the test split (`kgz.metrics.translation`: FID of the
translations against the real target-domain images in the domain classifier's features,
both directions' mean for a two-domain model; PSNR to the ground truth for SRResNet),
writes it into the epoch logs (`fid` / `psnr`), stops after `--patience` checks without
improvement and restores the best check's weights (`keras.callbacks.EarlyStopping`), and
stops before `--max_minutes` would run out (`kgz.callbacks.TimeBudget`). Then it reloads
the checkpoint in float32 and writes into `--out`, in the format of `recipe.py` that
`publish_run.py` reads:

- `<name>.keras`: the full model with its optimizer state;
- `<name>_generator.fp16.weights.h5`: the translators (one group per direction, float16
  kernels; `publish.save_generator_weights`), what `load_generator` loads;
- `grid.png`: rows of test examples of that file, input | output | target (two-domain
  models: input | translation | translated back, a -> b rows then b -> a rows);
- `metrics.json`: config, time, losses, the check curve and what stopped training, and
  `evaluation`: `kgz.metrics.translation.evaluate_translator` of the generator file on
  the WHOLE test split against the baselines (identity; bicubic; SRGAN's SRResNet).

SRGAN (`run_srgan`) is two runs in one: SRResNet on the pixel MSE (checked by PSNR), then
SRGAN initialized from it (checked by FID); the SRResNet is the SRGAN's baseline and
its own run is recorded under `measurements.srresnet`.

Smoke test (a minute): `python applications/pix2pix_fashion_mnist_edges.py --limit 256
--epochs 1 --base_filters 4 --check_images 200 --eval_images 500 --out runs/smoke`.
"""

import json
import os
import shlex
import sys
import time

import keras
import numpy as np
from absl import flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish
from keras_gan_zoo.metrics import translation

FLAGS = flags.FLAGS


def define_flags(dataset, epochs, batch_size, patience=3, max_minutes=25.0, check_images=1000,
                 grid_examples=32):
    flags.DEFINE_string("dataset", dataset, "Translation dataset (keras_gan_zoo.datasets).")
    flags.DEFINE_integer("epochs", epochs, "Most training epochs (checks and the budget "
                         "usually stop earlier).")
    flags.DEFINE_integer("batch_size", batch_size, "Images (pairs) per batch.")
    flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"],
                      "Mixed-precision policy (auto: bf16 on a CPU with native bf16).")
    flags.DEFINE_integer("seed", 0, "Seed of the model, the data order and the training noise.")
    flags.DEFINE_string("out", None, "Output directory (default: runs/<recipe name>).")
    flags.DEFINE_integer("limit", None, "Use only the first N training examples (per domain).")
    flags.DEFINE_integer("check_images", check_images,
                         "Test images (per direction) translated for the check after every "
                         "epoch (0: no checks).")
    flags.DEFINE_integer("patience", patience, "Checks without improvement before training "
                         "stops and the best check's weights are restored (0: off).")
    flags.DEFINE_float("max_minutes", max_minutes, "Wall-clock budget of training in minutes "
                       "(0: none).")
    flags.DEFINE_integer("eval_images", None, "Test images (per direction) of the final "
                         "evaluation (default: the whole test split).")
    flags.DEFINE_integer("grid_examples", grid_examples, "Examples in grid.png.")


class TranslationCheck(keras.callbacks.Callback):
    """Measures the translator on fixed test images after every epoch and writes the
    monitored number into the logs: ``fid`` (mean over directions) or ``psnr``."""

    def __init__(self, dataset, num_images, monitor="fid", scale=None, translate_kwargs=None):
        super().__init__()
        self.monitor = monitor
        self.translate_kwargs = translate_kwargs
        a, b = translation.translation_test_data(dataset, "test", num_images, scale=scale)
        self.dataset, self.data = dataset, (a, b)
        self.references = None
        self.history = []
        self.seconds = 0.0

    def _plan(self):
        return translation._direction_plan(self.model, self.dataset, *self.data)

    def on_epoch_end(self, epoch, logs=None):
        start = time.perf_counter()
        plan = self._plan()
        if self.references is None:
            extractor = translation.DATASET_EXTRACTORS.get(self.dataset, "fashion_mnist")
            self.references = {d: translation.TranslationReference(real, extractor, targets,
                                                                    target_class)
                               for d, (_, real, targets, target_class) in plan.items()}
        point = {"epoch": epoch + 1}
        fids = []
        for direction, (sources, *_rest) in plan.items():
            if self.translate_kwargs:  # e.g. BiCycleGAN's random latent codes
                outputs = self.model.translate(sources, batch_size=256, **self.translate_kwargs)
            else:
                outputs = translation._translate(self.model, sources, direction, 256)
            scores = self.references[direction].scores(outputs)
            fids.append(scores["fid"])
            suffix = "" if len(plan) == 1 else f"_{direction}"
            point[f"fid{suffix}"] = scores["fid"]
            if "target_class_share" in scores:
                point[f"target_class_share{suffix}"] = scores["target_class_share"]
            if "psnr" in scores:
                point["psnr"] = scores["psnr"]
        if len(plan) > 1:
            point["fid"] = round(float(np.mean(fids)), 4)
        self.history.append(point)
        if logs is not None:  # the check's numbers (a training PSNR stays the monitor's)
            logs["fid"] = point["fid"]
            if self.monitor == "psnr":
                logs["psnr"] = point["psnr"]
        self.seconds += time.perf_counter() - start
        print(f"check after epoch {epoch + 1}: "
              + ", ".join(f"{k} {v}" for k, v in point.items() if k != "epoch"), flush=True)


def _stopping_record(history, check, early, budget, monitor):
    record = {"epochs_asked": FLAGS.epochs, "epochs_run": len(history.epoch),
              "max_minutes": FLAGS.max_minutes or None, "stopped_by": None,
              "fid_every": 1 if check else None, "monitor": monitor}
    if early is not None and early.stopped_epoch > 0:
        record["stopped_by"] = f"early stopping (patience {FLAGS.patience} checks of {monitor})"
    elif budget.stopped_epoch is not None:
        record["stopped_by"] = f"time budget ({FLAGS.max_minutes:g} min)"
    if check is not None and check.history:
        sign = -1 if monitor == "psnr" else 1
        best = min(check.history, key=lambda point: sign * point[monitor])
        record.update({
            "fid_samples": len(check.data[0]),
            "fid_real": len(check.data[1]),
            "fid_curve" if monitor == "fid" else "psnr_curve": check.history,
            "best_epoch": best["epoch"],
            f"best_{monitor}_during_training": best[monitor],
            "restored_best_weights": bool(early is not None
                                          and best["epoch"] != len(history.epoch)),
            "check_seconds": round(check.seconds, 1),
            "losses_at_best_epoch": {
                key: round(float(values[best["epoch"] - 1]), 4)
                for key, values in history.history.items() if key not in ("fid", monitor)},
        })
    return record


def train(name, model_name, out, monitor="fid", data_scale=None, initialize=None,
          max_minutes=None, check_kwargs=None, **model_kwargs):
    """Builds, compiles and fits one model with the checks; returns
    `(model in float32 reloaded from its checkpoint, run dict)`."""
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    scale = data_scale
    load_kwargs = {"scale": scale} if scale is not None else {}
    dataset = kgz.datasets.load(FLAGS.dataset, batch_size=FLAGS.batch_size, seed=FLAGS.seed,
                                limit=FLAGS.limit, **load_kwargs)
    steps_per_epoch = len(dataset)
    sample_a, _ = next(iter(dataset))
    kwargs = {"image_shape": tuple(sample_a.shape[1:]), "seed": FLAGS.seed,
              "domain_names": tuple(dataset.domain_names)}
    kwargs.update(model_kwargs)
    model = kgz.create_model(model_name, **kwargs)
    if initialize is not None:
        initialize(model)
    model.compile()
    check = early = None
    callbacks = []
    if FLAGS.check_images:
        check = TranslationCheck(FLAGS.dataset, FLAGS.check_images, monitor, scale,
                                 check_kwargs)
        callbacks.append(check)
        if FLAGS.patience:
            early = keras.callbacks.EarlyStopping(
                monitor=monitor, mode="max" if monitor == "psnr" else "min",
                patience=FLAGS.patience, restore_best_weights=True, verbose=1)
            callbacks.append(early)
    minutes = FLAGS.max_minutes if max_minutes is None else max_minutes
    budget = kgz.callbacks.TimeBudget(minutes or None)
    checkpoint = os.path.join(out, f"{name}.keras")
    saver = kgz.callbacks.TrainingCheckpoint(checkpoint)
    start = time.perf_counter()
    history = model.fit(dataset, epochs=FLAGS.epochs, verbose=2,
                        callbacks=[*callbacks, budget, saver])
    seconds = time.perf_counter() - start
    saver.save(len(history.epoch), {k: v[-1] for k, v in history.history.items()})
    stopping = _stopping_record(history, check, early, budget, monitor)
    if max_minutes is not None:
        stopping["max_minutes"] = max_minutes
        if budget.stopped_epoch is not None:
            stopping["stopped_by"] = f"time budget ({max_minutes:g} min)"
    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(checkpoint)
    run = {
        "recipe": name,
        "model": model_name,
        "config": model.get_config(),
        "dataset": FLAGS.dataset,
        "train_examples": int(FLAGS.batch_size * steps_per_epoch),
        "epochs": len(history.epoch),
        "steps": int(steps_per_epoch * len(history.epoch)),
        "stopping": stopping,
        "batch_size": FLAGS.batch_size,
        "dtype_policy": policy,
        "train_seconds": round(seconds, 1),
        "machine": publish.machine_description(),
        "final_losses": {k: float(v[-1]) for k, v in history.history.items()
                         if k not in ("fid", monitor)},
        "files": {"model": publish.file_record(checkpoint, packaged=False)},
    }
    return model, run


def _grid(shipped, dataset, out, examples, scale=None, extra=None, outputs=None):
    """grid.png: input | output | target rows (two-domain: input | translation | back);
    `outputs(shipped, images) -> {label: images}` replaces the one output column."""
    a, b = translation.translation_test_data(dataset, "test", examples, scale=scale)
    path = os.path.join(out, "grid.png")
    if len(shipped.directions) == 2:
        half = max(1, examples // 2)
        rows = []
        for direction, back, images in (("a_to_b", "b_to_a", a[:half]),
                                        ("b_to_a", "a_to_b", b[:half])):
            there = shipped.translate(images, direction=direction)
            rows.append([images, there, shipped.translate(there, direction=back)])
        columns = [np.concatenate([r[i] for r in rows]) for i in range(3)]
        return translation.translation_grid(columns, path), \
            "input | translation | translated back; a -> b rows first, then b -> a"
    columns = [a]
    names = ["input"]
    if extra:
        for label, fn in extra.items():
            columns.append(fn(a))
            names.append(label)
    produced = outputs(shipped, a) if outputs else {"output": shipped.translate(a)}
    columns += [*produced.values(), b]
    names += [*produced, "target"]
    return translation.translation_grid(columns, path), " | ".join(names)


def finish(name, model, run, out, baselines=None, grid_extra=None, scale=None,
           measurements=None, grid_outputs=None, evaluated=None, measure=None):
    """Writes the generator file, grid and metrics.json of a trained (float32) model.

    `grid_outputs`: see `_grid`; `evaluated(shipped)`: what the evaluation measures as
    "model" (default the shipped translator); `measure(shipped) -> dict`: more
    measurements of the shipped file (BiCycleGAN's diversity)."""
    weights = publish.save_generator_weights(
        model, os.path.join(out, f"{name}_generator.fp16.weights.h5"))
    shipped = kgz.applications.build_from_weights(run["model"], model.get_config(), weights)
    run["files"] = {"generator": publish.file_record(weights, packaged=True), **run["files"]}
    grid, layout = _grid(shipped, FLAGS.dataset, out, FLAGS.grid_examples, scale, grid_extra,
                         grid_outputs)
    start = time.perf_counter()
    evaluation = translation.evaluate_translator(evaluated(shipped) if evaluated else shipped,
                                                 FLAGS.dataset, "test",
                                                 FLAGS.eval_images, baselines=baselines,
                                                 scale=scale)
    evaluation["seconds"] = round(time.perf_counter() - start, 1)
    evaluation["whole_split"] = FLAGS.eval_images is None
    evaluation["grid"] = layout
    # the float16 file against the float32 checkpoint on the same test inputs
    a, _ = translation.translation_test_data(FLAGS.dataset, "test", 256, scale=scale)
    gaps = [float(np.max(np.abs(shipped.translate(a, direction=d)
                                - model.translate(a, direction=d))))
            if len(model.directions) == 2 else
            float(np.max(np.abs(shipped.translate(a) - model.translate(a))))
            for d in model.directions]
    if measure is not None:
        measurements = {**(measurements or {}), **measure(shipped)}
    command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    run.update({"command": command, "evaluation": evaluation,
                "measurements": {**(measurements or {}),
                                 "fp16_file_max_abs_difference": round(max(gaps), 5)}})
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(run, indent=2).encode())
    print(json.dumps(run, indent=2))
    print(f"grid ({layout}): {grid}")
    publish.print_report(name, run, out)
    return run


def run(name, model_name, **model_kwargs):
    """Trains a same-size translator (pix2pix, CycleGAN, DiscoGAN) checked by FID,
    and writes the outputs of the module docstring."""
    out = FLAGS.out or os.path.join("runs", name)
    model, record = train(name, model_name, out, monitor="fid", **model_kwargs)
    return finish(name, model, record, out)


def run_srgan(name, scale, srresnet_minutes, srresnet_kwargs, srgan_kwargs):
    """SRResNet (pixel MSE, checked by PSNR, `srresnet_minutes`), then SRGAN initialized
    from it (checked by FID, the rest of `--max_minutes`); the SRResNet is the SRGAN's
    baseline beside bicubic upsampling."""
    out = FLAGS.out or os.path.join("runs", name)
    sr_out = os.path.join(out, "srresnet")
    srresnet, sr_run = train(f"{name}_srresnet", "srresnet", sr_out, monitor="psnr",
                             data_scale=scale, max_minutes=srresnet_minutes, **srresnet_kwargs)
    sr_weights = publish.save_generator_weights(
        srresnet, os.path.join(sr_out, f"{name}_srresnet_generator.fp16.weights.h5"))
    sr_run["files"]["generator"] = publish.file_record(sr_weights, packaged=False)
    remaining = round(max(1.0, FLAGS.max_minutes - sr_run["train_seconds"] / 60.0), 1) \
        if FLAGS.max_minutes else None
    model, record = train(name, "srgan", out, monitor="fid", data_scale=scale,
                          initialize=lambda m: m.initialize_from(srresnet),
                          max_minutes=remaining, **srresnet_kwargs, **srgan_kwargs)
    record["train_seconds_srgan_phase"] = record["train_seconds"]
    record["train_seconds"] = round(record["train_seconds"] + sr_run["train_seconds"], 1)
    high = model.target_shape[:2]
    baselines = {"bicubic": lambda images, _: translation.bicubic_upsample(images, high),
                 "srresnet": srresnet}
    grid_extra = {"bicubic": lambda images: translation.bicubic_upsample(images, high),
                  "srresnet": srresnet.translate}
    srresnet_summary = {key: sr_run[key] for key in ("epochs", "steps", "train_seconds",
                                                     "stopping", "final_losses", "files")}
    return finish(name, model, record, out, baselines=baselines, grid_extra=grid_extra,
                  scale=scale, measurements={"srresnet": srresnet_summary})


def run_bicyclegan(name, samples=4, diversity_images=1000, **model_kwargs):
    """Trains BiCycleGAN checked by the FID of translations with random latent codes,
    and writes the outputs of the module docstring. The evaluation's "model" is the
    translator with z ~ N(0, I) (one draw per image, seed 1: what a user sampling it
    gets); its baselines are the identity, the same file at z = 0 (the prior's mean)
    and the published pix2pix checkpoint on the same edges. `measurements.diversity`
    is `kgz.metrics.diversity.diversity_score` over 10 draws per input for the first
    `diversity_images` test inputs, beside pix2pix's (0 for a deterministic translator)."""
    from keras_gan_zoo.metrics.diversity import diversity_score

    out = FLAGS.out or os.path.join("runs", name)
    model, record = train(name, "bicyclegan", out, monitor="fid",
                          check_kwargs={"seed": 1}, **model_kwargs)
    pix2pix = kgz.applications.load_generator("pix2pix_fashion_mnist_edges")
    baselines = {"identity": lambda images, _: translation.identity(images),
                 "z_zero": model, "pix2pix": pix2pix}

    def sampled(shipped):
        return lambda images: shipped.translate(images, seed=1, batch_size=256)

    def grid_outputs(shipped, images):
        return {"z = 0": shipped.translate(images),
                **{f"z draw {s}": shipped.translate(images, seed=s)
                   for s in range(1, samples + 1)}}

    def measure(shipped):
        edges, _ = translation.translation_test_data(FLAGS.dataset, "test", diversity_images)
        start = time.perf_counter()
        scores = {}
        draws = {"bicyclegan": lambda x, seed: shipped.translate(x, seed=seed),
                 "pix2pix": lambda x, seed: pix2pix.translate(x)}
        for label, draw in draws.items():
            mean, std = diversity_score(draw, edges, num_samples=10)
            scores[label] = {"mean": round(float(mean), 5), "std": round(float(std), 5)}
        return {"diversity": {**scores, "inputs": int(len(edges)), "draws_per_input": 10,
                              "distance": "LPIPS-like, domain classifier relu1-4",
                              "seconds": round(time.perf_counter() - start, 1)}}

    return finish(name, model, record, out, baselines=baselines, grid_outputs=grid_outputs,
                  evaluated=sampled, measure=measure)
