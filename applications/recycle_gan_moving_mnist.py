"""Recipe: Recycle-GAN moving digits <-> moving Fashion-MNIST articles, measured against a
CycleGAN-objective twin on videos with ground truth.

    python applications/recycle_gan_moving_mnist.py --out runs/recycle_gan_moving_mnist

Trains two `recycle_gan` models on `moving_mnist_to_fashion` (unaligned 3-frame clips of
64x64 moving digits, domain a, and moving articles, domain b; new sequences every
epoch) with the same networks, data, seed, epochs and time budget each:

- `recycle_gan`: the paper's objective (LSGAN, recycle 10, recurrent 10, no cycle);
- `cycle_twin`: the same model with `recycle_weight=0, recurrent_weight=0,
  cycle_weight=10`: CycleGAN's objective (LSGAN + cycle, no pool, no identity) on the
  frames, its predictors unused.

Then it retargets the first `--eval_videos` test videos of
`moving_mnist_to_fashion_paired` (`--eval_frames` frames each) with `translate_video`
both ways and compares every frame with the paired truth (the same trajectories in
the other domain): MSE, L1, PSNR, SSIM (`kgz.metrics.translation.pixel_scores`) and the
IoU of the foreground masks (pixels > 0), beside the identity baseline (the input
itself). The paired truth fixes where the objects are, not what they look like (the
article is drawn independently of the digit's class), so the pixel numbers mostly
measure whether the motion and placement survive translation; the mask IoU says so
most directly.

Writes into `--out`: `recycle_gan.keras`, `cycle_twin.keras` (full models, optimizer
state), `retargeted.png` (for each of the first `--figure_videos` test videos, rows of
frames: input digits | Recycle-GAN | CycleGAN twin | paired truth) and `metrics.json`.

Defaults are CPU-sized, not the paper's (ResNet 6 blocks at 256 px, 64 filters, batch 1):
base_filters 16, 3 residual blocks, predictor U-Nets of 16 filters, batch 8, 2,000 clips
per epoch, at most 20 epochs or `--max_minutes` per model, bf16 on a CPU with native bf16.
`--frame_size 32` average-pools the 64x64 frames (training and evaluation) to a quarter
of the pixels.

Publishing a finished run as the pretrained checkpoint `recycle_gan_moving_mnist` (no
training): `python applications/recycle_gan_moving_mnist.py --publish_only
runs/recycle_gan_moving_mnist` writes the Recycle-GAN's generator file (both translators,
float16 kernels), measures that file on the whole paired test split beside the input
itself and the run's CycleGAN twin, and writes the registry record with the file and the
figure into `--repo`; the card's prose is the author's.

Smoke test (a few minutes on a shared CPU): `python applications/recycle_gan_moving_mnist.py
--limit 16 --epochs 1 --batch_size 8 --base_filters 4 --predictor_filters 4 --num_blocks 1
--eval_videos 4 --eval_frames 4 --figure_videos 2 --out runs/smoke_recycle`.
"""

import json
import os
import shlex
import shutil
import sys
import time

import keras
import numpy as np
from absl import app, flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish, registry
from keras_gan_zoo.metrics import translation
from keras_gan_zoo.models.translation import video_gan

FLAGS = flags.FLAGS
NAME = "recycle_gan_moving_mnist"
DATASET = "moving_mnist_to_fashion"
PAIRED = "moving_mnist_to_fashion_paired"
CLIP = 3  # context_frames (2) + the frame to predict
#: The registry's headline scores of a retargeting (means over both directions).
HEADLINE = ("mask_iou", "psnr", "ssim")

flags.DEFINE_integer("epochs", 20, "Most epochs per model (the time budget may stop earlier).")
flags.DEFINE_integer("batch_size", 8, "Clips (per domain) per batch.")
flags.DEFINE_integer("limit", 2000, "Training clips per epoch (new ones every epoch).")
flags.DEFINE_float("max_minutes", 25.0, "Wall-clock budget of each model's training (0: none).")
flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"],
                  "Mixed-precision policy (auto: bf16 on a CPU with native bf16).")
flags.DEFINE_integer("seed", 0, "Seed of both models and of the data order.")
flags.DEFINE_string("out", None, "Output directory (default: runs/recycle_gan_moving_mnist).")
flags.DEFINE_integer("frame_size", 64, "Frame side: the dataset's 64 or a divisor of it "
                     "(average-pooled, training and evaluation alike).")
