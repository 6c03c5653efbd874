"""`TransformerEncoder` whose self-attention skips padding tokens."""

import keras

from keras_lip.layers.masking import pairwise_attention_mask
from keras_lip.layers.transformer_encoder import TransformerEncoder


@keras.saving.register_keras_serializable(package="keras_lip")
class MaskedTransformerEncoder(TransformerEncoder):
    """big_vision NaFlex's encoder (`naflex_vit.Encoder` with a mask).

    The same blocks and weights as `TransformerEncoder` (so the same
    checkpoint names); `call` takes a `[batch, tokens]` padding mask and
    lets valid tokens attend only to valid tokens. Outputs at padding
    positions are meaningless. Without a mask it is `TransformerEncoder`.

    Args:
        depth, num_heads, mlp_dim, dropout: as `TransformerEncoder`.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> enc = MaskedTransformerEncoder(2, 2, 8)
    >>> x = np.random.default_rng(0).normal(size=(1, 3, 4)).astype("float32")
    >>> y = enc(x, padding_mask=np.array([[1, 1, 0]]))
    >>> # Valid tokens ignore the pad: same as running on them alone.
    >>> bool(np.allclose(np.asarray(y)[:, :2], np.asarray(enc(x[:, :2])),
    ...                  atol=1e-6))
    True
    """

    def call(self, x, padding_mask=None, training=None):
        if padding_mask is None:
            return super().call(x, training=training)
        mask = pairwise_attention_mask(padding_mask)
        for block in self.blocks:  # `EncoderBlock.call` with the mask.
            y = block.norm_0(x)
            y = block.attention(y, y, attention_mask=mask, training=training)
            x = x + block.dropout_layer(y, training=training)
            y = block.mlp(block.norm_1(x), training=training)
            x = x + block.dropout_layer(y, training=training)
        return self.encoder_norm(x)
