"""The built-in data kinds (`config.data.kind`): synthetic, tfrecord, tfds,
csv, and the shapes demo. Each reads only the `config.data` keys it
declares; the validator rejects a changed key that the kind would ignore.

Builders return `(dataset, stats)`: a `tf.data.Dataset` of dict batches
with the inputs the model family asked for (`inputs`: name → shape), and
the pipeline's `data.BadInputCounter` (None when nothing can be skipped).
"""

from keras_lip.trainer import registry

PIPELINE_KEYS = ("tokenizer", "shuffle_buffer", "image_key", "captions_key")


def _geometry(inputs):
    return inputs["images"][0], inputs["token_ids"][0]


def _synthetic(config, inputs, training, input_context=None):
    """Random images and tokens, a pure function of (seed, example index):
    for smoke tests and benchmarks (nothing to learn)."""
    import tensorflow as tf

    from keras_lip import distribution

    size, length = _geometry(inputs)
    vocab = config.model.text.vocab_size

    def example(i):
        seed = tf.stack([tf.cast(config.seed, tf.int64), i])
        return {
            "images": tf.random.stateless_uniform(
                [size, size, 3], seed, -1.0, 1.0),
            "token_ids": tf.random.stateless_uniform(
                [length], tf.random.experimental.stateless_fold_in(seed, 1),
                2, vocab, tf.int32),
        }

    # Global batch g holds examples g·B … g·B+B-1 whatever the sharding;
    # this input pipeline takes its slice (JAX processes, TF InputContext).
    index, count = distribution.shard_for_process(input_context)
    global_batch = config.batch_size
    if global_batch % count:
        raise ValueError(f"config.batch_size={global_batch} does not split "
                         f"over {count} input pipelines.")
    local = global_batch // count
    start = 0 if training else 10**12  # Evaluation: other examples.
    stop = 2**62 if training else start + config.data.eval_examples
    ids = tf.data.Dataset.range(start, stop).batch(global_batch,
                                                   drop_remainder=True)
    ids = ids.map(lambda b: b[index * local:(index + 1) * local]).unbatch()
    return ids.map(example).batch(local, drop_remainder=True).prefetch(2), \
        None


def _sentencepiece_text(config, inputs):
    from keras_lip import data

    tokenizer = data.sentencepiece_tokenizer(config.data.tokenizer)
    return tokenizer, data.TextPreprocessing(max_len=inputs["token_ids"][0])


def _demo_text(config, inputs):
    from keras_lip import data

    return data.ShapesDataset().tokenizer(), data.TextPreprocessing(
        max_len=inputs["token_ids"][0], pad_value=0)


def _keys(d, **names):
    """Source keyword arguments for the keys the user set."""
    return {arg: d[key] for arg, key in names.items() if d[key] is not None}


def _pipeline(source, text, shuffle_buffer):
    def build(config, inputs, training, input_context=None):
        from keras_lip import data

        tokenizer, text_pp = text(config, inputs)
        pipeline = data.ImageTextPipeline(
            source(config, training), tokenizer,
            batch_size=config.batch_size, training=training,
            image=data.ImagePreprocessing(size=_geometry(inputs)[0]),
            text=text_pp, shuffle_buffer=shuffle_buffer(config),
            seed=config.seed, repeat=training)
        return pipeline.dataset(input_context), pipeline.stats

    return build


def _tfrecord_source(config, training):
    from keras_lip import data

    d = config.data
    return data.TfrecordSource(
        d.train_files if training else d.eval_files,
        **_keys(d, image_key="image_key", captions_key="captions_key"))


def _tfds_source(config, training):
    from keras_lip import data

    d = config.data
    return data.TfdsSource(
        d.tfds_name, d.train_split if training else d.eval_split,
        data_dir=d.tfds_data_dir or None,
        **_keys(d, image_key="image_key", captions_key="captions_key"))


def _csv_source(config, training):
    from keras_lip import data

    d = config.data
    return data.CaptionFileSource(
        d.train_files if training else d.eval_files,
        **_keys(d, image_key="image_key", caption_key="captions_key"))


def _demo_source(config, training):
    """The shapes demo's training stream or its retrieval test set (180
    images, one per seen attribute combination)."""
    from keras_lip import data

    shapes = data.ShapesDataset(image_size=config.model.image.image_size)
    if training:
        return shapes.source(config.data.train_examples, "train",
                             config.seed)
    return shapes.source(180, "train", config.seed + 1, unique=True)


def _real(source):
    """A data kind over a real source: SentencePiece captions."""
    return dict(source=source, text=_sentencepiece_text,
                build=_pipeline(source, _sentencepiece_text,
                                lambda c: c.data.shuffle_buffer))


registry.register_data(registry.DataKind(
    name="synthetic", build=_synthetic, keys=("eval_examples",)))
FILE_KEYS = ("train_files", "eval_files", *PIPELINE_KEYS)
registry.register_data(registry.DataKind(
    name="tfrecord", **_real(_tfrecord_source), keys=FILE_KEYS,
    required=("train_files", "tokenizer"), eval_required=("eval_files",)))
registry.register_data(registry.DataKind(
    name="csv", **_real(_csv_source), keys=FILE_KEYS,
    required=("train_files", "tokenizer"), eval_required=("eval_files",)))
registry.register_data(registry.DataKind(
    name="tfds", **_real(_tfds_source),
    keys=("tfds_name", "tfds_data_dir", "train_split", "eval_split",
          *PIPELINE_KEYS),
    required=("tfds_name", "tokenizer"), eval_required=("eval_split",)))
registry.register_data(registry.DataKind(
    name="demo", source=_demo_source, text=_demo_text,
    build=_pipeline(_demo_source, _demo_text,
                    lambda c: c.data.train_examples),
    keys=("train_examples",)))
