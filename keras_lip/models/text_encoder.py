"""big_vision's text transformer (`proj/image_text/text_transformer.py`)."""

import keras
import numpy as np
from keras import ops

from keras_lip.layers.map_head import MAPHead
from keras_lip.layers.transformer_encoder import TransformerEncoder

POOL_TYPES = ("last", "first", "mean", "max", "map")


@keras.saving.register_keras_serializable(package="keras_lip")
class TextEncoder(keras.layers.Layer):
    """Token embedding + learned position embedding of fixed length, the ViT
    encoder blocks with NO causal and NO padding mask, pooling, head Dense.

    Args:
        vocab_size: embedding rows.
        width, depth, mlp_dim, num_heads: transformer shape.
        pool_type: "last" (default), "first", "mean", "max" or "map".
        num_classes: width of the head Dense, or None for no head.
        dropout: dropout rate in the blocks.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> text = TextEncoder(101, 64, 2, 128, 4, num_classes=32)
    >>> tuple(text(np.ones((2, 16), "int32")).shape)
    (2, 32)
    """

    def __init__(self, vocab_size, width, depth, mlp_dim, num_heads,
                 pool_type="last", num_classes=None, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if pool_type not in POOL_TYPES:
            raise ValueError(f"pool_type={pool_type!r}; expected one of "
                             f"{POOL_TYPES}.")
        self.vocab_size = vocab_size
        self.width = width
        self.depth = depth
        self.mlp_dim = mlp_dim
        self.num_heads = num_heads
        self.pool_type = pool_type
        self.num_classes = num_classes
        self.dropout = dropout

    def build(self, input_shape):
        length = input_shape[-1]
        if length is None:
            raise ValueError("TextEncoder needs a fixed text length; got "
                             f"input shape {input_shape}.")
        self.embed = keras.layers.Embedding(
            self.vocab_size, self.width, dtype=self.dtype_policy,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="Embed_0")
        self.embed.build(input_shape)
        self.pos_embedding = self.add_weight(
            shape=(1, length, self.width), name="pos_embedding",
            initializer=keras.initializers.RandomNormal(
                stddev=1 / np.sqrt(self.width)))
        self.encoder = TransformerEncoder(
            self.depth, self.num_heads, self.mlp_dim, self.dropout,
            dtype=self.dtype_policy, name="Encoder_0")
        self.encoder.build((None, length, self.width))
        if self.pool_type == "map":
            self.map_head = MAPHead(self.num_heads, self.mlp_dim,
                                    dtype=self.dtype_policy, name="MAPHead_0")
            self.map_head.build((None, length, self.width))
        if self.num_classes:
            self.head = keras.layers.Dense(
                self.num_classes, dtype=self.dtype_policy, name="head")
            self.head.build((None, self.width))

    def call(self, token_ids, training=None):
        x = self.embed(token_ids)
        x = x + ops.cast(self.pos_embedding, x.dtype)
        x = self.encoder(x, training=training)
        if self.pool_type == "last":
            x = x[:, -1]
        elif self.pool_type == "first":
            x = x[:, 0]
        elif self.pool_type == "mean":
            x = ops.mean(x, axis=1)
        elif self.pool_type == "max":
            x = ops.max(x, axis=1)
        else:
            x = self.map_head(x)
        if self.num_classes:
            x = self.head(x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({
            "vocab_size": self.vocab_size, "width": self.width,
            "depth": self.depth, "mlp_dim": self.mlp_dim,
            "num_heads": self.num_heads, "pool_type": self.pool_type,
            "num_classes": self.num_classes, "dropout": self.dropout,
        })
        return config
