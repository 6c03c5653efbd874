"""Evaluation callbacks log to History and TensorBoard during fit."""

import glob
import os

import keras
import numpy as np
import tensorflow as tf

from keras_lip.data import TextPreprocessing
from keras_lip.evaluation import callbacks
from keras_lip.testing import TestCase, tiny_batch, toy_two_tower


def _toy_tokenizer(texts):
    return tf.strings.unicode_decode(texts, "UTF-8") % 30 + 2


def _scalars(log_dir):
    """{tag: [(step, value)]} from every event file under `log_dir`."""
    out = {}
    for path in glob.glob(os.path.join(log_dir, "**", "events.*"),
                          recursive=True):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                number = (value.simple_value if value.HasField("simple_value")
                          else float(tf.make_ndarray(value.tensor)))
                out.setdefault(value.tag, []).append((event.step, number))
    return out


class CallbacksTest(TestCase):
    def _fit(self, cbs, epochs=2):
        model = toy_two_tower(width=8, vocab_size=32)
        model.compile(optimizer="sgd", loss=__import__(
            "keras_lip.losses", fromlist=["x"]).SigmoidContrastiveLoss())
        batch = tiny_batch(batch=8, image_size=4, text_len=5, vocab_size=32)
        data = tf.data.Dataset.from_tensor_slices(batch).batch(4)
        return model.fit(data, epochs=epochs, verbose=0, callbacks=cbs)

    def _zero_shot(self, **kwargs):
        rng = np.random.default_rng(0)
        images = rng.uniform(-1, 1, (6, 4, 4, 3)).astype("float32")
        labels = np.array([0, 1, 2, 0, 1, 2])
        return callbacks.ZeroShotCallback(
            [(images, labels)], ["cat", "dog", "fish"], _toy_tokenizer,
            "clip_best", text=TextPreprocessing(max_len=12, eos_id=1),
            **kwargs)

    def test_history_and_tensorboard(self):
        log_dir = self.get_temp_dir()
        retrieval_batch = {k: v[:, None] if k == "token_ids" else v
                           for k, v in tiny_batch(
                               batch=6, image_size=4, text_len=5,
                               vocab_size=32).items()}
        history = self._fit([
            self._zero_shot(every_n_epochs=1),
            callbacks.RetrievalCallback([retrieval_batch], ks=(1, 10)),
            keras.callbacks.TensorBoard(log_dir)], epochs=2)
        for key in ("zeroshot_top1", "zeroshot_top5", "retrieval_i2t_r1",
                    "retrieval_t2i_r10"):
            self.assertLen(history.history[key], 2)
        self.assertEqual(history.history["zeroshot_top5"], [1.0, 1.0])
        # k ≥ the 6 captions/images: every query is a hit.
        self.assertEqual(history.history["retrieval_i2t_r10"], [1.0, 1.0])
        scalars = _scalars(log_dir)
        self.assertIn("epoch_zeroshot_top1", scalars)
        self.assertEqual([s for s, _ in scalars["epoch_retrieval_i2t_r1"]],
                         [0, 1])
        self.assertAllClose(
            [v for _, v in scalars["epoch_zeroshot_top1"]],
            history.history["zeroshot_top1"])

    def test_every_n_epochs_and_steps_with_own_writer(self):
        log_dir = self.get_temp_dir()
        printed = []
        cb = self._zero_shot(every_n_epochs=2, every_n_steps=3,
                             log_dir=log_dir, print_fn=printed.append)
        history = self._fit([cb], epochs=4)  # 2 steps per epoch: 8 steps
        self.assertLen(history.history["zeroshot_top1"], 2)  # epochs 2, 4
        self.assertEqual([(e, s) for e, s, _ in cb.results],
                         [(None, 3), (1, 4), (None, 6), (3, 8)])
        self.assertLen(printed, 4)
        scalars = _scalars(log_dir)
        self.assertEqual([s for s, _ in scalars["zeroshot_top1"]],
                         [3, 1, 6, 3])
