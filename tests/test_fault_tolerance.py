"""Fault tolerance (issue 18, part 3): `train --backup-every N` backs up the whole
training state every N steps; a run SIGKILLed mid-epoch, started again with the
same command, resumes at the backed-up step and ends with the weights of an
uninterrupted run, bit for bit (one process, 2 local workers, a sequence model).
The epoch-indexed data order that makes this possible is unit-tested first.

Every process test is bounded (`PROCESS_TIMEOUT`) and kills what it started in a
finally block.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import distribute, launcher
from keras_gan_zoo.callbacks import backup
from keras_gan_zoo.datasets import pipeline
from contract_helpers import assert_same_keras_files

#: Seconds a process test may run before everything it started is killed.
PROCESS_TIMEOUT = 240
#: fashion_mnist --limit 64 --batch-size 8: 8 steps an epoch.
IMAGE_ARGS = ["--dataset", "fashion_mnist", "--limit", "64", "--batch-size", "8",
              "--precision", "fp32", "--seed", "3", "--verbose", "0"]


# ------------------------------------------------------------ epoch-indexed order
def _order(ds):
    return [int(x) for x in ds.as_numpy_iterator()]


def test_epoch_order_is_a_pure_function_of_seed_and_epoch():
    examples = tf.data.Dataset.range(50)
    orders = {epoch: _order(pipeline.epoch_order(examples, 50, seed=7, epoch=epoch))
              for epoch in range(3)}
    for order in orders.values():
        assert sorted(order) == list(range(50))  # a permutation
    assert _order(pipeline.epoch_order(examples, 50, seed=7, epoch=1)) == orders[1]
    assert len({tuple(order) for order in orders.values()}) == 3
    assert _order(pipeline.epoch_order(examples, 50, seed=8, epoch=1)) != orders[1]
    # a bounded buffer permutes within consecutive windows
    windows = _order(pipeline.epoch_order(examples, 20, seed=7, epoch=0))
    assert sorted(windows[:20]) == list(range(20)) and sorted(windows) == list(range(50))


def _first_pixels(ds, batches):
    return [batch[:, 14, 14, 0].tolist() for batch in ds.take(batches).as_numpy_iterator()]


def test_load_from_any_epoch_and_step_gives_the_batches_of_one_stream():
    kwargs = dict(batch_size=8, seed=3, limit=64)
    stream = kgz.datasets.load("fashion_mnist", start_epoch=0, **kwargs)
    assert stream.batches_per_epoch == 8
    assert stream.cardinality() == tf.data.INFINITE_CARDINALITY
    first_three = _first_pixels(stream, 24)
    assert first_three[:8] != first_three[8:16]  # each epoch its own order
    assert sorted(map(sorted, first_three[:8])) != sorted(map(sorted, first_three[8:16]))
    from_two = kgz.datasets.load("fashion_mnist", start_epoch=2, **kwargs)
    assert _first_pixels(from_two, 8) == first_three[16:]
    from_one = kgz.datasets.load("fashion_mnist", start_epoch=1, **kwargs)
    assert _first_pixels(from_one.skip(5), 11) == first_three[13:]
    # every example once an epoch (drop_remainder: 64 = 8 x 8, none dropped)
    legacy = kgz.datasets.load("fashion_mnist", shuffle=False, **kwargs)
    every = sorted(v for batch in _first_pixels(legacy, 8) for v in batch)
    assert sorted(v for batch in first_three[8:16] for v in batch) == every
    with pytest.raises(ValueError, match="needs a seed"):
        kgz.datasets.load("fashion_mnist", start_epoch=0, batch_size=8, limit=64)


def test_the_reshuffling_loader_replays_epoch_0_in_a_new_process():
    """Why the CLI trains on the epoch-indexed stream: tf.data's reshuffling restarts
    its sequence of orders with every new dataset object (a resumed process), so the
    second epoch of a resumed run would repeat the first epoch's order."""
    kwargs = dict(batch_size=8, seed=3, limit=64)
    run = kgz.datasets.load("fashion_mnist", **kwargs)
    epoch_0, epoch_1 = _first_pixels(run, 8), _first_pixels(run, 8)
    resumed = kgz.datasets.load("fashion_mnist", **kwargs)  # what a restart builds
    assert epoch_0 != epoch_1 and _first_pixels(resumed, 8) == epoch_0


