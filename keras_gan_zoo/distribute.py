"""Training on several machines: the strategy, roles and data policy from `TF_CONFIG`.

The zoo trains on TensorFlow's own multi-worker engine,
`tf.distribute.MultiWorkerMirroredStrategy`, configured the standard way: every
process of the job gets a `TF_CONFIG` environment variable naming the whole cluster
and its own place in it::

    {"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]},
     "task": {"type": "worker", "index": 0}}

This module reads it once per process and answers what the training code needs:

- `strategy_from_environment()`: `MultiWorkerMirroredStrategy` (with an explicit
  collective implementation) when `TF_CONFIG` names more than one worker, else the
  default strategy, as without `TF_CONFIG`. Call it before any other TensorFlow op:
  collective ops are configured when the runtime starts.
- `is_chief()`, `worker_index()`, `num_workers()`: the chief is the `chief` task, or
  worker 0 of a cluster without one. Only the chief writes the files a user keeps.
- `worker_output_dir(out)`: `out` on the chief; on another worker a private
  temporary directory, deleted when the block ends. Every worker must run the same
  saving code (saving reads distributed variables, which can be a collective op that
  all workers join), so the others save too, into a directory nobody keeps.
- `shard_by_data(dataset)`: the auto-shard policy set to `DATA`. Each worker builds
  the same input pipeline over the whole dataset, batched by the GLOBAL batch size
  (`global_batch_size`); every global batch is split into one slice per replica and
  each worker keeps its own slices. Every worker therefore reads every file and must
  shuffle with the same seed (the zoo's loaders take `seed=`), or the workers' slices
  would overlap.

Example:
    >>> from keras_gan_zoo import distribute
    >>> strategy = distribute.strategy_from_environment()     # first TF call
    >>> with strategy.scope():
    ...     model = kgz.create_model("dcgan", image_shape=(28, 28, 1))
    ...     model.compile()
    >>> ds = kgz.datasets.load("fashion_mnist", seed=0,
    ...                        batch_size=distribute.global_batch_size(64))
    >>> with distribute.worker_output_dir("runs/dcgan") as out:
    ...     model.fit(distribute.shard_by_data(ds), callbacks=[
    ...         kgz.callbacks.TrainingCheckpoint(os.path.join(out, "model.keras"))])
"""

import contextlib
import dataclasses
import json
import os
import shutil
import tempfile

#: The environment variable TensorFlow's cluster resolver reads.
TF_CONFIG = "TF_CONFIG"

#: Task types of a multi-worker cluster that train (one optional chief, workers).
TRAINING_TASK_TYPES = ("chief", "worker")

#: Collective implementations by name: `"auto"` picks NCCL with GPUs, else RING.
COMMUNICATIONS = ("auto", "ring", "nccl")


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
    """The parts of a validated `TF_CONFIG` that training uses.

    Attributes:
        cluster: `{"chief": [address], "worker": [address, ...]}`, the keys present.
        task_type: `"chief"` or `"worker"`: this process's role.
        task_index: this process's index among the tasks of its type.
    """

    cluster: dict
    task_type: str
    task_index: int

    @property
    def num_workers(self):
        """The training processes of the cluster (the chief included)."""
        return sum(len(self.cluster.get(kind, ())) for kind in TRAINING_TASK_TYPES)

    @property
    def is_chief(self):
        """True for the `chief` task, or worker 0 when the cluster has no chief."""
        if "chief" in self.cluster:
            return self.task_type == "chief"
        return self.task_index == 0

    @property
    def worker_index(self):
        """This process's place among all training processes, the chief first."""
        if self.task_type == "worker" and "chief" in self.cluster:
            return self.task_index + 1
        return self.task_index


def _check_address(address, where):
    if not isinstance(address, str) or ":" not in address:
        raise ValueError(f"TF_CONFIG: {where} must be a 'host:port' string; got {address!r}.")
    host, port = address.rsplit(":", 1)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"TF_CONFIG: {where} must be a 'host:port' string with a port in "
                         f"1..65535; got {address!r}.")


