"""The built-in evaluation types of `config.evals`, big_vision style:

    config.evals.zs = evals.section("zero_shot", dataset="cifar10",
                                    split="test", templates="clip_paper")
    config.evals.val = evals.section("retrieval")

Each named entry runs as a Keras callback every `every_n_checkpoints`
checkpoint intervals (logged as `<name>_<metric>` to History and
TensorBoard) and once more after training (printed).

* `zero_shot`: labelled images from TFDS (`dataset`, `split`, `data_dir`,
  `image_key`, `label_key`, `max_examples`), class names from `class_names`
  (a file of names, comma-separated names, or empty for the dataset's own
  labels), prompts from the `templates` set; prompts are tokenised as the
  training captions.
* `retrieval`: image↔text Recall@k on the data kind's evaluation split
  (`config.data.eval_files` / `eval_split`).
* `demo`: the shapes demo's zero-shot on held-out colour-shape pairs plus
  retrieval, each against chance.
"""

import ml_collections
from ml_collections import config_dict

from keras_lip.trainer import registry

COMMON = ("type", "enabled", "every_n_checkpoints")


def section(type_name, every_n_checkpoints=1, enabled=True, **overrides):
    """A `config.evals.<name>` entry of `type_name` with its defaults.

    `enabled=False` (`--config.evals.<name>.enabled=False`) turns it off;
    `every_n_checkpoints=0` runs it only after training.
    """
    eval_type = registry.eval_type(type_name)
    unknown = sorted(set(overrides) - set(eval_type.defaults))
    if unknown:
        raise ValueError(f"Evaluation type {type_name!r} has no keys "
                         f"{unknown}; it takes {sorted(eval_type.defaults)}.")
    return ml_collections.ConfigDict(dict(
        type=type_name, enabled=enabled,
        every_n_checkpoints=every_n_checkpoints,
        **{**eval_type.defaults, **overrides}))


def build(config):
    """`(callbacks, final_fns)` of the enabled entries of `config.evals`."""
    callbacks, finals = [], []
    for name, entry in sorted(config.evals.items()):
        if not entry.enabled:
            continue
        more, final = registry.eval_type(entry.type).build(config, name, entry)
        callbacks += more
        finals.append(final)
    return callbacks, finals


def _inputs(config):
    return registry.family(config).inputs(config)


def _zero_shot_data(config, entry, size):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from keras_lip import data

    image = data.ImagePreprocessing(size=size)
    dataset = tfds.load(entry.dataset, split=entry.split,
                        data_dir=entry.data_dir or None,
                        decoders={entry.image_key: tfds.decode.SkipDecoding()})
    if entry.max_examples is not None:
        dataset = dataset.take(entry.max_examples)

    def prepare(example):
        return (image(example[entry.image_key], False, tf.zeros([2], tf.int32)),
                example[entry.label_key])

    return dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).batch(
        256).prefetch(2)


def _class_names(entry):
    from keras_lip import evaluation

    if not entry.class_names:
        return evaluation.load_class_names(
            f"tfds:{entry.dataset}", data_dir=entry.data_dir or None,
            label_key=entry.label_key)
    if "," in entry.class_names:
        return [name.strip() for name in entry.class_names.split(",")]
    return evaluation.load_class_names(entry.class_names)


def _callback_args(entry, name):
    return dict(prefix=name, every_n_epochs=entry.every_n_checkpoints)


def _zero_shot(config, name, entry):
    from keras_lip import evaluation

    inputs = _inputs(config)
    tokenizer, text = registry.data_kind(config).text(config, inputs)
    dataset = _zero_shot_data(config, entry, inputs["images"][0])
    names = _class_names(entry)
    callback = evaluation.ZeroShotCallback(
        dataset, names, tokenizer, entry.templates, text=text,
        **_callback_args(entry, name))

    def final(model):
        r = evaluation.evaluate_zero_shot(model, dataset, names, tokenizer,
                                          entry.templates, text=text)
        return [f"{name}: zero-shot on {entry.dataset}:{entry.split} "
                f"({r['num_images']} images, {len(names)} classes): top-1 "
                f"{r['top1']:.3f}, top-5 {r['top5']:.3f}"]

    return [callback], final


def _retrieval(config, name, entry):
    from keras_lip import evaluation

    dataset, _ = registry.build_data(config, training=False)
    callback = evaluation.RetrievalCallback(dataset,
                                            **_callback_args(entry, name))

    def final(model):
        r = evaluation.evaluate_retrieval(model, dataset)
        return [f"{name}: retrieval ({r['num_images']} images, "
                f"{r['num_texts']} captions): image→text R@1 "
                f"{r['i2t_r1']:.3f}, text→image R@1 {r['t2i_r1']:.3f}"]

    return [callback], final


def _demo(config, name, entry):
    from keras_lip import data
    from keras_lip import evaluation

    inputs = _inputs(config)
    tokenizer, text = registry.data_kind(config).text(config, inputs)
    shapes = data.ShapesDataset(image_size=inputs["images"][0])
    held = shapes.generate(480, "held_out", config.seed + 2)
    zero_shot = [(held["images"].astype("float32") / 127.5 - 1,
                  held["labels"])]
    retrieval, _ = registry.build_data(config, training=False)
    args = _callback_args(entry, name)
    callbacks = [
        evaluation.ZeroShotCallback(
            zero_shot, shapes.class_names, tokenizer,
            shapes.zero_shot_templates, text=text,
            **dict(args, prefix=f"{name}_zeroshot")),
        evaluation.RetrievalCallback(
            retrieval, **dict(args, prefix=f"{name}_retrieval")),
    ]

    def final(model):
        zs = evaluation.evaluate_zero_shot(
            model, zero_shot, shapes.class_names, tokenizer,
            shapes.zero_shot_templates, text=text)
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


registry.register_eval(registry.EvalType(
    name="zero_shot", build=_zero_shot, required=("dataset",),
    needs_text=True,
    defaults=dict(dataset="", split="test", data_dir="", class_names="",
                  templates="clip_paper", image_key="image",
                  label_key="label",
                  max_examples=config_dict.placeholder(int))))
registry.register_eval(registry.EvalType(name="retrieval", build=_retrieval,
                                         needs_eval_data=True))
registry.register_eval(registry.EvalType(name="demo", build=_demo,
                                         needs_eval_data=True))
