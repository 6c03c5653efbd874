"""FlexiViT's "PI-resize" of a patch-embedding kernel (`resample_patchemb`)."""

import functools

import numpy as np
from keras import ops

from keras_lip.layers.resize_weights import linear_resize_matrix


@functools.lru_cache(maxsize=256)
def pi_resize_matrices(old_hw, new_hw):
    """Per-axis float32 matrices `(P_h [new_h, old_h], P_w [new_w, old_w])`.

    big_vision builds the 2-D resize matrix `B` (`tf.image.resize` bilinear,
    applied to basis patches) and takes `pinv(B.T)`. `B` is the Kronecker
    product of the per-axis resize matrices, and `pinv(kron(A, C)) ==
    kron(pinv(A), pinv(C))`, so the per-axis pseudo-inverses give the same
    result from much smaller SVDs; they also stay exact when one axis is
    upsampled and the other downsampled, where big_vision's full `pinv`
    inverts rounding noise (see the golden README).
    """
    return tuple(
        np.linalg.pinv(linear_resize_matrix(old, new, False).T)
        .astype("float32")
        for old, new in zip(old_hw, new_hw))


def resample_patch_embedding(kernel, new_hw):
    """Resizes a `[ph, pw, c_in, c_out]` patch kernel to `new_hw`.

    The kernel `w'` for patches resized (bilinearly, as the preprocessing
    does) from `(ph, pw)` to `new_hw` that best keeps the tokens:
    `<x, w> == <resize(x), w'>` exactly when upsampling, in the
    least-squares sense when downsampling (big_vision's
    `flexi.vit.resample_patchemb`). The resize matrices depend only on the
    shapes: they are computed once in NumPy (cached) and applied with
    `keras.ops`, so the result is differentiable in `kernel` and works in
    jitted code.

    Args:
        kernel: `[ph, pw, c_in, c_out]` tensor or array.
        new_hw: `(new_h, new_w)` (or an int for a square patch).

    Returns:
        `[new_h, new_w, c_in, c_out]`; `kernel` itself when the size is
        unchanged.

    Example:

    >>> import numpy as np
    >>> w = np.random.default_rng(0).normal(size=(4, 4, 3, 8))
    >>> tuple(resample_patch_embedding(w, (8, 8)).shape)
    (8, 8, 3, 8)
    """
    if len(kernel.shape) != 4:
        raise ValueError("Expected a [ph, pw, c_in, c_out] patch kernel; got "
                         f"shape {tuple(kernel.shape)}.")
    new_hw = (new_hw, new_hw) if isinstance(new_hw, int) else tuple(new_hw)
    if len(new_hw) != 2 or min(new_hw) < 1:
        raise ValueError(f"new_hw must be two positive sizes; got {new_hw}.")
    old_hw = tuple(int(d) for d in kernel.shape[:2])
    if old_hw == new_hw:
        return kernel
    kernel = ops.convert_to_tensor(kernel)
    p_h, p_w = pi_resize_matrices(old_hw, new_hw)
    p_h = ops.cast(p_h, kernel.dtype)
    p_w = ops.cast(p_w, kernel.dtype)
    return ops.einsum("ah,bw,hwio->abio", p_h, p_w, kernel)
