"""Step checkpoints in a workdir, written atomically, for exact resume.

Training runs as `fit(epochs=total_steps // steps_per_epoch)` where one
Keras "epoch" is one checkpoint interval, so Keras' own `initial_epoch`
resumes the step count, and `Checkpointer` saves at every epoch end:
model weights, optimizer state (iterations, moments) and every other Keras
variable (seed-generator states included) in one `.weights.h5`, plus a
small JSON naming the latest complete file. Each file is written to a
temporary name and renamed, so a `kill -9` at any moment leaves the
previous checkpoint intact. Paths go through `tf.io.gfile`, so a workdir
may be on any filesystem TensorFlow supports (`gs://`, `ram://`, ...).
"""

import json
import posixpath
import shutil
import tempfile

import keras
import tensorflow as tf

from keras_lip import distribution

INDEX = "checkpoint.json"


def join(*parts):
    """Path join that keeps `scheme://` prefixes intact."""
    return posixpath.join(*[str(p) for p in parts])


def latest(directory):
    """`{"epoch", "step", "file"}` of the newest complete checkpoint, or
    None."""
    path = join(directory, INDEX)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        index = json.load(f)
    if not tf.io.gfile.exists(join(directory, index["file"])):
        raise FileNotFoundError(
            f"{path} names {index['file']}, which is missing: the checkpoint "
            "directory was modified by hand. Remove it to start afresh.")
    return index


def restore(model, directory):
    """Loads the newest checkpoint into a built, compiled `model`.

    Returns:
        The epoch to resume from (0 when there is no checkpoint).
    """
    index = latest(directory)
    if index is None:
        return 0
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(join(directory, index["file"]))
    return int(index["epoch"])


def _write_json(path, value):
    tmp = f"{path}.tmp"
    with tf.io.gfile.GFile(tmp, "w") as f:
        json.dump(value, f)
    tf.io.gfile.rename(tmp, path, overwrite=True)


class Checkpointer(keras.callbacks.Callback):
    """Saves a checkpoint at every epoch end (one epoch = one interval).

    Args:
        directory: where checkpoints go (created if needed; any
            `tf.io.gfile` filesystem).
        steps_per_epoch: steps per epoch, to name files by step.
        keep: how many checkpoints to keep.

    Example:

    >>> import tempfile
    >>> callback = Checkpointer(tempfile.mkdtemp(), steps_per_epoch=10)
    >>> callback.keep
    2
    """

    def __init__(self, directory, steps_per_epoch, keep=2):
        super().__init__()
        self.directory = str(directory)
        self.steps_per_epoch = int(steps_per_epoch)
        self.keep = int(keep)

    def on_epoch_end(self, epoch, logs=None):
        if not distribution.is_chief():
            # Reading sync-on-read variables is a collective under
            # MultiWorkerMirroredStrategy, so every worker must save; the
            # others write to a scratch directory and drop it.
            scratch = tempfile.mkdtemp(prefix="keras_lip_ckpt_")
            self.model.save_weights(join(scratch, "w.weights.h5"))
            shutil.rmtree(scratch, ignore_errors=True)
            return
        tf.io.gfile.makedirs(self.directory)
        step = (epoch + 1) * self.steps_per_epoch
        name = f"ckpt-{step:09d}.weights.h5"
        tmp = join(self.directory, f".tmp-{name}")
        self.model.save_weights(tmp)
        tf.io.gfile.rename(tmp, join(self.directory, name), overwrite=True)
        _write_json(join(self.directory, INDEX),
                    {"epoch": epoch + 1, "step": step, "file": name})
        files = sorted(f for f in tf.io.gfile.listdir(self.directory)
                       if f.startswith("ckpt-"))
        for old in files[:-self.keep]:
            tf.io.gfile.remove(join(self.directory, old))
