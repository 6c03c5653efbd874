"""The pipeline feeds `TwoTower.fit` and tf.distribute directly."""

import os
import tempfile

import keras
import numpy as np

from keras_lip import losses
from keras_lip.data import (BadInputLogger, ImagePreprocessing,
                            ImageTextPipeline, TextPreprocessing,
                            TfrecordSource)
from keras_lip.testing import TestCase, toy_two_tower
from keras_lip.testing import data_fixtures
from keras_lip.testing.replicas import mirrored_strategy

SIZE, LEN, VOCAB = 8, 10, 64


class PipelineFitTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        folder = tempfile.mkdtemp(prefix="keras_lip_fit_")
        cls.spm = data_fixtures.shared_sentencepiece()
        cls.files, cls.expected, cls.num_good = (
            data_fixtures.write_mixed_tfrecords(os.path.join(folder, "mixed"),
                                                num_shards=2))

    def pipeline(self, batch_size=4, training=True):
        return ImageTextPipeline(
            TfrecordSource(self.files), self.spm, batch_size=batch_size,
            training=training, image=ImagePreprocessing(size=SIZE),
            text=TextPreprocessing(max_len=LEN))

    def _fit(self, pipeline, scope=None):
        with scope or _null():
            model = toy_two_tower(vocab_size=VOCAB, seed=0)
            model.compile(optimizer=keras.optimizers.SGD(0.1),
                          loss=losses.SigmoidContrastiveLoss())
            printed = []
            history = model.fit(
                pipeline.dataset(), epochs=2, verbose=0, shuffle=False,
                callbacks=[BadInputLogger(pipeline.stats, printed.append)])
        return history.history, printed

    def test_fit_consumes_batches_and_reports_skips(self):
        pipeline = self.pipeline()
        history, printed = self._fit(pipeline)
        self.assertLen(history["loss"], 2)
        self.assertTrue(np.all(np.isfinite(history["loss"])))
        per_epoch = sum(self.expected.values())
        # Cumulative; on JAX, Keras first peeks at a batch with an iterator
        # of its own, whose read-ahead is counted too.
        first, second = history["skipped_inputs"]
        self.assertGreaterEqual(first, per_epoch)
        self.assertEqual(second - first, per_epoch)
        self.assertIn("undecodable_image=", printed[0])
        self.assertLen(printed, 2)

    def test_fit_data_parallel(self):
        if keras.config.backend() == "jax":
            import jax

            distribution = keras.distribution.DataParallel(
                devices=jax.devices()[:2])
            scope = distribution.scope()
        else:
            scope = mirrored_strategy(2).scope()
        pipeline = self.pipeline()
        history, _ = self._fit(pipeline, scope)
        self.assertTrue(np.all(np.isfinite(history["loss"])))
        # Two epochs, plus what a peek at the first batch read ahead.
        for reason, count in pipeline.stats.result().items():
            self.assertBetween(count, 2 * self.expected[reason],
                               3 * self.expected[reason], msg=reason)

    def test_distribute_datasets_from_function(self):
        strategy = mirrored_strategy(2)
        pipeline = self.pipeline(batch_size=4)
        dist = strategy.distribute_datasets_from_function(pipeline.dataset)
        sizes = []
        for batch in dist:
            for replica in strategy.experimental_local_results(
                    batch["images"]):
                self.assertEqual(replica.shape[1:], (SIZE, SIZE, 3))
                sizes.append(int(replica.shape[0]))
        self.assertEqual(sizes, [2] * (2 * (self.num_good // 4)))
        self.assertEqual(pipeline.stats.result(), self.expected)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False
