"""Top-K token routing with expert capacity and Batch Priority Routing.

The algorithm of V-MoE (Riquelme et al. 2021, arXiv 2106.05974, §2.1 and
App. C; google-research/vmoe `vmoe/moe.py`,
`_get_top_experts_per_item_common` and the einsum dispatcher), as dense
one-hot tensors so it runs on every backend and under XLA.
"""

import fractions

from keras import ops


def expert_capacity(num_tokens, num_experts, num_selected_experts,
                    capacity_factor):
    """Slots per expert: `ceil(tokens · K · C / E)`, at least 1.

    Computed in integers (C taken as the decimal it is written as, e.g.
    1.05 = 21/20), so 400 tokens · 1.05 / 4 is 105, not the 106 that
    float rounding gives. V-MoE also rounds up to a multiple of 4 by
    default; this does not.

    Args:
        num_tokens: tokens per group (int, or a scalar tensor when the
            shape is only known at run time).
        num_experts: E.
        num_selected_experts: K.
        capacity_factor: C > 0.

    Example:

    >>> expert_capacity(400, 4, 1, 1.05), expert_capacity(10, 4, 2, 1.0)
    (105, 5)
    """
    if capacity_factor <= 0:
        raise ValueError(f"capacity_factor must be > 0, got {capacity_factor}.")
    factor = fractions.Fraction(str(capacity_factor))
    numerator = num_selected_experts * factor.numerator
    denominator = num_experts * factor.denominator
    if isinstance(num_tokens, int):
        return max(1, -(-num_tokens * numerator // denominator))
    tokens = ops.cast(num_tokens, "int32")
    return ops.maximum((tokens * numerator + denominator - 1) // denominator, 1)


def top_k_routing(gates, num_selected_experts, capacity, batch_priority=True):
    """Assigns each token to its top-K experts, within each expert's capacity.

    All top-1 choices are placed before any top-2 choice, and so on. Within
    one choice rank, tokens are taken in order of position, or, with Batch
    Priority Routing, in order of their largest gate (ties: lower position
    first). A choice that finds its expert full is dropped.

    Args:
        gates: `[G, S, E]` routing weights (G groups of S tokens).
        num_selected_experts: K.
        capacity: slots per expert (int or scalar tensor).
        batch_priority: sort tokens by their top gate first (BPR).

    Returns:
        `(dispatch, expert_index, kept)`: `dispatch` is `[G, S, E, C]`, 1.0
        where token s fills slot c of expert e; `expert_index` is `[G, S, K]`
        (the top-K experts, best first); `kept` is `[G, S, K]`, whether that
        choice got a slot.

    Example:

    >>> import numpy as np
    >>> gates = np.array([[[0.9, 0.1], [0.6, 0.4], [0.8, 0.2]]], "float32")
    >>> dispatch, _, kept = top_k_routing(gates, 1, capacity=2)
    >>> np.asarray(kept)[0, :, 0].tolist()  # Token 1 has the lowest top gate.
    [True, False, True]
    """
    num_experts = gates.shape[-1]
    k = num_selected_experts
    top_gates, expert_index = ops.top_k(gates, k)
    index = expert_index
    if batch_priority:
        order = ops.argsort(-top_gates[..., 0], axis=-1)
        index = ops.take_along_axis(index, order[..., None], axis=1)
    group_length = ops.shape(gates)[1]
    one_hot = ops.one_hot(index, num_experts, dtype="int32")  # [G, S, K, E]
    # K-major order, so that a cumulative count over tokens gives each
    # choice its slot in its expert's buffer.
    one_hot = ops.reshape(ops.transpose(one_hot, (0, 2, 1, 3)),
                          (-1, k * group_length, num_experts))
    position = ops.sum(ops.cumsum(one_hot, axis=1) * one_hot, axis=-1) - 1
    position = ops.transpose(ops.reshape(position, (-1, k, group_length)),
                             (0, 2, 1))  # [G, S, K]
    if batch_priority:
        inverse = ops.argsort(order, axis=-1)
        position = ops.take_along_axis(position, inverse[..., None], axis=1)
    kept = position < capacity
    keep = ops.cast(kept, gates.dtype)
    slot = ops.one_hot(ops.where(kept, position, 0), capacity, dtype=gates.dtype)
    expert = ops.one_hot(expert_index, num_experts, dtype=gates.dtype)
    dispatch = ops.einsum("gske,gskc->gsec", expert * keep[..., None], slot)
    return dispatch, expert_index, kept
