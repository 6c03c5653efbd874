"""Explicit name mapping from big_vision (Flax) parameters to keras_lip.

`load_two_tower_params(model, params)` assigns a flat dict of big_vision
parameters (`"img/Transformer/encoderblock_0/LayerNorm_0/scale"`, ... as in
a checkpoint's `params/` tree) to a `TwoTower` with `ViTEncoder` and
`TextEncoder` towers. Layouts already agree (Flax kernels are `[in, out]`,
attention kernels `[width, heads, head_dim]`, conv kernels HWIO), so each
entry is a checked copy. Unknown or unused keys are errors.
"""

import numpy as np


class _Params:
    def __init__(self, params):
        self.params = {k: np.asarray(v) for k, v in params.items()}
        self.used = set()

    def assign(self, variable, key):
        if key not in self.params:
            raise KeyError(f"big_vision parameter {key!r} is missing; have "
                           f"{len(self.params)} keys.")
        value = self.params[key]
        target = tuple(variable.shape)
        if value.size == int(np.prod(target)) and value.shape != target:
            value = value.reshape(target)  # t, b: (1,) → ().
        if value.shape != target:
            raise ValueError(f"{key}: shape {value.shape} does not match "
                             f"{variable.path} {target}.")
        variable.assign(value.astype(variable.dtype))
        self.used.add(key)


def _dense(p, layer, prefix):
    p.assign(layer.kernel, prefix + "kernel")
    p.assign(layer.bias, prefix + "bias")


def _norm(p, layer, prefix):
    p.assign(layer.gamma, prefix + "scale")
    p.assign(layer.beta, prefix + "bias")


def _attention(p, layer, prefix):
    for name, dense in (("query", layer._query_dense), ("key", layer._key_dense),
                        ("value", layer._value_dense),
                        ("out", layer._output_dense)):
        _dense(p, dense, f"{prefix}{name}/")


def _mlp(p, layer, prefix):
    _dense(p, layer.dense_0, prefix + "Dense_0/")
    _dense(p, layer.dense_1, prefix + "Dense_1/")


def _map_head(p, layer, prefix):
    p.assign(layer.probe, prefix + "probe")
    _attention(p, layer.attention, prefix + "MultiHeadDotProductAttention_0/")
    _norm(p, layer.norm, prefix + "LayerNorm_0/")
    _mlp(p, layer.mlp, prefix + "MlpBlock_0/")


def _encoder(p, layer, prefix):
    for i, block in enumerate(layer.blocks):
        b = f"{prefix}encoderblock_{i}/"
        _norm(p, block.norm_0, b + "LayerNorm_0/")
        _attention(p, block.attention, b + "MultiHeadDotProductAttention_0/")
        _norm(p, block.norm_1, b + "LayerNorm_1/")
        _mlp(p, block.mlp, b + "MlpBlock_0/")
    _norm(p, layer.encoder_norm, prefix + "encoder_norm/")


def _vit(p, vit, prefix):
    _dense(p, vit.embedding, prefix + "embedding/")
    if vit.posemb == "learn":
        p.assign(vit.pos_embedding, prefix + "pos_embedding")
    if vit.pool_type == "tok":
        p.assign(vit.cls, prefix + "cls")
    _encoder(p, vit.transformer, prefix + "Transformer/")
    if vit.pool_type == "map":
        _map_head(p, vit.map_head, prefix + "MAPHead_0/")
    if vit.num_classes:
        _dense(p, vit.head, prefix + "head/")


def _text(p, text, prefix):
    p.assign(text.embed.embeddings, prefix + "Embed_0/embedding")
    p.assign(text.pos_embedding, prefix + "pos_embedding")
    _encoder(p, text.encoder, prefix + "Encoder_0/")
    if text.pool_type == "map":
        _map_head(p, text.map_head, prefix + "MAPHead_0/")
    if text.num_classes:
        _dense(p, text.head, prefix + "head/")


def load_two_tower_params(model, params):
    """Assigns big_vision two-tower `params` (keys without `params/`)."""
    p = _Params({k.removeprefix("params/"): v for k, v in params.items()})
    _vit(p, model.image_encoder, "img/")
    _text(p, model.text_encoder, "txt/")
    p.assign(model.logit_scale, "t")
    if "b" in p.params:
        p.assign(model.logit_bias, "b")
    unused = sorted(set(p.params) - p.used)
    if unused:
        raise ValueError(f"big_vision parameters not mapped: {unused}")
    return model
