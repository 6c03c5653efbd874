"""big_vision's `MlpBlock`: Dense → gelu (tanh approximation) → Dense."""

import keras


@keras.saving.register_keras_serializable(package="keras_lip")
class MlpBlock(keras.layers.Layer):
    """Transformer MLP as big_vision's `vit.MlpBlock`.

    Args:
        mlp_dim: hidden width (big_vision: 4·width when None).
        dropout: dropout rate after the activation.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> tuple(MlpBlock(8)(np.zeros((2, 3, 4), "float32")).shape)
    (2, 3, 4)
    """

    def __init__(self, mlp_dim=None, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mlp_dim = mlp_dim
        self.dropout = dropout

    def build(self, input_shape):
        width = input_shape[-1]
        init = keras.initializers.GlorotUniform()
        bias_init = keras.initializers.RandomNormal(stddev=1e-6)
        self.dense_0 = keras.layers.Dense(
            self.mlp_dim or 4 * width, kernel_initializer=init,
            bias_initializer=bias_init, dtype=self.dtype_policy, name="Dense_0")
        self.dense_0.build(input_shape)
        self.dropout_layer = keras.layers.Dropout(self.dropout)
        self.dense_1 = keras.layers.Dense(
            width, kernel_initializer=init, bias_initializer=bias_init,
            dtype=self.dtype_policy, name="Dense_1")
        self.dense_1.build(tuple(input_shape[:-1]) + (self.mlp_dim or 4 * width,))

    def call(self, x, training=None):
        x = keras.activations.gelu(self.dense_0(x), approximate=True)
        return self.dense_1(self.dropout_layer(x, training=training))

    def get_config(self):
        config = super().get_config()
        config.update({"mlp_dim": self.mlp_dim, "dropout": self.dropout})
        return config
