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


def variant_towers(image_variant, text_variant=None, *, vocab_size,
                   image_size=None, max_sequence_length=None, embed_dim=None,
                   image_head=False, image_pool="map", text_pool="last",
                   image_kwargs=None, text_kwargs=None):
    """big_vision's ViT and text transformer towers by size name.

    The text tower always ends in a head Dense to the joint width
    (`embed_dim`, default the image width); the image tower gets one when
    `image_head` or `embed_dim` is set (SigLIP has none, CLIP has both).

    Args:
        image_variant: ViT size and patch, e.g. "B/16", "So400m/14".
        text_variant: text size, default the image size ("B").
        vocab_size: text vocabulary.
        image_size: image side (or (h, w)); None: set by the first batch.
        max_sequence_length: text length; None: set by the first batch.
        embed_dim: joint embedding width (default: the image width).
        image_head: give the image tower a head even without `embed_dim`.
        image_pool, text_pool: pooling of each tower.
        image_kwargs, text_kwargs: tower arguments overriding the
            variant's (e.g. `{"width": 64, "num_heads": 4}`).

    Returns:
        `(ViTEncoder, TextEncoder)`, named "image_encoder"/"text_encoder".
    """
    from keras_lip.models.text_encoder import TextEncoder
    from keras_lip.models.vit_encoder import ViTEncoder

    image = decode_variant(image_variant)
    if "patch_size" not in image:
        raise ValueError(f"image_variant {image_variant!r} needs a patch "
                         "size, e.g. 'B/16'.")
    text_variant = text_variant or str(image_variant).split("/")[0]
    width = embed_dim or (image_kwargs or {}).get("width", image["width"])
    image_kwargs = {**image, "pool_type": image_pool,
                    "num_classes": width if image_head or embed_dim else None,
                    "head_zeroinit": False,
                    "image_size": image_size, "name": "image_encoder",
                    **(image_kwargs or {})}
    text_kwargs = {**decode_variant(text_variant), "pool_type": text_pool,
                   "num_classes": width,
                   "max_sequence_length": max_sequence_length,
                   "name": "text_encoder", **(text_kwargs or {})}
    return ViTEncoder(**image_kwargs), TextEncoder(vocab_size, **text_kwargs)
