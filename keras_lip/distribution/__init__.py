"""The one dispatch point for backend-specific distributed code.

Model, loss and optimizer code calls these functions only; they pick the
module for the active Keras backend:

* TensorFlow: `tf_negatives` / `tf_replicas`, in the replica context of a
  `tf.distribute` strategy. Loss values are the replica's share of the
  global loss (Keras' scaling convention under tf.distribute).
* JAX: `jax_negatives`, under a `keras.distribution` with a batch axis
  (`DataParallel`). Loss values are the global loss.

The loss functions return None when no distribution is active; the caller
then computes the plain single-device loss. Other backends (torch) have no
distribution support in Keras 3 and always take the single-device path.
Process topology (`is_chief`, `process_index`, ...) is in `topology`, and
virtual CPU devices (`configure_cpu_devices`) in `devices`. This module
imports no framework at import time, so `configure_cpu_devices` can run
before TensorFlow or JAX start.
"""

import contextlib

from keras_lip.distribution.devices import configure_cpu_devices
from keras_lip.distribution.topology import is_chief
from keras_lip.distribution.topology import process_count
from keras_lip.distribution.topology import process_index
from keras_lip.distribution.topology import shard_for_process
from keras_lip.ops import finite


def _backend():
    import keras

    return keras.config.backend()


def _impl():
    backend = _backend()
    if backend == "tensorflow":
        from keras_lip.distribution import tf_negatives

        return tf_negatives
    if backend == "jax":
        from keras_lip.distribution import jax_negatives

        return jax_negatives
    return None


def check_finite(logit_scale, logit_bias=None):
    """Returns `(logit_scale, logit_bias)`; raises `ops.NonFiniteError`
    if either is NaN or infinite, eagerly or (inside a compiled step) at
    run time through the backend's own error, which
    `readable_errors()` turns back into `NonFiniteError`."""
    impl = _impl()
    if impl is not None:
        return impl.check_finite(logit_scale, logit_bias)
    import keras

    for name, value in (("logit_scale", logit_scale),
                        ("logit_bias", logit_bias)):
        if value is not None and not bool(
                keras.ops.all(keras.ops.isfinite(value))):
            raise finite.NonFiniteError(finite.message(name, value))
    return logit_scale, logit_bias


@contextlib.contextmanager
def readable_errors():
    """Turns backend errors from inside `fit`/`evaluate` into ones that
    name the problem, the same on both backends:

    * a runtime error from `check_finite` inside a compiled step (TF
      `InvalidArgumentError`, JAX `JaxRuntimeError`) → `ops.NonFiniteError`;
    * JAX's `IndivisibleError` when a global batch does not split over
      the batch axis of the active `keras.distribution` → `ValueError`
      naming both numbers.
    """
    try:
        yield
    except finite.NonFiniteError:
        raise
    except Exception as error:  # noqa: BLE001  Re-raised unless ours.
        text = str(error)
        if finite.MARKER in text:
            start = text.index(finite.MARKER)
            line = text[start:].splitlines()[0]
            raise finite.NonFiniteError(line) from error
        # jax._src.sharding.IndivisibleError is private: matched by name.
        if type(error).__name__ == "IndivisibleError":
            raise ValueError(_indivisible(text)) from error
        raise


def _indivisible(text):
    import re

    size = re.search(r"dimension size is (\d+)", text)
    parts = re.search(r"partitioned (\d+) times", text)
    batch = size.group(1) if size else "?"
    devices = parts.group(1) if parts else "?"
    return (f"A global batch of {batch} examples does not split over the "
            f"{devices} devices of the distribution's batch axis: use a batch "
            f"size that is a multiple of {devices} (and drop_remainder=True "
            "so the last batch is full).")


def sigmoid_loss(zimg, ztxt, logit_scale, logit_bias, negatives):
    """Distributed SigLIP loss, or None when no distribution is active."""
    impl = _impl()
    if impl is None:
        return None
    return impl.sigmoid_loss(zimg, ztxt, logit_scale, logit_bias, negatives)


def softmax_loss(zimg, ztxt, logit_scale, negatives):
    """Distributed CLIP loss, or None when no distribution is active."""
    impl = _impl()
    if impl is None:
        return None
    return impl.softmax_loss(zimg, ztxt, logit_scale, negatives)


def replica_sum(grads):
    """Sums per-replica gradients under tf.distribute: `(summed,
    num_replicas)`, or `(None, 1)` when there is nothing to reduce (JAX
    gradients are already global)."""
    if _backend() != "tensorflow":
        return None, 1
    from keras_lip.distribution import tf_replicas

    return tf_replicas.replica_sum(grads)


def reducible_logs(logs):
    """`fit` logs in a form Keras can reduce across TF workers
    (tensorflow#72388); unchanged elsewhere."""
    if _backend() != "tensorflow":
        return logs
    from keras_lip.distribution import tf_replicas

    return tf_replicas.vector_logs_if_multi_worker(logs)


def first_local_batch(iterator, strategy):
    """One replica's part of the next batch of a Keras TF epoch iterator
    (what Keras' symbolic build needs: structure, dtypes, shapes)."""
    from keras_lip.distribution import tf_replicas

    return tf_replicas.first_local_batch(iterator, strategy)