flags.DEFINE_integer("base_filters", 16, "Filters of the first layer of G and D.")
flags.DEFINE_integer("num_blocks", 3, "Residual blocks of the generators.")
flags.DEFINE_integer("predictor_filters", 16, "Filters of the first layer of the predictors.")
flags.DEFINE_float("recycle_weight", 10.0, "Recycle loss weight of the Recycle-GAN model.")
flags.DEFINE_float("recurrent_weight", 10.0, "Recurrent loss weight of the Recycle-GAN model.")
flags.DEFINE_float("cycle_weight", 0.0, "Cycle loss weight of the Recycle-GAN model (10: the "
                   "paper's Recycle + Cycle variant).")
flags.DEFINE_float("twin_cycle_weight", 10.0, "Cycle loss weight of the CycleGAN twin.")
flags.DEFINE_bool("twin", True, "Also train and measure the CycleGAN twin.")
flags.DEFINE_integer("eval_videos", 1000, "Paired test videos retargeted for the evaluation "
                     "(1,000: the whole test split, as the registry needs).")
flags.DEFINE_integer("eval_frames", 10, "Frames per evaluation video.")
flags.DEFINE_integer("figure_videos", 4, "Test videos shown in retargeted.png.")
flags.DEFINE_string("publish_only", None, "A finished run's directory: write the Recycle-GAN's "
                    "generator file, measure that file on the whole paired test split beside "
                    "the input itself and the CycleGAN twin, and write the registry record "
                    f"{NAME}.json with the file, and the figure, into --repo; no training.")
flags.DEFINE_string("repo", os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "Root of the keras_gan_zoo checkout --publish_only writes into.")



def train(label, data, out, **weights):
    """Builds, fits and saves one model; returns (model reloaded in float32, record)."""
    model = kgz.create_model("recycle_gan", image_shape=tuple(data.element_spec[0].shape[2:]),
                             domain_names=tuple(data.domain_names), seed=FLAGS.seed,
                             base_filters=FLAGS.base_filters, num_blocks=FLAGS.num_blocks,
                             predictor_filters=FLAGS.predictor_filters, **weights)
    model.compile()
    path = os.path.join(out, f"{label}.keras")
    budget = kgz.callbacks.TimeBudget(FLAGS.max_minutes or None)
    saver = kgz.callbacks.TrainingCheckpoint(path)
    start = time.perf_counter()
    history = model.fit(data, epochs=FLAGS.epochs, verbose=2, callbacks=[budget, saver])
    seconds = time.perf_counter() - start
    saver.save(len(history.epoch), {k: v[-1] for k, v in history.history.items()})
    record = {"config": model.get_config(), "epochs": len(history.epoch),
              "steps": int(len(data) * len(history.epoch)), "train_seconds": round(seconds, 1),
              "stopped_by_time_budget": budget.stopped_epoch is not None,
              "losses": {k: [round(float(x), 4) for x in v] for k, v in history.history.items()},
              "file": publish.file_record(path, packaged=False)}
    policy = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(path)
    keras.mixed_precision.set_global_policy(policy)
    return model, record


def paired_videos():
    """The first `--eval_videos` paired test videos: (a, b), each (N, T, S, S, 1) with S =
    `--frame_size`."""
    data = kgz.datasets.load(PAIRED, "test", batch_size=min(FLAGS.eval_videos, 32),
                             num_frames=FLAGS.eval_frames, limit=FLAGS.eval_videos,
                             drop_remainder=False)
    factor = video_gan.frame_factor(64, FLAGS.frame_size)
    parts = [(video_gan.downsample_frames(a, factor).numpy(),
              video_gan.downsample_frames(b, factor).numpy()) for a, b in data]
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def frame_scores(outputs, truth):
    """MSE, L1, PSNR, SSIM and foreground-mask IoU of every frame against its truth."""
    out = outputs.reshape(-1, *outputs.shape[-3:])
    ref = truth.reshape(-1, *truth.shape[-3:])
    scores = translation.pixel_scores(out, ref)
    fg_out, fg_ref = out > 0, ref > 0
    union = np.logical_or(fg_out, fg_ref).sum(axis=(1, 2, 3))
    inter = np.logical_and(fg_out, fg_ref).sum(axis=(1, 2, 3))
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return {"mse": round(float(np.mean((out - ref) ** 2)), 5),
            **{k: round(v, 4) for k, v in scores.items()},
            "mask_iou": round(float(np.mean(iou)), 4), "frames": int(len(out))}


