"""The feature cache: resumable shards, skipped images kept in place, and a
FeaturePipeline that delivers what ImageTextPipeline delivers."""

import os

import numpy as np
import tensorflow as tf

from keras_lip import data
from keras_lip.data import feature_cache
from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures


def _mean_colour(images):
    return np.asarray(images).mean(axis=(1, 2))


class FeatureCacheTest(TestCase):
    def test_resume_placeholders_and_same_batches(self):
        folder = self.get_temp_dir()
        data_fixtures.write_mixed_tfrecords(os.path.join(folder, "img"), 2)
        source = data.TfrecordSource(os.path.join(folder, "img-*"))
        prefix = os.path.join(folder, "cache", "f")  # Folder made for it.
        args = dict(image=data.ImagePreprocessing(size=8),
                    feature_shape=(3,), batch_size=4, fingerprint="x")
        lines = []
        meta = data.write_feature_cache(source, _mean_colour, prefix,
                                        print_fn=lines.append, **args)
        # write_mixed_tfrecords: 14 decodable images (10 good, 4 with bad
        # captions), 7 that are not; round-robin over the two shards.
        self.assertEqual([sum(v[k] for v in meta["shards"].values())
                          for k in ("examples", "skipped")], [14, 7])
        first = os.path.join(folder, "cache", "f-00000-of-00002.tfrecord")
        second = first.replace("00000-of", "00001-of")
        # An interrupted second shard (only its .partial) is redone; the
        # finished first one is kept as it is.
        del meta["shards"]["1"]
        feature_cache._write_json(prefix + ".json", meta)
        os.rename(second, second + ".partial")
        stamp = os.stat(first).st_mtime_ns
        lines.clear()
        data.write_feature_cache(source, _mean_colour, prefix,
                                 print_fn=lines.append, **args)
        self.assertIn("shard 1/2: done before, kept "
                      f"({meta['shards']['0']['examples']} images)", lines)
        self.assertEqual(os.stat(first).st_mtime_ns, stamp)
        self.assertTrue(os.path.exists(second))
        with self.assertRaisesRegex(ValueError, "another cache"):
            data.write_feature_cache(source, _mean_colour, prefix,
                                     **dict(args, fingerprint="y"))
        # Same seed: the same images (as features) with the same captions.
        tokenizer = data_fixtures.shared_sentencepiece()
        text = data.TextPreprocessing(max_len=8)
        images = data.ImageTextPipeline(
            source, tokenizer, batch_size=4, training=True, seed=3,
            shuffle_buffer=16, repeat=True, text=text,
            image=data.ImagePreprocessing(size=8))
        cached = data.FeaturePipeline(prefix, tokenizer, batch_size=4,
                                      seed=3, shuffle_buffer=16, repeat=True,
                                      text=text)
        for a, b in zip(images.dataset().take(6), cached.dataset().take(6)):
            self.assertAllClose(b["image_features"],
                                _mean_colour(a["images"]), atol=1e-6)
            self.assertAllClose(b["token_ids"], a["token_ids"], atol=0)
        self.assertEqual(cached.stats.result()["undecodable_image"] > 0, True)

    def test_missing_and_unfinished_cache(self):
        folder = self.get_temp_dir()
        with self.assertRaisesRegex(FileNotFoundError, "No feature cache"):
            data.FeaturePipeline(os.path.join(folder, "none"), str,
                                 batch_size=1)
        prefix = os.path.join(folder, "f")
        feature_cache._write_json(prefix + ".json",
                                  {"feature_shape": [2], "num_shards": 2})
        with tf.io.TFRecordWriter(prefix + "-00000-of-00002.tfrecord") as w:
            w.write(feature_cache.make_feature_example(np.ones(2), ["a"], 0))
        with self.assertRaisesRegex(ValueError, "lists 2"):
            data.FeaturePipeline(prefix, lambda s: tf.zeros([1], tf.int32),
                                 batch_size=1)
