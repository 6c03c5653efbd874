"""L2 normalisation with big_vision's epsilon convention."""

from keras import ops


def l2_normalize(x, axis=-1, epsilon=1e-8):
    """`x / (‖x‖₂ + epsilon)`, as big_vision's two-tower model (not Keras'
    `x / sqrt(max(‖x‖², epsilon))`): the two differ for tiny vectors.

    Args:
        x: tensor.
        axis: axis to normalise over.
        epsilon: added to the norm.

    Example:

    >>> import numpy as np, keras
    >>> x = keras.ops.convert_to_numpy(l2_normalize(np.array([[3.0, 4.0]])))
    >>> [round(float(v), 6) for v in x[0]]
    [0.6, 0.8]
    """
    norm = ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return x / (norm + epsilon)