def test_translation_and_text_streams_are_epoch_indexed():
    pairs = dict(batch_size=4, seed=1, limit=16)
    stream = kgz.datasets.load("fashion_mnist_edges", start_epoch=0, **pairs)
    later = kgz.datasets.load("fashion_mnist_edges", start_epoch=1, **pairs)
    assert stream.batches_per_epoch == 4
    expected = [b.tolist() for _, b in stream.skip(4).take(4).as_numpy_iterator()]
    assert [b.tolist() for _, b in later.take(4).as_numpy_iterator()] == expected
    text = "abcdefgh \n" * 50
    vocabulary = kgz.datasets.build_vocabulary(text)
    chars = kgz.datasets.char_dataset(text, vocabulary, 10, 4, seed=2, start_epoch=0)
    again = kgz.datasets.char_dataset(text, vocabulary, 10, 4, seed=2, start_epoch=3)
    assert chars.batches_per_epoch == 12
    expected = [b.tolist() for b in chars.skip(36).take(5).as_numpy_iterator()]
    assert [b.tolist() for b in again.take(5).as_numpy_iterator()] == expected


def test_unpaired_stream_repeats_the_shorter_domain_per_epoch():
    arrays = [tf.data.Dataset.range(6), tf.data.Dataset.range(100, 103)]
    from keras_gan_zoo.datasets import translation

    def stream(start):
        ds = translation._unpaired_pipeline(
            [(arrays[0], 6, 1), (arrays[1], 3, 1)], batch_size=6, shuffle=True, seed=5,
            drop_remainder=True, cache=False, start_epoch=start)
        return [(a.tolist(), b.tolist()) for a, b in ds.take(2).as_numpy_iterator()]

    epochs = stream(0)
    assert epochs[1] == stream(1)[0]
    for a, b in epochs:
        assert sorted(round((x + 1) * 127.5) for x in a) == list(range(6))  # every a, once
        values = sorted(round((x + 1) * 127.5) for x in b)
        assert values == [100, 100, 101, 101, 102, 102]  # b twice


