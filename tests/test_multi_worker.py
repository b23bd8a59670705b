"""Multi-worker training: TF_CONFIG handling, the local launcher, and 2 worker
processes under MultiWorkerMirroredStrategy matching one process weight for weight.

The process tests start real workers on 127.0.0.1 (each its own process, CPU only,
its own TF_CONFIG); every one is bounded by a timeout and stopped in a finally block.
"""

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import types

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SEED, assert_same_weights, max_abs_diff
from keras_gan_zoo import cli, distribute, launcher

#: Seconds any multi-process test may take before its processes are stopped.
PROCESS_TIMEOUT = 150


def tf_config(cluster, task_type="worker", index=0):
    return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})


TWO_WORKERS = {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]}


# ----------------------------------------------------------------- TF_CONFIG units
def test_no_tf_config_is_one_chief_process():
    for environ in ({}, {"TF_CONFIG": ""}, {"TF_CONFIG": "  "}):
        assert distribute.cluster_from_environment(environ) is None
        assert distribute.is_chief(environ)
        assert distribute.num_workers(environ) == 1
        assert distribute.worker_index(environ) == 0
        assert distribute.global_batch_size(64, environ) == 64


def test_workers_roles_and_global_batch():
    first = {"TF_CONFIG": tf_config(TWO_WORKERS, index=0)}
    second = {"TF_CONFIG": tf_config(TWO_WORKERS, index=1)}
    assert distribute.is_chief(first) and not distribute.is_chief(second)
    assert distribute.worker_index(second) == 1
    assert distribute.num_workers(second) == 2
    assert distribute.global_batch_size(64, second) == 128


def test_a_chief_task_is_the_chief_and_counts_as_a_worker():
    cluster = {"chief": ["10.0.0.1:2222"], "worker": ["10.0.0.2:2222", "10.0.0.3:2222"],
               "evaluator": ["10.0.0.4:2222"]}
    chief = distribute.parse_tf_config(tf_config(cluster, "chief", 0))
    worker0 = distribute.parse_tf_config(tf_config(cluster, "worker", 0))
    assert chief.is_chief and not worker0.is_chief
    assert chief.num_workers == worker0.num_workers == 3
    assert (chief.worker_index, worker0.worker_index) == (0, 1)
    assert "evaluator" not in chief.cluster


@pytest.mark.parametrize("text, message", [
    ("{not json", r"TF_CONFIG is not valid JSON"),
    ('["a"]', r"must be a JSON object"),
    ('{"task": {"type": "worker", "index": 0}}', r"no 'cluster' entry"),
    (json.dumps({"cluster": TWO_WORKERS}), r"no 'task' entry"),
    (json.dumps({"cluster": {}, "task": {"type": "worker", "index": 0}}), r"non-empty object"),
    (tf_config({"worker": ["a:1"], "ps": ["b:2"]}), r"\['ps'\].*ParameterServerStrategy"),
    (tf_config({"worker": []}), r"non-empty list"),
    (tf_config({"worker": ["127.0.0.1"]}), r"'host:port'"),
    (tf_config({"worker": ["127.0.0.1:99999"]}), r"port in 1\.\.65535"),
    (tf_config({"worker": ["a:1", "a:1"]}), r"every task needs its own address"),
    (tf_config({"chief": ["a:1", "b:2"], "worker": ["c:3"]}, "chief"), r"one chief"),
    (json.dumps({"cluster": TWO_WORKERS, "task": {"type": "worker"}}), r"'type' and 'index'"),
    (tf_config({"worker": ["a:1"], "evaluator": ["b:2"]}, "evaluator"), r"does not train"),
    (tf_config(TWO_WORKERS, "chief"), r"'chief' is not in the cluster"),
    (tf_config(TWO_WORKERS, index="1"), r"index must be an int"),
    (tf_config(TWO_WORKERS, index=2), r"index 2 is out of range.*2 worker tasks.*0\.\.1"),
    (tf_config(TWO_WORKERS, index=-1), r"out of range"),
])
def test_bad_tf_config_says_what_was_expected(text, message):
    with pytest.raises(ValueError, match=message):
        distribute.parse_tf_config(text)
    with pytest.raises(ValueError, match=message):
        distribute.is_chief({"TF_CONFIG": text})


