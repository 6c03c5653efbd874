"""big_vision's named transformer sizes ("B/16", "So400m/14", ...)."""

# (width, depth, mlp_dim, num_heads), as big_vision's `vit.decode_variant`
# (Table 2 of arXiv:2106.04560, plus SigLIP's shape-optimised So400m).
VARIANTS = {
    "mu": (32, 1, 128, 2),
    "Ti": (192, 12, 768, 3),
    "S": (384, 12, 1536, 6),
    "M": (512, 12, 2048, 8),
    "B": (768, 12, 3072, 12),
    "L": (1024, 24, 4096, 16),
    "So400m": (1152, 27, 4304, 16),
    "H": (1280, 32, 5120, 16),
    "g": (1408, 40, 6144, 16),
    "g-opt": (1536, 40, 6144, 16),
    "G": (1664, 48, 8192, 16),
    "e": (1792, 56, 15360, 16),
}


def decode_variant(variant):
    """Turns "B" or "B/16" into transformer keyword arguments.

    Args:
        variant: a size name from `VARIANTS`, optionally followed by
            "/<patch size>".

    Returns:
        A dict with `width`, `depth`, `mlp_dim`, `num_heads` and, when a
        patch size is given, `patch_size`.

    Example:

    >>> decode_variant("So400m/14")["width"], decode_variant("B/16")["patch_size"]
    (1152, (16, 16))
    """
    name, _, patch = str(variant).partition("/")
    if name not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; sizes are "
                         f"{sorted(VARIANTS)}, optionally with '/<patch>'.")
    width, depth, mlp_dim, num_heads = VARIANTS[name]
    out = dict(width=width, depth=depth, mlp_dim=mlp_dim, num_heads=num_heads)
    if patch:
        if not patch.isdigit() or int(patch) < 1:
            raise ValueError(f"Bad patch size in variant {variant!r}.")
        out["patch_size"] = (int(patch), int(patch))
    return out
