"""CLIP's bidirectional softmax loss, on one device or across replicas."""

import keras

from keras_lip import distribution
from keras_lip.losses.contrastive_loss import ContrastiveLoss
from keras_lip.losses.contrastive_loss import prepare_embeddings
from keras_lip.losses.contrastive_loss import prepare_scalar
from keras_lip.ops import SOFTMAX_NEGATIVES
from keras_lip.ops import blocks
from keras_lip.ops import validate_negatives

def softmax_contrastive_loss(image_embeddings, text_embeddings, logit_scale,
                             negatives="auto", check_finite=True):
    """CLIP loss: 0.5·(image→text + text→image) cross-entropy, no bias.

    `logits = zimg · ztxtᵀ · exp(logit_scale)`; the loss is the mean over the
    GLOBAL batch of `0.5·(−log softmax_row(logits)_ii − log
    softmax_col(logits)_ii)`, as big_vision's
    `utils.bidirectional_contrastive_loss`.

    A softmax needs a whole row and column, so under a distribution the
    embeddings are all-gathered ("gather", the default) and each replica holds
    two b×B logit blocks; "local" uses the replica's own batch only. There is
    no "ring" for this loss. Scaling follows `sigmoid_contrastive_loss`: a
    replica's share on TensorFlow, the global value on JAX.

    Args:
        image_embeddings: `[batch, dim]`, L2-normalised.
        text_embeddings: `[batch, dim]`, L2-normalised.
        logit_scale: t, the log-temperature (scalar or shape `(1,)`).
        negatives: `"auto"` (= "gather"), `"gather"` or `"local"`.
        check_finite: raise if t is NaN or infinite.

    Returns:
        A float32 scalar.

    Example:

    >>> import numpy as np
    >>> z = np.eye(4, 8, dtype="float32")
    >>> round(float(softmax_contrastive_loss(z, z, np.log(10.0))), 4)
    0.0001
    """
    validate_negatives(negatives, SOFTMAX_NEGATIVES)
    zimg, ztxt = prepare_embeddings(image_embeddings, text_embeddings)
    logit_scale = prepare_scalar(logit_scale, "logit_scale")
    if check_finite:
        logit_scale, _ = distribution.check_finite(logit_scale)
    loss = distribution.softmax_loss(zimg, ztxt, logit_scale, negatives)
    if loss is None:
        loss = blocks.naive_softmax_loss(zimg, ztxt, logit_scale)
    return loss


@keras.saving.register_keras_serializable(package="keras_lip")
class SoftmaxContrastiveLoss(ContrastiveLoss):
    """CLIP's bidirectional softmax loss as a `keras.losses.Loss`.

    Same `y_pred` contract as `SigmoidContrastiveLoss`; `"logit_bias"` is not
    used. See `softmax_contrastive_loss`.

    Args:
        negatives: `"auto"`, `"gather"` or `"local"`.
        check_finite: raise if t is NaN or infinite.
        name: name of the loss.

    Example:

    >>> import numpy as np
    >>> z = np.eye(4, 8, dtype="float32")
    >>> y_pred = {"image_embeddings": z, "text_embeddings": z,
    ...           "logit_scale": np.log(10.0)}
    >>> round(float(SoftmaxContrastiveLoss()(None, y_pred)), 4)
    0.0001
    """

    allowed_negatives = SOFTMAX_NEGATIVES
    required_keys = ("image_embeddings", "text_embeddings", "logit_scale")

    def __init__(self, negatives="auto", check_finite=True,
                 name="softmax_contrastive_loss", dtype=None):
        super().__init__(negatives=negatives, check_finite=check_finite,
                         name=name, dtype=dtype)

    def compute(self, image_embeddings, text_embeddings, logit_scale):
        return softmax_contrastive_loss(
            image_embeddings, text_embeddings, logit_scale,
            negatives=self.negatives, check_finite=self.check_finite)
