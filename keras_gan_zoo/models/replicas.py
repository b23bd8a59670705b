"""`tf.distribute` tools of the training core: one decision for all replicas.

Under a strategy each replica runs `train_step` on its share of the global batch.
Anything that decides whether an update happens (a float16 overflow, VAE-GAN's
equilibrium rule) must decide the same on every replica, and every loss must be
weighted by the replica's share of the global batch. These helpers do both; on one
device they reduce to plain TF ops (no collective is emitted).
"""

import tensorflow as tf


def num_replicas():
    """Replicas of the current `tf.distribute` strategy (1 without one)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def in_multi_worker_mode():
    """Whether the current strategy spans several processes.

    Returns:
        True under a `MultiWorkerMirroredStrategy` whose cluster (from `TF_CONFIG`)
        has more than one worker; False for one process, with any strategy.

    Example:
        >>> in_multi_worker_mode()  # no strategy
        False
    """
    strategy = tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    # The test Keras itself uses to pick its multi-worker reduction of fit's logs.
    return bool(strategy.extended._in_multi_worker_mode())


def xla_unsupported_reason(strategy):
    """Why a `jit_compile=True` training step cannot run under `strategy`, or None.

    Keras compiles the whole `strategy.run(train_step)` of a step as one XLA
    program. That works on one device, and under `TPUStrategy` (whose steps the
    TPU compiler compiles in any case), but not:

    - across the devices of one process (`MirroredStrategy` over 2+ GPUs or
      logical CPUs, or a worker with several): the program runs on one device and
      cannot reach the other replicas' variables ("Trying to access resource ...
      located in device ...:1 from device ...:0", tensorflow/tensorflow#53140,
      keras-team/keras#19005);
    - under `MultiWorkerMirroredStrategy` with RING collectives (the zoo's choice on
      CPUs): XLA compiles NCCL collectives only ("Only compiling NCCL/auto
      collective is supported, got: ring").

    This is why Keras's `jit_compile="auto"` turns XLA off under any strategy.
    Multi-worker NCCL on GPUs (one GPU per worker) is allowed: it could not be
    tried on the CPU-only machine the zoo is tested on.

    Example:
        >>> xla_unsupported_reason(tf.distribute.get_strategy()) is None  # one device
        True
    """
    tpu_strategies = (tf.distribute.TPUStrategy, tf.distribute.experimental.TPUStrategy)
    if isinstance(strategy, tpu_strategies):
        return None
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    if strategy.num_replicas_in_sync == 1 and not multi_worker:
        return None
    devices = tuple(strategy.extended.worker_devices)
    if len(devices) > 1:
        return (f"{type(strategy).__name__} over {len(devices)} devices of one process: "
                "XLA compiles the step as one program on one device, which cannot reach "
                "the other replicas' variables (tensorflow/tensorflow#53140, "
                "keras-team/keras#19005)")
    if multi_worker and strategy.num_replicas_in_sync > 1:
        options = getattr(strategy.extended, "_communication_options", None)
        implementation = getattr(options, "implementation", None)
        kinds = tf.distribute.experimental.CommunicationImplementation
        gpus = any("GPU" in device.upper() for device in devices)
        if implementation == kinds.RING or not gpus:
            return ("MultiWorkerMirroredStrategy with RING collectives (CPU workers): XLA "
                    "compiles NCCL collectives only")
    return None


def logs_for_fit(logs):
    """fit's logs (`{name: scalar}`) in the shape Keras can reduce over workers.

    Keras 3 reduces the logs a `train_step` returns under a multi-worker strategy with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on scalars ("Invalid
    reduction dimension 0 for input with 0 dimensions", keras-team/keras#20585,
    tensorflow/tensorflow#72388). In multi-worker mode each value becomes shape (1,),
    which that reduction averages over the workers back to a scalar; elsewhere the
    logs are returned unchanged.

    Args:
        logs: dict of scalar tensors.

    Returns:
        The same dict, with values of shape (1,) in multi-worker mode.

    Example:
        >>> logs = logs_for_fit({m.name: m.result() for m in self.metrics})  # in train_step
    """
    if not in_multi_worker_mode():
        return logs
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}


def replica_id():
    """Index of the replica running this code (0 outside a replica context)."""
    ctx = tf.distribute.get_replica_context()
    return 0 if ctx is None else ctx.replica_id_in_sync_group


def all_reduce_sum(values):
    """Sums a tensor (or a list of tensors) over the replicas; identity on one device.

    Differentiable: the gradient of an all-sum is an all-sum.
    """
    if num_replicas() == 1:
        return values
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, values)


def global_batch_mean(x):
    """Mean over the GLOBAL batch of (per-replica batch, ...) values.

    The sums and counts are all-reduced, so the value is the same on every replica
    and a loss built on it has the gradient of the global-batch loss once weighted
    by `batch_share` (the shares of all replicas sum to 1).
    """
    total = tf.reduce_sum(x, axis=0)
    count = tf.cast(tf.shape(x)[0], x.dtype)
    total, count = all_reduce_sum([total, count])
    return total / count


def batch_share(batch_size):
    """This replica's share `n_r / N` of the global batch, as a float32 scalar.

    A per-replica mean loss weighted by it sums, over the replicas, to the mean over
    the global batch: also when a final partial batch gives the replicas unequal
    shares, where dividing by the number of replicas would weight the examples of
    the smaller share more.
    """
    local = tf.cast(batch_size, "float32")
    if num_replicas() == 1:
        return tf.ones((), "float32")
    return local / all_reduce_sum(local)


def global_rows(batch_size):
    """`(offset, total)`: where this replica's `batch_size` examples start in the
    global batch, and the global batch size (int32 scalars).

    Replica r holds examples [offset, offset + batch_size) of the global batch, also
    when a final partial batch splits unevenly (7 on 2 replicas: 4 then 3). Draw
    per-example randomness for `total` rows with a replica-independent seed and take
    this slice: the draws then match one device example for example.
    """
    batch_size = tf.cast(batch_size, "int32")
    if num_replicas() == 1:
        return tf.zeros((), "int32"), batch_size
    sizes = all_reduce_sum(tf.one_hot(replica_id(), num_replicas(), dtype="int32")
                           * batch_size)
    offset = tf.reduce_sum(sizes[:replica_id()])
    return offset, tf.reduce_sum(sizes)


def all_finite(grads):
    """A scalar bool: every gradient in `grads` (None entries ignored) is finite, on
    this replica only."""
    checks = [tf.reduce_all(tf.math.is_finite(g)) for g in grads if g is not None]
    return tf.reduce_all(checks) if checks else tf.constant(True)


def all_replicas_true(flags):
    """`flags` (a list of scalar bools) AND-ed over every replica: the same list of
    values on all of them, from one all-reduce of the failures."""
    failures = tf.stack([tf.cast(tf.logical_not(f), "float32") for f in flags])
    return tf.unstack(tf.equal(all_reduce_sum(failures), 0.0), num=len(flags))


def apply_if(condition, optimizer, grads, variables):
    """`optimizer.apply(grads, variables)` when the scalar bool `condition` holds;
    otherwise nothing changes: no weight, optimizer slot, `iterations` or loss scale.

    A zero gradient is not a skipped step (Adam's momentum still moves the weights,
    RMSprop's average decays), hence a real branch. `condition` must be the same on
    every replica (derive it from all-reduced values). Under a strategy whose
    updates go through `merge_call` (MirroredStrategy), the branch is taken in the
    cross-replica context, as Keras's LossScaleOptimizer does: a cond in a replica
    context may not hold a `merge_call`.
    """

    def update(grads, variables):
        optimizer.apply(grads, variables)

    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        tf.cond(condition, lambda: update(grads, variables), lambda: None)
        return

    def cross_replica(distribution, condition, grads, variables):
        # The same value on every replica (the caller's contract): take the first.
        take = distribution.experimental_local_results(condition)[0]
        tf.cond(take,
                lambda: distribution.extended.call_for_each_replica(
                    update, args=(grads, variables)),
                lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica,
                                                   args=(condition, grads, variables))
