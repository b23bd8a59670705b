"""Recipe: next-frame prediction on Moving MNIST (the `video_gan_moving_mnist` checkpoint).

    python applications/video_gan_moving_mnist.py --out runs/video_gan_moving_mnist --l2_twin

Mathieu et al.'s multi-scale video GAN (`kgz.create_model("video_gan")`) trained through
`fit` on (context, next frame) pairs of `moving_mnist` (`next_frame_dataset`: every
training epoch renders new sequences of k + 1 frames). Losses with the reference code's
weights (adversarial 0.05, l2 1, GDL 1); Adam for the generator, SGD for the
discriminator; `--max_minutes` bounds the training time (`kgz.callbacks.TimeBudget`).

Then, with the checkpoint reloaded in float32, the evaluation (`kgz.metrics.video`):
`--eval_sequences` test sequences (fixed: the test split always renders the same ones)
of k context frames and `--n_future` true future frames; the model predicts them
auto-regressively (`predict_frames`), and PSNR, SSIM and the sharpness difference are
reported for every future step against the copy-last-frame baseline and, with
`--l2_twin`, against the same generator trained the same way with l2 only (adversarial 0,
GDL 0: the paper's "L2" row). Written into `--out`:

- `video_gan_moving_mnist.keras` (and `l2_twin/video_gan_moving_mnist_l2.keras`);
- `video_gan_moving_mnist_generator.fp16.weights.h5`: the generator, float16 kernels;
- `figure.png`: per test sequence, rows context | truth, context | prediction (and
  context | l2 twin), k + n frames per row;
- `metrics.json`: config, time, losses, the per-step evaluation, files.

Smoke test (a minute): `python applications/video_gan_moving_mnist.py --limit 64
--epochs 1 --frame_size 16 --num_scales 2 --base_filters 2 --discriminator_filters 2
--dense_units 4 --eval_sequences 16 --n_future 3 --l2_twin --out runs/smoke_video_gan`.
"""

import json
import os
import shlex
import sys
import time

import keras
import numpy as np
from absl import app, flags

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
flags.DEFINE_integer("epochs", 20, "Most epochs (of --limit or 10,000 new sequences).")
flags.DEFINE_integer("batch_size", 16, "Pairs per batch.")
flags.DEFINE_integer("limit", None, "Sequences per training epoch (default 10,000).")
flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"],
                  "Mixed-precision policy (auto: bf16 on a CPU with native bf16).")
flags.DEFINE_integer("seed", 0, "Seed of the model, the data order and the training noise.")
flags.DEFINE_float("max_minutes", 30.0, "Wall-clock budget of each training run (0: none).")
flags.DEFINE_integer("eval_sequences", 1000, "Test sequences of the evaluation (1,000: all).")
flags.DEFINE_integer("n_future", 10, "Future frames predicted and measured per sequence.")
flags.DEFINE_bool("l2_twin", False, "Also train the l2-only twin (adversarial 0, GDL 0) "
                  "with the same settings and budget, and evaluate it beside the model.")
flags.DEFINE_integer("figure_sequences", 4, "Test sequences shown in figure.png.")
flags.DEFINE_string("out", None, "Output directory (default: runs/video_gan_moving_mnist).")


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


def train(name, out, **overrides):
    """Builds, compiles and fits one VideoGAN; returns (float32 model reloaded from its
    checkpoint, run record)."""
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    data = video_gan.next_frame_dataset(FLAGS.dataset, "train", FLAGS.context_frames,
                                        FLAGS.batch_size, FLAGS.frame_size, seed=FLAGS.seed,
                                        limit=FLAGS.limit)
    model = kgz.create_model("video_gan", **_model_kwargs(**overrides))
    model.compile(generator_optimizer=keras.optimizers.Adam(FLAGS.g_learning_rate),
                  discriminator_optimizer=keras.optimizers.SGD(FLAGS.d_learning_rate))
    checkpoint = os.path.join(out, f"{name}.keras")
    saver = kgz.callbacks.TrainingCheckpoint(checkpoint)
    budget = kgz.callbacks.TimeBudget(FLAGS.max_minutes or None)
    start, start_cpu = time.perf_counter(), time.process_time()
    history = model.fit(data, epochs=FLAGS.epochs, verbose=2, callbacks=[budget, saver])
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    saver.save(len(history.epoch), {k: v[-1] for k, v in history.history.items()})
    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(checkpoint)
    run = {
        "recipe": name, "model": "video_gan", "config": model.get_config(),
        "dataset": FLAGS.dataset, "frame_size": FLAGS.frame_size,
        "optimizers": {"generator": f"Adam({FLAGS.g_learning_rate:g})",
                       "discriminator": f"SGD({FLAGS.d_learning_rate:g})"},
        "epochs": len(history.epoch), "steps": int(len(data) * len(history.epoch)),
        "train_pairs_per_epoch": int(FLAGS.batch_size * len(data)),
        "batch_size": FLAGS.batch_size, "dtype_policy": policy,
        "stopped_by": (f"time budget ({FLAGS.max_minutes:g} min)"
                       if budget.stopped_epoch is not None else None),
        "train_seconds": round(seconds, 1), "train_cpu_seconds": round(cpu_seconds, 1),
        "machine": publish.machine_description(),
        "loss_curve": {k: [round(float(v), 4) for v in values]
                       for k, values in history.history.items()},
        "files": {"model": publish.file_record(checkpoint, packaged=False)},
    }
    return model, run


