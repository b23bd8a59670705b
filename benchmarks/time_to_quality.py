"""Time to quality: FID reached in equal CPU time by DCGAN, +EMA, +DiffAugment and StyleGAN2.

Every run trains one zoo model on Fashion-MNIST, batches of 128 shuffled with the same
seed (each run loads the dataset afresh, so all runs see the same sequence of
batches), from the same initial weights where the networks are the same, under the
precision `--precision auto` picks (`mixed_bfloat16` on a CPU with native bf16), for
the same budget of `--seconds` of CPU time of this process (`time.process_time()`,
all threads, tracing included). The budget is CPU time, not wall-clock, because the
machine is shared: other jobs take cores away, which stretches wall-clock time but
not the CPU time this process gets (contention still costs a little through caches
and frequency). Both clocks are printed.

The runs (`run_specs`; a run is (model name, constructor kwargs, data limit)):

- dcgan: `create_model("dcgan")`, 28x28x1, ngf = ndf = 64, latent 100;
- dcgan_ema: the same with a generator EMA of half-life 10k images
  (`ema_half_life_images=10_000`, StyleGAN2's `ema_kimg=10`), no ramp-up (StyleGAN2's
  paper configurations; StyleGAN2-ADA's `auto` one ramps up with 0.05): 10k images
  are ~80 steps of 128, a few % of a 600 CPU-s run (thousands of steps at the
  600-900 images per CPU-second DCGAN trains at here), and the EMA's first update
  copies the weights. In runs of a few hundred steps the EMA mostly measures its own
  lag behind the fast-moving early weights (a 20 CPU-s run, ~100 steps, ends with the
  EMA's FID well above the raw generator's); `ema_rampup=0.05` would shorten the
  half-life there. The EMA does not change training: the
  run's raw generator is a DCGAN trained like the `dcgan` run (same weights, data and
  latents; it differs only by the steps the budget allowed and oneDNN's
  thread-order round-off), so the EMA effect is measured within one run: FID of the
  EMA generator against FID of the raw generator;
- dcgan_diffaugment: DiffAugment `"color,translation,cutout"` (Zhao et al. 2020) on
  every image the discriminator sees;
- dcgan_small_data, dcgan_small_data_diffaugment: the same two trained on the first
  `--small-data` (2,000) training images only: DiffAugment's data-efficiency claim.
  FID is still measured against the test split;
- stylegan2_small: `create_model("stylegan2", **STYLEGAN2_SMALL)` on 32x32 images
  (the `fashion_mnist_32` dataset: Fashion-MNIST padded by 2 pixels of background),
  its samples cropped to the dataset's 28x28 content box before they are measured. Skipped, with a
  note, while no `stylegan2` model is registered.

FID is measured at fixed fractions of the budget (`--checks`: every 1/5 by default,
so at 20/40/60/80/100 %): `--fid-samples` samples (fixed latents: the same seed at
every check) against as many Fashion-MNIST TEST images, features of the zoo's
Fashion-MNIST domain classifier (`keras_gan_zoo.metrics`; 128-d, not Inception: these
FIDs compare runs of this zoo). Both clocks stop while FID is measured: evaluation
is not charged to the budget. A check happens at the first step that ends past its
mark, so it lands up to one step late (its CPU time is recorded). FID columns are of
the generator `generate` uses (the EMA one for a model with EMA); for those models
the raw (trained) generator is measured at every check too ("raw G"). The floor is
the same FID between `--fid-samples` TRAIN images and the test images.

One run per configuration, one seed: differences of a few FID points are within
the run-to-run noise of GAN training.

Run:
    python benchmarks/time_to_quality.py --json ttq.json        # 6 x 600 CPU-s + checks
    python benchmarks/time_to_quality.py --runs dcgan,dcgan_ema --seconds 300 --json ttq.json
    python benchmarks/time_to_quality.py --smoke --runs dcgan,dcgan_ema   # quick check
    python benchmarks/time_to_quality.py --report ttq.json      # table of saved rows

With `--json`, rows are merged into the file by run name (so the runs can be made in
several invocations; the file is written after every run) and the table printed
covers every row in the file.
"""

import argparse
import collections
import json
import os
import platform
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_zoo as kgz  # noqa: E402
from _common import fashion_mnist_reference, load_payload  # noqa: E402