# --------------------------------------------------------------- backup callback
def test_training_backup_writes_whole_state_mid_epoch_only(tmp_path):
    model = kgz.create_model("dcgan_tiny", seed=0)
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (40, 16, 16, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(images).batch(8).repeat()
    directory = tmp_path / "backup"
    callback = kgz.callbacks.TrainingBackup(directory, every=2, steps_per_epoch=5,
                                            fingerprint={"seed": 0})
    saved = []
    original = callback.save

    def save():
        original()
        saved.append(backup.read_backup(directory)["global_step"])

    callback.save = save
    model.fit(ds, epochs=2, steps_per_epoch=5, callbacks=[callback], verbose=0)
    assert saved == [2, 4, 6, 8]  # 10 ends an epoch: the epoch checkpoint's job
    state = backup.read_backup(directory)
    assert (state["epoch"], state["step_in_epoch"], state["fingerprint"]) == (1, 3, {"seed": 0})
    assert sorted(os.listdir(directory)) == ["state.json", "step-0000000008.keras"]
    assert set(state["metrics"]) >= {"d_loss", "g_loss"}
    backup.discard_backup(directory)
    assert not directory.exists() and backup.read_backup(directory) == {}


def test_stale_worker_directories_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"keras-gan-zoo-worker1-{dead.pid}-abc_123"
    live = tmp_path / f"keras-gan-zoo-worker2-{os.getpid()}-def456"
    other = tmp_path / "keras-gan-zoo-something"
    for path in (stale, live, other):
        path.mkdir()
    (stale / "model.keras").write_bytes(b"x")
    assert distribute.remove_stale_worker_dirs(str(tmp_path)) == [str(stale)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


# ------------------------------------------------------------------ process tests
def _env(tmp):
    os.makedirs(tmp, exist_ok=True)
    return dict(os.environ, CUDA_VISIBLE_DEVICES="", TMPDIR=str(tmp), PYTHONUNBUFFERED="1")


def _start(arguments, env, log):
    return subprocess.Popen([sys.executable, "-m", "keras_gan_zoo.cli", *arguments], env=env,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _stop(processes):
    """SIGKILL every process group still running (bounded cleanup)."""
    for proc in processes:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()


def _wait(proc, log, deadline):
    try:
        proc.wait(max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pytest.fail(f"timed out: {open(log).read()[-3000:]}")
    return proc.returncode


def _mid_epoch_backup(directory, proc, log, deadline):
    """The backup state once one taken mid-epoch exists (the process still running)."""
    while time.monotonic() < deadline:
        state = backup.read_backup(directory)
        if state and state["step_in_epoch"]:
            return state
        assert proc.poll() is None, open(log).read()[-3000:]
        time.sleep(0.02)
    pytest.fail("no backup mid-epoch in time")


def _history(out):
    lines = [json.loads(line) for line in (out / "history.json").read_text().splitlines()]
    merged = {}
    for line in lines:
        for index, epoch in enumerate(line["epochs"]):
            merged[epoch] = {k: v[index] for k, v in line.items() if k != "epochs"}
    return merged


def _kill_resume_compare(tmp_path, arguments, epochs, backup_every=2):
    """Runs `train ARGUMENTS` uninterrupted (reference) and, alongside, a long run
    SIGKILLed after its first backup mid-epoch, resumed with `--epochs EPOCHS`;
    asserts equal weights, optimizer state and per-epoch logs. Returns the state
    the killed run was resumed from."""
    ref, run = tmp_path / "reference", tmp_path / "run"
    env = _env(tmp_path / "tmp")
    deadline = time.monotonic() + PROCESS_TIMEOUT
    started = []
    try:
        started.append(_start(["train", *arguments, "--epochs", str(epochs), "--out", str(ref)],
                              env, tmp_path / "reference.log"))
        killed = _start(["train", *arguments, "--epochs", "100", "--out", str(run),
                         "--backup-every", str(backup_every)], env, tmp_path / "killed.log")
        started.append(killed)
        _mid_epoch_backup(run / "backup", killed, tmp_path / "killed.log", deadline)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
        state = backup.read_backup(run / "backup")  # the last backup before the kill
        assert state["step_in_epoch"] > 0 and state["epoch"] < epochs - 1, state
        resumed = _start(["train", *arguments, "--epochs", str(epochs), "--out", str(run),
                          "--backup-every", str(backup_every)], env, tmp_path / "resumed.log")
        started.append(resumed)
        assert _wait(resumed, tmp_path / "resumed.log", deadline) == 0, \
            (tmp_path / "resumed.log").read_text()[-3000:]
        assert _wait(started[0], tmp_path / "reference.log", deadline) == 0
    finally:
        _stop(started)
    text = (tmp_path / "resumed.log").read_text()
    assert (f"at step {state['step_in_epoch']} of epoch {state['epoch'] + 1}" in text), text
    assert_same_keras_files(run / "model.keras", ref / "model.keras")
    reference, resumed_logs = _history(ref), _history(run)
    assert set(reference) == set(range(epochs))
    for epoch in range(state["epoch"], epochs):  # the resumed epoch's mean covers all its steps
        assert resumed_logs[epoch] == reference[epoch], epoch
    assert not (run / "backup").exists()  # a finished run keeps no backup
    return state


def test_a_killed_dcgan_run_resumes_mid_epoch_exactly(tmp_path):
    _kill_resume_compare(tmp_path, ["dcgan_tiny", *IMAGE_ARGS], epochs=3)


def test_a_killed_char_rnn_run_resumes_mid_epoch_exactly(tmp_path):
    text = tmp_path / "text.txt"
    rng = np.random.default_rng(0)
    text.write_text("".join(rng.choice(list("abcdefgh \n"), 3400)))
    _kill_resume_compare(tmp_path, ["char_rnn_tiny", "--text", str(text), "--batch-size", "4",
                                    "--precision", "fp32", "--seed", "1", "--verbose", "0"],
                         epochs=3)


def _worker_pids(launcher_pid):
    """The pids of a launcher's worker processes by worker index (from /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            if parent != launcher_pid:
                continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
        except (OSError, ValueError, IndexError):
            continue
        config = json.loads(environ.get(b"TF_CONFIG", b"{}") or b"{}")
        if "task" in config:
            found[config["task"]["index"]] = int(entry)
    return found


def test_two_workers_killed_mid_epoch_resume_exactly(tmp_path):
    """SIGKILL worker 1 of a 2-worker launch mid-epoch: the launch fails (its other
    worker stopped, bounded), the same launch again resumes from the chief's backup
    and ends with the weights of an uninterrupted 2-worker launch."""
    arguments = ["dcgan_tiny", *IMAGE_ARGS[:4], "--batch-size", "4", *IMAGE_ARGS[6:]]
    ref, run = tmp_path / "reference", tmp_path / "run"
    scratch = tmp_path / "scratch"

    def launch(out, epochs, log, env, backup_every=2):
        return subprocess.Popen(
            [sys.executable, "-m", "keras_gan_zoo.cli", "launch", "--workers", "2",
             "--timeout", str(PROCESS_TIMEOUT - 20), "--", "train", *arguments,
             "--epochs", str(epochs), "--out", str(out), "--backup-every", str(backup_every)],
            env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    deadline = time.monotonic() + PROCESS_TIMEOUT
    started, workers = [], {}
    try:
        started.append(launch(ref, 3, tmp_path / "reference.log", _env(tmp_path / "ref_tmp")))
        killed = launch(run, 100, tmp_path / "killed.log", _env(scratch))
        started.append(killed)
        _mid_epoch_backup(run / "backup", killed, tmp_path / "killed.log", deadline)
        workers = _worker_pids(killed.pid)
        assert sorted(workers) == [0, 1]
        os.kill(workers[1], signal.SIGKILL)
        stopped = time.monotonic()
        status = _wait(killed, tmp_path / "killed.log", deadline)
        assert status == 1, (tmp_path / "killed.log").read_text()[-3000:]
        assert time.monotonic() - stopped < launcher.TERMINATE_GRACE_SECONDS + 10
        for pid in workers.values():  # both workers gone
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        assert "worker 1 exited with status -9" in (tmp_path / "killed.log").read_text()
        state = backup.read_backup(run / "backup")
        assert state["step_in_epoch"] > 0 and state["epoch"] < 2, state
        assert any(name.startswith("keras-gan-zoo-worker1-") for name in os.listdir(scratch))
        resumed = launch(run, 3, tmp_path / "resumed.log", _env(scratch))
        started.append(resumed)
        assert _wait(resumed, tmp_path / "resumed.log", deadline) == 0, \
            (tmp_path / "resumed.log").read_text()[-3000:]
        assert _wait(started[0], tmp_path / "reference.log", deadline) == 0, \
            (tmp_path / "reference.log").read_text()[-3000:]
    finally:
        _stop(started)
        for pid in workers.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    text = (tmp_path / "resumed.log").read_text()
    assert f"at step {state['step_in_epoch']} of epoch {state['epoch'] + 1}" in text, text
    assert_same_keras_files(run / "model.keras", ref / "model.keras")
    assert not (run / "backup").exists()
    # the killed worker's temporary directory too (TF's autograph files may stay)
    assert not [name for name in os.listdir(scratch) if name.startswith("keras-gan-zoo-worker")]
