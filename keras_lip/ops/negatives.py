"""The cross-device negatives modes of the contrastive losses (one list)."""

# "auto" picks per backend/strategy; see keras_lip.losses for the meaning.
NEGATIVES = ("auto", "ring", "gather", "local")
# A softmax needs whole rows and columns, so the CLIP loss has no ring.
SOFTMAX_NEGATIVES = ("auto", "gather", "local")


def validate_negatives(negatives, allowed=NEGATIVES):
    """Returns `negatives`, or raises ValueError naming the allowed modes.

    Example:

    >>> validate_negatives("ring")
    'ring'
    """
    if negatives not in allowed:
        raise ValueError(
            f"Unknown negatives={negatives!r}; expected one of {allowed}.")
    return negatives
