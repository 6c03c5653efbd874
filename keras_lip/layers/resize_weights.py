"""Interpolation weights of the linear image resizes big_vision relies on.

One formula covers three resizes: TF's `tf.image.resize(..., "bilinear")`
(half-pixel centres, edge clamping, no antialias) used by FlexiViT's patch
kernel resize, and JAX's `jax.image.resize(..., "linear")` /
`scale_and_translate(..., "bilinear", antialias=True)` used for FlexiViT and
NaFlex position embeddings: a triangle kernel around each sample position,
widened by the downscale factor when antialiasing, normalised to sum 1 (which
is what clamps at the edges).
"""

import functools

import numpy as np


def triangle_weights(sample, in_size, kernel_scale, xp=np, dtype="float64"):
    """Normalised triangle-kernel weights over `in_size` input positions.

    Written against the NumPy API so that it runs both in NumPy (static sizes,
    at trace time) and in `keras.ops` (per-image sizes, in the graph).

    Args:
        sample: sample positions in input pixel units (centre of pixel j at
            j), any shape `[...]`.
        in_size: number of input positions (int).
        kernel_scale: triangle half-width, broadcastable to `[..., 1]`
            (1 = plain linear interpolation).
        xp: `numpy` or `keras.ops`.
        dtype: float dtype of the input positions.

    Returns:
        `[..., in_size]` weights; all zero where `sample` lies outside
        `[-0.5, in_size - 0.5]` (as JAX's `scale_and_translate`).

    Example:

    >>> triangle_weights(np.array([0.25]), 3, 1.0).round(3).tolist()
    [[0.75, 0.25, 0.0]]
    """
    positions = xp.arange(in_size, dtype=dtype)
    sample = xp.expand_dims(sample, -1)
    weights = xp.maximum(1.0 - xp.abs(sample - positions) / kernel_scale, 0.0)
    total = xp.sum(weights, axis=-1, keepdims=True)
    inside = xp.logical_and(sample >= -0.5, sample <= in_size - 0.5)
    # In range, `total` >= 0.5 (a position lies within half a pixel).
    return xp.where(inside, weights / xp.maximum(total, 1e-6), 0.0)


@functools.lru_cache(maxsize=256)
def linear_resize_matrix(in_size, out_size, antialias):
    """`[out_size, in_size]` float64 matrix of a 1-D linear resize.

    `antialias=False` is `tf.image.resize(method="bilinear")`;
    `antialias=True` is `jax.image.resize(method="linear")` (and TF's
    antialiased bilinear). Cached: it depends only on the sizes. Do not
    modify the returned array.

    Example:

    >>> linear_resize_matrix(2, 4, False).tolist()
    [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    """
    # Sample positions are float32 arithmetic in both libraries; rounding the
    # 1/scale factor differently moves samples by up to ~1e-6 pixels.
    if antialias:  # JAX: inv_scale = 1 / (out / in), rounded to float32.
        scale = np.float32(1.0 / (out_size / in_size))
    else:  # TF: in / out in float32.
        scale = np.float32(in_size) / np.float32(out_size)
    half = np.float32(0.5)
    sample = (np.arange(out_size, dtype=np.float32) + half) * scale - half
    kernel_scale = max(float(scale), 1.0) if antialias else 1.0
    matrix = triangle_weights(sample.astype(np.float64), in_size, kernel_scale)
    matrix.flags.writeable = False
    return matrix
