"""Auxiliary losses and routing statistics of a mixture of experts.

Shapes: G routing groups of S tokens, E experts, M modalities. Routing
probabilities are `[G, S, E]`; a modality mask is `[G, S, M]` (1.0 where
token s is of modality m).

- Importance and load losses: V-MoE (Riquelme et al. 2021, arXiv
  2106.05974, App. A.2; google-research/vmoe `vmoe/nn/routing.py`,
  `NoisyTopExpertsPerItemRouter._importance_auxiliary_loss` and
  `_load_auxiliary_loss`): the squared coefficient of variation of the
  per-expert importance / load, per group, averaged over groups.
- Local and global entropy losses: LIMoE (Mustafa et al. 2022, arXiv
  2206.02770, §3), per modality m with router distributions p(·|x):
  Ω_local = mean over the modality's tokens of H(p(·|x)) (confident
  routing per token), and Ω_global = −H(p̃) with p̃ the mean of p(·|x) over
  the modality's tokens (diverse expert use), applied as
  max(0, τ − H(p̃)) when a threshold τ is given, so that the penalty stops
  once the modality uses about exp(τ) experts.
"""

import math

from keras import ops

_TINY = 1e-30  # Keeps log(p̃) finite for an expert no token uses.


def _squared_cv(x):
    """(std / mean)² over the last axis (population std, as `jnp.std`)."""
    return ops.var(x, axis=-1) / ops.square(ops.mean(x, axis=-1))


def importance_loss(probs):
    """V-MoE's importance loss: CV² of Σ_tokens p(e|x), mean over groups.

    Example:

    >>> import numpy as np
    >>> probs = np.array([[[0.5, 0.5], [0.5, 0.5]]], "float32")
    >>> float(importance_loss(probs))
    0.0
    """
    return ops.mean(_squared_cv(ops.sum(probs, axis=1)))


def load_loss(logits, noisy_logits, noise_std, num_selected_experts):
    """V-MoE's load loss: CV² of each expert's probability of being in a
    token's top K were the noise re-drawn, mean over groups.

    Args:
        logits: `[G, S, E]` router logits without noise.
        noisy_logits: the logits plus the noise used for routing.
        noise_std: standard deviation of that noise (> 0).
        num_selected_experts: K.
    """
    # The K-th largest noisy logit is the bar each expert has to clear.
    threshold = ops.top_k(noisy_logits, num_selected_experts)[0][..., -1:]
    z = (threshold - logits) / noise_std
    above = 0.5 * (1.0 - ops.erf(z / math.sqrt(2.0)))  # 1 − Φ(z).
    return ops.mean(_squared_cv(ops.mean(above, axis=1)))


def token_entropy(logits):
    """H(softmax(logits)) per token, `[...]` from `[..., E]`."""
    log_p = ops.log_softmax(logits, axis=-1)
    return -ops.sum(ops.exp(log_p) * log_p, axis=-1)


def masked_mean(values, mask):
    """Mean of `values` `[G, S]` over each modality's tokens: `[M]` (0 for a
    modality with no tokens)."""
    total = ops.einsum("gs,gsm->m", values, mask)
    return total / ops.maximum(ops.sum(mask, axis=(0, 1)), 1.0)


def local_entropy_loss(logits, mask):
    """LIMoE's Ω_local per modality: mean token routing entropy, `[M]`.

    Example:

    >>> import numpy as np
    >>> logits = np.zeros((1, 3, 4), "float32")  # Uniform over 4 experts.
    >>> mask = np.array([[[1, 0], [1, 0], [0, 1]]], "float32")
    >>> [round(float(v), 4) for v in local_entropy_loss(logits, mask)]
    [1.3863, 1.3863]
    """
    return masked_mean(token_entropy(logits), mask)


def mean_distribution_entropy(probs, mask):
    """H(p̃) per group and modality, `[G, M]`, p̃ the modality's mean routing
    distribution in the group."""
    counts = ops.sum(mask, axis=1)  # [G, M]
    mean = ops.einsum("gse,gsm->gme", probs, mask)
    mean = mean / ops.maximum(counts, 1.0)[..., None]
    return -ops.sum(mean * ops.log(ops.maximum(mean, _TINY)), axis=-1)


def group_mean(values, mask):
    """Mean of `[G, M]` values over the groups that hold the modality: `[M]`."""
    present = ops.cast(ops.sum(mask, axis=1) > 0, values.dtype)
    total = ops.sum(values * present, axis=0)
    return total / ops.maximum(ops.sum(present, axis=0), 1.0)


def global_entropy_loss(probs, mask, threshold=None):
    """LIMoE's Ω_global per modality, `[M]`: −H(p̃), or max(0, τ − H(p̃))
    with a threshold τ (`[M]` or scalar, nats), per group, mean over groups.

    Example:

    >>> import numpy as np
    >>> probs = np.array([[[1, 0, 0, 0], [0, 1, 0, 0]]], "float32")
    >>> mask = np.ones((1, 2, 1), "float32")  # H(p̃) = log 2.
    >>> round(float(global_entropy_loss(probs, mask)[0]), 4)  # −log 2
    -0.6931
    >>> tau = np.log(4)  # At least 4 effective experts: log 4 − log 2.
    >>> round(float(global_entropy_loss(probs, mask, threshold=tau)[0]), 4)
    0.6931
    """
    entropy = mean_distribution_entropy(probs, mask)
    if threshold is None:
        loss = -entropy
    else:
        loss = ops.relu(ops.convert_to_tensor(threshold, entropy.dtype)
                        - entropy)
    return group_mean(loss, mask)
