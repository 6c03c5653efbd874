"""What the ViT and text towers share: shape, sub-layers and config."""

import keras

from keras_lip.layers.map_head import MAPHead
from keras_lip.layers.transformer_encoder import TransformerEncoder


class TransformerTower(keras.layers.Layer):
    """Base of `ViTEncoder` and `TextEncoder` (not used on its own).

    Holds the transformer shape and creates, in `__init__`, the encoder,
    the optional "map" pooling head and the optional output `head` Dense;
    subclasses add their embeddings and declare their input geometry.
    """

    POOL_TYPES = ()

    def __init__(self, width, depth, mlp_dim, num_heads, pool_type,
                 num_classes=None, dropout=0.0, encoder_name="Transformer",
                 head_initializer="lecun_normal", **kwargs):
        super().__init__(**kwargs)
        if pool_type not in self.POOL_TYPES:
            raise ValueError(f"pool_type={pool_type!r}; expected one of "
                             f"{self.POOL_TYPES}.")
        if width % num_heads:
            raise ValueError(f"width {width} is not divisible by num_heads "
                             f"{num_heads}.")
        # === Config ===
        self.width = width
        self.depth = depth
        self.mlp_dim = mlp_dim
        self.num_heads = num_heads
        self.pool_type = pool_type
        self.num_classes = num_classes
        self.dropout = dropout
        # === Layers ===
        self.encoder = TransformerEncoder(
            depth, num_heads, mlp_dim, dropout, dtype=self.dtype_policy,
            name=encoder_name)
        self.map_head = None
        if pool_type == "map":
            self.map_head = MAPHead(num_heads, mlp_dim,
                                    dtype=self.dtype_policy, name="MAPHead_0")
        self.head = None
        if num_classes:
            self.head = keras.layers.Dense(
                num_classes, kernel_initializer=head_initializer,
                dtype=self.dtype_policy, name="head")

    def _build_encoder(self, tokens):
        self.encoder.build((None, tokens, self.width))
        if self.map_head is not None:
            self.map_head.build((None, tokens, self.width))
        if self.head is not None:
            self.head.build((None, self.width))

    def _apply_head(self, x):
        return x if self.head is None else self.head(x)

    def get_config(self):
        config = super().get_config()
        config.update({
            "width": self.width, "depth": self.depth,
            "mlp_dim": self.mlp_dim, "num_heads": self.num_heads,
            "pool_type": self.pool_type, "num_classes": self.num_classes,
            "dropout": self.dropout,
        })
        return config
