"""The scripts of issue 18's accelerator and scaling parts, at their tiniest settings.

`benchmarks/scaling.py --quick` (dcgan_tiny in all four configurations, 2 of them
multi-process) and `benchmarks/gpu_check.sh` (without a GPU: the refusal, and the
`--cpu --quick` run) as subprocesses: they exit 0 and print their table with finite,
positive numbers. Each run is bounded by a timeout, runs in its own process group
(killed if it overruns) and leaves no process behind.
"""

import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Seconds a script may take: 5-30 s each on 2 idle cores (measured), more on a shared one.
TIMEOUT = 240


def run(command, **env):
    """`command` in its own session from the repository root; (status, output)."""
    environment = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2", **env)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), environment.get("PYTHONPATH")]))
    proc = subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert_group_gone(proc.pid)
    return proc.returncode, output


def assert_group_gone(group):
    """No live process is left in the process group `group`."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # pgrp, state
            left.append(stat.parent.name)
    assert not left, f"processes left in group {group}: {left}"


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def numbers(line):
    return [float(x.replace(",", "")) for x in re.findall(r"(?<![\w.])\d[\d,]*\.?\d*", line)]


def test_scaling_quick_prints_every_configuration(tmp_path):
    status, output = run([sys.executable, "benchmarks/scaling.py", "--quick",
                          "--json", str(tmp_path / "rows.json")])
    assert status == 0, output[-4000:]
    rows = json.loads((tmp_path / "rows.json").read_text())
    assert [(r["model"], r["config"]) for r in rows] == [
        ("dcgan_tiny", config) for config in ("1proc", "2workers", "mirrored", "1core")]
    for row in rows:
        for key in ("images_per_s", "images_per_cpu_s", "seconds", "cpu_seconds"):
            assert math.isfinite(row[key]) and row[key] > 0, (row["config"], key, row[key])
        assert row["params"] == 2350 and row["allreduce_mb"] == pytest.approx(2350 * 4 / 1e6)
        assert all(math.isfinite(v) for v in row["losses"].values())
    by_config = {r["config"]: r for r in rows}
    assert by_config["2workers"]["processes"] == 2
    assert by_config["2workers"]["threads"] == [1, 1] and by_config["1core"]["threads"] == [1]
    assert by_config["2workers"]["cores"] == [1, 1]
    assert len(set(by_config["2workers"]["pids"])) == 2
    assert by_config["1core"]["global_batch"] * 2 == by_config["1proc"]["global_batch"] == 8
    assert not [pid for r in rows for pid in r["pids"] if alive(pid)]

    table = [line for line in output.splitlines() if line.startswith("| dcgan_tiny")]
    assert len(table) == 4
    for line, label in zip(table, ("1 process", "2 workers, MultiWorkerMirrored",
                                   "MirroredStrategy, 2 logical CPUs", "1 core, half batch")):
        assert label in line
        values = numbers(line.split("|", 2)[2])  # after the model's name
        assert len(values) >= 6 and all(v > 0 and math.isfinite(v) for v in values), line
    assert "multi-worker efficiency" in output
    assert "What these numbers say, and what they do not" in output


def test_gpu_check_without_a_gpu_says_so_and_fails():
    status, output = run(["bash", "benchmarks/gpu_check.sh", "--quick"])
    assert status == 2, output[-3000:]
    assert "TensorFlow sees no GPU" in output and "--cpu" in output


def test_gpu_check_cpu_quick_prints_one_table():
    status, output = run(["bash", "benchmarks/gpu_check.sh", "--cpu", "--quick"])
    assert status == 0, output[-4000:]
    lines = output.splitlines()
    (header,) = [line for line in lines if line.startswith("| model")]
    assert re.search(r"float32 \|\s+mixed_float16 \|\s+XLA \+ mixed_float16 \|$", header)
    (row,) = [line for line in lines if line.startswith("| dcgan_tiny")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1:3] == ["2,350", "8"]
    rates = [float(cell.split()[0]) for cell in cells[3:]]
    assert len(rates) == 3 and all(math.isfinite(r) and r > 0 for r in rates), row
    assert re.search(r"contract cases \(pytest\): 2 passed.*exit status 0", output)
