"""Locking (freezing) a tower in named groups of variables, as LiT does.

A tower's variables are split into ordered groups: everything before the
first numbered block ("stem": patch/token embeddings, class token,
position embeddings, a CNN's first convolution), one group per block, and
everything after the last one ("head": final norm, pooling head, head
Dense). Blocks are found by name, so keras_lip's and keras-hub's towers
need no special code: a path component `<stem><block word>[_]<index>`
whose stem occurs with at least two indices, the block word being block,
layer, stack or stage (`encoderblock_3`, `transformer_layer_11`,
`encoder_block_0`, keras-hub ResNet's `stack2_...`). `patterns=` (a list
of regexes, one per group, first match wins) groups any other model.

Unlocking the last K groups is open_clip's `--lock-image-unlocked-groups
K`: K=1 unlocks the head group, K=2 also the last block, ...
"""

import re

from keras_lip import compat

_BLOCK = re.compile(
    r"(?:^|[/_])([A-Za-z_]*?(?:block|layer|stack|stage)s?)_?(\d+)(?=$|[/_])",
    re.IGNORECASE)


def _transformer_tower_groups(tower):
    """keras_lip's towers, whose blocks are known (and whose embedding is
    created after the encoder, so `weights` order is not execution order)."""
    blocks = [(block.name, list(block.weights))
              for block in tower.encoder.blocks]
    late = [*tower.encoder.encoder_norm.weights,
            *(tower.map_head.weights if tower.map_head is not None else []),
            *(tower.head.weights if tower.head is not None else [])]
    inner = {id(v) for _, vs in blocks for v in vs} | {id(v) for v in late}
    stem = [v for v in tower.weights if id(v) not in inner]
    return [g for g in [("stem", stem), *blocks, ("head", late)] if g[1]]


def _block_of(path, stems):
    for match in _BLOCK.finditer(path):
        stem = path[:match.start(2)].rstrip("_")
        if stem in stems:
            return stem, int(match.group(2))
    return None


def _named_groups(tower):
    from keras_lip.models.tower import TransformerTower

    if isinstance(tower, TransformerTower):
        return _transformer_tower_groups(tower)
    variables = list(tower.weights)  # Execution order for functional and
    # Sequential models (keras-hub backbones), creation order otherwise.
    indices = {}
    for v in variables:
        for match in _BLOCK.finditer(v.path):
            stem = v.path[:match.start(2)].rstrip("_")
            indices.setdefault(stem, set()).add(int(match.group(2)))
    stems = {stem for stem, seen in indices.items() if len(seen) >= 2}
    groups, order, seen_block = {}, [], False
    blocks = [_block_of(v.path, stems) for v in variables]
    last_block = max((i for i, b in enumerate(blocks) if b), default=-1)
    current = "stem"
    for i, (v, block) in enumerate(zip(variables, blocks)):
        if block is not None:
            seen_block = True
            current = f"{block[0].rsplit('/', 1)[-1]}_{block[1]}"
            key = block
        elif not seen_block:
            current, key = "stem", ("", -1)
        elif i > last_block:
            current, key = "head", ("~", 0)
        else:  # Between blocks: belongs to the block before it.
            key = order[-1][0]
        if key not in groups:
            groups[key] = (current, [])
            order.append((key, current))
        groups[key][1].append(v)
    # Blocks by index (execution order), stem first, head last.
    keys = sorted(groups, key=lambda k: (k != ("", -1), k == ("~", 0), k))
    return [groups[k] for k in keys]


def _pattern_groups(tower, patterns):
    compiled = [re.compile(p) for p in patterns]
    groups = [(p, []) for p in patterns]
    unmatched = []
    for v in tower.weights:
        for i, regex in enumerate(compiled):
            if regex.search(v.path):
                groups[i][1].append(v)
                break
        else:
            unmatched.append(v.path)
    if unmatched:
        raise ValueError(
            f"Group patterns {list(patterns)} match none of these variables "
            f"of {tower.name}: {unmatched[:5]}"
            f"{' ...' if len(unmatched) > 5 else ''}; add a pattern (e.g. "
            "'.*' last) so every variable is in a group.")
    return [g for g in groups if g[1]]


def lock_groups(tower, patterns=None):
    """The tower's variables in ordered groups: `[(name, [variables])]`.

    Args:
        tower: a built Keras layer or model.
        patterns: None (groups by block names, see the module), or a list
            of regexes over `variable.path`, one group each in order
            (first match wins; every variable must match one).

    Example:

    >>> from keras_lip.models import ViTEncoder
    >>> vit = ViTEncoder(8, 32, 2, 64, 2, image_size=16)
    >>> [name for name, _ in lock_groups(vit)]
    ['stem', 'encoderblock_0', 'encoderblock_1', 'head']
    """
    if not tower.built:
        raise ValueError(f"Tower {tower.name!r} is not built: build it (or "
                         "give it its input geometry) before locking it.")
    if patterns:
        return _pattern_groups(tower, patterns)
    return _named_groups(tower)


def apply_lock(tower, locked, unlocked_groups=0, patterns=None):
    """Sets the tower's trainable flags: all trainable when not `locked`;
    else only the last `unlocked_groups` groups.

    Locked variables leave `trainable_weights` (so the optimizer makes no
    slots for them, decays and clips nothing of theirs). Every sub-layer
    whose variables are all locked gets `trainable=False`, which also runs
    a BatchNormalization layer in inference mode (frozen statistics).
    Returns the number of groups.
    """
    tower.trainable = True
    if not locked:
        return None
    groups = lock_groups(tower, patterns)
    if not 0 <= unlocked_groups <= len(groups):
        raise ValueError(
            f"unlocked groups={unlocked_groups}, but {tower.name!r} has "
            f"{len(groups)} groups: {[name for name, _ in groups]}.")
    if unlocked_groups == 0:
        tower.trainable = False
        return len(groups)
    locked_ids = {id(v) for _, vs in groups[:len(groups) - unlocked_groups]
                  for v in vs}
    for layer in compat.sublayers(tower):
        if layer.weights and all(id(v) in locked_ids for v in layer.weights):
            layer.trainable = False
    for v in tower.weights:
        if id(v) in locked_ids:
            v.trainable = False
    return len(groups)
