"""Keras callbacks that run zero-shot and retrieval evaluation during fit."""

import keras

from keras_lip.evaluation.retrieval import evaluate_retrieval
from keras_lip.evaluation.zero_shot import evaluate_zero_shot


class EvaluationCallback(keras.callbacks.Callback):
    """Runs `evaluate(model)` every N epochs and/or steps and logs it.

    At epoch ends the results are added to `logs` as `<prefix>_<name>`, so
    `History` and a `keras.callbacks.TensorBoard` placed *after* this
    callback record them. With `log_dir`, results are also written as
    `tf.summary` scalars (epoch results at the epoch, step results at the
    global step), independent of the callback order. Every result is kept in
    `self.results` as `(epoch or None, step, dict)`.

    Args:
        evaluate: callable `model -> dict of floats`.
        prefix: name prefix, e.g. "zeroshot".
        every_n_epochs: evaluate after every N-th epoch (0: never).
        every_n_steps: also evaluate after every N-th training step (None:
            never); step results go to `log_dir` and `self.results` only.
        log_dir: optional folder for `tf.summary` scalars.
        print_fn: called with a one-line summary (None: silent).

    Example:

    >>> import numpy as np
    >>> from keras_lip.testing import toy_two_tower
    >>> cb = EvaluationCallback(lambda model: {"answer": 42.0}, "toy")
    >>> cb.set_model(toy_two_tower())
    >>> logs = {}
    >>> cb.on_epoch_end(0, logs)
    >>> logs
    {'toy_answer': 42.0}
    """

    def __init__(self, evaluate, prefix, every_n_epochs=1, every_n_steps=None,
                 log_dir=None, print_fn=None):
        super().__init__()
        self._evaluate = evaluate
        self.prefix = prefix
        self.every_n_epochs = int(every_n_epochs or 0)
        self.every_n_steps = int(every_n_steps or 0)
        self.log_dir = log_dir
        self.print_fn = print_fn
        self.results = []
        self._step = 0
        self._writer = None

    def _run(self, epoch, step):
        raw = self._evaluate(self.model)
        named = {f"{self.prefix}_{k}": float(v) for k, v in raw.items()
                 if isinstance(v, float)}
        self.results.append((epoch, step, named))
        if self.log_dir:
            self._write(named, step if epoch is None else epoch)
        if self.print_fn:
            where = f"epoch {epoch + 1}" if epoch is not None else f"step {step}"
            self.print_fn(f"{where}: " + ", ".join(
                f"{k} {v:.4f}" for k, v in named.items()))
        return named

    def _write(self, named, step):
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            for key, value in named.items():
                tf.summary.scalar(key, value, step=step)
        self._writer.flush()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.every_n_steps and self._step % self.every_n_steps == 0:
            self._run(None, self._step)

    def on_epoch_end(self, epoch, logs=None):
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            named = self._run(epoch, self._step)
            if logs is not None:
                logs.update(named)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class ZeroShotCallback(EvaluationCallback):
    """Zero-shot top-k accuracy during `fit`: logs `zeroshot_top1`, ...

    Args:
        dataset: labelled image batches (see `evaluate_zero_shot`).
        class_names: list of class names.
        tokenizer: the training tokenizer.
        templates: prompt template set name or list.
        text: the training `TextPreprocessing`.
        ks: top-k accuracies to log.
        prefix: log-name prefix ("zeroshot").
        **kwargs: `every_n_epochs`, `every_n_steps`, `log_dir`, `print_fn`.

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> from keras_lip.data import TextPreprocessing
    >>> from keras_lip.testing import toy_two_tower
    >>> toy = lambda s: tf.strings.unicode_decode(s, "UTF-8") % 32
    >>> cb = ZeroShotCallback([(np.zeros((2, 2, 2, 3)), np.array([0, 1]))],
    ...                       ["a", "b"], toy, "class_name_only",
    ...                       text=TextPreprocessing(max_len=4, eos_id=1))
    >>> cb.set_model(toy_two_tower())
    >>> logs = {}
    >>> cb.on_epoch_end(0, logs)
    >>> sorted(logs)
    ['zeroshot_top1', 'zeroshot_top5']
    """

    def __init__(self, dataset, class_names, tokenizer,
                 templates="clip_paper", *, text=None, ks=(1, 5),
                 prefix="zeroshot", **kwargs):
        def evaluate(model):
            return evaluate_zero_shot(model, dataset, class_names, tokenizer,
                                      templates, text=text, ks=ks)

        super().__init__(evaluate, prefix, **kwargs)


class RetrievalCallback(EvaluationCallback):
    """Image↔text Recall@k during `fit`: logs `retrieval_i2t_r1`, ...

    Args:
        dataset: evaluation batches with all captions (see
            `evaluate_retrieval`).
        ks: the k of Recall@k.
        prefix: log-name prefix ("retrieval").
        **kwargs: `every_n_epochs`, `every_n_steps`, `log_dir`, `print_fn`.

    Example:

    >>> import numpy as np
    >>> from keras_lip.testing import toy_two_tower
    >>> batch = {"images": np.zeros((2, 2, 2, 3)),
    ...          "token_ids": np.ones((2, 1, 3), "int32"),
    ...          "caption_mask": np.ones((2, 1), bool)}
    >>> cb = RetrievalCallback([batch], ks=(1,))
    >>> cb.set_model(toy_two_tower())
    >>> logs = {}
    >>> cb.on_epoch_end(0, logs)
    >>> sorted(logs)
    ['retrieval_i2t_r1', 'retrieval_t2i_r1']
    """

    def __init__(self, dataset, ks=(1, 5, 10), *, prefix="retrieval",
                 **kwargs):
        super().__init__(lambda model: evaluate_retrieval(model, dataset, ks),
                         prefix, **kwargs)
