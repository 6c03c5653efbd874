"""big_vision's multihead attention pooling (`vit.MAPHead`)."""

import keras
from keras import ops

from keras_lip.layers.mlp_block import MlpBlock


@keras.saving.register_keras_serializable(package="keras_lip")
class MAPHead(keras.layers.Layer):
    """A learned probe attends over the tokens, then a residual MLP.

    Args:
        num_heads: attention heads.
        mlp_dim: MLP hidden width.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> tuple(MAPHead(2, 8)(np.zeros((2, 5, 4), "float32")).shape)
    (2, 4)
    """

    def __init__(self, num_heads, mlp_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.mlp_dim = mlp_dim

    def build(self, input_shape):
        width = input_shape[-1]
        self.probe = self.add_weight(
            shape=(1, 1, width), initializer="glorot_uniform", name="probe")
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, width // self.num_heads,
            kernel_initializer="glorot_uniform", dtype=self.dtype_policy,
            name="MultiHeadDotProductAttention_0")
        self.attention.build((None, 1, width), input_shape)
        self.norm = keras.layers.LayerNormalization(
            epsilon=1e-6, dtype=self.dtype_policy, name="LayerNorm_0")
        self.norm.build((None, 1, width))
        self.mlp = MlpBlock(self.mlp_dim, dtype=self.dtype_policy,
                            name="MlpBlock_0")
        self.mlp.build((None, 1, width))

    def call(self, x):
        batch = ops.shape(x)[0]
        probe = ops.tile(ops.cast(self.probe, x.dtype), (batch, 1, 1))
        x = self.attention(probe, x)
        x = x + self.mlp(self.norm(x))
        return x[:, 0]

    def get_config(self):
        config = super().get_config()
        config.update({"num_heads": self.num_heads, "mlp_dim": self.mlp_dim})
        return config
