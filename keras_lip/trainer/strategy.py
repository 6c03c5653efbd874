"""The distribution scope a config asks for (TF strategies, JAX mesh)."""

import contextlib

import keras


def scope_for(config):
    """A context manager: a tf.distribute strategy scope, a
    `keras.distribution` scope, or a null context for `strategy="none"`."""
    kind = config.strategy
    if kind == "none":
        return contextlib.nullcontext()
    if kind == "jax_data_parallel":
        # keras_lip's input pipelines already read only this process' part
        # of each global batch (its own files/slice), so Keras must not
        # re-shard them (it would halve the batch again).
        return keras.distribution.DataParallel(
            auto_shard_dataset=False).scope()
    import tensorflow as tf

    if kind == "mirrored":
        return tf.distribute.MirroredStrategy(
            [d.name for d in tf.config.list_logical_devices("CPU")]
            if config.cpu_devices else None).scope()
    if kind == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy().scope()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
        tpu=config.tpu or None)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver).scope()
