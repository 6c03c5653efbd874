"""The one exception for a non-finite learned temperature or bias.

The check itself runs inside compiled steps (TensorFlow graphs, jitted JAX),
where each backend raises its own runtime error type; every such error
carries `MARKER`, and `keras_lip.distribution.readable_errors()` turns it
back into `NonFiniteError` at the `fit`/`evaluate` boundary, so users catch
one type on both backends.
"""

MARKER = "keras_lip: non-finite"


class NonFiniteError(FloatingPointError):
    """t (the log-temperature) or b (the bias) became NaN or infinite:
    training diverged, or the weights loaded were corrupt."""


def message(name, value=None):
    """The error text for the named scalar (`value` when known)."""
    shown = "" if value is None else f" ({value})"
    return (f"{MARKER} value: {name} is not finite{shown}. The learned "
            "log-temperature t and "
            "bias b must be finite; training has diverged (try a lower "
            "learning rate or gradient clipping) or the weights are "
            "corrupt.")
