"""`train(config, workdir)`: build, restore, fit, checkpoint, export.

Family-neutral: the model, its compile defaults (loss and optimizer), the
inputs its data must provide and its evaluations all come from the
registry (`keras_lip.trainer.registry`), keyed by the config.
"""

import tempfile

import keras
import tensorflow as tf
from absl import logging

from keras_lip import data
from keras_lip import distribution
from keras_lip.export import export_saved_model
from keras_lip.trainer import checkpoint
from keras_lip.trainer import evals
from keras_lip.trainer import registry
from keras_lip.trainer import report
from keras_lip.trainer import strategy
from keras_lip.trainer.config import ConfigError


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


def _vocabulary_size(tokenizer):
    size = getattr(tokenizer, "vocab_size", None)  # tf_text: a method.
    size = size() if callable(size) else size
    if size is None and hasattr(tokenizer, "vocabulary_size"):
        size = tokenizer.vocabulary_size()  # keras-hub tokenizers.
    return None if size is None else int(size)


def check_vocabulary(config, model):
    """The text tower must have a row for every id the tokenizer makes
    (an id past the embedding silently becomes NaN on JAX)."""
    kind = registry.data_kind(config)
    have = getattr(getattr(model, "text_encoder", None), "vocab_size", None)
    if kind.text is None or have is None:
        return
    tokenizer, _ = kind.text(config, registry.family(config).inputs(config))
    need = _vocabulary_size(tokenizer)
    if need is not None and need > have:
        source = config.data.tokenizer or f"the {kind.name} tokenizer"
        raise ConfigError(
            f"config.model.text.vocab_size={have} is smaller than the "
            f"vocabulary of {source} ({need} ids): set "
            f"--config.model.text.vocab_size={need} (or more).")


def _fit(model, config, **kwargs):
    """`model.fit` that names the config when the data has no batch."""
    try:
        history = model.fit(**kwargs)
    except StopIteration as error:  # JAX: the dataset was empty.
        raise ConfigError(_empty_data(config)) from error
    if "loss" not in history.history:  # TF: "ran out of data", no logs.
        raise ConfigError(_empty_data(config))
    return history


def _empty_data(config):
    return (f"The training data gave no batch of config.batch_size="
            f"{config.batch_size} examples (data.kind={config.data.kind!r}): "
            "the data has fewer examples than one batch, or every example "
            "was skipped (see the input summary). Use a smaller batch or "
            "more data.")


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
    """Trains `config` in `workdir`, resuming from its last checkpoint,
    then evaluates, exports and writes the run's files (README.txt lists
    them).

    Returns:
        `(model, history)`; history is None when the run was complete.
    """
    _set_up(config)
    steps = config.steps_per_checkpoint
    epochs = config.total_steps // steps
    workdir = str(workdir)
    ckpt_dir = checkpoint.join(workdir, "checkpoints")
    if distribution.is_chief():
        report.write_config(config, workdir)
    history, stats = None, None
    with strategy.scope_for(config):
        model = build_model(config)
        check_vocabulary(config, model)
        initial_epoch = checkpoint.restore(model, ckpt_dir)
        if initial_epoch:
            logging.info("Resuming from step %d (%s).", initial_epoch * steps,
                         ckpt_dir)
            print(f"Resuming from step {initial_epoch * steps}.", flush=True)
        eval_callbacks, finals = evals.build(config)
        if initial_epoch < epochs:
            # Exact resume: the training stream is a deterministic function
            # of the seed, so skipping the batches already seen continues it.
            train_ds, stats = registry.build_data(config, training=True)
            train_ds = train_ds.skip(initial_epoch * steps)
            # Every worker runs every callback (their collectives must
            # match); only the chief's TensorBoard logs land in the workdir.
            logdir = checkpoint.join(workdir, "tensorboard")
            if not distribution.is_chief():
                logdir = tempfile.mkdtemp(prefix="keras_lip_tb_")
            inputs = [] if stats is None else [
                data.BadInputLogger(stats, print_fn=None)]
            loggers = [*eval_callbacks, *inputs, TrainingStateLogger(),
                       checkpoint.Checkpointer(ckpt_dir, steps,
                                               keep=config.keep_checkpoints),
                       keras.callbacks.TensorBoard(logdir)]
            history = _fit(
                model, config, x=train_ds, epochs=epochs,
                steps_per_epoch=steps, initial_epoch=initial_epoch,
                verbose=verbose, callbacks=[*callbacks, *loggers])
    results = [line for final in finals for line in final(model)]
    for line in results:
        print(line, flush=True)
    if stats is not None:
        print(stats.summary(), flush=True)
    if distribution.is_chief():
        export = None
        if config.export:
            export = checkpoint.join(workdir, "saved_model")
            export_saved_model(model, export)
        paths = report.write_outputs(model, config, workdir, results, stats,
                                     export)
        print("Wrote:\n" + "\n".join(f"  {k}: {v}" for k, v in
                                      paths.items()), flush=True)
    return model, history
