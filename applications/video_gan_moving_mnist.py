"""Recipe: next-frame prediction on Moving MNIST (the `video_gan_moving_mnist` checkpoint).

    python applications/video_gan_moving_mnist.py --out runs/video_gan_moving_mnist --l2_twin

Mathieu et al.'s multi-scale video GAN (`kgz.create_model("video_gan")`) trained through
`fit` on (context, next frame) pairs of `moving_mnist` (`next_frame_dataset`: every
training epoch renders new sequences of k + 1 frames). Losses with the reference code's
weights (adversarial 0.05, l2 1, GDL 1); Adam for the generator, SGD for the
discriminator; `--max_minutes` bounds the training time (`kgz.callbacks.TimeBudget`).

Then, with the checkpoint reloaded in float32, the evaluation of the generator file that
ships, reloaded (`publish.measure_next_frame`, the registry's protocol): `--eval_sequences`
test sequences (fixed: the test split always renders the same ones; all 1,000 by default,
as the registry needs) of k context frames and `--n_future` true future frames; the model
predicts them auto-regressively (`predict_frames`), and PSNR, SSIM and the sharpness
difference are reported for every future step against the copy-last-frame baseline and,
with `--l2_twin`, against the same generator trained the same way with l2 only
(adversarial 0, GDL 0: the paper's "L2" row). Written into `--out`, in the format of
`recipe.py` that `publish_run.py` reads:

- `video_gan_moving_mnist.keras` (and `l2_twin/video_gan_moving_mnist_l2.keras`);
- `video_gan_moving_mnist_generator.fp16.weights.h5`: the generator, float16 kernels
  (what `kgz.applications.load_generator` loads);
- `grid.png`: per test sequence, rows context | truth, context | prediction (and
  context | l2 twin), k + n frames per row;
- `metrics.json`: config, time, the loss curves of every epoch, what stopped training,
  the per-step `evaluation` with its headline (`psnr_step1`, `mean_psnr`), files.

Resuming: `--resume` continues the run in `--out` from its checkpoint (weights, optimizer
state and step counter, under the precision it trained with: `recipe.resume_model`) up to
`--epochs` in all, for at most `--max_minutes` more; the model flags must be the run's
(checked against the checkpoint's config). The resumed part draws its training sequences
with seed `--seed` + the epochs done, so it does not replay the first part's sequences.
metrics.json then describes all the parts: the loss curves are appended to, epochs, steps,
time and CPU time add up, and "resumed" names the epoch and the earlier commands (the
registry record's recipe is all the commands, joined by " && "). The l2 twin is not trained
further unless `--l2_twin` is given again: without it, the twin's checkpoint is reloaded as
the first part left it, measured again beside the model and its training record kept; with
it, the twin is resumed the same way (same `--epochs` and `--max_minutes`).

Smoke test (a minute): `python applications/video_gan_moving_mnist.py --limit 64
--epochs 1 --frame_size 16 --num_scales 2 --base_filters 2 --discriminator_filters 2
--dense_units 4 --eval_sequences 16 --n_future 3 --l2_twin --out runs/smoke_video_gan`
(then `--epochs 2 --resume` with the same flags).
"""

import json
import os
import shlex
import sys
import time

import keras
import numpy as np
from absl import app, flags

import recipe

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish
from keras_gan_zoo.metrics import video as video_metrics
from keras_gan_zoo.models.translation import video_gan

NAME = "video_gan_moving_mnist"
FLAGS = flags.FLAGS

flags.DEFINE_string("dataset", "moving_mnist", "Video dataset (kgz.datasets, kind video).")
flags.DEFINE_integer("frame_size", 64, "Frame side: the dataset's 64 or a divisor of it "
                     "(average-pooled).")
flags.DEFINE_integer("context_frames", 4, "k, the frames each prediction sees (the paper's 4).")
flags.DEFINE_integer("num_scales", 4, "Scales of the generator and discriminator (1-4).")
flags.DEFINE_integer("base_filters", 16, "Generator feature-map unit (the paper's 128).")
flags.DEFINE_integer("discriminator_filters", 16, "Discriminator feature-map unit (paper 64).")
flags.DEFINE_integer("dense_units", 128, "Discriminator dense unit (the paper's 512).")
flags.DEFINE_float("adversarial_weight", 0.05, "Weight of the adversarial loss.")
flags.DEFINE_float("lp_weight", 1.0, "Weight of the l_p loss.")
flags.DEFINE_float("lp_exponent", 2.0, "p of the l_p loss.")
flags.DEFINE_float("gdl_weight", 1.0, "Weight of the gradient difference loss.")
flags.DEFINE_float("gdl_alpha", 1.0, "alpha of the gradient difference loss.")
flags.DEFINE_float("g_learning_rate", 4e-5, "Adam learning rate of the generator.")
flags.DEFINE_float("d_learning_rate", 0.02, "SGD learning rate of the discriminator.")
flags.DEFINE_integer("epochs", 20, "Most epochs (of --limit or 10,000 new sequences); with "
                     "--resume, the total of all parts.")
