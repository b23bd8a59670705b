"""WaveNet sampling speed: the naive path against the fast (cached, Paine 2016) path.

Both paths run the same WaveNet inside a `tf.while_loop` compiled by XLA (what
`sample_ids` runs) and give identical samples for a seed (checked here on the
first samples, and in tests/test_sequence.py). The naive path recomputes the whole
receptive field for every new sample; the fast path keeps a queue of past
activations per layer. `--no-xla` runs both loops as plain TF graphs instead
(`model.jit_sampling = False`), the sampler before XLA compilation.

Default model: one block of 10 layers (dilations 1..512: a receptive field of
1,025 samples), residual/dilation channels 32, skip channels 128, 256 mu-law
levels (weights untrained: the cost does not depend on them).

Run:
    python benchmarks/wavenet_generation.py                   # ~35 s on 2 CPU cores
    python benchmarks/wavenet_generation.py --batch 1,16 --rounds 5 --json out.json
    python benchmarks/wavenet_generation.py --no-xla          # plain-graph loops

Prints one row per batch size: samples/s of each path (generated samples of all
sequences per wall-clock second, median of the rounds, rounds alternating between
the paths, after warm-up calls at every timed length, which trace and compile), and
the speed-up.
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import keras_gan_zoo as kgz  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=10, help="layers per block")
    parser.add_argument("--blocks", type=int, default=1)
    parser.add_argument("--channels", type=int, default=32, help="residual = dilation channels")
    parser.add_argument("--skip", type=int, default=128, help="skip channels")
    parser.add_argument("--batch", default="1,16", help="comma-separated batch sizes")
    parser.add_argument("--fast-length", type=int, default=2000, help="samples per fast call")
    parser.add_argument("--naive-length", type=int, default=100, help="samples per naive call")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=None)
    parser.add_argument("--no-xla", action="store_true",
                        help="plain TF graph loops instead of XLA-compiled ones")
    args = parser.parse_args()

    model = kgz.create_model("wavenet", num_blocks=args.blocks, layers_per_block=args.layers,
                             residual_channels=args.channels, dilation_channels=args.channels,
                             skip_channels=args.skip)
    model.jit_sampling = not args.no_xla
    print(f"WaveNet: {len(model.dilations)} layers, receptive field {model.receptive_field} "
          f"samples, {model.count_params():,} parameters; "
          f"{os.cpu_count()} CPUs, {platform.machine()}; "
          f"{'plain TF graph' if args.no_xla else 'XLA-compiled'} sampling loops")
    rows = []
    for batch in (int(b) for b in args.batch.split(",")):
        # Warm-up (traces, and compiles each batch size and length) and the identity
        # check on the first samples.
        fast = model.sample_ids(batch, args.naive_length, seed=0)
        naive = model.sample_ids(batch, args.naive_length, seed=0, fast=False)
        identical = bool(np.array_equal(fast, naive))
        model.sample_ids(batch, args.fast_length, seed=0)
        speeds = {"fast": [], "naive": []}
        for _ in range(args.rounds):
            _, seconds = timed(lambda: model.sample_ids(batch, args.fast_length, seed=1))
            speeds["fast"].append(batch * args.fast_length / seconds)
            _, seconds = timed(lambda: model.sample_ids(batch, args.naive_length, seed=1,
                                                        fast=False))
            speeds["naive"].append(batch * args.naive_length / seconds)
        fast_s, naive_s = (float(np.median(speeds[k])) for k in ("fast", "naive"))
        rows.append({"batch": batch, "naive_samples_per_s": round(naive_s, 1),
                     "fast_samples_per_s": round(fast_s, 1),
                     "speedup": round(fast_s / naive_s, 1), "identical_samples": identical})
    print("| batch | naive samples/s | fast samples/s | speed-up | identical |")
    print("|------:|----------------:|---------------:|---------:|:---------:|")
    for r in rows:
        print(f"| {r['batch']:>5} | {r['naive_samples_per_s']:>15,.1f} | "
              f"{r['fast_samples_per_s']:>14,.1f} | {r['speedup']:>7.1f}x | "
              f"{'yes' if r['identical_samples'] else 'NO':^9} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"receptive_field": model.receptive_field, "rows": rows,
                       "xla": not args.no_xla,
                       "config": model.get_config()}, f, indent=2)


if __name__ == "__main__":
    main()