def test_one_process_gets_the_default_strategy(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.strategy_from_environment() is tf.distribute.get_strategy()
    monkeypatch.setenv("TF_CONFIG", tf_config({"worker": ["127.0.0.1:2222"]}))
    assert distribute.strategy_from_environment() is tf.distribute.get_strategy()
    monkeypatch.setenv("TF_CONFIG", tf_config(TWO_WORKERS, index=5))
    with pytest.raises(ValueError, match="out of range"):
        distribute.strategy_from_environment()


def test_communication_is_explicit():
    ring = distribute.communication_options("ring")
    assert ring.implementation == tf.distribute.experimental.CommunicationImplementation.RING
    assert distribute.communication_options("auto").implementation in (
        tf.distribute.experimental.CommunicationImplementation.RING,
        tf.distribute.experimental.CommunicationImplementation.NCCL)
    with pytest.raises(ValueError, match="communication must be one of"):
        distribute.communication_options("mpi")


def test_shard_by_data_sets_the_policy_and_keeps_loader_attributes():
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((8, 2), "float32")).batch(4)
    dataset.source = "numpy"
    sharded = distribute.shard_by_data(dataset)
    assert (sharded.options().experimental_distribute.auto_shard_policy
            == tf.data.experimental.AutoShardPolicy.DATA)
    assert sharded.source == "numpy"
    assert [b.shape[0] for b in sharded] == [4, 4]


def test_only_the_chief_keeps_its_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    out = str(tmp_path / "run")
    with distribute.worker_output_dir(out, {"TF_CONFIG": tf_config(TWO_WORKERS, index=0)}) as d:
        assert d == out
    with distribute.worker_output_dir(out, {"TF_CONFIG": tf_config(TWO_WORKERS, index=1)}) as d:
        assert os.path.dirname(d) == str(tmp_path / "scratch") and "worker1" in d
        with open(os.path.join(d, "model.keras"), "w") as f:
            f.write("scratch")
    assert not os.listdir(tmp_path / "scratch")
    with pytest.raises(RuntimeError, match="boom"):  # removed on errors too
        with distribute.worker_output_dir(out, {"TF_CONFIG": tf_config(TWO_WORKERS, index=1)}):
            raise RuntimeError("boom")
    assert not os.listdir(tmp_path / "scratch")
    assert not os.path.exists(out)


# ------------------------------------------------------------------ launcher units
def test_launch_configs_name_every_worker_and_parse():
    ports = launcher.free_ports(3)
    assert len(set(ports)) == 3
    configs = [distribute.parse_tf_config(text) for text in launcher.local_tf_configs(ports)]
    assert [c.task_index for c in configs] == [0, 1, 2]
    assert configs[0].cluster == {"worker": [f"127.0.0.1:{p}" for p in ports]}
    assert [c.is_chief for c in configs] == [True, False, False]


def test_launch_runs_train_only():
    assert launcher.zoo_command(["--", "train", "dcgan"])[1:] == [
        "-m", "keras_gan_zoo.cli", "train", "dcgan"]
    for arguments in ([], ["--"], ["--", "sample", "x.keras"]):
        with pytest.raises(ValueError, match=r"expected `-- train MODEL"):
            launcher.zoo_command(arguments)
    args = cli._parser().parse_args(["launch", "--workers", "2", "--port", "3000", "--",
                                     "train", "dcgan", "--out", "D"])
    assert (args.workers, args.port, args.worker_command) == (
        2, 3000, ["--", "train", "dcgan", "--out", "D"])
    with pytest.raises(ValueError, match="--workers"):
        launcher.run_local_workers(["true"], 0)
    with pytest.raises(ValueError, match="--port"):
        launcher.run_local_workers(["true"], 2, port=65535)


#: A stand-in worker (argv: pid directory, index of the failing worker, workers): records
#: its pid, waits until every worker has, then the failing one exits 3, the others hang.
FAILING_WORKER = textwrap.dedent("""
    import json, os, sys, time
    directory, failing, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    with open(os.path.join(directory, f"{index}.tmp"), "w") as f:
        f.write(str(os.getpid()))
    os.replace(os.path.join(directory, f"{index}.tmp"), os.path.join(directory, f"{index}.pid"))
    deadline = time.monotonic() + 30
    while sum(name.endswith(".pid") for name in os.listdir(directory)) < workers:
        if time.monotonic() > deadline:
            sys.exit(4)
        time.sleep(0.05)
    print(f"started {index}", flush=True)
    if index == failing:
        sys.exit(3)
    time.sleep(120)
""")


def _pids(directory):
    """The pids the stand-in workers recorded."""
    return [int(path.read_text()) for path in sorted(directory.glob("*.pid"))]