LATENT_DIM = 100

# ---------------------------------------------------------------------------------
# StyleGAN2's small preset: THE one place its constructor arguments are defined.
# (`kgz.create_model("stylegan2", image_shape=(32, 32, 1), preset="small")`: see docs/models/stylegan2.md.)
STYLEGAN2_SMALL = dict(image_shape=(32, 32, 1), preset="small")
# ---------------------------------------------------------------------------------

DCGAN = dict(image_shape=(28, 28, 1), latent_dim=LATENT_DIM)
DIFF_AUGMENT = "color,translation,cutout"

Run = collections.namedtuple("Run", "model kwargs limit")


def run_specs(small_data):
    """Run name -> Run(model name, constructor kwargs, first-N-images limit or None),
    in table order."""
    return {
        "dcgan": Run("dcgan", DCGAN, None),
        "dcgan_ema": Run("dcgan", {**DCGAN, "ema_half_life_images": 10_000}, None),
        "dcgan_diffaugment": Run("dcgan", {**DCGAN, "diff_augment": DIFF_AUGMENT}, None),
        "dcgan_small_data": Run("dcgan", DCGAN, small_data),
        "dcgan_small_data_diffaugment": Run("dcgan", {**DCGAN, "diff_augment": DIFF_AUGMENT},
                                            small_data),
        "stylegan2_small": Run("stylegan2", STYLEGAN2_SMALL, None),
    }


class CpuBudget(keras.callbacks.Callback):
    """Stops training after `seconds` of process CPU time; calls `measure(model)` when
    each of `checks` equal fractions of the budget has passed.

    Both clocks (CPU, wall) start when fit begins and are stopped while `measure`
    runs. The training-loss trackers are reset after each check, so a check's
    `losses` are the means over the steps since the previous one.
    """

    def __init__(self, seconds, checks, measure):
        super().__init__()
        self.seconds = seconds
        self.marks = [seconds * (i + 1) / checks for i in range(checks)]
        self.measure = measure
        self.steps = 0
        self.cpu = self.wall = 0.0
        self.checkpoints = []

    def on_train_begin(self, logs=None):
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.cpu = time.process_time() - self._cpu0
        self.wall = time.perf_counter() - self._wall0
        if len(self.checkpoints) == len(self.marks) or (
                self.cpu < self.marks[len(self.checkpoints)]):
            return
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = self.measure(self.model)
        losses = {k: round(float(v), 4) for k, v in (logs or {}).items()}
        # A step slower than a fraction of the budget passes several marks at once.
        while len(self.checkpoints) < len(self.marks) and (
                self.cpu >= self.marks[len(self.checkpoints)]):
            fraction = (len(self.checkpoints) + 1) / len(self.marks)
            self.checkpoints.append({"fraction": fraction, "steps": self.steps,
                                     "cpu_s": round(self.cpu, 1), "wall_s": round(self.wall, 1),
                                     "losses": losses, **result})
        print(f"  {fraction:4.0%}: step {self.steps}, {self.cpu:.0f} CPU-s, {self.wall:.0f} s, "
              + ", ".join(f"{k} {v:.2f}" for k, v in result.items()), flush=True)
        self.model.reset_metrics()
        if len(self.checkpoints) == len(self.marks):
            self.model.stop_training = True
        # Not charged to the budget: move both clocks' origins past the evaluation.
        self._cpu0 += time.process_time() - cpu0
        self._wall0 += time.perf_counter() - wall0


def training_batches(dataset, batch_size, seed, limit):
    """The run's training batches of `dataset` (`fashion_mnist` or its padded
    `fashion_mnist_32`, the same images in the same order): reshuffled every epoch, the
    same sequence for every run (a fresh dataset with the same seeds), endless."""
    keras.utils.set_random_seed(seed)  # tf.data's shuffle seed also depends on TF's global one
    batches = kgz.datasets.load(dataset, "train", batch_size=batch_size, seed=seed, limit=limit)
    return batches.repeat()  # one fit epoch: no per-epoch overhead on the small data