def test_videos(num_sequences):
    """The first test sequences, k + n frames, at --frame_size (float32 numpy)."""
    frames = FLAGS.context_frames + FLAGS.n_future
    ds = kgz.datasets.load(FLAGS.dataset, "test", batch_size=min(100, num_sequences),
                           limit=num_sequences, shuffle=False, drop_remainder=False,
                           num_frames=frames)
    videos = np.concatenate([v.numpy() for v in ds])[:num_sequences]
    if videos.shape[2] % FLAGS.frame_size:
        raise ValueError(f"--frame_size must divide {videos.shape[2]}; got {FLAGS.frame_size}.")
    return np.asarray(video_gan.downsample_frames(videos, videos.shape[2] // FLAGS.frame_size))


def figure(models, videos, path):
    """Rows per sequence: context | truth, then context | each model's prediction."""
    k = FLAGS.context_frames
    rows = []
    for sequence in videos:
        rows.append(sequence)
        for model in models.values():
            future = model.predict_frames(sequence[:k], FLAGS.n_future)
            rows.append(np.concatenate([sequence[:k], future]))
    tiles = np.concatenate(rows)
    return kgz.utils.save_grid(tiles, path, nrow=k + FLAGS.n_future)


def main(_):
    out = FLAGS.out or os.path.join("runs", NAME)
    model, run = train(NAME, out)
    twin = twin_run = None
    if FLAGS.l2_twin:
        twin, twin_run = train(f"{NAME}_l2", os.path.join(out, "l2_twin"),
                               adversarial_weight=0.0, gdl_weight=0.0)
    weights = publish.save_generator_weights(
        model, os.path.join(out, f"{NAME}_generator.fp16.weights.h5"))
    shipped = kgz.applications.build_from_weights("video_gan", model.get_config(), weights)
    run["files"] = {"generator": publish.file_record(weights, packaged=True), **run["files"]}

    videos = test_videos(FLAGS.eval_sequences)
    baselines = {"copy_last": video_metrics.copy_last_frame}
    if twin is not None:
        baselines["l2_only"] = twin
    start = time.perf_counter()
    evaluation = video_metrics.evaluate_next_frame(shipped, videos, FLAGS.context_frames,
                                                   FLAGS.n_future, baselines=baselines)
    evaluation["seconds"] = round(time.perf_counter() - start, 1)
    evaluation["measured_on"] = (f"the first {len(videos)} sequences of {FLAGS.dataset}/test "
                                 f"at {FLAGS.frame_size}x{FLAGS.frame_size}, the shipped "
                                 f"generator file predicting auto-regressively")
    models = {"video_gan": shipped, **({"l2_only": twin} if twin is not None else {})}
    grid = figure(models, videos[:FLAGS.figure_sequences], os.path.join(out, "figure.png"))
    gap = float(np.max(np.abs(shipped.translate(videos_to_sources(videos[:64]))
                              - model.translate(videos_to_sources(videos[:64])))))
    run.update({
        "command": shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
        "evaluation": evaluation,
        "figure": {"file": os.path.basename(grid),
                   "rows": "per sequence: context | truth, context | "
                           + ", context | ".join(models) + f" ({FLAGS.context_frames} + "
                           f"{FLAGS.n_future} frames per row)"},
        "measurements": {"fp16_file_max_abs_difference": round(gap, 5),
                         "l2_twin": twin_run and {k: twin_run[k] for k in (
                             "config", "epochs", "steps", "train_seconds", "stopped_by",
                             "loss_curve", "files")}},
    })
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(run, indent=2).encode())
    print(json.dumps(run, indent=2))
    print(f"figure: {grid}")


def videos_to_sources(videos):
    """The first k frames of each video, stacked on the channels (translate's input)."""
    return np.asarray(video_gan.stack_frames(videos[:, :FLAGS.context_frames]))


if __name__ == "__main__":
    app.run(main)
