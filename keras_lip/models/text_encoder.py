"""big_vision's text transformer (`proj/image_text/text_transformer.py`)."""

import keras
import numpy as np
from keras import ops

from keras_lip.models.tower import TransformerTower


@keras.saving.register_keras_serializable(package="keras_lip")
class TextEncoder(TransformerTower):
    """Token embedding + learned position embedding of fixed length, the ViT
    encoder blocks with NO causal and NO padding mask, pooling, head Dense.
    Named sizes: `SigLIP.from_variant(..., text_variant="B")`.

    The input geometry is configuration: with `max_sequence_length` the
    tower is built in the constructor; without, the first input fixes it.

    Args:
        vocab_size: embedding rows.
        width, depth, mlp_dim, num_heads: transformer shape.
        max_sequence_length: the text length L (big_vision: 64), or None
            to take it from the first input.
        pool_type: "last" (default), "first", "mean", "max" or "map".
        num_classes: width of the head Dense, or None for no head.
        dropout: dropout rate in the blocks.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> text = TextEncoder(101, 64, 2, 128, 4, max_sequence_length=16,
    ...                    num_classes=32)
    >>> tuple(text(np.ones((2, 16), "int32")).shape)
    (2, 32)
    """

    POOL_TYPES = ("last", "first", "mean", "max", "map")

    def __init__(self, vocab_size, width, depth, mlp_dim, num_heads,
                 max_sequence_length=None, pool_type="last", num_classes=None,
                 dropout=0.0, **kwargs):
        super().__init__(width, depth, mlp_dim, num_heads, pool_type,
                         num_classes, dropout, encoder_name="Encoder_0",
                         **kwargs)
        # === Config ===
        self.vocab_size = vocab_size
        self.max_sequence_length = max_sequence_length
        # === Layers ===
        self.embed = keras.layers.Embedding(
            vocab_size, width, dtype=self.dtype_policy,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="Embed_0")
        if max_sequence_length is not None:
            self.build((None, max_sequence_length))

    def build(self, input_shape):
        length = input_shape[-1]
        if self.max_sequence_length is None:
            if length is None:
                raise ValueError("TextEncoder needs a fixed text length; got "
                                 f"input shape {input_shape}.")
            self.max_sequence_length = int(length)
        length = self.max_sequence_length
        self.embed.build((None, length))
        self.pos_embedding = self.add_weight(
            shape=(1, length, self.width), name="pos_embedding",
            initializer=keras.initializers.RandomNormal(
                stddev=1 / np.sqrt(self.width)))
        self._build_encoder(length)
        self.built = True

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
        config.update({"vocab_size": self.vocab_size,
                       "max_sequence_length": self.max_sequence_length})
        return config
