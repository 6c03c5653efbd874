"""`MAPHead` whose probe attends only to valid (non-padding) tokens."""

import keras
from keras import ops

from keras_lip.layers.map_head import MAPHead


@keras.saving.register_keras_serializable(package="keras_lip")
class MaskedMAPHead(MAPHead):
    """big_vision NaFlex's `MAPHead(x, mask)`: the same weights and names as
    `MAPHead`; `call` takes a `[batch, tokens]` padding mask. Without a
    mask it is `MAPHead`.

    Args:
        num_heads, mlp_dim: as `MAPHead`.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> head = MaskedMAPHead(2, 8)
    >>> x = np.random.default_rng(0).normal(size=(1, 3, 4)).astype("float32")
    >>> pooled = head(x, padding_mask=np.array([[1, 1, 0]]))
    >>> bool(np.allclose(np.asarray(pooled), np.asarray(head(x[:, :2])),
    ...                  atol=1e-6))
    True
    """

    def call(self, x, padding_mask=None):
        if padding_mask is None:
            return super().call(x)
        batch = ops.shape(x)[0]
        probe = ops.tile(ops.cast(self.probe, x.dtype), (batch, 1, 1))
        mask = ops.cast(padding_mask, "bool")[:, None, :]  # [batch, 1, tokens]
        x = self.attention(probe, x, attention_mask=mask)
        x = x + self.mlp(self.norm(x))
        return x[:, 0]