def parse_tf_config(text):
    """Validates a `TF_CONFIG` value and returns what training needs from it.

    Args:
        text: the JSON string (the environment variable's value); `None` or a blank
            string means no cluster.

    Returns:
        A `ClusterConfig`, or `None` when `text` is empty.

    Raises:
        ValueError: not JSON, not an object, no `cluster` or `task`, a cluster
            with task types other than `chief` / `worker` / `evaluator` (parameter
            servers are another strategy), malformed addresses, a task type outside
            the cluster or an index out of range; the message says what was expected.

    Example:
        >>> parse_tf_config('{"cluster": {"worker": ["a:1", "b:2"]}, '
        ...                 '"task": {"type": "worker", "index": 1}}').num_workers
        2
    """
    if text is None or not text.strip():
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}); expected an object such "
                         'as {"cluster": {"worker": ["host:port", ...]}, "task": {"type": '
                         f'"worker", "index": 0}}}}; got {text[:200]!r}.') from None
    if not isinstance(config, dict):
        raise ValueError(f"TF_CONFIG must be a JSON object with 'cluster' and 'task'; got "
                         f"{type(config).__name__} {text[:200]!r}.")
    for key in ("cluster", "task"):
        if key not in config:
            raise ValueError(f"TF_CONFIG has no {key!r} entry (keys: {sorted(config)}); "
                             "expected 'cluster' (task type -> list of 'host:port') and "
                             "'task' ({'type': ..., 'index': ...}).")
    cluster, task = config["cluster"], config["task"]
    if not isinstance(cluster, dict) or not cluster:
        raise ValueError("TF_CONFIG 'cluster' must be a non-empty object of task type -> "
                         f"list of 'host:port'; got {cluster!r}.")
    unknown = sorted(set(cluster) - {*TRAINING_TASK_TYPES, "evaluator"})
    if unknown:
        raise ValueError(f"TF_CONFIG 'cluster' has task types {unknown}; multi-worker "
                         f"training takes {list(TRAINING_TASK_TYPES)} (and ignores "
                         "'evaluator'). Parameter servers ('ps') belong to "
                         "ParameterServerStrategy, which the zoo does not use.")
    seen = {}
    for kind, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise ValueError(f"TF_CONFIG cluster[{kind!r}] must be a non-empty list of "
                             f"'host:port'; got {addresses!r}.")
        for i, address in enumerate(addresses):
            _check_address(address, f"cluster[{kind!r}][{i}]")
            if address in seen:
                raise ValueError(f"TF_CONFIG: {address!r} is both {seen[address]} and "
                                 f"{kind} {i}; every task needs its own address.")
            seen[address] = f"{kind} {i}"
    if len(cluster.get("chief", ())) > 1:
        raise ValueError(f"TF_CONFIG may name one chief; got {len(cluster['chief'])}.")
    if "worker" not in cluster and "chief" not in cluster:
        raise ValueError("TF_CONFIG 'cluster' names no 'chief' or 'worker' task.")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ValueError("TF_CONFIG 'task' must be an object with 'type' and 'index' "
                         f"({{'type': 'worker', 'index': 0}}); got {task!r}.")
    task_type, index = task["type"], task["index"]
    if task_type not in TRAINING_TASK_TYPES:
        raise ValueError(f"TF_CONFIG task type {task_type!r} does not train; this process "
                         f"must be one of {list(TRAINING_TASK_TYPES)}.")
    if task_type not in cluster:
        raise ValueError(f"TF_CONFIG task type {task_type!r} is not in the cluster "
                         f"(task types: {sorted(cluster)}).")
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError(f"TF_CONFIG task index must be an int; got {index!r}.")
    count = len(cluster[task_type])
    if not 0 <= index < count:
        raise ValueError(f"TF_CONFIG task index {index} is out of range: the cluster has "
                         f"{count} {task_type} task{'s' if count != 1 else ''} (indices "
                         f"0..{count - 1}).")
    training = {kind: list(cluster[kind]) for kind in TRAINING_TASK_TYPES if kind in cluster}
    return ClusterConfig(cluster=training, task_type=task_type, task_index=index)


def cluster_from_environment(environ=None):
    """`parse_tf_config` of the `TF_CONFIG` environment variable.

    Args:
        environ: a mapping to read instead of `os.environ` (tests).

    Returns:
        A `ClusterConfig`, or `None` when `TF_CONFIG` is unset or blank.

    Example:
        >>> cluster_from_environment({})  # no TF_CONFIG
    """
    environ = os.environ if environ is None else environ
    return parse_tf_config(environ.get(TF_CONFIG))


