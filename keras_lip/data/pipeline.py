"""The image-text `tf.data` pipeline: shard, shuffle, check, decode, batch.

How bad inputs are skipped and counted (graph mode, parallel decoding):

1. A *sequential* map checks each example cheaply: empty bytes, magic
   number, a JPEG's end marker / a PNG's IEND chunk, empty or non-UTF-8
   captions. It adds a failing example to its reason's counter and gives
   every passing one a running number (`BadInputCounter.checked`); a filter
   then drops the failures.
2. A *parallel* map (`deterministic=True`, so order is kept) decodes,
   augments and tokenises. `ignore_errors()` drops an example whose bytes
   passed the checks but still fail to decode (corruption inside the file).
3. A second sequential map sees the survivors in order: a jump in the
   running number is the count of examples dropped in step 2, added to
   "undecodable_image". A marker element before and after the stream makes
   the count exact at the start of each iteration and at the end of a
   finite dataset.

Counts therefore cover every example that reached the batching stage.
"""

import os

import tensorflow as tf

from keras_lip.data import image_ops, preprocess, stats, text_ops
from keras_lip.distribution import shard_for_process

AUTOTUNE = tf.data.AUTOTUNE
_REGULAR, _START, _END = 0, 1, 2


class ImageTextPipeline:
    """Batches of `{"images", "token_ids"}` for `TwoTower.fit` and evaluation.

    Training batches: `images` float32 `[b, size, size, 3]` in [-1, 1],
    `token_ids` int32 `[b, max_len]` (one caption per image, picked at
    random), `drop_remainder=True`. Evaluation batches keep all captions:
    `token_ids` `[b, k, max_len]` with `caption_mask` bool `[b, k]` (k is
    `max_captions`, or the most captions in the batch when None).

    `b` is `batch_size` (the global batch) divided by the number of input
    pipelines: with `input_context` (from
    `strategy.distribute_datasets_from_function(pipeline.dataset)`) it is
    the per-replica batch; on JAX it is the per-process batch. Skipped
    examples are counted in `pipeline.stats` (a `BadInputCounter`).

    Args:
        source: a `TfdsSource`, `TfrecordSource` or `CaptionFileSource`.
        tokenizer: path to a SentencePiece `.model`, a
            `tensorflow_text.SentencepieceTokenizer`, or any callable mapping
            strings to ids (e.g. `keras_hub.tokenizers.SentencePieceTokenizer`).
        batch_size: global batch size.
        training: training (shuffle, augment, one caption) or evaluation.
        image: `ImagePreprocessing` settings.
        text: `TextPreprocessing` settings.
        shuffle_buffer: examples (encoded) in the shuffle buffer. 10_000.
        seed: seed for file order, shuffling, crops and caption choice.
        repeat: repeat the data forever (training only). False.
        max_captions: captions kept per image in evaluation.
        drop_remainder: defaults to `training`.
        num_shards, shard_index: explicit sharding (else see
            `shard_for_process`).

    Example:

    >>> import os, tempfile, numpy as np, tensorflow as tf
    >>> from keras_lip.data import tfrecord, TfrecordSource
    >>> png = tf.io.encode_png(np.zeros((4, 4, 3), "uint8")).numpy()
    >>> prefix = os.path.join(tempfile.mkdtemp(), "toy")
    >>> _ = tfrecord.write_shards([(png, ["ab"]), (b"", ["a"])], prefix)
    >>> toy = lambda s: tf.strings.unicode_decode(s, "UTF-8") - 94
    >>> pipeline = ImageTextPipeline(
    ...     TfrecordSource(prefix + "*"), toy, batch_size=1, training=True,
    ...     image=preprocess.ImagePreprocessing(size=2),
    ...     text=preprocess.TextPreprocessing(max_len=4, eos_id=1))
    >>> [b["token_ids"].numpy().tolist() for b in pipeline.dataset()]
    [[[3, 4, 1, 1]]]
    >>> pipeline.stats.summary()
    'input pipeline: 1 examples delivered, 1 skipped (empty_image=1)'
    """

    def __init__(self, source, tokenizer, *, batch_size, training,
                 image=None, text=None, shuffle_buffer=10_000, seed=0,
                 repeat=False, max_captions=None, drop_remainder=None,
                 num_shards=None, shard_index=None):
        if isinstance(tokenizer, (str, os.PathLike)):
            tokenizer = text_ops.sentencepiece_tokenizer(str(tokenizer))
        if not (hasattr(tokenizer, "tokenize") or callable(tokenizer)):
            raise TypeError(f"tokenizer must be a path, a tokenizer or a "
                            f"callable; got {type(tokenizer).__name__}.")
        self.source, self.tokenizer = source, tokenizer
        self.batch_size, self.training = int(batch_size), bool(training)
        self.image = image or preprocess.ImagePreprocessing()
        self.text = text or preprocess.TextPreprocessing()
        self.eos_id = self.text.resolve_eos_id(tokenizer)
        self.shuffle_buffer, self.seed = shuffle_buffer, int(seed)
        self.repeat, self.max_captions = repeat, max_captions
        self.drop_remainder = (self.training if drop_remainder is None
                               else drop_remainder)
        self.num_shards, self.shard_index = num_shards, shard_index
        self.stats = stats.BadInputCounter()

    def __call__(self, input_context=None):
        return self.dataset(input_context)

    def dataset(self, input_context=None):
        """The batched, prefetched `tf.data.Dataset` of this input shard."""
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
        ds = self.source.make(index, count, shuffle_files=self.training,
                              seed=self.seed + index)
        if self.training and self.shuffle_buffer:
            ds = ds.shuffle(self.shuffle_buffer, seed=self.seed + index,
                            reshuffle_each_iteration=True)
        if self.training and self.repeat:
            ds = ds.repeat()
        randoms = tf.data.Dataset.random(seed=self.seed + index,
                                         rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(ds, randoms).map(
            lambda ex, r: dict(ex, _rand=r, _kind=_REGULAR))
        ds = _marker(_START).concatenate(ds).concatenate(_marker(_END))
        ds = ds.map(self._check).filter(lambda ex: ex["_ok"])
        ds = ds.map(self._process, num_parallel_calls=AUTOTUNE,
                    deterministic=True).ignore_errors()
        ds = ds.map(self._account).filter(lambda ex: ex["_kind"] == _REGULAR)
        ds = ds.map(lambda ex: {k: v for k, v in ex.items()
                                if not k.startswith("_")})
        ds = self._batch(ds, batch)
        return ds.prefetch(AUTOTUNE)

    def _check(self, ex):
        """Sequential: cheap checks, counts, running number."""
        counter = self.stats
        regular = tf.equal(ex["_kind"], _REGULAR)
        caption_reasons = text_ops.caption_reasons(ex["captions"])
        usable = tf.equal(caption_reasons, 0)
        caption_reason = tf.where(
            tf.reduce_any(usable), 0,
            tf.reduce_max(tf.concat([caption_reasons,
                                     [text_ops.EMPTY_CAPTION]], 0)))
        image_reason = image_ops.check_image_bytes(ex["image"])
        reason = tf.where(image_reason != 0, image_reason, caption_reason)
        reason = tf.where(regular, reason, 0)
        with tf.control_dependencies([counter.add(reason)]):
            checked = counter.checked.assign_add(
                tf.cast(regular & tf.equal(reason, 0), tf.int64))
        index = checked + tf.cast(tf.equal(ex["_kind"], _END), tf.int64)
        return dict(ex, captions=tf.boolean_mask(ex["captions"], usable),
                    _index=index, _ok=tf.equal(reason, 0))

    def _process(self, ex):
        """Parallel: decode, augment, tokenise (markers pass untouched)."""
        seed = tf.stack([tf.constant(self.seed, tf.int64), ex["_rand"]])

        def process():
            image = self.image(ex["image"], self.training, seed)
            captions = ex["captions"]
            if self.training:
                pick = tf.random.stateless_uniform(
                    [], tf.random.experimental.stateless_fold_in(seed, 2),
                    0, tf.size(captions), dtype=tf.int32)
                captions = captions[pick:pick + 1]
            elif self.max_captions:
                captions = captions[:self.max_captions]
            return image, self.text(captions, self.tokenizer, self.eos_id)

        def marker():  # Same shapes as `process` gives: never dropped.
            size, rows = self.image.size, 1 if self.training else 0
            return (tf.zeros([size, size, 3]),
                    tf.zeros([rows, self.text.max_len], tf.int32))

        image, token_ids = tf.cond(tf.equal(ex["_kind"], _REGULAR), process,
                                   marker)
        out = {"images": image, "_kind": ex["_kind"], "_index": ex["_index"]}
        if self.training:
            out["token_ids"] = tf.reshape(token_ids, [self.text.max_len])
        else:
            out["token_ids"] = token_ids
            out["caption_mask"] = tf.ones(tf.shape(token_ids)[:1], tf.bool)
        return out

    def _account(self, ex):
        """Sequential: gaps in the running number are decode failures."""
        counter = self.stats
        last = counter.last_decoded.read_value()
        start = tf.equal(ex["_kind"], _START)
        gap = tf.where(start, tf.constant(0, tf.int64), ex["_index"] - last - 1)
        with tf.control_dependencies([
                counter.add(stats.UNDECODABLE_IMAGE, gap),
                counter.last_decoded.assign(ex["_index"]),
                counter.delivered.assign_add(tf.cast(
                    tf.equal(ex["_kind"], _REGULAR), tf.int64))]):
            return {k: tf.identity(v) for k, v in ex.items()}

    def _batch(self, ds, batch):
        if self.training:
            return ds.batch(batch, drop_remainder=self.drop_remainder)
        size, length = self.image.size, self.text.max_len
        k = self.max_captions
        return ds.padded_batch(
            batch, padded_shapes={"images": [size, size, 3],
                                  "token_ids": [k, length],
                                  "caption_mask": [k]},
            padding_values={"images": 0.0,
                            "token_ids": tf.constant(self.text.pad_value,
                                                     tf.int32),
                            "caption_mask": False},
            drop_remainder=self.drop_remainder)


def _marker(kind):
    return tf.data.Dataset.from_tensors({
        "image": tf.constant(b""), "captions": tf.constant([b""]),
        "_rand": tf.constant(0, tf.int64), "_kind": kind})
