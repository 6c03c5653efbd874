"""Where this process sits: chief or not, its index and count, its input
shard. The one place that reads TF_CONFIG or asks JAX about processes."""

import os


def _tf_task():
    """`(task_type, task_id, has_chief, num_workers)` from TF_CONFIG, or
    None when TF_CONFIG names no task."""
    if not os.environ.get("TF_CONFIG"):
        return None
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    if resolver.task_type is None:
        return None
    jobs = resolver.cluster_spec().as_dict()
    workers = len(jobs.get("worker", ())) + len(jobs.get("chief", ()))
    return resolver.task_type, resolver.task_id, "chief" in jobs, workers


def _backend():
    import keras

    return keras.config.backend()


def process_index():
    """This process' index: TF worker index (chief first) or JAX process
    index; 0 for a single process."""
    task = _tf_task()
    if task is not None:
        kind, index, has_chief, _ = task
        return 0 if kind == "chief" else index + int(has_chief)
    if _backend() == "jax":
        import jax

        return jax.process_index()
    return 0


def process_count():
    """Number of training processes (TF workers incl. chief, JAX
    processes)."""
    task = _tf_task()
    if task is not None:
        return task[3]
    if _backend() == "jax":
        import jax

        return jax.process_count()
    return 1


def is_chief():
    """True on the process that writes checkpoints and logs (TF chief, or
    worker 0 when there is no chief; JAX process 0; a single process)."""
    return process_index() == 0


def shard_for_process(input_context=None):
    """`(index, count)` of this input pipeline.

    From a `tf.distribute.InputContext` if given; else on JAX
    `jax.process_index()`/`jax.process_count()`; else `(0, 1)`.

    Example:

    >>> import tensorflow as tf
    >>> shard_for_process(tf.distribute.InputContext(4, 1, 8))
    (1, 4)
    """
    if input_context is not None:
        return (input_context.input_pipeline_id,
                input_context.num_input_pipelines)
    if _backend() == "jax":
        import jax

        return jax.process_index(), jax.process_count()
    return 0, 1
