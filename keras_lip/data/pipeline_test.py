import os
import tempfile
from unittest import mock

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip.data import (CaptionFileSource, ImagePreprocessing,
                            ImageTextPipeline, TextPreprocessing, TfdsSource,
                            TfrecordSource, sentencepiece_tokenizer,
                            shard_for_process)
from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures

SIZE, LEN = 16, 12


class PipelineTestCase(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = tempfile.mkdtemp(prefix="keras_lip_pipeline_")
        cls.spm = data_fixtures.shared_sentencepiece()
        cls.mixed, cls.expected, cls.num_good = (
            data_fixtures.write_mixed_tfrecords(
                os.path.join(cls.folder, "mixed")))
        pairs = [(data_fixtures.jpeg_bytes(seed=i), [f"caption {i}"])
                 for i in range(10)]
        cls.clean = data_fixtures.tfrecord_module().write_shards(
            pairs, os.path.join(cls.folder, "clean"), 2)

    def pipeline(self, files=None, **kwargs):
        kwargs.setdefault("batch_size", 4)
        kwargs.setdefault("training", True)
        kwargs.setdefault("image", ImagePreprocessing(size=SIZE))
        kwargs.setdefault("text", TextPreprocessing(max_len=LEN))
        return ImageTextPipeline(TfrecordSource(files or self.mixed),
                                 self.spm, **kwargs)


class PipelineTest(PipelineTestCase):
    def test_training_batches(self):
        pipeline = self.pipeline(self.clean)
        batches = list(pipeline.dataset())
        self.assertLen(batches, 2)  # 10 examples, drop_remainder
        for batch in batches:
            self.assertEqual(sorted(batch), ["images", "token_ids"])
            self.assertEqual(batch["images"].shape, (4, SIZE, SIZE, 3))
            self.assertEqual(batch["images"].dtype, tf.float32)
            self.assertEqual(batch["token_ids"].shape, (4, LEN))
            self.assertEqual(batch["token_ids"].dtype, tf.int32)
            self.assertBetween(float(tf.reduce_min(batch["images"])), -1, 1)
            self.assertBetween(float(tf.reduce_max(batch["images"])), -1, 1)
            # Sticky EOS convention: padded with EOS (1), so the last is 1.
            self.assertAllClose(batch["token_ids"][:, -1], np.ones(4))
        self.assertEqual(pipeline.stats.total(), 0)

    def test_values_match_reference_preprocessing(self):
        files = self.clean[:1]  # one file: records in order
        pipeline = self.pipeline(files, training=False, batch_size=10)
        batch = next(iter(pipeline.dataset()))
        tok = sentencepiece_tokenizer(self.spm)
        images, texts = [], []
        for record in tf.data.TFRecordDataset(files):
            ex = data_fixtures.tfrecord_module().parse_example(record)
            image = tf.image.resize(tf.io.decode_jpeg(ex["image"]),
                                    [SIZE, SIZE], antialias=False)
            images.append(tf.cast(tf.cast(image, tf.uint8), tf.float32)
                          / 127.5 - 1)
            texts.append(ex["captions"])
        self.assertAllClose(batch["images"], tf.stack(images), atol=1e-6)
        expected = TextPreprocessing(max_len=LEN)(tf.concat(texts, 0), tok)
        self.assertAllClose(batch["token_ids"][:, 0], expected)
        self.assertTrue(bool(tf.reduce_all(batch["caption_mask"])))

    @parameterized.parameters((True, 10_000), (True, 0), (False, 0))
    def test_bad_inputs_skipped_and_counted(self, training, shuffle_buffer):
        # Unshuffled, the last record is a corrupt PNG: counted at the end.
        pipeline = self.pipeline(training=training, batch_size=3,
                                 shuffle_buffer=shuffle_buffer)
        batches = list(pipeline.dataset())
        delivered = sum(int(b["images"].shape[0]) for b in batches)
        for batch in batches:
            self.assertEqual(batch["images"].shape[1:], (SIZE, SIZE, 3))
            self.assertTrue(bool(tf.reduce_all(tf.math.is_finite(
                batch["images"]))))
        self.assertEqual(pipeline.stats.result(), self.expected)
        self.assertEqual(int(pipeline.stats.delivered.numpy()), self.num_good)
        expected_delivered = (self.num_good // 3 * 3 if training
                              else self.num_good)
        self.assertEqual(delivered, expected_delivered)
        self.assertIn("undecodable_image=2", pipeline.stats.summary())
        # A second pass counts again (one counter per pipeline).
        list(pipeline.dataset())
        self.assertEqual(pipeline.stats.result()["truncated_image"], 4)
        self.assertEqual(pipeline.stats.result()["undecodable_image"], 4)

    def test_counts_while_iterating_a_repeated_dataset(self):
        pipeline = self.pipeline(batch_size=2, repeat=True)
        for _ in pipeline.dataset().take(3 * self.num_good):
            pass
        total = pipeline.stats.total()
        self.assertGreaterEqual(total, 5 * sum(self.expected.values()))
        counts = pipeline.stats.result()
        # Every reason keeps its proportion over the epochs seen so far.
        epochs = counts["empty_image"]
        self.assertGreaterEqual(epochs, 5)
        for reason, per_epoch in self.expected.items():
            self.assertAllClose(counts[reason], per_epoch * epochs,
                                atol=per_epoch, msg=reason)

    def test_eval_keeps_all_captions(self):
        pipeline = self.pipeline(training=False, batch_size=20)
        batch = next(iter(pipeline.dataset()))
        self.assertEqual(batch["token_ids"].shape[0], self.num_good)
        mask = batch["caption_mask"].numpy()
        self.assertEqual(mask.shape, batch["token_ids"].shape[:2])
        # 8 images with two captions, one with one good (of two), one with 1.
        self.assertEqual(sorted(mask.sum(1).tolist()), [1, 1] + [2] * 8)
        self.assertAllClose(batch["token_ids"][~mask],
                            np.ones([int((~mask).sum()), LEN]))
        capped = self.pipeline(training=False, batch_size=3, max_captions=1)
        for batch in capped.dataset():
            self.assertEqual(batch["token_ids"].shape[1:], (1, LEN))

    def test_training_picks_captions_at_random(self):
        pairs = [(data_fixtures.jpeg_bytes(), ["a dog", "a cat", "a bird"])]
        files = data_fixtures.tfrecord_module().write_shards(
            pairs, os.path.join(self.get_temp_dir(), "one"))
        pipeline = self.pipeline(files, batch_size=1)
        ds = pipeline.dataset()
        seen = {tuple(b["token_ids"].numpy()[0]) for _ in range(12)
                for b in ds}
        self.assertLen(seen, 3)

    def test_deterministic_for_a_seed(self):
        def run(seed):
            pipeline = self.pipeline(
                self.clean, batch_size=2, seed=seed, image=ImagePreprocessing(
                    size=SIZE, train_crop="inception_crop", random_flip=True))
            return [b["images"].numpy() for b in pipeline.dataset()]

        first, again, other = run(1), run(1), run(2)
        self.assertAllClose(first, again, atol=0)
        self.assertFalse(all(np.array_equal(a, b)
                             for a, b in zip(first, other)))

    def test_explicit_shards_partition_the_data(self):
        def tokens(**kwargs):
            pipeline = self.pipeline(self.clean, training=False,
                                     batch_size=10, **kwargs)
            return sorted(tuple(t) for b in pipeline.dataset()
                          for t in b["token_ids"].numpy()[:, 0])

        everything = tokens()
        parts = [tokens(num_shards=2, shard_index=i) for i in range(2)]
        self.assertLen(parts[0], 5)
        self.assertEqual(sorted(parts[0] + parts[1]), everything)

    def test_input_context_gives_per_replica_batches(self):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=1,
            num_replicas_in_sync=4)
        pipeline = self.pipeline(self.clean, batch_size=4, training=False)
        batches = list(pipeline.dataset(context))
        self.assertEqual([int(b["images"].shape[0]) for b in batches],
                         [1] * 5)
        with self.assertRaisesRegex(ValueError, "not divisible"):
            self.pipeline(self.clean, batch_size=3).dataset(context)

    def test_caption_file_source_with_zero_byte_file(self):
        folder = self.get_temp_dir()
        lines = ["image,caption"]
        for i in range(3):
            name = f"{i}.jpg"
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data_fixtures.jpeg_bytes(seed=i) if i else b"")
            lines.append(f"{name},photo {i}")
        with open(os.path.join(folder, "pairs.csv"), "wb") as f:
            f.write("\n".join(lines).encode() + b"\n2.jpg,\xff\xfe\n")
        pipeline = ImageTextPipeline(
            CaptionFileSource(os.path.join(folder, "pairs.csv")), self.spm,
            batch_size=2, training=False, image=ImagePreprocessing(size=SIZE),
            text=TextPreprocessing(max_len=LEN))
        batches = list(pipeline.dataset())
        self.assertEqual(sum(int(b["images"].shape[0]) for b in batches), 2)
        self.assertEqual(pipeline.stats.result()["empty_image"], 1)
        # Image 2 keeps its valid caption; the non-UTF-8 one is dropped.
        self.assertEqual(batches[0]["token_ids"].shape[1], 1)

    def test_configuration_errors(self):
        with self.assertRaisesRegex(FileNotFoundError, "missing.model"):
            ImageTextPipeline(TfrecordSource(self.clean), "/x/missing.model",
                              batch_size=2, training=True)
        with self.assertRaisesRegex(TypeError, "tokenizer"):
            ImageTextPipeline(TfrecordSource(self.clean), 3, batch_size=2,
                              training=True)