def fid_measure(real, extractor, num_samples, seed, box):
    """`measure(model)` for CpuBudget: FID of the generator `generate` uses and, for a
    model with a generator EMA, of the raw generator (`fid_raw`), on the same latents;
    samples are cut to the training dataset's content `box` (top, left, height, width;
    None: whole images), the part the 28x28 test images are compared with."""
    def fid(model, use_ema):
        def sample(n, seed):
            images = model.generate(n, seed=seed, use_ema=use_ema)
            if box is None:
                return images
            top, left, height, width = box
            return images[:, top:top + height, left:left + width, :]
        return kgz.metrics.evaluate(sample, real, metrics=("fid",), extractor=extractor,
                                    num_samples=num_samples, seed=seed)["fid"]

    def measure(model):
        result = {"fid": fid(model, True)}
        if getattr(model, "uses_ema", False):
            result["fid_raw"] = fid(model, False)
        return result

    return measure


def train(run, args, real, extractor):
    """One run: build the seeded model, fit it for the CPU budget with FID checks."""
    policy = kgz.precision.set_precision(args.precision)
    keras.utils.set_random_seed(args.seed)  # same initial weights for the same networks
    model = kgz.create_model(run.model, seed=args.seed, **run.kwargs)
    model.compile()
    side = tuple(model.image_shape[:2])
    if side not in ((28, 28), (32, 32)):
        raise ValueError(f"{run.model} makes {side} images; this benchmark trains on "
                         "Fashion-MNIST at 28x28 or padded to 32x32.")
    dataset = "fashion_mnist_32" if side == (32, 32) else "fashion_mnist"
    batches = training_batches(dataset, args.batch_size, args.seed, run.limit)
    clock = CpuBudget(args.seconds, args.checks,
                      fid_measure(real, extractor, args.fid_samples, args.seed,
                                  kgz.datasets.content_box(dataset)))
    model.fit(batches, epochs=1, steps_per_epoch=2**62, verbose=0, callbacks=[clock])
    keras.mixed_precision.set_global_policy("float32")
    last = clock.checkpoints[-1]
    images = clock.steps * args.batch_size
    return {
        "model": run.model, "options": run.kwargs, "data_limit": run.limit,
        "policy": policy, "batch_size": args.batch_size, "budget_cpu_s": args.seconds,
        "fid_samples": args.fid_samples, "steps": clock.steps, "images": images,
        "cpu_s": round(clock.cpu, 1), "wall_s": round(clock.wall, 1),
        "images_per_cpu_s": round(images / clock.cpu, 1),
        "images_per_s": round(images / clock.wall, 1),
        "fid": last["fid"], "fid_raw": last.get("fid_raw"),
        "checkpoints": clock.checkpoints,
    }


