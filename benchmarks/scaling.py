"""Data-parallel scaling on this machine: 1 process vs 2 workers vs MirroredStrategy.

For DCGAN (Fashion-MNIST's 28x28x1, 0.9 M parameters) and CycleGAN (28x28x1, the zoo's
default ResNet generators with 3 blocks: 8.8 M parameters, ~10x more), each trained
with the zoo's `compile()` and `fit` in float32 on the SAME global batch, in four
configurations run one after the other, each in fresh processes:

- `1proc`: one process, all cores, no strategy (TF's own intra-op threads);
- `2workers`: 2 local worker processes started by the zoo's launcher
  (`keras_gan_zoo.launcher.run_local_workers`: a generated `TF_CONFIG` on 127.0.0.1),
  `MultiWorkerMirroredStrategy` with RING all-reduce over gRPC, each worker pinned to
  one core (`os.sched_setaffinity`) with TF's intra- and inter-op threads set to 1,
  each computing half of the global batch (auto-shard policy DATA);
- `mirrored`: one process, `MirroredStrategy` over 2 logical CPU devices (2 replicas of
  half the batch sharing the process's thread pool; in-process all-reduce);
- `1core`: one process pinned to one core (1 thread), HALF the global batch, no
  strategy: what one worker of `2workers` computes, without the all-reduce. Twice its
  images/s is what 2 workers would reach if communication were free.

Data: synthetic (uniform random images in [-1, 1], 4 distinct global batches held in
memory and repeated), so input costs nothing and no dataset is needed. Timing: one
`fit` per model and configuration; its first `--warmup` steps (tracing) are excluded,
the next `--steps` are timed. images/s = examples of the global batch per wall-clock
second (a CycleGAN example is a pair: one image of each domain); images/CPU-s = the
same per CPU-second (user + system, `getrusage`) summed over the processes of the
configuration (both workers), timed steps only; cores busy = CPU-seconds per
wall-clock second of those steps. The all-reduce column is the
gradient bytes one replica contributes per step: trainable parameters of all
networks x 4 bytes (float32 gradients; also under mixed precision, whose variables
stay float32).

Run:
    python benchmarks/scaling.py              # DCGAN + CycleGAN, ~3.5 minutes on 2 idle cores
    python benchmarks/scaling.py --quick      # dcgan_tiny: a check of the plumbing, ~30 s
    python benchmarks/scaling.py --models dcgan --steps 40 --json out.json

Prints one table and what these numbers do and do not say about a real cluster
(docs/distributed.md has the scaling model for 8 GPUs and a TPU pod slice).
"""

import argparse
import collections
import functools
import importlib.util
import io
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))

#: A benchmarked model: registered name, constructor overrides, default global batch,
#: default timed steps (about 10-30 s of training on 2 cores) and a label.
Spec = collections.namedtuple("Spec", "name overrides batch steps label")

MODELS = {
    "dcgan": Spec("dcgan", {"image_shape": (28, 28, 1)}, 128, 40, "DCGAN 28x28x1"),
    "cyclegan": Spec("cyclegan", {"image_shape": (28, 28, 1)}, 16, 10,
                     "CycleGAN 28x28x1 (pairs)"),
    "stylegan2": Spec("stylegan2", {"image_shape": (32, 32, 1), "preset": "small"}, 64, 10,
                      "StyleGAN2 small 32x32x1"),
    "pix2pix": Spec("pix2pix", {"image_shape": (28, 28, 1)}, 32, 20, "pix2pix 28x28x1"),
    "dcgan_tiny": Spec("dcgan_tiny", {}, 8, 2, "dcgan_tiny 16x16x1"),
    "cyclegan_tiny": Spec("cyclegan_tiny", {}, 4, 2, "cyclegan_tiny 16x16x1 (pairs)"),
}

#: key -> (label, processes x cores)
CONFIGS = {
    "1proc": ("1 process", "1 x all"),
    "2workers": ("2 workers, MultiWorkerMirrored (gRPC)", "2 x 1"),
    "mirrored": ("MirroredStrategy, 2 logical CPUs", "1 x all"),
    "1core": ("1 core, half batch, no all-reduce", "1 x 1"),
}

QUICK = {"models": ["dcgan_tiny"], "steps": 2, "warmup": 1}

EXPLANATION = """\
What these numbers say, and what they do not (2 vCPUs, no GPU):
- Every configuration runs on the same 2 vCPUs; `cores busy` (CPU-seconds per second of
  the timed steps) shows how much of them it used. One process leaves it to TF's intra-op
  threads to use both, which on small convolutions they may not do: where `1 process`
  keeps about one core busy, processes pinned one per core do more work per second. That
  is TF's CPU threading at these model sizes, not scaling.
- The scaling measure is `2 workers` against twice `1 core, half batch`: the same work
  per worker with and without the all-reduce (a gRPC ring over the loopback interface of
  every gradient, and of synchronized batch norm's statistics) and the waits for the
  slower worker; its efficiency is printed per model. It is not a cluster's: there, the
  all-reduce runs over NVLink, InfiniBand, Ethernet or a TPU's ICI with NCCL or the TPU's
  own collectives, not as memory copies through sockets on the two cores that compute,
  and the compute per step shrinks by the accelerator's speed-up. The ratio of the two
  decides the scaling; docs/distributed.md ("Scaling model") works it out per model.
- What carries over: the zoo's distributed train_step runs under both strategies at these
  model sizes, and each model's gradient bytes per step (parameters x 4), which with its
  measured step time give the compute per byte communicated.
- images/CPU-s counts every CPU-second of every process of a configuration (gRPC and
  collective threads included): less of it in `2 workers` than in `1 core` is CPU spent
  on communication and synchronisation rather than on the model."""


