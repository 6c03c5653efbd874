"""Batches of precomputed image features and tokenised captions."""

import os

import tensorflow as tf

from keras_lip.data import feature_cache, stats, text_ops
from keras_lip.data.sources import TfrecordSource
from keras_lip.distribution import shard_for_process

AUTOTUNE = tf.data.AUTOTUNE


class FeaturePipeline:
    """Training batches `{"image_features", "token_ids"}` from a feature
    cache (`write_feature_cache`), for `LiT.fit` with a locked image tower.

    The examples go through the same steps as `ImageTextPipeline`'s
    training path (file order, shuffle, per-example randomness, caption
    choice, tokenisation), so with a cache written from a `TfrecordSource`
    (one cache shard per input file) and the same seed, the batches hold the
    same images' features and the same captions as the image pipeline's
    batches: training from the cache gives the weights of training from the
    images. Captions that are empty or not UTF-8 are dropped and counted as
    the image pipeline does; an image with none left is skipped, and so
    is an image the cache could not decode (kept in place, no features).

    Args:
        prefix: the cache's prefix (shards `{prefix}-*.tfrecord` and
            `{prefix}.json`).
        tokenizer: as `ImageTextPipeline`'s.
        batch_size: global batch size.
        text: `TextPreprocessing`.
        shuffle_buffer, seed, repeat: as `ImageTextPipeline`'s.
        num_shards, shard_index: explicit sharding (else per replica /
            process, see `shard_for_process`).

    Example:

    >>> import os, tempfile, numpy as np
    >>> from keras_lip.data import feature_cache, preprocess
    >>> prefix = os.path.join(tempfile.mkdtemp(), "f")
    >>> with tf.io.TFRecordWriter(prefix + "-00000-of-00001.tfrecord") as w:
    ...     w.write(feature_cache.make_feature_example(
    ...         np.ones(2), ["ab"], 0))
    >>> feature_cache._write_json(prefix + ".json", {"feature_shape": [2]})
    >>> toy = lambda s: tf.strings.unicode_decode(s, "UTF-8") - 94
    >>> pipeline = FeaturePipeline(
    ...     prefix, toy, batch_size=1, shuffle_buffer=0,
    ...     text=preprocess.TextPreprocessing(max_len=4, eos_id=1))
    >>> batch = next(iter(pipeline.dataset()))
    >>> batch["image_features"].numpy().tolist(), batch["token_ids"].numpy().tolist()
    ([[1.0, 1.0]], [[3, 4, 1, 1]])
    """

    def __init__(self, prefix, tokenizer, *, batch_size, text=None,
                 shuffle_buffer=10_000, seed=0, repeat=False,
                 num_shards=None, shard_index=None):
        from keras_lip.data import preprocess

        meta = feature_cache.read_metadata(prefix)
        if meta is None:
            raise FileNotFoundError(
                f"No feature cache at {prefix}: {prefix}.json is missing "
                "(write it with tools/cache_image_features.py).")
        if isinstance(tokenizer, (str, os.PathLike)):
            tokenizer = text_ops.sentencepiece_tokenizer(str(tokenizer))
        self.feature_shape = tuple(meta["feature_shape"])
        self.source = TfrecordSource(f"{prefix}-*.tfrecord",
                                     image_key=feature_cache.FEATURES_KEY)
        expected = meta.get("num_shards")
        if expected is not None and len(self.source.files) != expected:
            raise ValueError(
                f"Feature cache {prefix} has {len(self.source.files)} shard "
                f"files, its {prefix}.json lists {expected}: finish writing "
                "it (re-run tools/cache_image_features.py, it resumes).")
        self.tokenizer = tokenizer
        self.text = text or preprocess.TextPreprocessing()
        self.eos_id = self.text.resolve_eos_id(tokenizer)
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.shuffle_buffer, self.repeat = shuffle_buffer, repeat
        self.num_shards, self.shard_index = num_shards, shard_index
        self.stats = stats.BadInputCounter()

    def __call__(self, input_context=None):
        return self.dataset(input_context)

    def dataset(self, input_context=None):
        """The batched training dataset of this input shard."""
        if self.num_shards is not None:
            index, count = self.shard_index or 0, self.num_shards
        else:
            index, count = shard_for_process(input_context)
        if self.batch_size % count:
            raise ValueError(f"batch_size {self.batch_size} is not divisible "
                             f"by the {count} input pipelines.")
        batch = self.batch_size // count
        if input_context is not None:
            batch = input_context.get_per_replica_batch_size(self.batch_size)
        # The same order and randomness as ImageTextPipeline(training=True).
        ds = self.source.make(index, count, shuffle_files=True,
                              seed=self.seed + index)
        if self.shuffle_buffer:
            ds = ds.shuffle(self.shuffle_buffer, seed=self.seed + index,
                            reshuffle_each_iteration=True)
        if self.repeat:
            ds = ds.repeat()
        randoms = tf.data.Dataset.random(seed=self.seed + index,
                                         rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(ds, randoms).map(self._check)
        ds = ds.filter(lambda ex: ex["_ok"])
        ds = ds.map(self._process, num_parallel_calls=AUTOTUNE,
                    deterministic=True)
        return ds.batch(batch, drop_remainder=True).prefetch(AUTOTUNE)

    def _check(self, ex, rand):
        """Sequential: drop unusable captions, count images left without."""
        reasons = text_ops.caption_reasons(ex["captions"])
        usable = tf.equal(reasons, 0)
        reason = tf.where(tf.reduce_any(usable), 0, tf.reduce_max(
            tf.concat([reasons, [text_ops.EMPTY_CAPTION]], 0)))
        reason = tf.where(tf.equal(tf.strings.length(ex["image"]), 0),
                          stats.UNDECODABLE_IMAGE, reason)
        ok = tf.equal(reason, 0)
        with tf.control_dependencies([
                self.stats.add(reason),
                self.stats.delivered.assign_add(tf.cast(ok, tf.int64))]):
            ok = tf.identity(ok)
        return {"image": ex["image"], "_rand": rand, "_ok": ok,
                "captions": tf.boolean_mask(ex["captions"], usable)}

    def _process(self, ex):
        seed = tf.stack([tf.constant(self.seed, tf.int64), ex["_rand"]])
        captions = ex["captions"]
        pick = tf.random.stateless_uniform(
            [], tf.random.experimental.stateless_fold_in(seed, 2), 0,
            tf.size(captions), dtype=tf.int32)
        ids = self.text(captions[pick:pick + 1], self.tokenizer, self.eos_id)
        return {"image_features": feature_cache.decode_features(
                    ex["image"], self.feature_shape),
                "token_ids": tf.reshape(ids, [self.text.max_len])}
