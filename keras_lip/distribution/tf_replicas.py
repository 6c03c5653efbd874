"""tf.distribute helpers for optimizers (TensorFlow backend only)."""

import tensorflow as tf


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
