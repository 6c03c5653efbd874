"""NaFlex's per-image position-embedding resize, in `keras.ops`."""

from keras import ops

from keras_lip.layers.resize_weights import triangle_weights


def _axis_weights(coords, grid, size):
    """`[batch, tokens, size]` weights of a `size` -> `grid` (per image)
    antialiased linear resize, sampled at integer `coords`."""
    scale = ops.cast(grid, "float32") / size  # [batch]
    inv_scale = (1.0 / scale)[:, None]
    sample = (ops.cast(coords, "float32") + 0.5) * inv_scale - 0.5
    kernel_scale = ops.maximum(inv_scale, 1.0)[:, :, None]
    return triangle_weights(sample, size, kernel_scale, xp=ops,
                            dtype="float32")


def naflex_position_embedding(posemb, yidx, xidx):
    """Each token's position embedding for images of per-image grid sizes.

    big_vision's `naflex_vit._pos_emb_resize`: the learned `[gh, gw, width]`
    grid is resized (bilinear, half-pixel centres, antialiased when
    shrinking, as `jax.image.scale_and_translate`) to each image's patch
    grid `(max(yidx) + 1, max(xidx) + 1)` and read at `(yidx, xidx)`.
    Computed directly at the token coordinates, so shapes are static
    (`[batch, tokens]`) and there is no `l`-sized intermediate grid: grids
    larger than big_vision's `l` (64 by default), where it returns NaN, work
    here. Padding tokens (coordinates 0) get the (0, 0) entry, as there.

    Args:
        posemb: `[gh, gw, width]` tensor.
        yidx: `[batch, tokens]` int patch rows.
        xidx: `[batch, tokens]` int patch columns.

    Returns:
        `[batch, tokens, width]` float32 (or `posemb`'s float dtype).

    Example:

    >>> import numpy as np
    >>> pe = np.arange(4.0, dtype="float32").reshape(2, 2, 1)
    >>> y = np.array([[0, 0, 1, 1]]); x = np.array([[0, 1, 0, 1]])
    >>> np.asarray(naflex_position_embedding(pe, y, x))[0, :, 0].tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    posemb = ops.convert_to_tensor(posemb)
    gh, gw, width = (int(d) for d in posemb.shape)
    yidx, xidx = ops.convert_to_tensor(yidx), ops.convert_to_tensor(xidx)
    w_y = _axis_weights(yidx, ops.max(yidx, axis=1) + 1, gh)
    w_x = _axis_weights(xidx, ops.max(xidx, axis=1) + 1, gw)
    weights = w_y[:, :, :, None] * w_x[:, :, None, :]
    weights = ops.reshape(weights, (*ops.shape(yidx), gh * gw))
    table = ops.cast(ops.reshape(posemb, (gh * gw, width)), "float32")
    return ops.cast(ops.matmul(weights, table), posemb.dtype)
