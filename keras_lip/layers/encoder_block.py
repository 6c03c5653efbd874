"""big_vision's pre-LayerNorm transformer block (`vit.Encoder1DBlock`)."""

import keras

from keras_lip.layers.mlp_block import MlpBlock


@keras.saving.register_keras_serializable(package="keras_lip")
class EncoderBlock(keras.layers.Layer):
    """LN → self-attention → residual; LN → MLP → residual. No masks.

    LayerNorm epsilon 1e-6 and attention scale 1/√head_dim, as Flax.

    Args:
        num_heads: attention heads (width must be divisible by it).
        mlp_dim: MLP hidden width.
        dropout: dropout rate.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> tuple(EncoderBlock(2, 8)(np.zeros((2, 3, 4), "float32")).shape)
    (2, 3, 4)
    """

    def __init__(self, num_heads, mlp_dim=None, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.mlp_dim = mlp_dim
        self.dropout = dropout

    def build(self, input_shape):
        width = input_shape[-1]
        if width % self.num_heads:
            raise ValueError(f"width {width} is not divisible by "
                             f"num_heads={self.num_heads}.")
        self.norm_0 = keras.layers.LayerNormalization(
            epsilon=1e-6, dtype=self.dtype_policy, name="LayerNorm_0")
        self.norm_0.build(input_shape)
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, width // self.num_heads,
            kernel_initializer="glorot_uniform", dtype=self.dtype_policy,
            name="MultiHeadDotProductAttention_0")
        self.attention.build(input_shape, input_shape)
        self.norm_1 = keras.layers.LayerNormalization(
            epsilon=1e-6, dtype=self.dtype_policy, name="LayerNorm_1")
        self.norm_1.build(input_shape)
        self.mlp = MlpBlock(self.mlp_dim, self.dropout,
                            dtype=self.dtype_policy, name="MlpBlock_0")
        self.mlp.build(input_shape)
        self.dropout_layer = keras.layers.Dropout(self.dropout)

    def call(self, x, training=None):
        y = self.norm_0(x)
        y = self.attention(y, y, training=training)
        x = x + self.dropout_layer(y, training=training)
        y = self.mlp(self.norm_1(x), training=training)
        return x + self.dropout_layer(y, training=training)

    def get_config(self):
        config = super().get_config()
        config.update({"num_heads": self.num_heads, "mlp_dim": self.mlp_dim,
                       "dropout": self.dropout})
        return config
