"""The built-in model families: SigLIP (sigmoid loss) and CLIP (softmax).

Both are big_vision two-tower models (ViT image tower, text transformer)
with the same `config.model` section, big_vision style:

    config.model = dict(
        family="siglip",
        image=dict(variant="B/16", image_size=224, pool_type="map", ...),
        text=dict(variant="B", vocab_size=32_000, max_len=64, ...),
        embed_dim=None, temperature_init=10.0, bias_init=-10.0)

A tower's `width`, `depth`, `mlp_dim` and `num_heads` override its variant
when set (None: the variant's).
"""

import ml_collections
from ml_collections import config_dict

from keras_lip.ops import NEGATIVES
from keras_lip.ops import SOFTMAX_NEGATIVES
from keras_lip.trainer import registry

SHAPE_KEYS = ("width", "depth", "mlp_dim", "num_heads")


def two_tower_config(image_pool, text_pool, temperature_init, bias_init):
    """The `config.model` section of a two-tower family (tiny defaults)."""
    shape = {key: config_dict.placeholder(int) for key in SHAPE_KEYS}
    return ml_collections.ConfigDict(dict(
        image=dict(variant="mu/8", image_size=32, pool_type=image_pool,
                   posemb="learn", **shape),
        text=dict(variant="mu", vocab_size=1000, max_len=16,
                  pool_type=text_pool, **shape),
        embed_dim=config_dict.placeholder(int),
        temperature_init=temperature_init,
        bias_init=ml_collections.FieldReference(bias_init, field_type=float),
    ))


def two_tower_inputs(config):
    m = config.model
    size = m.image.image_size
    return {"images": (size, size, 3), "token_ids": (m.text.max_len,)}


def _overrides(tower, extra=()):
    return {key: tower[key] for key in (*SHAPE_KEYS, *extra)
            if tower[key] is not None}


def _build(class_name):
    def build(config):
        from keras_lip import models

        m = config.model
        return getattr(models, class_name).from_variant(
            m.image.variant, text_variant=m.text.variant,
            vocab_size=m.text.vocab_size, embed_dim=m.embed_dim,
            image_size=m.image.image_size, max_sequence_length=m.text.max_len,
            image_pool=m.image.pool_type, text_pool=m.text.pool_type,
            temperature_init=m.temperature_init, bias_init=m.bias_init,
            image_kwargs=_overrides(m.image, ("posemb",)),
            text_kwargs=_overrides(m.text), name=config.model.family)

    return build


def schedule(config):
    """big_vision's warm-up + decay schedule from `config.optimizer`."""
    from keras_lip import optimizers

    o = config.optimizer
    return optimizers.WarmupDecaySchedule(
        o.lr, config.total_steps, o.decay_type, warmup_steps=o.warmup_steps,
        cooldown_steps=o.cooldown_steps, timescale=o.timescale)


def big_vision_adamw(config):
    """AdamW as big_vision's trainers make it from `config.optimizer`
    (`wd` is big_vision's: decay per step = wd × schedule multiplier)."""
    from keras_lip import optimizers

    o = config.optimizer
    return optimizers.siglip_optimizer(
        schedule(config), weight_decay=o.wd, beta_2=o.b2, epsilon=o.eps,
        global_clipnorm=o.grad_clip_norm,
        weight_decay_pattern=o.wd_pattern)


def _siglip_compile(config):
    from keras_lip import losses

    return dict(optimizer=big_vision_adamw(config),
                loss=losses.SigmoidContrastiveLoss(
                    negatives=config.loss.negatives))


def _clip_compile(config):
    from keras_lip import losses

    return dict(optimizer=big_vision_adamw(config),
                loss=losses.SoftmaxContrastiveLoss(
                    negatives=config.loss.negatives))


SIGLIP = registry.register_family(registry.Family(
    name="siglip",
    model_config=lambda: two_tower_config("map", "last", 10.0, -10.0),
    build=_build("SigLIP"), compile_args=_siglip_compile,
    inputs=two_tower_inputs, evals=("zero_shot", "retrieval", "demo"),
    negatives=NEGATIVES))

CLIP = registry.register_family(registry.Family(
    name="clip",
    model_config=lambda: two_tower_config("tok", "last", 1 / 0.07, None),
    build=_build("CLIP"), compile_args=_clip_compile,
    inputs=two_tower_inputs, evals=("zero_shot", "retrieval", "demo"),
    negatives=SOFTMAX_NEGATIVES))
