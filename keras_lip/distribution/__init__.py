"""The one dispatch point for backend-specific distributed code.

Model and loss code calls these functions only; they pick the module for the
active Keras backend:

* TensorFlow: `tf_negatives`, in the replica context of a `tf.distribute`
  strategy. Values are the replica's share of the global loss (Keras' scaling
  convention under tf.distribute).
* JAX: `jax_negatives`, under a `keras.distribution` with a batch axis
  (`DataParallel`). Values are the global loss.

Both modules expose the same three functions. `replica_sum` (for
optimizers) uses `tf_replicas` and is None on every other backend. The loss functions return None
when no distribution is active; the caller then computes the plain
single-device loss. Other backends (torch) have no distribution support in
Keras 3 and always take the single-device path.
"""

import keras

NEGATIVES = ("auto", "ring", "gather", "local")


def _impl():
    backend = keras.config.backend()
    if backend == "tensorflow":
        from keras_lip.distribution import tf_negatives

        return tf_negatives
    if backend == "jax":
        from keras_lip.distribution import jax_negatives

        return jax_negatives
    return None


def check_finite(logit_scale, logit_bias):
    """Returns `(logit_scale, logit_bias)`, raising if either is not finite."""
    impl = _impl()
    if impl is not None:
        return impl.check_finite(logit_scale, logit_bias)
    for name, value in (("logit_scale", logit_scale), ("logit_bias", logit_bias)):
        if not bool(keras.ops.all(keras.ops.isfinite(value))):
            raise FloatingPointError(f"{name} is not finite: {value}")
    return logit_scale, logit_bias


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
    if keras.config.backend() != "tensorflow":
        return None, 1
    from keras_lip.distribution import tf_replicas

    return tf_replicas.replica_sum(grads)
