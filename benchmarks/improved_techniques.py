"""Improved techniques (Salimans et al. 2016) measured: DCGAN on Fashion-MNIST, equal wall-clock.

Every run trains `create_model("dcgan")` (28x28x1, ngf = ndf = 64, latent 100, the same
initial weights for the layers they share) on the same shuffled Fashion-MNIST training
batches of 128 for the same wall-clock budget (tracing included), under the precision
`--precision auto` picks (`mixed_bfloat16` on a CPU with native bf16). The runs differ
only in the improved-techniques options:

- baseline: the DCGAN paper's model;
- label_smoothing: one-sided, real targets 0.9;
- feature_matching: G matches D's mean features (the layer feeding the logit);
- minibatch_discrimination: 100 kernels of size 5 before D's logit;
- historical_averaging: weight `--hist-weight` (1e-4) on both networks;
- all_four: the four options together.

Each run is then evaluated against the Fashion-MNIST TEST split with the zoo's
Fashion-MNIST domain classifier (`keras_gan_zoo.metrics`): FID, KID and the number of
classes found (>= 1% of the samples). KID is in the
extractor's raw feature units (as everywhere in the zoo's docs), with its std over subsets. The real-data floor is the same metric between
`--num-samples` TRAIN images and the test images.

A technique that costs time per step gets fewer steps: that is the point of an equal
wall-clock comparison. One run per configuration, one seed: differences of a few FID
points are within run-to-run noise of GAN training.

Run:
    python benchmarks/improved_techniques.py                      # 6 x 150 s + evaluation
    python benchmarks/improved_techniques.py --runs baseline,feature_matching --json it.json
    python benchmarks/improved_techniques.py --report it.json     # table of saved rows

With `--json`, rows are merged into the file by run name (so the runs can be made in
several invocations) and the table printed covers every row in the file.
"""

import argparse
import json
import os
import platform

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_zoo as kgz  # noqa: E402
from _common import WallClockBudget, fashion_mnist_reference, load_payload  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 100


def run_options(hist_weight):
    """Run name -> the DCGAN constructor options of that run (in table order)."""
    return {
        "baseline": {},
        "label_smoothing": {"label_smoothing": 0.1},
        "feature_matching": {"feature_matching": True},
        "minibatch_discrimination": {"minibatch_discrimination": 100},
        "historical_averaging": {"historical_averaging": hist_weight},
        "all_four": {"label_smoothing": 0.1, "feature_matching": True,
                     "minibatch_discrimination": 100, "historical_averaging": hist_weight},
    }


def train(options, dataset, budget, precision, seed):
    """One run: a seeded DCGAN with `options`, fit for `budget` seconds."""
    policy = kgz.precision.set_precision(precision)
    keras.utils.set_random_seed(seed)  # same initial weights for the shared layers
    model = kgz.create_model("dcgan", image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM,
                             seed=seed, **options)
    model.compile()
    clock = WallClockBudget(budget)
    history = model.fit(dataset, epochs=100000, verbose=0, callbacks=[clock])
    losses = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
    keras.mixed_precision.set_global_policy("float32")
    return model, clock, losses, policy


def print_table(payload):
    rows, floor = payload["rows"], payload["floor"]
    meta = payload["meta"]
    print(f"DCGAN on Fashion-MNIST 28x28, {meta['budget']:.0f} s of training per run, batch "
          f"{meta['batch_size']}, {meta['policy']}; {meta['num_samples']} samples vs "
          f"{meta['num_samples']} test images, extractor: fashion_mnist domain classifier; "
          f"TF {meta['tf']}, {meta['machine']}")
    header = (f"| {'run':<26} | {'steps':>6} | {'steps/s':>7} | {'FID':>7} | "
              f"{'KID':>15} | {'classes':>7} |")
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for name in run_options(meta["hist_weight"]):
        if name not in rows:
            continue
        row = rows[name]
        kid = f"{row['kid']:.3f} ± {row['kid_std']:.3f}"
        print(f"| {name:<26} | {row['steps']:>6} | {row['steps'] / row['seconds']:>7.2f} | "
              f"{row['fid']:>7.2f} | {kid:>15} | {row['classes_found']:>4}/10 |")
    kid = f"{floor['kid']:.3f} ± {floor['kid_std']:.3f}"
    print(f"| {'real data (train vs test)':<26} | {'-':>6} | {'-':>7} | {floor['fid']:>7.2f} | "
          f"{kid:>15} | {'-':>7} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=150.0,
                        help="training seconds per run (default 150)")
    parser.add_argument("--runs", default=",".join(run_options(1e-4)),
                        help="comma-separated runs (default: all six)")
    parser.add_argument("--hist-weight", type=float, default=1e-4,
                        help="historical averaging weight (default 1e-4)")
    parser.add_argument("--num-samples", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--precision", default="auto", help="auto | fp32 | bf16 | fp16")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="merge the rows into this file and print all of them")
    parser.add_argument("--report", help="only print the table of a --json file")
    args = parser.parse_args()

    if args.report:
        with open(args.report, encoding="utf-8") as f:
            print_table(json.load(f))
        return
    known = run_options(args.hist_weight)
    names = [name.strip() for name in args.runs.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        parser.error(f"--runs: unknown {unknown}; choose from {', '.join(known)}")

    extractor, real, floor = fashion_mnist_reference(args.num_samples, args.seed)

    payload = load_payload(args.json, {"rows": {}, "floor": floor})
    policy = None
    for name in names:
        # a fresh dataset per run: each run sees the same shuffled batches (one object
        # reused would continue its shuffle sequence into the next run)
        dataset = kgz.datasets.load("fashion_mnist", batch_size=args.batch_size, seed=args.seed)
        model, clock, losses, policy = train(known[name], dataset, args.budget, args.precision,
                                             args.seed)
        results = kgz.metrics.evaluate(model, real, metrics=("fid", "kid", "modes"),
                                       extractor=extractor, num_samples=args.num_samples,
                                       seed=args.seed)
        payload["rows"][name] = {"options": known[name], "steps": clock.steps,
                                 "seconds": round(clock.elapsed, 1), "losses": losses,
                                 **results}
        print(f"{name}: {json.dumps(payload['rows'][name])}", flush=True)
    payload["floor"] = floor
    payload["meta"] = {"budget": args.budget, "batch_size": args.batch_size, "policy": policy,
                       "num_samples": args.num_samples, "hist_weight": args.hist_weight,
                       "seed": args.seed, "tf": tf.__version__,
                       "machine": f"{os.cpu_count()} CPUs, {platform.machine()}"}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
    print_table(payload)


if __name__ == "__main__":
    main()
