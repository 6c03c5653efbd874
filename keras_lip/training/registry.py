"""Model families and data kinds the trainer can build, by config name.

A new family (LiT, CLIPPO, ...) or data source plugs in with
`register_model("lit", build_fn)` / `register_data("name", build_fn)` in its
own module; the CLI and `keras_lip.training.loop` stay unchanged. Builders
take the whole (validated) config.
"""

MODELS = {}
DATA = {}
EVALS = {}


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


def register_eval(name, build_fn):
    """`build_fn(config) -> (callbacks, final_fn)`; `final_fn(model)`
    returns printable result lines after training."""
    EVALS[name] = build_fn
    return build_fn


def build_eval(config):
    return EVALS[config.eval.kind](config)


def build_model(config):
    return MODELS[config.model.family](config)


def build_data(config, training, input_context=None):
    return DATA[config.data.kind](config, training, input_context)


# === Built-in entries ===


def _siglip(config):
    from keras_lip.models import SigLIP

    m = config.model
    shape = {k: m[k] for k in ("width", "depth", "mlp_dim", "num_heads")
             if m[k]}
    return SigLIP.from_variant(
        m.image_variant, text_variant=m.text_variant or None,
        vocab_size=m.vocab_size, embed_dim=m.embed_dim or None,
        image_pool=m.image_pool, text_pool=m.text_pool,
        temperature_init=m.temperature_init, bias_init=m.bias_init,
        image_kwargs=shape, text_kwargs=shape)


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


# === The built-in shapes demo (keras_lip.data.shapes) ===


def _shapes(config):
    from keras_lip import data

    d = config.data
    shapes = data.ShapesDataset(image_size=d.image_size)
    tokenizer = shapes.tokenizer()
    if tokenizer.vocab_size > config.model.vocab_size:
        raise ValueError(
            f"config.model.vocab_size={config.model.vocab_size} is smaller "
            f"than the demo vocabulary ({tokenizer.vocab_size} words).")
    return shapes, tokenizer, dict(
        image=data.ImagePreprocessing(size=d.image_size),
        text=data.TextPreprocessing(max_len=d.text_len, pad_value=0))


def _demo_data(config, training, input_context=None):
    from keras_lip import data

    shapes, tokenizer, pre = _shapes(config)
    if training:
        source = shapes.source(config.data.train_examples, "train",
                               config.seed)
    else:
        source = shapes.source(180, "train", config.seed + 1, unique=True)
    return data.ImageTextPipeline(
        source, tokenizer, batch_size=config.batch_size, training=training,
        seed=config.seed, shuffle_buffer=config.data.train_examples,
        repeat=training, **pre).dataset(input_context)


def _demo_eval(config):
    from keras_lip import evaluation

    shapes, tokenizer, pre = _shapes(config)
    held = shapes.generate(480, "held_out", config.seed + 2)
    zero_shot = [(held["images"].astype("float32") / 127.5 - 1,
                  held["labels"])]
    retrieval = _demo_data(config, training=False)
    every = config.eval.every_n_checkpoints
    callbacks = [
        evaluation.ZeroShotCallback(
            zero_shot, shapes.class_names, tokenizer,
            shapes.zero_shot_templates, text=pre["text"],
            every_n_epochs=every),
        evaluation.RetrievalCallback(retrieval, every_n_epochs=every),
    ]

    def final(model):
        zs = evaluation.evaluate_zero_shot(
            model, zero_shot, shapes.class_names, tokenizer,
            shapes.zero_shot_templates, text=pre["text"])
        r = evaluation.evaluate_retrieval(model, retrieval)
        chance = 1 / len(shapes.class_names)
        return [
            f"zero-shot on held-out colour-shape pairs ({zs['num_images']} "
            f"images, {len(shapes.class_names)} classes): top-1 "
            f"{zs['top1']:.3f}, top-5 {zs['top5']:.3f} (chance {chance:.3f}"
            f" / {5 * chance:.3f})",
            f"retrieval ({r['num_images']} images, {r['num_texts']} "
            f"captions): image→text R@1 {r['i2t_r1']:.3f}, text→image R@1 "
            f"{r['t2i_r1']:.3f} (chance {1 / r['num_images']:.4f})"]

    return callbacks, final


register_model("siglip", _siglip)
register_data("demo", _demo_data)
register_eval("none", lambda config: ([], None))
register_eval("demo", _demo_eval)
register_data("synthetic", _synthetic)
register_data("tfrecord", _pipeline(_tfrecord_source))
register_data("tfds", _pipeline(_tfds_source))
register_data("csv", _pipeline(_csv_source))
