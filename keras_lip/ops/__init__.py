"""Backend-neutral math at the bottom of keras_lip (`keras.ops` only).

The contrastive-loss blocks with hand-written gradients, the two-tower
logit formula, the negatives modes and the non-finite error type: losses,
distribution and models all build on these, and this package imports
nothing else from keras_lip.
"""

from keras_lip.ops.blocks import logits
from keras_lip.ops.finite import NonFiniteError
from keras_lip.ops.negatives import NEGATIVES
from keras_lip.ops.negatives import SOFTMAX_NEGATIVES
from keras_lip.ops.negatives import validate_negatives