class ShardForProcessTest(TestCase):
    def test_input_context_then_backend(self):
        import keras

        context = tf.distribute.InputContext(3, 2, 6)
        self.assertEqual(shard_for_process(context), (2, 3))
        if keras.config.backend() != "jax":
            self.assertEqual(shard_for_process(), (0, 1))
            return
        import jax

        with mock.patch.object(jax, "process_index", return_value=1), \
                mock.patch.object(jax, "process_count", return_value=4):
            self.assertEqual(shard_for_process(), (1, 4))


class TfdsPipelineTest(PipelineTestCase):
    def test_coco_like_tfds_eval_keeps_all_captions(self):
        data_dir = self.get_temp_dir()
        name = data_fixtures.prepare_tiny_tfds(data_dir)
        source = TfdsSource(name, split="train", data_dir=data_dir,
                            captions_key="captions/text")
        pipeline = ImageTextPipeline(
            source, self.spm, batch_size=4, training=False,
            image=ImagePreprocessing(size=SIZE, eval_crop="central_crop"),
            text=TextPreprocessing(max_len=LEN))
        batches = list(pipeline.dataset())
        self.assertEqual([b["token_ids"].shape for b in batches],
                         [(4, 2, LEN), (2, 2, LEN)])
        self.assertEqual(pipeline.stats.summary(),
                         "input pipeline: 6 examples delivered, 0 skipped")