# ----------------------------------------------------------------------- worker side
def _worker_index():
    """This worker's index in `TF_CONFIG`. Not `keras_gan_zoo.distribute.worker_index`:
    importing the package imports TensorFlow, and the worker is pinned to its core
    before that."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    return int(config.get("task", {}).get("index", 0))


def _pin_to_one_core(index):
    """This process on one core (`index` modulo the cores it may use); before TF."""
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[index % len(cores)]})


def run_worker(args):
    """One process of a configuration: trains every model, writes its measurements."""
    index = _worker_index()
    single_core = args.worker in ("2workers", "1core")
    if single_core:
        _pin_to_one_core(index)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path[:0] = [REPO, HERE]
    import tensorflow as tf

    if single_core:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    if args.worker == "2workers":
        from keras_gan_zoo import distribute

        strategy = distribute.strategy_from_environment()  # before any other TF op
        assert strategy.num_replicas_in_sync == 2, strategy
    elif args.worker == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
        strategy = tf.distribute.MirroredStrategy(
            [d.name for d in tf.config.list_logical_devices("CPU")[:2]])
    else:
        strategy = tf.distribute.get_strategy()
    import keras

    import _common
    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute

    keras.mixed_precision.set_global_policy("float32")
    results = []
    for key in args.models:
        spec = MODELS[key]
        global_batch = args.batch or spec.batch
        batch = global_batch // 2 if args.worker == "1core" else global_batch
        with strategy.scope():
            model = kgz.create_model(spec.name, seed=0, **spec.overrides)
            model.compile()
        dataset = _common.synthetic_dataset(model, batch)
        if args.worker == "2workers":
            dataset = distribute.shard_by_data(dataset)
        measured = _common.measure_fit(model, dataset, batch, args.warmup,
                                       args.steps or spec.steps)
        measured.update(model=key, params=_common.parameter_counts(model), batch=batch,
                        worker=index, pid=os.getpid(), cores=len(os.sched_getaffinity(0)),
                        threads=tf.config.threading.get_intra_op_parallelism_threads())
        results.append(measured)
    with open(os.path.join(args.result_dir, f"result_{index}.json"), "w") as f:
        json.dump(results, f)


# ----------------------------------------------------------------- orchestrator side
@functools.lru_cache(maxsize=None)
def _launcher():
    """keras_gan_zoo/launcher.py loaded alone (stdlib only): the orchestrator does not
    import TensorFlow, which `import keras_gan_zoo` would."""
    spec = importlib.util.spec_from_file_location(
        "_kgz_launcher", os.path.join(REPO, "keras_gan_zoo", "launcher.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _children_cpu():
    """CPU seconds of the waited-for worker processes (the launching process does not
    import `_common`, whose `cpu_seconds` needs TensorFlow imported)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_one_process(command, env, timeout):
    """Runs `command` in its own process group (killed on timeout or interruption; on
    Linux also when this process dies, as the launcher's workers are)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True,
                            preexec_fn=_launcher()._parent_death_signal())
    try:
        output, _ = proc.communicate(timeout=timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        return 124, f"timed out after {timeout} s"
    finally:
        if proc.poll() is None:  # timed out or interrupted: the whole group goes
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_config(config, args):
    """Runs one configuration in fresh processes; returns its per-model rows."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join(filter(None, [REPO, HERE,
                                                        os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory(prefix="kgz-scaling-") as result_dir:
        command = [sys.executable, os.path.abspath(__file__), "--worker", config,
                   "--result-dir", result_dir, "--models", ",".join(args.models),
                   "--steps", str(args.steps or 0), "--warmup", str(args.warmup),
                   "--batch", str(args.batch or 0)]
        if config == "2workers":
            output = io.StringIO()
            status = _launcher().run_local_workers(command, 2, timeout=args.timeout, env=env,
                                                   out=output)
            output = output.getvalue()
        else:
            status, output = _run_one_process(command, env, args.timeout)
        if status != 0:
            raise RuntimeError(f"configuration {config!r} failed (status {status}):\n"
                               f"{output[-4000:]}")
        per_process = []
        for name in sorted(os.listdir(result_dir)):
            with open(os.path.join(result_dir, name)) as f:
                per_process.append(json.load(f))
    rows = []
    for measurements in zip(*per_process):  # one model, every process of the config
        first = measurements[0]
        seconds = max(m["seconds"] for m in measurements)
        cpu = sum(m["cpu_seconds"] for m in measurements)
        params = sum(first["params"].values())
        rows.append({
            "model": first["model"], "config": config, "params": params,
            "allreduce_mb": params * 4 / 1e6, "global_batch": first["batch"],
            "images_per_s": first["examples"] / seconds,
            "images_per_cpu_s": first["examples"] / cpu,
            "seconds": seconds, "cpu_seconds": cpu, "processes": len(measurements),
            "threads": [m["threads"] for m in measurements],
            "pids": [m["pid"] for m in measurements],
            "cores": [m["cores"] for m in measurements],
            "losses": first["losses"]})
    return rows