def num_workers(environ=None):
    """Training processes in the job: 1 without `TF_CONFIG`.

    Example:
        >>> batch = 64 * num_workers()  # the global batch of 64 per worker
    """
    cluster = cluster_from_environment(environ)
    return 1 if cluster is None else cluster.num_workers


def worker_index(environ=None):
    """This process's index among the training processes (0 = the chief).

    Example:
        >>> print(f"worker {worker_index()} of {num_workers()}")  # without TF_CONFIG
        worker 0 of 1
    """
    cluster = cluster_from_environment(environ)
    return 0 if cluster is None else cluster.worker_index


def is_chief(environ=None):
    """True for the process that writes checkpoints, grids and logs: the only one
    without `TF_CONFIG`, else the `chief` task or worker 0 of a cluster without one.

    Example:
        >>> if is_chief():  # without TF_CONFIG, the only worker is the chief
        ...     print("writing runs/dcgan/model.keras")
        writing runs/dcgan/model.keras
    """
    cluster = cluster_from_environment(environ)
    return cluster is None or cluster.is_chief


def global_batch_size(per_worker_batch_size, environ=None):
    """The global batch of a job: `per_worker_batch_size` times the workers.

    Batch a dataset by this size before `fit`: the strategy splits each batch
    over the replicas of all workers.

    Example:
        >>> global_batch_size(64)  # 128 with TF_CONFIG naming 2 workers
        64
    """
    return int(per_worker_batch_size) * num_workers(environ)


def communication_options(communication="auto"):
    """`tf.distribute.experimental.CommunicationOptions` for `communication`.

    Args:
        communication: `"ring"` (gRPC ring all-reduce: CPUs, or GPUs without NCCL),
            `"nccl"` (GPUs), or `"auto"`: NCCL when this process sees a GPU, else RING.

    Returns:
        The options, with that implementation set.

    Example:
        >>> communication_options("ring").implementation.name
        'RING'
    """
    import tensorflow as tf

    if communication not in COMMUNICATIONS:
        raise ValueError(f"communication must be one of {list(COMMUNICATIONS)}; got "
                         f"{communication!r}.")
    implementations = tf.distribute.experimental.CommunicationImplementation
    if communication == "auto":
        communication = "nccl" if tf.config.list_physical_devices("GPU") else "ring"
    implementation = {"ring": implementations.RING, "nccl": implementations.NCCL}
    return tf.distribute.experimental.CommunicationOptions(
        implementation=implementation[communication])


_STRATEGY = {}


def strategy_from_environment(communication="auto"):
    """The strategy `TF_CONFIG` asks for, created once per process.

    Call it before any other TensorFlow operation of the process (creating a
    tensor, a variable or a model): `MultiWorkerMirroredStrategy` configures the
    collective ops of the runtime, which must not have started yet.

    Args:
        communication: the collective implementation, see `communication_options`.

    Returns:
        `tf.distribute.MultiWorkerMirroredStrategy` when `TF_CONFIG` names more than
        one training process; otherwise the default strategy (one device, as
        without `TF_CONFIG`). The same object on every later call.

    Raises:
        ValueError: a malformed `TF_CONFIG` (see `parse_tf_config`).
        RuntimeError: TensorFlow's runtime had already started, or this process
            already joined a cluster of another `TF_CONFIG`.

    Example:
        >>> strategy = strategy_from_environment()
        >>> with strategy.scope():
        ...     model = kgz.create_model("dcgan_tiny"); model.compile()
    """
    import tensorflow as tf

    cluster = cluster_from_environment()
    if cluster is None or cluster.num_workers < 2:
        return tf.distribute.get_strategy()
    if "strategy" in _STRATEGY:
        if _STRATEGY["cluster"] != cluster:
            raise RuntimeError("This process already joined a cluster of another TF_CONFIG; "
                               "a process trains in one cluster.")
        return _STRATEGY["strategy"]
    try:
        # TensorFlow's TFConfigClusterResolver reads the same TF_CONFIG, validated above.
        strategy = tf.distribute.MultiWorkerMirroredStrategy(
            communication_options=communication_options(communication))
    except RuntimeError as error:
        raise RuntimeError(
            f"Could not start multi-worker training ({error}). Create the strategy "
            "(keras_gan_zoo.distribute.strategy_from_environment()) before any other "
            "TensorFlow operation of the process: collective ops are configured when "
            "the runtime starts.") from error
    _STRATEGY.update(strategy=strategy, cluster=cluster)
    return strategy


