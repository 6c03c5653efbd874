"""What a run leaves in its workdir for a person: the resolved config, the
final model, PNG plots, the skipped-input summary and a README.txt on how
to query the SavedModel. All paths go through `tf.io.gfile`."""

import json

import tensorflow as tf

from keras_lip.trainer import checkpoint
from keras_lip.trainer import registry
from keras_lip.trainer.config import ConfigError

CONFIG = "config.json"


def _model_section(config):
    return json.loads(config.model.to_json_best_effort())


def _differences(old, new, prefix="model"):
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            yield from _differences(a, b, f"{prefix}.{key}")
        elif a != b:
            yield f"config.{prefix}.{key} was {a!r}, now {b!r}"


def write_config(config, workdir):
    """Writes the resolved config to WORKDIR/config.json; refuses a workdir
    whose earlier run had another model (resuming it would load weights
    into the wrong architecture)."""
    path = checkpoint.join(workdir, CONFIG)
    if tf.io.gfile.exists(path):
        with tf.io.gfile.GFile(path) as f:
            saved = json.load(f).get("model", {})
        changed = list(_differences(saved, _model_section(config)))
        if changed:
            raise ConfigError(
                f"{workdir} holds a run of a different model ("
                + "; ".join(changed) + "). Use another --workdir, or the "
                "config that run used (" + path + ").")
    tf.io.gfile.makedirs(workdir)
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(config.to_json_best_effort(indent=2, sort_keys=True))
    return path


def _samples(config, n=8):
    """`(images in [-1, 1], first captions)` of n evaluation examples of
    the data kind's source (training examples when no evaluation data is
    configured), or None when it has none."""
    import numpy as np

    from keras_lip import data

    kind = registry.data_kind(config)
    if kind.source is None:
        return None
    inputs = registry.family(config).inputs(config)
    pp = data.ImagePreprocessing(size=inputs["images"][0])
    has_eval_data = all(config.data[key] for key in kind.eval_required)
    examples = kind.source(config, not has_eval_data).make().map(
        lambda ex: (pp(ex["image"], False, tf.zeros([2], tf.int32)),
                    ex["captions"][0])).ignore_errors().take(n)
    images, captions = [], []
    for image, caption in examples:
        images.append(image.numpy())
        captions.append(caption.numpy().decode("utf-8", "replace"))
    return (np.stack(images), captions) if images else None


def _query_text(config, saved_model):
    inputs = registry.family(config).inputs(config)
    kind = registry.data_kind(config)
    h, w, c = inputs["images"]
    lines = [
        "Query the SavedModel with plain TensorFlow (no keras_lip needed):",
        "",
        "    import tensorflow as tf",
        f"    m = tf.saved_model.load({saved_model!r})",
        f"    zimg = m.embed_images(images)   # float32 [B, {h}, {w}, {c}] in "
        "[-1, 1] -> [B, d], L2-normalised",
        "    ztxt = m.embed_texts(token_ids) # int32 [B, "
        f"{inputs['token_ids'][0]}] -> [B, d]",
        "    out = m.similarity(images, token_ids)  # logits, probabilities",
        "",
        "Signatures: embed_images (also serving_default), embed_texts, "
        "similarity.",
    ]
    if kind.text is not None:
        tokenizer, text = kind.text(config, inputs)
        source = (config.data.tokenizer or
                  "the demo's word tokenizer (vocabulary.txt, one word per "
                  "line; id = line number)")
        lines += [
            f"Texts: tokenizer {source}; lowercased={text.lower}, "
            f"{text.max_len} tokens, EOS '{text.eos}' (id "
            f"{text.resolve_eos_id(tokenizer)}), padded with id "
            f"{text.pad_value}. In Python: keras_lip.data.TextPreprocessing("
            f"max_len={text.max_len}, pad_value={text.pad_value})(captions, "
            "tokenizer).",
        ]
    return lines


def write_outputs(model, config, workdir, results, stats=None, export=None):
    """Writes the final model, plots, input summary and README.txt; returns
    `{what: path}` of everything written."""
    from keras_lip import evaluation

    paths = {"config": checkpoint.join(workdir, CONFIG)}
    paths["model"] = checkpoint.join(workdir, "model.keras")
    model.save(paths["model"])
    kind = registry.data_kind(config)
    samples = _samples(config)
    if samples is not None and kind.text is not None:
        tokenizer, text = kind.text(config, registry.family(config).inputs(
            config))
        images, captions = samples
        written = evaluation.write_plots(
            model, images, captions, tokenizer,
            checkpoint.join(workdir, "plots"), text=text,
            text_to_image=list(range(len(captions))))
        paths.update(similarity_plot=written[0], retrieval_plot=written[1])
        vocabulary = getattr(tokenizer, "vocabulary", None)
        if vocabulary is not None:
            paths["vocabulary"] = checkpoint.join(workdir, "vocabulary.txt")
            with tf.io.gfile.GFile(paths["vocabulary"], "w") as f:
                f.write("\n".join(vocabulary) + "\n")
    if stats is not None:
        paths["inputs"] = checkpoint.join(workdir, "inputs.json")
        with tf.io.gfile.GFile(paths["inputs"], "w") as f:
            json.dump({"summary": stats.summary(), **stats.result()}, f,
                      indent=2)
    if export is not None:
        paths["saved_model"] = export
    paths["tensorboard"] = checkpoint.join(workdir, "tensorboard")
    readme = [f"keras_lip run: model family {config.model.family!r}, "
              f"{config.total_steps} steps of batch {config.batch_size} "
              f"(every setting: {CONFIG}).", "", "Results:"]
    readme += [f"  {line}" for line in results] or ["  (no evaluations)"]
    if stats is not None:
        readme += ["", f"Inputs: {stats.summary()}"]
    readme += ["", "Files:"] + [f"  {k}: {v}" for k, v in paths.items()]
    if export is not None:
        readme += [""] + _query_text(config, export)
    paths["readme"] = checkpoint.join(workdir, "README.txt")
    with tf.io.gfile.GFile(paths["readme"], "w") as f:
        f.write("\n".join(readme) + "\n")
    return paths
