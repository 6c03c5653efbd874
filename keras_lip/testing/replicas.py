"""Run a loss under N replicas and gather what one device would have seen.

`replicated_value_and_grad(fn, embeddings, scalars, n)` splits each
`[B, ...]` array of `embeddings` over `n` replicas (TensorFlow:
`MirroredStrategy` on logical CPUs; JAX: `keras.distribution.DataParallel` on
host devices), evaluates `fn(*embeddings, *scalars)` and its gradients, and
returns `(loss, grads)` in single-device terms: the global loss, embedding
gradients concatenated over replicas, scalar gradients summed over replicas
(what an optimizer applies). Needs `configure_cpu_devices` first.
"""

import functools

import keras
import numpy as np


@functools.lru_cache(maxsize=None)
def mirrored_strategy(n):
    """A `MirroredStrategy` over logical CPUs 0..n-1, one per n per process.

    Strategies in one process otherwise reuse the same collective group keys
    and abort each other's collectives ("joining a group with size 3, but that
    group has size 2"); TensorFlow's own tests move `_collective_key_base`
    for exactly this reason.
    """
    import tensorflow as tf

    from keras_lip import compat

    compat.set_collective_key_base(1000 * n)
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(n)])


def data_parallel_scope(n, jax_devices=None):
    """A scope that trains data-parallel on `n` replicas: MirroredStrategy
    on TensorFlow, `keras.distribution.DataParallel` over the first
    `jax_devices` (default `n`) host devices on JAX."""
    if keras.config.backend() == "tensorflow":
        return mirrored_strategy(n).scope()
    import jax

    return keras.distribution.DataParallel(
        devices=jax.devices()[:jax_devices or n]).scope()


def tensorflow_replicated_step(fn, embeddings, scalars, n):
    """`(strategy, step)`: `step()` runs `fn` and its gradients on n replicas.

    Each replica gets its slice of every `[B, ...]` array of `embeddings` and
    its own copy of `scalars`; `step()` returns the per-replica
    `(share, grads)` of one traced `tf.function` (reused across calls).
    """
    import tensorflow as tf

    strategy = mirrored_strategy(n)
    per_replica = embeddings[0].shape[0] // n

    def values(ctx):
        i = ctx.replica_id_in_sync_group
        return [e[i * per_replica:(i + 1) * per_replica] for e in embeddings]

    inputs = strategy.experimental_distribute_values_from_function(values)

    def replica_fn(local):
        local = [tf.identity(e) for e in local]
        consts = [tf.constant(s) for s in scalars]
        with tf.GradientTape() as tape:
            tape.watch(local + consts)
            share = fn(*local, *consts)
        return share, tape.gradient(share, local + consts)

    step = tf.function(lambda x: strategy.run(replica_fn, (x,)))
    return strategy, lambda: step(inputs)


def _tensorflow(fn, embeddings, scalars, n):
    strategy, step = tensorflow_replicated_step(fn, embeddings, scalars, n)
    share, grads = step()
    shares = strategy.experimental_local_results(share)
    grads = [strategy.experimental_local_results(g) for g in grads]
    k = len(embeddings)
    emb_grads = [np.concatenate([np.asarray(x) for x in g]) for g in grads[:k]]
    scalar_grads = [np.sum([np.asarray(x) for x in g], axis=0) for g in grads[k:]]
    return float(np.sum([np.asarray(s) for s in shares])), emb_grads + scalar_grads


def _jax(fn, embeddings, scalars, n):
    import jax

    distribution = keras.distribution.DataParallel(devices=jax.devices()[:n])
    with distribution.scope():
        args = list(embeddings) + list(scalars)
        value, grads = jax.jit(jax.value_and_grad(
            fn, argnums=tuple(range(len(args)))))(*args)
    return float(value), [np.asarray(g) for g in grads]


def replicated_value_and_grad(fn, embeddings, scalars, n):
    backend = keras.config.backend()
    if backend == "tensorflow":
        return _tensorflow(fn, embeddings, scalars, n)
    if backend == "jax":
        return _jax(fn, embeddings, scalars, n)
    raise NotImplementedError(f"No multi-replica runs on backend {backend}.")