def shard_by_data(dataset):
    """`dataset` with the auto-shard policy `DATA`: each worker keeps its slices of
    every global batch.

    Each worker iterates the whole pipeline; batch it by the global batch size
    (`global_batch_size`) and shuffle it with the same seed on every worker. The
    policy is set explicitly because the default, `AUTO`, shards by file when it
    can, which would give each worker different files and, for a dataset of fewer
    files than workers, no data at all. Public attributes the zoo's loaders attach
    (`source`, `class_names`, `domain_names`, ...) are kept.

    Args:
        dataset: a batched `tf.data.Dataset`.

    Returns:
        The dataset with the option set (a new `tf.data.Dataset`).

    Example:
        >>> ds = shard_by_data(kgz.datasets.load("fashion_mnist", batch_size=128, seed=0))
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    sharded = dataset.with_options(options)
    for name, value in vars(dataset).items():
        if not name.startswith("_") and not hasattr(sharded, name):
            setattr(sharded, name, value)
    return sharded


@contextlib.contextmanager
def worker_output_dir(out, environ=None):
    """Where this process writes: `out` on the chief, a fresh temporary directory
    on any other worker, removed with its contents when the block ends.

    Args:
        out: the run's output directory (the chief's).
        environ: a mapping to read instead of `os.environ` (tests).

    Yields:
        The directory to write into.

    Example:
        >>> with worker_output_dir("runs/dcgan") as out:
        ...     model.fit(ds, callbacks=[TrainingCheckpoint(os.path.join(out, "model.keras"))])
    """
    if is_chief(environ):
        yield out
        return
    remove_stale_worker_dirs()
    scratch = tempfile.mkdtemp(prefix=f"{WORKER_DIR_PREFIX}{worker_index(environ)}-"
                                      f"{os.getpid()}-")
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


#: Temporary directories of non-chief workers: `<prefix><index>-<pid>-XXXXXXXX`.
WORKER_DIR_PREFIX = "keras-gan-zoo-worker"


def remove_stale_worker_dirs(directory=None):
    """Removes the temporary directories of workers that died without deleting them
    (a worker killed with SIGKILL cannot): those of this user in `directory`
    (default: the system's temporary directory) whose process no longer exists.

    Returns:
        The paths removed.

    Example:
        >>> remove_stale_worker_dirs()   # at the start of a worker
        []
    """
    directory = tempfile.gettempdir() if directory is None else directory
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        parts = name[len(WORKER_DIR_PREFIX):].split("-")
        if not name.startswith(WORKER_DIR_PREFIX) or len(parts) != 3 \
                or not parts[1].isdigit():
            continue
        path = os.path.join(directory, name)
        try:
            if os.stat(path).st_uid != os.getuid() or _process_exists(int(parts[1])):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def gather_from_workers(strategy, values):
    """The integers `values` of every replica of `strategy`, in replica order.

    A collective: every worker must call it. Used to check that the workers agree
    before training (the same checkpoint to resume from), where a disagreement
    would otherwise deadlock in the first all-reduce.

    Args:
        strategy: the training strategy.
        values: a sequence of Python ints, this process's.

    Returns:
        A list of tuples of ints, one tuple per replica (`[tuple(values)]` without a
        multi-worker strategy).

    Example:
        >>> gather_from_workers(strategy, [epochs_done])   # e.g. [(3,), (3,)]
    """
    import tensorflow as tf

    values = tuple(int(v) for v in values)
    if strategy.num_replicas_in_sync == 1:
        return [values]
    local = tf.constant([values], tf.int64)
    per_replica = strategy.experimental_distribute_values_from_function(lambda _: local)
    return [tuple(int(v) for v in row) for row in strategy.gather(per_replica, axis=0).numpy()]
