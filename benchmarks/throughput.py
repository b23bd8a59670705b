"""Training throughput: the zoo's `fit` against the textbook two-tape train_step.

Both sides train the SAME networks (`dcgan_generator` / `dcgan_discriminator` at
Fashion-MNIST's 28x28x1, ngf = ndf = 64, latent 100) on the same in-memory
Fashion-MNIST batches of 128, in one process, one after the other. The textbook
side is the keras.io "DCGAN overriding train_step" pattern in float32: a
discriminator tape on concat(fake, real), then a second generator forward pass and
a generator tape. The zoo side is `create_model("dcgan")` + bare `compile()` +
`fit`, first in float32, then under the precision `--precision auto` picks
(`mixed_bfloat16` on a CPU with native bf16, `mixed_float16` on a GPU).

Run:
    python benchmarks/throughput.py            # ~3 minutes on 2 CPU cores
    python benchmarks/throughput.py --steps 20 --rounds 5 --json out.json

Prints one table row per configuration: images/s (real images consumed per
wall-clock second, timed after warm-up steps that include tracing), images per
CPU-second of this process (steadier on a shared virtual machine whose cores are
sometimes stolen), and the speed-ups over the textbook fp32 loop. Rounds alternate
between the configurations and each reports its median.
"""

import argparse
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
from textbook import IMAGE_SHAPE, LATENT_DIM, textbook_dcgan  # noqa: E402


def images(batch_size, steps):
    """`steps` real Fashion-MNIST batches, held in memory so input costs nothing."""
    ds = kgz.datasets.load("fashion_mnist", batch_size=batch_size, seed=0)
    batches = np.stack([b.numpy() for b in ds.take(steps)])
    return tf.data.Dataset.from_tensor_slices(batches)


def build_and_warm(build_model, dataset, warmup):
    model = build_model()
    model.fit(dataset.take(warmup), epochs=1, verbose=0)  # trace + warm caches
    return model


def timed_fit(model, dataset, steps, batch_size):
    start, cpu_start = time.perf_counter(), time.process_time()
    history = model.fit(dataset.take(steps), epochs=1, verbose=0)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    losses = {k: round(float(v[-1]), 3) for k, v in history.history.items()}
    return steps * batch_size / seconds, steps * batch_size / cpu_seconds, losses


def zoo(precision):
    def build():
        kgz.precision.set_precision(precision)
        model = kgz.create_model("dcgan", image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0)
        model.compile()
        return model

    return build


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    dataset = images(args.batch_size, max(args.warmup, args.steps))
    auto = kgz.precision.resolve_precision("auto")
    runs = [
        ("textbook two-tape train_step", "float32", textbook_dcgan),
        ("zoo DCGAN fit", "float32", zoo("fp32")),
        ("zoo DCGAN fit (--precision auto)", auto, zoo("auto")),
    ]
    print(f"DCGAN 28x28x1, batch {args.batch_size}, median of {args.rounds} rounds "
          f"x {args.steps} steps, "
          f"TF {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()})")
    models = []
    for label, policy, build in runs:
        models.append(build_and_warm(build, dataset, args.warmup))
    # Rounds alternate between the models, so drift in the machine's speed (shared
    # cores, thermal) hits every configuration alike; each reports its median.
    rates = [[] for _ in runs]
    cpu_rates = [[] for _ in runs]
    last_losses = [None] * len(runs)
    for _ in range(args.rounds):
        for i, model in enumerate(models):
            rate, cpu_rate, last_losses[i] = timed_fit(model, dataset, args.steps,
                                                       args.batch_size)
            rates[i].append(rate)
            cpu_rates[i].append(cpu_rate)
    rows = [
        {"run": label, "policy": policy, "images_per_s": float(np.median(r)),
         "images_per_cpu_s": float(np.median(c)),
         "rounds": [round(x, 1) for x in r], "losses": losses}
        for (label, policy, _), r, c, losses in zip(runs, rates, cpu_rates, last_losses)
    ]
    keras.mixed_precision.set_global_policy("float32")
    base = rows[0]["images_per_s"]
    cpu_base = rows[0]["images_per_cpu_s"]
    print(f"| {'run':<34} | {'policy':<15} | {'images/s':>8} | {'vs textbook':>11} "
          f"| {'images/CPU-s':>12} | {'vs textbook':>11} |")
    print(f"|{'-' * 36}|{'-' * 17}|{'-' * 10}|{'-' * 13}|{'-' * 14}|{'-' * 13}|")
    for row in rows:
        row["speedup"] = row["images_per_s"] / base
        row["cpu_speedup"] = row["images_per_cpu_s"] / cpu_base
        print(f"| {row['run']:<34} | {row['policy']:<15} | {row['images_per_s']:>8.0f} | "
              f"{row['speedup']:>10.2f}x | {row['images_per_cpu_s']:>12.0f} | "
              f"{row['cpu_speedup']:>10.2f}x |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
