"""Batched, compiled embedding of images and token ids for evaluation."""

import weakref

import keras
import numpy as np
from keras import ops


def _compiled(model, fn):
    """`fn(x)` compiled once per input shape on the current backend (on JAX:
    `jax.jit` of a stateless call that reads the model's current weights)."""
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, reduce_retracing=True)
    if backend != "jax":
        return fn
    import jax

    def stateless(values, x):
        mapping = list(zip(model.variables, values))
        with keras.StatelessScope(state_mapping=mapping):
            return fn(x)

    jitted = jax.jit(stateless)
    built = []

    def call(x):
        if not built:  # Create any unbuilt weights outside the trace.
            fn(x[:1])
            built.append(True)
        return jitted([v.value for v in model.variables], x)

    return call


class Embedder:
    """Host-side helper: numpy embeddings of a `TwoTower` in batches.

    Args:
        model: a `keras_lip.models.TwoTower` (or anything with
            `embed_images` / `embed_texts`).
        batch_size: rows per forward pass.

    Example:

    >>> from keras_lip.testing import toy_two_tower
    >>> import numpy as np
    >>> embedder = Embedder(toy_two_tower(width=8), batch_size=2)
    >>> embedder.texts(np.ones((3, 5), "int32")).shape
    (3, 8)
    """

    def __init__(self, model, batch_size=256):
        self.model = model
        self.batch_size = int(batch_size)
        self._images = _compiled(
            model, lambda x: model.embed_images(x, training=False))
        self._texts = _compiled(
            model, lambda x: model.embed_texts(x, training=False))

    @classmethod
    def cached(cls, model, batch_size=256):
        """One `Embedder` per (model, batch size), so repeated evaluations
        (callbacks) reuse its compiled functions."""
        per_model = _CACHE.setdefault(model, {})
        if batch_size not in per_model:
            per_model[batch_size] = cls(model, batch_size)
        return per_model[batch_size]

    def images(self, images):
        """float32 numpy `[N, d]` for images `[N, H, W, 3]`."""
        return self._run(self._images, images)

    def texts(self, token_ids):
        """float32 numpy `[N, d]` for token ids `[N, L]`."""
        return self._run(self._texts, token_ids)

    def _run(self, fn, x):
        x = np.asarray(x)
        if not len(x):
            raise ValueError("Nothing to embed: got an empty array.")
        out = []
        for i in range(0, len(x), self.batch_size):
            chunk = x[i:i + self.batch_size]
            # Pad to a power of two (≤ batch_size): few compiled shapes.
            rows = min(self.batch_size, 1 << (len(chunk) - 1).bit_length())
            padded = np.concatenate(
                [chunk, np.repeat(chunk[:1], rows - len(chunk), axis=0)])
            z = np.asarray(ops.convert_to_numpy(fn(padded)), np.float32)
            out.append(z[:len(chunk)])
        return np.concatenate(out, axis=0)


_CACHE = weakref.WeakKeyDictionary()


def as_numpy(x):
    """A tf/jax/numpy tensor as a numpy array."""
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)