def _wait_for_pids(directory, count, seconds=30):
    """The pids of `count` stand-in workers once all have recorded theirs (asserted
    within `seconds`)."""
    deadline = time.monotonic() + seconds
    while len(_pids(directory)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = _pids(directory)
    assert len(pids) == count
    return pids


def _assert_gone(pids):
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_failing_worker_stops_the_launch_and_every_worker(tmp_path):
    output = io.StringIO()
    status = launcher.run_local_workers(
        [sys.executable, "-c", FAILING_WORKER, str(tmp_path), "1", "3"], 3,
        timeout=PROCESS_TIMEOUT, out=output)
    assert status == 3
    text = output.getvalue()
    assert "[worker 1] started 1" in text and "worker 1 exited with status 3" in text
    pids = _pids(tmp_path)
    assert len(pids) == 3
    _assert_gone(pids)


def test_a_timed_out_launch_stops_every_worker(tmp_path):
    output = io.StringIO()
    started = time.monotonic()
    status = launcher.run_local_workers(
        [sys.executable, "-c", FAILING_WORKER, str(tmp_path), "-1", "2"], 2, timeout=5,
        out=output)
    assert status == launcher.TIMEOUT_STATUS
    assert time.monotonic() - started < 5 + launcher.TERMINATE_GRACE_SECONDS + 5
    assert "timed out" in output.getvalue()
    _assert_gone(_pids(tmp_path))


#: A launcher process of stand-in workers (argv: launcher.py, worker script, pid
#: directory). It loads launcher.py alone (stdlib only, no TensorFlow: fast) and
#: restores Python's Ctrl-C handler, which a shell may have set to ignore.
STAND_IN_LAUNCH = textwrap.dedent("""
    import importlib.util, signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)
    spec = importlib.util.spec_from_file_location("launcher", sys.argv[1])
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    sys.exit(launcher.run_local_workers(
        [sys.executable, "-c", sys.argv[2], sys.argv[3], "-1", "2"], 2, timeout=60))
""")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_an_interrupted_launch_stops_every_worker(tmp_path, sig):
    proc = subprocess.Popen(
        [sys.executable, "-c", STAND_IN_LAUNCH, launcher.__file__, FAILING_WORKER,
         str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        pids = _wait_for_pids(tmp_path, 2)
        proc.send_signal(sig)
        text, _ = proc.communicate(timeout=launcher.TERMINATE_GRACE_SECONDS + 15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == launcher.INTERRUPTED_STATUS, text
    assert "interrupted; stopping the workers" in text
    _assert_gone(pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_killed_launcher(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", STAND_IN_LAUNCH, launcher.__file__, FAILING_WORKER,
         str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        pids = _wait_for_pids(tmp_path, 2)
        proc.kill()  # no cleanup of its own: the kernel signals the workers
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in _pids(tmp_path):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid):
    """Whether `pid` runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


# ----------------------------------------- 2 workers == 1 process, weight for weight
#: Each worker: the strategy first (collectives are configured at start-up), then
#: every case of the data file trained 2 steps on its global batch, weights saved.
EQUALITY_WORKER = textwrap.dedent("""
    import json, sys
    import numpy as np
    from keras_gan_zoo import distribute

    strategy = distribute.strategy_from_environment()
    import tensorflow as tf
    import keras_gan_zoo as kgz

    data_file, out_dir = sys.argv[1:]
    data = np.load(data_file)
    cases = json.loads(str(data["cases"]))
    assert isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy), strategy
    assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
    for name, overrides in cases.items():
        with strategy.scope():
            model = kgz.create_model("dcgan_tiny", seed=int(data["seed"]), **overrides)
            model.set_weights([data[f"{name}_{i}"] for i in range(int(data[f"{name}_n"]))])
            model.compile()
        batch = {"images": data["images"], "latents": data["latents"]}
        dataset = tf.data.Dataset.from_tensor_slices(batch).batch(len(data["images"]))
        model.fit(distribute.shard_by_data(dataset), epochs=2, verbose=0)
        np.savez(f"{out_dir}/{name}_{distribute.worker_index()}.npz", *model.get_weights())
""")

#: dcgan_tiny has synchronized batch norm in both networks; d_steps=2 splits each
#: replica's examples over two discriminator updates.
EQUALITY_CASES = {"dcgan": {}, "dcgan_d_steps_2": {"d_steps": 2}}


def run_two_workers(script, tmp_path):
    """Runs `script` (argv: tmp_path/data.npz, tmp_path) as 2 local workers on the CPU;
    fails with the end of their output unless both exit 0."""
    output = io.StringIO()
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    status = launcher.run_local_workers(
        [sys.executable, "-c", script, str(tmp_path / "data.npz"), str(tmp_path)], 2,
        timeout=PROCESS_TIMEOUT, env=env, out=output)
    assert status == 0, output.getvalue()[-4000:]


def _weights_holder(arrays):
    return types.SimpleNamespace(get_weights=lambda: arrays)


def test_two_workers_match_one_process(tmp_path):
    """2 workers x 4 examples (real MultiWorkerMirroredStrategy over gRPC on
    127.0.0.1) == 1 process x 8 examples, within the MirroredStrategy contract's
    tolerances (contract_helpers.assert_same_weights)."""
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    latents = np.random.default_rng(5).standard_normal((8, 8)).astype("float32")
    singles, data = {}, {"cases": json.dumps(EQUALITY_CASES), "seed": SEED, "images": images,
                         "latents": latents}
    for name, overrides in EQUALITY_CASES.items():
        model = kgz.create_model("dcgan_tiny", seed=SEED, **overrides)
        assert model.latent_dim == latents.shape[1]
        initial = model.get_weights()
        data.update({f"{name}_{i}": w for i, w in enumerate(initial)})
        data[f"{name}_n"] = len(initial)
        singles[name] = (model, initial)
    np.savez(tmp_path / "data.npz", **data)

    run_two_workers(EQUALITY_WORKER, tmp_path)

    for name, (model, initial) in singles.items():
        model.compile()
        batch = {"images": images, "latents": latents}
        model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(8), epochs=2, verbose=0)
        assert max_abs_diff(initial, model.get_weights()) > 1e-4, "training changed nothing"
        for worker in (0, 1):
            saved = np.load(tmp_path / f"{name}_{worker}.npz")
            arrays = [saved[f"arr_{i}"] for i in range(len(saved.files))]
            assert_same_weights(model, _weights_holder(arrays))


# ------------------------------------------------------------ launch, end to end
def test_launch_trains_with_two_workers_and_only_the_chief_writes(tmp_path):
    out, scratch = tmp_path / "run", tmp_path / "scratch"
    scratch.mkdir()
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TMPDIR=str(scratch))
    command = [sys.executable, "-m", "keras_gan_zoo.cli", "launch", "--workers", "2",
               "--timeout", str(PROCESS_TIMEOUT - 10), "--", "train", "dcgan_tiny",
               "--dataset", "fashion_mnist", "--limit", "64", "--batch-size", "8",
               "--epochs", "1", "--steps-per-epoch", "2", "--precision", "fp32",
               "--out", str(out)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        text, _ = proc.communicate(timeout=PROCESS_TIMEOUT)
    finally:
        if proc.poll() is None:  # SIGTERM: the launcher stops its workers, then itself
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(launcher.TERMINATE_GRACE_SECONDS + 5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert proc.returncode == 0, text[-4000:]
    assert "global batch 16 = 8 per worker x 2" in text
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == ["history.json", "model.keras", "model.keras.json",
                       "samples/epoch_0001.png", "samples/latest.png"]
    (worker_dir,) = [line.split("writes into ")[1].split(" (deleted")[0]
                     for line in text.splitlines() if "writes into" in line]
    assert worker_dir.startswith(str(scratch)) and not os.path.exists(worker_dir)
    assert not os.listdir(scratch)
    assert json.loads((out / "history.json").read_text())["epochs"] == [0]

    model = keras.models.load_model(out / "model.keras")
    assert int(model.step_counter) == 2
    assert int(model.generator_optimizer.iterations) == 2
    assert cli.main(["sample", str(out / "model.keras"), "--out", str(tmp_path / "g.png"),
                     "--num", "4"]) == 0


# ------------------------------------- accelerator paths: float16 and XLA, 2 workers
#: Each worker, under mixed_float16 with loss scales of 2^8 (argv: data file, out dir):
#: (1) one step whose gradients overflow on worker 1 only (worker 0's are finite);
#: (2) two clean steps from the same start; (3) `compile(jit_compile=True)`, which
#: XLA cannot honour with RING collectives: the zoo falls back to False and trains.
FLOAT16_WORKER = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    from keras_gan_zoo import distribute

    strategy = distribute.strategy_from_environment()
    import keras
    import tensorflow as tf
    import keras_gan_zoo as kgz

    data_file, out_dir = sys.argv[1:]
    data = np.load(data_file)
    index = distribute.worker_index()
    keras.mixed_precision.set_global_policy("mixed_float16")

    def build(**compile_kwargs):
        with strategy.scope():
            model = kgz.create_model("dcgan_tiny", seed=int(data["seed"]))
            model.set_weights([data[f"w_{i}"] for i in range(int(data["n"]))])
            model.compile(**{arg: keras.optimizers.LossScaleOptimizer(opt, initial_scale=2.0**8)
                             for arg, opt in model.default_optimizers().items()},
                          **compile_kwargs)
        return model

    def save(model, name):
        optimizers = model.named_optimizers()
        np.savez(f"{out_dir}/{name}_{index}.npz", *model.get_weights(),
                 trainable=np.concatenate([v.numpy().ravel() for v in model.trainable_variables]),
                 scales=[float(optimizers[a].dynamic_scale.numpy()) for a in sorted(optimizers)],
                 iterations=[int(optimizers[a].iterations.numpy()) for a in sorted(optimizers)])

    batch = {"images": data["images"], "latents": data["latents"]}
    dataset = distribute.shard_by_data(tf.data.Dataset.from_tensor_slices(batch).batch(8))

    model = build()
    gradient = tf.GradientTape.gradient
    def overflowing(self, target, sources, *args, **kwargs):
        grads = gradient(self, target, sources, *args, **kwargs)
        return tf.nest.map_structure(
            lambda g: None if g is None else g * tf.cast(float("inf"), g.dtype), grads)
    if index == 1:
        tf.GradientTape.gradient = overflowing
    model.fit(dataset, epochs=1, verbose=0)
    tf.GradientTape.gradient = gradient
    save(model, "overflow")

    model = build()
    model.fit(dataset, epochs=2, verbose=0)
    save(model, "clean")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = build(jit_compile=True)
    assert model.jit_compile is False, model.jit_compile
    assert any("RING collectives" in str(w.message) for w in caught), caught
    model.fit(dataset, epochs=1, verbose=0)
    save(model, "jit")
""")


def test_float16_loss_scaling_and_xla_choice_with_two_workers(tmp_path, mirrored_strategy):
    """mixed_float16 under MultiWorkerMirroredStrategy (2 processes, gRPC): an
    overflow on one worker skips the update on both (the decision is all-reduced
    across processes), clean steps equal 2 replicas of one process (MirroredStrategy:
    the same float16 arithmetic on the same halves of the batch), and
    jit_compile=True falls back to False instead of failing in XLA."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    latents = np.random.default_rng(5).standard_normal((8, 8)).astype("float32")
    with mirrored_strategy.scope():
        mirrored = kgz.create_model("dcgan_tiny", seed=SEED)
    initial = mirrored.get_weights()
    np.savez(tmp_path / "data.npz", seed=SEED, images=images, latents=latents, n=len(initial),
             **{f"w_{i}": w for i, w in enumerate(initial)})

    run_two_workers(FLOAT16_WORKER, tmp_path)

    def load(name, worker):
        saved = np.load(tmp_path / f"{name}_{worker}.npz")
        arrays = [saved[f"arr_{i}"] for i in range(len(initial))]
        return arrays, list(saved["scales"]), list(saved["iterations"]), saved["trainable"]

    initial_trainable = np.concatenate([v.numpy().ravel() for v in mirrored.trainable_variables])
    for worker in (0, 1):
        # Overflow on worker 1 only: no weight moved on either worker (batch-norm
        # statistics do, as in one process); the discriminator scale halved once, the
        # skipped generator step left its scale alone.
        _, scales, iterations, trainable = load("overflow", worker)
        np.testing.assert_array_equal(trainable, initial_trainable)
        assert iterations == [0, 0]  # discriminator_optimizer, generator_optimizer
        assert scales == [2.0**7, 2.0**8]

    with mirrored_strategy.scope():
        mirrored.compile(**{arg: keras.optimizers.LossScaleOptimizer(opt, initial_scale=2.0**8)
                            for arg, opt in mirrored.default_optimizers().items()})
    batch = {"images": images, "latents": latents}
    mirrored.fit(tf.data.Dataset.from_tensor_slices(batch).batch(8), epochs=2, verbose=0)
    assert max_abs_diff(initial, mirrored.get_weights()) > 1e-4, "training changed nothing"
    clean = [load("clean", worker) for worker in (0, 1)]
    assert max_abs_diff(clean[0][0], clean[1][0]) == 0.0  # the workers agree exactly
    assert clean[0][1:3] == clean[1][1:3] == ([2.0**8, 2.0**8], [2, 2])
    assert_same_weights(mirrored, _weights_holder(clean[0][0]))
    jit = load("jit", 0)
    assert jit[2] == [1, 1] and all(np.all(np.isfinite(w)) for w in jit[0])
