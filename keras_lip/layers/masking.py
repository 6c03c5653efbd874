"""Padding-mask helpers for variable-length (NaFlex) token sequences.

A padding mask is `[batch, tokens]`, true (or 1) for real tokens and false
(0) for padding, e.g. NaFlex's `ptype == 1`.
"""

from keras import ops


def pairwise_attention_mask(padding_mask):
    """`[batch, tokens, tokens]` self-attention mask: valid_i AND valid_j.

    Rows of padding tokens are all false; their outputs are meaningless
    (big_vision's Flax attention makes them uniform, Keras' the same up to
    its finite "minus infinity"), so compare and pool only valid tokens.

    Example:

    >>> import numpy as np
    >>> m = pairwise_attention_mask(np.array([[1, 1, 0]]))
    >>> np.asarray(m)[0].astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    """
    valid = ops.cast(padding_mask, "bool")
    return ops.logical_and(valid[:, :, None], valid[:, None, :])


def masked_mean(x, padding_mask):
    """Mean over the valid tokens of `x` `[batch, tokens, width]`
    (big_vision NaFlex's "gap"); zero for a sequence with no valid token.

    Example:

    >>> import numpy as np
    >>> x = np.array([[[1.0], [3.0], [100.0]]])
    >>> np.asarray(masked_mean(x, np.array([[1, 1, 0]]))).tolist()
    [[2.0]]
    """
    x = ops.convert_to_tensor(x)
    mask = ops.cast(padding_mask, x.dtype)[:, :, None]
    total = ops.sum(x * mask, axis=1)
    return total / ops.maximum(ops.sum(mask, axis=1), 1.0)


def masked_max(x, padding_mask):
    """Max over the valid tokens of `x` `[batch, tokens, width]`
    (big_vision NaFlex's "max" pooling); meaningless for a sequence with no
    valid token.

    Example:

    >>> import numpy as np
    >>> x = np.array([[[1.0], [-3.0], [100.0]]])
    >>> np.asarray(masked_max(x, np.array([[1, 1, 0]]))).tolist()
    [[1.0]]
    """
    x = ops.convert_to_tensor(x)
    valid = ops.cast(padding_mask, "bool")[:, :, None]
    # Pads take the row's minimum, which never wins (no dtype-specific
    # "lowest" constant; big_vision uses finfo.min).
    lowest = ops.min(x, axis=1, keepdims=True)
    return ops.max(ops.where(valid, x, lowest), axis=1)