def evaluate(models, a, b):
    """Per-frame scores of each model's `translate_video` and of identity (the input
    itself) by direction (`"a_to_b"`: digits -> fashion, `"b_to_a"`)."""
    result = {}
    for direction, source, truth in (("a_to_b", a, b), ("b_to_a", b, a)):
        result[direction] = {"identity": frame_scores(source, truth)}
        for label, model in models.items():
            result[direction][label] = frame_scores(
                model.translate_video(source, direction=direction), truth)
    return result


def headline(evaluation, label):
    """The `HEADLINE` scores of model `label`, averaged over both directions."""
    return {key: round(float(np.mean([scores[label][key] for scores in evaluation.values()])),
                       4) for key in HEADLINE}


def publish_run(run_dir, repo):
    """Publishes the finished run in `run_dir` as the pretrained checkpoint `NAME`: the
    Recycle-GAN's generator file (float16 kernels, both translators), measured on the
    whole paired test split beside identity and the CycleGAN twin (float32), the figure of
    the shipped file, the registry record; returns the record."""
    with open(os.path.join(run_dir, "metrics.json")) as file:
        run = json.load(file)
    if run.get("recipe") != NAME:
        raise ValueError(f"{run_dir}: --publish_only publishes a run of {NAME}; this run is "
                         f"of {run.get('recipe')!r}.")
    if FLAGS.eval_videos < kgz.datasets.info(PAIRED)["num_examples"]["test"]:
        raise ValueError(f"The registry's numbers use the whole test split; got "
                         f"--eval_videos {FLAGS.eval_videos}.")
    FLAGS.frame_size = run["frame_size"]
    keras.mixed_precision.set_global_policy("float32")
    # the origin serves the full model under the checkpoint's name
    checkpoint = os.path.join(run_dir, f"{NAME}.keras")
    shutil.copyfile(os.path.join(run_dir, "recycle_gan.keras"), checkpoint)
    model = keras.models.load_model(checkpoint)
    generator = publish.save_generator_weights(
        model, os.path.join(run_dir, f"{NAME}_generator.fp16.weights.h5"))
    shipped = kgz.applications.build_from_weights("recycle_gan", model.get_config(), generator)
    models = {"model": shipped}
    twin_path = os.path.join(run_dir, "cycle_twin.keras")
    if os.path.exists(twin_path):
        models["cycle_twin"] = keras.models.load_model(twin_path)
    a, b = paired_videos()
    start = time.perf_counter()
    evaluation = evaluate(models, a, b)
    seconds = time.perf_counter() - start
    figure_path = os.path.join(run_dir, "grid.png")
    layout = figure({"recycle_gan": shipped, **{k: v for k, v in models.items()
                                                 if k != "model"}}, a, b, figure_path)
    record = run["models"]["recycle_gan"]
    scores = headline(evaluation, "model")
    names = kgz.datasets.info(PAIRED)["domain_names"]
    twin = (f", CycleGAN twin {headline(evaluation, 'cycle_twin')['mask_iou']:.3f}"
            if "cycle_twin" in models else "")
    entry = {
        "architecture": "recycle_gan", "config": model.get_config(), "dataset": DATASET,
        "card": "docs/models/recycle_gan.md",
        "description": (
            f"Recycle-GAN retargeting moving digits <-> moving Fashion-MNIST articles "
            f"({run['frame_size']}x{run['frame_size']} frames, {record['epochs']} epochs): "
            f"foreground-mask IoU with the paired truth {scores['mask_iou']:.3f} (the input "
            f"itself {headline(evaluation, 'identity')['mask_iou']:.3f}{twin}); "
            "translate_video(videos, direction=)"),
        "files": {"generator": publish.file_record(generator, packaged=True),
                  "model": publish.file_record(checkpoint, packaged=False)},
        "metrics": {
            **scores, "directions": evaluation, "domain_names": list(names),
            "real": f"{PAIRED}/test", "num_videos": int(len(a)), "num_frames": int(a.shape[1]),
            "frame_size": run["frame_size"], "whole_split": True,
            "scores": ("per frame of translate_video against the paired truth (the same "
                       "trajectories in the other domain): mse, l1, psnr, ssim and the IoU of "
                       "the foreground masks (pixels > 0); identity: the input itself"),
            "seconds": round(seconds, 1),
            "measured_on": "the generator file"},
        "training": {
            "epochs": record["epochs"], "steps": record["steps"],
            "batch_size": run["batch_size"], "train_examples": run["train_clips_per_epoch"],
            "clip_frames": run["clip_frames"], "dtype_policy": run["dtype_policy"],
            "train_seconds": record["train_seconds"],
            "stopped_by": ("time budget" if record["stopped_by_time_budget"]
                           else "the epoch count"),
            "machine": (publish.PROJECT_MACHINE if run["machine"] ==
                        publish.machine_description() else run["machine"])},
        "recipe": publish.published_command(run["command"]),
    }
    weights = os.path.join(repo, "keras_gan_zoo", "applications", "weights")
    shutil.copyfile(generator, os.path.join(weights, os.path.basename(generator)))
    shutil.copyfile(figure_path, os.path.join(repo, "docs", "images", f"{NAME}_pretrained.png"))
    publish.write_entry(registry.record_path(NAME, weights), entry)
    print(json.dumps(entry["metrics"], indent=2))
    print(f"figure: {figure_path} ({layout})")
    return entry