flags.DEFINE_integer("batch_size", 16, "Pairs per batch.")
flags.DEFINE_integer("limit", None, "Sequences per training epoch (default 10,000).")
flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"],
                  "Mixed-precision policy (auto: bf16 on a CPU with native bf16).")
flags.DEFINE_integer("seed", 0, "Seed of the model, the data order and the training noise.")
flags.DEFINE_float("max_minutes", 30.0, "Wall-clock budget of each training run, or of its "
                   "resumed part (0: none).")
flags.DEFINE_integer("eval_sequences", None, "Test sequences of the evaluation (default: "
                     "all 1,000, as the registry needs).")
flags.DEFINE_integer("n_future", 10, "Future frames predicted and measured per sequence.")
flags.DEFINE_bool("l2_twin", False, "Also train the l2-only twin (adversarial 0, GDL 0) "
                  "with the same settings and budget, and evaluate it beside the model; with "
                  "--resume, resume the twin too.")
flags.DEFINE_integer("figure_sequences", 4, "Test sequences shown in grid.png.")
flags.DEFINE_string("out", None, "Output directory (default: runs/video_gan_moving_mnist).")
recipe.define_resume_flag()

#: What metrics.json keeps of the l2 twin's run (under measurements.l2_twin).
TWIN_KEYS = ("config", "epochs", "steps", "train_seconds", "train_cpu_seconds", "stopping",
             "stopped_by", "loss_curve", "resumed_after_epoch", "files")


def _model_kwargs(**overrides):
    kwargs = dict(frame_shape=(FLAGS.frame_size, FLAGS.frame_size, 1),
                  context_frames=FLAGS.context_frames, num_scales=FLAGS.num_scales,
                  base_filters=FLAGS.base_filters,
                  discriminator_filters=FLAGS.discriminator_filters,
                  dense_units=FLAGS.dense_units, adversarial_weight=FLAGS.adversarial_weight,
                  lp_weight=FLAGS.lp_weight, lp_exponent=FLAGS.lp_exponent,
                  gdl_weight=FLAGS.gdl_weight, gdl_alpha=FLAGS.gdl_alpha, seed=FLAGS.seed)
    kwargs.update(overrides)
    return kwargs


def check_resumed_config(model, **overrides):
    """Raises a ValueError when the model flags differ from the resumed checkpoint's
    config (the data would not fit it, or the run would not be the one resumed)."""
    config = json.loads(json.dumps(model.get_config()))
    asked = json.loads(json.dumps(_model_kwargs(**overrides)))
    differ = {key: (value, config.get(key)) for key, value in asked.items()
              if config.get(key) != value}
    if differ:
        raise ValueError("--resume: the flags differ from the checkpoint's config (flag value, "
                         f"checkpoint value): {differ}; pass the run's flags again.")


def _start(name, out, earlier, overrides):
    """`(model, dtype policy, epochs done)`: a new compiled VideoGAN, or the checkpoint of
    the run `earlier` resumed."""
    if earlier is not None:
        model, policy, done = recipe.resume_model(os.path.join(out, f"{name}.keras"), earlier)
        check_resumed_config(model, **overrides)
        return model, policy, done
    policy = kgz.precision.set_precision(FLAGS.precision)
    model = kgz.create_model("video_gan", **_model_kwargs(**overrides))
    model.compile(generator_optimizer=keras.optimizers.Adam(FLAGS.g_learning_rate),
                  discriminator_optimizer=keras.optimizers.SGD(FLAGS.d_learning_rate))
    return model, policy, 0


def _total(earlier, key, value):
    """`value` plus what the earlier part recorded under `key` (None if it did not)."""
    if earlier is None:
        return round(value, 1)
    return None if earlier.get(key) is None else round(value + earlier[key], 1)