def print_table(payload):
    rows, meta = payload["rows"], payload["meta"]
    checks = max(len(row["checkpoints"]) for row in rows.values())
    print(f"Fashion-MNIST, {meta['budget']:g} CPU-s of training per run (process CPU time; "
          f"FID checks not counted), batch {meta['batch_size']}, {meta['policy']}; FID of "
          f"{meta['fid_samples']} samples vs {meta['fid_samples']} test images, extractor: "
          f"fashion_mnist domain classifier; TF {meta['tf']}, {meta['machine']}")
    marks = [f"FID {(i + 1) / checks:.0%}" for i in range(checks)]
    header = (f"| {'run':<28} | {'images':>7} | {'steps':>6} | {'CPU s':>6} | {'wall s':>6} | "
              f"{'img/CPU-s':>9} | {'img/s':>6} | "
              + " | ".join(f"{m:>8}" for m in marks) + f" | {'raw G':>7} |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    order = list(run_specs(meta["small_data"])) + sorted(set(rows) - set(run_specs(0)))
    budgets = set()
    for name in order:
        if name not in rows:
            continue
        row = rows[name]
        budgets.add((row["budget_cpu_s"], row["fid_samples"], row["policy"]))
        fids = [f"{c['fid']:>8.2f}" for c in row["checkpoints"]]
        fids += [f"{'-':>8}"] * (checks - len(fids))
        raw = "-" if row.get("fid_raw") is None else f"{row['fid_raw']:.2f}"
        data = "all" if row["data_limit"] is None else f"{row['data_limit']}"
        print(f"| {name:<28} | {data:>7} | {row['steps']:>6} | {row['cpu_s']:>6.0f} | "
              f"{row['wall_s']:>6.0f} | {row['images_per_cpu_s']:>9.0f} | "
              f"{row['images_per_s']:>6.0f} | " + " | ".join(fids) + f" | {raw:>7} |")
    floor = f"{payload['floor']['fid']:>8.2f}"
    print(f"| {'real data (train vs test)':<28} | {'-':>7} | {'-':>6} | {'-':>6} | {'-':>6} | "
          f"{'-':>9} | {'-':>6} | " + " | ".join([f"{'-':>8}"] * (checks - 1) + [floor])
          + f" | {'-':>7} |")
    print("images: training images used (all = the 60,000). FID columns: the generator "
          "`generate` uses (EMA for EMA models); raw G: the trained generator of the same "
          "run at 100% (for dcgan_ema a DCGAN trained like the dcgan run).")
    if len(budgets) > 1:
        print(f"Note: the rows differ in (CPU budget, FID samples, policy): {sorted(budgets)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None,
                        help="CPU-seconds of training per run (process time; default 600)")
    parser.add_argument("--runs", default=None,
                        help="comma-separated runs (default: all whose model is registered)")
    parser.add_argument("--checks", type=int, default=5,
                        help="FID checks per run, at equal fractions of the budget (default 5)")
    parser.add_argument("--fid-samples", type=int, default=None,
                        help="generated and test images per FID (default 5000)")
    parser.add_argument("--small-data", type=int, default=2000,
                        help="training images of the small-data runs (default 2000)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--precision", default="auto", help="auto | fp32 | bf16 | fp16")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true",
                        help="quick end-to-end check: defaults --seconds 20 --fid-samples 500")
    parser.add_argument("--json", help="merge the rows into this file and print all of them")
    parser.add_argument("--report", help="only print the table of a --json file")
    args = parser.parse_args()

    if args.report:
        with open(args.report, encoding="utf-8") as f:
            print_table(json.load(f))
        return
    if args.seconds is None:
        args.seconds = 20.0 if args.smoke else 600.0
    if args.fid_samples is None:
        args.fid_samples = 500 if args.smoke else 5000
    if args.seconds <= 0 or args.checks < 1 or args.fid_samples < 2 or args.small_data < 1:
        parser.error("--seconds, --checks, --small-data must be positive, --fid-samples >= 2")
    known = run_specs(args.small_data)
    registered = set(kgz.list_models())
    if args.runs is None:
        names = []
        for name, run in known.items():
            if run.model in registered:
                names.append(name)
            else:
                print(f"Note: skipping run {name!r}: model {run.model!r} is not registered "
                      "in keras_gan_zoo.registry (yet).", flush=True)
    else:
        names = [name.strip() for name in args.runs.split(",") if name.strip()]
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            parser.error(f"--runs: unknown {unknown}; choose from {', '.join(known)}")
        missing = [name for name in names if known[name].model not in registered]
        if missing:
            parser.error(
                f"--runs: {', '.join(missing)} need model(s) "
                f"{sorted({known[name].model for name in missing})}, not registered in "
                "keras_gan_zoo.registry (kgz.list_models()); drop them from --runs.")

    extractor, real, floor = fashion_mnist_reference(args.fid_samples, args.seed,
                                                     floor_metrics=("fid",))
    payload = load_payload(args.json, {"rows": {}})
    policy = None
    for name in names:
        print(f"{name}: {args.seconds:g} CPU-s", flush=True)
        row = train(known[name], args, real, extractor)
        policy = row["policy"]
        payload["rows"][name] = row
        print(f"{name}: {json.dumps({k: v for k, v in row.items() if k != 'checkpoints'})}",
              flush=True)
        payload["floor"] = floor
        payload["meta"] = {"budget": args.seconds, "batch_size": args.batch_size,
                           "policy": policy, "fid_samples": args.fid_samples,
                           "small_data": args.small_data, "checks": args.checks,
                           "seed": args.seed, "tf": tf.__version__,
                           "machine": f"{os.cpu_count()} CPUs, {platform.machine()}"}
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(payload, f, indent=2, default=_jsonable)
    if names:
        print_table(payload)


def _jsonable(value):
    """json.dump's fallback: tuples in kwargs are lists already; numpy scalars."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


if __name__ == "__main__":
    main()