def print_table(rows, args):
    print(f"| {'model':<30} | {'params':>10} | {'all-reduce MB/step':>18} | "
          f"{'configuration':<37} | {'procs x cores':>13} | {'batch':>5} | "
          f"{'images/s':>9} | {'images/CPU-s':>12} | {'cores busy':>10} | {'vs 1 process':>12} |")
    print(f"|{'-' * 32}|{'-' * 12}|{'-' * 20}|{'-' * 39}|{'-' * 15}|{'-' * 7}|"
          f"{'-' * 11}|{'-' * 14}|{'-' * 12}|{'-' * 14}|")
    for key in args.models:
        model_rows = [r for r in rows if r["model"] == key]
        base = next((r["images_per_s"] for r in model_rows if r["config"] == "1proc"), None)
        for row in model_rows:
            label, layout = CONFIGS[row["config"]]
            versus = f"{row['images_per_s'] / base:.2f}x" if base else "-"
            print(f"| {MODELS[key].label:<30} | {row['params']:>10,} | "
                  f"{row['allreduce_mb']:>18.2f} | "
                  f"{label:<37} | {layout:>13} | {row['global_batch']:>5} | "
                  f"{row['images_per_s']:>9.1f} | {row['images_per_cpu_s']:>12.1f} | "
                  f"{row['cpu_seconds'] / row['seconds']:>10.2f} | {versus:>12} |")
    for key in args.models:
        by_config = {r["config"]: r for r in rows if r["model"] == key}
        if "2workers" in by_config and "1core" in by_config:
            ideal = 2 * by_config["1core"]["images_per_s"]
            reached = by_config["2workers"]["images_per_s"]
            print(f"{MODELS[key].label}: 2 workers reach {reached:.1f}"
                  f" images/s of an ideal {ideal:.1f} (2 x one core on half the batch): "
                  f"{by_config['2workers']['images_per_s'] / ideal:.0%} multi-worker efficiency.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="dcgan,cyclegan",
                        help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated, of {', '.join(CONFIGS)}")
    parser.add_argument("--steps", type=int, default=0,
                        help="timed steps per model (default: per model, "
                             + ", ".join(f"{k} {v.steps}" for k, v in MODELS.items()) + ")")
    parser.add_argument("--warmup", type=int, default=3, help="untimed first steps (tracing)")
    parser.add_argument("--batch", type=int, default=0,
                        help="global batch for every model (default: per model, "
                             + ", ".join(f"{k} {v.batch}" for k, v in MODELS.items()) + ")")
    parser.add_argument("--quick", action="store_true",
                        help="dcgan_tiny, 1 warm-up + 2 timed steps: checks the plumbing")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds one configuration may take before it is stopped")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--worker", choices=list(CONFIGS), help=argparse.SUPPRESS)
    parser.add_argument("--result-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.configs = [c for c in args.configs.split(",") if c]
    if args.quick:
        args.models, args.steps, args.warmup = QUICK["models"], QUICK["steps"], QUICK["warmup"]
    for key in args.models:
        if key not in MODELS:
            parser.error(f"unknown model {key!r}; choose from {', '.join(MODELS)}")
    for config in args.configs:
        if config not in CONFIGS:
            parser.error(f"unknown configuration {config!r}; choose from {', '.join(CONFIGS)}")
    if args.batch and args.batch % 2:
        parser.error(f"--batch must be even (split over 2 replicas); got {args.batch}")
    if args.worker:
        return run_worker(args)

    started, cpu_started = time.perf_counter(), _children_cpu()
    print(f"Scaling on {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
          f"float32, synthetic data, {args.warmup} warm-up + "
          + ", ".join(f"{args.steps or MODELS[k].steps} ({k})" for k in args.models)
          + " timed steps per model and configuration; configurations run one after the "
          "other.", flush=True)
    rows = []
    for config in args.configs:
        config_started = time.perf_counter()
        rows += run_config(config, args)
        print(f"  {config}: {time.perf_counter() - config_started:.0f} s wall "
              f"(start-up and tracing included)", flush=True)
    print()
    print_table(rows, args)
    print()
    print(EXPLANATION)
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s wall, "
          f"{_children_cpu() - cpu_started:.0f} CPU-s of all processes.")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
