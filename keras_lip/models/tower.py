"""What the ViT and text towers share: shape, pooling head and config."""

import keras

from keras_lip.layers.map_head import MAPHead
from keras_lip.layers.transformer_encoder import TransformerEncoder
from keras_lip.models.variants import decode_variant


class TransformerTower(keras.layers.Layer):
    """Base of `ViTEncoder` and `TextEncoder` (not used on its own).

    Holds the transformer shape, builds the encoder, the optional "map"
    pooling head and the optional output `head` Dense, and serialises them.
    """

    POOL_TYPES = ()

    def __init__(self, width, depth, mlp_dim, num_heads, pool_type,
                 num_classes=None, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if pool_type not in self.POOL_TYPES:
            raise ValueError(f"pool_type={pool_type!r}; expected one of "
                             f"{self.POOL_TYPES}.")
        if width % num_heads:
            raise ValueError(f"width {width} is not divisible by num_heads "
                             f"{num_heads}.")
        self.width = width
        self.depth = depth
        self.mlp_dim = mlp_dim
        self.num_heads = num_heads
        self.pool_type = pool_type
        self.num_classes = num_classes
        self.dropout = dropout

    @classmethod
    def from_variant(cls, variant, **kwargs):
        """Builds the tower from a big_vision size name ("B", "So400m/14").

        `kwargs` (e.g. `pool_type`, `num_classes`, `vocab_size`) are passed
        to the constructor and may override the variant's values.
        """
        return cls(**{**decode_variant(variant), **kwargs})

    def _build_encoder(self, name, tokens):
        encoder = TransformerEncoder(
            self.depth, self.num_heads, self.mlp_dim, self.dropout,
            dtype=self.dtype_policy, name=name)
        encoder.build((None, tokens, self.width))
        if self.pool_type == "map":
            self.map_head = MAPHead(self.num_heads, self.mlp_dim,
                                    dtype=self.dtype_policy, name="MAPHead_0")
            self.map_head.build((None, tokens, self.width))
        return encoder

    def _build_head(self, kernel_initializer):
        if self.num_classes:
            self.head = keras.layers.Dense(
                self.num_classes, kernel_initializer=kernel_initializer,
                dtype=self.dtype_policy, name="head")
            self.head.build((None, self.width))

    def _apply_head(self, x):
        return self.head(x) if self.num_classes else x

    def get_config(self):
        config = super().get_config()
        config.update({
            "width": self.width, "depth": self.depth,
            "mlp_dim": self.mlp_dim, "num_heads": self.num_heads,
            "pool_type": self.pool_type, "num_classes": self.num_classes,
            "dropout": self.dropout,
        })
        return config
