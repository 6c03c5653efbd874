"""big_vision's text transformer (`proj/image_text/text_transformer.py`)."""

import keras
import numpy as np
from keras import ops

from keras_lip.models.tower import TransformerTower


@keras.saving.register_keras_serializable(package="keras_lip")
class TextEncoder(TransformerTower):
    """Token embedding + learned position embedding of fixed length, the ViT
    encoder blocks with NO causal and NO padding mask, pooling, head Dense.
    The text length is fixed by the first input the layer is built on.
    Named sizes: `TextEncoder.from_variant("B", vocab_size=32000)`.

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

    POOL_TYPES = ("last", "first", "mean", "max", "map")

    def __init__(self, vocab_size, width, depth, mlp_dim, num_heads,
                 pool_type="last", num_classes=None, dropout=0.0, **kwargs):
        super().__init__(width, depth, mlp_dim, num_heads, pool_type,
                         num_classes, dropout, **kwargs)
        self.vocab_size = vocab_size

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
        self.encoder = self._build_encoder("Encoder_0", length)
        self._build_head("lecun_normal")  # Flax's Dense default.

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
        return self._apply_head(x)

    def get_config(self):
        config = super().get_config()
        config["vocab_size"] = self.vocab_size
        return config
