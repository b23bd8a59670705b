"""`keras-gan-zoo launch`: a multi-worker job of local processes on 127.0.0.1.

For trying multi-worker training on one machine (and for the tests): N copies of a
`keras-gan-zoo train ...` command, each with a generated `TF_CONFIG` naming all N
workers and its own index. Their output is streamed with a `[worker i]` prefix. When
a worker fails, the launch times out or is interrupted (Ctrl-C, SIGTERM), every
worker's process group is stopped, so nothing is left running. On a real cluster
the scheduler starts the processes and sets `TF_CONFIG` itself (docs/distributed.md).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

#: Seconds a worker gets to exit after SIGTERM before it is killed.
TERMINATE_GRACE_SECONDS = 5.0
#: Exit status of a launch stopped by its --timeout (as timeout(1)), or by Ctrl-C.
TIMEOUT_STATUS = 124
INTERRUPTED_STATUS = 130
#: The commands a launch may run.
LAUNCHABLE_COMMANDS = ("train",)


class LaunchInterrupted(Exception):
    """SIGTERM reached the launcher: stop the workers as for Ctrl-C."""


def free_ports(count, host="127.0.0.1"):
    """`count` distinct TCP ports that were free on `host` a moment ago.

    Each is found by binding to port 0 (the OS picks an unused one); all sockets are
    held open until every port is known, so the ports differ. Another process may
    still take one before a worker binds it: pass fixed ports (`--port`) if so.

    Example:
        >>> len(set(free_ports(3)))
        3
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def local_tf_configs(ports, host="127.0.0.1"):
    """One `TF_CONFIG` JSON string per worker of a cluster on `host`:`ports`.

    Example:
        >>> json.loads(local_tf_configs([2222, 2223])[1])["task"]
        {'type': 'worker', 'index': 1}
    """
    cluster = {"worker": [f"{host}:{port}" for port in ports]}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            for index in range(len(ports))]


def zoo_command(arguments):
    """The command line of a worker running `keras-gan-zoo ARGUMENTS` (with this
    Python), from `launch`'s arguments after `--`.

    Raises:
        ValueError: no command, or one that is not `train`.

    Example:
        >>> zoo_command(["--", "train", "dcgan"])[-2:]
        ['train', 'dcgan']
    """
    arguments = list(arguments)
    if arguments and arguments[0] == "--":
        arguments = arguments[1:]
    if not arguments or arguments[0] not in LAUNCHABLE_COMMANDS:
        got = " ".join(arguments) if arguments else "nothing"
        raise ValueError(f"launch runs a training command on every worker: expected "
                         f"`-- train MODEL [options]`; got {got!r}.")
    return [sys.executable, "-m", "keras_gan_zoo.cli", *arguments]


def _parent_death_signal():
    """A function for the child before exec that makes Linux SIGKILL it when the
    launcher dies (prctl PR_SET_PDEATHSIG), so a killed launcher cannot leave workers
    waiting for each other for ever; `None` where that is unavailable (the launcher's
    own cleanup still stops the workers). Resolved in the parent: the child only
    makes the call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGKILL)


def _stop(processes):
    """SIGTERM to every live worker's process group, SIGKILL after a grace period."""
    for proc in processes:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + TERMINATE_GRACE_SECONDS
    for proc in processes:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)  # each worker leads its own group (start_new_session)
    except ProcessLookupError:
        pass


def _stream(proc, prefix, out, lock):
    for line in proc.stdout:
        with lock:
            out.write(prefix + line if line.endswith("\n") else prefix + line + "\n")
            out.flush()
    proc.stdout.close()


def run_local_workers(command, workers, port=None, timeout=None, env=None, out=None):
    """Runs `command` as `workers` local processes of one cluster on 127.0.0.1.

    Each process gets the environment plus its own `TF_CONFIG`, starts in its own
    process group, and dies with the launcher on Linux. Its output (stdout and
    stderr) is streamed line by line with a `[worker i] ` prefix.

    Args:
        command: the program and its arguments, e.g. `zoo_command(["train", ...])`.
        workers: number of processes, >= 1.
        port: first port (workers listen on `port .. port + workers - 1`); `None`
            picks free ports.
        timeout: seconds after which the workers are stopped and the launch fails
            (`TIMEOUT_STATUS`); `None` waits for ever.
        env: base environment of the workers (default `os.environ`); each gets its
            own `TF_CONFIG` on top.
        out: text stream for the workers' prefixed output (default `sys.stdout`).

    Returns:
        0 when every worker exits 0; else the first failure's status (1 for a
        worker killed by a signal), `TIMEOUT_STATUS` or `INTERRUPTED_STATUS`.

    Raises:
        ValueError: a bad worker count, port or timeout.

    Example:
        >>> run_local_workers(zoo_command(["train", "dcgan_tiny", "--out", "D"]), 2)
        0
    """
    command = list(command)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"--workers must be a positive int; got {workers!r}.")
    if port is not None and not 1 <= port <= 65536 - workers:
        raise ValueError(f"--port must leave room for {workers} ports below 65536 "
                         f"(1..{65536 - workers}); got {port}.")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"--timeout must be positive seconds; got {timeout}.")
    out = sys.stdout if out is None else out
    ports = free_ports(workers) if port is None else list(range(port, port + workers))
    base = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
    lock = threading.Lock()

    def say(text):
        with lock:
            out.write(f"[launch] {text}\n")
            out.flush()

    processes, readers = [], []
    previous_handler = None
    if threading.current_thread() is threading.main_thread():
        previous_handler = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        say(f"{workers} worker(s) on 127.0.0.1 ports {', '.join(map(str, ports))}: "
            f"{' '.join(command)}")
        die_with_launcher = _parent_death_signal()
        for tf_config in local_tf_configs(ports):  # all forks before any reader thread
            processes.append(subprocess.Popen(
                command, env=dict(base, TF_CONFIG=tf_config), stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                errors="replace", start_new_session=True, preexec_fn=die_with_launcher))
        for index, proc in enumerate(processes):
            reader = threading.Thread(target=_stream, args=(proc, f"[worker {index}] ", out,
                                                            lock), daemon=True)
            reader.start()
            readers.append(reader)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            statuses = [proc.poll() for proc in processes]
            failed = [(i, s) for i, s in enumerate(statuses) if s not in (None, 0)]
            if failed:
                index, status = failed[0]
                say(f"worker {index} exited with status {status}; stopping the others.")
                return status if status > 0 else 1
            if all(status == 0 for status in statuses):
                return 0
            if deadline is not None and time.monotonic() > deadline:
                say(f"timed out after {timeout:g} s; stopping the workers.")
                return TIMEOUT_STATUS
            time.sleep(0.2)
    except (KeyboardInterrupt, LaunchInterrupted):
        say("interrupted; stopping the workers.")
        return INTERRUPTED_STATUS
    finally:
        _stop(processes)
        for reader in readers:
            reader.join(timeout=TERMINATE_GRACE_SECONDS)
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)


def _raise_interrupted(signum, frame):
    raise LaunchInterrupted()
