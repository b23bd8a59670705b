"""Sample quality in equal wall-clock time: the zoo's DCGAN against the textbook loop.

Both sides train the SAME networks (`dcgan_generator` / `dcgan_discriminator`,
Fashion-MNIST 28x28x1, ngf = ndf = 64, latent 100) on the same shuffled
Fashion-MNIST training batches of 128 for the same wall-clock budget, one after the
other in one process (tracing included in the budget for both):

- textbook: the keras.io two-tape `train_step` in float32 (benchmarks/textbook.py);
- zoo: `create_model("dcgan")` + bare `compile()` + `fit` under the precision
  `--precision auto` picks (`mixed_bfloat16` on a CPU with native bf16).

Then both are evaluated against the Fashion-MNIST TEST split with the zoo's
Fashion-MNIST domain classifier (`keras_gan_zoo.metrics`): FID, KID and the number
of classes found in the samples. The real-data floor is the same metric between
`--num-samples` TRAIN images and the test images.

Run:
    python benchmarks/quality.py                       # 2 x 300 s of training + evaluation
    python benchmarks/quality.py --budget 600 --json quality.json
"""

import argparse
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_zoo as kgz  # noqa: E402
from _common import WallClockBudget, fashion_mnist_reference  # noqa: E402
from textbook import IMAGE_SHAPE, LATENT_DIM, textbook_dcgan  # noqa: E402


def zoo_dcgan():
    kgz.precision.set_precision("auto")
    model = kgz.create_model("dcgan", image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0)
    model.compile()
    return model


def train(build, dataset, budget):
    model = build()
    clock = WallClockBudget(budget)
    history = model.fit(dataset, epochs=1000, verbose=0, callbacks=[clock])
    losses = {k: round(float(v[-1]), 3) for k, v in history.history.items()}
    return model, clock, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds per side")
    parser.add_argument("--num-samples", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    extractor, real, floor = fashion_mnist_reference(args.num_samples, args.seed)
    names = ("fid", "kid", "modes")

    rows = []
    for label, build in (("textbook two-tape train_step", textbook_dcgan),
                         ("zoo DCGAN fit (--precision auto)", zoo_dcgan)):
        # a fresh dataset per run: each run sees the same shuffled batches (one object
        # reused would continue its shuffle sequence into the second run)
        dataset = kgz.datasets.load("fashion_mnist", batch_size=args.batch_size, seed=args.seed)
        model, clock, losses = train(build, dataset, args.budget)
        policy = keras.mixed_precision.global_policy().name
        keras.mixed_precision.set_global_policy("float32")
        results = kgz.metrics.evaluate(model, real, metrics=names, extractor=extractor,
                                       num_samples=args.num_samples, seed=args.seed)
        rows.append({"run": label, "policy": policy, "steps": clock.steps,
                     "seconds": round(clock.elapsed, 1),
                     "images_seen": clock.steps * args.batch_size, "losses": losses,
                     **results})

    print(f"Fashion-MNIST 28x28, {args.budget:.0f} s of training each, batch {args.batch_size}, "
          f"{args.num_samples} samples vs the test split, extractor: fashion_mnist domain "
          f"classifier; TF {tf.__version__}, {os.cpu_count()} CPUs")
    print(f"| {'run':<34} | {'policy':<15} | {'steps':>6} | {'FID':>8} | {'KID':>8} "
          f"| {'classes':>7} |")
    print(f"|{'-' * 36}|{'-' * 17}|{'-' * 8}|{'-' * 10}|{'-' * 10}|{'-' * 9}|")
    for row in rows:
        print(f"| {row['run']:<34} | {row['policy']:<15} | {row['steps']:>6} | "
              f"{row['fid']:>8.3f} | {row['kid']:>8.4f} | {row['classes_found']:>7} |")
    print(f"| {'real data floor (train vs test)':<34} | {'-':<15} | {'-':>6} | "
          f"{floor['fid']:>8.3f} | {floor['kid']:>8.4f} | {'-':>7} |")
    print(f"FID ratio textbook / zoo: {rows[0]['fid'] / rows[1]['fid']:.2f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "floor": floor, "budget": args.budget}, f, indent=2)


if __name__ == "__main__":
    main()
