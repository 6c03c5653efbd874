"""tf.distribute helpers for optimizers (TensorFlow backend only)."""

import tensorflow as tf

from keras_lip import compat


def replica_sum(grads):
    """All-reduces (SUM) `grads` across replicas: `(summed, num_replicas)`,
    or `(None, 1)` outside a replica context with several replicas. None
    entries stay None."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None, 1
    present = [g for g in grads if g is not None]
    reduced = iter(context.all_reduce(tf.distribute.ReduceOp.SUM, present))
    return ([None if g is None else next(reduced) for g in grads],
            context.num_replicas_in_sync)


def first_local_batch(iterator, strategy):
    """One replica's part of the next batch of a Keras TF epoch iterator
    (what Keras' symbolic build needs: structure, dtypes, shapes)."""
    for _, _, data_iterator in iterator:
        batch = next(data_iterator)
        return tf.nest.map_structure(
            lambda x: strategy.experimental_local_results(x)[0]
            if isinstance(x, tf.distribute.DistributedValues) else x, batch)
    return None


def vector_logs_if_multi_worker(logs):
    """Keras 3 reduces `fit` logs across workers with `reduce("MEAN", v,
    axis=0)`, which fails on scalars (tensorflow#72388). Shape `[1]` logs
    reduce to the mean over all replicas, as on one worker."""
    strategy = tf.distribute.get_strategy()
    multi_worker = (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and compat.in_multi_worker_mode(strategy))
    if not multi_worker:
        return logs
    return tf.nest.map_structure(lambda v: tf.reshape(v, [1]), logs)