def figure(models, a, b, path):
    """Rows of frames per video: input | each model's retargeting | paired truth."""
    count = min(FLAGS.figure_videos, len(a))
    retargeted = [model.translate_video(a[:count]) for model in models.values()]
    rows = []
    for i in range(count):
        rows += [a[i], *(video[i] for video in retargeted), b[i]]
    images = np.concatenate(rows)
    kgz.utils.save_grid(images, path, nrow=a.shape[1])
    return f"per video: input digits | {' | '.join(models)} | paired truth (a row each)"


def main(_):
    if FLAGS.publish_only:
        publish_run(FLAGS.publish_only, FLAGS.repo)
        return
    out = FLAGS.out or os.path.join("runs", NAME)
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    clips = kgz.datasets.load(DATASET, batch_size=FLAGS.batch_size, seed=FLAGS.seed,
                              limit=FLAGS.limit, num_frames=CLIP)
    factor = video_gan.frame_factor(64, FLAGS.frame_size)
    data = clips.map(lambda a, b: (video_gan.downsample_frames(a, factor),
                                   video_gan.downsample_frames(b, factor)))
    data.domain_names = clips.domain_names
    runs = {"recycle_gan": dict(recycle_weight=FLAGS.recycle_weight,
                                recurrent_weight=FLAGS.recurrent_weight,
                                cycle_weight=FLAGS.cycle_weight)}
    if FLAGS.twin:
        runs["cycle_twin"] = dict(recycle_weight=0.0, recurrent_weight=0.0,
                                  cycle_weight=FLAGS.twin_cycle_weight)
    models, records = {}, {}
    for label, weights in runs.items():
        models[label], records[label] = train(label, data, out, **weights)
    keras.mixed_precision.set_global_policy("float32")
    a, b = paired_videos()
    start = time.perf_counter()
    evaluation = evaluate(models, a, b)
    layout = figure(models, a, b, os.path.join(out, "retargeted.png"))
    run = {"recipe": NAME,
           "command": shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
           "dataset": DATASET, "clip_frames": CLIP, "frame_size": FLAGS.frame_size,
           "batch_size": FLAGS.batch_size,
           "train_clips_per_epoch": int(FLAGS.batch_size * len(data)),
           "dtype_policy": policy, "machine": publish.machine_description(),
           "models": records,
           "evaluation": {"data": f"{PAIRED}/test, first {len(a)} videos x {a.shape[1]} frames",
                          "per_frame": evaluation,
                          "headline": {label: headline(evaluation, label)
                                       for label in ("identity", *models)},
                          "seconds": round(time.perf_counter() - start, 1)},
           "figure": {"file": "retargeted.png", "layout": layout}}
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(run, indent=2).encode())
    print(json.dumps(run["evaluation"], indent=2))
    print(f"wrote {out}/metrics.json and {out}/retargeted.png ({layout})")


if __name__ == "__main__":
    app.run(main)
