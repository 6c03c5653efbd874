"""A stack of `EncoderBlock`s and a final LayerNorm (`vit.Encoder`)."""

import keras

from keras_lip.layers.encoder_block import EncoderBlock


@keras.saving.register_keras_serializable(package="keras_lip")
class TransformerEncoder(keras.layers.Layer):
    """`depth` pre-LN blocks followed by `encoder_norm` (epsilon 1e-6).

    Args:
        depth: number of blocks.
        num_heads: attention heads.
        mlp_dim: MLP hidden width.
        dropout: dropout rate.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> tuple(TransformerEncoder(2, 2, 8)(np.zeros((2, 3, 4), "float32")).shape)
    (2, 3, 4)
    """

    def __init__(self, depth, num_heads, mlp_dim=None, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth
        self.num_heads = num_heads
        self.mlp_dim = mlp_dim
        self.dropout = dropout

    def build(self, input_shape):
        self.blocks = []
        for i in range(self.depth):
            block = EncoderBlock(self.num_heads, self.mlp_dim, self.dropout,
                                 dtype=self.dtype_policy,
                                 name=f"encoderblock_{i}")
            block.build(input_shape)
            self.blocks.append(block)
        self.encoder_norm = keras.layers.LayerNormalization(
            epsilon=1e-6, dtype=self.dtype_policy, name="encoder_norm")
        self.encoder_norm.build(input_shape)

    def call(self, x, training=None):
        for block in self.blocks:
            x = block(x, training=training)
        return self.encoder_norm(x)

    def get_config(self):
        config = super().get_config()
        config.update({"depth": self.depth, "num_heads": self.num_heads,
                       "mlp_dim": self.mlp_dim, "dropout": self.dropout})
        return config
