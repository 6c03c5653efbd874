"""big_vision's ViT image encoder (`models/vit.py`), in keras.ops."""

import keras
import numpy as np
from keras import ops

from keras_lip.models.tower import TransformerTower


def posemb_sincos_2d(h, w, width, temperature=10_000.0):
    """big_vision's fixed 2D sin-cos position embedding, `[1, h·w, width]`."""
    if width % 4:
        raise ValueError(f"sincos2d needs a width divisible by 4; got {width}.")
    y, x = np.mgrid[:h, :w]
    omega = np.arange(width // 4) / (width // 4 - 1)
    omega = 1.0 / (temperature**omega)
    y = np.einsum("m,d->md", y.flatten(), omega)
    x = np.einsum("m,d->md", x.flatten(), omega)
    pe = np.concatenate([np.sin(x), np.cos(x), np.sin(y), np.cos(y)], axis=1)
    return pe[None].astype("float32")


def _pair(value):
    return None if value is None else (
        (int(value), int(value)) if isinstance(value, (int, np.integer))
        else tuple(int(v) for v in value))


@keras.saving.register_keras_serializable(package="keras_lip")
class ViTEncoder(TransformerTower):
    """Vision Transformer with big_vision's numerics.

    Conv patch embedding (kernel = stride = patch, with bias), position
    embedding ("learn": normal(1/√width); or "sincos2d"), a cls token added
    AFTER the position embedding when pooling is "tok", pre-LN encoder blocks,
    `encoder_norm`, then pooling "map" | "gap" | "tok" | "none" and an
    optional head Dense (zero-initialised, as big_vision). Named sizes:
    `SigLIP.from_variant("B/16")` (see `keras_lip.models.variants`).

    The input geometry is configuration: with `image_size` the tower is
    built in the constructor and checks every input against it; without,
    the first input fixes it.

    Args:
        patch_size: int or (h, w).
        width, depth, mlp_dim, num_heads: transformer shape.
        image_size: int or (h, w), a multiple of the patch size; None to
            take it from the first input.
        pool_type: "map", "gap", "tok" or "none".
        posemb: "learn" or "sincos2d".
        num_classes: width of the head Dense, or None for no head.
        head_zeroinit: zero-initialise the head kernel (big_vision default).
        dropout: dropout rate in the blocks.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> vit = ViTEncoder(8, width=64, depth=2, mlp_dim=128, num_heads=4,
    ...                  image_size=32)
    >>> vit.image_shape, vit.built
    ((32, 32, 3), True)
    >>> tuple(vit(np.zeros((2, 32, 32, 3), "float32")).shape)
    (2, 64)
    """

    POOL_TYPES = ("map", "gap", "tok", "none")

    def __init__(self, patch_size, width, depth, mlp_dim, num_heads,
                 image_size=None, pool_type="map", posemb="learn",
                 num_classes=None, head_zeroinit=True, dropout=0.0, **kwargs):
        super().__init__(
            width, depth, mlp_dim, num_heads, pool_type, num_classes, dropout,
            encoder_name="Transformer",
            head_initializer="zeros" if head_zeroinit else "lecun_normal",
            **kwargs)
        if posemb not in ("learn", "sincos2d"):
            raise ValueError(f"posemb={posemb!r}; expected 'learn' or "
                             "'sincos2d'.")
        # === Config ===
        self.patch_size = _pair(patch_size)
        self.image_size = _pair(image_size)
        self.posemb = posemb
        self.head_zeroinit = head_zeroinit
        # === Layers ===
        self.embedding = keras.layers.Conv2D(
            width, self.patch_size, strides=self.patch_size, padding="valid",
            dtype=self.dtype_policy, name="embedding")
        if self.image_size is not None:
            self.build((None, *self.image_size, 3))

    @property
    def image_shape(self):
        """`(height, width, 3)` this tower takes, or None before the first
        input when no `image_size` was given."""
        return None if self.image_size is None else (*self.image_size, 3)

    def build(self, input_shape):
        _, height, width, _ = input_shape
        if self.image_size is None:
            self.image_size = (int(height), int(width))
        ph, pw = self.patch_size
        if self.image_size[0] % ph or self.image_size[1] % pw:
            raise ValueError(f"Image size {self.image_size} is not a multiple "
                             f"of patch_size {self.patch_size}.")
        self.grid = (self.image_size[0] // ph, self.image_size[1] // pw)
        tokens = self.grid[0] * self.grid[1]
        self.embedding.build((None, *self.image_size, 3))
        if self.posemb == "learn":
            self.pos_embedding = self.add_weight(
                shape=(1, tokens, self.width), name="pos_embedding",
                initializer=keras.initializers.RandomNormal(
                    stddev=1 / np.sqrt(self.width)))
        if self.pool_type == "tok":
            self.cls = self.add_weight(shape=(1, 1, self.width), name="cls",
                                       initializer="zeros")
            tokens += 1
        self._build_encoder(tokens)
        self.built = True

    def call(self, images, training=None):
        x = self.embedding(images)
        batch = ops.shape(x)[0]
        x = ops.reshape(x, (batch, -1, self.width))
        if self.posemb == "learn":
            x = x + ops.cast(self.pos_embedding, x.dtype)
        else:
            x = x + ops.cast(posemb_sincos_2d(*self.grid, self.width), x.dtype)
        if self.pool_type == "tok":
            cls = ops.tile(ops.cast(self.cls, x.dtype), (batch, 1, 1))
            x = ops.concatenate([cls, x], axis=1)
        x = self.encoder(x, training=training)
        if self.pool_type == "map":
            x = self.map_head(x)
        elif self.pool_type == "gap":
            x = ops.mean(x, axis=1)
        elif self.pool_type == "tok":
            x = x[:, 0]
        return self._apply_head(x)

    def get_config(self):
        config = super().get_config()
        config.update({"patch_size": self.patch_size,
                       "image_size": self.image_size, "posemb": self.posemb,
                       "head_zeroinit": self.head_zeroinit})
        return config
