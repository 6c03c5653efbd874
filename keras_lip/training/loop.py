"""`train(config, workdir)`: build, restore, fit, checkpoint, export."""

import os
import tempfile

import keras
from absl import logging

from keras_lip.losses import SigmoidContrastiveLoss
from keras_lip.training import checkpoint
from keras_lip.training import registry
from keras_lip.training import strategy
from keras_lip.training.optimizers import siglip_optimizer
from keras_lip.training.schedules import WarmupDecaySchedule


class TrainingStateLogger(keras.callbacks.Callback):
    """Adds `temperature` (exp t), `bias` and `learning_rate` to the epoch
    logs, so History and a later `TensorBoard` callback record them."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        m = self.model
        logs["temperature"] = float(keras.ops.convert_to_numpy(
            keras.ops.exp(m.logit_scale)))
        logs["bias"] = float(keras.ops.convert_to_numpy(m.logit_bias))
        lr = m.optimizer.learning_rate
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))


def compile_model(model, config):
    o = config.optimizer
    schedule = WarmupDecaySchedule(
        o.lr, config.total_steps, o.decay_type, warmup_steps=o.warmup_steps,
        cooldown_steps=o.cooldown_steps, timescale=o.timescale)
    model.compile(
        optimizer=siglip_optimizer(
            schedule, weight_decay=o.wd, beta_2=o.b2,
            global_clipnorm=o.grad_clip_norm or None,
            weight_decay_pattern=o.wd_pattern),
        loss=SigmoidContrastiveLoss(negatives=config.loss.negatives))


def train(config, workdir, callbacks=(), verbose="auto"):
    """Trains `config` in `workdir`, resuming from its last checkpoint.

    Returns:
        `(model, history)`; history is None when the run was complete.
    """
    keras.utils.set_random_seed(config.seed)
    if config.deterministic and keras.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    if config.mixed_precision:
        keras.config.set_dtype_policy("mixed_bfloat16")
    steps = config.steps_per_checkpoint
    epochs = config.total_steps // steps
    ckpt_dir = os.path.join(workdir, "checkpoints")
    d = config.data
    with strategy.scope_for(config):
        model = registry.build_model(config)
        compile_model(model, config)
        model({"images": keras.ops.zeros((1, d.image_size, d.image_size, 3)),
               "token_ids": keras.ops.zeros((1, d.text_len), "int32")})
        initial_epoch = checkpoint.restore(model, ckpt_dir)
        if initial_epoch:
            logging.info("Resuming from step %d (%s).", initial_epoch * steps,
                         ckpt_dir)
            print(f"Resuming from step {initial_epoch * steps}.", flush=True)
        history = None
        if initial_epoch < epochs:
            # Exact resume: the training stream is a deterministic function
            # of the seed, so skipping the batches already seen continues it.
            train_ds = registry.build_data(config, training=True).skip(
                initial_epoch * steps)
            # Every worker runs every callback (their collectives must
            # match); only the chief's TensorBoard logs land in the workdir.
            logdir = os.path.join(workdir, "tensorboard")
            if not checkpoint.is_chief():
                logdir = tempfile.mkdtemp(prefix="keras_lip_tb_")
            eval_callbacks, final_eval = registry.build_eval(config)
            loggers = [*eval_callbacks, TrainingStateLogger(),
                       checkpoint.Checkpointer(ckpt_dir, steps),
                       keras.callbacks.TensorBoard(logdir)]
            history = model.fit(
                train_ds, epochs=epochs, steps_per_epoch=steps,
                initial_epoch=initial_epoch, verbose=verbose,
                callbacks=[*callbacks, *loggers])
    if initial_epoch >= epochs:
        _, final_eval = registry.build_eval(config)
    if final_eval is not None:
        for line in final_eval(model):
            print(line, flush=True)
    if config.export and checkpoint.is_chief():
        from keras_lip.export import export_saved_model

        path = os.path.join(workdir, "saved_model")
        export_saved_model(model, path, text_length=d.text_len)
        print(f"Exported SavedModel to {path}", flush=True)
    return model, history
