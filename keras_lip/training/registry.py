"""Model families and data kinds the trainer can build, by config name.

A new family (LiT, CLIPPO, ...) or data source plugs in with
`register_model("lit", build_fn)` / `register_data("name", build_fn)` in its
own module; the CLI and `keras_lip.training.loop` stay unchanged. Builders
take the whole (validated) config.
"""

MODELS = {}
DATA = {}


def register_model(name, build_fn):
    """`build_fn(config) -> keras.Model` (uncompiled)."""
    MODELS[name] = build_fn
    return build_fn


def register_data(name, build_fn):
    """`build_fn(config, training, input_context=None) -> tf.data.Dataset`
    of `{"images", "token_ids"}` batches (training: repeated, global batch
    `config.batch_size`; evaluation: finite)."""
    DATA[name] = build_fn
    return build_fn


def build_model(config):
    return MODELS[config.model.family](config)


def build_data(config, training, input_context=None):
    return DATA[config.data.kind](config, training, input_context)


# === Built-in entries ===


def _siglip(config):
    from keras_lip.models import SigLIP

    m = config.model
    return SigLIP.from_variant(
        m.image_variant, text_variant=m.text_variant or None,
        vocab_size=m.vocab_size, embed_dim=m.embed_dim or None,
        image_pool=m.image_pool, text_pool=m.text_pool,
        temperature_init=m.temperature_init, bias_init=m.bias_init)


def _synthetic(config, training, input_context=None):
    """Random images and tokens, a pure function of (seed, example index):
    for smoke tests and benchmarks (nothing to learn)."""
    import tensorflow as tf

    d = config.data
    size, length = d.image_size, d.text_len
    vocab = config.model.vocab_size

    def example(i):
        seed = tf.stack([tf.cast(config.seed, tf.int64), i])
        return {
            "images": tf.random.stateless_uniform(
                [size, size, 3], seed, -1.0, 1.0),
            "token_ids": tf.random.stateless_uniform(
                [length], tf.random.experimental.stateless_fold_in(seed, 1),
                2, vocab, tf.int32),
        }

    from keras_lip.data import shard_for_process

    # Global batch g holds examples g·B … g·B+B-1 whatever the sharding;
    # this input pipeline takes its slice (JAX processes, TF InputContext).
    index, count = shard_for_process(input_context)
    global_batch = config.batch_size
    if global_batch % count:
        raise ValueError(f"batch_size {global_batch} does not split over "
                         f"{count} input pipelines.")
    local = global_batch // count
    start = 0 if training else 10**12  # Evaluation: other examples.
    stop = 2**62 if training else start + d.eval_examples
    ids = tf.data.Dataset.range(start, stop).batch(global_batch,
                                                   drop_remainder=True)
    ids = ids.map(lambda b: b[index * local:(index + 1) * local]).unbatch()
    return ids.map(example).batch(local, drop_remainder=True).prefetch(2)


def _pipeline(source_fn):
    def build(config, training, input_context=None):
        from keras_lip import data

        d = config.data
        pipeline = data.ImageTextPipeline(
            source_fn(d, training), d.tokenizer,
            batch_size=config.batch_size, training=training,
            image=data.ImagePreprocessing(size=d.image_size),
            text=data.TextPreprocessing(max_len=d.text_len),
            shuffle_buffer=d.shuffle_buffer, seed=config.seed,
            repeat=training)
        return pipeline.dataset(input_context)

    return build


def _tfrecord_source(d, training):
    from keras_lip import data

    return data.TfrecordSource(d.train_files if training else d.eval_files)


def _tfds_source(d, training):
    from keras_lip import data

    return data.TfdsSource(d.tfds_name, d.train_split if training
                           else d.eval_split, data_dir=d.tfds_data_dir or None,
                           image_key=d.image_key, captions_key=d.captions_key)


def _csv_source(d, training):
    from keras_lip import data

    return data.CaptionFileSource(d.train_files if training else d.eval_files)


register_model("siglip", _siglip)
register_data("synthetic", _synthetic)
register_data("tfrecord", _pipeline(_tfrecord_source))
register_data("tfds", _pipeline(_tfds_source))
register_data("csv", _pipeline(_csv_source))
