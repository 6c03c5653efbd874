"""The `lit` model family (locked-image tuning) and the `feature_cache`
data kind (training from precomputed image features).

`config.model` of the `lit` family, after big_vision's
`configs/proj/image_text/siglip_lit_coco.py`:

    config.model = dict(
        family="lit",
        image=dict(variant="B/16", image_size=224, pool_type="tok",
                   init="",               # the pretrained tower's weights
                   keras_hub_preset="",   # or a LOCAL keras-hub preset
                   pooling="auto", ...),
        text=dict(variant="B", vocab_size=32_000, max_len=16,
                  pool_type="last", keras_hub_preset="", pad_id=0, ...),
        embed_dim=None, image_head=False, text_head=True,
        lock_image=True, unlocked_image_groups=0,
        lock_text=False, unlocked_text_groups=0,
        temperature_init=10.0, bias_init=-2.71)

The image tower is big_vision's ViT of `image.variant` (pooled as
`image.pool_type`, no head: LiT's `img_head=False`) with the weights of
`image.init`, or the backbone of the local keras-hub preset
`image.keras_hub_preset` (its output pooled by `image.pooling`). Nothing
is downloaded. Compile defaults: the sigmoid loss and LiT's optimizer
(lr 1e-3, Adam β2 0.999, big_vision weight decay 0.01, clipping at 1,
cosine; experiments set the warm-up to `optimizers.lit_warmup_steps`).
"""

import os

import ml_collections
from ml_collections import config_dict

from keras_lip.ops import NEGATIVES
from keras_lip.trainer import data_kinds
from keras_lip.trainer import families
from keras_lip.trainer import registry


def model_config():
    shape = {key: config_dict.placeholder(int) for key in families.SHAPE_KEYS}
    return ml_collections.ConfigDict(dict(
        image=dict(variant="mu/8", image_size=32, pool_type="tok",
                   posemb="learn", init="", keras_hub_preset="",
                   pooling="auto", **shape),
        text=dict(variant="mu", vocab_size=1000, max_len=16,
                  pool_type="last", keras_hub_preset="", pad_id=0, **shape),
        embed_dim=config_dict.placeholder(int),
        image_head=False, text_head=True,
        lock_image=True, unlocked_image_groups=0,
        lock_text=False, unlocked_text_groups=0,
        temperature_init=10.0,
        bias_init=ml_collections.FieldReference(-2.71, field_type=float),
    ))


HELP = {
    "model.image.pool_type": "ViT pooling inside the locked tower: tok "
                             "(LiT), gap, map or none.",
    "model.image.init": "Weights of the pretrained image tower: a "
                        ".weights.h5 of this ViT (models.save_tower_"
                        "weights; big_vision .npz: see "
                        "lit_family.load_image_init).",
    "model.image.keras_hub_preset": "A LOCAL keras-hub preset directory "
                                    "whose backbone is the image tower.",
    "model.image.pooling": "Pooling of the tower's output: auto, tok, gap, "
                           "map (learned), ...",
    "model.text.keras_hub_preset": "A LOCAL keras-hub preset directory "
                                   "whose backbone is the text tower.",
    "model.text.pad_id": "Padding id (keras-hub text towers' padding mask).",
    "model.image_head": "Trained Dense to the joint width on the image side.",
    "model.text_head": "Dense to the joint width on the text side.",
    "model.lock_image": "Lock the image tower (LiT).",
    "model.unlocked_image_groups": "Last groups of the locked image tower "
                                   "that still train.",
    "model.lock_text": "Lock the text tower too (then only heads train).",
    "model.unlocked_text_groups": "Last groups of a locked text tower that "
                                  "still train.",
}


def load_image_init(tower, path):
    """Loads the pretrained image tower's weights from `path`.

    THE HOOK for checkpoint formats: `.weights.h5` / `.keras` (Keras) are
    read here; big_vision image-only `.npz` checkpoints are to be read
    with the checkpoint loader of `SigLIP.from_big_vision` (image-only
    files) once it is merged, which belongs in the `.npz` branch below.
    """
    import keras
    import tensorflow as tf

    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(
            f"config.model.image.init={path!r}: no such file (the "
            "pretrained image tower's weights).")
    from keras_lip import models

    if path.endswith(".weights.h5"):  # models.save_tower_weights' files.
        models.load_tower_weights(tower, path)
    elif path.endswith(".keras"):
        tower.set_weights(keras.saving.load_model(path).get_weights())
    else:
        raise ValueError(
            f"config.model.image.init={path!r}: this build reads Keras "
            "weights (.weights.h5 of the tower, or a .keras tower); "
            "big_vision .npz image checkpoints are not wired in yet.")
    return tower


