"""Step checkpoints in a workdir, written atomically, for exact resume.

Training runs as `fit(epochs=total_steps // steps_per_epoch)` where one
Keras "epoch" is one checkpoint interval, so Keras' own `initial_epoch`
resumes the step count, and `Checkpointer` saves at every epoch end:
model weights, optimizer state (iterations, moments) and every other Keras
variable (seed-generator states included) in one `.weights.h5`, plus a
small JSON naming the latest complete file. Each file is written to a
temporary name and renamed, so a `kill -9` at any moment leaves the
previous checkpoint intact.
"""

import json
import os
import shutil
import tempfile

import keras

INDEX = "checkpoint.json"


def is_chief():
    """True on the process that writes checkpoints (TF chief / worker 0,
    JAX process 0, or a single process)."""
    tf_config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = tf_config.get("task", {})
    if task:
        return (task.get("type") == "chief"
                or (task.get("type") == "worker" and task.get("index") == 0
                    and "chief" not in tf_config.get("cluster", {})))
    if keras.config.backend() == "jax":
        import jax

        return jax.process_index() == 0
    return True


def latest(directory):
    """`{"epoch", "step", "file"}` of the newest complete checkpoint, or
    None."""
    path = os.path.join(directory, INDEX)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        index = json.load(f)
    if not os.path.exists(os.path.join(directory, index["file"])):
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
    model.load_weights(os.path.join(directory, index["file"]))
    return int(index["epoch"])


class Checkpointer(keras.callbacks.Callback):
    """Saves a checkpoint at every epoch end (one epoch = one interval).

    Args:
        directory: where checkpoints go (created if needed).
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
        self.directory = directory
        self.steps_per_epoch = int(steps_per_epoch)
        self.keep = int(keep)

    def on_epoch_end(self, epoch, logs=None):
        if not is_chief():
            # Reading sync-on-read variables is a collective under
            # MultiWorkerMirroredStrategy, so every worker must save; the
            # others write to a scratch directory and drop it.
            scratch = tempfile.mkdtemp(prefix="keras_lip_ckpt_")
            self.model.save_weights(os.path.join(scratch, "w.weights.h5"))
            shutil.rmtree(scratch, ignore_errors=True)
            return
        os.makedirs(self.directory, exist_ok=True)
        step = (epoch + 1) * self.steps_per_epoch
        name = f"ckpt-{step:09d}.weights.h5"
        tmp = os.path.join(self.directory, f".tmp-{name}")
        self.model.save_weights(tmp)
        os.replace(tmp, os.path.join(self.directory, name))
        index_tmp = os.path.join(self.directory, f".tmp-{INDEX}")
        with open(index_tmp, "w") as f:
            json.dump({"epoch": epoch + 1, "step": step, "file": name}, f)
        os.replace(index_tmp, os.path.join(self.directory, INDEX))
        files = sorted(f for f in os.listdir(self.directory)
                       if f.startswith("ckpt-"))
        for old in files[:-self.keep]:
            os.remove(os.path.join(self.directory, old))