def train(name, out, earlier=None, **overrides):
    """Builds, compiles and fits one VideoGAN, or continues the run `earlier` (its record)
    from its checkpoint in `out`; returns (float32 model reloaded from its checkpoint, run
    record of all the parts)."""
    os.makedirs(out, exist_ok=True)
    model, policy, done = _start(name, out, earlier, overrides)
    data = video_gan.next_frame_dataset(FLAGS.dataset, "train", FLAGS.context_frames,
                                        FLAGS.batch_size, FLAGS.frame_size,
                                        seed=FLAGS.seed + done, limit=FLAGS.limit)
    checkpoint = os.path.join(out, f"{name}.keras")
    saver = kgz.callbacks.TrainingCheckpoint(checkpoint)
    budget = kgz.callbacks.TimeBudget(FLAGS.max_minutes or None)
    start, start_cpu = time.perf_counter(), time.process_time()
    history = model.fit(data, epochs=FLAGS.epochs, initial_epoch=done, verbose=2,
                        callbacks=[budget, saver])
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    epochs = done + len(history.epoch)
    saver.save(epochs, {k: v[-1] for k, v in history.history.items()})
    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(checkpoint)
    before = (earlier or {}).get("loss_curve") or {}
    curves = {k: before.get(k, []) + [round(float(v), 4) for v in values]
              for k, values in history.history.items()}
    stopped_by = (f"time budget ({FLAGS.max_minutes:g} min)"
                  if budget.stopped_epoch is not None else None)
    run = {
        "recipe": name, "model": "video_gan", "config": model.get_config(),
        "dataset": FLAGS.dataset, "frame_size": FLAGS.frame_size,
        "optimizers": {"generator": f"Adam({FLAGS.g_learning_rate:g})",
                       "discriminator": f"SGD({FLAGS.d_learning_rate:g})"},
        "epochs": epochs,
        "steps": int(len(data) * len(history.epoch) + (earlier or {}).get("steps", 0)),
        "train_examples": int(FLAGS.batch_size * len(data)),  # pairs (sequences) per epoch
        "batch_size": FLAGS.batch_size, "dtype_policy": policy,
        "stopping": {"epochs_asked": FLAGS.epochs, "epochs_run": epochs,
                     "max_minutes": FLAGS.max_minutes or None, "stopped_by": stopped_by,
                     "train_psnr_curve": curves["psnr"]},
        "train_seconds": _total(earlier, "train_seconds", seconds),
        "train_cpu_seconds": _total(earlier, "train_cpu_seconds", cpu_seconds),
        "resumed_after_epoch": done or None,
        "machine": publish.machine_description(),
        "loss_curve": curves,
        "files": {"model": publish.file_record(checkpoint, packaged=False)},
    }
    return model, run


def l2_twin(out, earlier):
    """`(twin model, its run record)` or `(None, None)`: with `--l2_twin`, the l2-only twin
    trained (resumed, with `--resume`); without it, on `--resume`, the first part's twin
    as that part left it (its checkpoint in float32, its recorded run)."""
    twin_out, name = os.path.join(out, "l2_twin"), f"{NAME}_l2"
    twin_earlier = ((earlier or {}).get("measurements") or {}).get("l2_twin")
    if FLAGS.l2_twin:
        return train(name, twin_out, twin_earlier, adversarial_weight=0.0, gdl_weight=0.0)
    if twin_earlier is None:
        return None, None
    keras.mixed_precision.set_global_policy("float32")
    return keras.models.load_model(os.path.join(twin_out, f"{name}.keras")), twin_earlier


def figure(models, videos, path):
    """grid.png: rows per sequence: context | truth, then context | each model's
    prediction; returns `(path, layout)`."""
    k = FLAGS.context_frames
    rows = []
    for sequence in videos:
        rows.append(sequence[:k + FLAGS.n_future])
        for model in models.values():
            future = model.predict_frames(sequence[:k], FLAGS.n_future)
            rows.append(np.concatenate([sequence[:k], future]))
    layout = ("per sequence: context | truth, context | " + ", context | ".join(models)
              + f" ({k} + {FLAGS.n_future} frames per row)")
    return kgz.utils.save_grid(np.concatenate(rows), path, nrow=k + FLAGS.n_future), layout


def main(_):
    out = FLAGS.out or os.path.join("runs", NAME)
    earlier = recipe.read_run(out) if FLAGS.resume else None
    model, run = train(NAME, out, earlier)
    twin, twin_run = l2_twin(out, earlier)
    weights = publish.save_generator_weights(
        model, os.path.join(out, f"{NAME}_generator.fp16.weights.h5"))
    shipped = kgz.applications.build_from_weights("video_gan", model.get_config(), weights)
    run["files"] = {"generator": publish.file_record(weights, packaged=True), **run["files"]}

    baselines = {"copy_last": video_metrics.copy_last_frame}
    if twin is not None:
        baselines["l2_only"] = twin
    evaluation = publish.measure_next_frame(shipped, FLAGS.dataset, FLAGS.eval_sequences,
                                            FLAGS.n_future, baselines=baselines)
    videos = video_gan.load_videos(FLAGS.dataset, "test", max(64, FLAGS.figure_sequences),
                                   FLAGS.context_frames + FLAGS.n_future, FLAGS.frame_size)
    models = {"video_gan": shipped, **({"l2_only": twin} if twin is not None else {})}
    grid, evaluation["grid"] = figure(models, videos[:FLAGS.figure_sequences],
                                      os.path.join(out, "grid.png"))
    sources = np.asarray(video_gan.stack_frames(videos[:, :FLAGS.context_frames]))
    gap = float(np.max(np.abs(shipped.translate(sources) - model.translate(sources))))
    command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    done = run.pop("resumed_after_epoch")
    run.update({
        "command": command,
        "resumed": earlier and recipe.resumed_record(earlier, done),
        "evaluation": evaluation,
        "measurements": {"fp16_file_max_abs_difference": round(gap, 5),
                         "l2_twin": twin_run and {k: twin_run[k] for k in TWIN_KEYS
                                                  if k in twin_run}},
    })
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(run, indent=2).encode())
    print(json.dumps(run, indent=2))
    print(f"grid ({evaluation['grid']}): {grid}")
    publish.print_report(NAME, run, out)


if __name__ == "__main__":
    app.run(main)
