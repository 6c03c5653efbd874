"""Explicit name mapping from big_vision (Flax) parameters to keras_lip.

`load_two_tower_params(model, params)` assigns a flat dict of big_vision
parameters (`"img/Transformer/encoderblock_0/LayerNorm_0/scale"`, ... as in
a checkpoint's `params/` tree) to a `TwoTower` with `ViTEncoder` and
`TextEncoder` towers. Layouts already agree (Flax kernels are `[in, out]`,
attention kernels `[width, heads, head_dim]`, conv kernels HWIO), so each
entry is a checked copy. Unknown or unused keys are errors.

Two storage variants of released checkpoints are read as well:
- bfloat16 arrays, which `np.savez` stores as raw 2-byte voids (`|V2`):
  they are widened bit-exactly to float32 (and cast to each variable's
  dtype on assignment);
- "scan" layouts (`scan=True` in big_vision), where the encoder blocks are
  stacked along a leading depth axis under `.../encoderblock/...`: they are
  split into `encoderblock_{i}` entries.
"""

import re

import numpy as np

from keras_lip import compat

_SCANNED = re.compile(r"^(.*/)encoderblock/(.*)$")


def bfloat16_to_float32(value):
    """Widens bfloat16 (raw `|V2` bits or ml_dtypes) to float32, exactly."""
    value = np.asarray(value)
    if value.dtype.kind == "V" and value.dtype.itemsize == 2:
        bits = value.view(np.uint16).astype(np.uint32) << 16
        return bits.view(np.float32)
    if value.dtype.name == "bfloat16":  # ml_dtypes arrays.
        return value.astype(np.float32)
    return value


def unscan_params(params):
    """Splits stacked `encoderblock/...` arrays into `encoderblock_{i}/...`."""
    out = {}
    for key, value in params.items():
        match = _SCANNED.match(key)
        if not match:
            out[key] = value
            continue
        for i, layer in enumerate(np.asarray(value)):
            new_key = f"{match.group(1)}encoderblock_{i}/{match.group(2)}"
            if new_key in params:
                raise ValueError(f"{key} (scanned) and {new_key} (unscanned) "
                                 "are both present.")
            out[new_key] = layer
    return out


class _Params:
    def __init__(self, params):
        params = {k: bfloat16_to_float32(v) for k, v in params.items()}
        self.params = unscan_params(params)
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
                             f"{variable.path} {target} (a scanned stack "
                             "must have the model's depth as its first axis).")
        variable.assign(value.astype(variable.dtype))
        self.used.add(key)


def _dense(p, layer, prefix):
    p.assign(layer.kernel, prefix + "kernel")
    p.assign(layer.bias, prefix + "bias")


def _norm(p, layer, prefix):
    p.assign(layer.gamma, prefix + "scale")
    p.assign(layer.beta, prefix + "bias")


def _attention(p, layer, prefix):
    for name, dense in compat.attention_projections(layer).items():
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
    _encoder(p, vit.encoder, prefix + "Transformer/")
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
    """Assigns big_vision two-tower `params` to a built `model`.

    Args:
        model: a `TwoTower` (e.g. `SigLIP`) with `ViTEncoder` and
            `TextEncoder` towers, already built on inputs.
        params: flat dict of '/'-joined Flax parameter paths (with or
            without the `params/` prefix), e.g. `dict(np.load(npz))`.
            bfloat16 and scanned layouts are accepted.

    Returns:
        The model.

    Raises:
        KeyError: a parameter the model needs is missing.
        ValueError: a shape disagrees, or a checkpoint entry is unused.
    """
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
