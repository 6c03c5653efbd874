"""FlexiViT's patch + position embedding at a per-call patch size."""

import keras
import numpy as np
from keras import ops

from keras_lip.layers.patch_resample import resample_patch_embedding
from keras_lip.layers.posemb_resample import resize_posemb


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


@keras.saving.register_keras_serializable(package="keras_lip")
class FlexiPatchEmbedding(keras.layers.Layer):
    """Patchify with a resizable kernel and add a resizable posemb.

    The conv kernel is stored at an underlying `patch_size` and the learned
    position embedding at an underlying `posemb_size` grid (big_vision's
    `proj.flexi.vit`: `embedding/kernel`, `embedding/bias`,
    `pos_embedding`). Each call picks a patch size, PI-resizes the kernel
    to it (`resample_patch_embedding`), convolves (stride = patch, "valid":
    leftover bottom/right pixels are dropped), and adds the posemb resized
    to the token grid (`resize_posemb`). Image and patch sizes must be
    static (they are under jit with fixed shapes).

    Args:
        width: token width.
        patch_size: underlying (stored) kernel size, int or (h, w).
        posemb_size: underlying posemb grid, int or (h, w).
        **kwargs: passed to `keras.layers.Layer`.

    Call args:
        images: `[batch, H, W, C]`.
        seqhw: token grid side(s): patch = `(H // seqhw, W // seqhw)`, as
            big_vision's `seqhw` argument. The token grid is `H // patch`,
            which can exceed `seqhw` (24 px, seqhw 5: patch 4, 6x6 tokens).
        patch_size: or the patch size directly (int or (h, w)). With
            neither, the underlying patch size.

    Returns:
        `[batch, gh·gw, width]` tokens with the posemb added, row-major.

    Example:

    >>> import numpy as np
    >>> embed = FlexiPatchEmbedding(16, patch_size=8, posemb_size=4)
    >>> images = np.zeros((2, 32, 32, 3), "float32")
    >>> tuple(embed(images).shape), tuple(embed(images, seqhw=8).shape)
    ((2, 16, 16), (2, 64, 16))
    """

    def __init__(self, width, patch_size=32, posemb_size=7, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.patch_size = _pair(patch_size)
        self.posemb_size = _pair(posemb_size)

    def build(self, input_shape):
        init = keras.initializers.RandomNormal(stddev=1 / np.sqrt(self.width))
        self.kernel = self.add_weight(
            shape=(*self.patch_size, input_shape[-1], self.width),
            initializer=init, name="kernel")
        self.bias = self.add_weight(shape=(self.width,), initializer="zeros",
                                    name="bias")
        self.pos_embedding = self.add_weight(
            shape=(1, self.posemb_size[0] * self.posemb_size[1], self.width),
            initializer=init, name="pos_embedding")

    def resolve_patch_size(self, image_hw, seqhw=None, patch_size=None):
        """The patch size a call with these arguments uses."""
        if seqhw is not None and patch_size is not None:
            raise ValueError("Pass seqhw or patch_size, not both.")
        if seqhw is not None:
            if None in tuple(image_hw):
                raise ValueError("seqhw needs a static image size; got "
                                 f"{tuple(image_hw)}.")
            patch = tuple(int(s) // g for s, g in zip(image_hw, _pair(seqhw)))
        else:
            patch = _pair(patch_size) if patch_size else self.patch_size
        if min(patch) < 1:
            raise ValueError(f"Patch size {patch} (image {tuple(image_hw)}, "
                             f"seqhw={seqhw}) is empty.")
        return patch

    def embed_patches(self, images, patch):
        """The conv stem `[batch, gh, gw, width]` at patch size `patch`."""
        # Resample in the variable dtype (float32), then cast.
        kernel = ops.cast(resample_patch_embedding(self.kernel, patch),
                          images.dtype)
        x = ops.conv(images, kernel, strides=patch, padding="valid",
                     data_format="channels_last")
        return x + ops.cast(self.bias, x.dtype)

    def call(self, images, seqhw=None, patch_size=None):
        patch = self.resolve_patch_size(images.shape[1:3], seqhw, patch_size)
        x = self.embed_patches(images, patch)
        grid = tuple(x.shape[1:3])
        x = ops.reshape(x, (-1, grid[0] * grid[1], self.width))
        posemb = resize_posemb(self.pos_embedding, self.posemb_size, grid)
        return x + ops.cast(posemb, x.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"width": self.width, "patch_size": self.patch_size,
                       "posemb_size": self.posemb_size})
        return config
