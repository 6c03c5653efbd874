"""NaFlex's patch embedding: Dense on flattened patches + resized posemb."""

import keras
import numpy as np
from keras import ops

from keras_lip.layers.naflex_posemb import naflex_position_embedding


@keras.saving.register_keras_serializable(package="keras_lip")
class NaFlexPatchEmbedding(keras.layers.Layer):
    """Embeds NaFlex patches and adds per-image resized position embeddings.

    big_vision's `naflex_vit` stem: `embedding` (Dense on `[P·P·C]`
    flattened patches, = a conv kernel reshaped in (y, x, c) order) and a
    learned `pos_embedding` `[nposemb, nposemb, width]` (no batch dim),
    resized per image by `naflex_position_embedding`.

    Args:
        width: token width.
        nposemb: posemb grid side (int) or (h, w).
        **kwargs: passed to `keras.layers.Layer`.

    Call args:
        patches: `[batch, tokens, P·P·C]`.
        yidx, xidx: `[batch, tokens]` int patch coordinates (0 for pads).

    Returns:
        `[batch, tokens, width]`.

    Example:

    >>> import numpy as np
    >>> embed = NaFlexPatchEmbedding(8, nposemb=4)
    >>> idx = np.zeros((2, 5), "int32")
    >>> tuple(embed(np.zeros((2, 5, 12), "float32"), idx, idx).shape)
    (2, 5, 8)
    """

    def __init__(self, width, nposemb, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.nposemb = ((nposemb, nposemb) if isinstance(nposemb, int)
                        else tuple(nposemb))

    def build(self, patches_shape, yidx_shape=None, xidx_shape=None):
        self.embedding = keras.layers.Dense(
            self.width, kernel_initializer="lecun_normal",
            dtype=self.dtype_policy, name="embedding")
        self.embedding.build(patches_shape)
        self.pos_embedding = self.add_weight(
            shape=(*self.nposemb, self.width), name="pos_embedding",
            initializer=keras.initializers.RandomNormal(
                stddev=1 / np.sqrt(self.width)))

    def call(self, patches, yidx, xidx):
        x = self.embedding(patches)
        posemb = naflex_position_embedding(self.pos_embedding, yidx, xidx)
        return x + ops.cast(posemb, x.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"width": self.width, "nposemb": self.nposemb})
        return config
