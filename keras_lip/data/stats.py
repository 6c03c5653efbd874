"""Counts of skipped inputs, readable while and after a pipeline runs."""

import tensorflow as tf
from absl import logging

from keras_lip.data import image_ops, text_ops

UNDECODABLE_IMAGE = 4

# Reason code -> name; code 0 means the example is fine.
REASONS = {
    image_ops.EMPTY_IMAGE: "empty_image",
    image_ops.UNSUPPORTED_FORMAT: "unsupported_format",
    image_ops.TRUNCATED_IMAGE: "truncated_image",
    UNDECODABLE_IMAGE: "undecodable_image",
    text_ops.EMPTY_CAPTION: "empty_caption",
    text_ops.INVALID_UTF8_CAPTION: "invalid_utf8_caption",
}
_DEPTH = max(REASONS) + 1


class BadInputCounter:
    """Per-reason counts of skipped examples, kept in `tf.Variable`s.

    The pipeline updates the counts from its sequential stages (see
    `ImageTextPipeline`), so they work in graph mode and on both Keras
    backends. `result()` reads them at any time: every example that has
    reached the batching stage is accounted for.

    Made inside a `MirroredStrategy` scope the variables are mirrored; the
    pipeline's updates (in cross-replica context) still apply to all copies.

    Example:

    >>> counter = BadInputCounter()
    >>> counter.result()["empty_image"], counter.total()
    (0, 0)
    >>> counter.summary()
    'input pipeline: 0 examples delivered, 0 skipped'
    """

    def __init__(self, name="bad_inputs"):
        self.name = name
        with tf.init_scope():
            self.counts = tf.Variable(tf.zeros([_DEPTH], tf.int64),
                                      trainable=False, name=f"{name}_counts")
            # Position of the last example that passed the byte checks, and
            # of the last one that came out of decoding (see pipeline.py).
            self.checked = tf.Variable(tf.constant(0, tf.int64),
                                       trainable=False, name=f"{name}_checked")
            self.last_decoded = tf.Variable(
                tf.constant(0, tf.int64), trainable=False,
                name=f"{name}_last_decoded")
            self.delivered = tf.Variable(
                tf.constant(0, tf.int64), trainable=False,
                name=f"{name}_delivered")

    def add(self, reason, count=1):
        """Adds `count` to `reason` (int code; 0 is ignored). Graph-safe."""
        one_hot = tf.one_hot(reason, _DEPTH, dtype=tf.int64)
        one_hot = one_hot * tf.cast(tf.not_equal(reason, 0), tf.int64)
        return self.counts.assign_add(one_hot * tf.cast(count, tf.int64))

    def result(self):
        """`{reason name: count}` as Python ints."""
        counts = self.counts.numpy()
        return {name: int(counts[code]) for code, name in REASONS.items()}

    def total(self):
        """Number of skipped examples, all reasons together."""
        return sum(self.result().values())

    def summary(self):
        """One line: delivered and skipped examples, the non-zero reasons."""
        parts = [f"{n}={c}" for n, c in self.result().items() if c]
        reasons = f" ({', '.join(parts)})" if parts else ""
        return (f"input pipeline: {int(self.delivered.numpy())} examples "
                f"delivered, {self.total()} skipped{reasons}")

    def log_summary(self):
        """Logs `summary()` with absl (a warning if anything was skipped)."""
        log = logging.warning if self.total() else logging.info
        log("%s", self.summary())
        return self.summary()

    def reset(self):
        """Sets every count to zero."""
        for variable in (self.counts, self.checked, self.last_decoded,
                         self.delivered):
            variable.assign(tf.zeros_like(variable))