def _overrides(tower, extra=()):
    return {key: tower[key] for key in (*families.SHAPE_KEYS, *extra)
            if tower[key] is not None}


def _preset_backbone(path, key):
    import keras_hub

    if not os.path.isdir(path):
        raise ValueError(
            f"config.model.{key}.keras_hub_preset={path!r} is not a local "
            "directory: give a keras-hub preset saved with save_to_preset "
            "(nothing is downloaded).")
    return keras_hub.models.Backbone.from_preset(path)


def image_tower(config):
    """The (pretrained) image tower of `config.model.image`."""
    from keras_lip import models

    m = config.model.image
    if m.keras_hub_preset:
        tower = _preset_backbone(m.keras_hub_preset, "image")
    else:
        args = models.decode_variant(m.variant)
        args.update(_overrides(m, ("posemb",)))
        tower = models.ViTEncoder(image_size=m.image_size,
                                  pool_type=m.pool_type,
                                  name="image_encoder", **args)
    if m.init:
        load_image_init(tower, m.init)
    return tower


def text_tower(config):
    """The text tower of `config.model.text` (LiT adds the head)."""
    from keras_lip import models

    m = config.model.text
    if m.keras_hub_preset:
        return _preset_backbone(m.keras_hub_preset, "text")
    args = models.decode_variant(m.variant)
    args.update(_overrides(m))
    return models.TextEncoder(m.vocab_size, max_sequence_length=m.max_len,
                              pool_type=m.pool_type, name="text_encoder",
                              **args)


def build(config):
    from keras_lip import models

    m = config.model
    return models.LiT(
        image_tower(config), text_tower(config), embed_dim=m.embed_dim,
        image_pooling=m.image.pooling, image_head=m.image_head,
        text_head=m.text_head, lock_image=m.lock_image,
        unlocked_image_groups=m.unlocked_image_groups,
        lock_text=m.lock_text, unlocked_text_groups=m.unlocked_text_groups,
        max_sequence_length=m.text.max_len, text_pad_id=m.text.pad_id,
        temperature_init=m.temperature_init, bias_init=m.bias_init,
        name="lit")


def _compile(config):
    from keras_lip import losses

    return dict(optimizer=families.big_vision_adamw(config),
                loss=losses.SigmoidContrastiveLoss(
                    negatives=config.loss.negatives))


LIT = registry.register_family(registry.Family(
    name="lit", model_config=model_config, build=build,
    compile_args=_compile, inputs=families.two_tower_inputs,
    evals=("zero_shot", "retrieval", "demo"), negatives=NEGATIVES,
    optimizer=dict(lr=1e-3, wd=0.01, b2=0.999, eps=1e-8, decay_type="cosine"),
    help=HELP))


# --- Training from precomputed image features ---------------------------

def cache_prefix(config):
    """The feature cache's prefix from `config.data.train_files` (the
    cache's `.json`, or its prefix)."""
    return config.data.train_files.removesuffix(".json")


def _cache_build(config, inputs, training, input_context=None):
    from keras_lip import data

    if not training:  # Evaluation reads images (data.eval_files).
        return _eval_images(config, inputs, training, input_context)
    tokenizer, text = data_kinds._sentencepiece_text(config, inputs)
    pipeline = data.FeaturePipeline(
        cache_prefix(config), tokenizer, batch_size=config.batch_size,
        text=text, shuffle_buffer=config.data.shuffle_buffer,
        seed=config.seed, repeat=True)
    return pipeline.dataset(input_context), pipeline.stats


_eval_images = data_kinds._pipeline(data_kinds._tfrecord_source,
                                    data_kinds._sentencepiece_text,
                                    lambda c: c.data.shuffle_buffer)

# Trains on `image_features` batches; evaluation (and the run's plots) use
# the images of data.eval_files, so it provides "images" too.
registry.register_data(registry.DataKind(
    name="feature_cache", build=_cache_build,
    source=data_kinds._tfrecord_source, text=data_kinds._sentencepiece_text,
    provides=("images", "image_features", "token_ids"),
    keys=("train_files", "eval_files", "tokenizer", "shuffle_buffer"),
    required=("train_files", "tokenizer", "eval_files"),
    eval_required=("eval_files",)))
