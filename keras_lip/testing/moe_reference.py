"""Plain NumPy reference of top-K routing, for the MoE layers' tests."""

import numpy as np


def reference_routing(gates, k, capacity, batch_priority):
    """Greedy top-K routing, one token choice at a time, in plain NumPy.

    `gates` is `[G, S, E]`; returns `(dispatch [G, S, E, capacity],
    top-K expert indices [G, S, K], kept [G, S, K])`.
    """
    groups, tokens, experts = gates.shape
    dispatch = np.zeros((groups, tokens, experts, capacity), "float32")
    kept = np.zeros((groups, tokens, k), bool)
    top = np.argsort(-gates, axis=-1, kind="stable")[..., :k]
    for g in range(groups):
        order = (np.argsort(-gates[g].max(axis=-1), kind="stable")
                 if batch_priority else range(tokens))
        used = np.zeros(experts, int)
        for choice in range(k):  # All first choices before any second one.
            for s in order:
                e = top[g, s, choice]
                if used[e] < capacity:
                    dispatch[g, s, e, used[e]] = 1.0
                    kept[g, s, choice] = True
                    used[e] += 1
    return dispatch, top, kept
