"""Position-embedding grid resizes: load-time (NumPy) and in-graph.

Two different resizes, as in big_vision:
- `resample_posemb`: `vit.resample_posemb`, used when a checkpoint is loaded
  at another resolution (`scipy.ndimage.zoom(order=1)`: linear with
  ALIGNED CORNERS), plus `split_cls_posemb` for old checkpoints whose
  posemb has a leading `[cls]` entry (`vit.fix_old_checkpoints`).
- `resize_posemb`: FlexiViT's per-call resize (`jax.image.resize(...,
  "linear")`: half-pixel centres, antialiased when shrinking), in
  `keras.ops`.
"""

import math

import numpy as np
from keras import ops

from keras_lip.layers.resize_weights import linear_resize_matrix


def _pair(size, name):
    size = (size, size) if isinstance(size, (int, np.integer)) else size
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"{name} must be an int or two positive ints; got "
                         f"{size}.")
    return size


def _aligned_corners_matrix(in_size, out_size):
    """`[out, in]` linear interpolation with output i at input i·(in-1)/(out-1)
    (scipy's zoom with grid_mode=False; a single output samples input 0)."""
    step = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    sample = np.arange(out_size) * step
    lower = np.minimum(np.floor(sample).astype(int), in_size - 1)
    upper = np.minimum(lower + 1, in_size - 1)
    frac = sample - lower
    matrix = np.zeros((out_size, in_size))
    np.add.at(matrix, (np.arange(out_size), lower), 1.0 - frac)
    np.add.at(matrix, (np.arange(out_size), upper), frac)
    return matrix


def _posemb_grid(posemb, old_grid):
    posemb = np.asarray(posemb)
    if posemb.ndim != 3 or posemb.shape[0] != 1:
        raise ValueError("Expected a [1, tokens, width] position embedding; "
                         f"got shape {posemb.shape}.")
    tokens = posemb.shape[1]
    if old_grid is None:
        side = math.isqrt(tokens)
        if side * side != tokens:
            hint = (" (a leading [cls] entry? use split_cls_posemb first)"
                    if (side * side + 1 == tokens) else "")
            raise ValueError(f"{tokens} position embeddings are not a square "
                             f"grid{hint}; pass old_grid.")
        old_grid = (side, side)
    old_grid = _pair(old_grid, "old_grid")
    if old_grid[0] * old_grid[1] != tokens:
        raise ValueError(f"old_grid {old_grid} does not hold {tokens} "
                         "position embeddings.")
    return posemb, old_grid


def resample_posemb(posemb, new_grid, old_grid=None):
    """Load-time resize of a `[1, gh·gw, width]` posemb to `new_grid`.

    big_vision's `vit.resample_posemb` (scipy zoom, order 1, aligned
    corners), computed in float64 and returned in the input's dtype.

    Args:
        posemb: NumPy array `[1, tokens, width]`, row-major grid order.
        new_grid: int or `(h, w)` target grid.
        old_grid: `(h, w)` of `posemb`; default: a square grid.

    Returns:
        NumPy array `[1, h·w, width]` (`posemb` itself when unchanged).

    Example:

    >>> pe = np.arange(4.0).reshape(1, 4, 1)
    >>> resample_posemb(pe, 3)[0, :, 0].tolist()
    [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0]
    """
    posemb, old_grid = _posemb_grid(posemb, old_grid)
    new_grid = _pair(new_grid, "new_grid")
    if new_grid == old_grid:
        return posemb
    m_h, m_w = (_aligned_corners_matrix(o, n)
                for o, n in zip(old_grid, new_grid))
    grid = posemb.reshape(*old_grid, -1).astype(np.float64)
    grid = np.einsum("ah,bw,hwd->abd", m_h, m_w, grid)
    return grid.reshape(1, new_grid[0] * new_grid[1], -1).astype(posemb.dtype)


def split_cls_posemb(posemb, cls=None):
    """Folds an old-style `[cls]` posemb entry into the `cls` token.

    Old ViT checkpoints stored `[1, 1 + g·g, width]` (posemb added after
    concatenating `[cls]`); big_vision's `vit.fix_old_checkpoints` turns
    them into a `[1, g·g, width]` grid and `cls + posemb[:, :1]`. Other
    shapes are returned unchanged.

    Args:
        posemb: NumPy array `[1, tokens, width]`.
        cls: NumPy array `[1, 1, width]`, or None.

    Returns:
        `(posemb, cls)`.

    Example:

    >>> pe, cls = split_cls_posemb(np.ones((1, 5, 2)), np.ones((1, 1, 2)))
    >>> pe.shape, cls.tolist()
    ((1, 4, 2), [[[2.0, 2.0]]])
    """
    posemb = np.asarray(posemb)
    if posemb.ndim == 3 and posemb.shape[0] == 1:
        side = math.isqrt(posemb.shape[1])
        if side * side + 1 == posemb.shape[1]:
            if cls is not None:
                cls = np.asarray(cls) + posemb[:, :1]
            posemb = posemb[:, 1:]
    return posemb, cls


def resize_posemb(posemb, old_grid, new_grid):
    """In-graph resize of a `[1, gh·gw, width]` posemb to `new_grid`.

    FlexiViT's run-time resize: `jax.image.resize(..., "linear")` on the
    grid (half-pixel centres, triangle kernel widened when shrinking). The
    grids are static; the weights come from cached NumPy matrices and are
    applied with `keras.ops` (differentiable, jit-friendly).

    Args:
        posemb: tensor `[1, gh·gw, width]`.
        old_grid: `(gh, gw)` of `posemb`.
        new_grid: int or `(h, w)`.

    Returns:
        Tensor `[1, h·w, width]` (`posemb` itself when unchanged).

    Example:

    >>> pe = np.arange(4.0, dtype="float32").reshape(1, 4, 1)
    >>> out = resize_posemb(pe, (2, 2), (4, 4))
    >>> np.asarray(out)[0, :4, 0].tolist()
    [0.0, 0.25, 0.75, 1.0]
    """
    old_grid = _pair(old_grid, "old_grid")
    new_grid = _pair(new_grid, "new_grid")
    if tuple(posemb.shape[:2]) != (1, old_grid[0] * old_grid[1]):
        raise ValueError(f"posemb shape {tuple(posemb.shape)} does not match "
                         f"old_grid {old_grid}.")
    if new_grid == old_grid:
        return posemb
    posemb = ops.convert_to_tensor(posemb)
    m_h, m_w = (ops.cast(linear_resize_matrix(o, n, True), posemb.dtype)
                for o, n in zip(old_grid, new_grid))
    grid = ops.reshape(posemb, (*old_grid, -1))
    grid = ops.einsum("ah,bw,hwd->abd", m_h, m_w, grid)
    return ops.reshape(grid, (1, new_grid[0] * new_grid[1], -1))
