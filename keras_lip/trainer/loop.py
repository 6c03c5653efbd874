"""`train(config, workdir)`: build, restore, fit, checkpoint, export.

Family-neutral: the model, its compile defaults (loss and optimizer), the
inputs its data must provide and its evaluations all come from the
registry (`keras_lip.trainer.registry`), keyed by the config.
"""

import tempfile

import keras
import tensorflow as tf
from absl import logging

from keras_lip import distribution
from keras_lip.export import export_saved_model
from keras_lip.trainer import checkpoint
from keras_lip.trainer import evals
from keras_lip.trainer import registry
from keras_lip.trainer import strategy


class TrainingStateLogger(keras.callbacks.Callback):
    """Adds `temperature` (exp t), `bias` (when the model has one) and
    `learning_rate` to the epoch logs, so History and a later
    `TensorBoard` callback record them."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        m = self.model
        logs["temperature"] = float(keras.ops.convert_to_numpy(
            keras.ops.exp(m.logit_scale)))
        if getattr(m, "logit_bias", None) is not None:
            logs["bias"] = float(keras.ops.convert_to_numpy(m.logit_bias))
        lr = m.optimizer.learning_rate
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))


def _set_up(config):
    keras.utils.set_random_seed(config.seed)
    if config.deterministic and keras.config.backend() == "tensorflow":
        tf.config.experimental.enable_op_determinism()
    if config.mixed_precision:
        keras.config.set_dtype_policy("mixed_bfloat16")


def build_model(config):
    """The family's model, built (declared geometry) and compiled with the
    family's defaults for `config`."""
    family = registry.family(config)
    model = family.build(config)
    if not model.built:
        raise ValueError(
            f"Model family {family.name!r} built an unbuilt model: its "
            "towers must declare their input geometry.")
    model.compile(**family.compile_args(config))
    print(f"model: {type(model).__name__} ({model.count_params():,} "
          f"parameters, family {family.name!r}), loss "
          f"{type(model.loss).__name__}, optimizer "
          f"{type(model.optimizer).__name__}", flush=True)
    return model


def train(config, workdir, callbacks=(), verbose="auto"):
    """Trains `config` in `workdir`, resuming from its last checkpoint.

    Returns:
        `(model, history)`; history is None when the run was complete.
    """
    _set_up(config)
    steps = config.steps_per_checkpoint
    epochs = config.total_steps // steps
    workdir = str(workdir)
    ckpt_dir = checkpoint.join(workdir, "checkpoints")
    history = None
    with strategy.scope_for(config):
        model = build_model(config)
        initial_epoch = checkpoint.restore(model, ckpt_dir)
        if initial_epoch:
            logging.info("Resuming from step %d (%s).", initial_epoch * steps,
                         ckpt_dir)
            print(f"Resuming from step {initial_epoch * steps}.", flush=True)
        eval_callbacks, finals = evals.build(config)
        if initial_epoch < epochs:
            # Exact resume: the training stream is a deterministic function
            # of the seed, so skipping the batches already seen continues it.
            train_ds, _ = registry.build_data(config, training=True)
            train_ds = train_ds.skip(initial_epoch * steps)
            # Every worker runs every callback (their collectives must
            # match); only the chief's TensorBoard logs land in the workdir.
            logdir = checkpoint.join(workdir, "tensorboard")
            if not distribution.is_chief():
                logdir = tempfile.mkdtemp(prefix="keras_lip_tb_")
            loggers = [*eval_callbacks, TrainingStateLogger(),
                       checkpoint.Checkpointer(ckpt_dir, steps,
                                               keep=config.keep_checkpoints),
                       keras.callbacks.TensorBoard(logdir)]
            history = model.fit(
                train_ds, epochs=epochs, steps_per_epoch=steps,
                initial_epoch=initial_epoch, verbose=verbose,
                callbacks=[*callbacks, *loggers])
    for final in finals:
        for line in final(model):
            print(line, flush=True)
    if config.export and distribution.is_chief():
        path = checkpoint.join(workdir, "saved_model")
        export_saved_model(model, path)
        print(f"Exported SavedModel to {path}", flush=True)
    return model, history
